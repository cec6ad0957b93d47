/*
 * km-heap stats SNAPSHOT: a summary in the spirit of WinDbg's !heap -s.
 *
 * Per heap: its handle, flags, totals, segments and large blocks; then a table of its size
 * classes (runs, blocks, busy, free and quarantined, the bytes busy blocks requested and the
 * bytes the runs commit); then fragmentation, the share of committed memory that is free
 * (free run blocks and committed free slots), and the largest free stretches: the largest
 * committed one (free blocks side by side in a run, or committed free slots) and the largest
 * overall (free slots side by side, committed or not). Last, the Global/Local handle table.
 */
#include "kh_cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct class_row {
    uint64_t block_size;
    uint64_t runs, blocks, busy, free, quarantined, requested, committed;
} class_row;

typedef struct stretch {
    uint64_t bytes;
    uint64_t address;
} stretch;

static void keep_larger(stretch *best, uint64_t bytes, uint64_t address)
{
    if (bytes > best->bytes)
        *best = (stretch){bytes, address};
}

typedef struct heap_figures {
    class_row *classes;
    size_t class_count;
    uint64_t spans, span_requested, span_committed, span_bytes;
    uint64_t committed_free;
    stretch committed_stretch, overall_stretch;
} heap_figures;

/* Free blocks side by side in a run, as listed (all on committed pages). */
static void run_stretches(const kh_group *group, heap_figures *f)
{
    uint64_t start = 0, bytes = 0, end = 0;
    for (size_t i = 0; i < group->block_total; i++) {
        const kh_block *block = &group->blocks[i];
        if (block->state != KH_FREED) {
            bytes = 0;
            continue;
        }
        f->committed_free += block->size;
        if (bytes && block->address == end) {
            bytes += block->size;
        } else {
            start = block->address;
            bytes = block->size;
        }
        end = block->address + block->size;
        keep_larger(&f->committed_stretch, bytes, start);
    }
}

static bool gather(const kh_heap *heap, heap_figures *f)
{
    memset(f, 0, sizeof *f);
    unsigned top = 0;
    for (size_t s = 0; s < heap->segment_count; s++)
        for (size_t g = 0; g < heap->segments[s].group_count; g++)
            if (heap->segments[s].groups[g].kind == KH_RUN &&
                heap->segments[s].groups[g].size_class >= top)
                top = heap->segments[s].groups[g].size_class + 1;
    f->classes = calloc(top ? top : 1, sizeof *f->classes);
    if (!f->classes)
        return false;
    f->class_count = top;
    for (size_t s = 0; s < heap->segment_count; s++) {
        const kh_segment *segment = &heap->segments[s];
        uint64_t free_run = 0, free_start = 0;
        for (size_t g = 0; g < segment->group_count; g++) {
            const kh_group *group = &segment->groups[g];
            uint64_t bytes = group->count * segment->slot_size;
            if (group->kind == KH_FREE) {
                if (!free_run)
                    free_start = group->address;
                free_run += bytes;
                keep_larger(&f->overall_stretch, free_run, free_start);
                f->committed_free += group->committed;
                if (group->committed)
                    keep_larger(&f->committed_stretch, group->committed, group->address);
                continue;
            }
            free_run = 0;
            if (group->kind == KH_SPAN) {
                f->spans++;
                f->span_bytes += group->blocks[0].size;
                f->span_requested += group->blocks[0].requested;
                f->span_committed += group->committed;
            } else if (group->kind == KH_RUN) {
                class_row *row = &f->classes[group->size_class];
                row->block_size = group->block_size;
                row->runs++;
                row->blocks += group->block_count;
                row->busy += group->busy_count;
                row->free += group->free_count;
                row->quarantined += group->quarantined_count;
                row->committed += group->committed;
                for (size_t b = 0; b < group->block_total; b++)
                    if (group->blocks[b].state == KH_BUSY)
                        row->requested += group->blocks[b].requested;
                run_stretches(group, f);
            }
        }
    }
    keep_larger(&f->overall_stretch, f->committed_stretch.bytes, f->committed_stretch.address);
    return true;
}

