/*
 * The registry of a process's heaps: which handles are live heaps (so a bad handle is refused
 * without being dereferenced) and the list GetProcessHeaps returns.
 *
 * Heap handles are distinct multiples of 64 KiB, so they hash well by their upper bits into an
 * open-addressed table probed linearly. Every Heap* call looks its handle up, from any thread,
 * so a lookup takes no lock; HeapCreate and HeapDestroy change the table under the registry's
 * lock. The two meet through a sequence number: a change makes it odd while it is under way and
 * even again after, and a lookup that saw it odd, or saw it move, looks again. That lets a
 * removal close the gap it leaves by moving later entries of the probe sequence back (no
 * tombstones, so a create-and-destroy loop never slows lookups), and lets the table grow.
 *
 * The table doubles when it would become more than half full, into a new reservation; the old
 * one is kept (a lookup may still be reading it) and reused by nothing, which costs at most as
 * much again as the current table. So the number of heaps is bounded by memory alone.
 */
#ifndef KM_CORE_HEAP_REGISTRY_H
#define KM_CORE_HEAP_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/heap.h"
#include "core/lock.h"
#include "core/pages.h"

#define KM_REGISTRY_INITIAL_SLOTS 64

typedef struct km_registry_table {
    size_t mask;                       /* slots - 1; slots is a power of two */
    struct km_registry_table *retired; /* the table this one replaced */
    size_t reserved;                   /* bytes of this table's reservation; 0 for the first */
    _Atomic uintptr_t *slots;          /* 0: empty */
} km_registry_table;

typedef struct km_heap_registry {
    _Atomic(km_registry_table *) table;
    _Atomic unsigned sequence; /* odd while the table is being changed */
    km_lock lock;
    km_pages *pages;
    size_t count;
    km_heap *first; /* listed first by km_registry_list: the process heap */
    km_registry_table initial;
    _Atomic uintptr_t initial_slots[KM_REGISTRY_INITIAL_SLOTS];
} km_heap_registry;

void km_registry_init(km_heap_registry *registry, const km_threads *threads, km_pages *pages);

/* Releases every table the registry reserved; the registry is empty and unusable after. */
void km_registry_destroy(km_heap_registry *registry);

/* False when the table had to grow and its memory could not be had. */
bool km_registry_add(km_heap_registry *registry, km_heap *heap);
void km_registry_remove(km_heap_registry *registry, km_heap *heap);

/* The heap whose handle this is, or NULL; never reads through handle. */
km_heap *km_registry_find(km_heap_registry *registry, const void *handle);

/* Stores up to capacity heaps (the first one first) and returns how many there are. */
size_t km_registry_list(km_heap_registry *registry, km_heap **heaps, size_t capacity);

/* Calls visit on every registered heap, under the registry's lock. */
void km_registry_for_each(km_heap_registry *registry, void (*visit)(km_heap *heap));

#endif
