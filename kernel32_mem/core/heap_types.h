/*
 * The heap's data structures, shared by the files that implement it (heap.c opens with the essay
 * that explains them). Nothing outside core/heap*.c, segment.c, run.c and large.c includes this.
 */
#ifndef KM_CORE_HEAP_TYPES_H
#define KM_CORE_HEAP_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/heap.h"
#include "core/lock.h"
#include "core/pages.h"
#include "core/size_class.h"

#define KM_HEAP_MAGIC 0x4b4d4850u /* "KMHP" */

/* A growable heap's slots, and the largest a heap has. A fixed heap's are smaller when its
 * maximum is small (KM_FIXED_SLOTS_WANTED), down to a page. */
#define KM_SLOT_SHIFT 16
#define KM_SLOT_SIZE ((size_t)1 << KM_SLOT_SHIFT)
/* A fixed heap gets slots small enough for it to have this many, so that a heap of a few
 * megabytes holds blocks of every class at once: one slot per class in use is the least a
 * heap spends (heap.c). */
#define KM_FIXED_SLOTS_WANTED ((size_t)4096)

/* A run's or span's first block starts this far into its slot, so that the bytes before every
 * block are memory: code that takes one of our blocks for its own (the system's heap functions,
 * handed a pointer that crossed over) reads a header there, and must find a wrong header, not
 * a fault. */
#define KM_BLOCK_LEAD KM_BLOCK_ALIGNMENT

/* Where a large block's data starts in its own reservation (large.c). */
#define KM_LARGE_DATA_OFFSET ((size_t)0x40)

/* Blocks up to this size come from runs; larger ones are spans of slots. */
#define KM_RUN_BLOCK_MAX ((size_t)64 * 1024)
/* Map words a run record has in a heap of 64 KiB slots; one of smaller slots has fewer
 * (km_heap.run_map_words): a run never holds more blocks than its first slot holds of the
 * smallest class. */
#define KM_RUN_MAP_WORDS 64

/* A growable heap serves requests above this from a reservation of their own. */
#define KM_LARGE_THRESHOLD ((size_t)512 * 1024)

#define KM_MAX_SEGMENTS 128
#define KM_SEGMENT_FIRST_SLOTS 16 /* a growable heap's first reservation: 1 MiB */
#define KM_SEGMENT_MAX_SLOTS 1024 /* growth doubles each reservation up to 64 MiB */
/* What a fixed heap holds at least, whatever its maximum. */
#define KM_FIXED_LEAST_BYTES ((size_t)64 << 10)
/* A fixed heap's first reservation: 1 GiB at most; the next ones double, up to its maximum. */
#define KM_FIXED_FIRST_SEGMENT_BYTES ((size_t)1 << 30)

/* Free slots kept committed for reuse (segment.c): at least this many, and up to a 32nd of
 * the heap's committed memory; up to twice that while they are young, retained fewer than
 * KM_RETAINED_PURGE_AGE slots ago. */
#define KM_RETAINED_FREE_SLOTS 16
#define KM_RETAINED_FREE_FRACTION 32
#define KM_RETAINED_PURGE_AGE 256

typedef enum km_slot_kind {
    KM_SLOT_FREE = 0, /* what a fresh descriptor reads as */
    KM_SLOT_RUN,      /* first slot of a run of one size class */
    KM_SLOT_SPAN,     /* first slot of one block spanning whole slots */
    KM_SLOT_TAIL,     /* a later slot of a run or span; span says how far back its head is */
} km_slot_kind;

typedef struct km_slot {
    uint8_t kind;
    uint8_t committed_pages; /* a prefix of the slot's pages is committed */
    uint16_t retained_at;    /* a retained slot: the heap's retain_clock when it was retained */
    uint32_t span;           /* heads: slots in the run or span; tails: distance to the head */
    union {
        /* Run heads: a copy of the run's block size, so a free finds its block from this dense
         * array and can fetch the run record's lines in parallel, and 2^32 / block_size
         * rounded up (see km_run_index). */
        struct {
            uint32_t block_size;
            uint32_t reciprocal;
        } run;
        /* Free slots with pages committed: their place in the segment's list of them, from the
         * most recently freed (0: none, as slot 0 always holds metadata). */
        struct {
            uint32_t older;
            uint32_t newer;
        } retained;
    };
} km_slot;

