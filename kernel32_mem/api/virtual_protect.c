/*
 * VirtualProtect, VirtualLock and VirtualUnlock (and the Ex form of VirtualProtect),
 * FlushInstructionCache and PrefetchVirtualMemory: what happens to memory already committed. Each
 * checks what kernel32 checks, then makes one kernel call; the kernel decides what the pages allow
 * (copy-on-write only on mapped images and sections, locking only committed pages).
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/virtual_flags.h"
#include "nt/nt_error.h"
#include "nt/nt_virtual.h"

static BOOL finish(NTSTATUS status)
{
    if (status == 0)
        return TRUE;
    km_nt_set_last_status(status);
    return FALSE;
}

static BOOL fail_with_error(DWORD error)
{
    km_nt_set_last_error(error);
    return FALSE;
}

static BOOL virtual_protect_ex(HANDLE process, LPVOID address, SIZE_T size, DWORD protect,
                               PDWORD old_protect)
{
    /* The old protection is not optional: Windows fails rather than lose it. */
    if (!old_protect)
        return fail_with_error(ERROR_NOACCESS);
    if (!km_protection_is_valid(protect))
        return fail_with_error(ERROR_INVALID_PARAMETER);
    DWORD old = 0;
    NTSTATUS status = km_nt_virtual_protect(process, &address, &size, protect, &old);
    if (status == 0)
        *old_protect = old;
    return finish(status);
}

BOOL WINAPI VirtualProtectEx(HANDLE process, LPVOID address, SIZE_T size, DWORD protect,
                             PDWORD old_protect)
{
    KM_COUNT_CALL(VirtualProtectEx);
    return virtual_protect_ex(process, address, size, protect, old_protect);
}

BOOL WINAPI VirtualProtect(LPVOID address, SIZE_T size, DWORD protect, PDWORD old_protect)
{
    KM_COUNT_CALL(VirtualProtect);
    return virtual_protect_ex(KM_NT_SELF, address, size, protect, old_protect);
}

BOOL WINAPI VirtualLock(LPVOID address, SIZE_T size)
{
    KM_COUNT_CALL(VirtualLock);
    return finish(km_nt_virtual_lock(KM_NT_SELF, &address, &size, TRUE));
}

BOOL WINAPI VirtualUnlock(LPVOID address, SIZE_T size)
{
    KM_COUNT_CALL(VirtualUnlock);
    return finish(km_nt_virtual_lock(KM_NT_SELF, &address, &size, FALSE));
}

BOOL WINAPI FlushInstructionCache(HANDLE process, LPCVOID address, SIZE_T size)
{
    KM_COUNT_CALL(FlushInstructionCache);
    return finish(km_nt_flush_instruction_cache(process, address, size));
}

BOOL WINAPI PrefetchVirtualMemory(HANDLE process, ULONG_PTR count, PWIN32_MEMORY_RANGE_ENTRY ranges,
                                  ULONG flags)
{
    KM_COUNT_CALL(PrefetchVirtualMemory);
    return finish(km_nt_virtual_prefetch(process, count, ranges, flags));
}
