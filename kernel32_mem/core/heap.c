/*
 * The heap manager.
 *
 * STRUCTURE. A heap is a list of segments (reservations of address space) plus a table of large
 * blocks. A growable heap adds segments as it needs them, each twice the last up to 64 MiB; a
 * fixed heap too, from 1 GiB doubling, until its segments hold its maximum. The heap's own
 * record, struct km_heap, sits at the base of its first segment, so the heap handle is that
 * address, as on Windows. Every segment is cut into 64 KiB slots; its first slots hold metadata:
 * the segment record, one descriptor and one run record per data slot, committed as the heap
 * uses them (segment.c). The other slots are free or hold blocks:
 *
 *   run    1-8 slots of blocks of one size class (up to 64 KiB). The run record's bitmap says
 *          which blocks are free. Size classes are 16 bytes apart up to 128 bytes, then eight
 *          per doubling, so a block is at most an eighth bigger than its request (run.c).
 *          A class in use takes a slot at least, so a fixed heap whose maximum would make
 *          fewer than 4,096 slots has smaller ones, down to a page (a heap of 16 MiB or less),
 *          with run records as small as its slots need; its runs take at most a 64th of its
 *          maximum, and fewer slots still, as many as one block needs, when it is short of
 *          them. Its maximum is then most of what it holds, as on Windows.
 *   span   one block that takes whole slots, committed only as far as its data reaches.
 *   large  in a growable heap, a block above 512 KiB has a reservation of its own, listed in the
 *          heap's large-block table and released the moment it is freed (large.c).
 *
 * Blocks carry no header. Everything structural (which blocks are free, where runs start, how
 * big their blocks are) lives in the segment's metadata slots, out of reach of a block that
 * overflows. The one thing kept inside a run's block is the size it was requested with, coded
 * in the slack at the block's end, proved by a guard byte before it and sealed by a byte right
 * after the request (slack_code.h); so a request of 64 bytes takes a block of 64. An overflow of
 * even one byte past the request is found by validation (and by every call in the debug modes);
 * one that reaches the next block, by the free of that block too (by its own thread, or under
 * the lock), as on Windows.
 *
 * INVARIANTS.
 * - A pointer is a busy block of the heap exactly when: it lies in one of the heap's segments,
 *   in a slot that heads (or is a tail of) a run or span, at a whole number of blocks from the
 *   run's first block, and its bit in the run's map is clear; or it is the data address of an
 *   entry of the large table. All of this is decided from the heap's own tables, so a foreign
 *   pointer is refused without being read; only then is the block's size code read (and found
 *   intact, or the block reported corrupted). A block of a run whose bit is set is KM_FREED:
 *   a second free of it is a double free.
 * - A run is listed in its class's bin for how full it is exactly when it has a counted free
 *   block; an empty run goes back to its segment unless it is the class's one kept empty run
 *   (in a thread's pool, when the pool is next trimmed, with the fast paths stopped). Blocks
 *   other threads freed, and a thread's recent frees (run_owned.h), are free in the map but counted
 *   only later; a stop of the fast paths counts them all in.
 * - heap->outsized_bytes is the sum of the requested sizes of busy spans and large blocks; a
 *   run block's requested size is in its code alone, and HeapSummary adds them up from there
 *   (so a free of a run block needs nothing of the block itself). committed_bytes and
 *   reserved_bytes count every page the heap holds, metadata included.
 *
 * COST. Allocation by a thread that freed a block of the class lately: a class lookup (a few
 * shifts), that block taken back, a size code written. Otherwise, from a run with a free block:
 * the fullest run from a byte of bins, a scan for a set bit that starts where the last one was
 * found, a size code written. Freeing: the segment from the page provider's owner map (two loads),
 * the slot, a multiplication for the index, a bit test, and the guard of the block before read: one
 * line of the program's memory, the one just before the block, and nothing of the block itself. No
 * system call happens unless a run or span needs fresh slots (retained slots come first), or a
 * large block is made or freed. Once a heap is busy, each thread allocates from runs of its own and
 * frees their blocks without taking the heap's lock (thread_cache.c); everything else takes the
 * lock once, unless the heap or the call says HEAP_NO_SERIALIZE.
 *
 * LOCKS. Each heap has one lock (core/lock.h): recursive, so that HeapLock's holder still
 * allocates, and one a waiter sleeps on. A thread cache's fast path takes no lock and waits for
 * nothing; HeapLock and the calls that need every run as it is (walk, whole-heap validation,
 * summary, compaction, snapshots, a realloc of another thread's block) also stop the fast paths,
 * holding the lock, until they let it go. The process heap's lock also guards the Global/Local
 * handle table (core/handle_table.h), as on Windows, so a HeapLock holder may call GlobalLock.
 * There is one order: a heap's lock, then the registry's (HeapCreate and HeapDestroy under a
 * HeapLock). Nothing waits for a heap's lock while holding the registry's: HeapOptimizeResources
 * visits every heap under it, so it only tries each heap's lock and passes over a busy heap, as
 * it passes over a HEAP_NO_SERIALIZE heap whose memory is its owner's to manage.
 *
 * DEBUG MODES (heap.h's KM_HEAP_DEBUG_*, Windows' gflags heap modes) and the quarantine
 * (quarantine.c) change what a block costs, never the structure above: tail checking gives every
 * run block slack to fill and every span and large block a fence (block_fence.h), free checking
 * fills free blocks, the page heap makes every block a large one ending at an inaccessible page,
 * its alignment slack fenced. Off, each costs a predictable branch.
 *
 * HEAPWALK (heap_walk.c) shows what a program could touch: one region entry per segment, then in
 * address order each run's busy blocks and its free blocks merged as far as its pages are
 * committed, each span, committed free slots (one free entry per stretch) and uncommitted memory
 * (one uncommitted-range entry per stretch); large blocks come last.
 */
