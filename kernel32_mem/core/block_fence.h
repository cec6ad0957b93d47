/*
 * Fences: in the debug modes, the request of a span's or a large block is followed by a fill
 * that a write past the request breaks. (A run's block has its slack code, guard, seal and tail
 * fill instead: slack_code.h.)
 *
 * Tail checking puts Windows' 16 bytes of 0xAB after the request, as after a run block's. The
 * page heap's block ends against an inaccessible page, so a write past it faults; the bytes of
 * alignment between the request and that page (up to 15, more after a shrink in place) hold
 * 0xD0, the page heap's suffix pattern on Windows, so a write that stops short of the page is
 * found too. Either fence is checked wherever a run block's tail is: on free, size, realloc and
 * validate.
 */
#ifndef KM_CORE_BLOCK_FENCE_H
#define KM_CORE_BLOCK_FENCE_H

#include "core/heap_types.h"
#include "core/slack_code.h"

#include <string.h>

#define KM_PAGE_HEAP_SUFFIX_FILL 0xd0

typedef struct km_fence {
    uint8_t *start;
    size_t length;
    uint8_t fill;
} km_fence;

/* Bytes past its request that a new or resized span or large block must have for its fence. */
static inline size_t km_fence_reach(const km_heap *heap)
{
    return __builtin_expect(heap->debug & KM_HEAP_DEBUG_TAIL, 0) ? KM_HEAP_TAIL_BYTES : 0;
}

static inline km_fence km_span_fence(const km_heap *heap, const km_run *span)
{
    return (km_fence){(uint8_t *)span->first_block + span->span_requested, km_fence_reach(heap),
                      KM_HEAP_TAIL_FILL};
}

static inline km_fence km_large_fence(const km_heap *heap, const km_large_block *block)
{
    uintptr_t end = km_large_data(block) + block->requested;
    if (block->guarded)
        return (km_fence){(uint8_t *)end, block->base + block->committed - end,
                          KM_PAGE_HEAP_SUFFIX_FILL};
    return (km_fence){(uint8_t *)end, km_fence_reach(heap), KM_HEAP_TAIL_FILL};
}

static inline void km_fence_write(km_fence fence)
{
    if (fence.length)
        memset(fence.start, fence.fill, fence.length);
}

static inline bool km_fence_is_intact(km_fence fence)
{
    for (size_t i = 0; i < fence.length; i++)
        if (fence.start[i] != fence.fill)
            return false;
    return true;
}

#endif
