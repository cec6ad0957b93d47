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

/* Memory outside every reservation of ours that the system could look at without faulting: the
 * address and what the system reads before it: the word before a Global/Local handle (its entry
 * starts there), and the two words before a heap block (its header), for an address aligned as a
 * block is (a handle never is). The first 64 KiB are never mapped, so NULL and small numbers are
 * refused without a system call. */
static inline bool km_is_foreign_memory(const void *memory)
{
    const char *address = memory;
    if ((uintptr_t)address < 0x10000 || km_nt_address_is_ours(address))
        return false;
    bool block_aligned = ((uintptr_t)address & (2 * sizeof(void *) - 1)) == 0;
    const char *first_read = address - (block_aligned ? 2 : 1) * sizeof(void *);
    bool same_page = ((uintptr_t)first_read ^ (uintptr_t)address) < 0x1000;
    return km_nt_is_readable(address) && (same_page || km_nt_is_readable(first_read));
}

/* A pointer our heap refused that belongs to the system's heap behind the same handle: only
 * the process heap has one. */
static inline bool km_is_foreign_block(km_heap *heap, const void *block)
{
    return heap == km_process_heap() && km_is_foreign_memory(block);
}

#endif
