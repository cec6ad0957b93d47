/*
 * Where a pointer is: from an address to its segment, slot, run and block, deciding from the
 * heap's own tables alone whether it is a busy block of the heap, before anything of the block
 * is read (heap.c's INVARIANTS). Inline, for heap.c's calls and the fast paths: a lookup is most
 * of what a free costs.
 *
 * The address leads to its segment through the page provider's owner map (two loads) or, for a
 * provider without one, a binary search of the heap's segments; to its slot by a shift; to the
 * head of the run or span it lies in through the slot's descriptor; to its block's index by a
 * multiplication (the block size's reciprocal, kept in the descriptor beside it); and to whether
 * the block is busy by one bit of the run's free map. Only a pointer that passes all of these
 * is read: its size code and guard when the caller needs its size, its seal too when the heap
 * checks everything (slack_code.h).
 */
#ifndef KM_CORE_BLOCK_LOOKUP_H
#define KM_CORE_BLOCK_LOOKUP_H

#include "core/align.h"
#include "core/block_fence.h"
#include "core/heap_types.h"
#include "core/slack_code.h"

static inline __attribute__((always_inline)) km_segment *km_lookup_segment(km_heap *heap,
                                                                           uintptr_t address)
{
    if (heap->pages->owner_map) {
        km_segment *segment = km_pages_owner(heap->pages->owner_map, address);
        return segment && segment->heap == heap ? segment : NULL;
    }
    size_t low = 0, high = heap->segment_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        km_segment *segment = heap->segments[middle];
        if (address < segment->base)
            high = middle;
        else if (address - segment->base >= segment->size)
            low = middle + 1;
        else
            return segment;
    }
    return NULL;
}

static inline bool km_has_fences(const km_heap *heap)
{
    return __builtin_expect((heap->debug & (KM_HEAP_DEBUG_TAIL | KM_HEAP_DEBUG_PAGE)) != 0, 0);
}

/* The fence of a span or large block; none for a run's block, whose slack code guards it. */
static inline km_fence km_fence_of_block(const km_heap *heap, const km_block_ref *ref)
{
    if (!ref->segment)
        return km_large_fence(heap, &heap->large.blocks[ref->large_index]);
    if (ref->run->size_class == KM_SPAN_CLASS)
        return km_span_fence(heap, ref->run);
    return (km_fence){0};
}

/* The head slot of the run or span data lies in, and its kind; false when data lies in neither.
 * Reads the segment's descriptors alone. A thread cache's fast path reads them without the
 * lock, so the head found must still be a described slot whatever a racing change left. */
static inline __attribute__((always_inline)) bool
km_lookup_head_slot(const km_segment *segment, uintptr_t data, size_t *head, km_slot_kind *kind)
{
    size_t slot = km_slot_of(segment, data);
    if (!km_segment_describes(segment, slot))
        return false;
    if (segment->slots[slot].kind == KM_SLOT_TAIL)
        slot -= segment->slots[slot].span;
    if (!km_segment_describes(segment, slot))
        return false;
    *head = slot;
    *kind = segment->slots[slot].kind;
    return *kind == KM_SLOT_RUN || *kind == KM_SLOT_SPAN;
}

/* The index of the run's block at data; false when data is no whole number of blocks into the
 * run. The block size and its reciprocal come from the dense slot array, so the run record's
 * line with the free map word is fetched while the index is checked. */
static inline __attribute__((always_inline)) bool km_lookup_run_index(const km_segment *segment,
                                                                      size_t head,
                                                                      const km_run *run,
                                                                      uintptr_t data, size_t *index)
{
    uintptr_t first_block = km_slot_address(segment, head) + KM_BLOCK_LEAD;
    if (data < first_block)
        return false;
    size_t offset = data - first_block;
    const km_slot *slot = &segment->slots[head];
    *index = km_run_index(offset, slot->run.reciprocal);
    __builtin_prefetch(&run->maps[*index / 64 % KM_RUN_MAP_WORDS].free);
    return offset == *index * slot->run.block_size && *index < run->block_count;
}

/* What a lookup reads of a run block, once the heap's tables say it is a busy one
 * (slack_code.h): nothing (a free, which needs no size: the caller checks the guard of the block
 * before it), its code and guard (size and realloc, which need the size), or all that and its
 * seal (validation, and every call in the debug modes and with a quarantine). */
typedef enum km_block_reading {
    KM_READ_NOTHING,
    KM_READ_CODE,
    KM_READ_SEAL,
} km_block_reading;

static inline km_block_reading km_block_reading_for(const km_heap *heap,
                                                    km_block_reading in_default_mode)
{
    return __builtin_expect(heap->debug != 0 || heap->quarantine.limit != 0, 0) ? KM_READ_SEAL
                                                                                : in_default_mode;
}

/* Where data is in the heap (heap_types.h's km_block_ref), or why it is no busy block of it.
 * A run block's ref->requested is its size unless reading is KM_READ_NOTHING. Inline into free,
 * size and realloc: it is most of what a free costs. */
static inline __attribute__((always_inline)) km_status
km_lookup_block(km_heap *heap, uintptr_t data, km_block_reading reading, km_block_ref *ref)
{
    if (!km_is_aligned(data, KM_BLOCK_ALIGNMENT))
        return KM_INVALID_POINTER;
    km_segment *segment = km_lookup_segment(heap, data);
    if (!segment) {
        size_t index;
        if (!km_large_find_locked(&heap->large, data, &index))
            return KM_INVALID_POINTER;
        const km_large_block *block = &heap->large.blocks[index];
        *ref = (km_block_ref){.large_index = index,
                              .requested = block->requested,
                              .capacity = block->reserved - block->data_offset};
        return km_has_fences(heap) && !km_fence_is_intact(km_fence_of_block(heap, ref))
                   ? KM_CORRUPTED
                   : KM_OK;
    }

    size_t slot;
    km_slot_kind kind;
    if (!km_lookup_head_slot(segment, data, &slot, &kind))
        return KM_INVALID_POINTER;
    km_run *run = km_segment_run_record(segment, slot);
    if (kind == KM_SLOT_SPAN) {
        if (data != km_slot_address(segment, slot) + KM_BLOCK_LEAD)
            return KM_INVALID_POINTER;
        *ref = (km_block_ref){.segment = segment,
                              .run = run,
                              .block = data,
                              .requested = run->span_requested,
                              .capacity = run->block_size};
        return km_has_fences(heap) && !km_fence_is_intact(km_fence_of_block(heap, ref))
                   ? KM_CORRUPTED
                   : KM_OK;
    }
    size_t index;
    if (!km_lookup_run_index(segment, slot, run, data, &index))
        return KM_INVALID_POINTER;
    if (km_run_is_block_free(run, index))
        return KM_FREED;
    size_t requested = 0;
    km_status status = KM_OK;
    if (reading == KM_READ_SEAL)
        status = km_run_requested_sealed_locked(heap, run, index, data, &requested);
    else if (reading == KM_READ_CODE)
        status = km_run_requested_locked(heap, run, index, data, &requested);
    if (status != KM_OK)
        return KM_CORRUPTED;
    *ref = (km_block_ref){.segment = segment,
                          .run = run,
                          .index = index,
                          .block = data,
                          .requested = requested,
                          .capacity = run->block_size};
    return KM_OK;
}

#endif
