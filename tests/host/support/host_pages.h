/*
 * A page provider for the host tests: the core's reservations as Linux mappings, with the
 * accounting a test needs (what is still reserved, so leaks show) and failure injection (the
 * n-th reserve or commit from now fails, so every out-of-memory path can be driven).
 */
#ifndef KM_HOST_PAGES_H
#define KM_HOST_PAGES_H

#include "core/pages.h"

typedef struct km_host_pages {
    km_pages pages; /* first, so that a km_pages * from the core converts back */
    size_t reserved_bytes;
    size_t reservations;
    size_t commits;
    /* Every request the core made (reserve, commit, decommit, release, reserve_committed): each
     * is one system call under the NT backend, so the benchmark counts the core's system calls
     * with it. */
    size_t requests;
    long failures_after; /* requests that still succeed before one fails; negative: never */
} km_host_pages;

/* A provider with 4 KiB pages and Windows' 64 KiB reservation granularity. */
void km_host_pages_init(km_host_pages *host);

/* Makes the request after the next n reserve or commit requests fail with KM_NO_MEMORY. */
void km_host_pages_fail_after(km_host_pages *host, long n);

#endif
