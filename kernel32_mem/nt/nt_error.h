/*
 * The thread's last-error value, which GetLastError reads from the TEB. The api layer reports
 * every failure through the setters and nothing else.
 */
#ifndef KM_NT_ERROR_H
#define KM_NT_ERROR_H

#include "nt/nt_types.h"

/* Whether a status is an error or a warning, which kernel32 reports as failure (NT_SUCCESS is
 * false); success and informational statuses such as STATUS_IMAGE_NOT_AT_BASE are not. */
static inline BOOL km_nt_failed(NTSTATUS status)
{
    return status < 0;
}

/* Stores a Win32 error code as the calling thread's last error. */
void km_nt_set_last_error(DWORD error);

/* The calling thread's last error, as GetLastError returns it. */
DWORD km_nt_last_error(void);

/* Stores the Win32 error code that Windows maps the NTSTATUS to. */
void km_nt_set_last_status(NTSTATUS status);

/* The Win32 error code that Windows maps the NTSTATUS to (ERROR_SUCCESS for 0). */
DWORD km_nt_status_to_error(NTSTATUS status);

#endif
