/*
 * Exports found at run time rather than through the import table: ntdll's that some kernels
 * lack (Wine's ntdll has no physical-page system calls), so that the DLL still loads where they
 * are missing; and the system kernel32's, whose own implementation serves the memory that is
 * not ours, while our import table names ntdll.dll alone.
 */
#ifndef KM_NT_LOOKUP_H
#define KM_NT_LOOKUP_H

#include "nt/nt_types.h"

/* What the NT backend answers when the kernel lacks the system call (AWE under Wine, the Ex
 * calls before Windows 10 1803); km_nt_status_to_error makes it ERROR_CALL_NOT_IMPLEMENTED. */
#define KM_NT_STATUS_CALL_MISSING ((NTSTATUS)0xC000007AL) /* STATUS_PROCEDURE_NOT_FOUND */

/* The address of ntdll's export `name`, or NULL when ntdll has none. */
void *km_nt_ntdll_export(const char *name);

/* The address of the system kernel32's export `name` (following forwarders), or NULL. */
void *km_nt_kernel32_export(const char *name);

/* The address of export `name` of the loaded module at base `module`, or NULL. */
void *km_nt_module_export(void *module, const char *name);

#endif