#include "core/heap.h"

#include "core/align.h"
#include "core/block_fence.h"
#include "core/block_lookup.h"
#include "core/heap_types.h"
#include "core/run_owned.h"
#include "core/slack_code.h"
#include "core/thread_cache.h"

#include <string.h>

/* Slots of 2^shift bytes a request of this many bytes needs, or 0 when the count would not fit
 * the metadata's 32-bit slot indexes (such a heap could never be reserved anyway). */
static size_t slots_for_bytes(size_t bytes, unsigned shift)
{
    size_t slot_size = (size_t)1 << shift;
    size_t slots = (bytes >> shift) + ((bytes & (slot_size - 1)) != 0);
    size_t limit =
        (SIZE_MAX / 4) / (slot_size + km_run_record_size(KM_RUN_MAP_WORDS) + sizeof(km_slot));
    if (limit > UINT32_MAX / 2)
        limit = UINT32_MAX / 2;
    return slots <= limit ? slots : 0;
}

/* The page provider's calls, counted in the heap's totals. */
km_status km_heap_commit_locked(km_heap *heap, uintptr_t address, size_t size)
{
    if (size == 0)
        return KM_OK;
    km_status status = heap->pages->commit(heap->pages, (void *)address, size,
                                           (heap->flags & KM_HEAP_EXECUTABLE) != 0);
    if (status == KM_OK)
        heap->committed_bytes += size;
    return status;
}

void *km_heap_reserve_locked(km_heap *heap, size_t size, size_t committed)
{
    km_pages *pages = heap->pages;
    bool executable = (heap->flags & KM_HEAP_EXECUTABLE) != 0;
    void *base;
    if (committed == size && pages->reserve_committed) {
        base = pages->reserve_committed(pages, size, executable);
        if (!base)
            return NULL;
        heap->committed_bytes += committed;
    } else {
        base = pages->reserve(pages, size);
        if (!base)
            return NULL;
        if (km_heap_commit_locked(heap, (uintptr_t)base, committed) != KM_OK) {
            pages->release(pages, base, size);
            return NULL;
        }
    }
    heap->reserved_bytes += size;
    return base;
}

void km_heap_release_locked(km_heap *heap, uintptr_t base, size_t size, size_t committed)
{
    heap->committed_bytes -= committed;
    heap->reserved_bytes -= size;
    heap->pages->release(heap->pages, (void *)base, size);
}

