/*
 * A thread's allocation and free in its own runs, without the heap's lock (thread_cache.c says
 * when a thread may): inline into heap.c's fast paths, because in a settled heap the commonest
 * case costs less than a call and the registers it saves. What needs the pool's lists (a map
 * searched, a block counted free) stays out of line in run.c.
 *
 * RECENT FREES. A thread's free of a block up to 1 KiB from its own run that is in the fullest
 * bin (or full), or is the run its class allocates from next, sets the block's bit, as every
 * free does, but leaves the counting for later:
 * the block goes on the thread's recent frees of its class (KM_RECENT_FREES at most), and the
 * class's next allocation by the thread takes it back from there, last in first out, clearing
 * the bit. Most pairs of a free and an allocation then neither count nor move a run, nor search
 * a map. To every lookup the block is free from the moment its bit is set, so a second free of
 * it is a double free, as ever.
 *
 * Until they are counted in, a run's recent frees are busy to its free_count: the run stays
 * where it is listed, and a search of its map, which starts at search_word, may meet their bits.
 * So a map is searched only with the class's recent frees counted in: the thread's allocation
 * takes them back first, an allocation under the lock on the thread's pool counts them in first
 * (run.c), and a stop of the fast paths counts in every thread's, which makes every run as it is
 * for walks, validation, summaries and the runs' return to the heap. Other runs emptier than
 * the fullest bin count their frees at once, so that they drain as before (fullest first: run.c);
 * recent frees keep at most KM_RECENT_FREES blocks of each class out of use. A run whose last
 * blocks wait there is empty only once they are counted in (the class's next allocation by the
 * thread, one under the lock, or any stop): until then it is not among the empty runs the pool
 * keeps or gives back by count, so a thread that stops using a class may hold a few such runs
 * until its next stop or the return of its cache.
 */
#ifndef KM_CORE_RUN_OWNED_H
#define KM_CORE_RUN_OWNED_H

#include "core/heap_types.h"
#include "core/slack_code.h"

/* Sets the block free in its run's map; false when it was free already. An atomic set: of two
 * frees racing on two threads, one finds the bit set. */
static inline __attribute__((always_inline)) bool km_run_set_free_bit(const km_block_ref *ref)
{
    uint64_t bit = (uint64_t)1 << (ref->index % 64);
    return !(__atomic_fetch_or(&ref->run->maps[ref->index / 64].free, bit, __ATOMIC_ACQ_REL) & bit);
}

/* A block from the fullest of the pool's runs of the class, found by a search of its map, as far
 * as the run's pages are committed; NULL for the locked path. The class's recent frees are
 * counted in, or none (run.c). */
void *km_run_alloc_searched(km_heap *heap, km_run_pool *pool, unsigned size_class, size_t size);

/* Counts a block the thread just freed in its run (run.c). */
void km_run_count_free_owned(km_heap *heap, km_run_pool *pool, const km_block_ref *ref);

/* The thread's last free of the class, taken back: the block is busy again once its code is
 * written, as a searched one (km_run_alloc_searched). Only its owner clears a run's bits, so its
 * bit is still set. */
static inline void *km_run_take_recent_free(km_heap *heap, km_recent_frees *recent, size_t size)
{
    recent->count--;
    km_run *run = recent->blocks[recent->count].run;
    size_t index = recent->blocks[recent->count].index;
    uintptr_t block = run->first_block + index * run->block_size;
    km_run_set_requested_locked(heap, run, index, block, size);
    /* An atomic clear, a release: another thread may be setting a bit of the word (a remote
     * free), and one reading the block's code once it finds the bit clear reads it whole. */
    __atomic_fetch_and(&run->maps[index / 64].free, ~((uint64_t)1 << (index % 64)),
                       __ATOMIC_RELEASE);
    return (void *)block;
}

/* Keeps a block the thread just freed (its bit set) among its recent frees, uncounted; false
 * when it is to be counted now: too big, its run emptier than the fullest bin and not the one
 * the class allocates from next, or no room. (A run the class allocates from next need not
 * drain: a block freed back to it, as a block allocated and freed at once is, is the next one
 * the class takes.)
 *
 * The block's last line is fetched, for writing, as it is kept: the allocation that takes the
 * block back writes its size code there, and the locked clear of its bit that follows waits for
 * that store. Fetched only then, the line is most often a miss that the allocation waits for
 * whole (in native churn, a tenth of the time per pair). */
static inline bool km_run_keep_as_recent_free(km_run_pool *pool, const km_block_ref *ref)
{
    km_run *run = ref->run;
    if (run->size_class >= KM_RECENT_CLASSES)
        return false;
    if ((size_t)run->free_count * KM_RUN_BINS >= run->block_count &&
        run != km_run_pool_fullest(pool, run->size_class))
        return false;
    km_recent_frees *recent = &km_thread_cache_of_pool(pool)->recent[run->size_class];
    if (recent->count == KM_RECENT_FREES)
        return false;
    recent->blocks[recent->count].run = run;
    recent->blocks[recent->count].index = ref->index;
    recent->count++;
    __builtin_prefetch((const void *)(ref->block + run->block_size - 1), 1);
    return true;
}

/* The fast path's allocation: a block of the pool's runs, or NULL for the locked path. No lock:
 * only the pool's thread calls this. */
static inline void *km_run_alloc_owned(km_heap *heap, km_run_pool *pool, unsigned size_class,
                                       size_t size)
{
    if (size_class < KM_RECENT_CLASSES) {
        km_recent_frees *recent = &km_thread_cache_of_pool(pool)->recent[size_class];
        if (recent->count)
            return km_run_take_recent_free(heap, recent, size);
    }
    return km_run_alloc_searched(heap, pool, size_class, size);
}

/* The fast path's free of a busy block of one of the pool's runs; false, the block left busy,
 * when it was free already (a second free raced with this one) or the guard of the block before
 * it is damaged (the locked path reports which).
 *
 * The bit is set before the guard of the block before is read: a locked instruction waits for
 * every load before it, and that guard is most often a cache miss. Read after it, the miss
 * overlaps what follows (the branch on it is predicted; in native churn, 9% less time per pair),
 * and a damaged guard takes the bit back: the block was never counted free, and only this
 * thread allocates from the run. Only a program racing another thread on this very block, in a
 * damaged heap, can tell: meanwhile the other thread's lookup of it says KM_FREED, and its free
 * of it fails. */
static inline bool km_run_free_owned(km_heap *heap, km_run_pool *pool, const km_block_ref *ref)
{
    if (!km_run_set_free_bit(ref))
        return false;
    if (__builtin_expect(!km_run_previous_is_intact_locked(heap, ref->run, ref->index), 0)) {
        __atomic_fetch_and(&ref->run->maps[ref->index / 64].free,
                           ~((uint64_t)1 << (ref->index % 64)), __ATOMIC_RELAXED);
        return false;
    }
    if (!km_run_keep_as_recent_free(pool, ref))
        km_run_count_free_owned(heap, pool, ref);
    return true;
}

#endif