/* The lists a class keeps its runs with free blocks on, from the fullest to the emptiest. */
#define KM_RUN_BINS 4
/* Empty runs a class keeps rather than give back (run.c). */
#define KM_EMPTY_RUNS_KEPT 1

typedef struct km_segment km_segment;
typedef struct km_run_pool km_run_pool;

/* One word of a run's maps: 64 blocks' bits of each map, side by side, so that a free reads
 * both from one line (whether the block is busy, and whether the block before it fills its
 * class). */
typedef struct km_run_map_word {
    uint64_t free;  /* bit set: block free */
    uint64_t exact; /* bit set: a busy block whose request fills it */
} km_run_map_word;

/* A run of blocks of one size class, or (block_count 1, size_class KM_SPAN_CLASS) a span.
 *
 * Records are line aligned, and what a free reads comes first, in one line: the pool, where
 * the blocks are, how many there are and how many are counted free. The lists' links, the
 * remote frees and a span's size follow; then the maps. */
typedef struct km_run {
    /* The pool whose lists the run is on: the heap's, or a thread's (thread_cache.c), which
     * alone then changes the maps below; read by other threads without the lock. */
    _Alignas(64) _Atomic(km_run_pool *) pool;
    uintptr_t first_block; /* the first block's address: the run's first slot */
    uint32_t block_size;
    uint16_t block_count;
    uint16_t free_count;
    uint16_t size_class;
    uint16_t search_word; /* no free block in a word before this one */
    uint16_t bin;         /* while listed: the partial list it is on (run.c) */
    uint32_t head_slot;
    uint32_t committed_end; /* bytes from the run's first slot known to be committed */
    struct km_run *next;    /* the class's runs with a free block */
    struct km_run *prev;
    km_segment *segment;
    size_t span_requested; /* a span's requested size */
    /* A thread's run: blocks other threads freed (set in the free map already) that its owner
     * has not counted yet, and its place on the owner's list of such runs. */
    _Atomic uint32_t remote_count;
    _Atomic uint32_t remote_listed;
    _Atomic(struct km_run *) remote_next;
    /* As many as the heap's records have (km_heap.run_map_words); aligned so that no pair of
     * words straddles two lines. */
    _Alignas(32) km_run_map_word maps[];
} km_run;
_Static_assert(sizeof(km_run) % 64 == 0, "every run record starts a line");

/* The bytes of a run record with map_words words: a whole number of lines. */
static inline size_t km_run_record_size(size_t map_words)
{
    return (offsetof(km_run, maps) + map_words * sizeof(km_run_map_word) + 63) & ~(size_t)63;
}

/* Runs with a free block, by class and by how full they are (run.c), and the count of empty
 * ones among them. The heap has one, used under its lock; each thread cache has its own. */
struct km_run_pool {
    km_run *partial[KM_SIZE_CLASS_COUNT][KM_RUN_BINS];
    uint32_t partial_runs[KM_SIZE_CLASS_COUNT];
    uint8_t partial_bins[KM_SIZE_CLASS_COUNT]; /* bit b: partial[class][b] is not empty */
    uint16_t empty_runs[KM_SIZE_CLASS_COUNT];  /* listed runs with no busy block */
    /* Blocks' bytes of the empty runs beyond those each class keeps (a thread's pool, which
     * gives them back when trimmed: run.c). */
    size_t surplus;
};

/* The run a class's next allocation from the pool takes a block of: its fullest with a free
 * block, or NULL. */
static inline km_run *km_run_pool_fullest(const km_run_pool *pool, unsigned size_class)
{
    unsigned bins = pool->partial_bins[size_class];
    return bins ? pool->partial[size_class][__builtin_ctz(bins)] : NULL;
}

/* A thread's last frees of blocks of one class up to 1 KiB, from its own runs (run_owned.h): free
 * in their runs' maps, not yet counted in their free_count, and taken back first, last in first
 * out, by its next allocations of the class. */
#define KM_RECENT_FREES 8
#define KM_RECENT_CLASSES (KM_LINEAR_CLASS_COUNT + 3 * KM_CLASSES_PER_DOUBLING)
_Static_assert(KM_LINEAR_CLASS_LIMIT << 3 == 1024, "recent frees are kept for blocks to 1 KiB");

