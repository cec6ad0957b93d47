/*
 * What the heap core needs from Windows: pages (nt_pages.c), the calling thread's identity and a
 * way to yield for its lock, a seed for its header secret; and what the api layer needs when a
 * heap call fails loudly: raising STATUS_NO_MEMORY, and ending the process on corruption.
 */
#ifndef KM_NT_HEAP_PLATFORM_H
#define KM_NT_HEAP_PLATFORM_H

#include "core/heap.h"

const km_heap_platform *km_nt_heap_platform(void);

/* Raises STATUS_NO_MEMORY, non-continuable, as HEAP_GENERATE_EXCEPTIONS asks. */
void km_nt_raise_no_memory(void);

/* Ends the process with STATUS_HEAP_CORRUPTION; does not return. */
void km_nt_terminate_on_corruption(void);

/* The process's NtGlobalFlag (PEB), whose heap bits gflags and debuggers set. */
uint32_t km_nt_global_flags(void);

/* Breaks into the debugger when one is attached (PEB.BeingDebugged); otherwise does nothing. */
void km_nt_break_if_debugged(void);

/* Whether Windows turns termination on corruption on for this process by itself: for every
 * 64-bit process, and for a 32-bit one whose executable's subsystem version is 6 or more. */
bool km_nt_terminates_on_corruption_by_default(void);

#endif
