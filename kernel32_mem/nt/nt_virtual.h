/*
 * Virtual memory of the current process, straight over the Nt*VirtualMemory system calls.
 * These functions add no policy: the api layer validates arguments as kernel32 does, and
 * what remains (address-space conflicts, quota, the user-range limit) is the kernel's to decide.
 */
#ifndef KM_NT_VIRTUAL_H
#define KM_NT_VIRTUAL_H

#include "nt/nt_types.h"

/* Reserves and/or commits pages; *base and *size come back rounded as the kernel placed them. */
NTSTATUS km_nt_virtual_alloc(void **base, SIZE_T *size, DWORD type, DWORD protect);

/* Decommits or releases pages; *base and *size come back as the range the kernel freed. */
NTSTATUS km_nt_virtual_free(void **base, SIZE_T *size, DWORD type);

/* Fills a MEMORY_BASIC_INFORMATION of info_length bytes for address; *written is its size. */
NTSTATUS km_nt_virtual_query(const void *address, MEMORY_BASIC_INFORMATION *info,
                             SIZE_T info_length, SIZE_T *written);

/* The granularity of reservations (64 KiB on every Windows), read once from the kernel. */
SIZE_T km_nt_allocation_granularity(void);

/* The size of a page (4 KiB on x86 and x86_64), read once from the kernel. */
SIZE_T km_nt_page_size(void);

#endif
