/*
 * A whole heap walk, checked against the model and against the order heap.h and the heap's
 * essay promise: each region entry, then that region's entries in address order, none reaching
 * into the next or out of the region; after the last region, the blocks that live in
 * reservations of their own (busy ones only), in address order, inside no region. The walk's
 * busy entries must be exactly the live blocks, with their requested sizes.
 */
#include "shadow.h"

#include <stdlib.h>

/* A heap walk that goes on longer than this is taken not to end. */
#define WALK_ENTRIES_LIMIT ((size_t)1 << 22)
/* More regions than a heap can have segments (128). */
#define REGIONS_LIMIT 256

typedef struct extent {
    uintptr_t start;
    size_t size;
} extent;

static extent walked_busy[SHADOW_BLOCKS_PER_HEAP];
static extent live[SHADOW_BLOCKS_PER_HEAP];
static extent regions[REGIONS_LIMIT];

static int by_start(const void *a, const void *b)
{
    uintptr_t x = ((const extent *)a)->start, y = ((const extent *)b)->start;
    return (x > y) - (x < y);
}

static bool in_any_region(uintptr_t address, size_t region_count)
{
    for (size_t i = 0; i < region_count; i++)
        if (address >= regions[i].start && address - regions[i].start < regions[i].size)
            return true;
    return false;
}

static void check_region_entry(const km_walk_entry *entry, size_t region_count)
{
    uintptr_t start = (uintptr_t)entry->data;
    uintptr_t first = (uintptr_t)entry->first_block, end = (uintptr_t)entry->last_block;
    shadow_require(region_count < REGIONS_LIMIT, "the walk shows more than %d regions",
                   REGIONS_LIMIT);
    shadow_require(entry->region_index == region_count, "region entry %zu has index %u",
                   region_count, entry->region_index);
    shadow_require(start + entry->size <= first && first <= end,
                   "region %p: header of %zu bytes, blocks from %p to %p", entry->data, entry->size,
                   entry->first_block, entry->last_block);
    shadow_require(region_count == 0 ||
                       start >= regions[region_count - 1].start + regions[region_count - 1].size,
                   "region %p starts inside or before the region before it", entry->data);
    shadow_require(entry->committed + entry->uncommitted == end - start,
                   "region %p: %zu committed and %zu uncommitted bytes in %zu", entry->data,
                   entry->committed, entry->uncommitted, (size_t)(end - start));
}

size_t shadow_check_walk(shadow_heap *heap)
{
    km_walk_entry entry = {0};
    size_t entries = 0, busy = 0, region_count = 0;
    bool past_regions = false;
    uintptr_t region_end = 0, next_free = 0;
    km_status status;
    while ((status = km_heap_walk(heap->heap, &entry)) == KM_OK) {
        shadow_require(++entries < WALK_ENTRIES_LIMIT, "the walk does not end");
        uintptr_t start = (uintptr_t)entry.data;
        if (entry.kind == KM_WALK_REGION) {
            shadow_require(!past_regions, "region %p comes after a block outside every region",
                           entry.data);
            check_region_entry(&entry, region_count);
            region_end = (uintptr_t)entry.last_block;
            regions[region_count++] = (extent){start, region_end - start};
            next_free = (uintptr_t)entry.first_block;
            continue;
        }
        shadow_require(region_count > 0, "the walk does not start with a region");
        if (!past_regions && (start < regions[region_count - 1].start || start >= region_end)) {
            past_regions = true;
            next_free = 0;
        }
        if (past_regions) {
            shadow_require(entry.kind == KM_WALK_BUSY && !in_any_region(start, region_count),
                           "entry %p (kind %d) after the regions is not a block of its own",
                           entry.data, entry.kind);
            shadow_require(entry.region_index == KM_WALK_LARGE_REGION_INDEX && !entry.overhead,
                           "large block %p has region %u and overhead %zu", entry.data,
                           entry.region_index, entry.overhead);
        } else {
            shadow_require(entry.region_index == region_count - 1 &&
                               entry.size <= region_end - start,
                           "entry %p (kind %d, %zu bytes) does not fit region %zu", entry.data,
                           entry.kind, entry.size, region_count - 1);
        }
        shadow_require(start >= next_free,
                       "entry %p (kind %d, %zu bytes) overlaps or precedes the one before",
                       entry.data, entry.kind, entry.size);
        next_free = start + entry.size;
        if (entry.kind == KM_WALK_BUSY) {
            shadow_require(busy < heap->count, "the walk shows more than the %zu live blocks",
                           heap->count);
            walked_busy[busy++] = (extent){start, entry.size};
        }
    }
    shadow_require(status == KM_NO_MORE_ITEMS, "the walk ends with status %d after %zu entries",
                   status, entries);
    shadow_require(busy == heap->count, "the walk shows %zu busy blocks; %zu are live", busy,
                   heap->count);
    for (size_t i = 0; i < heap->count; i++)
        live[i] = (extent){(uintptr_t)heap->blocks[i].data, heap->blocks[i].size};
    qsort(walked_busy, busy, sizeof walked_busy[0], by_start);
    qsort(live, busy, sizeof live[0], by_start);
    for (size_t i = 0; i < busy; i++)
        shadow_require(walked_busy[i].start == live[i].start && walked_busy[i].size == live[i].size,
                       "the walk shows a busy block %#lx of %zu bytes where the live block is "
                       "%#lx of %zu bytes",
                       (unsigned long)walked_busy[i].start, walked_busy[i].size,
                       (unsigned long)live[i].start, live[i].size);
    return entries;
}
