/*
 * km-heap diff OLD NEW [--svg OUT.svg]: what grew between two snapshots, after UMDH.
 *
 * Heaps are matched by handle. For each heap: busy blocks, the bytes they requested, committed
 * and reserved bytes, old -> new and the change; then the size classes (and spans and large
 * blocks) whose figures changed. Last, the blocks busy in NEW that were not busy at the same
 * address with the same requested size in OLD: the "new and still live" blocks, the first
 * KH_LISTED of them listed, with their total. --svg draws NEW's map with those blocks
 * highlighted.
 */
#include "kh_cli.h"
#include "kh_query.h"
#include "kh_svg.h"

#include <stdlib.h>
#include <string.h>

#define KH_LISTED 50

/* Figures per class; the two rows after the classes are spans and large blocks. */
typedef struct figures {
    uint64_t busy, requested, committed;
} figures;

#define KH_CLASSES 0x10000u
#define KH_SPAN_ROW KH_CLASSES
#define KH_LARGE_ROW (KH_CLASSES + 1)
#define KH_ROWS (KH_CLASSES + 2)

static void add_heap(const kh_heap *heap, figures *rows, uint64_t *block_sizes)
{
    for (size_t s = 0; s < heap->segment_count; s++) {
        const kh_segment *segment = &heap->segments[s];
        for (size_t g = 0; g < segment->group_count; g++) {
            const kh_group *group = &segment->groups[g];
            figures *row;
            if (group->kind == KH_RUN) {
                row = &rows[group->size_class];
                block_sizes[group->size_class] = group->block_size;
                row->busy += group->busy_count;
            } else if (group->kind == KH_SPAN) {
                row = &rows[KH_SPAN_ROW];
                row->busy += group->blocks[0].state == KH_BUSY;
            } else {
                continue;
            }
            row->committed += group->committed;
            for (size_t b = 0; b < group->block_total; b++)
                if (group->blocks[b].state == KH_BUSY)
                    row->requested += group->blocks[b].requested;
        }
    }
    for (size_t i = 0; i < heap->large_count; i++) {
        rows[KH_LARGE_ROW].busy++;
        rows[KH_LARGE_ROW].requested += heap->large[i].requested;
        rows[KH_LARGE_ROW].committed += heap->large[i].committed;
    }
}

static void sum_rows(const figures *rows, figures *total)
{
    memset(total, 0, sizeof *total);
    for (size_t i = 0; i < KH_ROWS; i++) {
        total->busy += rows[i].busy;
        total->requested += rows[i].requested;
    }
}

static long long delta(uint64_t old, uint64_t new)
{
    return (long long)(new - old);
}

static void print_change(const char *what, uint64_t old, uint64_t new)
{
    printf("  %-10s %14llu -> %-14llu (%+lld)\n", what, (unsigned long long)old,
           (unsigned long long)new, delta(old, new));
}

/* Compares one heap (either side may be NULL: the heap exists in one snapshot only). */
static void diff_heap(const kh_heap *old, const kh_heap *new, figures *old_rows, figures *new_rows,
                      uint64_t *block_sizes)
{
    static const kh_heap none;
    memset(old_rows, 0, KH_ROWS * sizeof *old_rows);
    memset(new_rows, 0, KH_ROWS * sizeof *new_rows);
    if (old)
        add_heap(old, old_rows, block_sizes);
    if (new)
        add_heap(new, new_rows, block_sizes);
    figures old_total, new_total;
    sum_rows(old_rows, &old_total);
    sum_rows(new_rows, &new_total);
    const kh_heap *either = new ? new : old;
    printf("\nHeap 0x%llx%s%s\n", (unsigned long long)either->handle,
           either->process_heap ? " (process heap)" : "",
           !old   ? ": new"
           : !new ? ": destroyed"
                  : "");
    old = old ? old : &none;
    new = new ? new : &none;
    print_change("busy", old_total.busy, new_total.busy);
    print_change("requested", old_total.requested, new_total.requested);
    print_change("committed", old->committed, new->committed);
    print_change("reserved", old->reserved, new->reserved);
    bool header = false;
    for (size_t i = 0; i < KH_ROWS; i++) {
        const figures *a = &old_rows[i], *b = &new_rows[i];
        if (a->busy == b->busy && a->requested == b->requested && a->committed == b->committed)
            continue;
        if (!header) {
            printf("  %-6s %8s %18s %24s %24s\n", "class", "block", "busy (+/-)", "requested (+/-)",
                   "committed (+/-)");
            header = true;
        }
        char name[16], block[24];
        if (i == KH_SPAN_ROW || i == KH_LARGE_ROW) {
            snprintf(name, sizeof name, "%s", i == KH_SPAN_ROW ? "spans" : "large");
            snprintf(block, sizeof block, "-");
        } else {
            snprintf(name, sizeof name, "%zu", i);
            snprintf(block, sizeof block, "%llu", (unsigned long long)block_sizes[i]);
        }
        printf("  %-6s %8s %8llu (%+7lld) %12llu (%+9lld) %12llu (%+9lld)\n", name, block,
               (unsigned long long)b->busy, delta(a->busy, b->busy),
               (unsigned long long)b->requested, delta(a->requested, b->requested),
               (unsigned long long)b->committed, delta(a->committed, b->committed));
    }
}

