/* Thread caches (core/thread_cache.c) on the host: a heap with caches answers every call as one
 * without, whether a block is freed by the thread that made it (the fast path) or by another
 * (a remote free); a double free is still a double free, HeapLock's walk and summary are exact,
 * and compaction takes the caches' runs back. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "core/heap.h"
#include "core/heap_types.h"
#include "core/size_class.h"
#include "core/thread_cache.h"
#include "heap_fixture.h"

static int setup_cached(void **state)
{
    if (setup_growable(state))
        return -1;
    km_heap_use_thread_caches(((fixture *)*state)->heap);
    return 0;
}

static size_t walk_busy(km_heap *heap, size_t *bytes)
{
    size_t count = 0;
    *bytes = 0;
    km_walk_entry entry = {0};
    while (km_heap_walk(heap, &entry) == KM_OK)
        if (entry.kind == KM_WALK_BUSY) {
            count++;
            *bytes += entry.size;
        }
    return count;
}

static size_t allocated(km_heap *heap)
{
    km_heap_summary summary;
    km_heap_summarize(heap, 0, &summary);
    return summary.allocated;
}

static void the_fast_path_answers_as_the_locked_one(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { COUNT = 3000 };
    static char *blocks[COUNT];
    size_t total = 0;
    for (size_t i = 0; i < COUNT; i++) {
        size_t size = 1 + i % 700;
        blocks[i] = alloc_ok(heap, size);
        memset(blocks[i], 0x5a, size);
        total += size;
        size_t reported;
        assert_int_equal(km_heap_size(heap, 0, blocks[i], &reported), KM_OK);
        assert_int_equal(reported, size);
    }
    size_t bytes;
    assert_int_equal(walk_busy(heap, &bytes), COUNT);
    assert_int_equal(bytes, total);
    assert_int_equal(allocated(heap), total);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 0; i < COUNT; i += 2)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    /* Freed on the fast path, and still a freed block to every lookup. */
    size_t size;
    assert_int_equal(km_heap_free(heap, 0, blocks[0]), KM_FREED);
    assert_int_equal(km_heap_size(heap, 0, blocks[2], &size), KM_FREED);
    assert_int_equal(km_heap_free(heap, 0, blocks[1] + 8), KM_INVALID_POINTER);
    assert_int_equal(walk_busy(heap, &bytes), COUNT / 2);
    assert_true(km_heap_validate(heap, 0, NULL));
    /* A resize (it stops the fast paths) and the compaction (it takes the caches' runs back). */
    km_status status;
    char *moved = km_heap_realloc(heap, 0, blocks[1], 5000, &status);
    assert_non_null(moved);
    assert_int_equal(moved[0], 0x5a);
    blocks[1] = moved;
    km_heap_compact(heap, 0);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 1; i < COUNT; i += 2)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_int_equal(allocated(heap), 0);
    assert_int_equal(walk_busy(heap, &bytes), 0);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* Blocks made by one thread and freed by another: marked for their owner, free to every
 * lookup at once, and a second free of one is a double free. */
typedef struct handover {
    km_heap *heap;
    char **blocks;
    size_t count;
} handover;

static void *make_blocks(void *argument)
{
    handover *h = argument;
    for (size_t i = 0; i < h->count; i++) {
        km_status status;
        h->blocks[i] = km_heap_alloc(h->heap, 0, 64, &status);
    }
    return NULL;
}

static void *free_every_other_and_make_more(void *argument)
{
    handover *h = argument;
    for (size_t i = 0; i < h->count; i += 2)
        if (km_heap_free(h->heap, 0, h->blocks[i]) != KM_OK)
            return (void *)1;
    return make_blocks(&(handover){h->heap, h->blocks + h->count, h->count});
}

