/*
 * Writes the files km-heap's shell-driven tests read, from real heaps of the core:
 *   kh_fixture snapshot OUT.json              the heap set of kh_build.h
 *   kh_fixture diff OLD.json NEW.json LIST    the set, then new blocks (their addresses, one
 *                                             per line, in LIST) and a few old ones freed
 *   kh_fixture trace OUT.jsonl                a trace of random heap calls on three heaps,
 *                                             failures included, lines in per-thread batches
 *   kh_fixture double-free OUT.jsonl          a trace whose last call frees a block twice
 * A trace is made by calling the core as the api layer does and writing what the DLL's tracer
 * would (SCHEMA.md), so its replay must match it call for call.
 */
#include "kh_build.h"

#include "host_threads.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "kh_fixture: %s\n", what);
    return 1;
}

static int write_diff(const char *old_path, const char *new_path, const char *list_path)
{
    kh_built built;
    if (!kh_build_heaps(&built) || !kh_build_write(&built, old_path))
        return fail("cannot build or write the old snapshot");
    void *old_blocks[3] = {built.live[0].address, built.live[5].address, built.live[9].address};
    static const size_t sizes[] = {24, 24, 100, 333, 1000, 4000, 20000, 150000, 1u << 20, 48};
    FILE *list = fopen(list_path, "w");
    if (!list)
        return fail("cannot write the list");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *block = kh_build_alloc(&built, i % 2 ? 1 : 0, sizes[i]);
        if (!block)
            return fail("an allocation failed");
        fprintf(list, "0x%" PRIxPTR "\n", (uintptr_t)block);
    }
    fclose(list);
    /* Freed after the new blocks were made, so no new block takes an old one's place. */
    for (size_t i = 0; i < 3; i++)
        if (!kh_build_free(&built, old_blocks[i]))
            return fail("a free failed");
    if (!kh_build_write(&built, new_path))
        return fail("cannot write the new snapshot");
    kh_build_release(&built);
    return 0;
}

/* Trace lines, kept to be written in per-thread batches. */
typedef struct tracer {
    char **lines;
    size_t count, capacity;
    uint64_t seq;
} tracer;

static void emit(tracer *t, const char *export, uintptr_t heap, const char *args,
                 const char *result, unsigned error)
{
    char line[400];
    t->seq++;
    snprintf(line, sizeof line,
             "{\"seq\":%" PRIu64 ",\"time_ns\":%" PRIu64 ",\"thread\":%u,\"export\":\"%s\","
             "\"heap\":\"0x%" PRIxPTR "\",\"args\":{%s},\"result\":%s,\"error\":%u}",
             t->seq, t->seq * 1000, 100 + (unsigned)(t->seq / 16 % 2), export, heap, args, result,
             error);
    if (t->count == t->capacity) {
        t->capacity = t->capacity ? t->capacity * 2 : 1024;
        t->lines = realloc(t->lines, t->capacity * sizeof *t->lines);
    }
    t->lines[t->count] = malloc(strlen(line) + 1);
    strcpy(t->lines[t->count++], line);
}

/* Writes the header, then batches of 16 lines with each pair of batches swapped. */
static int write_lines(tracer *t, const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return fail("cannot write the trace");
    fprintf(out,
            "{\"format\":\"kernel32_mem.trace\",\"version\":1,\"pid\":4242,"
            "\"pointer_bits\":%zu}\n",
            sizeof(void *) * 8);
    size_t batches = (t->count + 15) / 16;
    for (size_t b = 0; b < batches; b++) {
        size_t batch = b % 2 == 0 && b + 1 < batches ? b + 1 : b % 2 ? b - 1 : b;
        for (size_t i = batch * 16; i < t->count && i < batch * 16 + 16; i++)
            fprintf(out, "%s\n", t->lines[i]);
    }
    for (size_t i = 0; i < t->count; i++)
        free(t->lines[i]);
    free(t->lines);
    return fclose(out) == 0 ? 0 : fail("cannot write the trace");
}

