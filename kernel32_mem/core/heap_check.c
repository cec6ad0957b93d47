/*
 * Whole-heap questions: is every structure consistent (HeapValidate without a block), how much
 * is allocated, committed and reserved (HeapSummary), and giving free memory back (HeapCompact).
 * Each walks every segment, so each costs time in proportion to the heap's size, under its lock.
 */
#include "core/block_fence.h"
#include "core/heap_types.h"
#include "core/slack_code.h"
#include "core/thread_cache.h"

static bool busy_block_is_intact(const km_heap *heap, const km_run *run, size_t index)
{
    size_t requested;
    return km_run_requested_sealed_locked(
               heap, run, index, run->first_block + index * run->block_size, &requested) == KM_OK;
}

static bool run_is_consistent(const km_heap *heap, const km_segment *segment, size_t slot,
                              size_t *outsized)
{
    const km_run *run = km_segment_run_record(segment, slot);
    if (run->segment != segment || run->head_slot != slot ||
        run->first_block != km_slot_address(segment, slot) + KM_BLOCK_LEAD)
        return false;
    if (run->size_class == KM_SPAN_CLASS) {
        size_t page = heap->pages->page_size;
        size_t span = segment->slots[slot].span;
        size_t last = slot + span - 1;
        size_t committed_end = ((last - slot) << segment->slot_shift) +
                               (size_t)segment->slots[last].committed_pages * page;
        size_t requested = run->span_requested;
        size_t reach = km_fence_reach(heap);
        *outsized += requested;
        return run->block_count == 1 &&
               run->block_size == (span << segment->slot_shift) - KM_BLOCK_LEAD &&
               requested <= run->block_size - reach &&
               committed_end >= KM_BLOCK_LEAD + requested + reach &&
               km_fence_is_intact(km_span_fence(heap, run));
    }
    if (run->size_class >= KM_SIZE_CLASS_COUNT ||
        run->block_size != km_size_class_block_size(run->size_class) ||
        segment->slots[slot].run.block_size != run->block_size ||
        segment->slots[slot].run.reciprocal !=
            (uint32_t)(((uint64_t)1 << 32) / run->block_size + 1) ||
        (segment->slots[slot].span != heap->run_slots[run->size_class] &&
         (!heap->maximum ||
          segment->slots[slot].span != km_run_least_slots(heap, run->size_class))) ||
        run->block_count != km_run_blocks_in(heap, run->size_class, segment->slots[slot].span) ||
        run->free_count != km_run_count_free(heap, run))
        return false;
    for (size_t i = 0; i < run->block_count; i++)
        if (!km_run_is_block_free(run, i) && !busy_block_is_intact(heap, run, i))
            return false;
    return km_run_free_fills_are_intact_locked(heap, run);
}

/* Every slot on the retained list is free with pages committed, and the list links both ways;
 * *retained counts them. */
static bool retained_list_is_consistent(const km_segment *segment, size_t *retained)
{
    size_t newer = 0, listed = 0;
    for (size_t slot = segment->newest_retained; slot; slot = segment->slots[slot].retained.older) {
        const km_slot *s = &segment->slots[slot];
        if (!km_segment_describes(segment, slot) || s->kind != KM_SLOT_FREE ||
            !s->committed_pages || s->retained.newer != newer || ++listed > segment->described)
            return false;
        newer = slot;
    }
    size_t free_committed = 0;
    for (size_t i = segment->meta_slots; i < segment->described; i++)
        free_committed +=
            segment->slots[i].kind == KM_SLOT_FREE && segment->slots[i].committed_pages;
    *retained += listed;
    return segment->oldest_retained == newer && listed == free_committed;
}