static void blocks_freed_by_another_thread_are_free_at_once(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { COUNT = 2000 };
    static char *blocks[2 * COUNT];
    handover h = {heap, blocks, COUNT};
    pthread_t maker;
    assert_int_equal(pthread_create(&maker, NULL, make_blocks, &h), 0);
    pthread_join(maker, NULL);
    /* This thread frees the maker's blocks: remote frees. */
    for (size_t i = 0; i < COUNT; i += 2)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    size_t size;
    assert_int_equal(km_heap_free(heap, 0, blocks[0]), KM_FREED);
    assert_int_equal(km_heap_size(heap, 0, blocks[2], &size), KM_FREED);
    size_t bytes;
    assert_int_equal(walk_busy(heap, &bytes), COUNT / 2);
    assert_int_equal(allocated(heap), COUNT / 2 * 64);
    assert_true(km_heap_validate(heap, 0, NULL));
    /* A thread whose cache had blocks freed under it takes them back and reuses them. */
    for (size_t i = 1; i < COUNT; i += 2)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_int_equal(allocated(heap), 0);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* Two threads freeing each other's blocks, in turn, with a walk between: nothing is lost. */
static void remote_frees_go_back_to_their_owner(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { COUNT = 1000 };
    static char *blocks[2 * COUNT];
    handover h = {heap, blocks, COUNT};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, make_blocks, &h), 0);
    pthread_join(thread, NULL);
    assert_int_equal(pthread_create(&thread, NULL, free_every_other_and_make_more, &h), 0);
    void *failed;
    pthread_join(thread, &failed);
    assert_null(failed);
    size_t bytes;
    assert_int_equal(walk_busy(heap, &bytes), COUNT / 2 + COUNT);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 1; i < COUNT; i += 2)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    for (size_t i = COUNT; i < 2 * COUNT; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_int_equal(allocated(heap), 0);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* A thread that ends hands its cache back (the DLL's thread-detach does it for the process
 * heap): its blocks stay busy, its free ones go to the heap, and the heap stays whole. */
static void *make_blocks_then_leave(void *argument)
{
    handover *h = argument;
    make_blocks(h);
    for (size_t i = 0; i < h->count; i += 2)
        km_heap_free(h->heap, 0, h->blocks[i]);
    return (void *)(uintptr_t)km_heap_release_thread_cache(h->heap);
}

static void a_thread_that_ends_hands_its_cache_back(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { COUNT = 2000 };
    static char *blocks[COUNT];
    handover h = {heap, blocks, COUNT};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, make_blocks_then_leave, &h), 0);
    void *released;
    pthread_join(thread, &released);
    assert_true((uintptr_t)released);
    assert_true(km_heap_validate(heap, 0, NULL));
    size_t bytes;
    assert_int_equal(walk_busy(heap, &bytes), COUNT / 2);
    for (size_t i = 1; i < COUNT; i += 2)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_int_equal(allocated(heap), 0);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* The free map is the one truth: when a block's owner and another thread free it at the same
 * moment, exactly one free succeeds, and the heap's count stays exact. (An adversarial probe
 * found both succeeding when a remote free had a map of its own.) */
typedef struct racing_free {
    km_heap *heap;
    _Atomic(char *) block;
    atomic_int round;
    atomic_int done;
    atomic_int both_ok;
} racing_free;

static void *free_on_each_round(void *argument)
{
    racing_free *r = argument;
    /* An allocation gives this thread a cache: its frees of the other thread's blocks then take
     * no lock. */
    km_status status;
    km_heap_free(r->heap, 0, km_heap_alloc(r->heap, 0, 16, &status));
    for (int seen = 0; seen < 20000;) {
        if (atomic_load(&r->round) == seen) {
            sched_yield();
            continue;
        }
        seen++;
        km_status status = km_heap_free(r->heap, 0, atomic_load(&r->block));
        if (status == KM_OK)
            atomic_fetch_add(&r->both_ok, 1);
        atomic_fetch_add(&r->done, 1);
    }
    return NULL;
}

/* Hands the other thread this round's block to free. */
static void start_round(racing_free *r, char *block, int round)
{
    atomic_store(&r->block, block);
    atomic_store(&r->both_ok, 0);
    atomic_store(&r->round, round);
}

static void wait_for_round(racing_free *r, int round)
{
    while (atomic_load(&r->done) < round)
        ;
}

