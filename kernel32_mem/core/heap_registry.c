#include "core/heap_registry.h"

#include "core/align.h"

static size_t home_slot(const km_registry_table *table, uintptr_t handle)
{
    uint64_t hash = (uint64_t)(handle >> 16) * 0x9e3779b97f4a7c15ull;
    return (size_t)(hash >> 32) & table->mask;
}

void km_registry_init(km_heap_registry *registry, const km_threads *threads, km_pages *pages)
{
    for (size_t i = 0; i < KM_REGISTRY_INITIAL_SLOTS; i++)
        atomic_init(&registry->initial_slots[i], 0);
    registry->initial = (km_registry_table){.mask = KM_REGISTRY_INITIAL_SLOTS - 1,
                                            .slots = registry->initial_slots};
    atomic_init(&registry->table, &registry->initial);
    atomic_init(&registry->sequence, 0);
    km_lock_init(&registry->lock, threads);
    registry->pages = pages;
    registry->count = 0;
    registry->first = NULL;
}

void km_registry_destroy(km_heap_registry *registry)
{
    km_registry_table *table = atomic_load_explicit(&registry->table, memory_order_relaxed);
    while (table && table->reserved) {
        km_registry_table *retired = table->retired;
        registry->pages->release(registry->pages, table, table->reserved);
        table = retired;
    }
    atomic_store_explicit(&registry->table, NULL, memory_order_relaxed);
    registry->count = 0;
    registry->first = NULL;
}

/* The change that follows is seen by lookups as under way until end_change. Caller holds the
 * lock. */
