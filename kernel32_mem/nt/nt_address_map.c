/*
 * One word per 64 KiB granule of the user address space (the granularity of every reservation
 * on Windows): 0 while the granule is not ours, the owner the core named for it, or
 * NOT_OWNED for ours without an owner (the handle table, a large block).
 *
 * The words live in leaves, each covering 4 GiB of address space (65,536 granules), found
 * through a directory with one slot per leaf: 32,768 slots for x86_64's 128 TiB of user space,
 * one for i686's 4 GiB. A leaf is made, committed whole, the first time a reservation lands in
 * its range, and kept for the life of the process; its pages are touched only where granules
 * are recorded. So a lookup is two loads with no lock: a directory slot once set never changes,
 * and a granule's word is written before the core hands out any block in it.
 */
#include "nt/nt_address_map.h"

#include "core/pages.h"
#include "nt/nt_virtual.h"

#include <stdatomic.h>
#include <stdint.h>

#define GRANULE_SHIFT 16
#define LEAF_SHIFT 32
#define GRANULES_PER_LEAF ((size_t)1 << (LEAF_SHIFT - GRANULE_SHIFT))

#if UINTPTR_MAX > 0xffffffffu
#define ADDRESS_BITS 47
#else
#define ADDRESS_BITS 32
#endif
#define LEAF_COUNT ((size_t)1 << (ADDRESS_BITS - LEAF_SHIFT))

#define NOT_OWNED KM_OWNER_NONE

/* A leaf: GRANULES_PER_LEAF words. */
typedef _Atomic uintptr_t *leaf;

static _Atomic(leaf) directory[LEAF_COUNT];

/* The layout the heap core reads the map by (core/pages.h). */
static const km_owner_map owner_map = {
    .leaves = directory,
    .leaf_count = LEAF_COUNT,
};
_Static_assert(GRANULE_SHIFT == KM_OWNER_GRANULE_SHIFT && LEAF_SHIFT == KM_OWNER_LEAF_SHIFT,
               "the map is laid out as core/pages.h reads it");

const km_owner_map *km_nt_address_owner_map(void)
{
    return &owner_map;
}

static leaf leaf_for(uintptr_t address, bool create)
{
    size_t index = (size_t)((uint64_t)address >> LEAF_SHIFT);
    if (index >= LEAF_COUNT)
        return NULL;
    leaf found = atomic_load_explicit(&directory[index], memory_order_acquire);
    if (found || !create)
        return found;
    void *memory = NULL;
    SIZE_T size = GRANULES_PER_LEAF * sizeof(uintptr_t);
    if (km_nt_virtual_alloc(KM_NT_SELF, &memory, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) !=
        0)
        return NULL;
    leaf expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&directory[index], &expected, (leaf)memory,
                                                memory_order_acq_rel, memory_order_acquire))
        return memory;
    /* Another thread made this leaf first. */
    size = 0;
    km_nt_virtual_free(KM_NT_SELF, &memory, &size, MEM_RELEASE);
    return expected;
}

/* Stores value in the word of every granule of [base, base + size); false when a leaf could
 * not be made (only when storing a value other than 0). */
static bool store(const void *base, size_t size, uintptr_t value)
{
    uintptr_t first = (uintptr_t)base >> GRANULE_SHIFT;
    uintptr_t end = ((uintptr_t)base + size + ((uintptr_t)1 << GRANULE_SHIFT) - 1) >> GRANULE_SHIFT;
    leaf words = NULL;
    for (uintptr_t granule = first; granule < end; granule++) {
        size_t index = granule % GRANULES_PER_LEAF;
        if (!words || index == 0) {
            words = leaf_for(granule << GRANULE_SHIFT, value != 0);
            if (!words) {
                if (value)
                    return false;
                granule += GRANULES_PER_LEAF - index - 1; /* nothing was recorded here */
                continue;
            }
        }
        atomic_store_explicit(&words[index], value, memory_order_release);
    }
    return true;
}

bool km_nt_address_map_add(const void *base, size_t size)
{
    if (store(base, size, NOT_OWNED))
        return true;
    store(base, size, 0);
    return false;
}

void km_nt_address_map_set_owner(const void *base, size_t size, void *owner)
{
    store(base, size, owner ? (uintptr_t)owner : NOT_OWNED);
}

void km_nt_address_map_remove(const void *base, size_t size)
{
    store(base, size, 0);
}

static uintptr_t word_of(const void *address)
{
    leaf words = leaf_for((uintptr_t)address, false);
    if (!words)
        return 0;
    size_t index = ((uintptr_t)address >> GRANULE_SHIFT) % GRANULES_PER_LEAF;
    return atomic_load_explicit(&words[index], memory_order_acquire);
}

bool km_nt_address_is_ours(const void *address)
{
    return word_of(address) != 0;
}
