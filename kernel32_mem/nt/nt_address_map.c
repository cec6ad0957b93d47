/*
 * One bit per 64 KiB granule of the user address space (the granularity of every reservation
 * on Windows), set while the granule belongs to one of our reservations.
 *
 * The bits live in leaves of 8 KiB, each covering 4 GiB of address space, found through a
 * directory with one slot per leaf: 32,768 slots for x86_64's 128 TiB of user space, one for
 * i686's 4 GiB. A leaf is made the first time a reservation lands in its range and is kept for
 * the life of the process, so a lookup is two loads and a bit test, with no lock: a slot once
 * set never changes, and bits are set before the core hands out any block in their range.
 */
#include "nt/nt_address_map.h"

#include "nt/nt_virtual.h"

#include <stdatomic.h>
#include <stdint.h>

#define GRANULE_SHIFT 16
#define LEAF_SHIFT 32
#define GRANULES_PER_LEAF ((size_t)1 << (LEAF_SHIFT - GRANULE_SHIFT))
#define WORDS_PER_LEAF (GRANULES_PER_LEAF / 64)

#if UINTPTR_MAX > 0xffffffffu
#define ADDRESS_BITS 47
#else
#define ADDRESS_BITS 32
#endif
#define LEAF_COUNT ((size_t)1 << (ADDRESS_BITS - LEAF_SHIFT))

typedef struct leaf {
    _Atomic uint64_t words[WORDS_PER_LEAF];
} leaf;

static _Atomic(leaf *) directory[LEAF_COUNT];

static leaf *leaf_for(uintptr_t address, bool create)
{
    size_t index = (size_t)((uint64_t)address >> LEAF_SHIFT);
    if (index >= LEAF_COUNT)
        return NULL;
    leaf *found = atomic_load_explicit(&directory[index], memory_order_acquire);
    if (found || !create)
        return found;
    void *memory = NULL;
    SIZE_T size = sizeof(leaf);
    if (km_nt_virtual_alloc(KM_NT_SELF, &memory, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) !=
        0)
        return NULL;
    leaf *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&directory[index], &expected, (leaf *)memory,
                                                memory_order_acq_rel, memory_order_acquire))
        return memory;
    /* Another thread made this leaf first. */
    size = 0;
    km_nt_virtual_free(KM_NT_SELF, &memory, &size, MEM_RELEASE);
    return expected;
}

static bool mark(const void *base, size_t size, bool ours)
{
    uintptr_t first = (uintptr_t)base >> GRANULE_SHIFT;
    uintptr_t end = ((uintptr_t)base + size + ((uintptr_t)1 << GRANULE_SHIFT) - 1) >> GRANULE_SHIFT;
    for (uintptr_t granule = first; granule < end; granule++) {
        leaf *bits = leaf_for(granule << GRANULE_SHIFT, ours);
        if (!bits)
            return !ours;
        size_t index = granule % GRANULES_PER_LEAF;
        uint64_t bit = (uint64_t)1 << (index % 64);
        if (ours)
            atomic_fetch_or_explicit(&bits->words[index / 64], bit, memory_order_release);
        else
            atomic_fetch_and_explicit(&bits->words[index / 64], ~bit, memory_order_release);
    }
    return true;
}

bool km_nt_address_map_add(const void *base, size_t size)
{
    return mark(base, size, true);
}

void km_nt_address_map_remove(const void *base, size_t size)
{
    mark(base, size, false);
}

bool km_nt_address_is_ours(const void *address)
{
    leaf *bits = leaf_for((uintptr_t)address, false);
    if (!bits)
        return false;
    size_t index = ((uintptr_t)address >> GRANULE_SHIFT) % GRANULES_PER_LEAF;
    uint64_t word = atomic_load_explicit(&bits->words[index / 64], memory_order_acquire);
    return (word >> (index % 64)) & 1;
}
