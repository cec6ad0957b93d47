#include "nt/nt_virtual.h"

#include "nt/ntdll.h"

NTSTATUS km_nt_virtual_alloc(void **base, SIZE_T *size, DWORD type, DWORD protect)
{
    return NtAllocateVirtualMemory(KM_NT_CURRENT_PROCESS, base, 0, size, type, protect);
}

NTSTATUS km_nt_virtual_free(void **base, SIZE_T *size, DWORD type)
{
    return NtFreeVirtualMemory(KM_NT_CURRENT_PROCESS, base, size, type);
}

NTSTATUS km_nt_virtual_query(const void *address, MEMORY_BASIC_INFORMATION *info,
                             SIZE_T info_length, SIZE_T *written)
{
    return NtQueryVirtualMemory(KM_NT_CURRENT_PROCESS, address, KM_NT_MEMORY_BASIC_INFORMATION,
                                info, info_length, written);
}

SIZE_T km_nt_allocation_granularity(void)
{
    /* Written once by the first caller; racing callers store the same value. */
    static volatile SIZE_T granularity;
    km_nt_system_basic_information info;

    if (granularity)
        return granularity;
    if (KM_NT_SUCCESS(NtQuerySystemInformation(KM_NT_SYSTEM_BASIC_INFORMATION, &info,
                                               sizeof(info), NULL)))
        granularity = info.allocation_granularity;
    else
        granularity = 0x10000;
    return granularity;
}
