/*
 * Thread caches: per-thread runs, so that a thread allocates and frees without the heap's lock.
 *
 * A heap that has served KM_CACHES_AFTER locked allocations (a heap used for a handful of
 * blocks never pays for this) gets a table of KM_THREAD_CACHES caches, in a reservation of its
 * own. A thread that allocates under the lock takes a free entry, named by its thread id, and
 * from then on takes runs into the entry's pool: the runs it allocates from are its own, listed
 * in its pool and changed by it alone. Its allocations from those runs, and its frees of their
 * blocks, take no lock: the fast path (heap.c) reads the block's run from the owner map and the
 * run's pool from its record, and goes on only if the pool is the thread's, or another thread's
 * (below). Anything else takes the lock as before: a run that needs pages committed, a class
 * with no run with room (the thread takes over the heap's fullest, or makes one), spans and
 * large blocks.
 *
 * A thread that frees a block of another thread's run may not touch that run's lists: it sets
 * the block's bit in the free map with an atomic or (the owner clears and sets bits of its runs
 * with atomic operations too), counts it in the run's remote count and lists the run for its
 * owner, which counts those blocks in when it next runs out of room in a class. A thread with a
 * cache does this in its own fast path, without the lock: a thread's runs leave its cache only
 * with the fast paths stopped (an empty run beyond what the cache keeps is given back by
 * trim_own_cache, which stops them), so the run stays the owner's while the free lasts. A thread
 * without one does it under the lock. The free map stays the one truth: of two frees of a block
 * racing on two threads, one finds the bit set, and a lookup that finds it clear reads a whole
 * size code. Windows' whole-heap operations need every run as it is, so HeapLock, HeapWalk,
 * HeapValidate of the whole heap, HeapSummary, HeapCompact, snapshots and HeapDestroy first stop
 * the fast paths (km_thread_caches_stop_locked): with the lock held they raise `stopped`, wait
 * until no thread is inside a fast path, and then count every cache's remote frees and recent
 * frees (run_owned.h) in. A fast path that starts while stopped takes the lock instead, and so
 * waits for HeapUnlock. HeapCompact also hands every cache's runs back to the heap, so that empty
 * runs can go back to the system.
 *
 * Debug modes, a quarantine, HEAP_NO_SERIALIZE, a maximum size (each cache holds runs the
 * maximum would pay for) and a page provider without an owner map leave a heap without caches:
 * their checks, limits and their owner's serialization stay as they are.
 *
 * A thread that ends gives its cache in the process heap back (the DLL's thread-detach
 * callout, unless another thread holds the heap's lock then). In other heaps it leaves its cache
 * behind, and the next thread given the same id (Windows reuses a thread's TEB) takes it over.
 * When every entry is taken, a thread without one works under the lock; every
 * KM_CACHE_RECLAIM_AFTER such calls the heap takes all the caches back, so that threads that
 * ended give their entries up, and the live ones take new entries.
 */
#include "core/thread_cache.h"

#include <string.h>

#define KM_CACHES_AFTER 4096
#define KM_CACHE_RECLAIM_AFTER 4096

static size_t caches_bytes(const km_heap *heap)
{
    size_t bytes = KM_THREAD_CACHES * sizeof(km_thread_cache);
    size_t granularity = heap->pages->granularity;
    return (bytes + granularity - 1) / granularity * granularity;
}

/* Not for a fixed heap either: each cache holds runs of its own, which its maximum would pay
 * for. */
static bool heap_may_have_caches(const km_heap *heap)
{
    return !(heap->flags & KM_HEAP_NO_SERIALIZE) && !heap->debug && !heap->quarantine.limit &&
           !heap->maximum && heap->pages->owner_map;
}

static km_thread_cache *make_caches(km_heap *heap)
{
    size_t bytes = caches_bytes(heap);
    km_thread_cache *caches = km_heap_reserve_locked(heap, bytes, bytes);
    if (caches) {
        memset(caches, 0, KM_THREAD_CACHES * sizeof *caches);
        atomic_store_explicit(&heap->caches, caches, memory_order_release);
    }
    return caches;
}

void km_thread_caches_make_locked(km_heap *heap)
{
    if (!atomic_load_explicit(&heap->caches, memory_order_relaxed) && heap_may_have_caches(heap))
        make_caches(heap);
}

km_thread_cache *km_thread_cache_own_locked(km_heap *heap)
{
    km_thread_cache *caches = atomic_load_explicit(&heap->caches, memory_order_relaxed);
    return caches ? km_thread_cache_find(caches, km_thread_id()) : NULL;
}

static km_thread_cache *claim(km_thread_cache *caches, uintptr_t self)
{
    size_t start = km_thread_cache_first_probe(self);
    for (size_t i = 0; i < KM_THREAD_CACHES; i++) {
        km_thread_cache *cache = &caches[(start + i) % KM_THREAD_CACHES];
        if (atomic_load_explicit(&cache->thread, memory_order_relaxed) == 0) {
            atomic_store_explicit(&cache->thread, self, memory_order_release);
            return cache;
        }
    }
    return NULL;
}

