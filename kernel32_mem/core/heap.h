/*
 * The heap manager's interface: what the api layer calls behind every Heap* export.
 *
 * The core speaks in its own terms: KM_HEAP_* flags (the api layer translates HEAP_* to them),
 * km_status results, and a walk entry that the api layer copies into PROCESS_HEAP_ENTRY. A heap
 * handle is the address of its km_heap, which is also the base of the heap's first reservation.
 *
 * Every function taking a km_heap * expects a live heap; the api layer checks handles against
 * the registry (heap_registry.h) before it calls in. Pointers to blocks, by contrast, may be
 * anything: the core finds out whether a pointer is a busy block of this heap from its own
 * tables before it reads a byte at that address.
 */
#ifndef KM_CORE_HEAP_H
#define KM_CORE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/lock.h"
#include "core/pages.h"

typedef struct km_heap km_heap;

enum {
    KM_HEAP_NO_SERIALIZE = 1u << 0,  /* the caller serializes; skip the lock */
    KM_HEAP_ZERO = 1u << 1,          /* new bytes read as zero */
    KM_HEAP_IN_PLACE_ONLY = 1u << 2, /* a reallocation must not move the block */
    KM_HEAP_EXECUTABLE = 1u << 3,    /* commit pages executable (a heap-level flag) */
    KM_HEAP_RAISE = 1u << 4,         /* kept for the caller, which raises on failure */
};

/* Requests above this many bytes cannot be served by a fixed-size heap: "slightly less than
 * 512 KB" for 32-bit processes (0x7FFF8, as HeapAlloc's documentation says) and slightly less
 * than 1 MB for 64-bit ones (0xFEFD8, the largest Wine grants there). */
#define KM_HEAP_FIXED_BLOCK_LIMIT (sizeof(void *) == 8 ? (size_t)0xFEFD8 : (size_t)0x7FFF8)

typedef struct km_heap_platform {
    km_pages *pages;
    const km_threads *threads;
    uint64_t seed; /* any varying value; mixed into the key that seals block headers */
} km_heap_platform;

/* Creates a heap with initial bytes committed, growable when maximum is 0, otherwise limited
 * to maximum bytes of blocks; flags are the heap-level KM_HEAP_* flags that every call adds. */
km_status km_heap_create(const km_heap_platform *platform, size_t initial, size_t maximum,
                         unsigned flags, km_heap **heap);

/* Returns every byte the heap reserved to the page provider. */
void km_heap_destroy(km_heap *heap);

/* The heap-level flags given to km_heap_create. */
unsigned km_heap_flags(const km_heap *heap);

/* Keeps blocks freed from runs out of reuse, first in first out, until blocks worth `bytes`
 * wait behind them (core/quarantine.c): a write after free then lands in a block no one holds.
 * A quarantine once started stays (a later call changes nothing); 0, the default, keeps none. */
void km_heap_set_quarantine(km_heap *heap, size_t bytes);

/* Debug modes, after Windows' gflags heap modes. */
enum {
    /* Every block of a run gets KM_HEAP_TAIL_BYTES of fill (0xAB, Windows' tail pattern) after
     * its request, checked by its free, size and validation: an overflow of even a block whose
     * request would fill its class exactly is found. */
    KM_HEAP_DEBUG_TAIL = 1u << 0,
    /* Every call validates the whole heap first and reports it corrupted if it is not. */
    KM_HEAP_DEBUG_VALIDATE_ALL = 1u << 1,
    /* The page heap: every block has pages of its own and ends where they do, before a page
     * left inaccessible, so an overflow faults on the very write (and a freed block's pages go
     * back at once, so a use after free faults too). Costly: a reservation per block. */
    KM_HEAP_DEBUG_PAGE = 1u << 2,
    /* Free checking: a run's free blocks hold a fill (0xFEEEFEEE, Windows' free pattern), which
     * allocation checks before it hands a block out: a write after free is reported corrupted
     * by the allocation that would have reused the block. */
    KM_HEAP_DEBUG_FREE = 1u << 3,
};
#define KM_HEAP_TAIL_BYTES 16

/* Turns debug modes on; false, changing nothing, once the heap has handed out a block (blocks
 * made before would fail the checks). */
bool km_heap_set_debug(km_heap *heap, unsigned modes);

void *km_heap_alloc(km_heap *heap, unsigned flags, size_t size, km_status *status);
/* KM_CORRUPTED when the block, or damage the free came upon, is corrupt: with free checking, a
 * block leaving the quarantine damaged (the block asked for is freed all the same). */
km_status km_heap_free(km_heap *heap, unsigned flags, void *block);

