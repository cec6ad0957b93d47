/*
 * The system's own memory, as seen from kernel32_mem: the heaps ntdll made (the process heap
 * the PEB names first of all), and a test that an address is readable memory at all, so that a
 * pointer that is not ours is passed to the system only when the system could look at it
 * without faulting.
 */
#ifndef KM_NT_FOREIGN_H
#define KM_NT_FOREIGN_H

#include "nt/nt_types.h"

#include <stdbool.h>
#include <stddef.h>

/* The process heap's handle as the PEB holds it: what GetProcessHeap returns on Windows, and
 * what code that inlines GetProcessHeap reads for itself. */
HANDLE km_nt_process_heap_handle(void);

/* The system's heaps (ntdll's list, the PEB's process heap first): fills up to capacity and
 * returns how many there are. */
size_t km_nt_system_heaps(HANDLE *heaps, size_t capacity);

/* Whether handle names one of the system's heaps. */
bool km_nt_is_system_heap(HANDLE handle);

/* Called before a system heap is destroyed through us: its handle may be reused. */
void km_nt_forget_system_heap(HANDLE handle);

/* Whether the byte at address is committed memory that can be read (no guard page). */
bool km_nt_is_readable(const void *address);

#endif
