/*
 * Segments: the heap's reservations, cut into 64 KiB slots.
 *
 * A segment starts with its metadata (the km_heap itself in a heap's first segment, then the
 * km_segment, one km_slot per slot and one km_run record per slot) in slots of kind META; the
 * remaining slots are handed out whole, in runs of small blocks or spans holding one block.
 * Blocks never share a slot with metadata, so an overflowing block cannot reach the tables that
 * describe it.
 *
 * Each slot's committed pages form a prefix of the slot. A slot handed out is committed as far as
 * its run or span needs; a freed slot keeps its pages while the committed free slots are fewer
 * than KM_RETAINED_FREE_SLOTS or than a quarter of the heap's committed memory, so that churn at
 * a run boundary, or over a working set that moves, costs no system call. HeapCompact returns
 * them all.
 * Run records are committed as the slots that own them are first used. A segment other than the
 * first is released to the system as soon as it holds no block.
 */
#include "core/align.h"
#include "core/heap_types.h"

#include <string.h>

typedef struct segment_layout {
    size_t total_slots;
    size_t meta_slots;
    size_t segment_offset;
    size_t slots_offset;
    size_t runs_offset;
    size_t meta_bytes;
} segment_layout;

static segment_layout layout_of(size_t data_slots, bool first)
{
    segment_layout layout = {0};
    size_t heap_bytes = first ? sizeof(km_heap) : 0;
    layout.segment_offset = (heap_bytes + 63) & ~(size_t)63;
    layout.slots_offset = (layout.segment_offset + sizeof(km_segment) + 63) & ~(size_t)63;
    /* The metadata's own size depends on how many slots it describes, its own included. */
    layout.meta_slots = 1;
    for (;;) {
        layout.total_slots = layout.meta_slots + data_slots;
        size_t slot_bytes = layout.total_slots * sizeof(km_slot);
        layout.runs_offset = (layout.slots_offset + slot_bytes + 63) & ~(size_t)63;
        layout.meta_bytes = layout.runs_offset + layout.total_slots * sizeof(km_run);
        size_t needed = (layout.meta_bytes + KM_SLOT_SIZE - 1) >> KM_SLOT_SHIFT;
        if (needed <= layout.meta_slots)
            return layout;
        layout.meta_slots = needed;
    }
}

size_t km_segment_reservation_size(size_t data_slots, bool first)
{
    return layout_of(data_slots, first).total_slots << KM_SLOT_SHIFT;
}

size_t km_segment_header_bytes(size_t data_slots, bool first, size_t page_size)
{
    return (layout_of(data_slots, first).runs_offset + page_size - 1) & ~(page_size - 1);
}

km_status km_heap_commit(km_heap *heap, uintptr_t address, size_t size)
{
    if (size == 0)
        return KM_OK;
    km_status status = heap->pages->commit(heap->pages, (void *)address, size,
                                           (heap->flags & KM_HEAP_EXECUTABLE) != 0);
    if (status == KM_OK)
        heap->committed_bytes += size;
    return status;
}

void *km_heap_reserve(km_heap *heap, size_t size, size_t committed)
{
    km_pages *pages = heap->pages;
    bool executable = (heap->flags & KM_HEAP_EXECUTABLE) != 0;
    void *base;
    if (committed == size && pages->reserve_committed) {
        base = pages->reserve_committed(pages, size, executable);
        if (!base)
            return NULL;
        heap->committed_bytes += committed;
    } else {
        base = pages->reserve(pages, size);
        if (!base)
            return NULL;
        if (km_heap_commit(heap, (uintptr_t)base, committed) != KM_OK) {
            pages->release(pages, base, size);
            return NULL;
        }
    }
    heap->reserved_bytes += size;
    return base;
}

void km_heap_release(km_heap *heap, uintptr_t base, size_t size, size_t committed)
{
    heap->committed_bytes -= committed;
    heap->reserved_bytes -= size;
    heap->pages->release(heap->pages, (void *)base, size);
}

