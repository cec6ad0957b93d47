/*
 * Heap handles as the exports see them: the registry of this process's heaps, the process heap
 * made when the DLL is loaded, and the process-wide switch HeapEnableTerminationOnCorruption
 * turns on.
 */
#ifndef KM_API_HEAP_HANDLES_H
#define KM_API_HEAP_HANDLES_H

#include "api/win32.h"
#include "core/handle_table.h"
#include "core/heap_snapshot.h"
#include "core/heap.h"
#include "core/heap_registry.h"

km_heap_registry *km_heaps(void);

/* The table of moveable-memory handles (GlobalAlloc/LocalAlloc with GMEM_MOVEABLE). */
km_handle_table *km_moveable_handles(void);
/* What the bits of a moveable handle's entry flags mean (global_local.c), for snapshots. */
extern const km_flag_name km_moveable_flag_names[];
km_heap *km_process_heap(void);

/* The process heap's handle: the PEB's, which GetProcessHeap returns. */
HANDLE km_process_heap_handle(void);

/* What the user asked of every heap through the environment (KM_HEAP_DELAY_FREE), applied to
 * a heap just made. */
void km_heap_apply_settings(km_heap *heap);

/* Whether a bad pointer given to a heap is heap corruption (FLG_HEAP_VALIDATE_PARAMETERS, or
 * KM_HEAP_DEBUG=validate), not only an error. */
bool km_heap_validates_parameters(void);

/* The live heap a handle names, or NULL. */
km_heap *km_heap_from_handle(HANDLE handle);

/* The one path of heap corruption (a block's guard overwritten, a second free): breaks into an
 * attached debugger, then ends the process with STATUS_HEAP_CORRUPTION when termination on
 * corruption is on (by default as Windows sets it: every 64-bit process, and 32-bit ones whose
 * executable's subsystem version is 6 or more; or by HeapSetInformation); otherwise the caller
 * reports ERROR_INVALID_PARAMETER. */
void km_heap_report_corruption(void);
void km_heap_enable_termination_on_corruption(void);

#endif
