/*
 * Spans: a block too big for a run takes whole slots of a segment to itself.
 *
 * The block starts KM_BLOCK_LEAD bytes into its first slot, like a run's first block, and only
 * the pages up to the end of its data (and of its fence, block_fence.h, in tail checking) are
 * committed. Its size is kept in its run record, out of its reach. A span
 * grows in place into free slots that follow it and gives its trailing slots back when it
 * shrinks.
 */
#include "core/heap_types.h"

static size_t span_bytes(size_t size)
{
    return KM_BLOCK_LEAD + size;
}

static size_t slots_for(const km_heap *heap, size_t size)
{
    return km_heap_slots_for(heap, span_bytes(size));
}

void *km_span_alloc_locked(km_heap *heap, size_t size, size_t reach, km_status *status)
{
    size_t slots = slots_for(heap, size + reach);
    km_segment *segment;
    size_t slot;
    *status = km_heap_take_slots_locked(heap, slots, span_bytes(size + reach), KM_SLOT_SPAN,
                                        &segment, &slot);
    if (*status != KM_OK)
        return NULL;
    km_run *record = km_segment_run_record(segment, slot);
    *record = (km_run){
        .segment = segment,
        .first_block = km_slot_address(segment, slot) + KM_BLOCK_LEAD,
        .block_size = (uint32_t)((slots << heap->slot_shift) - KM_BLOCK_LEAD),
        .block_count = 1,
        .size_class = KM_SPAN_CLASS,
        .head_slot = (uint32_t)slot,
        .span_requested = size,
    };
    return (void *)record->first_block;
}

void km_span_free_locked(km_heap *heap, const km_block_ref *ref)
{
    (void)heap;
    km_segment_give_slots_locked(ref->segment, ref->run->head_slot);
}

bool km_span_resize_locked(km_heap *heap, const km_block_ref *ref, size_t size, size_t reach)
{
    km_run *record = ref->run;
    km_segment *segment = ref->segment;
    size_t slot = record->head_slot;
    size_t count = segment->slots[slot].span;
    size_t wanted = slots_for(heap, size + reach);
    if (wanted > count) {
        if (!km_segment_extend_span_locked(segment, slot, wanted, span_bytes(size + reach)))
            return false;
    } else {
        if (km_segment_commit_slots_locked(segment, slot, wanted, span_bytes(size + reach)) !=
            KM_OK)
            return false;
        km_segment_shrink_span_locked(segment, slot, wanted);
    }
    record->block_size = (uint32_t)((wanted << heap->slot_shift) - KM_BLOCK_LEAD);
    record->span_requested = size;
    return true;
}