void km_heap_decommit(km_heap *heap, uintptr_t address, size_t size)
{
    if (size == 0)
        return;
    heap->pages->decommit(heap->pages, (void *)address, size);
    heap->committed_bytes -= size;
}

/* Commits metadata up to base + end; the first bytes (heap, segment, slots) are committed by
 * km_segment_create's caller or by it. */
static km_status commit_meta(km_segment *segment, size_t end)
{
    if (end <= segment->meta_committed)
        return KM_OK;
    size_t page = segment->heap->pages->page_size;
    size_t target = (end + page - 1) & ~(page - 1);
    km_status status = km_heap_commit(segment->heap, segment->base + segment->meta_committed,
                                      target - segment->meta_committed);
    if (status == KM_OK)
        segment->meta_committed = target;
    return status;
}

km_status km_segment_create(km_heap *heap, void *reservation, size_t data_slots, bool first,
                            km_segment **out)
{
    segment_layout layout = layout_of(data_slots, first);
    uintptr_t base = (uintptr_t)reservation;
    size_t page = heap->pages->page_size;
    size_t header = (layout.runs_offset + page - 1) & ~(page - 1);
    /* A first segment's header pages were committed by km_heap_create, to hold the heap. */
    if (!first) {
        km_status status = heap->pages->commit(heap->pages, reservation, header, false);
        if (status != KM_OK)
            return status;
    }
    heap->committed_bytes += header;

    km_segment *segment = (km_segment *)(base + layout.segment_offset);
    *segment = (km_segment){
        .heap = heap,
        .base = base,
        .size = layout.total_slots << KM_SLOT_SHIFT,
        .slot_count = (uint32_t)layout.total_slots,
        .meta_slots = (uint32_t)layout.meta_slots,
        .free_hint = (uint32_t)layout.meta_slots,
        .meta_committed = header,
        .slots = (km_slot *)(base + layout.slots_offset),
        .runs = (km_run *)(base + layout.runs_offset),
    };
    for (size_t i = 0; i < layout.meta_slots; i++)
        segment->slots[i].kind = KM_SLOT_META;
    *out = segment;
    return KM_OK;
}

static size_t segment_committed_bytes(const km_segment *segment)
{
    size_t page = segment->heap->pages->page_size;
    size_t bytes = segment->meta_committed;
    for (size_t i = segment->meta_slots; i < segment->slot_count; i++)
        bytes += (size_t)segment->slots[i].committed_pages * page;
    return bytes;
}

/* Finds count free slots in a row, or returns 0 (slot 0 always holds metadata). */
static size_t find_free_slots(km_segment *segment, size_t count)
{
    size_t run_start = 0, run_length = 0;
    bool hint_moved = false;
    for (size_t i = segment->free_hint; i < segment->slot_count; i++) {
        if (segment->slots[i].kind != KM_SLOT_FREE) {
            run_length = 0;
            continue;
        }
        if (!hint_moved) {
            segment->free_hint = (uint32_t)i;
            hint_moved = true;
        }
        if (run_length++ == 0)
            run_start = i;
        if (run_length == count)
            return run_start;
    }
    if (!hint_moved)
        segment->free_hint = segment->slot_count;
    return 0;
}

static size_t pages_needed(size_t bytes, size_t page)
{
    size_t per_slot = KM_SLOT_SIZE / page;
    size_t pages = (bytes + page - 1) / page;
    return pages < per_slot ? pages : per_slot;
}

km_status km_segment_commit_slots(km_segment *segment, size_t slot, size_t count,
                                  size_t committed_bytes)
{
    size_t page = segment->heap->pages->page_size;
    for (size_t i = 0; i < count; i++) {
        size_t offset = i << KM_SLOT_SHIFT;
        size_t wanted = committed_bytes > offset ? pages_needed(committed_bytes - offset, page) : 0;
        km_slot *s = &segment->slots[slot + i];
        if (s->committed_pages >= wanted)
            continue;
        uintptr_t start = km_slot_address(segment, slot + i) + (size_t)s->committed_pages * page;
        km_status status =
            km_heap_commit(segment->heap, start, (wanted - s->committed_pages) * page);
        if (status != KM_OK)
            return status;
        s->committed_pages = (uint8_t)wanted;
    }
    return KM_OK;
}

