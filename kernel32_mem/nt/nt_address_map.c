/*
 * One bit per 64 KiB granule of the user address space (the granularity of every reservation
 * on Windows), set while the granule belongs to one of our reservations.
 *
 * The bits live in leaves of 8 KiB, each covering 4 GiB of address space: 32,768 leaves for
 * x86_64's 128 TiB of user space, one for i686's 4 GiB. All the leaves are one reservation,
 * made the first time anything is recorded, and a leaf is committed the first time a reservation
 * lands in its range; a reservation that spans many leaves commits them in one call, so a heap
 * of a terabyte costs one system call here, not 256. A committed leaf stays for the life of the
 * process, and a second bitmap says which are; so a lookup is two loads and a bit test, with no
 * lock, and bits are set before the core hands out any block in their range.
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
#define LEAF_MAP_WORDS ((LEAF_COUNT + 63) / 64)

typedef struct leaf {
    _Atomic uint64_t words[WORDS_PER_LEAF];
} leaf;

static _Atomic(leaf *) leaves;                           /* LEAF_COUNT of them, reserved */
static _Atomic uint64_t leaf_is_committed[LEAF_MAP_WORDS]; /* one bit per leaf */

static bool leaf_committed(size_t index)
{
    uint64_t word = atomic_load_explicit(&leaf_is_committed[index / 64], memory_order_acquire);
    return (word >> (index % 64)) & 1;
}

/* The leaves' reservation, made by the first caller. */
static leaf *leaf_storage(void)
{
    leaf *storage = atomic_load_explicit(&leaves, memory_order_acquire);
    if (storage)
        return storage;
    void *memory = NULL;
    SIZE_T size = LEAF_COUNT * sizeof(leaf);
    if (km_nt_virtual_alloc(KM_NT_SELF, &memory, &size, MEM_RESERVE, PAGE_READWRITE) != 0)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(&leaves, &storage, (leaf *)memory,
                                                memory_order_acq_rel, memory_order_acquire))
        return memory;
    /* Another thread reserved them first. */
    size = 0;
    km_nt_virtual_free(KM_NT_SELF, &memory, &size, MEM_RELEASE);
    return storage;
}

/* Commits leaves [first, last] in one call, unless they all are already. */
static bool commit_leaves(size_t first, size_t last)
{
    size_t index = first;
    while (index <= last && leaf_committed(index))
        index++;
    if (index > last)
        return true;
    leaf *storage = leaf_storage();
    if (!storage)
        return false;
    /* Committing pages that are committed already keeps their contents. */
    void *memory = &storage[index];
    SIZE_T size = (last - index + 1) * sizeof(leaf);
    if (km_nt_virtual_alloc(KM_NT_SELF, &memory, &size, MEM_COMMIT, PAGE_READWRITE) != 0)
        return false;
    for (; index <= last; index++)
        atomic_fetch_or_explicit(&leaf_is_committed[index / 64], (uint64_t)1 << (index % 64),
                                 memory_order_release);
    return true;
}

/* The leaf of address if it is committed, or NULL. */
static leaf *leaf_of(uintptr_t address)
{
    size_t index = (size_t)((uint64_t)address >> LEAF_SHIFT);
    if (index >= LEAF_COUNT || !leaf_committed(index))
        return NULL;
    return &atomic_load_explicit(&leaves, memory_order_relaxed)[index];
}

/* Sets or clears the bits of granules [first, end), a word at a time: a reservation of a
 * terabyte is 16 million granules but a quarter of a million words. */
static bool mark(const void *base, size_t size, bool ours)
{
    uintptr_t first = (uintptr_t)base >> GRANULE_SHIFT;
    uintptr_t end = ((uintptr_t)base + size + ((uintptr_t)1 << GRANULE_SHIFT) - 1) >> GRANULE_SHIFT;
    if (end > LEAF_COUNT * GRANULES_PER_LEAF)
        return !ours;
    if (ours && !commit_leaves(first / GRANULES_PER_LEAF, (end - 1) / GRANULES_PER_LEAF))
        return false;
    leaf *bits = NULL;
    for (uintptr_t granule = first; granule < end;) {
        size_t index = granule % GRANULES_PER_LEAF;
        if (!bits || index == 0) {
            bits = leaf_of(granule << GRANULE_SHIFT);
            if (!bits) { /* nothing was recorded in this leaf */
                granule += GRANULES_PER_LEAF - index;
                continue;
            }
        }
        size_t in_word = index % 64;
        size_t count = 64 - in_word;
        if (count > end - granule)
            count = end - granule;
        uint64_t mask = (count == 64 ? ~(uint64_t)0 : (((uint64_t)1 << count) - 1)) << in_word;
        if (ours)
            atomic_fetch_or_explicit(&bits->words[index / 64], mask, memory_order_release);
        else
            atomic_fetch_and_explicit(&bits->words[index / 64], ~mask, memory_order_release);
        granule += count;
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
    leaf *bits = leaf_of((uintptr_t)address);
    if (!bits)
        return false;
    size_t index = ((uintptr_t)address >> GRANULE_SHIFT) % GRANULES_PER_LEAF;
    uint64_t word = atomic_load_explicit(&bits->words[index / 64], memory_order_acquire);
    return (word >> (index % 64)) & 1;
}
