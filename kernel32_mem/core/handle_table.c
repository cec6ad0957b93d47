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
    if (grow(table)) {
        entry = &table->entries[table->used++];
    } else if (table->free_list) {
        entry = table->free_list;
        table->free_list = entry->data;
    } else {
        return NULL;
    }
    entry->flags = (uint16_t)(flags | KM_HANDLE_IN_USE);
    entry->lock_count = 0;
    entry->data = data;
    return entry;
}

void km_handle_free_locked(km_handle_table *table, km_handle_entry *entry)
{
    entry->flags = 0;
    entry->lock_count = 0;
    entry->data = table->free_list;
    table->free_list = entry;
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

km_handle_entry *km_handle_find_data_locked(km_handle_table *table, const void *data)
{
    for (size_t i = 0; i < table->used; i++) {
        km_handle_entry *entry = &table->entries[i];
        if ((entry->flags & KM_HANDLE_IN_USE) && entry->data == data)
            return entry;
    }
    return NULL;
}
