/*
 * IsBadReadPtr, IsBadWritePtr, IsBadCodePtr, their Huge forms and IsBadStringPtrA/W: whether a
 * range can be touched, found out by touching it (nt/nt_probe.c catches the fault).
 *
 * A range is probed at its first byte, at one byte in every page after, and at its last byte;
 * a write probe writes back the byte it read. A zero length is never bad, NULL with a length
 * always is, and a range that wraps past the end of the address space is bad. These answers are
 * only a snapshot: another thread may change the memory right after, which is why Windows
 * documents these functions as obsolete. Like Windows, probing a guard page consumes its guard
 * and reports the page bad; the guard and reserved pages at the bottom of the calling thread's
 * own stack are reported bad without a touch (nt/nt_probe.h says why).
 */
#include "api/win32.h"

#include "api/export_stats.h"

#include "nt/nt_probe.h"
#include "nt/nt_virtual.h"

typedef bool (*probe_fn)(volatile char *address);

static bool probe_read(volatile char *address)
{
    return !km_nt_is_untouchable_stack((const void *)address) && km_nt_probe_read(address);
}

static bool probe_write(volatile char *address)
{
    return !km_nt_is_untouchable_stack((const void *)address) && km_nt_probe_write(address);
}

static BOOL range_is_bad(const void *start, UINT_PTR size, probe_fn probe)
{
    if (!size)
        return FALSE;
    if (!start)
        return TRUE;
    volatile char *first = (volatile char *)start;
    if ((UINT_PTR)first + (size - 1) < (UINT_PTR)first)
        return TRUE;
    SIZE_T page = km_nt_page_size();
    volatile char *last = first + (size - 1);
    if (!probe(first))
        return TRUE;
    for (UINT_PTR next = ((UINT_PTR)first | (page - 1)) + 1; next && next <= (UINT_PTR)last;
         next += page)
        if (!probe((volatile char *)next))
            return TRUE;
    return !probe(last);
}

BOOL WINAPI IsBadReadPtr(LPCVOID start, UINT_PTR size)
{
    KM_COUNT_CALL(IsBadReadPtr);
    return range_is_bad(start, size, probe_read);
}

BOOL WINAPI IsBadWritePtr(LPVOID start, UINT_PTR size)
{
    KM_COUNT_CALL(IsBadWritePtr);
    return range_is_bad(start, size, probe_write);
}

BOOL WINAPI IsBadHugeReadPtr(LPCVOID start, UINT_PTR size)
{
    KM_COUNT_CALL(IsBadHugeReadPtr);
    return range_is_bad(start, size, probe_read);
}

BOOL WINAPI IsBadHugeWritePtr(LPVOID start, UINT_PTR size)
{
    KM_COUNT_CALL(IsBadHugeWritePtr);
    return range_is_bad(start, size, probe_write);
}

BOOL WINAPI IsBadCodePtr(FARPROC function)
{
    KM_COUNT_CALL(IsBadCodePtr);
    return range_is_bad((const void *)function, 1, probe_read);
}

/* Reads characters of size bytes until a NUL or max characters; NULL is bad whatever max. */
static BOOL string_is_bad(const void *string, UINT_PTR max, size_t size)
{
    if (!string)
        return TRUE;
    SIZE_T page = km_nt_page_size();
    const volatile char *at = string;
    UINT_PTR checked_page = 0; /* the page last probed, so each page is probed once */
    for (UINT_PTR n = 0; n < max; n++, at += size) {
        for (size_t b = 0; b < size; b++) {
            UINT_PTR this_page = (UINT_PTR)(at + b) & ~(page - 1);
            if (this_page != checked_page || !checked_page) {
                if (!probe_read((volatile char *)(at + b)))
                    return TRUE;
                checked_page = this_page;
            }
        }
        bool terminator = true;
        for (size_t b = 0; b < size; b++)
            terminator = terminator && at[b] == 0;
        if (terminator)
            return FALSE;
    }
    return FALSE;
}

BOOL WINAPI IsBadStringPtrA(LPCSTR string, UINT_PTR max)
{
    KM_COUNT_CALL(IsBadStringPtrA);
    return string_is_bad(string, max, sizeof(CHAR));
}

BOOL WINAPI IsBadStringPtrW(LPCWSTR string, UINT_PTR max)
{
    KM_COUNT_CALL(IsBadStringPtrW);
    return string_is_bad(string, max, sizeof(WCHAR));
}
