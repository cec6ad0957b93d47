/*
 * ntdll exports that some kernels lack (Wine's ntdll has no physical-page system calls), found
 * at run time, so that the DLL still loads where they are missing.
 */
#ifndef KM_NT_LOOKUP_H
#define KM_NT_LOOKUP_H

#include "nt/nt_types.h"

/* What the NT backend answers when the kernel lacks the system call; the api layer reports it
 * as ERROR_CALL_NOT_IMPLEMENTED. */
#define KM_NT_STATUS_CALL_MISSING ((NTSTATUS)0xC000007AL) /* STATUS_PROCEDURE_NOT_FOUND */

/* The address of ntdll's export `name`, or NULL when ntdll has none. */
void *km_nt_ntdll_export(const char *name);

#endif
