/*
 * Memory figures of the machine and the process, as GlobalMemoryStatus(Ex) and
 * GetLargePageMinimum report them, from NtQuerySystemInformation, NtQueryInformationProcess and
 * the shared user page.
 */
#ifndef KM_NT_SYSTEM_H
#define KM_NT_SYSTEM_H

#include "nt/nt_types.h"

typedef struct km_nt_memory_totals {
    ULONGLONG total_physical;
    ULONGLONG available_physical;
    ULONGLONG commit_limit;
    ULONGLONG commit_available;
    ULONGLONG total_virtual;     /* the user address range */
    ULONGLONG available_virtual; /* of it, what this process has not reserved */
} km_nt_memory_totals;

NTSTATUS km_nt_memory_totals_read(km_nt_memory_totals *totals);

/* A process's working-set limits and their flags (QUOTA_LIMITS_HARDWS_*), read and set through
 * its quota limits. */
NTSTATUS km_nt_working_set_read(HANDLE process, SIZE_T *minimum, SIZE_T *maximum, DWORD *flags);
NTSTATUS km_nt_working_set_write(HANDLE process, SIZE_T minimum, SIZE_T maximum, DWORD flags);

/* The system file cache's working-set limits, in bytes, and their FILE_CACHE_* flags.
 * A size of (SIZE_T)-1 for both limits asks the kernel to empty the cache. */
NTSTATUS km_nt_file_cache_read(SIZE_T *minimum, SIZE_T *maximum, DWORD *flags);
NTSTATUS km_nt_file_cache_write(SIZE_T minimum, SIZE_T maximum, DWORD flags);

/* The large-page size the kernel publishes (0 where large pages are unsupported). */
SIZE_T km_nt_large_page_minimum(void);

/* Whether this program's image says it can use addresses above 2 GB (32-bit processes). */
BOOL km_nt_image_is_large_address_aware(void);

/* The executable's subsystem major version (its PE header's MajorSubsystemVersion). */
unsigned km_nt_image_subsystem_major_version(void);

#endif