km_status km_heap_take_slots_locked(km_heap *heap, size_t count, size_t committed_bytes,
                                    km_slot_kind kind, km_segment **segment, size_t *slot)
{
    km_status status =
        km_segment_take_slots_locked(heap, count, committed_bytes, kind, segment, slot);
    if (status == KM_NO_MEMORY && heap->maximum) {
        km_run_release_empty_locked(heap);
        status = km_segment_take_slots_locked(heap, count, committed_bytes, kind, segment, slot);
    }
    return status;
}

void km_heap_decommit_locked(km_heap *heap, uintptr_t address, size_t size)
{
    if (size == 0)
        return;
    heap->pages->decommit(heap->pages, (void *)address, size);
    heap->committed_bytes -= size;
}

static uint64_t mix_secret(uint64_t seed, uintptr_t base)
{
    uint64_t x = seed ^ ((uint64_t)base * 0xff51afd7ed558ccdull);
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 29;
    return x;
}

km_status km_heap_create(const km_heap_platform *platform, size_t initial, size_t maximum,
                         unsigned flags, km_heap **out)
{
    km_pages *pages = platform->pages;
    if (maximum && maximum < initial)
        maximum = initial;
    /* As Wine's: a fixed heap holds 64 KiB at least, however small its maximum. */
    if (maximum && maximum < KM_FIXED_LEAST_BYTES)
        maximum = KM_FIXED_LEAST_BYTES;
    size_t wanted = maximum ? maximum : initial;
    km_segment_shape shape = km_segment_shape_for(maximum, pages->page_size);
    size_t data_slots = slots_for_bytes(wanted, shape.slot_shift);
    if (wanted && !data_slots)
        return KM_NO_MEMORY;
    if (!maximum && data_slots < KM_SEGMENT_FIRST_SLOTS)
        data_slots = KM_SEGMENT_FIRST_SLOTS;
    if (data_slots == 0)
        data_slots = 1;
    /* At least a page is committed up front, as Windows commits one for an initial size of 0:
     * a new heap's walk shows a free block before any allocation. */
    if (initial < pages->page_size)
        initial = pages->page_size;
    size_t initial_slots = slots_for_bytes(initial, shape.slot_shift);
    if (initial_slots > data_slots)
        initial_slots = data_slots;
    /* A fixed heap reserves its maximum a segment at a time, as Wine's does: reserving a
     * terabyte at once costs Wine a tenth of a second (it tracks every page reserved). */
    size_t fixed_slots = maximum ? data_slots : 0;
    size_t first_segment_slots = KM_FIXED_FIRST_SEGMENT_BYTES >> shape.slot_shift;
    if (maximum && data_slots > first_segment_slots)
        data_slots = initial_slots > first_segment_slots ? initial_slots : first_segment_slots;
    size_t reserved = km_segment_reservation_size(shape, data_slots, true);
    void *base = pages->reserve(pages, reserved);
    if (!base)
        return KM_NO_MEMORY;
    size_t header = km_segment_initial_commit(shape, data_slots, true, initial_slots);
    if (pages->commit(pages, base, header, false) != KM_OK) {
        pages->release(pages, base, reserved);
        return KM_NO_MEMORY;
    }

    km_heap *heap = base;
    heap->magic = KM_HEAP_MAGIC;
    heap->flags = flags & (KM_HEAP_NO_SERIALIZE | KM_HEAP_EXECUTABLE | KM_HEAP_RAISE);
    km_lock_init(&heap->lock, platform->threads);
    heap->pages = pages;
    heap->secret = mix_secret(platform->seed, (uintptr_t)base);
    heap->maximum = maximum;
    heap->fixed_slots_left = fixed_slots - (maximum ? data_slots : 0);
    heap->next_segment_slots = data_slots * 2;
    heap->reserved_bytes = reserved;
    heap->slot_shift = (uint8_t)shape.slot_shift;
    heap->run_map_words = (uint16_t)shape.run_map_words;
    km_heap_init_run_geometry(heap);

    km_segment *segment;
    km_segment_create(heap, base, data_slots, true, header, &segment);
    heap->segments[0] = segment;
    heap->segment_count = 1;
    if (km_segment_name_owner(segment) != KM_OK) {
        pages->release(pages, base, reserved);
        return KM_NO_MEMORY;
    }

    /* The initial commitment: free slots at the front, committed ahead of need. */
    if (km_segment_commit_slots_locked(segment, segment->meta_slots, initial_slots, initial) !=
        KM_OK) {
        km_heap_destroy(heap);
        return KM_NO_MEMORY;
    }
    km_segment_retain_committed(segment);
    *out = heap;
    return KM_OK;
}