km_run_pool *km_thread_cache_pool_locked(km_heap *heap)
{
    km_thread_cache *caches = atomic_load_explicit(&heap->caches, memory_order_relaxed);
    if (!caches) {
        if (++heap->locked_allocations < KM_CACHES_AFTER || !heap_may_have_caches(heap) ||
            !(caches = make_caches(heap)))
            return &heap->pool;
    }
    uintptr_t self = km_thread_id();
    km_thread_cache *cache = km_thread_cache_find(caches, self);
    if (cache)
        return &cache->pool;
    /* A debug mode or a quarantine started since the caches were made: no new ones. */
    if (!heap_may_have_caches(heap))
        return &heap->pool;
    if ((cache = claim(caches, self)))
        return &cache->pool;
    if (++heap->cacheless_calls % KM_CACHE_RECLAIM_AFTER == 0) {
        km_thread_caches_stop_locked(heap);
        km_thread_caches_return_locked(heap);
        km_thread_caches_restart_locked(heap);
        if ((cache = claim(caches, self)))
            return &cache->pool;
    }
    return &heap->pool;
}

/* True when a fast path still entered will never be left: the process is ending, and every
 * other thread is gone, some perhaps in the middle of a fast path (a DLL's detach call that
 * validates, walks or locks a heap after ExitProcess would otherwise wait forever). Its cache is
 * taken as it was left: on Windows too, a thread ended in the middle of a lock-free heap call
 * leaves what it did half done. */
static bool fast_path_abandoned(const km_heap *heap)
{
    const km_threads *threads = heap->lock.threads;
    return threads->process_ending && threads->process_ending();
}

void km_thread_caches_stop_locked(km_heap *heap)
{
    if (heap->stop_depth++)
        return;
    atomic_store_explicit(&heap->stopped, 1, memory_order_seq_cst);
    km_thread_cache *caches = atomic_load_explicit(&heap->caches, memory_order_relaxed);
    if (!caches)
        return;
    /* Every fast path is left before any cache's remote frees are counted: a thread still in
     * one may be freeing a block of any other thread's run, and listing it for that thread. */
    for (size_t i = 0; i < KM_THREAD_CACHES; i++) {
        km_thread_cache *cache = &caches[i];
        /* A fast path is a few hundred instructions: spin, then let its thread run. */
        for (unsigned spins = 0; atomic_load_explicit(&cache->active, memory_order_acquire);
             spins++) {
            if (spins <= 64)
                continue;
            if (fast_path_abandoned(heap)) {
                atomic_store_explicit(&cache->active, 0, memory_order_relaxed);
                break;
            }
            heap->lock.threads->yield();
        }
    }
    for (size_t i = 0; i < KM_THREAD_CACHES; i++) {
        km_thread_cache *cache = &caches[i];
        if (!atomic_load_explicit(&cache->thread, memory_order_relaxed))
            continue;
        km_run_collect_remote(heap, cache);
        km_run_count_recent_frees(heap, cache);
        if (cache->trim) {
            km_run_trim_locked(&cache->pool);
            cache->trim = false;
        }
    }
}

void km_thread_caches_restart_locked(km_heap *heap)
{
    if (--heap->stop_depth)
        return;
    atomic_store_explicit(&heap->stopped, 0, memory_order_release);
}

/* Hands a cache's runs to the heap and frees its entry. Only with the fast paths stopped, which
 * counted its remote and recent frees in: once its runs are the heap's, nothing would. */
static void give_up(km_heap *heap, km_thread_cache *cache)
{
    km_run_pool_return_locked(heap, &cache->pool);
    memset(&cache->pool, 0, sizeof cache->pool);
    cache->trim = false;
    atomic_store_explicit(&cache->thread, 0, memory_order_release);
}

void km_thread_caches_return_locked(km_heap *heap)
{
    km_thread_cache *caches = atomic_load_explicit(&heap->caches, memory_order_relaxed);
    if (!caches)
        return;
    for (size_t i = 0; i < KM_THREAD_CACHES; i++) {
        km_thread_cache *cache = &caches[i];
        if (atomic_load_explicit(&cache->thread, memory_order_relaxed))
            give_up(heap, cache);
    }
}

void km_thread_cache_give_up_own_locked(km_heap *heap)
{
    km_thread_cache *cache = km_thread_cache_own_locked(heap);
    if (cache)
        give_up(heap, cache);
}

void km_thread_caches_release(km_heap *heap)
{
    km_thread_cache *caches = atomic_load_explicit(&heap->caches, memory_order_relaxed);
    if (!caches)
        return;
    size_t bytes = caches_bytes(heap);
    km_heap_release_locked(heap, (uintptr_t)caches, bytes, bytes);
    atomic_store_explicit(&heap->caches, NULL, memory_order_relaxed);
}
