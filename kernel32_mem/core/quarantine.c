/*
 * Quarantine: freed blocks kept out of reuse for a while, for programs that use memory after
 * freeing it (as Windows' Fault Tolerant Heap and Proton's WINE_HEAP_DELAY_FREE do). With a
 * quarantine, a block freed is not handed out again until blocks worth `limit` bytes have been
 * freed after it, first in first out; until then a write through a stale pointer lands in a block
 * nobody holds, instead of in the next owner's data.
 *
 * A block in quarantine is free to every lookup (a second free is a double free, a walk shows it
 * free) but not to allocation: its bit is set in the run's free map and in its exact map, a pair
 * no other free block has while the heap keeps a quarantine, and the run's free count leaves it
 * out, so the run is not empty and not given back while it holds one. Runs' blocks only: a span's
 * or a large block's pages go back to the system at once, where a stale access faults.
 *
 * With free checking, a block is checked as it leaves: a write through a stale pointer while it
 * was held shows in its fill. A damaged block then stays held for good, out of the ring and out
 * of use, and the call that let it go reports the corruption.
 *
 * The ring of held blocks lives in a reservation of its own, doubling as it fills. When the heap
 * has no quarantine (limit 0, the default) none of this runs: allocation reads one field more.
 */
#include "core/heap_types.h"

#include <string.h>

/* Room for one more entry; false when the ring could not grow. */
static bool make_room(km_heap *heap)
{
    km_quarantine *q = &heap->quarantine;
    if (q->count < q->capacity)
        return true;
    size_t capacity = q->capacity ? q->capacity * 2 : heap->pages->granularity / sizeof(uintptr_t);
    size_t bytes = capacity * sizeof(uintptr_t);
    uintptr_t *ring = km_heap_reserve_locked(heap, bytes, bytes);
    if (!ring)
        return false;
    /* Oldest first in the new ring. */
    for (size_t i = 0; i < q->count; i++)
        ring[i] = q->blocks[(q->oldest + i) % q->capacity];
    if (q->blocks)
        km_heap_release_locked(heap, (uintptr_t)q->blocks, q->capacity * sizeof(uintptr_t),
                               q->capacity * sizeof(uintptr_t));
    q->blocks = ring;
    q->capacity = capacity;
    q->oldest = 0;
    return true;
}

/* Lets the oldest held block go: it becomes free for allocation; false when its fill was found
 * damaged, and it stays out of use. */
static bool release_oldest(km_heap *heap)
{
    km_quarantine *q = &heap->quarantine;
    uintptr_t block = q->blocks[q->oldest];
    q->oldest = (q->oldest + 1) % q->capacity;
    q->count--;
    km_segment *segment = km_heap_segment_of_locked(heap, block);
    size_t slot = km_slot_of(segment, block);
    if (segment->slots[slot].kind == KM_SLOT_TAIL)
        slot -= segment->slots[slot].span;
    km_run *run = km_segment_run_record(segment, slot);
    size_t index = km_run_index(block - run->first_block, segment->slots[slot].run.reciprocal);
    q->bytes -= run->block_size;
    if (__builtin_expect(heap->debug & KM_HEAP_DEBUG_FREE, 0) &&
        !km_run_free_block_is_intact_locked(run, index))
        return false;
    km_run_release_held_locked(heap, run, index);
    return true;
}

void km_quarantine_start_locked(km_heap *heap, size_t bytes)
{
    if (heap->quarantine.limit || !bytes)
        return;
    /* A free block's exact bit is left from its last life; from now on it would mean held. */
    for (size_t i = 0; i < heap->segment_count; i++) {
        km_segment *segment = heap->segments[i];
        for (size_t slot = segment->meta_slots; slot < segment->described; slot++) {
            if (segment->slots[slot].kind != KM_SLOT_RUN)
                continue;
            km_run *run = km_segment_run_record(segment, slot);
            for (size_t w = 0; w < heap->run_map_words; w++)
                run->maps[w].exact &= ~run->maps[w].free;
        }
    }
    heap->quarantine.limit = bytes;
}

km_status km_quarantine_hold_locked(km_heap *heap, const km_block_ref *ref)
{
    km_quarantine *q = &heap->quarantine;
    if (!make_room(heap))
        return KM_NO_MEMORY;
    km_run_hold_locked(heap, ref->run, ref->index);
    q->blocks[(q->oldest + q->count) % q->capacity] = ref->block;
    q->count++;
    q->bytes += ref->run->block_size;
    km_status status = KM_OK;
    while (q->bytes > q->limit)
        if (!release_oldest(heap))
            status = KM_CORRUPTED;
    return status;
}

void km_quarantine_release_ring(km_heap *heap)
{
    km_quarantine *q = &heap->quarantine;
    if (q->blocks)
        km_heap_release_locked(heap, (uintptr_t)q->blocks, q->capacity * sizeof(uintptr_t),
                               q->capacity * sizeof(uintptr_t));
    size_t limit = q->limit;
    memset(q, 0, sizeof *q);
    q->limit = limit;
}
