/*
 * GetWriteWatch and ResetWriteWatch: which pages of a MEM_WRITE_WATCH region were written since
 * the last reset. Unlike most exports these return 0 for success and a nonzero UINT for failure,
 * with the reason in the last error.
 */
#include "api/win32.h"

#include "api/export_stats.h"

#include "nt/nt_error.h"
#include "nt/nt_virtual.h"

#define KM_WRITE_WATCH_FAILED ((UINT)-1)

static UINT finish(NTSTATUS status)
{
    if (status == 0)
        return 0;
    km_nt_set_last_status(status);
    return KM_WRITE_WATCH_FAILED;
}

UINT WINAPI GetWriteWatch(DWORD flags, PVOID base, SIZE_T size, PVOID *addresses, ULONG_PTR *count,
                          LPDWORD granularity)
{
    KM_COUNT_CALL(GetWriteWatch);
    if (flags & ~WRITE_WATCH_FLAG_RESET) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return KM_WRITE_WATCH_FAILED;
    }
    /* The count is both the array's capacity and the answer's length, and the granularity is
     * written on success: neither can be absent. */
    if (!count || !granularity) {
        km_nt_set_last_error(ERROR_NOACCESS);
        return KM_WRITE_WATCH_FAILED;
    }
    ULONG page_size = 0;
    NTSTATUS status = km_nt_get_write_watch(flags, base, size, addresses, count, &page_size);
    if (status == 0)
        *granularity = page_size;
    return finish(status);
}

UINT WINAPI ResetWriteWatch(LPVOID base, SIZE_T size)
{
    KM_COUNT_CALL(ResetWriteWatch);
    return finish(km_nt_reset_write_watch(base, size));
}
