#include "api/virtual_flags.h"

/* Placeholder flags from Windows 10 1803; older mingw-w64 headers lack them. */
#ifndef MEM_COALESCE_PLACEHOLDERS
#define MEM_COALESCE_PLACEHOLDERS 0x00000001
#endif
#ifndef MEM_PRESERVE_PLACEHOLDER
#define MEM_PRESERVE_PLACEHOLDER 0x00000002
#endif

#define KM_PROTECTION_BASE_MASK 0xff
#define KM_PROTECTION_EXECUTE_MASK \
    (PAGE_EXECUTE | PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY)

static BOOL has_exactly_one_bit(DWORD value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

BOOL km_allocation_type_is_valid(DWORD type)
{
    const DWORD requests = MEM_COMMIT | MEM_RESERVE;
    const DWORD modifiers = MEM_TOP_DOWN | MEM_WRITE_WATCH | MEM_LARGE_PAGES | MEM_PHYSICAL;

    /* Reset and reset-undo act on pages already committed; they take no other flag. */
    if (type == MEM_RESET || type == MEM_RESET_UNDO)
        return TRUE;
    if (!(type & requests) || (type & ~(requests | modifiers)))
        return FALSE;
    if ((type & (MEM_WRITE_WATCH | MEM_PHYSICAL)) && !(type & MEM_RESERVE))
        return FALSE;
    if ((type & MEM_LARGE_PAGES) && (type & requests) != requests)
        return FALSE;
    /* AWE regions are reserved alone and mapped later with MapUserPhysicalPages. */
    if ((type & MEM_PHYSICAL) && (type & (MEM_COMMIT | MEM_WRITE_WATCH | MEM_LARGE_PAGES)))
        return FALSE;
    return TRUE;
}

BOOL km_private_protection_is_valid(DWORD protect)
{
    const DWORD base = protect & KM_PROTECTION_BASE_MASK;
    if (base == PAGE_WRITECOPY || base == PAGE_EXECUTE_WRITECOPY)
        return FALSE;
    return km_protection_is_valid(protect);
}

BOOL km_protection_is_valid(DWORD protect)
{
    const DWORD base = protect & KM_PROTECTION_BASE_MASK;
    const DWORD modifiers = protect & ~KM_PROTECTION_BASE_MASK;
    const DWORD cache_modifiers = PAGE_NOCACHE | PAGE_WRITECOMBINE;

    if (!has_exactly_one_bit(base))
        return FALSE;
    if (modifiers & ~(PAGE_GUARD | cache_modifiers | PAGE_TARGETS_INVALID))
        return FALSE;
    if ((modifiers & PAGE_TARGETS_INVALID) && !(base & KM_PROTECTION_EXECUTE_MASK))
        return FALSE;
    /* A guard or cache attribute on an inaccessible page has nothing to act on. */
    if (base == PAGE_NOACCESS && (modifiers & (PAGE_GUARD | cache_modifiers)))
        return FALSE;
    /* Guard, no-cache and write-combine exclude one another. */
    if ((modifiers & PAGE_GUARD) && (modifiers & cache_modifiers))
        return FALSE;
    if ((modifiers & cache_modifiers) == cache_modifiers)
        return FALSE;
    return TRUE;
}

BOOL km_free_type_is_valid(DWORD type)
{
    return type == MEM_DECOMMIT || type == MEM_RELEASE ||
           type == (MEM_RELEASE | MEM_COALESCE_PLACEHOLDERS) ||
           type == (MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER);
}
