/*
 * Replaying a trace into the heap core, natively: the engine behind km-heap replay.
 *
 * Heaps are made with km_heap_create over one host page provider; every traced heap handle and
 * block address maps to what the replay made of it (kh_addr_map.h). HEAP_* flags become
 * KM_HEAP_* as the DLL's api layer makes them. Each call is replayed whether it succeeded in the
 * trace or not, with what the api layer does before calling the core (a NULL block frees
 * nothing and succeeds; a NULL reallocation fails; the process heap is not destroyed), and its
 * outcome, success or failure, is compared with the trace's.
 */
#ifndef KH_REPLAY_H
#define KH_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/heap.h"
#include "host_pages.h"
#include "kh_addr_map.h"
#include "kh_trace.h"

typedef struct kh_replay_heap {
    uint64_t traced;    /* its handle in the trace */
    km_heap *heap;      /* NULL once destroyed (or never made) */
    bool process;       /* made for a handle the trace never created: the process heap */
    kh_addr_map blocks; /* traced block -> replayed block */
} kh_replay_heap;

typedef struct kh_replay {
    km_host_pages pages;
    km_heap_platform platform;
    kh_replay_heap *heaps;
    size_t heap_count, heap_capacity;
    kh_addr_map handles; /* traced handle -> index in heaps + 1 */
    bool have_process_heap;
    size_t calls;
    size_t mismatches;
    size_t double_frees, used_after_free, corrupted, invalid, no_memory, bad_handles;
    size_t printed; /* report lines printed, capped */
} kh_replay;

void kh_replay_init(kh_replay *replay);

/* Replays one call; false only when the replay itself ran out of memory. */
bool kh_replay_call(kh_replay *replay, const kh_call *call);

/* Heaps alive, and the busy blocks in them (by the core's own walk). */
size_t kh_replay_live_heaps(const kh_replay *replay);
size_t kh_replay_live_blocks(const kh_replay *replay);

/* Destroys every heap; the provider must then hold nothing. */
void kh_replay_release(kh_replay *replay);

#endif
