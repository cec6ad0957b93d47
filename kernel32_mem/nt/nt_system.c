#include "nt/nt_system.h"

#include "nt/ntdll.h"

/* The leading fields of SYSTEM_PERFORMANCE_INFORMATION, as the DDK lays them out; the kernel
 * wants room for the whole structure, which has grown across versions. */
typedef struct performance_head {
    LARGE_INTEGER idle_time;
    LARGE_INTEGER read_transfer_count;
    LARGE_INTEGER write_transfer_count;
    LARGE_INTEGER other_transfer_count;
    ULONG read_operation_count;
    ULONG write_operation_count;
    ULONG other_operation_count;
    ULONG available_pages;
    ULONG committed_pages;
    ULONG commit_limit;
} performance_head;

/* VM_COUNTERS, as the DDK lays it out. */
typedef struct vm_counters {
    SIZE_T peak_virtual_size;
    SIZE_T virtual_size;
    ULONG page_fault_count;
    SIZE_T peak_working_set_size;
    SIZE_T working_set_size;
    SIZE_T quota_peak_paged_pool_usage;
    SIZE_T quota_paged_pool_usage;
    SIZE_T quota_peak_non_paged_pool_usage;
    SIZE_T quota_non_paged_pool_usage;
    SIZE_T pagefile_usage;
    SIZE_T peak_pagefile_usage;
} vm_counters;

/* KUSER_SHARED_DATA: mapped read-only at the same address in every process; LargePageMinimum
 * is at this offset on every version that has it. */
#define KM_USER_SHARED_DATA ((const volatile unsigned char *)(ULONG_PTR)0x7ffe0000)
#define KM_SHARED_LARGE_PAGE_MINIMUM 0x244

NTSTATUS km_nt_memory_totals_read(km_nt_memory_totals *totals)
{
    km_nt_system_basic_information basic;
    NTSTATUS status = NtQuerySystemInformation(KM_NT_SYSTEM_BASIC_INFORMATION, &basic,
                                               sizeof basic, NULL);
    if (status)
        return status;
    union {
        performance_head head;
        unsigned char room[1024];
    } performance;
    status = NtQuerySystemInformation(KM_NT_SYSTEM_PERFORMANCE_INFORMATION, &performance,
                                      sizeof performance, NULL);
    if (status)
        return status;
    vm_counters counters;
    status = NtQueryInformationProcess(KM_NT_CURRENT_PROCESS, KM_NT_PROCESS_VM_COUNTERS,
                                       &counters, sizeof counters, NULL);
    if (status)
        return status;

    ULONGLONG page = basic.page_size;
    totals->total_physical = basic.physical_pages * page;
    totals->available_physical = performance.head.available_pages * page;
    totals->commit_limit = performance.head.commit_limit * page;
    totals->commit_available =
        performance.head.commit_limit > performance.head.committed_pages
            ? (performance.head.commit_limit - performance.head.committed_pages) * page
            : 0;
    totals->total_virtual = basic.highest_user_address - basic.lowest_user_address + 1;
    totals->available_virtual = totals->total_virtual > counters.virtual_size
                                    ? totals->total_virtual - counters.virtual_size
                                    : 0;
    return 0;
}

NTSTATUS km_nt_working_set_read(HANDLE process, SIZE_T *minimum, SIZE_T *maximum, DWORD *flags)
{
    QUOTA_LIMITS_EX limits = {0};
    NTSTATUS status = NtQueryInformationProcess(process, KM_NT_PROCESS_QUOTA_LIMITS, &limits,
                                                sizeof limits, NULL);
    if (status)
        return status;
    *minimum = limits.MinimumWorkingSetSize;
    *maximum = limits.MaximumWorkingSetSize;
    *flags = limits.Flags;
    return 0;
}

NTSTATUS km_nt_working_set_write(HANDLE process, SIZE_T minimum, SIZE_T maximum, DWORD flags)
{
    QUOTA_LIMITS_EX limits = {.MinimumWorkingSetSize = minimum,
                              .MaximumWorkingSetSize = maximum,
                              .Flags = flags};
    return NtSetInformationProcess(process, KM_NT_PROCESS_QUOTA_LIMITS, &limits, sizeof limits);
}

SIZE_T km_nt_large_page_minimum(void)
{
    return *(const volatile ULONG *)(KM_USER_SHARED_DATA + KM_SHARED_LARGE_PAGE_MINIMUM);
}

BOOL km_nt_image_is_large_address_aware(void)
{
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)km_nt_image_base();
    const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)((const char *)dos + dos->e_lfanew);
    return (nt->FileHeader.Characteristics & IMAGE_FILE_LARGE_ADDRESS_AWARE) != 0;
}
