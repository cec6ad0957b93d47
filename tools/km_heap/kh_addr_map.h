/*
 * A map from a traced address (a heap handle or a block, as the trace saw it) to what replay
 * made of it, with a flag for whether it is still live. Open addressing with linear probes;
 * entries are never removed, only marked dead, so a freed block still translates (a double free
 * replays as one). Key 0 is never stored: it is the empty slot.
 */
#ifndef KH_ADDR_MAP_H
#define KH_ADDR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kh_addr_entry {
    uint64_t key;
    uint64_t value;
    bool live;
} kh_addr_entry;

typedef struct kh_addr_map {
    kh_addr_entry *entries;
    size_t mask; /* capacity - 1, when entries is not NULL */
    size_t count;
} kh_addr_map;

/* The entry for key (not 0), or NULL. */
kh_addr_entry *kh_addr_find(const kh_addr_map *map, uint64_t key);

/* Sets key (not 0) to value, live; false when the map could not grow. */
bool kh_addr_put(kh_addr_map *map, uint64_t key, uint64_t value);

void kh_addr_release(kh_addr_map *map);

#endif
