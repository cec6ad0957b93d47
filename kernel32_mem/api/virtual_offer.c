/*
 * OfferVirtualMemory, ReclaimVirtualMemory and DiscardVirtualMemory: telling the kernel that
 * the contents of committed pages may be thrown away, and asking for them back. They answer a
 * Win32 error code instead of setting the last error.
 *
 * An offer is a MEM_RESET (the pages stay committed, the kernel may drop their contents instead
 * of paging them out) and a reclaim a MEM_RESET_UNDO, which succeeds only if every page kept its
 * contents: that is exactly the ERROR_SUCCESS / ERROR_BUSY answer ReclaimVirtualMemory gives.
 * Unlike Windows, offered pages stay accessible until reclaimed.
 */
#include "api/win32.h"

#include "api/export_stats.h"

#include "nt/nt_error.h"
#include "nt/nt_virtual.h"

static BOOL is_page_aligned(const void *address, SIZE_T size)
{
    SIZE_T mask = km_nt_page_size() - 1;
    return ((ULONG_PTR)address & mask) == 0 && (size & mask) == 0;
}

static DWORD reset(void *address, SIZE_T size, DWORD type)
{
    return km_nt_status_to_error(
        km_nt_virtual_alloc(KM_NT_SELF, &address, &size, type, PAGE_NOACCESS));
}

/* Whether every page of [address, address + size) is committed, region after region. */
static BOOL is_committed(void *address, SIZE_T size)
{
    char *at = address, *end = (char *)address + size;
    while (at < end) {
        MEMORY_BASIC_INFORMATION info;
        SIZE_T written = 0;
        if (km_nt_virtual_query(KM_NT_SELF, at, &info, sizeof info, &written) ||
            info.State != MEM_COMMIT)
            return FALSE;
        at = (char *)info.BaseAddress + info.RegionSize;
    }
    return TRUE;
}

/* Pages that are not committed hold nothing to offer or discard, yet a kernel may reset them
 * without complaint (Wine's does): such ranges are refused with the error VirtualProtect gives
 * for them. */
static DWORD reset_committed(void *address, SIZE_T size, DWORD type)
{
    if ((ULONG_PTR)address + size < (ULONG_PTR)address || !is_committed(address, size))
        return ERROR_INVALID_ADDRESS;
    return reset(address, size, type);
}

DWORD WINAPI OfferVirtualMemory(PVOID address, SIZE_T size, OFFER_PRIORITY priority)
{
    KM_COUNT_CALL(OfferVirtualMemory);
    if (!address || !size || !is_page_aligned(address, size))
        return ERROR_INVALID_PARAMETER;
    if (priority < VmOfferPriorityVeryLow || priority > VmOfferPriorityNormal)
        return ERROR_INVALID_PARAMETER;
    return reset_committed(address, size, MEM_RESET);
}

DWORD WINAPI ReclaimVirtualMemory(PVOID address, SIZE_T size)
{
    KM_COUNT_CALL(ReclaimVirtualMemory);
    if (!address || !size || !is_page_aligned(address, size))
        return ERROR_INVALID_PARAMETER;
    DWORD error = reset_committed(address, size, MEM_RESET_UNDO);
    /* On committed pages, a failed undo can only mean that contents were dropped; the pages
     * are usable again all the same. */
    if (error != ERROR_SUCCESS && error != ERROR_INVALID_ADDRESS)
        return ERROR_BUSY;
    return error;
}

DWORD WINAPI DiscardVirtualMemory(PVOID address, SIZE_T size)
{
    KM_COUNT_CALL(DiscardVirtualMemory);
    if (!address || !size || !is_page_aligned(address, size))
        return ERROR_INVALID_PARAMETER;
    return reset_committed(address, size, MEM_RESET);
}