typedef struct km_recent_frees {
    uint32_t count;
    struct {
        km_run *run;
        size_t index;
    } blocks[KM_RECENT_FREES];
} km_recent_frees;

/* A thread's part of a heap (thread_cache.c): the runs it allocates from and frees to without
 * the heap's lock. */
typedef struct km_thread_cache {
    _Atomic uintptr_t thread; /* km_thread_id of its thread; 0: unused */
    _Atomic unsigned active;  /* the thread is in a call's fast path */
    bool trim;                /* the pool's surplus (km_run_pool) is worth a stop to give back */
    _Atomic(km_run *) remote_runs; /* its runs with blocks other threads freed */
    km_run_pool pool;
    km_recent_frees recent[KM_RECENT_CLASSES];
} km_thread_cache;

/* A run commits its slots as its blocks are handed out, at first this much ahead (run.c). */
#define KM_RUN_COMMIT_STEP ((size_t)16 << 10)

#define KM_SPAN_CLASS 0xffffu

struct km_segment {
    /* What a lookup reads comes first, in one line. */
    km_heap *heap;
    uintptr_t base;
    km_slot *slots;      /* indexed by slot, from meta_slots */
    uintptr_t runs;      /* where slot 0's run record would be: records are indexed by slot */
    uint32_t run_stride; /* bytes of a run record (km_run_record_size) */
    uint8_t slot_shift;  /* the heap's */
    uint32_t meta_slots; /* slots [0, meta_slots) hold metadata and have no descriptor */
    uint32_t described;  /* slots [meta_slots, described) have committed descriptors */
    size_t size;
    uint32_t slot_count;
    uint32_t free_hint;       /* no free slot below this index */
    uint32_t newest_retained; /* free slots with committed pages, most recently freed first */
    uint32_t oldest_retained;
    size_t meta_committed; /* bytes of metadata committed: head_committed + runs_committed */
    size_t head_committed; /* bytes from base: heap, segment and descriptors */
    uintptr_t runs_base;   /* where the run records start (page aligned) */
    size_t runs_committed; /* bytes from runs_base */
};

/* Freed blocks of runs kept out of reuse, oldest first (quarantine.c). */
typedef struct km_quarantine {
    size_t limit;      /* bytes of blocks it may hold; 0: no quarantine */
    size_t bytes;      /* bytes of the blocks it holds */
    uintptr_t *blocks; /* a ring, in a reservation of its own */
    size_t capacity;   /* entries of the ring */
    size_t oldest;     /* the ring's first entry */
    size_t count;
} km_quarantine;

typedef struct km_large_block {
    uintptr_t base;
    size_t reserved;
    size_t committed;
    size_t requested;
    size_t data_offset; /* KM_LARGE_DATA_OFFSET, or a page-heap block's (large.c) */
    bool guarded;       /* a page-heap block, ending against an inaccessible page */
} km_large_block;

/* Large blocks, sorted by base, in a reservation of the table's own. */
typedef struct km_large_table {
    km_large_block *blocks;
    size_t count;
    size_t capacity;
    size_t reserved; /* bytes of the table's reservation */
} km_large_table;

struct km_heap {
    uint32_t magic;
    unsigned flags;
    km_lock lock;
    km_pages *pages;
    uint64_t secret;
    size_t maximum;          /* 0: growable */
    size_t fixed_slots_left; /* a fixed heap: data slots it may still reserve */
    unsigned compatibility_mode;
    size_t next_segment_slots;
    size_t retained_free_slots;
    /* Slots retained so far, modulo 2^16: the retained slots' age (one retained 65,536 slots
     * ago looks young again, and is purged KM_RETAINED_PURGE_AGE slots later). */
    uint16_t retain_clock;
    /* Bytes requested by busy spans and large blocks. A run block's request is in its code
     * alone, so that freeing one reads nothing of it (km_heap_allocated_locked adds them up). */
    size_t outsized_bytes;
    size_t committed_bytes;
    size_t reserved_bytes;
    size_t segment_count;
    km_segment *segments[KM_MAX_SEGMENTS]; /* sorted by base */
    km_large_table large;
    km_quarantine quarantine;
    unsigned debug;   /* KM_HEAP_DEBUG_* */
    km_run_pool pool; /* the runs no thread cache holds */
    /* Thread caches (thread_cache.c): none until the heap is busy enough to pay for them. */
    _Atomic(km_thread_cache *) caches;
    _Atomic unsigned stopped; /* fast paths are stopped: the lock's holder sees every run */
    unsigned stop_depth;      /* the lock holder's stops, nested */
    size_t locked_allocations;
    size_t cacheless_calls;
    /* Slots are 2^slot_shift bytes: KM_SLOT_SHIFT, or less for a small fixed heap. */
    uint8_t slot_shift;
    uint16_t run_map_words;                 /* words of each run record's maps */
    uint8_t run_slots[KM_SIZE_CLASS_COUNT]; /* a class's runs' slots (run.c) */
};

