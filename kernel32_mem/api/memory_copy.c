/*
 * RtlMoveMemory, RtlFillMemory, RtlZeroMemory and, on 64-bit Windows alone, RtlCopyMemory: on
 * Windows kernel32 forwards them to ntdll. kernel32_mem forwards nothing (its export table is its
 * own), so they are real exports here, over the same ntdll routines. They return nothing and set no
 * error, as Windows' do; like Windows', they fault on a bad pointer rather than report it.
 */
#include "api/win32.h"

#include "api/export_stats.h"

#include <string.h>

/* windows.h makes these names macros for memmove and memset; the exports are functions. */
#undef RtlMoveMemory
#undef RtlFillMemory
#undef RtlZeroMemory
#undef RtlCopyMemory

VOID WINAPI RtlMoveMemory(PVOID destination, const VOID *source, SIZE_T length)
{
    KM_COUNT_CALL(RtlMoveMemory);
    memmove(destination, source, length);
}

#ifdef _WIN64
/* The contract excludes overlapping ranges; memmove makes such a caller's copy harmless anyway. */
VOID WINAPI RtlCopyMemory(PVOID destination, const VOID *source, SIZE_T length)
{
    KM_COUNT_CALL(RtlCopyMemory);
    memmove(destination, source, length);
}
#endif

VOID WINAPI RtlFillMemory(PVOID destination, SIZE_T length, BYTE fill)
{
    KM_COUNT_CALL(RtlFillMemory);
    memset(destination, fill, length);
}

VOID WINAPI RtlZeroMemory(PVOID destination, SIZE_T length)
{
    KM_COUNT_CALL(RtlZeroMemory);
    memset(destination, 0, length);
}