/* Resizes block, in place when it can (always with KM_HEAP_IN_PLACE_ONLY); the result is the
 * block's address, new or not. With KM_HEAP_ZERO the bytes past the old size read as zero.
 * A block moved may come with *status KM_CORRUPTED: freeing the old one found damage, as
 * km_heap_free can. */
void *km_heap_realloc(km_heap *heap, unsigned flags, void *block, size_t size, km_status *status);

/* The size block was requested with, or a status when block is not a busy block of heap:
 * KM_FREED for a block the heap gave out and got back (a free of it would be a double free),
 * KM_CORRUPTED when what the heap keeps in or beside the block was overwritten, otherwise
 * KM_INVALID_POINTER. Every call that takes a block answers the same way. */
km_status km_heap_size(km_heap *heap, unsigned flags, const void *block, size_t *size);

/* With a block: whether it is a busy, intact block of heap. Without: whether the whole heap's
 * structure and every busy block's header are intact. */
bool km_heap_validate(km_heap *heap, unsigned flags, const void *block);

/* Returns free slots' memory to the system; the result is the largest free block still
 * committed. */
size_t km_heap_compact(km_heap *heap, unsigned flags);

/* Compacts the heap only if that takes nothing from under another thread: not a heap whose
 * owner serializes it (KM_HEAP_NO_SERIALIZE), and not while another thread holds its lock.
 * Never waits, so it may be called while holding another lock. True when it compacted. */
bool km_heap_compact_if_idle(km_heap *heap);

/* Gives the heap thread caches now (core/thread_cache.c), if it may have them, rather than once
 * it is busy: for tests and the fuzzer, which want the fast paths from the first call. */
void km_heap_use_thread_caches(km_heap *heap);

/* Hands the calling thread's cache (its runs and their free blocks) back to the heap, for a
 * thread that ends. Never waits for the lock: false, doing nothing, when another thread holds
 * it (the cache then stays until its entry is taken back: thread_cache.c). */
bool km_heap_release_thread_cache(km_heap *heap);

/* HeapLock: the heap's lock, with every other thread's allocation and free held until
 * km_heap_unlock (their lock-free fast paths included). */
void km_heap_lock(km_heap *heap);
/* km_heap_lock if the lock is free or already the caller's; false, never waiting, otherwise. */
bool km_heap_try_lock(km_heap *heap);
/* Releases one km_heap_lock; false, changing nothing, when the calling thread does not hold it. */
bool km_heap_unlock(km_heap *heap);

/* The heap's lock alone, for what it guards beside the heap (the process heap's lock guards the
 * Global/Local handle table): threads allocating on their own runs go on meanwhile. Recursive
 * with km_heap_lock; released by km_heap_unlock_others_go_on. */
void km_heap_lock_others_go_on(km_heap *heap);
void km_heap_unlock_others_go_on(km_heap *heap);

typedef struct km_heap_summary {
    size_t allocated; /* bytes requested by busy blocks */
    size_t committed;
    size_t reserved;
    size_t max_reserve; /* what the heap may reserve in all: its maximum, or what it has now */
} km_heap_summary;

void km_heap_summarize(km_heap *heap, unsigned flags, km_heap_summary *summary);

/* What the heap was asked to be: 0 for the standard heap, 2 after the low-fragmentation mode
 * was requested. Our heap is always segregated by size; the mode is recorded for reporting. */
unsigned km_heap_compatibility_mode(const km_heap *heap);
void km_heap_set_compatibility_mode(km_heap *heap, unsigned mode);

typedef enum km_walk_kind {
    KM_WALK_REGION,      /* a reservation of the heap */
    KM_WALK_BUSY,        /* a busy block */
    KM_WALK_FREE,        /* a committed free block, or a run of committed free slots */
    KM_WALK_UNCOMMITTED, /* reserved pages with nothing committed */
} km_walk_kind;

typedef struct km_walk_entry {
    void *data;
    size_t size;
    size_t overhead;
    unsigned region_index;
    km_walk_kind kind;
    /* For KM_WALK_REGION only. */
    size_t committed;
    size_t uncommitted;
    void *first_block;
    void *last_block;
} km_walk_entry;

/* A large block lies outside every region. Windows numbers its entry's region 64, one past the
 * 64 segments an NT heap can have, and counts no overhead for it: the walk does the same. */
#define KM_WALK_LARGE_REGION_INDEX 64

/* Fills *entry with the entry after the one it holds (after none when entry->data is NULL). */
km_status km_heap_walk(km_heap *heap, km_walk_entry *entry);

#endif