static bool segment_is_consistent(const km_heap *heap, const km_segment *segment, size_t *outsized,
                                  size_t *runs_with_free)
{
    if (segment->heap != heap)
        return false;
    if (segment->meta_slots == 0 || segment->described < segment->meta_slots ||
        segment->described > segment->slot_count)
        return false;
    for (size_t i = segment->meta_slots; i < segment->described; i++) {
        const km_slot *slot = &segment->slots[i];
        if (slot->kind == KM_SLOT_TAIL && (slot->span == 0 || slot->span > i - segment->meta_slots))
            return false;
        if (slot->kind != KM_SLOT_RUN && slot->kind != KM_SLOT_SPAN)
            continue;
        if (slot->span == 0 || i + slot->span > segment->described)
            return false;
        for (size_t t = 1; t < slot->span; t++)
            if (segment->slots[i + t].kind != KM_SLOT_TAIL || segment->slots[i + t].span != t)
                return false;
        if (!run_is_consistent(heap, segment, i, outsized))
            return false;
        if (slot->kind == KM_SLOT_RUN && km_segment_run_record(segment, i)->free_count)
            (*runs_with_free)++;
    }
    return true;
}

/* The pool's lists hold runs of their class and bin, with a free block, that are the pool's;
 * *listed counts them. */
static bool pool_lists_are_consistent(const km_run_pool *pool, size_t runs_with_free,
                                      size_t *listed)
{
    for (unsigned c = 0; c < KM_SIZE_CLASS_COUNT; c++) {
        size_t in_class = 0;
        for (unsigned bin = 0; bin < KM_RUN_BINS; bin++)
            for (const km_run *run = pool->partial[c][bin]; run; run = run->next, in_class++)
                if (run->size_class != c || run->free_count == 0 || run->bin != bin ||
                    atomic_load_explicit(&run->pool, memory_order_relaxed) != pool ||
                    (run->next && run->next->prev != run) || *listed + in_class > runs_with_free)
                    return false;
        for (unsigned bin = 0; bin < KM_RUN_BINS; bin++)
            if (!pool->partial[c][bin] != !((pool->partial_bins[c] >> bin) & 1))
                return false;
        if (in_class != pool->partial_runs[c])
            return false;
        *listed += in_class;
    }
    return true;
}

static bool partial_lists_are_consistent(const km_heap *heap, size_t runs_with_free)
{
    size_t listed = 0;
    if (!pool_lists_are_consistent(&heap->pool, runs_with_free, &listed))
        return false;
    const km_thread_cache *caches = atomic_load_explicit(&heap->caches, memory_order_relaxed);
    for (size_t i = 0; caches && i < KM_THREAD_CACHES; i++)
        if (atomic_load_explicit(&caches[i].thread, memory_order_relaxed) &&
            !pool_lists_are_consistent(&caches[i].pool, runs_with_free, &listed))
            return false;
    return listed == runs_with_free;
}

static bool large_table_is_consistent(const km_heap *heap, size_t *outsized)
{
    const km_large_table *table = &heap->large;
    for (size_t i = 0; i < table->count; i++) {
        const km_large_block *block = &table->blocks[i];
        if ((i && block->base <= table->blocks[i - 1].base) ||
            block->requested > block->reserved - block->data_offset ||
            block->committed < block->requested + block->data_offset +
                                   (block->guarded ? 0 : km_fence_reach(heap)) ||
            !km_fence_is_intact(km_large_fence(heap, block)))
            return false;
        *outsized += block->requested;
    }
    return true;
}

bool km_heap_is_consistent_locked(const km_heap *heap)
{
    size_t outsized = 0, runs_with_free = 0, retained = 0;
    if (heap->magic != KM_HEAP_MAGIC || heap->segment_count == 0)
        return false;
    for (size_t i = 0; i < heap->segment_count; i++) {
        if (i && heap->segments[i]->base <= heap->segments[i - 1]->base)
            return false;
        if (!segment_is_consistent(heap, heap->segments[i], &outsized, &runs_with_free) ||
            !retained_list_is_consistent(heap->segments[i], &retained))
            return false;
    }
    if (retained != heap->retained_free_slots)
        return false;
    return partial_lists_are_consistent(heap, runs_with_free) &&
           large_table_is_consistent(heap, &outsized) && outsized == heap->outsized_bytes;
}

