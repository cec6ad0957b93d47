/*
 * Thread caches: a thread's own runs in a heap, allocated from and freed to without the heap's
 * lock (thread_cache.c says how, and what keeps Windows' semantics whole).
 */
#ifndef KM_CORE_THREAD_CACHE_H
#define KM_CORE_THREAD_CACHE_H

#include "core/heap_types.h"

#define KM_THREAD_CACHES 16

/* Where a thread's search of the table starts: its id hashed to one of the 16 entries. */
static inline size_t km_thread_cache_first_probe(uintptr_t self)
{
    _Static_assert(KM_THREAD_CACHES == 16, "the hash keeps four bits");
    return (size_t)((self * 0x9e3779b97f4a7c15ull) >> 60);
}

/* The calling thread's cache in the heap, or NULL; any thread, no lock. The first probe, where
 * a thread's entry almost always is, is tried before the loop. */
static inline km_thread_cache *km_thread_cache_find(km_thread_cache *caches, uintptr_t self)
{
    size_t start = km_thread_cache_first_probe(self);
    if (__builtin_expect(atomic_load_explicit(&caches[start].thread, memory_order_relaxed) == self,
                         1))
        return &caches[start];
    for (size_t i = 1; i < KM_THREAD_CACHES; i++) {
        km_thread_cache *cache = &caches[(start + i) % KM_THREAD_CACHES];
        if (atomic_load_explicit(&cache->thread, memory_order_relaxed) == self)
            return cache;
    }
    return NULL;
}

/* Enters the fast path: the calling thread's cache, marked active, or NULL when the thread has
 * none, the call says KM_HEAP_NO_SERIALIZE, or fast paths are stopped. Pair with
 * km_thread_cache_leave. The store of `active` and the load of `stopped` are ordered by a full
 * barrier, and the stopper's store of `stopped` and its loads of `active` by another: so either
 * this thread sees the stop, or the stopper sees it active and waits for it to leave.
 *
 * Other threads read a cache's run maps (a lookup under the lock) while its owner writes them:
 * each word is read and written whole (relaxed atomics, plain moves on x86), and a lookup of a
 * block another thread owns sees its bit either before or after the owner's change. */
static inline km_thread_cache *km_thread_cache_enter(km_heap *heap, unsigned flags)
{
    km_thread_cache *caches = atomic_load_explicit(&heap->caches, memory_order_acquire);
    if (!caches || (flags & KM_HEAP_NO_SERIALIZE))
        return NULL;
    uintptr_t self = km_thread_id();
    km_thread_cache *cache = km_thread_cache_find(caches, self);
    if (!cache)
        return NULL;
    /* A compare-and-swap: a store with a full barrier (on x86 the one instruction a fence would
     * cost), and one that a thread holding a stale entry cannot make over the flag of the
     * entry's new owner, nor later clear. */
    unsigned idle = 0;
    if (!atomic_compare_exchange_strong_explicit(&cache->active, &idle, 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return NULL;
    /* A cache given up while this thread looked it up has another owner, or none, by now. The
     * acquire pairs with the restart's release: what a stopper did to the cache is seen. */
    if (atomic_load_explicit(&heap->stopped, memory_order_acquire) ||
        atomic_load_explicit(&cache->thread, memory_order_relaxed) != self) {
        atomic_store_explicit(&cache->active, 0, memory_order_release);
        return NULL;
    }
    return cache;
}

static inline void km_thread_cache_leave(km_thread_cache *cache)
{
    atomic_store_explicit(&cache->active, 0, memory_order_release);
}

/* The pool the calling thread allocates into under the lock: its cache's, made for it when the
 * heap is busy enough and has room, or else the heap's. */
km_run_pool *km_thread_cache_pool_locked(km_heap *heap);

/* The calling thread's cache, under the lock; NULL without one. */
km_thread_cache *km_thread_cache_own_locked(km_heap *heap);

/* Stops every thread's fast path (the lock is held), waits for every one of them to be left,
 * then counts each cache's remote frees and recent frees in: from then on the lock's holder sees
 * every run as it is. Nested stops are counted; the last restart lets fast paths go on. */
void km_thread_caches_stop_locked(km_heap *heap);
void km_thread_caches_restart_locked(km_heap *heap);

/* Makes the caches now, if the heap may have them (km_heap_use_thread_caches). */
void km_thread_caches_make_locked(km_heap *heap);

/* Hands the calling thread's cache back, if it has one (stopped). */
void km_thread_cache_give_up_own_locked(km_heap *heap);

/* Hands every cache's runs back to the heap's pool and forgets the caches (stopped). */
void km_thread_caches_return_locked(km_heap *heap);

/* Releases the caches' memory (the heap is being destroyed). */
void km_thread_caches_release(km_heap *heap);

#endif
