/* The traced-to-replayed address map (kh_addr_map.h). */
#include "kh_addr_map.h"

#include <stdlib.h>

static size_t slot_of(uint64_t key, size_t mask)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & mask;
}

kh_addr_entry *kh_addr_find(const kh_addr_map *map, uint64_t key)
{
    if (!map->entries)
        return NULL;
    for (size_t i = slot_of(key, map->mask);; i = (i + 1) & map->mask) {
        if (map->entries[i].key == key)
            return &map->entries[i];
        if (map->entries[i].key == 0)
            return NULL;
    }
}

static bool grow(kh_addr_map *map)
{
    size_t capacity = map->entries ? (map->mask + 1) * 2 : 1024;
    kh_addr_entry *entries = calloc(capacity, sizeof *entries);
    if (!entries)
        return false;
    for (size_t i = 0; map->entries && i <= map->mask; i++) {
        if (!map->entries[i].key)
            continue;
        size_t j = slot_of(map->entries[i].key, capacity - 1);
        while (entries[j].key)
            j = (j + 1) & (capacity - 1);
        entries[j] = map->entries[i];
    }
    free(map->entries);
    map->entries = entries;
    map->mask = capacity - 1;
    return true;
}

bool kh_addr_put(kh_addr_map *map, uint64_t key, uint64_t value)
{
    kh_addr_entry *entry = kh_addr_find(map, key);
    if (!entry) {
        if ((!map->entries || (map->count + 1) * 2 > map->mask + 1) && !grow(map))
            return false;
        size_t i = slot_of(key, map->mask);
        while (map->entries[i].key)
            i = (i + 1) & map->mask;
        entry = &map->entries[i];
        entry->key = key;
        map->count++;
    }
    entry->value = value;
    entry->live = true;
    return true;
}

void kh_addr_release(kh_addr_map *map)
{
    free(map->entries);
    map->entries = NULL;
    map->mask = 0;
    map->count = 0;
}