/* The slots of the heap's that bytes take, rounded up. */
static inline size_t km_heap_slots_for(const km_heap *heap, size_t bytes)
{
    return (bytes + ((size_t)1 << heap->slot_shift) - 1) >> heap->slot_shift;
}

static inline size_t km_slot_size(const km_segment *segment)
{
    return (size_t)1 << segment->slot_shift;
}

static inline uintptr_t km_slot_address(const km_segment *segment, size_t slot)
{
    return segment->base + (slot << segment->slot_shift);
}

/* The slot address lies in, address being in the segment. */
static inline size_t km_slot_of(const km_segment *segment, uintptr_t address)
{
    return (address - segment->base) >> segment->slot_shift;
}

static inline km_thread_cache *km_thread_cache_of_pool(km_run_pool *pool)
{
    return (km_thread_cache *)(void *)((char *)pool - offsetof(km_thread_cache, pool));
}

/* Takes the heap's lock unless the heap or the call says KM_HEAP_NO_SERIALIZE; the result goes
 * to km_heap_leave. */
static inline bool km_heap_enter(km_heap *heap, unsigned flags)
{
    if ((flags | heap->flags) & KM_HEAP_NO_SERIALIZE)
        return false;
    km_lock_acquire(&heap->lock);
    return true;
}

/* The same, with every thread's fast path stopped (thread_cache.h): for the calls that need
 * every run as it is. Pair with km_heap_leave_stopped. */
bool km_heap_enter_stopped(km_heap *heap, unsigned flags);
void km_heap_leave_stopped(km_heap *heap, bool locked);

static inline void km_heap_leave(km_heap *heap, bool locked)
{
    if (locked)
        km_lock_release(&heap->lock);
}

/* Where a pointer proved to be, once km_heap_find_block_locked accepted it. */
typedef struct km_block_ref {
    km_segment *segment; /* NULL for a large block */
    km_run *run;
    size_t index; /* within the run */
    size_t large_index;
    uintptr_t block;
    size_t requested; /* 0 for a run block found by a free, which reads nothing of the block */
    size_t capacity;  /* bytes the block can hold without moving */
} km_block_ref;

/* heap.c */
km_status km_heap_find_block_locked(km_heap *heap, uintptr_t data, km_block_ref *ref);
km_segment *km_heap_segment_of_locked(km_heap *heap, uintptr_t address);

/* segment.c */
/* The slots and run records of a heap's segments. */
typedef struct km_segment_shape {
    size_t page_size;
    unsigned slot_shift;
    size_t run_map_words;
} km_segment_shape;
/* The shape of a heap's segments: a growable heap's slots are KM_SLOT_SIZE; a fixed heap's are
 * smaller when its maximum (in bytes) would make fewer than KM_FIXED_SLOTS_WANTED. */
km_segment_shape km_segment_shape_for(size_t maximum, size_t page_size);
static inline km_segment_shape km_heap_segment_shape(const km_heap *heap)
{
    return (km_segment_shape){heap->pages->page_size, heap->slot_shift, heap->run_map_words};
}
/* Makes the segment's records in a reservation; committed_head is what the caller committed from
 * its base already (km_heap_create, for the heap record), 0 to let this commit what it needs. */
km_status km_segment_create(km_heap *heap, void *reservation, size_t data_slots, bool first,
                            size_t committed_head, km_segment **segment);
size_t km_segment_reservation_size(km_segment_shape shape, size_t data_slots, bool first);
/* Names the segment the owner of its reservation in the page provider's owner map, if there is
 * one (pages.h), or forgets it again, before the reservation is released. */
