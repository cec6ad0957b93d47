/*
 * The AWE exports (Address Windowing Extensions): physical pages a process allocates for
 * itself, with the lock-memory privilege, and maps into a MEM_PHYSICAL reservation. The kernel
 * checks everything (privilege, counts, the frame array); this layer only turns its answer into
 * the last error. A kernel without these system calls (Wine's) makes every call fail with
 * ERROR_CALL_NOT_IMPLEMENTED.
 */
#include "api/win32.h"

#include "api/export_stats.h"

#include "nt/nt_error.h"
#include "nt/nt_physical.h"

static BOOL finish(NTSTATUS status)
{
    if (status == 0)
        return TRUE;
    km_nt_set_last_status(status);
    return FALSE;
}

BOOL WINAPI AllocateUserPhysicalPagesNuma(HANDLE process, PULONG_PTR count, PULONG_PTR frames,
                                          DWORD node)
{
    KM_COUNT_CALL(AllocateUserPhysicalPagesNuma);
    return finish(km_nt_physical_pages_allocate(process, count, frames, node));
}

BOOL WINAPI AllocateUserPhysicalPages(HANDLE process, PULONG_PTR count, PULONG_PTR frames)
{
    KM_COUNT_CALL(AllocateUserPhysicalPages);
    return finish(km_nt_physical_pages_allocate(process, count, frames, NUMA_NO_PREFERRED_NODE));
}

BOOL WINAPI FreeUserPhysicalPages(HANDLE process, PULONG_PTR count, PULONG_PTR frames)
{
    KM_COUNT_CALL(FreeUserPhysicalPages);
    return finish(km_nt_physical_pages_free(process, count, frames));
}

BOOL WINAPI MapUserPhysicalPages(PVOID address, ULONG_PTR count, PULONG_PTR frames)
{
    KM_COUNT_CALL(MapUserPhysicalPages);
    return finish(km_nt_physical_pages_map(address, count, frames));
}

BOOL WINAPI MapUserPhysicalPagesScatter(PVOID *addresses, ULONG_PTR count, PULONG_PTR frames)
{
    KM_COUNT_CALL(MapUserPhysicalPagesScatter);
    return finish(km_nt_physical_pages_map_scatter(addresses, count, frames));
}
