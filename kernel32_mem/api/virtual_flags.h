/*
 * What kernel32 accepts as flAllocationType, flProtect and dwFreeType, checked before the
 * request reaches the kernel, so that every caller gets ERROR_INVALID_PARAMETER for a
 * combination the documentation forbids whatever the kernel underneath would make of it.
 */
#ifndef KM_API_VIRTUAL_FLAGS_H
#define KM_API_VIRTUAL_FLAGS_H

#include "api/win32.h"

/* flAllocationType of VirtualAlloc: one request (commit and/or reserve, or reset, or reset undo)
 * with only the modifiers documented for it. */
BOOL km_allocation_type_is_valid(DWORD type);

/* flProtect of VirtualAlloc for private memory: exactly one base protection, no copy-on-write
 * (private pages have nothing to copy), and only the compatible modifiers. */
BOOL km_private_protection_is_valid(DWORD protect);

/* flNewProtect of VirtualProtect: as for private memory, except that copy-on-write is allowed
 * (mapped images and sections have pages to copy; the kernel refuses it elsewhere). */
BOOL km_protection_is_valid(DWORD protect);

/* dwFreeType of VirtualFree: MEM_DECOMMIT, or MEM_RELEASE with an optional placeholder modifier. */
BOOL km_free_type_is_valid(DWORD type);

#endif
