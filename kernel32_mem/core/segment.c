/*
 * Segments: the heap's reservations, cut into slots of 64 KiB (a fixed heap's may be smaller).
 *
 * A segment starts with its metadata slots: the km_heap itself in a heap's first segment, the
 * km_segment, then one descriptor (km_slot) and one run record (km_run) for each data slot. The
 * data slots that follow are handed out whole, in runs of small blocks or spans holding one
 * block. Blocks never share a slot with metadata, so an overflowing block cannot reach the
 * tables that describe it.
 *
 * Metadata is committed as the heap grows, not for the segment's size. Descriptors are
 * committed a page at a time for a prefix of the data slots ("described" slots); a slot past
 * that prefix is free and uncommitted without a descriptor saying so, and the prefix at least
 * doubles when no described stretch of free slots is long enough. Run records are committed as
 * far as the highest slot that has needed one. So a heap created with a maximum of 1 TiB commits
 * a few pages, and every loop over a segment's slots costs what the heap has used, not what it
 * may use.
 *
 * Each slot's committed pages form a prefix of the slot. A slot handed out is committed as far as
 * its run or span needs. A freed slot keeps its pages and joins the segment's retained list; new
 * runs and spans take retained slots before any other, so that runs made and returned as a
 * program's blocks come and go cost no system call. The heap retains a 32nd of its committed
 * memory this way (and at least KM_RETAINED_FREE_SLOTS slots): past that, the slots free the
 * longest are decommitted first, once they have waited KM_RETAINED_PURGE_AGE retained slots, or
 * at once past twice that share; so memory the program stopped using goes back to the system
 * while memory it keeps cycling through stays. HeapCompact returns them all.
 * A segment other than the first is released to the system as soon as it holds no block.
 */
#include "core/align.h"
#include "core/heap_types.h"

#include <string.h>

km_segment_shape km_segment_shape_for(size_t maximum, size_t page_size)
{
    unsigned shift = KM_SLOT_SHIFT;
    if (maximum)
        while (shift > 0 && ((size_t)1 << (shift - 1)) >= page_size &&
               (maximum >> shift) < KM_FIXED_SLOTS_WANTED)
            shift--;
    /* Enough words for a slot's worth of the smallest class: a run of small blocks takes one
     * slot (run.c), and one of bigger blocks holds fewer. */
    size_t blocks = (((size_t)1 << shift) - KM_BLOCK_LEAD) / KM_BLOCK_ALIGNMENT;
    size_t words = (blocks + 63) / 64;
    return (km_segment_shape){
        .page_size = page_size,
        .slot_shift = shift,
        .run_map_words = words < KM_RUN_MAP_WORDS ? words : KM_RUN_MAP_WORDS,
    };
}

typedef struct segment_layout {
    size_t total_slots;
    size_t meta_slots;
    size_t segment_offset;
    size_t slots_offset; /* the descriptor of the first data slot */
    size_t runs_offset;  /* the run record of the first data slot; page aligned */
    size_t run_stride;
} segment_layout;

/* Descriptors and run records exist for data slots only; the metadata's own slots need none. */
static segment_layout layout_of(km_segment_shape shape, size_t data_slots, bool first)
{
    segment_layout layout = {.run_stride = km_run_record_size(shape.run_map_words)};
    size_t page_size = shape.page_size;
    size_t heap_bytes = first ? sizeof(km_heap) : 0;
    layout.segment_offset = (heap_bytes + 63) & ~(size_t)63;
    layout.slots_offset = (layout.segment_offset + sizeof(km_segment) + 63) & ~(size_t)63;
    size_t slots_end = layout.slots_offset + data_slots * sizeof(km_slot);
    layout.runs_offset = (slots_end + page_size - 1) & ~(page_size - 1);
    size_t meta_bytes = layout.runs_offset + data_slots * layout.run_stride;
    layout.meta_slots = (meta_bytes + ((size_t)1 << shape.slot_shift) - 1) >> shape.slot_shift;
    layout.total_slots = layout.meta_slots + data_slots;
    return layout;
}

size_t km_segment_reservation_size(km_segment_shape shape, size_t data_slots, bool first)
{
    return layout_of(shape, data_slots, first).total_slots << shape.slot_shift;
}

