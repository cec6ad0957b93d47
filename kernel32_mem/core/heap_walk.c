/*
 * HeapWalk: the heap's entries in address order, one call at a time.
 *
 * The walk keeps no state of its own: the entry the caller hands back says where it was (its
 * address and kind), and the next entry is found from there. So a walk survives blocks being
 * freed between calls, and any entry the walk returned is a valid place to continue from.
 *
 * Order: each segment's region entry, then its slots from the first after the metadata — each
 * run's busy blocks, its free blocks in a row as one free entry as far as its pages are
 * committed, and the rest of it as one uncommitted range; each span's block and its uncommitted
 * tail; stretches of free slots (committed ones as one free entry, uncommitted ones, and the
 * slots not yet described, as one uncommitted-range entry) — and after the last segment, the
 * large blocks. A program sees what it could touch, in O(busy blocks) entries: every free entry
 * is committed memory. A busy block whose size code was overwritten stops the walk with
 * KM_CORRUPTED rather than report garbage.
 */
#include "core/heap_types.h"
#include "core/slack_code.h"

static uintptr_t committed_end(const km_segment *segment, size_t slot)
{
    return km_slot_address(segment, slot) +
           (size_t)segment->slots[slot].committed_pages * segment->heap->pages->page_size;
}

static size_t head_of(const km_segment *segment, size_t slot)
{
    const km_slot *s = &segment->slots[slot];
    return s->kind == KM_SLOT_TAIL ? slot - s->span : slot;
}

static void fill(km_walk_entry *entry, km_walk_kind kind, uintptr_t data, size_t size,
                 size_t overhead, unsigned region)
{
    *entry = (km_walk_entry){.data = (void *)data,
                             .size = size,
                             .overhead = overhead,
                             .region_index = region,
                             .kind = kind};
}

static void emit_free_slots(const km_segment *segment, size_t slot, uintptr_t address,
                            unsigned region, km_walk_entry *entry, uintptr_t *next)
{
    size_t last = slot;
    uintptr_t end;
    if (address < committed_end(segment, slot)) {
        end = committed_end(segment, last);
        while (end == km_slot_address(segment, last + 1) && last + 1 < segment->described &&
               segment->slots[last + 1].kind == KM_SLOT_FREE &&
               segment->slots[last + 1].committed_pages)
            end = committed_end(segment, ++last);
        fill(entry, KM_WALK_FREE, address, end - address, 0, region);
    } else {
        while (last + 1 < segment->described && segment->slots[last + 1].kind == KM_SLOT_FREE &&
               segment->slots[last + 1].committed_pages == 0)
            last++;
        /* Slots past the described ones are free and uncommitted too. */
        if (last + 1 == segment->described)
            last = segment->slot_count - 1;
        end = km_slot_address(segment, last + 1);
        fill(entry, KM_WALK_UNCOMMITTED, address, end - address, 0, region);
    }
    *next = end;
}

/* The first busy block of run at or after index, or block_count. */
static size_t next_busy(const km_run *run, size_t index)
{
    while (index < run->block_count) {
        uint64_t busy = ~run->maps[index / 64].free >> (index % 64);
        if (busy)
            return index + (size_t)__builtin_ctzll(busy);
        index = (index / 64 + 1) * 64;
    }
    return run->block_count;
}

/* The entry of a run at or after address, up to `after` (the end of the run's slots): a busy
 * block; free blocks in a row, as one free entry, as far as the run's pages are committed; or
 * the rest of the run, uncommitted, as one range. The run's own bitmap stays internal: a walk
 * shows what a program could touch, in O(busy blocks) entries. */
static km_status run_item_at(const km_run *run, unsigned region, uintptr_t address, uintptr_t after,
                             km_walk_entry *entry, uintptr_t *next)
{
    uintptr_t committed = run->first_block - KM_BLOCK_LEAD + run->committed_end;
    if (address < run->first_block)
        address = run->first_block;
    size_t index = (address - run->first_block + run->block_size - 1) / run->block_size;
    uintptr_t block = run->first_block + index * run->block_size;
    if (index >= run->block_count || block >= committed) {
        /* Past the blocks only the uncommitted pages are an entry (not the padding before
         * them); KM_NO_MORE_ITEMS says the run has nothing more. */
        uintptr_t start = address > committed ? address : committed;
        if (start >= after)
            return KM_NO_MORE_ITEMS;
        fill(entry, KM_WALK_UNCOMMITTED, start, after - start, 0, region);
        *next = after;
        return KM_OK;
    }
    if (!km_run_is_block_free(run, index)) {
        size_t requested;
        if (km_run_requested_sealed_locked(run->segment->heap, run, index, block, &requested) !=
            KM_OK)
            return KM_CORRUPTED;
        fill(entry, KM_WALK_BUSY, block, requested, run->block_size - requested, region);
        *next = block + run->block_size;
        return KM_OK;
    }
    uintptr_t end = run->first_block + next_busy(run, index) * run->block_size;
    if (end > committed)
        end = committed;
    fill(entry, KM_WALK_FREE, block, end - block, 0, region);
    *next = end;
    return KM_OK;
}

