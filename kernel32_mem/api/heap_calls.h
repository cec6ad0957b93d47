/*
 * The Heap exports' work on a heap of ours, without their handle checks and counting: what the
 * Global and Local families call on the process heap, so that one export's call is not counted
 * as another's.
 */
#ifndef KM_API_HEAP_CALLS_H
#define KM_API_HEAP_CALLS_H

#include "api/win32.h"
#include "core/heap.h"

#include <stdbool.h>

/* As HeapAlloc, HeapFree, HeapReAlloc and HeapSize on heap, with the same last errors. */
void *km_heap_call_alloc(km_heap *heap, DWORD flags, SIZE_T size);
bool km_heap_call_free(km_heap *heap, DWORD flags, void *block);
void *km_heap_call_realloc(km_heap *heap, DWORD flags, void *block, SIZE_T size);
SIZE_T km_heap_call_size(km_heap *heap, DWORD flags, const void *block);

#endif