static void a_block_freed_twice_at_once_is_freed_once(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    racing_free r = {.heap = heap};
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, free_on_each_round, &r), 0);
    int double_success = 0;
    for (int round = 1; round <= 20000; round++) {
        char *block = alloc_ok(heap, 48);
        start_round(&r, block, round);
        km_status mine = km_heap_free(heap, 0, block);
        wait_for_round(&r, round);
        int successes = (mine == KM_OK) + atomic_load(&r.both_ok);
        double_success += successes != 1;
        assert_true(mine == KM_OK || mine == KM_FREED);
    }
    pthread_join(other, NULL);
    assert_int_equal(double_success, 0);
    assert_int_equal(allocated(heap), 0);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* The same race with a realloc that moves the block: its free of the old block, under the lock,
 * and the other thread's free, in its fast path, may both see the block busy; the map's atomic
 * set lets one count it, so the counts stay exact (a locked free that counted a block already
 * set free left a run's free count one too high, found by validation). */
static void a_block_moved_by_realloc_while_freed_is_counted_once(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    racing_free r = {.heap = heap};
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, free_on_each_round, &r), 0);
    int both = 0;
    for (int round = 1; round <= 20000; round++) {
        char *block = alloc_ok(heap, 48 << 10); /* a long copy, a wide window */
        start_round(&r, block, round);
        km_status status;
        char *moved = km_heap_realloc(heap, 0, block, 60 << 10, &status);
        wait_for_round(&r, round);
        both += moved && atomic_load(&r.both_ok);
        if (moved)
            assert_int_equal(km_heap_free(heap, 0, moved), KM_OK);
    }
    pthread_join(other, NULL);
    print_message("realloc and free both went ahead in %d rounds\n", both);
    assert_int_equal(allocated(heap), 0);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* Lookups of every block of the runs a thread is filling on its fast path: each is a busy
 * block, a free one or no block, never a corrupted one, and never a fault (a block is marked
 * busy only once its pages are committed and its size code written). The filler compacts
 * between rounds, so each round fills fresh, uncommitted runs. */
typedef struct filler {
    km_heap *heap;
    atomic_uintptr_t first;
    atomic_bool stop;
} filler;

enum { FILL_SIZE = 1024, FILL_BLOCKS = 2000 };

static void *fill_fresh_runs(void *argument)
{
    filler *f = argument;
    static char *blocks[FILL_BLOCKS];
    while (!atomic_load(&f->stop)) {
        for (int i = 0; i < FILL_BLOCKS; i++) {
            km_status status;
            blocks[i] = km_heap_alloc(f->heap, 0, FILL_SIZE, &status);
            if (i == 0)
                atomic_store(&f->first, (uintptr_t)blocks[0]);
        }
        for (int i = 0; i < FILL_BLOCKS; i++)
            km_heap_free(f->heap, 0, blocks[i]);
        km_heap_compact(f->heap, 0);
    }
    return NULL;
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void lookups_racing_the_fast_path_never_see_damage(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    filler f = {.heap = heap};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, fill_fresh_runs, &f), 0);
    size_t corrupted = 0;
    /* Two seconds: the window is a few instructions wide. */
    for (double end = seconds_now() + 2; seconds_now() < end;) {
        uintptr_t first = atomic_load(&f.first);
        for (uintptr_t a = first; first && a < first + 8 * 65536; a += FILL_SIZE) {
            size_t size;
            corrupted += km_heap_size(heap, 0, (void *)a, &size) == KM_CORRUPTED;
        }
    }
    atomic_store(&f.stop, true);
    pthread_join(thread, NULL);
    assert_int_equal(corrupted, 0);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* A thread's empty runs beyond the one its class keeps are given back (which stops every fast
 * path) only once they add up to 256 KiB, and then all at once: the free that empties the run
 * taking them past it gives them back. */