/* Fills *entry with the first entry of segment at or after address, which is an entry boundary
 * or a slot boundary; *next is where the entry after it starts. KM_NO_MORE_ITEMS past the
 * segment's end, KM_CORRUPTED at a busy block whose size code was overwritten. */
static km_status item_at(const km_segment *segment, unsigned region, uintptr_t address,
                         km_walk_entry *entry, uintptr_t *next)
{
    uintptr_t end = segment->base + segment->size;
    while (address < end) {
        size_t slot = km_slot_of(segment, address);
        if (slot < segment->meta_slots) {
            address = km_slot_address(segment, segment->meta_slots);
            continue;
        }
        if (slot >= segment->described) {
            fill(entry, KM_WALK_UNCOMMITTED, address, end - address, 0, region);
            *next = end;
            return KM_OK;
        }
        size_t head = head_of(segment, slot);
        const km_slot *h = &segment->slots[head];
        uintptr_t head_address = km_slot_address(segment, head);
        uintptr_t after = km_slot_address(segment, head + (h->span ? h->span : 1));
        const km_run *run = km_segment_run_record(segment, head);

        if (h->kind == KM_SLOT_FREE) {
            emit_free_slots(segment, slot, address, region, entry, next);
            return KM_OK;
        }
        if (h->kind == KM_SLOT_RUN) {
            km_status status = run_item_at(run, region, address, after, entry, next);
            if (status != KM_NO_MORE_ITEMS)
                return status;
            address = after;
            continue;
        }
        if (h->kind == KM_SLOT_SPAN) {
            uintptr_t committed = committed_end(segment, head + h->span - 1);
            if (address <= run->first_block) {
                size_t requested = run->span_requested;
                fill(entry, KM_WALK_BUSY, run->first_block, requested,
                     committed - head_address - requested, region);
                *next = committed < after ? committed : after;
                return KM_OK;
            }
            if (address >= committed) {
                fill(entry, KM_WALK_UNCOMMITTED, address, after - address, 0, region);
                *next = after;
                return KM_OK;
            }
            address = after;
            continue;
        }
        address = km_slot_address(segment, slot + 1); /* a tail whose head is not a block */
    }
    return KM_NO_MORE_ITEMS;
}

static size_t segment_committed(const km_segment *segment)
{
    size_t bytes = segment->meta_committed;
    for (size_t i = segment->meta_slots; i < segment->described; i++)
        bytes += committed_end(segment, i) - km_slot_address(segment, i);
    return bytes;
}

static km_status emit_region(const km_heap *heap, size_t index, km_walk_entry *entry)
{
    const km_segment *segment = heap->segments[index];
    size_t committed = segment_committed(segment);
    fill(entry, KM_WALK_REGION, segment->base, segment->meta_committed, 0, (unsigned)index);
    entry->committed = committed;
    entry->uncommitted = segment->size - committed;
    entry->first_block = (void *)km_slot_address(segment, segment->meta_slots);
    entry->last_block = (void *)(segment->base + segment->size);
    return KM_OK;
}

static km_status emit_large(const km_heap *heap, size_t index, km_walk_entry *entry)
{
    if (index >= heap->large.count)
        return KM_NO_MORE_ITEMS;
    const km_large_block *block = &heap->large.blocks[index];
    fill(entry, KM_WALK_BUSY, km_large_data(block), block->requested, 0,
         KM_WALK_LARGE_REGION_INDEX);
    return KM_OK;
}

static size_t segment_index(const km_heap *heap, const km_segment *segment)
{
    size_t i = 0;
    while (heap->segments[i] != segment)
        i++;
    return i;
}

static km_status walk_next_locked(km_heap *heap, km_walk_entry *entry)
{
    if (!entry->data)
        return emit_region(heap, 0, entry);
    uintptr_t data = (uintptr_t)entry->data;
    km_segment *segment = km_heap_segment_of_locked(heap, data);
    if (!segment) {
        size_t large;
        if (entry->kind != KM_WALK_BUSY || !km_large_find_locked(&heap->large, data, &large))
            return KM_INVALID_POINTER;
        return emit_large(heap, large + 1, entry);
    }
    size_t index = segment_index(heap, segment);
    unsigned region = (unsigned)index;
    uintptr_t resume;
    if (entry->kind == KM_WALK_REGION) {
        if (data != segment->base)
            return KM_INVALID_POINTER;
        resume = km_slot_address(segment, segment->meta_slots);
    } else {
        /* The entry the caller holds starts at its data: found again, it says where it ends. */
        km_walk_entry current;
        km_status status = item_at(segment, region, data, &current, &resume);
        if (status != KM_OK)
            return status == KM_CORRUPTED ? status : KM_INVALID_POINTER;
    }
    uintptr_t ignored;
    km_status status = item_at(segment, region, resume, entry, &ignored);
    if (status != KM_NO_MORE_ITEMS)
        return status;
    if (index + 1 < heap->segment_count)
        return emit_region(heap, index + 1, entry);
    return emit_large(heap, 0, entry);
}

km_status km_heap_walk(km_heap *heap, km_walk_entry *entry)
{
    bool locked = km_heap_enter_stopped(heap, 0);
    km_status status = walk_next_locked(heap, entry);
    km_heap_leave_stopped(heap, locked);
    return status;
}
