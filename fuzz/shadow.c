#include "shadow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/size_class.h"

/* A live block's bytes, [start, end), in the index of every heap's blocks sorted by start. A
 * block of size 0 counts as one byte: two blocks never share an address. */
typedef struct occupied {
    uintptr_t start;
    uintptr_t end;
} occupied;

#define OCCUPIED_MAX (SHADOW_HEAPS * SHADOW_BLOCKS_PER_HEAP)

static shadow_heap heaps[SHADOW_HEAPS];
static occupied index_of_blocks[OCCUPIED_MAX];
static size_t occupied_count;
static uint32_t next_tag;

size_t shadow_operation;

void shadow_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "core_ops: mismatch at operation %zu: ", shadow_operation);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    abort();
}

void shadow_require(bool holds, const char *format, ...)
{
    if (holds)
        return;
    va_list args;
    va_start(args, format);
    fprintf(stderr, "core_ops: mismatch at operation %zu: ", shadow_operation);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    abort();
}

void shadow_reset(void)
{
    for (size_t i = 0; i < SHADOW_HEAPS; i++)
        shadow_require(!heaps[i].heap, "heap slot %zu still live between inputs", i);
    occupied_count = 0;
    next_tag = 0;
    shadow_operation = 0;
}

shadow_heap *shadow_heap_at(size_t slot)
{
    return &heaps[slot];
}

size_t shadow_live_bytes(void)
{
    size_t total = 0;
    for (size_t i = 0; i < SHADOW_HEAPS; i++)
        total += heaps[i].live_bytes;
    return total;
}

static occupied occupied_by(uintptr_t data, size_t size)
{
    return (occupied){data, data + (size ? size : 1)};
}

/* The first entry of the index that ends after address. */
static size_t first_ending_after(uintptr_t address)
{
    size_t low = 0, high = occupied_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (index_of_blocks[middle].end <= address)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

static void index_insert(uintptr_t data, size_t size)
{
    occupied range = occupied_by(data, size);
    size_t at = first_ending_after(range.start);
    if (at < occupied_count && index_of_blocks[at].start < range.end)
        shadow_fail("new block [%#lx, +%zu) overlaps the live block [%#lx, %#lx)",
                    (unsigned long)data, size, (unsigned long)index_of_blocks[at].start,
                    (unsigned long)index_of_blocks[at].end);
    memmove(&index_of_blocks[at + 1], &index_of_blocks[at],
            (occupied_count - at) * sizeof index_of_blocks[0]);
    index_of_blocks[at] = range;
    occupied_count++;
}

static void index_remove(uintptr_t data)
{
    size_t at = first_ending_after(data);
    if (at == occupied_count || index_of_blocks[at].start != data)
        shadow_fail("the model lost the block at %#lx", (unsigned long)data);
    memmove(&index_of_blocks[at], &index_of_blocks[at + 1],
            (occupied_count - at - 1) * sizeof index_of_blocks[0]);
    occupied_count--;
}

shadow_block *shadow_add(shadow_heap *heap, void *data, size_t size)
{
    shadow_require((uintptr_t)data % KM_BLOCK_ALIGNMENT == 0, "block %p is not %zu-byte aligned",
                   data, (size_t)KM_BLOCK_ALIGNMENT);
    index_insert((uintptr_t)data, size);
    shadow_block *block = &heap->blocks[heap->count++];
    *block = (shadow_block){.data = data, .size = size, .tag = next_tag++};
    heap->live_bytes += size;
    return block;
}

void shadow_remove(shadow_heap *heap, size_t index)
{
    shadow_block *block = &heap->blocks[index];
    index_remove((uintptr_t)block->data);
    heap->live_bytes -= block->size;
    *block = heap->blocks[--heap->count];
}

void shadow_resize(shadow_heap *heap, size_t index, void *data, size_t size)
{
    shadow_block *block = &heap->blocks[index];
    shadow_require((uintptr_t)data % KM_BLOCK_ALIGNMENT == 0, "block %p is not %zu-byte aligned",
                   data, (size_t)KM_BLOCK_ALIGNMENT);
    index_remove((uintptr_t)block->data);
    index_insert((uintptr_t)data, size);
    heap->live_bytes += size - block->size;
    block->data = data;
    block->size = size;
}

size_t shadow_find(const shadow_heap *heap, uintptr_t data)
{
    for (size_t i = 0; i < heap->count; i++)
        if ((uintptr_t)heap->blocks[i].data == data)
            return i;
    return SIZE_MAX;
}

const shadow_block *shadow_containing(uintptr_t address, shadow_heap **owner)
{
    size_t at = first_ending_after(address);
    if (at == occupied_count || index_of_blocks[at].start > address)
        return NULL;
    for (size_t h = 0; h < SHADOW_HEAPS; h++) {
        size_t index = shadow_find(&heaps[h], index_of_blocks[at].start);
        if (index != SIZE_MAX) {
            *owner = &heaps[h];
            return &heaps[h].blocks[index];
        }
    }
    shadow_fail("the index holds a block no heap has, at %#lx", (unsigned long)address);
}

void shadow_check_blocks(shadow_heap *heap, const char *when)
{
    for (size_t i = 0; i < heap->count; i++) {
        const shadow_block *block = &heap->blocks[i];
        size_t size = SIZE_MAX;
        km_status status = km_heap_size(heap->heap, 0, block->data, &size);
        shadow_require(status == KM_OK && size == block->size,
                       "%s: km_heap_size(%p) = status %d, size %zu; the block has size %zu", when,
                       (void *)block->data, status, size, block->size);
        shadow_check_pattern(block, 0, block->size, when);
    }
}

void shadow_check_heap(shadow_heap *heap, const char *when)
{
    km_heap_summary summary;
    km_heap_summarize(heap->heap, 0, &summary);
    shadow_require(summary.allocated == heap->live_bytes,
                   "%s: the heap counts %zu bytes allocated; its live blocks hold %zu", when,
                   summary.allocated, heap->live_bytes);
    shadow_require(summary.reserved == heap->pages.reserved_bytes,
                   "%s: the heap counts %zu bytes reserved; its page provider %zu", when,
                   summary.reserved, heap->pages.reserved_bytes);
    shadow_require(summary.committed <= summary.reserved,
                   "%s: the heap counts %zu bytes committed of %zu reserved", when,
                   summary.committed, summary.reserved);
    shadow_require(km_heap_validate(heap->heap, 0, NULL),
                   "%s: km_heap_validate finds the heap broken", when);
}
