/*
 * GlobalMemoryStatusEx, GlobalMemoryStatus and GetLargePageMinimum: the machine's memory as a
 * process sees it; and a process's working-set limits (Get/SetProcessWorkingSetSize(Ex)), which
 * the kernel keeps among its quota limits.
 */
#include "api/win32.h"

#include "api/export_stats.h"

#include "nt/nt_error.h"
#include "nt/nt_system.h"
#include "nt/nt_virtual.h"

#include <stdbool.h>

static DWORD memory_load(const km_nt_memory_totals *totals)
{
    if (!totals->total_physical)
        return 0;
    ULONGLONG used = totals->total_physical - totals->available_physical;
    return (DWORD)(used / (totals->total_physical / 100 ? totals->total_physical / 100 : 1));
}

static BOOL global_memory_status_ex(LPMEMORYSTATUSEX status)
{
    /* dwLength is how callers say which structure they pass; only one exists. */
    if (status->dwLength != sizeof(*status)) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    km_nt_memory_totals totals;
    NTSTATUS failure = km_nt_memory_totals_read(&totals);
    if (failure) {
        km_nt_set_last_status(failure);
        return FALSE;
    }
    status->dwMemoryLoad = memory_load(&totals);
    status->ullTotalPhys = totals.total_physical;
    status->ullAvailPhys = totals.available_physical;
    status->ullTotalPageFile = totals.commit_limit;
    status->ullAvailPageFile = totals.commit_available;
    status->ullTotalVirtual = totals.total_virtual;
    status->ullAvailVirtual = totals.available_virtual;
    status->ullAvailExtendedVirtual = 0;
    return TRUE;
}

BOOL WINAPI GlobalMemoryStatusEx(LPMEMORYSTATUSEX status)
{
    KM_COUNT_CALL(GlobalMemoryStatusEx);
    return global_memory_status_ex(status);
}

/* A 32-bit process sees at most 4 GB in each field, and at most 2 GB unless its image says it
 * handles addresses above 2 GB, so that signed arithmetic in old programs keeps working. */
static SIZE_T clamp_for_process(ULONGLONG value)
{
#ifdef _WIN64
    return (SIZE_T)value;
#else
    ULONGLONG limit = km_nt_image_is_large_address_aware() ? 0xffffffffull : 0x7fffffffull;
    return (SIZE_T)(value < limit ? value : limit);
#endif
}

VOID WINAPI GlobalMemoryStatus(LPMEMORYSTATUS status)
{
    KM_COUNT_CALL(GlobalMemoryStatus);
    MEMORYSTATUSEX full = {.dwLength = sizeof(full)};
    if (!global_memory_status_ex(&full))
        full = (MEMORYSTATUSEX){.dwLength = sizeof(full)};
    status->dwLength = sizeof(*status);
    status->dwMemoryLoad = full.dwMemoryLoad;
    status->dwTotalPhys = clamp_for_process(full.ullTotalPhys);
    status->dwAvailPhys = clamp_for_process(full.ullAvailPhys);
    status->dwTotalPageFile = clamp_for_process(full.ullTotalPageFile);
    status->dwAvailPageFile = clamp_for_process(full.ullAvailPageFile);
    status->dwTotalVirtual = clamp_for_process(full.ullTotalVirtual);
    status->dwAvailVirtual = clamp_for_process(full.ullAvailVirtual);
}

SIZE_T WINAPI GetLargePageMinimum(void)
{
    KM_COUNT_CALL(GetLargePageMinimum);
    return km_nt_large_page_minimum();
}

static BOOL get_process_working_set_size_ex(HANDLE process, PSIZE_T minimum, PSIZE_T maximum,
                                            PDWORD flags)
{
    SIZE_T low = 0, high = 0;
    DWORD hard = 0;
    NTSTATUS status = km_nt_working_set_read(process, &low, &high, &hard);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    *minimum = low;
    *maximum = high;
    *flags = hard;
    return TRUE;
}

BOOL WINAPI GetProcessWorkingSetSizeEx(HANDLE process, PSIZE_T minimum, PSIZE_T maximum,
                                       PDWORD flags)
{
    KM_COUNT_CALL(GetProcessWorkingSetSizeEx);
    return get_process_working_set_size_ex(process, minimum, maximum, flags);
}