static void print_names(const char *const *names, size_t count, unsigned bits)
{
    bool any = false;
    for (size_t i = 0; i < count; i++) {
        if (bits & (1u << i)) {
            printf("%s%s", any ? "," : "", names[i]);
            any = true;
        }
    }
    if (!any)
        printf("-");
}

static void print_segment(const kh_snapshot *snapshot, const kh_segment *segment)
{
    uint64_t slots[4] = {0}, uncommitted_free = 0;
    for (size_t g = 0; g < segment->group_count; g++) {
        slots[segment->groups[g].kind] += segment->groups[g].count;
        if (segment->groups[g].kind == KH_FREE && !segment->groups[g].committed)
            uncommitted_free += segment->groups[g].count;
    }
    printf("  segment %-3llu 0x%llx  %10s reserved  %10s committed  %llu slots: meta %llu, "
           "run %llu, span %llu, free %llu (%llu uncommitted)\n",
           (unsigned long long)segment->index, (unsigned long long)segment->base,
           kh_bytes(segment->size).text, kh_bytes(segment->committed).text,
           (unsigned long long)segment->slot_count, (unsigned long long)slots[KH_META],
           (unsigned long long)slots[KH_RUN], (unsigned long long)slots[KH_SPAN],
           (unsigned long long)slots[KH_FREE], (unsigned long long)uncommitted_free);
    (void)snapshot;
}

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static bool print_heap(const kh_snapshot *snapshot, const kh_heap *heap)
{
    static const char *const flags[] = {"no_serialize", "executable"};
    static const char *const debug[] = {"tail", "free", "validate_all", "page"};
    heap_figures f;
    if (!gather(heap, &f))
        return false;
    printf("\nHeap 0x%llx%s  flags ", (unsigned long long)heap->handle,
           heap->process_heap ? " (process heap)" : "");
    print_names(flags, 2, heap->flags);
    printf("  debug ");
    print_names(debug, 4, heap->debug);
    if (heap->maximum && heap->slot_size != snapshot->slot_size)
        printf("  maximum %s, %llu-byte slots\n", kh_bytes(heap->maximum).text,
               (unsigned long long)heap->slot_size);
    else if (heap->maximum)
        printf("  maximum %s\n", kh_bytes(heap->maximum).text);
    else
        printf("  growable\n");
    printf("  reserved %llu (%s)  committed %llu (%s)  requested %llu (%s)\n",
           (unsigned long long)heap->reserved, kh_bytes(heap->reserved).text,
           (unsigned long long)heap->committed, kh_bytes(heap->committed).text,
           (unsigned long long)heap->requested, kh_bytes(heap->requested).text);
    uint64_t large_reserved = 0, large_committed = 0, large_requested = 0;
    for (size_t i = 0; i < heap->large_count; i++) {
        large_reserved += heap->large[i].reserved;
        large_committed += heap->large[i].committed;
        large_requested += heap->large[i].requested;
    }
    printf("  segments %zu, large blocks %zu (%s reserved, %s committed, %s requested)",
           heap->segment_count, heap->large_count, kh_bytes(large_reserved).text,
           kh_bytes(large_committed).text, kh_bytes(large_requested).text);
    if (heap->quarantine_limit)
        printf(", quarantine %llu blocks, %s of %s\n", (unsigned long long)heap->quarantine_blocks,
               kh_bytes(heap->quarantine_bytes).text, kh_bytes(heap->quarantine_limit).text);
    else
        printf(", no quarantine\n");
    if (!heap->complete)
        printf("  (the snapshot has this heap's totals only: its owner serializes it)\n");
    for (size_t s = 0; s < heap->segment_count; s++)
        print_segment(snapshot, &heap->segments[s]);

    printf("  %5s %8s %5s %8s %8s %8s %6s %12s %12s\n", "class", "block", "runs", "blocks", "busy",
           "free", "quar", "requested", "committed");
    for (size_t c = 0; c < f.class_count; c++) {
        const class_row *row = &f.classes[c];
        if (!row->runs)
            continue;
        printf("  %5zu %8llu %5llu %8llu %8llu %8llu %6llu %12llu %12llu\n", c,
               (unsigned long long)row->block_size, (unsigned long long)row->runs,
               (unsigned long long)row->blocks, (unsigned long long)row->busy,
               (unsigned long long)row->free, (unsigned long long)row->quarantined,
               (unsigned long long)row->requested, (unsigned long long)row->committed);
    }
    if (f.spans)
        printf("  %5s %8s %5llu %8s %8llu %8s %6s %12llu %12llu\n", "spans", "-",
               (unsigned long long)f.spans, "-", (unsigned long long)f.spans, "-", "-",
               (unsigned long long)f.span_requested, (unsigned long long)f.span_committed);
    if (heap->large_count)
        printf("  %5s %8s %5zu %8s %8zu %8s %6s %12llu %12llu\n", "large", "-", heap->large_count,
               "-", heap->large_count, "-", "-", (unsigned long long)large_requested,
               (unsigned long long)large_committed);
    printf("  fragmentation: %llu free of %llu committed bytes (%.1f %%)\n",
           (unsigned long long)f.committed_free, (unsigned long long)heap->committed,
           percent(f.committed_free, heap->committed));
    printf("  largest free: committed %s", kh_bytes(f.committed_stretch.bytes).text);
    if (f.committed_stretch.bytes)
        printf(" at 0x%llx", (unsigned long long)f.committed_stretch.address);
    printf(", overall %s", kh_bytes(f.overall_stretch.bytes).text);
    if (f.overall_stretch.bytes)
        printf(" at 0x%llx", (unsigned long long)f.overall_stretch.address);
    printf("\n");
    free(f.classes);
    return true;
}