void km_heap_destroy(km_heap *heap)
{
    km_pages *pages = heap->pages;
    km_large_release_all(heap);
    km_quarantine_release_ring(heap);
    km_thread_caches_release(heap);
    /* The first segment goes last: it holds the heap and its segment table. */
    km_segment *first = NULL;
    for (size_t i = 0; i < heap->segment_count; i++) {
        km_segment *segment = heap->segments[i];
        km_segment_forget_owner(segment);
        if (segment->base == (uintptr_t)heap)
            first = segment;
        else
            pages->release(pages, (void *)segment->base, segment->size);
    }
    size_t first_size = first->size;
    heap->magic = 0;
    pages->release(pages, heap, first_size);
}

unsigned km_heap_flags(const km_heap *heap)
{
    return heap->flags;
}

bool km_heap_set_debug(km_heap *heap, unsigned modes)
{
    bool locked = km_heap_enter_stopped(heap, 0);
    km_thread_caches_return_locked(heap);
    bool unused =
        km_heap_runs_are_empty_locked(heap) && heap->outsized_bytes == 0 && heap->large.count == 0;
    for (unsigned c = 0; unused && c < KM_SIZE_CLASS_COUNT; c++)
        unused = heap->pool.partial_runs[c] == 0;
    if (unused)
        heap->debug = modes;
    km_heap_leave_stopped(heap, locked);
    return unused;
}

/* KM_HEAP_DEBUG_VALIDATE_ALL: the whole heap, checked before a call touches it. */
static bool damaged_locked(const km_heap *heap)
{
    return __builtin_expect((heap->debug & KM_HEAP_DEBUG_VALIDATE_ALL) != 0, 0) &&
           !km_heap_is_consistent_locked(heap);
}

void km_heap_set_quarantine(km_heap *heap, size_t bytes)
{
    bool locked = km_heap_enter_stopped(heap, 0);
    /* A heap with a quarantine has no caches: its frees go through it. */
    km_thread_caches_return_locked(heap);
    km_quarantine_start_locked(heap, bytes);
    km_heap_leave_stopped(heap, locked);
}

km_segment *km_heap_segment_of_locked(km_heap *heap, uintptr_t address)
{
    return km_lookup_segment(heap, address);
}

km_status km_heap_find_block_locked(km_heap *heap, uintptr_t data, km_block_ref *ref)
{
    return km_lookup_block(heap, data, KM_READ_SEAL, ref);
}

static bool is_large_request(const km_heap *heap, size_t size)
{
    return !heap->maximum && size > KM_LARGE_THRESHOLD;
}

/* Fences the span or large block just made at data, in the modes that fence them. */
static void fence_new_block(km_heap *heap, void *data)
{
    if (!data || !km_has_fences(heap))
        return;
    km_block_ref ref = {0};
    km_segment *segment = km_lookup_segment(heap, (uintptr_t)data);
    if (segment) {
        ref.segment = segment;
        ref.run = km_segment_run_record(segment, km_slot_of(segment, (uintptr_t)data));
    } else {
        km_large_find_locked(&heap->large, (uintptr_t)data, &ref.large_index);
    }
    km_fence_write(km_fence_of_block(heap, &ref));
}

static bool is_page_heap_request(const km_heap *heap, size_t size)
{
    return __builtin_expect(heap->debug & KM_HEAP_DEBUG_PAGE, 0) &&
           !(heap->maximum && size > KM_HEAP_FIXED_BLOCK_LIMIT);
}

/* A page-heap block, a span or a large block (or no block: too big for a fixed heap), fenced
 * in the modes that fence them. Out of line: most allocations come from runs. */