BOOL WINAPI GetProcessWorkingSetSize(HANDLE process, PSIZE_T minimum, PSIZE_T maximum)
{
    KM_COUNT_CALL(GetProcessWorkingSetSize);
    DWORD flags;
    return get_process_working_set_size_ex(process, minimum, maximum, &flags);
}

/* (SIZE_T)-1 for both sizes asks the kernel to trim the working set as far as it can. */
static BOOL set_process_working_set_size_ex(HANDLE process, SIZE_T minimum, SIZE_T maximum,
                                            DWORD flags)
{
    NTSTATUS status = km_nt_working_set_write(process, minimum, maximum, flags);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI SetProcessWorkingSetSizeEx(HANDLE process, SIZE_T minimum, SIZE_T maximum, DWORD flags)
{
    KM_COUNT_CALL(SetProcessWorkingSetSizeEx);
    return set_process_working_set_size_ex(process, minimum, maximum, flags);
}

BOOL WINAPI SetProcessWorkingSetSize(HANDLE process, SIZE_T minimum, SIZE_T maximum)
{
    KM_COUNT_CALL(SetProcessWorkingSetSize);
    return set_process_working_set_size_ex(process, minimum, maximum, 0);
}

/* psapi's EmptyWorkingSet: a trim as far as the kernel can, as SetProcessWorkingSetSize with
 * both sizes (SIZE_T)-1 asks. */
BOOL WINAPI K32EmptyWorkingSet(HANDLE process)
{
    KM_COUNT_CALL(K32EmptyWorkingSet);
    return set_process_working_set_size_ex(process, (SIZE_T)-1, (SIZE_T)-1, 0);
}

static BOOL query_working_set(HANDLE process, bool extended, PVOID buffer, DWORD size)
{
    NTSTATUS status = km_nt_query_working_set(process, extended, buffer, size);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    return TRUE;
}

/* The pages of the working set: a count, then an entry per page (PSAPI_WORKING_SET_INFORMATION);
 * a buffer too small fails with ERROR_BAD_LENGTH and still holds the count. */
BOOL WINAPI K32QueryWorkingSet(HANDLE process, PVOID buffer, DWORD size)
{
    KM_COUNT_CALL(K32QueryWorkingSet);
    return query_working_set(process, false, buffer, size);
}

/* What the working set says of each page the caller names (PSAPI_WORKING_SET_EX_INFORMATION). */
BOOL WINAPI K32QueryWorkingSetEx(HANDLE process, PVOID buffer, DWORD size)
{
    KM_COUNT_CALL(K32QueryWorkingSetEx);
    return query_working_set(process, true, buffer, size);
}

BOOL WINAPI GetSystemFileCacheSize(PSIZE_T minimum, PSIZE_T maximum, PDWORD flags)
{
    KM_COUNT_CALL(GetSystemFileCacheSize);
    SIZE_T low = 0, high = 0;
    DWORD hard = 0;
    NTSTATUS status = km_nt_file_cache_read(&low, &high, &hard);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    *minimum = low;
    *maximum = high;
    *flags = hard;
    return TRUE;
}

/* Each limit is either made hard or made soft, never both at once. */
static BOOL file_cache_flags_are_valid(DWORD flags)
{
    const DWORD known = FILE_CACHE_MAX_HARD_ENABLE | FILE_CACHE_MAX_HARD_DISABLE |
                        FILE_CACHE_MIN_HARD_ENABLE | FILE_CACHE_MIN_HARD_DISABLE;
    const DWORD max_both = FILE_CACHE_MAX_HARD_ENABLE | FILE_CACHE_MAX_HARD_DISABLE;
    const DWORD min_both = FILE_CACHE_MIN_HARD_ENABLE | FILE_CACHE_MIN_HARD_DISABLE;
    return !(flags & ~known) && (flags & max_both) != max_both && (flags & min_both) != min_both;
}

/* (SIZE_T)-1 for both sizes empties the cache. The caller needs SE_INCREASE_QUOTA_NAME, which
 * the backend enables for the call when the token holds it. */
BOOL WINAPI SetSystemFileCacheSize(SIZE_T minimum, SIZE_T maximum, DWORD flags)
{
    KM_COUNT_CALL(SetSystemFileCacheSize);
    if (!file_cache_flags_are_valid(flags)) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    NTSTATUS status = km_nt_file_cache_write(minimum, maximum, flags);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    return TRUE;
}
