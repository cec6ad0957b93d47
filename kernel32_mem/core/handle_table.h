/*
 * The handle table behind moveable memory (GlobalAlloc/LocalAlloc with GMEM_MOVEABLE).
 *
 * A moveable block is known to its owner by a handle that stays the same while the block's data
 * moves. The table is one reservation of KM_HANDLE_TABLE_CAPACITY entries, committed a page at a
 * time as it fills. Each entry is two pointer-sized words, laid out as Windows lays them out:
 *
 *     word 0: flags (16 bits: in use 1, and the caller's own bits), lock count (16 bits)
 *     word 1: the block's data pointer, NULL once freed      <- the handle points here
 *
 * so a handle is the address of its entry's data pointer, as on Windows, where old programs read
 * the data pointer straight through the handle and the flags word before it. Entries are two words
 * wide and the table is aligned, so a handle is always one word past a two-word boundary, which no
 * heap block (aligned to two words) can be: a handle and a fixed block's pointer are told apart by
 * their low bits.
 *
 * Freed entries' indexes wait on a stack of their own (so a freed entry reads as Windows' do: no
 * flags, no data); an entry is given out again only after every never-used entry has been, so a
 * freed handle stays invalid for as long as possible.
 * A lookup checks that a handle lies in the table, has the right low bits, and names an entry in
 * use, before reading anything the handle points to.
 *
 * Going the other way, from data to its entry (GlobalHandle, and telling a fixed block from a
 * moveable block's data), the caller indexes entries by their data, in a hash table of the
 * table's own (open addressing, linear probes, entries moved back on removal), so the question
 * costs the same however many entries there are.
 *
 * The table has no lock of its own: every function expects the caller to hold the lock that
 * guards it. kernel32_mem guards it with the process heap's lock, as Windows does, so that a
 * thread holding HeapLock on the process heap can still call the Global and Local functions, and
 * there is no second lock to take in the wrong order.
 */
#ifndef KM_CORE_HANDLE_TABLE_H
#define KM_CORE_HANDLE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pages.h"

#define KM_HANDLE_TABLE_CAPACITY 65536

typedef struct km_handle_entry {
    uint16_t flags;
    uint16_t lock_count;
    uint8_t unused[sizeof(void *) - 4];
    void *data;
} km_handle_entry;

_Static_assert(sizeof(km_handle_entry) == 2 * sizeof(void *), "an entry is two words");

/* The entry flag that marks an entry given out (Windows' own bit for it); the caller's flags
 * must not use it. */
#define KM_HANDLE_IN_USE 0x0001u

typedef struct km_handle_table {
    km_pages *pages;
    km_handle_entry *entries; /* the reservation */
    size_t committed;         /* entries committed from the start */
    size_t used;              /* entries ever given out, from the start */
    uint32_t *free_indexes;   /* a stack of freed entries' indexes, in a reservation of its own */
    size_t free_count;
    size_t free_committed;     /* indexes the stack has pages for */
    km_handle_entry **by_data; /* the data index: NULL or an entry, keyed by its data */
    size_t by_data_mask;       /* slots - 1, when by_data is not NULL */
    size_t by_data_count;
} km_handle_table;

/* Prepares an empty table; nothing is reserved until the first allocation. */
void km_handle_table_init(km_handle_table *table, km_pages *pages);

/* Gives out an entry holding data and flags (flags without KM_HANDLE_IN_USE); NULL when the
 * table is full or its next page cannot be committed. The caller holds the table's lock. */
km_handle_entry *km_handle_alloc_locked(km_handle_table *table, void *data, uint16_t flags);

/* Returns an entry to the table; its handle is invalid from now on. Caller holds the lock. */
void km_handle_free_locked(km_handle_table *table, km_handle_entry *entry);

/* The entry a handle names, or NULL for anything else; reads nothing outside the table. */
km_handle_entry *km_handle_lookup_locked(km_handle_table *table, const void *handle);

/* Adds an entry in use, with data, to the data index; false when the index cannot grow. Adding
 * right after removing never needs to grow. Caller holds the lock. */
bool km_handle_index_data_locked(km_handle_table *table, km_handle_entry *entry);

/* Removes an indexed entry from the data index; call it before the entry's data changes. */
void km_handle_unindex_data_locked(km_handle_table *table, km_handle_entry *entry);

/* The indexed entry whose data is data, or NULL. Caller holds the lock. */
km_handle_entry *km_handle_find_data_locked(km_handle_table *table, const void *data);

/* Returns the table's memory; the table is empty after, as after init. */
void km_handle_table_release(km_handle_table *table);

/* True when value has a handle's low bits (one word past a two-word boundary). */
static inline bool km_handle_has_handle_bits(const void *value)
{
    return ((uintptr_t)value & (2 * sizeof(void *) - 1)) == sizeof(void *);
}

static inline void *km_handle_of(km_handle_entry *entry)
{
    return &entry->data;
}

#endif