km_status km_segment_name_owner(km_segment *segment);
void km_segment_forget_owner(km_segment *segment);
/* What a new segment commits from its base to describe its first initial_slots data slots. */
size_t km_segment_initial_commit(km_segment_shape shape, size_t data_slots, bool first,
                                 size_t initial_slots);
/* True when slot is a data slot with a descriptor: one a block may lie in. */
static inline bool km_segment_describes(const km_segment *segment, size_t slot)
{
    /* Read whole: a thread cache's fast path reads it while the lock's holder grows it. */
    return slot >= segment->meta_slots &&
           slot < __atomic_load_n(&segment->described, __ATOMIC_RELAXED);
}
km_status km_segment_take_slots_locked(km_heap *heap, size_t count, size_t committed_bytes,
                                       km_slot_kind kind, km_segment **segment, size_t *slot);
void km_segment_give_slots_locked(km_segment *segment, size_t slot);
/* Releases the heap's segments that hold no block (fast paths stopped: thread_cache.c). */
void km_segment_release_empty_locked(km_heap *heap);
km_status km_segment_commit_slots_locked(km_segment *segment, size_t slot, size_t count,
                                         size_t committed_bytes);
bool km_segment_extend_span_locked(km_segment *segment, size_t slot, size_t new_count,
                                   size_t committed_bytes);
void km_segment_shrink_span_locked(km_segment *segment, size_t slot, size_t new_count);
size_t km_segment_decommit_free_locked(km_segment *segment);
/* Lists the free slots that have pages committed (the heap's initial commitment) for reuse. */
void km_segment_retain_committed(km_segment *segment);
/* A slot's run record (heads' records only are used). */
static inline km_run *km_segment_run_record(const km_segment *segment, size_t slot)
{
    return (km_run *)(segment->runs + slot * segment->run_stride);
}
km_status km_heap_commit_locked(km_heap *heap, uintptr_t address, size_t size);
/* Slots from the heap's segments (km_segment_take_slots_locked); a fixed heap short of them
 * gives back the empty runs its classes keep, and tries again: its maximum is what the program
 * asked to be able to use. */
km_status km_heap_take_slots_locked(km_heap *heap, size_t count, size_t committed_bytes,
                                    km_slot_kind kind, km_segment **segment, size_t *slot);
/* A reservation of size bytes whose first `committed` are committed, counted in the heap's
 * totals; NULL when either step fails (nothing is left reserved). */
void *km_heap_reserve_locked(km_heap *heap, size_t size, size_t committed);
void km_heap_release_locked(km_heap *heap, uintptr_t base, size_t size, size_t committed);
void km_heap_decommit_locked(km_heap *heap, uintptr_t address, size_t size);

/* run.c */
void km_heap_init_run_geometry(km_heap *heap);
/* The blocks of a class a run of this many slots holds. */
size_t km_run_blocks_in(const km_heap *heap, unsigned size_class, size_t slots);
/* The fewest slots that hold a block of the class: a fixed heap's run when it is short of slots
 * for the class's usual run (heap->run_slots). */
size_t km_run_least_slots(const km_heap *heap, unsigned size_class);
/* A block from the pool's runs (taking over a run of the heap's, or making one, when it has
 * none with room); pool is the heap's, or the calling thread's cache's. */
void *km_run_alloc_locked(km_heap *heap, km_run_pool *pool, unsigned size_class, size_t size,
                          km_status *status);
/* Frees a block of a run of the heap's pool, or of the calling thread's; false when the block
 * was free already (another thread's free of it won a race with this one). */
bool km_run_free_locked(km_heap *heap, const km_block_ref *ref);
/* The fast path's allocation and free, in a thread's own runs: core/run_owned.h. */
/* A block of another thread's run, freed by a thread in its own fast path or under the lock:
 * set free in the run's map and counted for its owner to take back; KM_FREED when the block was
 * free already (a second free racing with the first). The run stays the owner's meanwhile: a
 * thread's runs leave it only with the fast paths stopped. */
km_status km_run_free_remote(const km_block_ref *ref);
/* Counts the blocks of the cache's runs that other threads freed: by the cache's thread, or by
 * the lock holder while fast paths are stopped. */
