/*
 * VirtualAlloc, VirtualFree and VirtualQuery, and their Ex forms that name a process: the exported
 * layer over nt/nt_virtual.c.
 * Each export checks what kernel32 checks before it calls the kernel, makes one backend call,
 * and turns a failure into the thread's last error.
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/virtual_flags.h"
#include "nt/nt_error.h"
#include "nt/nt_virtual.h"

static BOOL fail_with_error(DWORD error)
{
    km_nt_set_last_error(error);
    return FALSE;
}

/* The kernel answers an over-large range with an informational status (positive, so not an
 * NT error) and no memory; kernel32 treats anything but STATUS_SUCCESS from these calls as
 * failure, and so do we. */
static BOOL succeeded(NTSTATUS status)
{
    if (status == 0)
        return TRUE;
    km_nt_set_last_status(status);
    return FALSE;
}

/* Whether address lies in a mapped view: committing there, any protection a view may have
 * (copy-on-write too) is the kernel's to judge, as Windows leaves it. */
static BOOL is_in_a_view(HANDLE process, LPVOID address)
{
    MEMORY_BASIC_INFORMATION info;
    return address && km_nt_virtual_query(process, address, &info, sizeof info, NULL) == 0 &&
           info.Type == MEM_MAPPED;
}

static LPVOID virtual_alloc_ex(HANDLE process, LPVOID address, SIZE_T size, DWORD type,
                               DWORD protect)
{
    void *base = address;

    BOOL protection_ok = km_private_protection_is_valid(protect) ||
                         (km_protection_is_valid(protect) && type == MEM_COMMIT &&
                          is_in_a_view(process, address));
    BOOL valid = size && km_allocation_type_is_valid(type) && protection_ok;

    /* The first 64 KiB are never mapped, so that NULL plus a small offset always faults. */
    if (address && (ULONG_PTR)address < km_nt_allocation_granularity())
        valid = FALSE;
    if (!valid) {
        fail_with_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (!succeeded(km_nt_virtual_alloc(process, &base, &size, type, protect)))
        return NULL;
    return base;
}

LPVOID WINAPI VirtualAllocEx(HANDLE process, LPVOID address, SIZE_T size, DWORD type, DWORD protect)
{
    KM_COUNT_CALL(VirtualAllocEx);
    return virtual_alloc_ex(process, address, size, type, protect);
}

LPVOID WINAPI VirtualAlloc(LPVOID address, SIZE_T size, DWORD type, DWORD protect)
{
    KM_COUNT_CALL(VirtualAlloc);
    return virtual_alloc_ex(KM_NT_SELF, address, size, type, protect);
}

/* The node is a placement preference; this layer has no NUMA placement to offer, so memory comes
 * from wherever the kernel puts it, as Windows does when the node has no free pages. */
LPVOID WINAPI VirtualAllocExNuma(HANDLE process, LPVOID address, SIZE_T size, DWORD type,
                                 DWORD protect, DWORD node)
{
    KM_COUNT_CALL(VirtualAllocExNuma);
    (void)node;
    return virtual_alloc_ex(process, address, size, type, protect);
}

static BOOL virtual_free_ex(HANDLE process, LPVOID address, SIZE_T size, DWORD type)
{
    /* A release always frees the whole reservation, so a size would only be a caller's mistake. */
    if (!km_free_type_is_valid(type) || ((type & MEM_RELEASE) && size))
        return fail_with_error(ERROR_INVALID_PARAMETER);
    return succeeded(km_nt_virtual_free(process, &address, &size, type));
}

BOOL WINAPI VirtualFreeEx(HANDLE process, LPVOID address, SIZE_T size, DWORD type)
{
    KM_COUNT_CALL(VirtualFreeEx);
    return virtual_free_ex(process, address, size, type);
}

BOOL WINAPI VirtualFree(LPVOID address, SIZE_T size, DWORD type)
{
    KM_COUNT_CALL(VirtualFree);
    return virtual_free_ex(KM_NT_SELF, address, size, type);
}

static SIZE_T virtual_query_ex(HANDLE process, LPCVOID address, PMEMORY_BASIC_INFORMATION info,
                               SIZE_T length)
{
    SIZE_T written = 0;

    if (!succeeded(km_nt_virtual_query(process, address, info, length, &written)))
        return 0;
    return written;
}

SIZE_T WINAPI VirtualQueryEx(HANDLE process, LPCVOID address, PMEMORY_BASIC_INFORMATION info,
                             SIZE_T length)
{
    KM_COUNT_CALL(VirtualQueryEx);
    return virtual_query_ex(process, address, info, length);
}

SIZE_T WINAPI VirtualQuery(LPCVOID address, PMEMORY_BASIC_INFORMATION info, SIZE_T length)
{
    KM_COUNT_CALL(VirtualQuery);
    return virtual_query_ex(KM_NT_SELF, address, info, length);
}
