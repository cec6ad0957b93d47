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
    switch (reason) {
    case DLL_PROCESS_ATTACH:
        /* The process heap exists before any export can be called, as GetProcessHeap
         * promises. */
        return km_api_process_attach(instance);
    case DLL_PROCESS_DETACH: km_api_process_detach(); return TRUE;
    case DLL_THREAD_DETACH:
        /* A thread's runs in the process heap go back for others to use (thread_cache.c). */
        km_api_thread_detach();
        return TRUE;
    default: return TRUE;
    }
}
