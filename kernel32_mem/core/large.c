/*
 * Large blocks: a request above KM_LARGE_THRESHOLD in a growable heap gets a reservation of its
 * own, released as soon as it is freed (as Windows releases its huge blocks), so a big block
 * never pins memory in a segment.
 *
 * A new block's reservation is committed whole, in the same system call that makes it (at most
 * one granule, 64 KiB, more than the data needs, and one call fewer for every large block). A
 * block that grows past its reservation moves to one with half as much again as room, committed
 * only as far as the data reaches, so a buffer grown step by step moves a logarithmic number of
 * times.
 *
 * The heap lists its large blocks in a table sorted by address, kept in a reservation of the
 * table's own: a pointer is a large block only if the table has it, which is known without
 * touching the pointer. The block's data starts KM_LARGE_DATA_OFFSET bytes into its reservation,
 * where Windows and Wine put a huge block's data (64-byte aligned, with the 0x40 bit set, which
 * programs that test alignment observe); the table, not a header, holds its size.
 */
#include "core/align.h"
#include "core/heap_types.h"

#include <string.h>

uintptr_t km_large_data(const km_large_block *block)
{
    return block->base + block->data_offset;
}

/* The first index whose block starts at or after base. */
static size_t lower_bound(const km_large_table *table, uintptr_t base)
{
    size_t low = 0, high = table->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (table->blocks[middle].base < base)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

bool km_large_find_locked(const km_large_table *table, uintptr_t data, size_t *index)
{
    /* The block that starts at or before data, whose data must be exactly there. */
    size_t at = lower_bound(table, data + 1);
    if (at == 0 || km_large_data(&table->blocks[at - 1]) != data)
        return false;
    *index = at - 1;
    return true;
}

/* Makes room for one more entry, moving the table to a reservation twice as big when full. */
static km_status grow_table(km_heap *heap)
{
    km_large_table *table = &heap->large;
    if (table->count < table->capacity)
        return KM_OK;
    size_t bytes = table->reserved ? table->reserved * 2 : heap->pages->granularity;
    void *storage = km_heap_reserve_locked(heap, bytes, bytes);
    if (!storage)
        return KM_NO_MEMORY;
    if (table->blocks) {
        memcpy(storage, table->blocks, table->count * sizeof(km_large_block));
        km_heap_release_locked(heap, (uintptr_t)table->blocks, table->reserved, table->reserved);
    }
    table->blocks = storage;
    table->reserved = bytes;
    table->capacity = bytes / sizeof(km_large_block);
    return KM_OK;
}

/* Lists a block in address order (the table has room: grow_table came first); its data. */
static void *insert(km_large_table *table, km_large_block block)
{
    size_t at = lower_bound(table, block.base);
    memmove(&table->blocks[at + 1], &table->blocks[at], (table->count - at) * sizeof(block));
    table->blocks[at] = block;
    table->count++;
    return (void *)km_large_data(&table->blocks[at]);
}

void *km_large_alloc_locked(km_heap *heap, size_t size, size_t reach, size_t reserve_at_least,
                            km_status *status)
{
    size_t total, reserved, committed, wanted;
    if (size > SIZE_MAX - KM_LARGE_DATA_OFFSET - reach ||
        !km_align_up(total = size + reach + KM_LARGE_DATA_OFFSET, heap->pages->granularity,
                     &reserved) ||
        !km_align_up(total, heap->pages->page_size, &committed) ||
        !km_align_up(reserve_at_least, heap->pages->granularity, &wanted)) {
        *status = KM_NO_MEMORY;
        return NULL;
    }
    *status = grow_table(heap);
    if (*status != KM_OK)
        return NULL;
    /* Room to grow commits only the data; where the address space has no room for it (a
     * 32-bit process), the block gets what it needs and no more. */
    void *base = wanted > reserved ? km_heap_reserve_locked(heap, wanted, committed) : NULL;
    if (base) {
        reserved = wanted;
    } else {
        committed = reserved;
        base = km_heap_reserve_locked(heap, reserved, committed);
    }
    if (!base) {
        *status = KM_NO_MEMORY;
        return NULL;
    }
    return insert(&heap->large, (km_large_block){(uintptr_t)base, reserved, committed, size,
                                                 KM_LARGE_DATA_OFFSET, false});
}

void *km_large_alloc_guarded_locked(km_heap *heap, size_t size, km_status *status)
{
    size_t page = heap->pages->page_size;
    size_t data_bytes, committed, reserved;
    if (!km_align_up(size ? size : 1, KM_BLOCK_ALIGNMENT, &data_bytes) ||
        !km_align_up(data_bytes, page, &committed) || committed > SIZE_MAX - page ||
        !km_align_up(committed + page, heap->pages->granularity, &reserved)) {
        *status = KM_NO_MEMORY;
        return NULL;
    }
    *status = grow_table(heap);
    if (*status != KM_OK)
        return NULL;
    void *base = km_heap_reserve_locked(heap, reserved, committed);
    if (!base) {
        *status = KM_NO_MEMORY;
        return NULL;
    }
    return insert(&heap->large, (km_large_block){(uintptr_t)base, reserved, committed, size,
                                                 committed - data_bytes, true});
}

void km_large_free_locked(km_heap *heap, size_t index)
{
    km_large_table *table = &heap->large;
    km_large_block block = table->blocks[index];
    memmove(&table->blocks[index], &table->blocks[index + 1],
            (table->count - index - 1) * sizeof(km_large_block));
    table->count--;
    km_heap_release_locked(heap, block.base, block.reserved, block.committed);
}

bool km_large_resize_locked(km_heap *heap, size_t index, size_t size, size_t reach)
{
    km_large_block *block = &heap->large.blocks[index];
    /* A guarded block's end is fixed against its guard page: it grows by moving, and shrinks
     * where it is (a shrink in place must not fail), its end then short of the guard. */
    if (block->guarded) {
        if (size > block->requested)
            return false;
        block->requested = size;
        return true;
    }
    size_t committed = 0;
    if (size > block->reserved - KM_LARGE_DATA_OFFSET - reach ||
        !km_align_up(size + reach + KM_LARGE_DATA_OFFSET, heap->pages->page_size, &committed))
        return false;
    if (committed > block->committed) {
        if (km_heap_commit_locked(heap, block->base + block->committed,
                                  committed - block->committed) != KM_OK)
            return false;
    } else {
        km_heap_decommit_locked(heap, block->base + committed, block->committed - committed);
    }
    block->committed = committed;
    block->requested = size;
    return true;
}

void km_large_release_all(km_heap *heap)
{
    km_large_table *table = &heap->large;
    while (table->count) {
        km_large_block *block = &table->blocks[--table->count];
        km_heap_release_locked(heap, block->base, block->reserved, block->committed);
    }
    if (table->blocks)
        km_heap_release_locked(heap, (uintptr_t)table->blocks, table->reserved, table->reserved);
    *table = (km_large_table){0};
}
