/*
 * Memory that the program under test did not get from the exports it links: the system
 * kernel32's own functions, found by name (in a .ours program they are not the imports), the
 * process heap as code reads it from the PEB, and ntdll's heap calls.
 */
#ifndef KM_FOREIGN_H
#define KM_FOREIGN_H

#include "km_test.h"

/* The system kernel32's export name, typed as the function of that name. */
#define KM_SYSTEM_KERNEL32(name)                                                                  \
    ((__typeof__(&name))(void *)GetProcAddress(GetModuleHandleA("kernel32.dll"), #name))

/* The process heap as Wine's headers inline GetProcessHeap, and as much Windows code reads it:
 * PEB.ProcessHeap. */
static inline HANDLE km_peb_process_heap(void)
{
    const BYTE *peb;
#if defined(__x86_64__)
    __asm__("movq %%gs:0x60, %0" : "=r"(peb));
    return *(HANDLE const *)(peb + 0x30);
#else
    __asm__("movl %%fs:0x30, %0" : "=r"(peb));
    return *(HANDLE const *)(peb + 0x18);
#endif
}

typedef SIZE_T(WINAPI *km_rtl_size_heap)(HANDLE heap, ULONG flags, const void *block);
typedef BOOLEAN(WINAPI *km_rtl_free_heap)(HANDLE heap, ULONG flags, void *block);

static inline FARPROC km_ntdll_export(const char *name)
{
    return GetProcAddress(GetModuleHandleA("ntdll.dll"), name);
}

#endif
