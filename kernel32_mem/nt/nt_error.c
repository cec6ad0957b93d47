#include "nt/nt_error.h"

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
    return RtlNtStatusToDosError(status);
}