/* Calls visit for every run of the heap (fast paths stopped, or the lock held by the caller of
 * a heap without caches). */
static bool every_run(const km_heap *heap, bool (*visit)(const km_heap *, const km_run *, void *),
                      void *context)
{
    for (size_t i = 0; i < heap->segment_count; i++) {
        const km_segment *segment = heap->segments[i];
        for (size_t slot = segment->meta_slots; slot < segment->described; slot++)
            if (segment->slots[slot].kind == KM_SLOT_RUN &&
                !visit(heap, km_segment_run_record(segment, slot), context))
                return false;
    }
    return true;
}

/* Adds the run's busy blocks' requested bytes to *context, a damaged code counting its block's
 * whole size. */
static bool add_requested(const km_heap *heap, const km_run *run, void *context)
{
    size_t *bytes = context;
    for (size_t index = 0; index < run->block_count; index++) {
        if (km_run_is_block_free(run, index))
            continue;
        size_t requested;
        uintptr_t block = run->first_block + index * run->block_size;
        if (km_run_requested_locked(heap, run, index, block, &requested) != KM_OK)
            requested = run->block_size;
        *bytes += requested;
    }
    return true;
}

size_t km_heap_allocated_locked(const km_heap *heap)
{
    size_t bytes = heap->outsized_bytes;
    every_run(heap, add_requested, &bytes);
    return bytes;
}

static bool is_empty(const km_heap *heap, const km_run *run, void *context)
{
    (void)heap, (void)context;
    return run->free_count == run->block_count;
}

bool km_heap_runs_are_empty_locked(const km_heap *heap)
{
    return every_run(heap, is_empty, NULL);
}

bool km_heap_validate(km_heap *heap, unsigned flags, const void *block)
{
    bool valid;
    if (block) {
        bool locked = km_heap_enter(heap, flags);
        km_block_ref ref;
        valid = km_heap_find_block_locked(heap, (uintptr_t)block, &ref) == KM_OK;
        km_heap_leave(heap, locked);
    } else {
        bool locked = km_heap_enter_stopped(heap, flags);
        valid = km_heap_is_consistent_locked(heap);
        km_heap_leave_stopped(heap, locked);
    }
    return valid;
}

/* Fast paths stopped: every cache's runs go back to the heap first, so that empty ones can go. */
static size_t compact_locked(km_heap *heap)
{
    km_thread_caches_return_locked(heap);
    km_run_release_empty_locked(heap);
    km_segment_release_empty_locked(heap);
    for (size_t i = 0; i < heap->segment_count; i++)
        km_segment_decommit_free_locked(heap->segments[i]);
    size_t largest = 0;
    for (unsigned c = KM_SIZE_CLASS_COUNT; c-- > 0 && !largest;)
        if (heap->pool.partial_runs[c])
            largest = km_size_class_block_size(c);
    return largest;
}

size_t km_heap_compact(km_heap *heap, unsigned flags)
{
    bool locked = km_heap_enter_stopped(heap, flags);
    size_t largest = compact_locked(heap);
    km_heap_leave_stopped(heap, locked);
    return largest;
}

bool km_heap_compact_if_idle(km_heap *heap)
{
    if ((heap->flags & KM_HEAP_NO_SERIALIZE) || !km_lock_try_acquire(&heap->lock))
        return false;
    km_thread_caches_stop_locked(heap);
    compact_locked(heap);
    km_thread_caches_restart_locked(heap);
    km_lock_release(&heap->lock);
    return true;
}

void km_heap_summarize(km_heap *heap, unsigned flags, km_heap_summary *summary)
{
    bool locked = km_heap_enter_stopped(heap, flags);
    summary->allocated = km_heap_allocated_locked(heap);
    summary->committed = heap->committed_bytes;
    summary->reserved = heap->reserved_bytes;
    /* A fixed heap may still reserve its data slots not yet reserved (and their metadata). */
    summary->max_reserve = heap->reserved_bytes + (heap->fixed_slots_left << heap->slot_shift);
    km_heap_leave_stopped(heap, locked);
}
