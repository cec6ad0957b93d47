/*
 * The DLL's entry point. kernel32_mem links no C runtime, so the loader calls this function
 * directly; it is named in the link line as the entry symbol.
 */
#include "nt/ntdll.h"

#include "api/process_attach.h"

BOOL WINAPI km_dll_entry(HINSTANCE instance, DWORD reason, void *reserved);

BOOL WINAPI km_dll_entry(HINSTANCE instance, DWORD reason, void *reserved)
{
    (void)reserved;
    if (reason == DLL_PROCESS_DETACH)
        km_api_process_detach();
    /* Nothing here needs to know about threads; skipping the callouts keeps thread start cheap. */
    if (reason != DLL_PROCESS_ATTACH)
        return TRUE;
    LdrDisableThreadCalloutsForDll(instance);
    /* The process heap exists before any export can be called, as GetProcessHeap promises. */
    return km_api_process_attach(instance);
}