__attribute__((noinline)) static void *alloc_outsized_locked(km_heap *heap, size_t size,
                                                             size_t tail, size_t reserve_at_least,
                                                             km_status *status)
{
    void *block;
    if (is_page_heap_request(heap, size)) {
        block = km_large_alloc_guarded_locked(heap, size, status);
    } else if (heap->maximum && size > KM_HEAP_FIXED_BLOCK_LIMIT) {
        *status = KM_NO_MEMORY;
        return NULL;
    } else if (is_large_request(heap, size)) {
        block = km_large_alloc_locked(heap, size, tail, reserve_at_least, status);
    } else {
        block = km_span_alloc_locked(heap, size, tail, status);
    }
    fence_new_block(heap, block);
    return block;
}

/* A large block gets a reservation of at least reserve_at_least bytes; a run block comes from
 * the pool (the heap's, or the calling thread's cache's). */
static void *alloc_locked(km_heap *heap, km_run_pool *pool, size_t size, size_t reserve_at_least,
                          km_status *status)
{
    size_t run_tail = km_run_tail_reach(heap);
    if (size <= KM_RUN_BLOCK_MAX - run_tail && !is_page_heap_request(heap, size))
        return km_run_alloc_locked(heap, pool, km_size_class_of(size + run_tail), size, status);
    void *block = alloc_outsized_locked(heap, size, km_fence_reach(heap), reserve_at_least, status);
    if (block)
        heap->outsized_bytes += size;
    return block;
}

static bool is_run_block(const km_block_ref *ref)
{
    return ref->segment && ref->run->size_class != KM_SPAN_CLASS;
}

/* True when the run's maps are the caller's to change: a run of the heap's pool, or of the
 * calling thread's cache, or any run while fast paths are stopped. Otherwise its owner thread
 * changes them, now perhaps, and the caller only marks a freed block for it (thread_cache.c). */
static inline bool run_is_callers(km_heap *heap, const km_run *run)
{
    km_run_pool *pool = atomic_load_explicit(&run->pool, memory_order_relaxed);
    if (__builtin_expect(pool == &heap->pool, 1) || heap->stop_depth)
        return true;
    km_thread_cache *own = km_thread_cache_own_locked(heap);
    return own && pool == &own->pool;
}

/* Frees the block; KM_CORRUPTED (the block freed all the same) when a block leaving the
 * quarantine was found damaged; KM_FREED when another thread's free of it came first. */
static inline __attribute__((always_inline)) km_status free_locked(km_heap *heap,
                                                                   const km_block_ref *ref)
{
    if (__builtin_expect(is_run_block(ref) && heap->quarantine.limit == 0, 1)) {
        if (__builtin_expect(run_is_callers(heap, ref->run), 1))
            return km_run_free_locked(heap, ref) ? KM_OK : KM_FREED;
        return km_run_free_remote(ref);
    }
    if (!ref->segment) {
        heap->outsized_bytes -= ref->requested;
        km_large_free_locked(heap, ref->large_index);
        return KM_OK;
    }
    if (ref->run->size_class == KM_SPAN_CLASS) {
        heap->outsized_bytes -= ref->requested;
        km_span_free_locked(heap, ref);
        return KM_OK;
    }
    if (__builtin_expect(heap->quarantine.limit != 0, 0)) {
        km_status held = km_quarantine_hold_locked(heap, ref);
        if (held != KM_NO_MEMORY)
            return held;
    }
    return km_run_free_locked(heap, ref) ? KM_OK : KM_FREED;
}

/* The fast path's allocation: a block of the cache's runs, or NULL for the locked path. */
static inline void *alloc_fast(km_heap *heap, km_thread_cache *cache, size_t size)
{
    if (size > KM_RUN_BLOCK_MAX)
        return NULL;
    unsigned size_class = km_size_class_of(size);
    void *block = km_run_alloc_owned(heap, &cache->pool, size_class, size);
    if (!block && atomic_load_explicit(&cache->remote_runs, memory_order_relaxed)) {
        km_run_collect_remote(heap, cache);
        block = km_run_alloc_owned(heap, &cache->pool, size_class, size);
    }
    return block;
}

