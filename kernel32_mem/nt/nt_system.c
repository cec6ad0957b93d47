#include "nt/nt_system.h"

#include "nt/nt_error.h"
#include "nt/nt_virtual.h"
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

/* SYSTEM_FILECACHE_INFORMATION, as the DDK lays it out. The kernel counts the working-set
 * limits in pages; its MM_WORKING_SET_* flags have the FILE_CACHE_* values. */
typedef struct file_cache_information {
    SIZE_T current_size;
    SIZE_T peak_size;
    ULONG page_fault_count;
    SIZE_T minimum_working_set;
    SIZE_T maximum_working_set;
    SIZE_T current_size_including_transition;
    SIZE_T peak_size_including_transition;
    ULONG transition_repurpose_count;
    ULONG flags;
} file_cache_information;

#define KM_FLUSH_FILE_CACHE ((SIZE_T)-1)

/* KUSER_SHARED_DATA: mapped read-only at the same address in every process; LargePageMinimum
 * is at this offset on every version that has it. */
#define KM_USER_SHARED_DATA ((const volatile unsigned char *)(ULONG_PTR)0x7ffe0000)
#define KM_SHARED_LARGE_PAGE_MINIMUM 0x244

NTSTATUS km_nt_memory_totals_read(km_nt_memory_totals *totals)
{
    km_nt_system_basic_information basic;
    NTSTATUS status = NtQuerySystemInformation(KM_NT_SYSTEM_BASIC_INFORMATION, &basic,
                                               sizeof basic, NULL);
    if (km_nt_failed(status))
        return status;
    union {
        performance_head head;
        unsigned char room[1024];
    } performance;
    status = NtQuerySystemInformation(KM_NT_SYSTEM_PERFORMANCE_INFORMATION, &performance,
                                      sizeof performance, NULL);
    if (km_nt_failed(status))
        return status;
    vm_counters counters;
    status = NtQueryInformationProcess(KM_NT_CURRENT_PROCESS, KM_NT_PROCESS_VM_COUNTERS,
                                       &counters, sizeof counters, NULL);
    if (km_nt_failed(status))
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
    if (km_nt_failed(status))
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

NTSTATUS km_nt_file_cache_read(SIZE_T *minimum, SIZE_T *maximum, DWORD *flags)
{
    file_cache_information info = {0};
    NTSTATUS status = NtQuerySystemInformation(KM_NT_SYSTEM_FILE_CACHE_INFORMATION_EX, &info,
                                               sizeof info, NULL);
    if (km_nt_failed(status))
        return status;
    SIZE_T page = km_nt_page_size();
    *minimum = info.minimum_working_set * page;
    *maximum = info.maximum_working_set * page;
    *flags = info.flags;
    return 0;
}

NTSTATUS km_nt_file_cache_write(SIZE_T minimum, SIZE_T maximum, DWORD flags)
{
    file_cache_information info = {.flags = flags};
    SIZE_T page = km_nt_page_size();
    info.minimum_working_set = minimum == KM_FLUSH_FILE_CACHE ? minimum : minimum / page;
    info.maximum_working_set = maximum == KM_FLUSH_FILE_CACHE ? maximum : maximum / page;
    BOOLEAN was_enabled = FALSE;
    NTSTATUS privilege = RtlAdjustPrivilege(KM_NT_SE_INCREASE_QUOTA_PRIVILEGE, TRUE, FALSE,
                                            &was_enabled);
    if (privilege)
        return privilege;
    NTSTATUS status =
        NtSetSystemInformation(KM_NT_SYSTEM_FILE_CACHE_INFORMATION_EX, &info, sizeof info);
    if (!was_enabled)
        RtlAdjustPrivilege(KM_NT_SE_INCREASE_QUOTA_PRIVILEGE, FALSE, FALSE, &was_enabled);
    return status;
}

SIZE_T km_nt_large_page_minimum(void)
{
    return *(const volatile ULONG *)(KM_USER_SHARED_DATA + KM_SHARED_LARGE_PAGE_MINIMUM);
}

static const IMAGE_NT_HEADERS *image_headers(void)
{
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)km_nt_image_base();
    return (const IMAGE_NT_HEADERS *)((const char *)dos + dos->e_lfanew);
}

BOOL km_nt_image_is_large_address_aware(void)
{
    return (image_headers()->FileHeader.Characteristics & IMAGE_FILE_LARGE_ADDRESS_AWARE) != 0;
}

unsigned km_nt_image_subsystem_major_version(void)
{
    return image_headers()->OptionalHeader.MajorSubsystemVersion;
}
