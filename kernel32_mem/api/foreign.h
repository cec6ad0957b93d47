/*
 * What is not ours, decided cheaply and without reading it: the tests the exports make before
 * they pass a call on to the system (export_stats.h's KM_SYSTEM).
 */
#ifndef KM_API_FOREIGN_H
#define KM_API_FOREIGN_H

#include "api/heap_handles.h"
#include "nt/nt_address_map.h"
#include "nt/nt_foreign.h"

#include <stdbool.h>

/* A heap handle that is not ours but one of the system's heaps. */
static inline bool km_is_system_heap(HANDLE handle)
{
    return km_nt_is_system_heap(handle);
}

/* Memory outside every reservation of ours that the system could look at without faulting. */
static inline bool km_is_foreign_memory(const void *memory)
{
    return !km_nt_address_is_ours(memory) && km_nt_is_readable(memory);
}

/* A pointer our heap refused that belongs to the system's heap behind the same handle: only
 * the process heap has one. */
static inline bool km_is_foreign_block(km_heap *heap, const void *block)
{
    return heap == km_process_heap() && km_is_foreign_memory(block);
}

#endif