/* The pool a call under the lock allocates into; a KM_HEAP_NO_SERIALIZE call, which holds no
 * lock, uses the heap's. */
static km_run_pool *pool_for(km_heap *heap, bool locked)
{
    return locked ? km_thread_cache_pool_locked(heap) : &heap->pool;
}

void *km_heap_alloc(km_heap *heap, unsigned flags, size_t size, km_status *status)
{
    km_thread_cache *cache = km_thread_cache_enter(heap, flags);
    if (cache) {
        void *block = alloc_fast(heap, cache, size);
        km_thread_cache_leave(cache);
        if (block) {
            if (flags & KM_HEAP_ZERO)
                memset(block, 0, size);
            *status = KM_OK;
            return block;
        }
    }
    bool locked = km_heap_enter(heap, flags);
    void *block = NULL;
    if (damaged_locked(heap))
        *status = KM_CORRUPTED;
    else
        block = alloc_locked(heap, pool_for(heap, locked), size, 0, status);
    km_heap_leave(heap, locked);
    /* A large block's pages are fresh from the system and read as zero already. */
    if (block && (flags & KM_HEAP_ZERO) && !is_large_request(heap, size))
        memset(block, 0, size);
    return block;
}

/* True when pool is a thread cache's: one of the heap's table of them. */
static bool is_cache_pool(km_heap *heap, const km_run_pool *pool)
{
    km_thread_cache *caches = atomic_load_explicit(&heap->caches, memory_order_relaxed);
    if (!caches)
        return false;
    uintptr_t first = (uintptr_t)&caches[0].pool, address = (uintptr_t)pool;
    return address >= first && address <= (uintptr_t)&caches[KM_THREAD_CACHES - 1].pool &&
           (address - first) % sizeof(km_thread_cache) == 0;
}

/* The fast path's free: true when data was a busy block of one of the cache's runs, with the
 * block before it intact, or a busy block of another thread's run, and is free now. Anything
 * else (a block of the heap's runs, a bad pointer, damage) goes to the locked path, which
 * decides it. A thread's run stays its own while this thread is in its fast path (its runs
 * leave it only with the fast paths stopped), so the run is read only once its pool says it is
 * a thread's (an acquire: the record was written whole before). The block before another
 * thread's block is not read: its owner may be writing it now. */
static inline bool free_fast(km_heap *heap, km_thread_cache *cache, uintptr_t data)
{
    if (!km_is_aligned(data, KM_BLOCK_ALIGNMENT))
        return false;
    km_segment *segment = km_lookup_segment(heap, data);
    size_t slot, index;
    km_slot_kind kind;
    if (!segment || !km_lookup_head_slot(segment, data, &slot, &kind) || kind != KM_SLOT_RUN)
        return false;
    km_run *run = km_segment_run_record(segment, slot);
    km_run_pool *pool = atomic_load_explicit(&run->pool, memory_order_acquire);
    bool own = pool == &cache->pool;
    if ((!own && !is_cache_pool(heap, pool)) ||
        !km_lookup_run_index(segment, slot, run, data, &index) || km_run_is_block_free(run, index))
        return false;
    km_block_ref ref = {
        .segment = segment, .run = run, .index = index, .block = data, .capacity = run->block_size};
    if (own)
        return km_run_free_owned(heap, &cache->pool, &ref);
    return km_run_free_remote(&ref) == KM_OK;
}

/* Gives back the empty runs the calling thread's cache holds beyond what it keeps: a stop does
 * that for every cache marked for it (other threads free blocks of its runs in theirs, so its
 * runs leave it only with the fast paths stopped). */
__attribute__((noinline)) static void trim_own_cache(km_heap *heap)
{
    km_heap_leave_stopped(heap, km_heap_enter_stopped(heap, 0));
}

