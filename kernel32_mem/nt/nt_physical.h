/*
 * Physical pages a process allocates for itself and maps into an AWE region (Address Windowing
 * Extensions), over the Nt*UserPhysicalPages system calls, looked up at run time: a kernel
 * without them answers KM_NT_STATUS_CALL_MISSING.
 */
#ifndef KM_NT_PHYSICAL_H
#define KM_NT_PHYSICAL_H

#include "nt/nt_types.h"

/* Allocates up to *count pages (preferring NUMA node `node`, or none when it is
 * NUMA_NO_PREFERRED_NODE); *count comes back as the number allocated, their frame numbers in
 * frames. */
NTSTATUS km_nt_physical_pages_allocate(HANDLE process, ULONG_PTR *count, ULONG_PTR *frames,
                                       DWORD node);
NTSTATUS km_nt_physical_pages_free(HANDLE process, ULONG_PTR *count, ULONG_PTR *frames);

/* Maps count frames at consecutive pages from address (frames NULL: unmaps them). */
NTSTATUS km_nt_physical_pages_map(void *address, ULONG_PTR count, ULONG_PTR *frames);

/* Maps frame i at addresses[i] (frames NULL: unmaps those pages). */
NTSTATUS km_nt_physical_pages_map_scatter(void **addresses, ULONG_PTR count, ULONG_PTR *frames);

#endif