void km_run_collect_remote(km_heap *heap, km_thread_cache *cache);
/* Counts the cache's recent frees in (run.c), and forgets them: by the cache's thread, or by
 * the lock holder while fast paths are stopped. */
void km_run_count_recent_frees(km_heap *heap, km_thread_cache *cache);
/* Gives back the pool's empty runs beyond what it keeps. */
void km_run_trim_locked(km_run_pool *pool);
/* Hands every run of a thread's pool to the heap's (fast paths stopped). */
void km_run_pool_return_locked(km_heap *heap, km_run_pool *pool);
/* The index of the block `offset` bytes into a run of blocks of block_size with the given
 * reciprocal (exact for offsets that are whole blocks; any other offset is no block). */
static inline size_t km_run_index(size_t offset, uint32_t reciprocal)
{
    return (size_t)(((uint64_t)offset * reciprocal) >> 32);
}
/* The free map is the one truth, for every thread: a thread cache's fast path writes a block's
 * size code before it clears the block's bit (a release), so a lookup that finds the bit clear
 * (an acquire) reads a whole code. */
static inline bool km_run_is_block_free(const km_run *run, size_t index)
{
    return (__atomic_load_n(&run->maps[index / 64].free, __ATOMIC_ACQUIRE) >> (index % 64)) & 1;
}
/* The free blocks allocation may take: the map's, less the blocks in quarantine. */
size_t km_run_count_free(const km_heap *heap, const km_run *run);
/* Free checking: every free block of the run still holds the free fill (true without it). */
bool km_run_free_fills_are_intact_locked(const km_heap *heap, const km_run *run);
/* Free checking: the free block at index still holds the free fill. */
bool km_run_free_block_is_intact_locked(const km_run *run, size_t index);
/* Quarantine (quarantine.c): a freed block held out of reuse, and let go again. */
void km_run_hold_locked(km_heap *heap, km_run *run, size_t index);
void km_run_release_held_locked(km_heap *heap, km_run *run, size_t index);
/* Returns every run with no busy block to its segment (churn keeps one per class). */
void km_run_release_empty_locked(km_heap *heap);

/* span.c */
/* reach: bytes past the request to commit too, for the block's fence (block_fence.h). */
void *km_span_alloc_locked(km_heap *heap, size_t size, size_t reach, km_status *status);
void km_span_free_locked(km_heap *heap, const km_block_ref *ref);
bool km_span_resize_locked(km_heap *heap, const km_block_ref *ref, size_t size, size_t reach);

/* heap_check.c: the whole heap's consistency (HeapValidate without a block). */
bool km_heap_is_consistent_locked(const km_heap *heap);
/* Bytes requested by every busy block: a run block's read from its code (fast paths stopped). */
size_t km_heap_allocated_locked(const km_heap *heap);
/* No run holds a busy block (fast paths stopped, every thread's remote frees counted in). */
bool km_heap_runs_are_empty_locked(const km_heap *heap);

/* quarantine.c */
/* Starts a quarantine of `bytes` unless one was started. */
void km_quarantine_start_locked(km_heap *heap, size_t bytes);
/* Holds a run block being freed: KM_OK; KM_NO_MEMORY, nothing done, when the ring cannot grow;
 * KM_CORRUPTED, the block held, when free checking found a block leaving the ring damaged. */
km_status km_quarantine_hold_locked(km_heap *heap, const km_block_ref *ref);
void km_quarantine_release_ring(km_heap *heap);

/* large.c */
/* reach: bytes past the request to commit too, for the block's fence (block_fence.h). */
void *km_large_alloc_locked(km_heap *heap, size_t size, size_t reach, size_t reserve_at_least,
                            km_status *status);
void km_large_free_locked(km_heap *heap, size_t index);
bool km_large_find_locked(const km_large_table *table, uintptr_t data, size_t *index);
bool km_large_resize_locked(km_heap *heap, size_t index, size_t size, size_t reach);
void km_large_release_all(km_heap *heap);
uintptr_t km_large_data(const km_large_block *block);
/* The page heap's block: its data ends where its committed pages do, before a page left
 * inaccessible, so an overflow faults on the very write. */
void *km_large_alloc_guarded_locked(km_heap *heap, size_t size, km_status *status);

#endif
