/*
 * Heaps with known contents, for km-heap's tests: what the round-trip test checks a snapshot
 * against, and what the fixture generator writes snapshots of.
 *
 * The set: a growable heap (the "process heap") with runs of several size classes, some blocks
 * freed, a span, a large block and a moveable handle's data; a heap in tail-checking mode
 * with a few blocks; and a fixed heap of 1 MiB (so of page-sized slots) with blocks of a few
 * classes and a span. Every live allocation is recorded with its requested size.
 */
#ifndef KH_BUILD_H
#define KH_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/handle_table.h"
#include "core/heap.h"
#include "core/heap_snapshot.h"
#include "host_pages.h"

#define KH_BUILD_MAX_BLOCKS 512

typedef struct kh_built_block {
    void *address;
    size_t size;
    size_t heap; /* index in heaps */
} kh_built_block;

typedef struct kh_built {
    km_host_pages pages;
    km_heap *heaps[3];
    size_t heap_count;
    km_handle_table table;
    kh_built_block live[KH_BUILD_MAX_BLOCKS];
    size_t live_count;
} kh_built;

/* Builds the heap set; false when the core refused something (which the tests report). */
bool kh_build_heaps(kh_built *built);

/* Allocates size bytes from heap index and records it (NULL on failure). */
void *kh_build_alloc(kh_built *built, size_t heap, size_t size);

/* Frees the recorded block at address. */
bool kh_build_free(kh_built *built, void *address);

/* A snapshot of every heap (and the handle table) into *snapshot; KM_OK or KM_NO_MEMORY. */
km_status kh_build_snapshot(kh_built *built, km_snapshot *snapshot);

/* Writes the snapshot to path; false on failure. */
bool kh_build_write(kh_built *built, const char *path);

void kh_build_release(kh_built *built);

#endif