static void decommit_slot(km_segment *segment, size_t slot)
{
    km_slot *s = &segment->slots[slot];
    if (!s->committed_pages)
        return;
    km_heap_decommit(segment->heap, km_slot_address(segment, slot),
                     (size_t)s->committed_pages * segment->heap->pages->page_size);
    s->committed_pages = 0;
}

/* Marks slots [first, first + count) busy as kind (the head) and tails. */
static void mark_taken(km_segment *segment, size_t first, size_t count, km_slot_kind kind)
{
    km_heap *heap = segment->heap;
    for (size_t i = 0; i < count; i++) {
        km_slot *s = &segment->slots[first + i];
        if (s->committed_pages)
            heap->retained_free_slots--;
        s->kind = (uint8_t)(i == 0 ? kind : KM_SLOT_TAIL);
        s->span = (uint32_t)(i == 0 ? count : i);
    }
}

/* How many committed free slots the heap keeps for reuse. */
static size_t retained_slots_limit(const km_heap *heap)
{
    size_t fraction = (heap->committed_bytes >> KM_SLOT_SHIFT) / KM_RETAINED_FREE_FRACTION;
    return fraction > KM_RETAINED_FREE_SLOTS ? fraction : KM_RETAINED_FREE_SLOTS;
}

/* Returns slots [first, first + count) to the free set, keeping their pages while the heap holds
 * few such slots. */
static void mark_free(km_segment *segment, size_t first, size_t count)
{
    km_heap *heap = segment->heap;
    size_t limit = retained_slots_limit(heap);
    for (size_t i = first; i < first + count; i++) {
        km_slot *s = &segment->slots[i];
        s->kind = KM_SLOT_FREE;
        s->span = 0;
        if (!s->committed_pages)
            continue;
        if (heap->retained_free_slots < limit)
            heap->retained_free_slots++;
        else
            decommit_slot(segment, i);
    }
    if (first < segment->free_hint)
        segment->free_hint = (uint32_t)first;
}

static bool segment_is_empty(const km_segment *segment)
{
    for (size_t i = segment->meta_slots; i < segment->slot_count; i++)
        if (segment->slots[i].kind != KM_SLOT_FREE)
            return false;
    return true;
}

static void segment_release(km_heap *heap, size_t index)
{
    km_segment *segment = heap->segments[index];
    for (size_t i = segment->meta_slots; i < segment->slot_count; i++)
        if (segment->slots[i].committed_pages)
            heap->retained_free_slots--;
    memmove(&heap->segments[index], &heap->segments[index + 1],
            (heap->segment_count - index - 1) * sizeof(heap->segments[0]));
    heap->segment_count--;
    km_heap_release(heap, segment->base, segment->size, segment_committed_bytes(segment));
}

/* A segment other than the heap's first goes back to the system once it holds no block. */
static void release_if_empty(km_segment *segment)
{
    km_heap *heap = segment->heap;
    if (segment->base == (uintptr_t)heap || !segment_is_empty(segment))
        return;
    for (size_t i = 0; i < heap->segment_count; i++)
        if (heap->segments[i] == segment) {
            segment_release(heap, i);
            return;
        }
}

static km_status take_from(km_segment *segment, size_t count, size_t committed_bytes,
                           km_slot_kind kind, size_t *out)
{
    size_t slot = find_free_slots(segment, count);
    if (!slot)
        return KM_NO_MEMORY;
    km_status status = commit_meta(segment, (uintptr_t)&segment->runs[slot + 1] - segment->base);
    if (status == KM_OK) {
        mark_taken(segment, slot, count, kind);
        status = km_segment_commit_slots(segment, slot, count, committed_bytes);
        if (status != KM_OK)
            mark_free(segment, slot, count);
    }
    if (status == KM_OK)
        *out = slot;
    return status;
}

