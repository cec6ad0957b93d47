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
 * - set_owner and owner_map, which may both be NULL, are an owner map over the provider's
 *   reservations: set_owner names the owner of a whole reservation (NULL to forget it, which the
 *   core does before releasing; it may fail with KM_NO_MEMORY), and owner_map is the map itself,
 *   which the core reads inline (km_pages_owner), from any thread, without a lock and without
 *   touching the address: a pointer leads to its segment in two loads. Without a map the core
 *   searches the heap's segments.
 */
#ifndef KM_CORE_PAGES_H
#define KM_CORE_PAGES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct km_pages km_pages;

struct km_pages {
    void *(*reserve)(km_pages *self, size_t size);
    km_status (*commit)(km_pages *self, void *address, size_t size, bool executable);
    void (*decommit)(km_pages *self, void *address, size_t size);
    void (*release)(km_pages *self, void *address, size_t size);
    void *(*reserve_committed)(km_pages *self, size_t size, bool executable);
    km_status (*set_owner)(km_pages *self, void *base, size_t size, void *owner);
    const struct km_owner_map *owner_map;
    size_t page_size;
    size_t granularity;
};

/* The owner map's layout, fixed so that a lookup is a few instructions: a word per 64 KiB
 * granule (Windows' reservation granularity), in leaves of 4 GiB of address space (65,536
 * words) found through a directory of leaf_count entries (NULL: nothing recorded there). A word
 * is 0 for memory not the provider's, KM_OWNER_NONE for its memory without an owner, or the
 * owner. */
#define KM_OWNER_GRANULE_SHIFT 16
#define KM_OWNER_LEAF_SHIFT 32

typedef struct km_owner_map {
    _Atomic(_Atomic uintptr_t *) *leaves;
    size_t leaf_count;
} km_owner_map;

#define KM_OWNER_NONE ((uintptr_t)1)

static inline void *km_pages_owner(const km_owner_map *map, uintptr_t address)
{
    size_t leaf_index = (size_t)((uint64_t)address >> KM_OWNER_LEAF_SHIFT);
    if (leaf_index >= map->leaf_count)
        return NULL;
    _Atomic uintptr_t *leaf = atomic_load_explicit(&map->leaves[leaf_index], memory_order_acquire);
    if (!leaf)
        return NULL;
    size_t granule = (size_t)(((uint64_t)address >> KM_OWNER_GRANULE_SHIFT) &
                              ((1u << (KM_OWNER_LEAF_SHIFT - KM_OWNER_GRANULE_SHIFT)) - 1));
    uintptr_t word = atomic_load_explicit(&leaf[granule], memory_order_acquire);
    return word > KM_OWNER_NONE ? (void *)word : NULL;
}

#endif