static void print_handles(const kh_snapshot *snapshot)
{
    uint64_t moveable = 0, locked = 0, discarded = 0, bytes = 0;
    for (size_t i = 0; i < snapshot->handle_count; i++) {
        const kh_handle *handle = &snapshot->handles[i];
        moveable += (handle->flags & KH_HANDLE_MOVEABLE) != 0;
        locked += handle->locks != 0;
        discarded += !handle->has_pointer || (handle->flags & KH_HANDLE_DISCARDED);
        bytes += handle->size;
    }
    printf("\nHandle table: %zu entries in use (%llu moveable, %llu locked, %llu discarded), "
           "%s of data\n",
           snapshot->handle_count, (unsigned long long)moveable, (unsigned long long)locked,
           (unsigned long long)discarded, kh_bytes(bytes).text);
}

int kh_stats_main(int argc, char **argv)
{
    if (argc != 2) {
        kh_error("usage: km-heap stats SNAPSHOT");
        return KH_EXIT_USAGE;
    }
    kh_snapshot snapshot;
    if (!kh_load(argv[1], &snapshot))
        return KH_EXIT_USAGE;
    uint64_t reserved = 0, committed = 0, requested = 0;
    for (size_t h = 0; h < snapshot.heap_count; h++) {
        reserved += snapshot.heaps[h].reserved;
        committed += snapshot.heaps[h].committed;
        requested += snapshot.heaps[h].requested;
    }
    printf("snapshot of pid %llu by %s (%s): %u-bit, %llu-byte pages, %llu-byte slots\n",
           (unsigned long long)snapshot.pid, snapshot.producer, snapshot.reason,
           snapshot.pointer_bits, (unsigned long long)snapshot.page_size,
           (unsigned long long)snapshot.slot_size);
    printf("%zu heaps: reserved %s, committed %s, requested %s\n", snapshot.heap_count,
           kh_bytes(reserved).text, kh_bytes(committed).text, kh_bytes(requested).text);
    int status = KH_EXIT_OK;
    for (size_t h = 0; h < snapshot.heap_count && status == KH_EXIT_OK; h++) {
        if (!print_heap(&snapshot, &snapshot.heaps[h])) {
            kh_error("out of memory");
            status = KH_EXIT_FAILED;
        }
    }
    if (status == KH_EXIT_OK)
        print_handles(&snapshot);
    kh_snapshot_release(&snapshot);
    return status;
}