/* Bytes from the base that hold the heap, the segment and the descriptors of the first
 * `described` data slots, in whole pages. */
static size_t head_bytes(const segment_layout *layout, size_t described, size_t page_size)
{
    return (layout->slots_offset + described * sizeof(km_slot) + page_size - 1) & ~(page_size - 1);
}

size_t km_segment_initial_commit(km_segment_shape shape, size_t data_slots, bool first,
                                 size_t initial_slots)
{
    segment_layout layout = layout_of(shape, data_slots, first);
    /* A small heap's metadata fits one slot: committed whole, it joins the first data slot's
     * committed pages in one mapping, where a gap would cost the process a mapping more per heap
     * (Linux, under Wine, allows 65,530). */
    if (layout.meta_slots == 1)
        return (size_t)1 << shape.slot_shift;
    size_t described = initial_slots < data_slots ? initial_slots : data_slots;
    return head_bytes(&layout, described ? described : 1, shape.page_size);
}

/* Commits the run records through slot's. */
static km_status commit_run_record(km_segment *segment, size_t slot)
{
    size_t end = (uintptr_t)km_segment_run_record(segment, slot + 1) - segment->runs_base;
    if (end <= segment->runs_committed)
        return KM_OK;
    size_t page = segment->heap->pages->page_size;
    size_t target = (end + page - 1) & ~(page - 1);
    km_status status =
        km_heap_commit_locked(segment->heap, segment->runs_base + segment->runs_committed,
                              target - segment->runs_committed);
    if (status == KM_OK) {
        segment->meta_committed += target - segment->runs_committed;
        segment->runs_committed = target;
    }
    return status;
}

/* Commits descriptors so that at least `wanted` slots are described (as many as fill the pages
 * that takes); fresh descriptors read as zero: free, nothing committed. */