km_status km_heap_free(km_heap *heap, unsigned flags, void *block)
{
    /* The guard of the block before: the line the free reads first, on every path, and most
     * often a miss. A prefetch reads no memory, so any pointer may be given to it. */
    __builtin_prefetch((const void *)((uintptr_t)block - 1));
    km_thread_cache *cache = km_thread_cache_enter(heap, flags);
    if (cache) {
        bool freed = free_fast(heap, cache, (uintptr_t)block);
        bool trim = cache->trim;
        km_thread_cache_leave(cache);
        if (freed) {
            if (__builtin_expect(trim, 0))
                trim_own_cache(heap);
            return KM_OK;
        }
    }
    bool locked = km_heap_enter(heap, flags);
    km_block_ref ref;
    km_status status = damaged_locked(heap)
                           ? KM_CORRUPTED
                           : km_lookup_block(heap, (uintptr_t)block,
                                             km_block_reading_for(heap, KM_READ_NOTHING), &ref);
    /* An overflow that reached this block from the one before is found here, where Windows
     * finds it: in the header the overflow ran into. (Not in another thread's run: its owner may
     * be writing the block before at this moment.) */
    if (status == KM_OK && is_run_block(&ref) && run_is_callers(heap, ref.run) &&
        !km_run_previous_is_intact_locked(heap, ref.run, ref.index))
        status = KM_CORRUPTED;
    if (status == KM_OK)
        status = free_locked(heap, &ref);
    km_heap_leave(heap, locked);
    return status;
}

static bool resize_outsized_in_place(km_heap *heap, km_block_ref *ref, size_t size)
{
    size_t reach = km_fence_reach(heap);
    if (!ref->segment)
        return km_large_resize_locked(heap, ref->large_index, size, reach);
    if (size <= KM_RUN_BLOCK_MAX || is_large_request(heap, size) ||
        (heap->maximum && size > KM_HEAP_FIXED_BLOCK_LIMIT))
        return size <= ref->requested && km_span_resize_locked(heap, ref, size, reach);
    return km_span_resize_locked(heap, ref, size, reach);
}

static bool resize_in_place(km_heap *heap, km_block_ref *ref, size_t size)
{
    if (is_run_block(ref)) {
        if (size > ref->capacity - km_run_tail_reach(heap))
            return false;
        km_run_set_requested_locked(heap, ref->run, ref->index, ref->block, size);
        return true;
    }
    if (!resize_outsized_in_place(heap, ref, size))
        return false;
    if (km_has_fences(heap))
        km_fence_write(km_fence_of_block(heap, ref));
    return true;
}

static void *realloc_locked(km_heap *heap, unsigned flags, uintptr_t data, size_t size,
                            km_status *status)
{
    km_block_ref ref;
    *status = damaged_locked(heap)
                  ? KM_CORRUPTED
                  : km_lookup_block(heap, data, km_block_reading_for(heap, KM_READ_CODE), &ref);
    if (*status != KM_OK)
        return NULL;
    size_t old_size = ref.requested;
    if (resize_in_place(heap, &ref, size)) {
        if (!is_run_block(&ref))
            heap->outsized_bytes += size - old_size;
        if ((flags & KM_HEAP_ZERO) && size > old_size)
            memset((char *)data + old_size, 0, size - old_size);
        return (void *)data;
    }
    if (flags & KM_HEAP_IN_PLACE_ONLY) {
        *status = KM_NO_MEMORY;
        return NULL;
    }
    /* Room to grow: a buffer grown step by step then moves only every half as much again. */
    size_t headroom = size > old_size && size / 2 < SIZE_MAX - size ? size + size / 2 : 0;
    bool locked = !((flags | heap->flags) & KM_HEAP_NO_SERIALIZE);
    char *moved = alloc_locked(heap, pool_for(heap, locked), size, headroom, status);
    if (!moved)
        return NULL;
    memcpy(moved, (void *)data, old_size < size ? old_size : size);
    if ((flags & KM_HEAP_ZERO) && size > old_size)
        memset(moved + old_size, 0, size - old_size);
    /* A new large block may have shifted the large table; only that index can be stale. */
    if (!ref.segment)
        km_large_find_locked(&heap->large, data, &ref.large_index);
    *status = free_locked(heap, &ref);
    return moved;
}

/* True when data lies in a run of another thread's cache (whatever it is there: the lookup
 * that follows decides that). */
