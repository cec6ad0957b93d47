/*
 * The page provider: the one seam between the heap core and an operating system.
 *
 * The core asks for address space and memory in three steps, as Windows hands them out:
 * reserve a range of address space (aligned to the provider's granularity), commit pages inside
 * it before touching them, decommit pages it no longer needs, and release the whole range at
 * once. The NT backend implements this over Nt*VirtualMemory; the host tests implement it over
 * mmap, and wrap it to inject failures into every path that can run out of memory.
 *
 * Contract for every implementation:
 * - reserve returns a range aligned to granularity, or NULL; nothing in it is accessible yet.
 * - commit makes [address, address + size) readable and writable (and executable when asked),
 *   reading as zero if it was not committed before; it may fail with KM_NO_MEMORY.
 * - reserve_committed, which may be NULL, reserves a range and commits all of it at once (one
 *   system call where reserve and commit would take two); the core falls back on those two.
 * - decommit and release cannot fail for a range the core got from this provider.
 * - Addresses and sizes passed to commit and decommit are multiples of page_size, inside one
 *   reservation; release takes exactly what reserve returned.
 * - set_owner and owner_of, which may both be NULL, are an owner map over the provider's
 *   reservations: set_owner names the owner of a whole reservation (NULL to forget it, which the
 *   core does before releasing), and owner_of returns the owner named for the reservation an
 *   address lies in, or NULL, from any thread, without a lock and without touching the address.
 *   The core names its segments, so that a pointer leads to its segment in constant time;
 *   without the map it searches the heap's segments. set_owner may fail with KM_NO_MEMORY.
 */
#ifndef KM_CORE_PAGES_H
#define KM_CORE_PAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

typedef struct km_pages km_pages;

struct km_pages {
    void *(*reserve)(km_pages *self, size_t size);
    km_status (*commit)(km_pages *self, void *address, size_t size, bool executable);
    void (*decommit)(km_pages *self, void *address, size_t size);
    void (*release)(km_pages *self, void *address, size_t size);
    void *(*reserve_committed)(km_pages *self, size_t size, bool executable);
    km_status (*set_owner)(km_pages *self, void *base, size_t size, void *owner);
    void *(*owner_of)(km_pages *self, const void *address);
    size_t page_size;
    size_t granularity;
};

#endif
