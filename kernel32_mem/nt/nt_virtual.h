/*
 * Virtual memory of a process (KM_NT_CURRENT_PROCESS for this one), straight over the
 * Nt*VirtualMemory system calls.
 * These functions add no policy: the api layer validates arguments as kernel32 does, and
 * what remains (address-space conflicts, quota, the user-range limit) is the kernel's to decide.
 */
#ifndef KM_NT_VIRTUAL_H
#define KM_NT_VIRTUAL_H

#include "nt/nt_types.h"

#include <stdbool.h>

/* The pseudo-handle GetCurrentProcess returns, for the exports without a process parameter. */
#define KM_NT_SELF ((HANDLE)(LONG_PTR)-1)

/* Reserves and/or commits pages; *base and *size come back rounded as the kernel placed them. */
NTSTATUS km_nt_virtual_alloc(HANDLE process, void **base, SIZE_T *size, DWORD type,
                             DWORD protect);

/* Decommits or releases pages; *base and *size come back as the range the kernel freed. */
NTSTATUS km_nt_virtual_free(HANDLE process, void **base, SIZE_T *size, DWORD type);

/* Fills a MEMORY_BASIC_INFORMATION of info_length bytes for address; *written is its size. */
NTSTATUS km_nt_virtual_query(HANDLE process, const void *address, MEMORY_BASIC_INFORMATION *info,
                             SIZE_T info_length, SIZE_T *written);

/* NtAllocateVirtualMemoryEx, with its extended parameters (MEM_EXTENDED_PARAMETER); not
 * implemented where ntdll lacks it (before Windows 10 1803). */
NTSTATUS km_nt_virtual_alloc_ex(HANDLE process, void **base, SIZE_T *size, DWORD type,
                                DWORD protect, void *parameters, ULONG count);

/* NtQueryVirtualMemory with any information class. */
NTSTATUS km_nt_virtual_query_class(HANDLE process, const void *address, ULONG info_class,
                                   void *info, SIZE_T length, SIZE_T *written);

/* The working set's pages (extended: the entries of buffer, each naming its page, are filled
 * in), as K32QueryWorkingSet(Ex) return them. */
NTSTATUS km_nt_query_working_set(HANDLE process, bool extended, void *buffer, SIZE_T length);

/* Changes the protection of committed pages; *old is the first page's former protection. */
NTSTATUS km_nt_virtual_protect(HANDLE process, void **base, SIZE_T *size, DWORD protect,
                               DWORD *old);

/* Locks pages into the working set, or unlocks them. */
NTSTATUS km_nt_virtual_lock(HANDLE process, void **base, SIZE_T *size, BOOL lock);

/* The pages written since the last reset in a MEM_WRITE_WATCH region, and the reset itself. */
NTSTATUS km_nt_get_write_watch(DWORD flags, void *base, SIZE_T size, void **addresses,
                               ULONG_PTR *count, ULONG *granularity);
NTSTATUS km_nt_reset_write_watch(void *base, SIZE_T size);

NTSTATUS km_nt_flush_instruction_cache(HANDLE process, const void *base, SIZE_T size);

/* Asks the kernel to bring the given ranges into memory ahead of use. */
NTSTATUS km_nt_virtual_prefetch(HANDLE process, ULONG_PTR count,
                                PWIN32_MEMORY_RANGE_ENTRY ranges, ULONG flags);

/* The granularity of reservations (64 KiB on every Windows), read once from the kernel. */
SIZE_T km_nt_allocation_granularity(void);

/* The size of a page (4 KiB on x86 and x86_64), read once from the kernel. */
SIZE_T km_nt_page_size(void);

#endif
