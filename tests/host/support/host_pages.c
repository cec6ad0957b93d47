#define _DEFAULT_SOURCE
#include "host_pages.h"

#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#define HOST_PAGE_SIZE 4096
#define HOST_GRANULARITY 65536

static km_host_pages *host_of(km_pages *pages)
{
    return (km_host_pages *)pages;
}

static int request_fails(km_host_pages *host)
{
    if (host->failures_after < 0)
        return 0;
    if (host->failures_after == 0) {
        host->failures_after = -1;
        return 1;
    }
    host->failures_after--;
    return 0;
}

/* Maps more than asked and trims both ends, because mmap aligns only to pages. */
static void *host_reserve(km_pages *pages, size_t size)
{
    km_host_pages *host = host_of(pages);
    host->requests++;
    if (request_fails(host) || size > SIZE_MAX - HOST_GRANULARITY)
        return NULL;
    size_t span = size + HOST_GRANULARITY;
    char *mapping = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED)
        return NULL;
    char *base = (char *)(((uintptr_t)mapping + HOST_GRANULARITY - 1) & ~(uintptr_t)(HOST_GRANULARITY - 1));
    if (base > mapping)
        munmap(mapping, (size_t)(base - mapping));
    munmap(base + size, (size_t)(mapping + span - (base + size)));
    host->reserved_bytes += size;
    host->reservations++;
    return base;
}

static km_status host_commit(km_pages *pages, void *address, size_t size, bool executable)
{
    km_host_pages *host = host_of(pages);
    host->requests++;
    if (request_fails(host))
        return KM_NO_MEMORY;
    int protection = PROT_READ | PROT_WRITE | (executable ? PROT_EXEC : 0);
    if (mprotect(address, size, protection) != 0)
        return KM_NO_MEMORY;
    host->commits++;
    return KM_OK;
}

/* Drops the contents, so that a later commit reads zero as on Windows, and forbids access. */
static void host_decommit(km_pages *pages, void *address, size_t size)
{
    host_of(pages)->requests++;
    madvise(address, size, MADV_DONTNEED);
    mprotect(address, size, PROT_NONE);
}

static void host_release(km_pages *pages, void *address, size_t size)
{
    km_host_pages *host = host_of(pages);
    host->requests++;
    munmap(address, size);
    host->reserved_bytes -= size;
    host->reservations--;
}

/* One request, as on Windows: it fails as a whole or not at all. */
static void *host_reserve_committed(km_pages *pages, size_t size, bool executable)
{
    km_host_pages *host = host_of(pages);
    /* One request, whatever the reserve and commit (or release) inside it count. */
    size_t requests = ++host->requests;
    if (request_fails(host))
        return NULL;
    long failures_after = host->failures_after;
    host->failures_after = -1;
    void *base = host_reserve(pages, size);
    if (base && host_commit(pages, base, size, executable) != KM_OK) {
        host_release(pages, base, size);
        base = NULL;
    }
    host->failures_after = failures_after;
    host->requests = requests;
    return base;
}

/* The owner map: a word per 64 KiB granule in leaves of 4 GiB, shared by every provider (an
 * address has one owner whichever provider reserved it). Leaves are mapped, never freed, and
 * out of the leak checker's sight, as the DLL's map lives for the process. */
#define OWNER_GRANULE_SHIFT 16
#define OWNER_LEAF_SHIFT 32
#define OWNER_LEAF_GRANULES ((size_t)1 << (OWNER_LEAF_SHIFT - OWNER_GRANULE_SHIFT))
#define OWNER_LEAVES ((size_t)1 << (47 - OWNER_LEAF_SHIFT))

static _Atomic(_Atomic uintptr_t *) owner_leaves[OWNER_LEAVES];

static _Atomic uintptr_t *owner_leaf(uintptr_t address, bool create)
{
    size_t index = (size_t)(address >> OWNER_LEAF_SHIFT);
    if (index >= OWNER_LEAVES)
        return NULL;
    _Atomic uintptr_t *leaf = atomic_load_explicit(&owner_leaves[index], memory_order_acquire);
    if (leaf || !create)
        return leaf;
    size_t bytes = OWNER_LEAF_GRANULES * sizeof(uintptr_t);
    void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(&owner_leaves[index], &leaf, memory,
                                                memory_order_acq_rel, memory_order_acquire))
        return memory;
    munmap(memory, bytes);
    return leaf;
}

static km_status host_set_owner(km_pages *pages, void *base, size_t size, void *owner)
{
    km_host_pages *host = host_of(pages);
    if (owner && request_fails(host))
        return KM_NO_MEMORY;
    uintptr_t end = (uintptr_t)base + size;
    for (uintptr_t at = (uintptr_t)base; at < end; at += (uintptr_t)1 << OWNER_GRANULE_SHIFT) {
        _Atomic uintptr_t *leaf = owner_leaf(at, owner != NULL);
        if (!leaf) {
            if (owner)
                return KM_NO_MEMORY;
            continue;
        }
        atomic_store_explicit(&leaf[(at >> OWNER_GRANULE_SHIFT) % OWNER_LEAF_GRANULES],
                              (uintptr_t)owner, memory_order_release);
    }
    return KM_OK;
}

static const km_owner_map host_owner_map = {
    .leaves = owner_leaves,
    .leaf_count = OWNER_LEAVES,
};
_Static_assert(OWNER_GRANULE_SHIFT == KM_OWNER_GRANULE_SHIFT &&
                   OWNER_LEAF_SHIFT == KM_OWNER_LEAF_SHIFT,
               "the map is laid out as core/pages.h reads it");

void km_host_pages_init(km_host_pages *host)
{
    *host = (km_host_pages){
        .pages = {.reserve = host_reserve,
                  .commit = host_commit,
                  .decommit = host_decommit,
                  .release = host_release,
                  .reserve_committed = host_reserve_committed,
                  .set_owner = host_set_owner,
                  .owner_map = &host_owner_map,
                  .page_size = HOST_PAGE_SIZE,
                  .granularity = HOST_GRANULARITY},
        .failures_after = -1,
    };
}

void km_host_pages_fail_after(km_host_pages *host, long n)
{
    host->failures_after = n;
}
