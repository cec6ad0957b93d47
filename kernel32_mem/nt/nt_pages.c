/*
 * The heap core's page provider over Nt*VirtualMemory. Every reservation it makes is recorded in
 * the address map, which is how the exports tell our memory from the system's.
 */
#include "nt/nt_pages.h"

#include "nt/nt_address_map.h"
#include "nt/nt_virtual.h"
#include "nt/ntdll.h"

static void release(void *base)
{
    SIZE_T length = 0;
    km_nt_virtual_free(KM_NT_CURRENT_PROCESS, &base, &length, MEM_RELEASE);
}

static void *reserve(size_t size, DWORD type, DWORD protect)
{
    void *base = NULL;
    SIZE_T length = size;
    if (km_nt_virtual_alloc(KM_NT_CURRENT_PROCESS, &base, &length, type, protect) != 0)
        return NULL;
    if (!km_nt_address_map_add(base, length)) {
        release(base);
        return NULL;
    }
    return base;
}

static void *nt_reserve(km_pages *self, size_t size)
{
    (void)self;
    return reserve(size, MEM_RESERVE, PAGE_NOACCESS);
}

static void *nt_reserve_committed(km_pages *self, size_t size, bool executable)
{
    (void)self;
    return reserve(size, MEM_RESERVE | MEM_COMMIT,
                   executable ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE);
}

static km_status nt_commit(km_pages *self, void *address, size_t size, bool executable)
{
    SIZE_T length = size;
    (void)self;
    if (km_nt_virtual_alloc(KM_NT_CURRENT_PROCESS, &address, &length, MEM_COMMIT,
                            executable ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE) != 0)
        return KM_NO_MEMORY;
    return KM_OK;
}

static void nt_decommit(km_pages *self, void *address, size_t size)
{
    SIZE_T length = size;
    (void)self;
    km_nt_virtual_free(KM_NT_CURRENT_PROCESS, &address, &length, MEM_DECOMMIT);
}

static void nt_release(km_pages *self, void *address, size_t size)
{
    (void)self;
    /* Forgotten first: the range may be someone else's the moment it is released. */
    km_nt_address_map_remove(address, size);
    release(address);
}

static km_status nt_set_owner(km_pages *self, void *base, size_t size, void *owner)
{
    (void)self;
    km_nt_address_map_set_owner(base, size, owner);
    return KM_OK;
}

km_pages *km_nt_pages(void)
{
    static km_pages pages = {
        .reserve = nt_reserve,
        .commit = nt_commit,
        .decommit = nt_decommit,
        .release = nt_release,
        .reserve_committed = nt_reserve_committed,
        .set_owner = nt_set_owner,
    };
    /* Racing first callers store the same values. */
    if (!pages.granularity) {
        pages.owner_map = km_nt_address_owner_map();
        pages.page_size = km_nt_page_size();
        pages.granularity = km_nt_allocation_granularity();
    }
    return &pages;
}
