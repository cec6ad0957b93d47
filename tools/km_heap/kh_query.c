/*
 * Address lookup and the busy-block list (kh_query.h). Heaps' segments are in address order and
 * a segment's groups in slot order, so a lookup is a few binary searches; a run's block is found
 * by arithmetic from its first block, then looked up among the listed ones.
 */
#include "kh_query.h"

#include <stdlib.h>
#include <string.h>

static const kh_segment *segment_of(const kh_heap *heap, uint64_t address)
{
    size_t low = 0, high = heap->segment_count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        const kh_segment *segment = &heap->segments[mid];
        if (address < segment->base)
            high = mid;
        else if (address >= kh_segment_end(segment))
            low = mid + 1;
        else
            return segment;
    }
    return NULL;
}

static const kh_group *group_of(const kh_segment *segment, uint64_t slot)
{
    size_t low = 0, high = segment->group_count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        const kh_group *group = &segment->groups[mid];
        if (slot < group->first)
            high = mid;
        else if (slot >= group->first + group->count)
            low = mid + 1;
        else
            return group;
    }
    return NULL;
}

static const kh_block *listed_block(const kh_group *group, uint64_t address)
{
    size_t low = 0, high = group->block_total;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (address < group->blocks[mid].address)
            high = mid;
        else if (address > group->blocks[mid].address)
            low = mid + 1;
        else
            return &group->blocks[mid];
    }
    return NULL;
}

static void locate_in_group(const kh_group *group, uint64_t address, kh_place *place)
{
    if (group->kind == KH_SPAN) {
        const kh_block *block = &group->blocks[0];
        if (address >= block->address && address - block->address < block->size)
            place->block = block;
        return;
    }
    if (group->kind != KH_RUN || address < group->first_block)
        return;
    uint64_t index = (address - group->first_block) / group->block_size;
    if (index >= group->block_count)
        return;
    place->in_blocks = true;
    place->block_start = group->first_block + index * group->block_size;
    place->block = listed_block(group, place->block_start);
}

bool kh_locate(const kh_snapshot *snapshot, uint64_t address, kh_place *place)
{
    memset(place, 0, sizeof *place);
    for (size_t h = 0; h < snapshot->heap_count; h++) {
        const kh_heap *heap = &snapshot->heaps[h];
        const kh_segment *segment = segment_of(heap, address);
        if (segment) {
            place->kind = KH_PLACE_SEGMENT;
            place->heap = h;
            place->segment = segment;
            place->slot = (address - segment->base) / segment->slot_size;
            place->group = group_of(segment, place->slot);
            locate_in_group(place->group, address, place);
            return true;
        }
        for (size_t i = 0; i < heap->large_count; i++) {
            const kh_large *large = &heap->large[i];
            if (address >= large->base && address - large->base < large->reserved) {
                place->kind = KH_PLACE_LARGE;
                place->heap = h;
                place->large = large;
                return true;
            }
        }
    }
    return false;
}

typedef struct busy_list {
    kh_busy *items;
    size_t count, capacity;
} busy_list;

static bool push(busy_list *list, kh_busy item)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 256;
        kh_busy *bigger = realloc(list->items, capacity * sizeof *bigger);
        if (!bigger)
            return false;
        list->items = bigger;
        list->capacity = capacity;
    }
    list->items[list->count++] = item;
    return true;
}

static int compare_busy(const void *a, const void *b)
{
    const kh_busy *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

bool kh_collect_busy(const kh_snapshot *snapshot, kh_busy **blocks, size_t *count)
{
    busy_list list = {0};
    bool ok = true;
    for (size_t h = 0; h < snapshot->heap_count && ok; h++) {
        const kh_heap *heap = &snapshot->heaps[h];
        for (size_t s = 0; s < heap->segment_count && ok; s++) {
            const kh_segment *segment = &heap->segments[s];
            for (size_t g = 0; g < segment->group_count && ok; g++) {
                const kh_group *group = &segment->groups[g];
                for (size_t b = 0; b < group->block_total && ok; b++) {
                    const kh_block *block = &group->blocks[b];
                    if (block->state != KH_BUSY)
                        continue;
                    ok = push(&list, (kh_busy){
                                         .address = block->address,
                                         .requested = block->requested,
                                         .size = block->size,
                                         .heap = h,
                                         .kind = group->kind == KH_RUN ? KH_BUSY_RUN : KH_BUSY_SPAN,
                                         .size_class = group->size_class,
                                     });
                }
            }
        }
        for (size_t i = 0; i < heap->large_count && ok; i++) {
            const kh_large *large = &heap->large[i];
            ok = push(&list, (kh_busy){.address = large->address,
                                       .requested = large->requested,
                                       .size = large->reserved,
                                       .heap = h,
                                       .kind = KH_BUSY_LARGE});
        }
    }
    if (!ok) {
        free(list.items);
        return false;
    }
    if (list.count)
        qsort(list.items, list.count, sizeof *list.items, compare_busy);
    *blocks = list.items;
    *count = list.count;
    return true;
}

const kh_busy *kh_find_busy(const kh_busy *blocks, size_t count, uint64_t address)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (address < blocks[mid].address)
            high = mid;
        else if (address > blocks[mid].address)
            low = mid + 1;
        else
            return &blocks[mid];
    }
    return NULL;
}

const kh_heap *kh_find_heap(const kh_snapshot *snapshot, uint64_t handle)
{
    for (size_t h = 0; h < snapshot->heap_count; h++) {
        if (snapshot->heaps[h].handle == handle)
            return &snapshot->heaps[h];
    }
    return NULL;
}
