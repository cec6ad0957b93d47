/*
 * The address space kernel32_mem's own memory lives in: every reservation the page provider
 * makes for the heaps and the handle table is recorded here, so that an export handed a pointer
 * can tell, without reading it, whether the pointer could be ours at all. A pointer outside
 * every such reservation belongs to someone else (the system's heap, another allocator, nobody)
 * and is passed on or refused; one inside is for the heap core to judge.
 *
 * Each 64 KiB granule recorded may also name an owner: the heap core's segment there, so that
 * the core goes from a pointer to its segment in two loads (the page provider's owner map).
 */
#ifndef KM_NT_ADDRESS_MAP_H
#define KM_NT_ADDRESS_MAP_H

#include <stdbool.h>
#include <stddef.h>

/* Records [base, base + size) as ours, with no owner; false when the map could not grow to
 * cover it. */
bool km_nt_address_map_add(const void *base, size_t size);

/* Names the owner of [base, base + size), a range recorded by km_nt_address_map_add (NULL: no
 * owner again). */
void km_nt_address_map_set_owner(const void *base, size_t size, void *owner);

/* Forgets a range recorded by km_nt_address_map_add. */
void km_nt_address_map_remove(const void *base, size_t size);

/* Whether address lies in a range recorded as ours. Takes no lock and reads only the map. */
bool km_nt_address_is_ours(const void *address);

/* The map's layout, for the heap core to read inline (core/pages.h). */
const struct km_owner_map *km_nt_address_owner_map(void);

#endif