static char *address_text(char *buffer, size_t size, const void *address)
{
    snprintf(buffer, size, "\"0x%" PRIxPTR "\"", (uintptr_t)address);
    return buffer;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct live_block {
    km_heap *heap;
    void *block;
} live_block;

/* Each call as the api layer makes it, traced. */
static void *traced_alloc(tracer *t, km_heap *heap, unsigned flags, size_t size)
{
    char args[80], result[40];
    km_status status;
    void *block = km_heap_alloc(heap, flags & 8 ? KM_HEAP_ZERO : 0, size, &status);
    snprintf(args, sizeof args, "\"flags\":%u,\"size\":%zu", flags, size);
    emit(t, "HeapAlloc", (uintptr_t)heap, args, address_text(result, sizeof result, block),
         block ? 0 : 8);
    return block;
}

static bool traced_free(tracer *t, km_heap *heap, void *block)
{
    char args[80], address[40];
    bool ok = km_heap_free(heap, 0, block) == KM_OK;
    snprintf(args, sizeof args, "\"flags\":0,\"block\":%s",
             address_text(address, sizeof address, block));
    emit(t, "HeapFree", (uintptr_t)heap, args, ok ? "1" : "0", ok ? 0 : 87);
    return ok;
}

static void *traced_realloc(tracer *t, km_heap *heap, unsigned flags, void *block, size_t size)
{
    char args[120], address[40], result[40];
    km_status status;
    void *moved =
        km_heap_realloc(heap, flags & 0x10 ? KM_HEAP_IN_PLACE_ONLY : 0, block, size, &status);
    snprintf(args, sizeof args, "\"flags\":%u,\"block\":%s,\"size\":%zu", flags,
             address_text(address, sizeof address, block), size);
    emit(t, "HeapReAlloc", (uintptr_t)heap, args, address_text(result, sizeof result, moved),
         moved ? 0 : (status == KM_NO_MEMORY ? 8 : 87));
    return moved;
}

static void traced_size(tracer *t, km_heap *heap, void *block)
{
    char args[80], address[40], result[32];
    size_t size;
    bool ok = km_heap_size(heap, 0, block, &size) == KM_OK;
    snprintf(args, sizeof args, "\"flags\":0,\"block\":%s",
             address_text(address, sizeof address, block));
    if (ok)
        snprintf(result, sizeof result, "%zu", size);
    emit(t, "HeapSize", (uintptr_t)heap, args, ok ? result : "-1", ok ? 0 : 87);
}

static void traced_validate(tracer *t, km_heap *heap, void *block)
{
    char args[80], address[40];
    bool ok = km_heap_validate(heap, 0, block);
    snprintf(args, sizeof args, "\"flags\":0,\"block\":%s",
             address_text(address, sizeof address, block));
    emit(t, "HeapValidate", (uintptr_t)heap, args, ok ? "1" : "0", 0);
}

static size_t random_size(void)
{
    uint64_t r = next_random() % 100;
    if (r < 80)
        return (size_t)(next_random() % 512);
    if (r < 95)
        return (size_t)(512 + next_random() % 60000);
    if (r < 99)
        return (size_t)(70000 + next_random() % 300000);
    return (size_t)(600000 + next_random() % 2000000);
}

static int write_trace(const char *path)
{
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_heap_platform platform = km_host_platform(&pages);
    tracer t = {0};
    km_heap *heaps[3];
    /* heaps[0] is the process heap: the trace never creates it. */
    if (km_heap_create(&platform, 0, 0, 0, &heaps[0]) != KM_OK ||
        km_heap_create(&platform, 0, 0, 1, &heaps[1]) != KM_OK ||
        km_heap_create(&platform, 0, 4u << 20, 0, &heaps[2]) != KM_OK)
        return fail("cannot create the heaps");
    char result[40];
    emit(&t, "HeapCreate", 0, "\"options\":1,\"initial\":0,\"maximum\":0",
         address_text(result, sizeof result, heaps[1]), 0);
    emit(&t, "HeapCreate", 0, "\"options\":0,\"initial\":0,\"maximum\":4194304",
         address_text(result, sizeof result, heaps[2]), 0);
    static live_block live[4096];
    size_t count = 0;
    void *freed = NULL;
    for (int op = 0; op < 3000; op++) {
        uint64_t r = next_random() % 100;
        km_heap *heap = heaps[next_random() % 3];
        if (r < 45 || count == 0) {
            void *block = traced_alloc(&t, heap, next_random() % 4 ? 0 : 8, random_size());
            if (block && count < 4096)
                live[count++] = (live_block){heap, block};
        } else if (r < 75) {
            size_t i = (size_t)(next_random() % count);
            traced_free(&t, live[i].heap, live[i].block);
            freed = live[i].block;
            live[i] = live[--count];
        } else if (r < 85) {
            size_t i = (size_t)(next_random() % count);
            unsigned flags = next_random() % 3 ? 0 : 0x10;
            void *moved = traced_realloc(&t, live[i].heap, flags, live[i].block, random_size());
            if (moved)
                live[i].block = moved;
        } else if (r < 92) {
            size_t i = (size_t)(next_random() % count);
            traced_size(&t, live[i].heap, live[i].block);
        } else if (r < 95 && freed) {
            traced_size(&t, heaps[0], freed); /* fails: freed, or another heap's */
            traced_free(&t, heaps[0], (char *)live[0].block + 8); /* fails: interior */
        } else if (r < 98) {
            traced_validate(&t, heap, next_random() % 2 ? NULL : live[0].block);
        } else {
            char value[32];
            snprintf(value, sizeof value, "%zu", km_heap_compact(heap, 0));
            emit(&t, "HeapCompact", (uintptr_t)heap, "\"flags\":0", value, 0);
        }
    }
    /* A request too big for the fixed heap fails, in the trace and in its replay. */
    traced_alloc(&t, heaps[2], 0, 2u << 20);
    km_heap_destroy(heaps[1]);
    emit(&t, "HeapDestroy", (uintptr_t)heaps[1], "", "1", 0);
    emit(&t, "HeapDestroy", (uintptr_t)heaps[0], "", "0", 6); /* the process heap stays */
    km_heap_destroy(heaps[0]);
    km_heap_destroy(heaps[2]);
    return write_lines(&t, path);
}

static int write_double_free(const char *path)
{
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_heap_platform platform = km_host_platform(&pages);
    tracer t = {0};
    km_heap *heap;
    if (km_heap_create(&platform, 0, 0, 0, &heap) != KM_OK)
        return fail("cannot create the heap");
    void *a = traced_alloc(&t, heap, 0, 100);
    void *b = traced_alloc(&t, heap, 0, 200);
    traced_free(&t, heap, a);
    traced_size(&t, heap, b);
    traced_free(&t, heap, a); /* the double free */
    km_heap_destroy(heap);
    return write_lines(&t, path);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "snapshot") == 0) {
        kh_built built;
        if (!kh_build_heaps(&built) || !kh_build_write(&built, argv[2]))
            return fail("cannot build or write the snapshot");
        kh_build_release(&built);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "diff") == 0)
        return write_diff(argv[2], argv[3], argv[4]);
    if (argc == 3 && strcmp(argv[1], "trace") == 0)
        return write_trace(argv[2]);
    if (argc == 3 && strcmp(argv[1], "double-free") == 0)
        return write_double_free(argv[2]);
    return fail("usage: kh_fixture snapshot OUT | diff OLD NEW LIST | trace OUT | "
                "double-free OUT");
}