static km_status add_segment(km_heap *heap, size_t data_slots, km_segment **out)
{
    if (heap->segment_count == KM_MAX_SEGMENTS)
        return KM_NO_MEMORY;
    size_t size = km_segment_reservation_size(data_slots, false);
    void *reservation = heap->pages->reserve(heap->pages, size);
    if (!reservation)
        return KM_NO_MEMORY;
    km_segment *segment;
    km_status status = km_segment_create(heap, reservation, data_slots, false, &segment);
    if (status != KM_OK) {
        heap->pages->release(heap->pages, reservation, size);
        return status;
    }
    heap->reserved_bytes += size;
    size_t at = heap->segment_count;
    while (at > 0 && heap->segments[at - 1]->base > segment->base)
        at--;
    memmove(&heap->segments[at + 1], &heap->segments[at],
            (heap->segment_count - at) * sizeof(heap->segments[0]));
    heap->segments[at] = segment;
    heap->segment_count++;
    *out = segment;
    return KM_OK;
}

km_status km_heap_take_slots_locked(km_heap *heap, size_t count, size_t committed_bytes,
                                    km_slot_kind kind, km_segment **segment, size_t *slot)
{
    for (size_t i = 0; i < heap->segment_count; i++) {
        km_status status = take_from(heap->segments[i], count, committed_bytes, kind, slot);
        if (status == KM_OK) {
            *segment = heap->segments[i];
            return KM_OK;
        }
    }
    if (heap->maximum)
        return KM_NO_MEMORY;

    size_t data_slots = heap->next_segment_slots > count ? heap->next_segment_slots : count;
    km_segment *added;
    km_status status = add_segment(heap, data_slots, &added);
    if (status != KM_OK)
        return status;
    if (heap->next_segment_slots < KM_SEGMENT_MAX_SLOTS)
        heap->next_segment_slots *= 2;
    status = take_from(added, count, committed_bytes, kind, slot);
    if (status == KM_OK)
        *segment = added;
    else
        release_if_empty(added);
    return status;
}

void km_segment_give_slots_locked(km_segment *segment, size_t slot)
{
    mark_free(segment, slot, segment->slots[slot].span);
    release_if_empty(segment);
}

bool km_segment_extend_span(km_segment *segment, size_t slot, size_t new_count,
                            size_t committed_bytes)
{
    size_t count = segment->slots[slot].span;
    if (slot + new_count > segment->slot_count)
        return false;
    for (size_t i = slot + count; i < slot + new_count; i++)
        if (segment->slots[i].kind != KM_SLOT_FREE)
            return false;
    mark_taken(segment, slot + count, new_count - count, KM_SLOT_TAIL);
    for (size_t i = slot + count; i < slot + new_count; i++)
        segment->slots[i].span = (uint32_t)(i - slot);
    segment->slots[slot].span = (uint32_t)new_count;
    if (km_segment_commit_slots(segment, slot, new_count, committed_bytes) != KM_OK) {
        mark_free(segment, slot + count, new_count - count);
        segment->slots[slot].span = (uint32_t)count;
        return false;
    }
    return true;
}

void km_segment_shrink_span(km_segment *segment, size_t slot, size_t new_count)
{
    size_t count = segment->slots[slot].span;
    if (new_count >= count)
        return;
    mark_free(segment, slot + new_count, count - new_count);
    segment->slots[slot].span = (uint32_t)new_count;
}

size_t km_segment_decommit_free(km_segment *segment)
{
    size_t released = 0;
    for (size_t i = segment->meta_slots; i < segment->slot_count; i++) {
        km_slot *s = &segment->slots[i];
        if (s->kind == KM_SLOT_FREE && s->committed_pages) {
            decommit_slot(segment, i);
            segment->heap->retained_free_slots--;
            released++;
        }
    }
    return released;
}
