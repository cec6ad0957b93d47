#include "nt/nt_physical.h"

#include "nt/nt_lookup.h"

typedef NTSTATUS(NTAPI *allocate_call)(HANDLE, PULONG_PTR, PULONG_PTR);
typedef NTSTATUS(NTAPI *allocate_ex_call)(HANDLE, PULONG_PTR, PULONG_PTR,
                                          MEM_EXTENDED_PARAMETER *, ULONG);
typedef NTSTATUS(NTAPI *map_call)(PVOID, ULONG_PTR, PULONG_PTR);
typedef NTSTATUS(NTAPI *map_scatter_call)(PVOID *, ULONG_PTR, PULONG_PTR);

NTSTATUS km_nt_physical_pages_allocate(HANDLE process, ULONG_PTR *count, ULONG_PTR *frames,
                                       DWORD node)
{
    if (node != NUMA_NO_PREFERRED_NODE) {
        allocate_ex_call allocate_ex =
            (allocate_ex_call)km_nt_ntdll_export("NtAllocateUserPhysicalPagesEx");
        if (!allocate_ex)
            return KM_NT_STATUS_CALL_MISSING;
        MEM_EXTENDED_PARAMETER preferred = {0};
        preferred.Type = MemExtendedParameterNumaNode;
        preferred.ULong = node;
        return allocate_ex(process, count, frames, &preferred, 1);
    }
    allocate_call allocate = (allocate_call)km_nt_ntdll_export("NtAllocateUserPhysicalPages");
    return allocate ? allocate(process, count, frames) : KM_NT_STATUS_CALL_MISSING;
}

NTSTATUS km_nt_physical_pages_free(HANDLE process, ULONG_PTR *count, ULONG_PTR *frames)
{
    allocate_call release = (allocate_call)km_nt_ntdll_export("NtFreeUserPhysicalPages");
    return release ? release(process, count, frames) : KM_NT_STATUS_CALL_MISSING;
}

NTSTATUS km_nt_physical_pages_map(void *address, ULONG_PTR count, ULONG_PTR *frames)
{
    map_call map = (map_call)km_nt_ntdll_export("NtMapUserPhysicalPages");
    return map ? map(address, count, frames) : KM_NT_STATUS_CALL_MISSING;
}

NTSTATUS km_nt_physical_pages_map_scatter(void **addresses, ULONG_PTR count, ULONG_PTR *frames)
{
    map_scatter_call map =
        (map_scatter_call)km_nt_ntdll_export("NtMapUserPhysicalPagesScatter");
    return map ? map(addresses, count, frames) : KM_NT_STATUS_CALL_MISSING;
}