static bool in_another_threads_run(km_heap *heap, uintptr_t data)
{
    km_segment *segment = km_lookup_segment(heap, data);
    size_t slot;
    km_slot_kind kind;
    return segment && km_lookup_head_slot(segment, data, &slot, &kind) && kind == KM_SLOT_RUN &&
           !run_is_callers(heap, km_segment_run_record(segment, slot));
}

/* A realloc of a block in another thread's run stops the fast paths: resizing it in place
 * changes its run's maps, which are that thread's to change. */
void *km_heap_realloc(km_heap *heap, unsigned flags, void *block, size_t size, km_status *status)
{
    bool locked = km_heap_enter(heap, flags);
    bool stop = locked && atomic_load_explicit(&heap->caches, memory_order_relaxed) &&
                in_another_threads_run(heap, (uintptr_t)block);
    if (stop)
        km_thread_caches_stop_locked(heap);
    void *result = realloc_locked(heap, flags, (uintptr_t)block, size, status);
    if (stop)
        km_thread_caches_restart_locked(heap);
    km_heap_leave(heap, locked);
    return result;
}

km_status km_heap_size(km_heap *heap, unsigned flags, const void *block, size_t *size)
{
    bool locked = km_heap_enter(heap, flags);
    km_block_ref ref;
    km_status status = damaged_locked(heap)
                           ? KM_CORRUPTED
                           : km_lookup_block(heap, (uintptr_t)block,
                                             km_block_reading_for(heap, KM_READ_CODE), &ref);
    if (status == KM_OK)
        *size = ref.requested;
    km_heap_leave(heap, locked);
    return status;
}

/* A heap created HEAP_NO_SERIALIZE is its owner's to serialize: HeapLock and HeapUnlock take
 * nothing from it and succeed, as on Windows. */
/* HeapLock also stops every thread's fast path (thread_cache.c): no other thread allocates or
 * frees until HeapUnlock. */
void km_heap_lock(km_heap *heap)
{
    km_heap_enter_stopped(heap, 0);
}

bool km_heap_try_lock(km_heap *heap)
{
    if (heap->flags & KM_HEAP_NO_SERIALIZE)
        return true;
    if (!km_lock_try_acquire(&heap->lock))
        return false;
    km_thread_caches_stop_locked(heap);
    return true;
}

bool km_heap_unlock(km_heap *heap)
{
    if (heap->flags & KM_HEAP_NO_SERIALIZE)
        return true;
    if (!km_lock_is_held(&heap->lock))
        return false;
    km_heap_leave_stopped(heap, true);
    return true;
}

void km_heap_use_thread_caches(km_heap *heap)
{
    bool locked = km_heap_enter(heap, 0);
    km_thread_caches_make_locked(heap);
    km_heap_leave(heap, locked);
}

bool km_heap_release_thread_cache(km_heap *heap)
{
    if (!atomic_load_explicit(&heap->caches, memory_order_acquire))
        return true;
    if (!km_heap_try_lock(heap))
        return false;
    km_thread_cache_give_up_own_locked(heap);
    km_heap_unlock(heap);
    return true;
}

void km_heap_lock_others_go_on(km_heap *heap)
{
    km_heap_enter(heap, 0);
}

void km_heap_unlock_others_go_on(km_heap *heap)
{
    km_heap_leave(heap, !(heap->flags & KM_HEAP_NO_SERIALIZE));
}

/* A call that says KM_HEAP_NO_SERIALIZE takes no lock, its caller vouching that no other thread
 * uses the heap meanwhile; it stops the caches all the same, which counts their frees in. */
bool km_heap_enter_stopped(km_heap *heap, unsigned flags)
{
    bool locked = km_heap_enter(heap, flags);
    km_thread_caches_stop_locked(heap);
    return locked;
}

void km_heap_leave_stopped(km_heap *heap, bool locked)
{
    km_thread_caches_restart_locked(heap);
    km_heap_leave(heap, locked);
}

unsigned km_heap_compatibility_mode(const km_heap *heap)
{
    return heap->compatibility_mode;
}

void km_heap_set_compatibility_mode(km_heap *heap, unsigned mode)
{
    heap->compatibility_mode = mode;
}
