#include "nt/nt_virtual.h"

#include "nt/nt_lookup.h"
#include "nt/ntdll.h"

/* NtLockVirtualMemory's map type for the working set (MAP_PROCESS in the DDK). */
#define KM_NT_MAP_PROCESS 1

NTSTATUS km_nt_virtual_alloc(HANDLE process, void **base, SIZE_T *size, DWORD type, DWORD protect)
{
    return NtAllocateVirtualMemory(process, base, 0, size, type, protect);
}

NTSTATUS km_nt_virtual_free(HANDLE process, void **base, SIZE_T *size, DWORD type)
{
    return NtFreeVirtualMemory(process, base, size, type);
}

NTSTATUS km_nt_virtual_query(HANDLE process, const void *address, MEMORY_BASIC_INFORMATION *info,
                             SIZE_T info_length, SIZE_T *written)
{
    return NtQueryVirtualMemory(process, address, KM_NT_MEMORY_BASIC_INFORMATION, info, info_length,
                                written);
}

/* NtAllocateVirtualMemoryEx is Windows 10's (1803) and Wine's: looked up, so that the DLL still
 * loads where it is missing. */
typedef NTSTATUS(NTAPI *allocate_ex_function)(HANDLE, PVOID *, PSIZE_T, ULONG, ULONG, PVOID, ULONG);

NTSTATUS km_nt_virtual_alloc_ex(HANDLE process, void **base, SIZE_T *size, DWORD type,
                                DWORD protect, void *parameters, ULONG count)
{
    static allocate_ex_function allocate_ex;
    if (!allocate_ex)
        allocate_ex = (allocate_ex_function)km_nt_ntdll_export("NtAllocateVirtualMemoryEx");
    if (!allocate_ex)
        return KM_NT_STATUS_CALL_MISSING;
    return allocate_ex(process, base, size, type, protect, parameters, count);
}

NTSTATUS km_nt_virtual_query_class(HANDLE process, const void *address, ULONG info_class,
                                   void *info, SIZE_T length, SIZE_T *written)
{
    return NtQueryVirtualMemory(process, address, (km_nt_memory_information_class)info_class, info,
                                length, written);
}

NTSTATUS km_nt_query_working_set(HANDLE process, bool extended, void *buffer, SIZE_T length)
{
    return NtQueryVirtualMemory(process, NULL,
                                extended ? KM_NT_MEMORY_WORKING_SET_EX_INFORMATION
                                         : KM_NT_MEMORY_WORKING_SET_INFORMATION,
                                buffer, length, NULL);
}

NTSTATUS km_nt_virtual_protect(HANDLE process, void **base, SIZE_T *size, DWORD protect, DWORD *old)
{
    ULONG old_protect = 0;
    NTSTATUS status = NtProtectVirtualMemory(process, base, size, protect, &old_protect);
    *old = old_protect;
    return status;
}

NTSTATUS km_nt_virtual_lock(HANDLE process, void **base, SIZE_T *size, BOOL lock)
{
    return lock ? NtLockVirtualMemory(process, base, size, KM_NT_MAP_PROCESS)
                : NtUnlockVirtualMemory(process, base, size, KM_NT_MAP_PROCESS);
}

NTSTATUS km_nt_get_write_watch(DWORD flags, void *base, SIZE_T size, void **addresses,
                               ULONG_PTR *count, ULONG *granularity)
{
    return NtGetWriteWatch(KM_NT_CURRENT_PROCESS, flags, base, size, addresses, count, granularity);
}

NTSTATUS km_nt_reset_write_watch(void *base, SIZE_T size)
{
    return NtResetWriteWatch(KM_NT_CURRENT_PROCESS, base, size);
}

NTSTATUS km_nt_flush_instruction_cache(HANDLE process, const void *base, SIZE_T size)
{
    return NtFlushInstructionCache(process, base, size);
}

NTSTATUS km_nt_virtual_prefetch(HANDLE process, ULONG_PTR count, PWIN32_MEMORY_RANGE_ENTRY ranges,
                                ULONG flags)
{
    return NtSetInformationVirtualMemory(process, KM_NT_VM_PREFETCH_INFORMATION, count, ranges,
                                         &flags, sizeof flags);
}

/* The kernel's page size and reservation granularity, read once; racing first callers store
 * the same values. Windows has used 4 KiB and 64 KiB on every architecture this DLL targets,
 * which serve if the query ever fails. */
static void read_memory_layout(SIZE_T *page_size, SIZE_T *granularity)
{
    static volatile SIZE_T cached_page_size, cached_granularity;
    km_nt_system_basic_information info;

    if (!cached_granularity) {
        if (NtQuerySystemInformation(KM_NT_SYSTEM_BASIC_INFORMATION, &info, sizeof(info), NULL) ==
            0) {
            cached_page_size = info.page_size;
            cached_granularity = info.allocation_granularity;
        } else {
            cached_page_size = 0x1000;
            cached_granularity = 0x10000;
        }
    }
    *page_size = cached_page_size;
    *granularity = cached_granularity;
}

SIZE_T km_nt_allocation_granularity(void)
{
    SIZE_T page_size, granularity;
    read_memory_layout(&page_size, &granularity);
    return granularity;
}

SIZE_T km_nt_page_size(void)
{
    SIZE_T page_size, granularity;
    read_memory_layout(&page_size, &granularity);
    return page_size;
}
