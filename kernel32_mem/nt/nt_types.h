/*
 * The NT types that the backend's interface shares with the api layer, without the ntdll
 * declarations themselves (those stay in nt/ntdll.h, private to the backend).
 */
#ifndef KM_NT_TYPES_H
#define KM_NT_TYPES_H

#include <windows.h>

#ifndef _NTDEF_
typedef LONG NTSTATUS;
#endif

#endif