static km_status describe_slots(km_segment *segment, size_t wanted)
{
    if (wanted <= segment->described)
        return KM_OK;
    if (wanted > segment->slot_count)
        wanted = segment->slot_count;
    size_t page = segment->heap->pages->page_size;
    uintptr_t first_descriptor = (uintptr_t)&segment->slots[segment->meta_slots];
    uintptr_t descriptors_end =
        first_descriptor + (segment->slot_count - segment->meta_slots) * sizeof(km_slot);
    uintptr_t target = ((uintptr_t)&segment->slots[wanted] + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t committed = segment->base + segment->head_committed;
    km_status status = km_heap_commit_locked(segment->heap, committed, target - committed);
    if (status != KM_OK)
        return status;
    segment->meta_committed += target - committed;
    segment->head_committed = target - segment->base;
    if (target > descriptors_end)
        target = descriptors_end;
    __atomic_store_n(
        &segment->described,
        (uint32_t)(segment->meta_slots + (target - first_descriptor) / sizeof(km_slot)),
        __ATOMIC_RELAXED);
    return KM_OK;
}

km_status km_segment_create(km_heap *heap, void *reservation, size_t data_slots, bool first,
                            size_t committed_head, km_segment **out)
{
    size_t page = heap->pages->page_size;
    segment_layout layout = layout_of(km_heap_segment_shape(heap), data_slots, first);
    uintptr_t base = (uintptr_t)reservation;
    size_t header = committed_head;
    if (!header) {
        header = head_bytes(&layout, 1, page);
        km_status status = heap->pages->commit(heap->pages, reservation, header, false);
        if (status != KM_OK)
            return status;
    }
    heap->committed_bytes += header;
    /* What was committed past the descriptors is the run records'. */
    size_t runs_committed = header > layout.runs_offset ? header - layout.runs_offset : 0;

    km_segment *segment = (km_segment *)(base + layout.segment_offset);
    size_t meta = layout.meta_slots;
    *segment = (km_segment){
        .heap = heap,
        .base = base,
        /* Indexed by slot number: the metadata's own slots have no entries. */
        .slots = (km_slot *)(base + layout.slots_offset) - meta,
        .runs = base + layout.runs_offset - meta * layout.run_stride,
        .run_stride = (uint32_t)layout.run_stride,
        .slot_shift = heap->slot_shift,
        .meta_slots = (uint32_t)meta,
        .size = layout.total_slots << heap->slot_shift,
        .slot_count = (uint32_t)layout.total_slots,
        .free_hint = (uint32_t)meta,
        .meta_committed = header,
        .head_committed = header - runs_committed,
        .runs_base = base + layout.runs_offset,
        .runs_committed = runs_committed,
    };
    size_t fits = (header - runs_committed - layout.slots_offset) / sizeof(km_slot);
    segment->described = (uint32_t)(meta + (fits < data_slots ? fits : data_slots));
    *out = segment;
    return KM_OK;
}

static size_t segment_committed_bytes(const km_segment *segment)
{
    size_t page = segment->heap->pages->page_size;
    size_t bytes = segment->meta_committed;
    for (size_t i = segment->meta_slots; i < segment->described; i++)
        bytes += (size_t)segment->slots[i].committed_pages * page;
    return bytes;
}

/* Finds count free slots in a row, or returns 0 (slot 0 always holds metadata). */
static size_t find_free_slots(km_segment *segment, size_t count)
{
    size_t run_start = 0, run_length = 0;
    bool hint_moved = false;
    for (size_t i = segment->free_hint; i < segment->described; i++) {
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
        segment->free_hint = segment->described;
    return 0;
}

static size_t pages_needed(const km_segment *segment, size_t bytes, size_t page)
{
    size_t per_slot = km_slot_size(segment) / page;
    size_t pages = (bytes + page - 1) / page;
    return pages < per_slot ? pages : per_slot;
}

/* The pages slot `i` of a run or span committed through committed_bytes needs. */
static size_t pages_wanted(const km_segment *segment, size_t i, size_t committed_bytes, size_t page)
{
    size_t offset = i << segment->slot_shift;
    return committed_bytes > offset ? pages_needed(segment, committed_bytes - offset, page) : 0;
}

/* Commits what slots [slot, slot + count) lack of their first committed_bytes, in one request
 * for each stretch of missing pages: a stretch may run from one slot's committed prefix across
 * the next slots, and costs one system call, not one per slot. */
km_status km_segment_commit_slots_locked(km_segment *segment, size_t slot, size_t count,
                                         size_t committed_bytes)
{
    size_t page = segment->heap->pages->page_size;
    size_t i = 0;
    while (i < count) {
        km_slot *s = &segment->slots[slot + i];
        if (s->committed_pages >= pages_wanted(segment, i, committed_bytes, page)) {
            i++;
            continue;
        }
        /* A stretch goes on into the next slot while this one is wanted whole and the next
         * has nothing committed. */
        size_t last = i;
        while (last + 1 < count &&
               pages_wanted(segment, last, committed_bytes, page) * page == km_slot_size(segment) &&
               segment->slots[slot + last + 1].committed_pages == 0 &&
               pages_wanted(segment, last + 1, committed_bytes, page) > 0)
            last++;
        uintptr_t start = km_slot_address(segment, slot + i) + (size_t)s->committed_pages * page;
        uintptr_t end = km_slot_address(segment, slot + last) +
                        pages_wanted(segment, last, committed_bytes, page) * page;
        km_status status = km_heap_commit_locked(segment->heap, start, end - start);
        if (status != KM_OK)
            return status;
        for (size_t j = i; j <= last; j++)
            segment->slots[slot + j].committed_pages =
                (uint8_t)pages_wanted(segment, j, committed_bytes, page);
        i = last + 1;
    }
    return KM_OK;
}

/* The retained list: free slots whose pages are still committed, linked through their
 * descriptors, the most recently freed first. A slot is on it exactly when it is free and has a
 * page committed. */
static void retain(km_segment *segment, size_t slot)
{
    km_slot *s = &segment->slots[slot];
    s->retained.older = segment->newest_retained;
    s->retained.newer = 0;
    if (segment->newest_retained)
        segment->slots[segment->newest_retained].retained.newer = (uint32_t)slot;
    else
        segment->oldest_retained = (uint32_t)slot;
    segment->newest_retained = (uint32_t)slot;
    segment->heap->retained_free_slots++;
    s->retained_at = segment->heap->retain_clock++;
}

static void unretain(km_segment *segment, size_t slot)
{
    km_slot *s = &segment->slots[slot];
    if (s->retained.newer)
        segment->slots[s->retained.newer].retained.older = s->retained.older;
    else
        segment->newest_retained = s->retained.older;
    if (s->retained.older)
        segment->slots[s->retained.older].retained.newer = s->retained.newer;
    else
        segment->oldest_retained = s->retained.newer;
    s->retained.older = s->retained.newer = 0;
    segment->heap->retained_free_slots--;
}

void km_segment_retain_committed(km_segment *segment)
{
    for (size_t i = segment->meta_slots; i < segment->described; i++)
        if (segment->slots[i].kind == KM_SLOT_FREE && segment->slots[i].committed_pages)
            retain(segment, i);
}

/* Decommits a retained slot's pages and takes it off the list. */
static void decommit_slot(km_segment *segment, size_t slot)
{
    km_slot *s = &segment->slots[slot];
    unretain(segment, slot);
    km_heap_decommit_locked(segment->heap, km_slot_address(segment, slot),
                            (size_t)s->committed_pages * segment->heap->pages->page_size);
    s->committed_pages = 0;
}

/* Marks slots [first, first + count) busy as kind (the head) and tails. */
static void mark_taken(km_segment *segment, size_t first, size_t count, km_slot_kind kind)
{
    for (size_t i = 0; i < count; i++) {
        km_slot *s = &segment->slots[first + i];
        if (s->committed_pages)
            unretain(segment, first + i);
        s->kind = (uint8_t)(i == 0 ? kind : KM_SLOT_TAIL);
        s->span = (uint32_t)(i == 0 ? count : i);
    }
}

/* How many committed free slots the heap keeps for reuse. */
static size_t retained_slots_limit(const km_heap *heap)
{
    size_t fraction = (heap->committed_bytes >> heap->slot_shift) / KM_RETAINED_FREE_FRACTION;
    return fraction > KM_RETAINED_FREE_SLOTS ? fraction : KM_RETAINED_FREE_SLOTS;
}

/* True when the segment's longest retained slot was retained KM_RETAINED_PURGE_AGE slots ago or
 * more. */
static bool oldest_is_old(const km_segment *segment)
{
    const km_slot *oldest = &segment->slots[segment->oldest_retained];
    return (uint16_t)(segment->heap->retain_clock - oldest->retained_at) >= KM_RETAINED_PURGE_AGE;
}

/* Returns slots [first, first + count) to the free set. Their pages stay committed, for the next
 * run or span to take without a system call. What the heap retains beyond its limit is purged,
 * the slots free the longest first, once they have waited KM_RETAINED_PURGE_AGE retained slots
 * (past twice the limit, at once): memory a program stopped using goes back to the system, while
 * memory it is cycling through stays, even when the cycle swings past the limit. */
static void mark_free(km_segment *segment, size_t first, size_t count)
{
    /* From the last slot down, so that a stretch's first slot is its newest: the next run or
     * span of its length finds the stretch from its start, and a purge takes it from its end. */
    for (size_t i = first + count; i-- > first;) {
        km_slot *s = &segment->slots[i];
        s->kind = KM_SLOT_FREE;
        s->span = 0;
        if (s->committed_pages)
            retain(segment, i);
    }
    if (first < segment->free_hint)
        segment->free_hint = (uint32_t)first;
    km_heap *heap = segment->heap;
    size_t limit = retained_slots_limit(heap);
    while (heap->retained_free_slots > 2 * limit && segment->oldest_retained)
        decommit_slot(segment, segment->oldest_retained);
    while (heap->retained_free_slots > limit && segment->oldest_retained && oldest_is_old(segment))
        decommit_slot(segment, segment->oldest_retained);
}

static bool segment_is_empty(const km_segment *segment)
{
    for (size_t i = segment->meta_slots; i < segment->described; i++)
        if (segment->slots[i].kind != KM_SLOT_FREE)
            return false;
    return true;
}

static void segment_release(km_heap *heap, size_t index)
{
    km_segment *segment = heap->segments[index];
    while (segment->newest_retained)
        unretain(segment, segment->newest_retained);
    memmove(&heap->segments[index], &heap->segments[index + 1],
            (heap->segment_count - index - 1) * sizeof(heap->segments[0]));
    heap->segment_count--;
    if (heap->maximum)
        heap->fixed_slots_left += segment->slot_count - segment->meta_slots;
    km_segment_forget_owner(segment);
    km_heap_release_locked(heap, segment->base, segment->size, segment_committed_bytes(segment));
}

/* A segment other than the heap's first goes back to the system once it holds no block. With
 * thread caches, only while their fast paths are stopped (a fast path reads a segment's record,
 * found through the owner map, without the lock): HeapCompact gives back the rest. */
static void release_if_empty(km_segment *segment)
{
    km_heap *heap = segment->heap;
    if (segment->base == (uintptr_t)heap || !segment_is_empty(segment) ||
        (atomic_load_explicit(&heap->caches, memory_order_relaxed) && !heap->stop_depth))
        return;
    for (size_t i = 0; i < heap->segment_count; i++)
        if (heap->segments[i] == segment) {
            segment_release(heap, i);
            return;
        }
}

static km_status take_at(km_segment *segment, size_t slot, size_t count, size_t committed_bytes,
                         km_slot_kind kind, size_t *out);

static bool is_retained(const km_segment *segment, size_t slot)
{
    return slot >= segment->meta_slots && slot < segment->described &&
           segment->slots[slot].kind == KM_SLOT_FREE && segment->slots[slot].committed_pages;
}

/* A stretch of count free slots starting at one of the most recently retained, or 0. A single
 * slot is taken, where one can be, from the retained slots that stand alone: a stretch that a
 * longer run or span left stays whole for the next of its length, which would otherwise commit
 * fresh slots while the stretch was cut up and, in the end, purged (in native churn, a tenth
 * to a fifth fewer system calls). */
static size_t find_retained_slots(const km_segment *segment, size_t count)
{
    size_t looked = 0, in_a_stretch = 0;
    for (size_t slot = segment->newest_retained; slot && looked < 16;
         slot = segment->slots[slot].retained.older, looked++) {
        if (count == 1) {
            if (!is_retained(segment, slot - 1) && !is_retained(segment, slot + 1))
                return slot;
            if (!in_a_stretch)
                in_a_stretch = slot;
            continue;
        }
        size_t end = slot + count;
        while (end > slot && end - 1 < segment->described &&
               segment->slots[end - 1].kind == KM_SLOT_FREE)
            end--;
        if (end == slot)
            return slot;
    }
    return in_a_stretch;
}

/* Takes count free slots from the segment: with from_retained, only a stretch that starts with
 * committed pages (no system call to reuse them), otherwise the lowest stretch there is. */
static km_status take_from(km_segment *segment, size_t count, size_t committed_bytes,
                           km_slot_kind kind, bool from_retained, size_t *out)
{
    if (from_retained) {
        size_t slot = find_retained_slots(segment, count);
        if (!slot)
            return KM_NO_MEMORY;
        return take_at(segment, slot, count, committed_bytes, kind, out);
    }
    size_t slot = find_free_slots(segment, count);
    if (!slot && segment->described < segment->slot_count) {
        /* Describe more slots, at least doubling what is described, and look again (from the
         * hint, which a failed search left at or before the old end). */
        size_t more = segment->described - segment->meta_slots;
        if (more < count)
            more = count;
        if (describe_slots(segment, segment->described + more) != KM_OK)
            return KM_NO_MEMORY;
        slot = find_free_slots(segment, count);
    }
    if (!slot)
        return KM_NO_MEMORY;
    return take_at(segment, slot, count, committed_bytes, kind, out);
}

static km_status take_at(km_segment *segment, size_t slot, size_t count, size_t committed_bytes,
                         km_slot_kind kind, size_t *out)
{
    km_status status = commit_run_record(segment, slot);
    if (status == KM_OK) {
        mark_taken(segment, slot, count, kind);
        status = km_segment_commit_slots_locked(segment, slot, count, committed_bytes);
        if (status != KM_OK)
            mark_free(segment, slot, count);
    }
    if (status == KM_OK)
        *out = slot;
    return status;
}

km_status km_segment_name_owner(km_segment *segment)
{
    km_pages *pages = segment->heap->pages;
    return pages->set_owner ? pages->set_owner(pages, (void *)segment->base, segment->size, segment)
                            : KM_OK;
}

void km_segment_forget_owner(km_segment *segment)
{
    km_pages *pages = segment->heap->pages;
    if (pages->set_owner)
        pages->set_owner(pages, (void *)segment->base, segment->size, NULL);
}

static km_status add_segment(km_heap *heap, size_t data_slots, km_segment **out)
{
    if (heap->segment_count == KM_MAX_SEGMENTS)
        return KM_NO_MEMORY;
    size_t size = km_segment_reservation_size(km_heap_segment_shape(heap), data_slots, false);
    void *reservation = heap->pages->reserve(heap->pages, size);
    if (!reservation)
        return KM_NO_MEMORY;
    km_segment *segment;
    km_status status = km_segment_create(heap, reservation, data_slots, false, 0, &segment);
    if (status == KM_OK && (status = km_segment_name_owner(segment)) != KM_OK)
        heap->committed_bytes -= segment->meta_committed;
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

km_status km_segment_take_slots_locked(km_heap *heap, size_t count, size_t committed_bytes,
                                       km_slot_kind kind, km_segment **segment, size_t *slot)
{
    /* Slots that still have their pages first, wherever they are, then the lowest free. */
    for (int from_retained = 1; from_retained >= 0; from_retained--)
        for (size_t i = 0; i < heap->segment_count; i++) {
            km_status status =
                take_from(heap->segments[i], count, committed_bytes, kind, from_retained, slot);
            if (status == KM_OK) {
                *segment = heap->segments[i];
                return KM_OK;
            }
        }
    size_t data_slots = heap->next_segment_slots > count ? heap->next_segment_slots : count;
    if (heap->maximum) {
        if (heap->fixed_slots_left < count)
            return KM_NO_MEMORY;
        if (data_slots > heap->fixed_slots_left)
            data_slots = heap->fixed_slots_left;
    }
    km_segment *added;
    km_status status = add_segment(heap, data_slots, &added);
    if (status != KM_OK)
        return status;
    if (heap->maximum)
        heap->fixed_slots_left -= data_slots;
    if (heap->maximum || heap->next_segment_slots < KM_SEGMENT_MAX_SLOTS)
        heap->next_segment_slots *= 2;
    status = take_from(added, count, committed_bytes, kind, false, slot);
    if (status == KM_OK)
        *segment = added;
    else
        release_if_empty(added);
    return status;
}

void km_segment_give_slots_locked(km_segment *segment, size_t slot)
{
    /* A fast path's free of a stale pointer finds the slot no run of its cache's. */
    atomic_store_explicit(&km_segment_run_record(segment, slot)->pool, NULL, memory_order_relaxed);
    mark_free(segment, slot, segment->slots[slot].span);
    release_if_empty(segment);
}

bool km_segment_extend_span_locked(km_segment *segment, size_t slot, size_t new_count,
                                   size_t committed_bytes)
{
    size_t count = segment->slots[slot].span;
    if (slot + new_count > segment->slot_count ||
        describe_slots(segment, slot + new_count) != KM_OK)
        return false;
    for (size_t i = slot + count; i < slot + new_count; i++)
        if (segment->slots[i].kind != KM_SLOT_FREE)
            return false;
    mark_taken(segment, slot + count, new_count - count, KM_SLOT_TAIL);
    for (size_t i = slot + count; i < slot + new_count; i++)
        segment->slots[i].span = (uint32_t)(i - slot);
    segment->slots[slot].span = (uint32_t)new_count;
    if (km_segment_commit_slots_locked(segment, slot, new_count, committed_bytes) != KM_OK) {
        mark_free(segment, slot + count, new_count - count);
        segment->slots[slot].span = (uint32_t)count;
        return false;
    }
    return true;
}

void km_segment_shrink_span_locked(km_segment *segment, size_t slot, size_t new_count)
{
    size_t count = segment->slots[slot].span;
    if (new_count >= count)
        return;
    mark_free(segment, slot + new_count, count - new_count);
    segment->slots[slot].span = (uint32_t)new_count;
}

size_t km_segment_decommit_free_locked(km_segment *segment)
{
    size_t released = 0;
    for (size_t i = segment->meta_slots; i < segment->described; i++) {
        km_slot *s = &segment->slots[i];
        if (s->kind == KM_SLOT_FREE && s->committed_pages) {
            decommit_slot(segment, i);
            released++;
        }
    }
    return released;
}

void km_segment_release_empty_locked(km_heap *heap)
{
    for (size_t i = heap->segment_count; i-- > 0;)
        release_if_empty(heap->segments[i]);
}
