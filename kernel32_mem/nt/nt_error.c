#include "nt/nt_error.h"

#include "nt/nt_lookup.h"
#include "nt/ntdll.h"

void km_nt_set_last_error(DWORD error)
{
    RtlSetLastWin32Error(error);
}

DWORD km_nt_last_error(void)
{
    return RtlGetLastWin32Error();
}

void km_nt_set_last_status(NTSTATUS status)
{
    RtlSetLastWin32Error(km_nt_status_to_error(status));
}

DWORD km_nt_status_to_error(NTSTATUS status)
{
    /* The backend's own answer for a system call this kernel lacks (nt_lookup.h). */
    if (status == KM_NT_STATUS_CALL_MISSING)
        return ERROR_CALL_NOT_IMPLEMENTED;
    return RtlNtStatusToDosError(status);
}
