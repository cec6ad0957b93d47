/*
 * The kernel's two memory-condition events, \KernelObjects\LowMemoryCondition and
 * \KernelObjects\HighMemoryCondition: the memory manager signals one while available physical
 * memory is below (above) its threshold. Callers may wait on them and read their state; they
 * may not set them.
 */
#ifndef KM_NT_MEMORY_CONDITION_H
#define KM_NT_MEMORY_CONDITION_H

#include "nt/nt_types.h"

/* Opens the low (high = FALSE) or high memory-condition event for waiting and querying. */
NTSTATUS km_nt_memory_condition_open(BOOL high, HANDLE *event);

/* Whether the event is signalled. */
NTSTATUS km_nt_memory_condition_query(HANDLE event, BOOL *signalled);

#endif
