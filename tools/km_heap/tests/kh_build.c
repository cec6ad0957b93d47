/* The known heaps km-heap's tests look at (kh_build.h). */
#include "kh_build.h"

#include "host_threads.h"

#include <stdio.h>
#include <string.h>

void *kh_build_alloc(kh_built *built, size_t heap, size_t size)
{
    if (built->live_count == KH_BUILD_MAX_BLOCKS)
        return NULL;
    km_status status;
    void *block = km_heap_alloc(built->heaps[heap], 0, size, &status);
    if (block)
        built->live[built->live_count++] = (kh_built_block){block, size, heap};
    return block;
}

bool kh_build_free(kh_built *built, void *address)
{
    for (size_t i = 0; i < built->live_count; i++) {
        if (built->live[i].address != address)
            continue;
        bool ok = km_heap_free(built->heaps[built->live[i].heap], 0, address) == KM_OK;
        built->live[i] = built->live[--built->live_count];
        return ok;
    }
    return false;
}

bool kh_build_heaps(kh_built *built)
{
    memset(built, 0, sizeof *built);
    km_host_pages_init(&built->pages);
    km_handle_table_init(&built->table, &built->pages.pages);
    km_heap_platform platform = km_host_platform(&built->pages);
    if (km_heap_create(&platform, 0, 0, 0, &built->heaps[0]) != KM_OK)
        return false;
    built->heap_count = 1;
    if (km_heap_create(&platform, 0, 0, 0, &built->heaps[1]) != KM_OK)
        return false;
    built->heap_count = 2;
    if (!km_heap_set_debug(built->heaps[1], KM_HEAP_DEBUG_TAIL))
        return false;

    /* Runs of four classes, every third block freed again. */
    static const size_t sizes[] = {24, 100, 1000, 5000};
    void *made[4][12];
    for (size_t c = 0; c < 4; c++)
        for (size_t i = 0; i < 12; i++)
            if (!(made[c][i] = kh_build_alloc(built, 0, sizes[c] + i)))
                return false;
    for (size_t c = 0; c < 4; c++)
        for (size_t i = 0; i < 12; i += 3)
            if (!kh_build_free(built, made[c][i]))
                return false;
    /* An exact fit (no slack), a span and a large block. */
    if (!kh_build_alloc(built, 0, 64) || !kh_build_alloc(built, 0, 100000) ||
        !kh_build_alloc(built, 0, 3u << 20))
        return false;
    /* A moveable block's data, and its handle. */
    void *data = kh_build_alloc(built, 0, 40);
    if (!data || !km_handle_alloc_locked(&built->table, data, 0x2))
        return false;
    /* The tail-checking heap. */
    for (size_t i = 0; i < 6; i++)
        if (!kh_build_alloc(built, 1, 16 + 30 * i))
            return false;
    /* The fixed heap. */
    if (km_heap_create(&platform, 0, 1u << 20, 0, &built->heaps[2]) != KM_OK)
        return false;
    built->heap_count = 3;
    static const size_t fixed_sizes[] = {8, 300, 3000, 20000};
    for (size_t i = 0; i < 4 * 3; i++)
        if (!kh_build_alloc(built, 2, fixed_sizes[i % 4] + i))
            return false;
    return true;
}

km_status kh_build_snapshot(kh_built *built, km_snapshot *snapshot)
{
    static const km_flag_name names[] = {{0x2, "moveable"}, {0x8, "discarded"}, {0, NULL}};
    km_snapshot_header header = {.producer = "core test", .reason = "request", .pid = 0};
    km_snapshot_open(snapshot, &built->pages.pages, &header);
    for (size_t h = 0; h < built->heap_count; h++)
        km_snapshot_heap(snapshot, built->heaps[h], (uintptr_t)built->heaps[h], h == 0, true);
    km_snapshot_handles_locked(snapshot, &built->table, built->heaps[0], names);
    return km_snapshot_close(snapshot);
}

bool kh_build_write(kh_built *built, const char *path)
{
    km_snapshot snapshot;
    bool ok = kh_build_snapshot(built, &snapshot) == KM_OK;
    FILE *out = ok ? fopen(path, "w") : NULL;
    if (out) {
        ok = fwrite(snapshot.text.data, 1, snapshot.text.length, out) == snapshot.text.length;
        ok = fclose(out) == 0 && ok;
    } else {
        ok = false;
    }
    km_snapshot_release(&snapshot);
    return ok;
}

void kh_build_release(kh_built *built)
{
    km_handle_table_release(&built->table);
    for (size_t h = 0; h < built->heap_count; h++)
        km_heap_destroy(built->heaps[h]);
    built->heap_count = 0;
}
