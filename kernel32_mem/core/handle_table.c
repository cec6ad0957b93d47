#include "core/handle_table.h"

void km_handle_table_init(km_handle_table *table, km_pages *pages)
{
    *table = (km_handle_table){.pages = pages};
}

static size_t table_bytes(void)
{
    return KM_HANDLE_TABLE_CAPACITY * sizeof(km_handle_entry);
}

/* Makes one more never-used entry available; false when the table is full or out of memory. */
static bool grow(km_handle_table *table)
{
    if (!table->entries) {
        table->entries = table->pages->reserve(table->pages, table_bytes());
        if (!table->entries)
            return false;
    }
    if (table->used < table->committed)
        return true;
    if (table->committed == KM_HANDLE_TABLE_CAPACITY)
        return false;
    size_t page = table->pages->page_size;
    char *next = (char *)(table->entries + table->committed);
    if (table->pages->commit(table->pages, next, page, false) != KM_OK)
        return false;
    table->committed += page / sizeof(km_handle_entry);
    return true;
}

km_handle_entry *km_handle_alloc_locked(km_handle_table *table, void *data, uint16_t flags)
{
    km_handle_entry *entry;
    if (grow(table))
        entry = &table->entries[table->used++];
    else if (table->free_count)
        entry = &table->entries[table->free_indexes[--table->free_count]];
    else
        return NULL;
    entry->flags = (uint16_t)(flags | KM_HANDLE_IN_USE);
    entry->lock_count = 0;
    entry->data = data;
    return entry;
}

static size_t free_stack_bytes(void)
{
    return KM_HANDLE_TABLE_CAPACITY * sizeof(uint32_t);
}

/* Room for one more index on the free stack; false without memory. */
static bool free_stack_has_room(km_handle_table *table)
{
    if (!table->free_indexes) {
        table->free_indexes = table->pages->reserve(table->pages, free_stack_bytes());
        if (!table->free_indexes)
            return false;
    }
    if (table->free_count < table->free_committed)
        return true;
    size_t page = table->pages->page_size;
    if (table->pages->commit(table->pages, table->free_indexes + table->free_committed, page,
                             false) != KM_OK)
        return false;
    table->free_committed += page / sizeof(uint32_t);
    return true;
}

void km_handle_free_locked(km_handle_table *table, km_handle_entry *entry)
{
    entry->flags = 0;
    entry->lock_count = 0;
    entry->data = NULL;
    /* Without room to remember it, the entry stays unused: a leak of 16 bytes, not a failure. */
    if (free_stack_has_room(table))
        table->free_indexes[table->free_count++] = (uint32_t)(entry - table->entries);
}

km_handle_entry *km_handle_lookup_locked(km_handle_table *table, const void *handle)
{
    if (!table->entries || !km_handle_has_handle_bits(handle))
        return NULL;
    uintptr_t start = (uintptr_t)table->entries;
    uintptr_t address = (uintptr_t)handle - sizeof(void *);
    if (address < start || address >= start + table->used * sizeof(km_handle_entry))
        return NULL;
    km_handle_entry *entry = (km_handle_entry *)address;
    return (entry->flags & KM_HANDLE_IN_USE) ? entry : NULL;
}

static size_t data_home(const km_handle_table *table, const void *data)
{
    uint64_t hash = (uint64_t)((uintptr_t)data >> 3) * 0x9e3779b97f4a7c15ull;
    return (size_t)(hash >> 32) & table->by_data_mask;
}

/* Slots are a power of two, at least a granule's worth, so this is whole pages. */
static size_t index_bytes(size_t slots)
{
    return slots * sizeof(km_handle_entry *);
}

static void index_insert(km_handle_table *table, km_handle_entry *entry)
{
    size_t slot = data_home(table, entry->data);
    while (table->by_data[slot])
        slot = (slot + 1) & table->by_data_mask;
    table->by_data[slot] = entry;
}

/* Twice the slots (a granule's worth at first), every entry moved over. */
static bool grow_index(km_handle_table *table)
{
    size_t slots = table->by_data ? 2 * (table->by_data_mask + 1)
                                  : table->pages->granularity / sizeof(km_handle_entry *);
    km_handle_entry **grown = table->pages->reserve(table->pages, index_bytes(slots));
    if (!grown)
        return false;
    if (table->pages->commit(table->pages, grown, index_bytes(slots), false) != KM_OK) {
        table->pages->release(table->pages, grown, index_bytes(slots));
        return false;
    }
    km_handle_entry **old = table->by_data;
    size_t old_slots = old ? table->by_data_mask + 1 : 0;
    table->by_data = grown;
    table->by_data_mask = slots - 1;
    for (size_t i = 0; i < old_slots; i++)
        if (old[i])
            index_insert(table, old[i]);
    if (old)
        table->pages->release(table->pages, old, index_bytes(old_slots));
    return true;
}

bool km_handle_index_data_locked(km_handle_table *table, km_handle_entry *entry)
{
    if ((!table->by_data || (table->by_data_count + 1) * 2 > table->by_data_mask + 1) &&
        !grow_index(table))
        return false;
    index_insert(table, entry);
    table->by_data_count++;
    return true;
}

/* True when an entry whose home is `home` may stay at `slot` with `gap` left empty. */
static bool may_stay(size_t home, size_t gap, size_t slot)
{
    if (gap <= slot)
        return home > gap && home <= slot;
    return home > gap || home <= slot;
}

void km_handle_unindex_data_locked(km_handle_table *table, km_handle_entry *entry)
{
    if (!table->by_data)
        return;
    size_t gap = data_home(table, entry->data);
    while (table->by_data[gap] != entry) {
        if (!table->by_data[gap])
            return;
        gap = (gap + 1) & table->by_data_mask;
    }
    for (size_t slot = (gap + 1) & table->by_data_mask; table->by_data[slot];
         slot = (slot + 1) & table->by_data_mask) {
        km_handle_entry *held = table->by_data[slot];
        if (may_stay(data_home(table, held->data), gap, slot))
            continue;
        table->by_data[gap] = held;
        gap = slot;
    }
    table->by_data[gap] = NULL;
    table->by_data_count--;
}

km_handle_entry *km_handle_find_data_locked(km_handle_table *table, const void *data)
{
    if (!table->by_data_count)
        return NULL;
    for (size_t slot = data_home(table, data); table->by_data[slot];
         slot = (slot + 1) & table->by_data_mask)
        if (table->by_data[slot]->data == data)
            return table->by_data[slot];
    return NULL;
}

void km_handle_table_release(km_handle_table *table)
{
    if (table->entries)
        table->pages->release(table->pages, table->entries, table_bytes());
    if (table->free_indexes)
        table->pages->release(table->pages, table->free_indexes, free_stack_bytes());
    if (table->by_data)
        table->pages->release(table->pages, table->by_data, index_bytes(table->by_data_mask + 1));
    km_handle_table_init(table, table->pages);
}