static void begin_change(km_heap_registry *registry)
{
    unsigned sequence = atomic_load_explicit(&registry->sequence, memory_order_relaxed);
    atomic_store_explicit(&registry->sequence, sequence + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void end_change(km_heap_registry *registry)
{
    unsigned sequence = atomic_load_explicit(&registry->sequence, memory_order_relaxed);
    atomic_store_explicit(&registry->sequence, sequence + 1, memory_order_release);
}

static void insert(km_registry_table *table, uintptr_t handle)
{
    size_t slot = home_slot(table, handle);
    while (atomic_load_explicit(&table->slots[slot], memory_order_relaxed))
        slot = (slot + 1) & table->mask;
    atomic_store_explicit(&table->slots[slot], handle, memory_order_relaxed);
}

/* A table twice as big holding every handle of the current one; NULL without memory. */
static km_registry_table *grown_table(km_heap_registry *registry)
{
    km_registry_table *old = atomic_load_explicit(&registry->table, memory_order_relaxed);
    size_t slots = (old->mask + 1) * 2;
    size_t header = (sizeof(km_registry_table) + 63) & ~(size_t)63;
    size_t bytes;
    if (!km_align_up(header + slots * sizeof(uintptr_t), registry->pages->granularity, &bytes))
        return NULL;
    void *memory = registry->pages->reserve(registry->pages, bytes);
    if (!memory)
        return NULL;
    if (registry->pages->commit(registry->pages, memory, bytes, false) != KM_OK) {
        registry->pages->release(registry->pages, memory, bytes);
        return NULL;
    }
    km_registry_table *table = memory;
    *table = (km_registry_table){.mask = slots - 1,
                                 .retired = old,
                                 .reserved = bytes,
                                 .slots = (_Atomic uintptr_t *)((char *)memory + header)};
    for (size_t i = 0; i <= old->mask; i++) {
        uintptr_t held = atomic_load_explicit(&old->slots[i], memory_order_relaxed);
        if (held)
            insert(table, held);
    }
    return table;
}

bool km_registry_add(km_heap_registry *registry, km_heap *heap)
{
    km_lock_acquire(&registry->lock);
    km_registry_table *table = atomic_load_explicit(&registry->table, memory_order_relaxed);
    bool added = true;
    if ((registry->count + 1) * 2 > table->mask + 1) {
        km_registry_table *grown = grown_table(registry);
        if (grown) {
            begin_change(registry);
            /* Release: a lookup that finds the new table also finds it filled. */
            atomic_store_explicit(&registry->table, grown, memory_order_release);
            end_change(registry);
            table = grown;
        } else {
            added = false;
        }
    }
    if (added) {
        begin_change(registry);
        insert(table, (uintptr_t)heap);
        end_change(registry);
        if (!registry->first)
            registry->first = heap;
        registry->count++;
    }
    km_lock_release(&registry->lock);
    return added;
}

/* The slot holding handle, or mask + 1 when no slot does. */
static size_t slot_of(const km_registry_table *table, uintptr_t handle)
{
    size_t slot = home_slot(table, handle);
    for (;;) {
        uintptr_t held = atomic_load_explicit(&table->slots[slot], memory_order_relaxed);
        if (held == handle)
            return slot;
        if (held == 0)
            return table->mask + 1;
        slot = (slot + 1) & table->mask;
    }
}

/* True when a handle whose home is `home` may sit at `slot` with `gap` left empty: the gap does
 * not lie on its probe sequence between its home and its slot. */
static bool may_stay(size_t home, size_t gap, size_t slot)
{
    if (gap <= slot)
        return home > gap && home <= slot;
    return home > gap || home <= slot;
}

void km_registry_remove(km_heap_registry *registry, km_heap *heap)
{
    km_lock_acquire(&registry->lock);
    km_registry_table *table = atomic_load_explicit(&registry->table, memory_order_relaxed);
    size_t gap = slot_of(table, (uintptr_t)heap);
    if (gap <= table->mask) {
        begin_change(registry);
        /* Later entries of the probe sequence move back so that no lookup stops at the gap. */
        for (size_t slot = (gap + 1) & table->mask;; slot = (slot + 1) & table->mask) {
            uintptr_t held = atomic_load_explicit(&table->slots[slot], memory_order_relaxed);
            if (!held)
                break;
            if (may_stay(home_slot(table, held), gap, slot))
                continue;
            atomic_store_explicit(&table->slots[gap], held, memory_order_relaxed);
            gap = slot;
        }
        atomic_store_explicit(&table->slots[gap], 0, memory_order_relaxed);
        end_change(registry);
        registry->count--;
        if (registry->first == heap)
            registry->first = NULL;
    }
    km_lock_release(&registry->lock);
}

km_heap *km_registry_find(km_heap_registry *registry, const void *handle)
{
    uintptr_t value = (uintptr_t)handle;
    if (value == 0 || (value & 0xffff) != 0)
        return NULL;
    for (;;) {
        unsigned before = atomic_load_explicit(&registry->sequence, memory_order_acquire);
        if (before & 1) {
            registry->lock.threads->yield();
            continue;
        }
        const km_registry_table *table =
            atomic_load_explicit(&registry->table, memory_order_acquire);
        bool found = slot_of(table, value) <= table->mask;
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&registry->sequence, memory_order_relaxed) == before)
            return found ? (km_heap *)value : NULL;
    }
}

size_t km_registry_list(km_heap_registry *registry, km_heap **heaps, size_t capacity)
{
    km_lock_acquire(&registry->lock);
    const km_registry_table *table = atomic_load_explicit(&registry->table, memory_order_relaxed);
    size_t count = 0;
    if (registry->first && count < capacity)
        heaps[count] = registry->first;
    count += registry->first != NULL;
    for (size_t i = 0; i <= table->mask; i++) {
        uintptr_t held = atomic_load_explicit(&table->slots[i], memory_order_relaxed);
        if (!held || held == (uintptr_t)registry->first)
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
    const km_registry_table *table = atomic_load_explicit(&registry->table, memory_order_relaxed);
    for (size_t i = 0; i <= table->mask; i++) {
        uintptr_t held = atomic_load_explicit(&table->slots[i], memory_order_relaxed);
        if (held)
            visit((km_heap *)held);
    }
    km_lock_release(&registry->lock);
}
