/*
 * Heap handles as the exports see them: the registry of this process's heaps, the process heap
 * made when the DLL is loaded, and the process-wide switch HeapEnableTerminationOnCorruption
 * turns on.
 */
#ifndef KM_API_HEAP_HANDLES_H
#define KM_API_HEAP_HANDLES_H

#include "api/win32.h"
#include "core/handle_table.h"
#include "core/heap.h"
#include "core/heap_registry.h"

km_heap_registry *km_heaps(void);

/* The table of moveable-memory handles (GlobalAlloc/LocalAlloc with GMEM_MOVEABLE). */
km_handle_table *km_moveable_handles(void);
km_heap *km_process_heap(void);

/* The process heap's handle: the PEB's, which GetProcessHeap returns. */
HANDLE km_process_heap_handle(void);

/* The live heap a handle names, or NULL. */
km_heap *km_heap_from_handle(HANDLE handle);

/* A busy block failed its header check: ends the process when termination on corruption was
 * enabled; otherwise the caller reports ERROR_INVALID_PARAMETER. */
void km_heap_report_corruption(void);
void km_heap_enable_termination_on_corruption(void);

#endif
