/*
 * Questions about a snapshot that more than one command asks: where an address lies, and which
 * blocks are busy. Both answer from the snapshot's records alone, in time logarithmic in (or
 * linear in) what the document lists, never in the size of the memory it describes.
 */
#ifndef KH_QUERY_H
#define KH_QUERY_H

#include "kh_snapshot.h"

typedef enum kh_place_kind {
    KH_PLACE_NONE,    /* in no heap */
    KH_PLACE_SEGMENT, /* in a segment: see group (and block) */
    KH_PLACE_LARGE,   /* in a large block's reservation */
} kh_place_kind;

typedef struct kh_place {
    kh_place_kind kind;
    size_t heap;               /* index in snapshot->heaps */
    const kh_segment *segment; /* KH_PLACE_SEGMENT */
    const kh_group *group;
    uint64_t slot;         /* the slot's index in its segment */
    const kh_block *block; /* a listed block holding the address, or NULL */
    uint64_t block_start;  /* runs: the start of the block slot the address falls in */
    bool in_blocks;        /* runs: the address is inside the run's block_count blocks */
    const kh_large *large; /* KH_PLACE_LARGE */
} kh_place;

/* Where address lies; false (kind KH_PLACE_NONE) when no heap of the snapshot holds it. */
bool kh_locate(const kh_snapshot *snapshot, uint64_t address, kh_place *place);

/* A busy block, wherever it lies. */
typedef enum kh_busy_kind { KH_BUSY_RUN, KH_BUSY_SPAN, KH_BUSY_LARGE } kh_busy_kind;

typedef struct kh_busy {
    uint64_t address;
    uint64_t requested;
    uint64_t size; /* the block's size: its class size, a span's bytes, a large reservation */
    size_t heap;
    kh_busy_kind kind;
    unsigned size_class; /* runs */
} kh_busy;

/* Every busy block of the snapshot, sorted by address, in a new array (*count entries; NULL and
 * false when memory ran out). */
bool kh_collect_busy(const kh_snapshot *snapshot, kh_busy **blocks, size_t *count);

/* The entry of a sorted kh_busy array at exactly address, or NULL. */
const kh_busy *kh_find_busy(const kh_busy *blocks, size_t count, uint64_t address);

/* The heap whose handle is handle, or NULL. */
const kh_heap *kh_find_heap(const kh_snapshot *snapshot, uint64_t handle);

#endif