static void empty_runs_go_back_once_they_add_up_to_256_kib(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    /* Above 1 KiB: a thread's frees of smaller blocks may wait among its recent frees. */
    enum { SIZE = 2048, TRIM_BYTES = 256 << 10 };
    unsigned size_class = km_size_class_of(SIZE);
    size_t per_run = km_run_blocks_in(heap, size_class, heap->run_slots[size_class]);
    size_t run_bytes = per_run * km_size_class_block_size(size_class);
    size_t surplus_runs = (TRIM_BYTES + run_bytes - 1) / run_bytes; /* the one past 256 KiB */
    size_t count = (surplus_runs + 1) * per_run;
    char **blocks = malloc(count * sizeof *blocks);
    for (size_t i = 0; i < count; i++)
        blocks[i] = alloc_ok(heap, SIZE);
    km_thread_cache *cache = km_thread_cache_own_locked(heap);
    assert_non_null(cache);
    for (size_t run = 0; run <= surplus_runs; run++) {
        for (size_t i = run * per_run; i < (run + 1) * per_run; i++)
            assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
        assert_int_equal(cache->pool.empty_runs[size_class], run < surplus_runs ? run + 1 : 1);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
    free(blocks);
}

/* The blocks of a full run, one class; the run is the class's only one. */
static char **fill_one_run(km_heap *heap, size_t size, size_t *count)
{
    unsigned size_class = km_size_class_of(size);
    *count = km_run_blocks_in(heap, size_class, heap->run_slots[size_class]);
    char **blocks = malloc(*count * sizeof *blocks);
    for (size_t i = 0; i < *count; i++) {
        blocks[i] = alloc_ok(heap, size);
        if (i)
            assert_ptr_equal(blocks[i], blocks[i - 1] + km_size_class_block_size(size_class));
    }
    return blocks;
}

/* Frees blocks 1 to KM_RECENT_FREES + 1 of a full run: the first ones wait among the thread's
 * recent frees, the last is counted (no room is left among them), so the run is listed again,
 * its search starting at or before the waiting blocks' word. */
static void free_past_the_recent_frees(km_heap *heap, char **blocks)
{
    for (size_t i = 1; i <= KM_RECENT_FREES + 1; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
}

static void assert_all_different(char **blocks, size_t count)
{
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < i; j++)
            assert_ptr_not_equal(blocks[i], blocks[j]);
}

/* A thread's frees from a full run wait among its recent frees, free to every lookup (a second
 * free is a double free) though not yet counted, and its next allocations of the class take
 * them back, last first. A stop counts them in: the walk and validation see every run as it
 * is. */
static void a_threads_recent_frees_are_free_and_come_back_last_first(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { SIZE = 64 };
    size_t count;
    char **blocks = fill_one_run(heap, SIZE, &count);
    km_thread_cache *cache = km_thread_cache_own_locked(heap);
    assert_non_null(cache);
    km_recent_frees *recent = &cache->recent[km_size_class_of(SIZE)];
    assert_int_equal(km_heap_free(heap, 0, blocks[10]), KM_OK);
    assert_int_equal(km_heap_free(heap, 0, blocks[20]), KM_OK);
    assert_int_equal(recent->count, 2);
    size_t size;
    assert_int_equal(km_heap_free(heap, 0, blocks[10]), KM_FREED);
    assert_int_equal(km_heap_size(heap, 0, blocks[20], &size), KM_FREED);
    assert_ptr_equal(alloc_ok(heap, SIZE), blocks[20]);
    assert_ptr_equal(alloc_ok(heap, 60), blocks[10]);
    assert_int_equal(recent->count, 0);
    assert_int_equal(km_heap_size(heap, 0, blocks[10], &size), KM_OK);
    assert_int_equal(size, 60);

    assert_int_equal(km_heap_free(heap, 0, blocks[30]), KM_OK);
    assert_int_equal(recent->count, 1);
    size_t bytes;
    assert_int_equal(walk_busy(heap, &bytes), count - 1);
    assert_int_equal(recent->count, 0);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 0; i < count; i++)
        if (i != 30)
            assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
    assert_int_equal(allocated(heap), 0);
    free(blocks);
}

/* A block allocated and freed at once goes back to the run its class allocates from next, mostly
 * free as that run is: it waits among the recent frees, and the next allocation takes it back
 * without a search of the run's map. */
