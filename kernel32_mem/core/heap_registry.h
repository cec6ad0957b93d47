/*
 * The registry of a process's heaps: which handles are live heaps (so a bad handle is refused
 * without being dereferenced) and the list GetProcessHeaps returns.
 *
 * Heap handles are distinct multiples of 64 KiB, so they hash well by their upper bits into an
 * open-addressed table. Lookups take no lock: a slot holds 0 (never used), KM_REGISTRY_REMOVED
 * or a handle, and a lookup probes until it finds the handle or a never-used slot. Adding and
 * removing take the registry's lock; a removed slot is reused by a later addition. The table is
 * fixed in size, which bounds the heaps a process can have at KM_REGISTRY_MAX_HEAPS.
 */
#ifndef KM_CORE_HEAP_REGISTRY_H
#define KM_CORE_HEAP_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/heap.h"
#include "core/lock.h"

#define KM_REGISTRY_SLOTS 8192
#define KM_REGISTRY_MAX_HEAPS (KM_REGISTRY_SLOTS / 2)

typedef struct km_heap_registry {
    _Atomic uintptr_t slots[KM_REGISTRY_SLOTS];
    km_lock lock;
    size_t count;
    km_heap *first; /* listed first by km_registry_list: the process heap */
} km_heap_registry;

void km_registry_init(km_heap_registry *registry, const km_threads *threads);

/* False when the registry is full. */
bool km_registry_add(km_heap_registry *registry, km_heap *heap);
void km_registry_remove(km_heap_registry *registry, km_heap *heap);

/* The heap whose handle this is, or NULL; never reads through handle. */
km_heap *km_registry_find(km_heap_registry *registry, const void *handle);

/* Stores up to capacity heaps (the first one first) and returns how many there are. */
size_t km_registry_list(km_heap_registry *registry, km_heap **heaps, size_t capacity);

/* Calls visit on every registered heap, under the registry's lock. */
void km_registry_for_each(km_heap_registry *registry, void (*visit)(km_heap *heap));

#endif