static const char *busy_kind(const kh_busy *block, char *text, size_t size)
{
    if (block->kind == KH_BUSY_RUN)
        snprintf(text, size, "class %u (%llu)", block->size_class, (unsigned long long)block->size);
    else
        snprintf(text, size, "%s", block->kind == KH_BUSY_SPAN ? "span" : "large");
    return text;
}

/* The new-and-live blocks' addresses, sorted, into *addresses; false when memory ran out. */
static bool list_new_blocks(const kh_snapshot *old, const kh_snapshot *new, uint64_t **addresses,
                            size_t *count)
{
    kh_busy *old_busy = NULL, *new_busy = NULL;
    size_t old_count = 0, new_count = 0;
    if (!kh_collect_busy(old, &old_busy, &old_count) ||
        !kh_collect_busy(new, &new_busy, &new_count)) {
        free(old_busy);
        return false;
    }
    uint64_t *found = malloc((new_count ? new_count : 1) * sizeof *found);
    if (!found) {
        free(old_busy);
        free(new_busy);
        return false;
    }
    size_t n = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < new_count; i++) {
        const kh_busy *block = &new_busy[i];
        const kh_busy *before = kh_find_busy(old_busy, old_count, block->address);
        if (before && before->requested == block->requested)
            continue;
        if (n < KH_LISTED) {
            if (n == 0)
                printf("\n%-18s %12s  %-18s %s\n", "new and live", "requested", "heap", "kind");
            char kind[48];
            printf("0x%-16llx %12llu  0x%-16llx %s\n", (unsigned long long)block->address,
                   (unsigned long long)block->requested,
                   (unsigned long long)new->heaps[block->heap].handle,
                   busy_kind(block, kind, sizeof kind));
        }
        found[n++] = block->address;
        bytes += block->requested;
    }
    printf("%s%zu blocks new and still live, %llu bytes requested (%s)%s\n", n ? "" : "\n", n,
           (unsigned long long)bytes, kh_bytes(bytes).text,
           n > KH_LISTED ? "; the first 50 are listed" : "");
    free(old_busy);
    free(new_busy);
    *addresses = found;
    *count = n;
    return true;
}

static bool diff(const kh_snapshot *old, const kh_snapshot *new)
{
    figures *old_rows = calloc(KH_ROWS, sizeof *old_rows);
    figures *new_rows = calloc(KH_ROWS, sizeof *new_rows);
    uint64_t *block_sizes = calloc(KH_CLASSES, sizeof *block_sizes);
    bool ok = old_rows && new_rows && block_sizes;
    for (size_t h = 0; ok && h < new->heap_count; h++)
        diff_heap(kh_find_heap(old, new->heaps[h].handle), &new->heaps[h], old_rows, new_rows,
                  block_sizes);
    for (size_t h = 0; ok && h < old->heap_count; h++)
        if (!kh_find_heap(new, old->heaps[h].handle))
            diff_heap(&old->heaps[h], NULL, old_rows, new_rows, block_sizes);
    free(old_rows);
    free(new_rows);
    free(block_sizes);
    return ok;
}

int kh_diff_main(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL}, *svg = NULL;
    int given = 0;
    bool bad = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc)
            svg = argv[++i];
        else if (given < 2 && (argv[i][0] != '-' || argv[i][1] == '\0'))
            paths[given++] = argv[i];
        else
            bad = true;
    }
    if (bad || given != 2) {
        kh_error("usage: km-heap diff OLD NEW [--svg OUT.svg]");
        return KH_EXIT_USAGE;
    }
    kh_snapshot old, new;
    if (!kh_load(paths[0], &old))
        return KH_EXIT_USAGE;
    if (!kh_load(paths[1], &new)) {
        kh_snapshot_release(&old);
        return KH_EXIT_USAGE;
    }
    int status = KH_EXIT_OK;
    uint64_t *added = NULL;
    size_t added_count = 0;
    printf("diff %s -> %s\n", paths[0], paths[1]);
    if (!diff(&old, &new) || !list_new_blocks(&old, &new, &added, &added_count)) {
        kh_error("out of memory");
        status = KH_EXIT_FAILED;
    }
    if (status == KH_EXIT_OK && svg) {
        FILE *out = kh_open_output(svg);
        if (!out) {
            status = KH_EXIT_FAILED;
        } else {
            bool drawn =
                kh_svg_map(out, &new, "heap map, new blocks highlighted", added, added_count);
            if (!drawn)
                kh_error("out of memory");
            if (!kh_close_output(out, svg) || !drawn)
                status = KH_EXIT_FAILED;
        }
    }
    free(added);
    kh_snapshot_release(&old);
    kh_snapshot_release(&new);
    return status;
}