static void a_free_to_the_run_allocated_from_next_waits_among_the_recent_frees(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { SIZE = 64 };
    char *kept = alloc_ok(heap, SIZE);
    km_thread_cache *cache = km_thread_cache_own_locked(heap);
    assert_non_null(cache);
    km_recent_frees *recent = &cache->recent[km_size_class_of(SIZE)];
    for (int i = 0; i < 100; i++) {
        char *block = alloc_ok(heap, SIZE);
        assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
        assert_int_equal(recent->count, 1);
        size_t size;
        assert_int_equal(km_heap_size(heap, 0, block, &size), KM_FREED);
        assert_ptr_equal(alloc_ok(heap, SIZE), block);
        assert_int_equal(recent->count, 0);
        assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
        assert_ptr_equal(alloc_ok(heap, SIZE), block);
        assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    }
    assert_int_equal(km_heap_free(heap, 0, kept), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
    assert_int_equal(allocated(heap), 0);
}

/* A free to a mostly free run that the class does not allocate from next is counted at once, so
 * that the run drains: here a second run's only block, while the first, fuller run is the one
 * allocated from. */
static void a_free_to_an_emptier_run_not_allocated_from_is_counted_at_once(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { SIZE = 64 };
    size_t count;
    char **blocks = fill_one_run(heap, SIZE, &count);
    char *second = alloc_ok(heap, SIZE);
    km_thread_cache *cache = km_thread_cache_own_locked(heap);
    assert_non_null(cache);
    unsigned size_class = km_size_class_of(SIZE);
    km_recent_frees *recent = &cache->recent[size_class];
    /* A quarter of the first run freed, and the frees still waiting taken back: the first run
     * is fuller than the second, whose one block is busy. */
    for (size_t i = 0; i < count / 4; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    while (recent->count)
        alloc_ok(heap, SIZE);
    km_run *first_run = km_run_pool_fullest(&cache->pool, size_class);
    assert_non_null(first_run);
    assert_true((uintptr_t)blocks[count - 1] >= first_run->first_block &&
                (uintptr_t)blocks[count - 1] <
                    first_run->first_block + first_run->block_count * first_run->block_size);
    assert_int_equal(km_heap_free(heap, 0, second), KM_OK);
    assert_int_equal(recent->count, 0);
    assert_true(km_heap_validate(heap, 0, NULL));
    free(blocks);
}

/* An allocation under the lock from the thread's own runs (a realloc that moves) counts the
 * class's recent frees in before it searches a map: the search may reach their bits, and a
 * block must not be handed out both from the map and from the recent frees. */
static void a_locked_allocation_counts_recent_frees_in_first(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { SIZE = 64 };
    size_t count;
    char **blocks = fill_one_run(heap, SIZE, &count);
    char *small = alloc_ok(heap, 16);
    free_past_the_recent_frees(heap, blocks);
    km_status status;
    char *taken[KM_RECENT_FREES + 1];
    taken[0] = km_heap_realloc(heap, 0, small, SIZE, &status);
    assert_int_equal(status, KM_OK);
    for (size_t i = 1; i <= KM_RECENT_FREES; i++)
        taken[i] = alloc_ok(heap, SIZE);
    for (size_t i = 0; i <= KM_RECENT_FREES; i++) {
        bool one_of_the_freed = false;
        for (size_t j = 1; j <= KM_RECENT_FREES + 1; j++)
            one_of_the_freed |= taken[i] == blocks[j];
        assert_true(one_of_the_freed);
    }
    assert_all_different(taken, KM_RECENT_FREES + 1);
    assert_true(km_heap_validate(heap, 0, NULL));
    free(blocks);
}

/* A whole-heap call that says KM_HEAP_NO_SERIALIZE (its caller vouching that no other thread uses
 * the heap) counts the caches' recent frees in as a locked one does: validation finds the heap
 * sound, and compaction hands the runs to the heap with every free block counted, so that no
 * block is handed out twice afterwards. */
static void whole_heap_calls_without_the_lock_count_recent_frees_in(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { SIZE = 64 };
    size_t count;
    char **blocks = fill_one_run(heap, SIZE, &count);
    free_past_the_recent_frees(heap, blocks);
    assert_true(km_heap_validate(heap, KM_HEAP_NO_SERIALIZE, NULL));
    km_heap_compact(heap, KM_HEAP_NO_SERIALIZE);
    assert_true(km_heap_validate(heap, 0, NULL));
    km_status status;
    char *taken[KM_RECENT_FREES + 2];
    taken[0] = km_heap_alloc(heap, KM_HEAP_NO_SERIALIZE, SIZE, &status);
    assert_non_null(taken[0]);
    alloc_ok(heap, 16); /* the thread takes a cache again */
    for (size_t i = 1; i < KM_RECENT_FREES + 2; i++)
        taken[i] = alloc_ok(heap, SIZE);
    assert_all_different(taken, KM_RECENT_FREES + 2);
    assert_true(km_heap_validate(heap, 0, NULL));
    free(blocks);
}

static void *free_the_block(void *argument)
{
    handover *h = argument;
    alloc_ok(h->heap, 16); /* this thread gets a cache: the free below is a remote one */
    assert_int_equal(km_heap_free(h->heap, 0, h->blocks[0]), KM_OK);
    return NULL;
}

/* The same for a block another thread freed: compaction without the lock counts it in before the
 * owner's runs go to the heap. */
static void compaction_without_the_lock_counts_remote_frees_in(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    char *blocks[10];
    for (size_t i = 0; i < 10; i++)
        blocks[i] = alloc_ok(heap, 64);
    handover h = {heap, &blocks[9], 1};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, free_the_block, &h), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    km_heap_compact(heap, KM_HEAP_NO_SERIALIZE);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
}

static void *take_a_cache_and_end(void *argument)
{
    km_heap *heap = argument;
    km_heap_free(heap, 0, alloc_ok(heap, 64));
    return (void *)km_thread_id();
}

/* ExitProcess ends every other thread wherever it is, then runs the DLLs' detach calls, which
 * may validate, walk or lock a heap: a cache a thread left entered (here marked so by hand) must
 * not hold them forever once the process is ending, and stops wait for it until then. */
static void a_fast_path_left_entered_is_abandoned_once_the_process_ends(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    pthread_t thread;
    void *ended;
    assert_int_equal(pthread_create(&thread, NULL, take_a_cache_and_end, heap), 0);
    assert_int_equal(pthread_join(thread, &ended), 0);
    km_thread_cache *cache = km_thread_cache_find(heap->caches, (uintptr_t)ended);
    assert_non_null(cache);
    atomic_store(&cache->active, 1);
    atomic_store(&km_host_process_ending, true);
    assert_true(km_heap_validate(heap, 0, NULL));
    atomic_store(&km_host_process_ending, false);
    assert_int_equal(atomic_load(&cache->active), 0);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* An overflow of a block through its slack is found by the free of the block after it, on the
 * fast path as on the locked one; that block stays busy, and is freed once the damage is
 * repaired. */
static void an_overflow_is_found_by_the_next_blocks_free_on_the_fast_path(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { SIZE = 40 };
    size_t block = km_size_class_block_size(km_size_class_of(SIZE));
    char *before = alloc_ok(heap, SIZE);
    char *after = alloc_ok(heap, SIZE);
    assert_ptr_equal(after, before + block);
    char slack[64];
    memcpy(slack, before + SIZE, block - SIZE);
    memset(before + SIZE, 0x41, block - SIZE);
    assert_int_equal(km_heap_free(heap, 0, after), KM_CORRUPTED);
    size_t size;
    assert_int_equal(km_heap_size(heap, 0, after, &size), KM_OK);
    assert_int_equal(size, SIZE);
    memcpy(before + SIZE, slack, block - SIZE);
    assert_int_equal(km_heap_free(heap, 0, after), KM_OK);
    assert_int_equal(km_heap_free(heap, 0, before), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
    assert_int_equal(allocated(heap), 0);
}

/* A heap with debug modes or a quarantine gets no caches: its checks stay whole. */
static void debug_heaps_have_no_caches(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_TAIL));
    km_heap_use_thread_caches(heap);
    char *block = alloc_ok(heap, 64);
    block[64] ^= 0x5a;
    assert_int_equal(km_heap_free(heap, 0, block), KM_CORRUPTED);
    block[64] ^= 0x5a;
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_fast_path_answers_as_the_locked_one, setup_cached,
                                        teardown),
        cmocka_unit_test_setup_teardown(blocks_freed_by_another_thread_are_free_at_once,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(remote_frees_go_back_to_their_owner, setup_cached,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_thread_that_ends_hands_its_cache_back, setup_cached,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_block_moved_by_realloc_while_freed_is_counted_once,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(a_block_freed_twice_at_once_is_freed_once, setup_cached,
                                        teardown),
        cmocka_unit_test_setup_teardown(lookups_racing_the_fast_path_never_see_damage, setup_cached,
                                        teardown),
        cmocka_unit_test_setup_teardown(empty_runs_go_back_once_they_add_up_to_256_kib,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(
            an_overflow_is_found_by_the_next_blocks_free_on_the_fast_path, setup_cached, teardown),
        cmocka_unit_test_setup_teardown(a_threads_recent_frees_are_free_and_come_back_last_first,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(
            a_free_to_the_run_allocated_from_next_waits_among_the_recent_frees, setup_cached,
            teardown),
        cmocka_unit_test_setup_teardown(
            a_free_to_an_emptier_run_not_allocated_from_is_counted_at_once, setup_cached, teardown),
        cmocka_unit_test_setup_teardown(a_locked_allocation_counts_recent_frees_in_first,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(whole_heap_calls_without_the_lock_count_recent_frees_in,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(compaction_without_the_lock_counts_remote_frees_in,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(a_fast_path_left_entered_is_abandoned_once_the_process_ends,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(debug_heaps_have_no_caches, setup_growable, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
