#include "core/heap_registry.h"

#define KM_REGISTRY_REMOVED ((uintptr_t)1)

static size_t home_slot(uintptr_t handle)
{
    uint64_t hash = (uint64_t)(handle >> 16) * 0x9e3779b97f4a7c15ull;
    return (size_t)(hash >> 40) % KM_REGISTRY_SLOTS;
}

void km_registry_init(km_heap_registry *registry, const km_threads *threads)
{
    for (size_t i = 0; i < KM_REGISTRY_SLOTS; i++)
        atomic_init(&registry->slots[i], 0);
    km_lock_init(&registry->lock, threads);
    registry->count = 0;
    registry->first = NULL;
}

bool km_registry_add(km_heap_registry *registry, km_heap *heap)
{
    km_lock_acquire(&registry->lock);
    bool added = false;
    if (registry->count < KM_REGISTRY_MAX_HEAPS) {
        size_t slot = home_slot((uintptr_t)heap);
        for (;;) {
            uintptr_t held = atomic_load_explicit(&registry->slots[slot], memory_order_relaxed);
            if (held == 0 || held == KM_REGISTRY_REMOVED)
                break;
            slot = (slot + 1) % KM_REGISTRY_SLOTS;
        }
        atomic_store_explicit(&registry->slots[slot], (uintptr_t)heap, memory_order_release);
        if (!registry->first)
            registry->first = heap;
        registry->count++;
        added = true;
    }
    km_lock_release(&registry->lock);
    return added;
}

static _Atomic uintptr_t *slot_of(km_heap_registry *registry, uintptr_t handle)
{
    size_t slot = home_slot(handle);
    for (size_t probes = 0; probes < KM_REGISTRY_SLOTS; probes++) {
        uintptr_t held = atomic_load_explicit(&registry->slots[slot], memory_order_acquire);
        if (held == handle)
            return &registry->slots[slot];
        if (held == 0)
            return NULL;
        slot = (slot + 1) % KM_REGISTRY_SLOTS;
    }
    return NULL;
}

void km_registry_remove(km_heap_registry *registry, km_heap *heap)
{
    km_lock_acquire(&registry->lock);
    _Atomic uintptr_t *slot = slot_of(registry, (uintptr_t)heap);
    if (slot) {
        atomic_store_explicit(slot, KM_REGISTRY_REMOVED, memory_order_release);
        registry->count--;
        if (registry->first == heap)
            registry->first = NULL;
    }
    km_lock_release(&registry->lock);
}

km_heap *km_registry_find(km_heap_registry *registry, const void *handle)
{
    uintptr_t value = (uintptr_t)handle;
    if (value <= KM_REGISTRY_REMOVED || (value & 0xffff) != 0)
        return NULL;
    return slot_of(registry, value) ? (km_heap *)value : NULL;
}

size_t km_registry_list(km_heap_registry *registry, km_heap **heaps, size_t capacity)
{
    km_lock_acquire(&registry->lock);
    size_t count = 0;
    if (registry->first && count < capacity)
        heaps[count] = registry->first;
    count += registry->first != NULL;
    for (size_t i = 0; i < KM_REGISTRY_SLOTS; i++) {
        uintptr_t held = atomic_load_explicit(&registry->slots[i], memory_order_relaxed);
        if (held <= KM_REGISTRY_REMOVED || held == (uintptr_t)registry->first)
            continue;
        if (count < capacity)
            heaps[count] = (km_heap *)held;
        count++;
    }
    km_lock_release(&registry->lock);
    return count;
}

void km_registry_for_each(km_heap_registry *registry, void (*visit)(km_heap *heap))
{
    km_lock_acquire(&registry->lock);
    for (size_t i = 0; i < KM_REGISTRY_SLOTS; i++) {
        uintptr_t held = atomic_load_explicit(&registry->slots[i], memory_order_relaxed);
        if (held > KM_REGISTRY_REMOVED)
            visit((km_heap *)held);
    }
    km_lock_release(&registry->lock);
}
