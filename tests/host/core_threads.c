/* Several threads on one heap: allocating, freeing each other's blocks through a shared
 * exchange, and reallocating. Each block is stamped with a tag it must still carry when it is
 * freed, so a block handed to two owners (or lost) is caught; the heap must validate and hold no
 * allocated byte at the end. Built also under ThreadSanitizer (the host-tsan preset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sched.h>

#include "core/heap.h"
#include "core/heap_registry.h"
#include "host_pages.h"
#include "host_threads.h"

enum { THREADS = 4, SLOTS = 256, EXCHANGE = 64, STEPS = 40000 };

typedef struct stamp {
    uint64_t tag;
    size_t size;
} stamp;

static km_heap *shared_heap;
static _Atomic(stamp *) exchange[EXCHANGE];
static atomic_size_t tags;

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static stamp *make_block(size_t size)
{
    km_status status;
    if (size < sizeof(stamp))
        size = sizeof(stamp);
    stamp *block = km_heap_alloc(shared_heap, 0, size, &status);
    if (!block)
        return NULL;
    block->tag = atomic_fetch_add(&tags, 1) + 1;
    block->size = size;
    memset(block + 1, (int)(block->tag & 0xff), size - sizeof(stamp));
    return block;
}

/* Checks a block's stamp and body, then frees it; returns 0 on any damage. */
static int check_and_free(stamp *block)
{
    size_t size = 0;
    if (km_heap_size(shared_heap, 0, block, &size) != KM_OK || size != block->size)
        return 0;
    const unsigned char *body = (const unsigned char *)(block + 1);
    for (size_t i = 0; i < size - sizeof(stamp); i++)
        if (body[i] != (unsigned char)(block->tag & 0xff))
            return 0;
    block->tag = 0; /* a second owner would find a stamp that no longer matches its body */
    return km_heap_free(shared_heap, 0, block) == KM_OK;
}

static size_t random_size(uint64_t *random)
{
    uint64_t r = next_random(random);
    if (r % 100 == 0)
        return (size_t)(r >> 8) % 200000;
    return 16 + (size_t)(r >> 8) % 1024;
}

static void *worker(void *argument)
{
    uint64_t random = 0x9e3779b97f4a7c15ull * ((uintptr_t)argument + 1);
    stamp *mine[SLOTS] = {0};
    intptr_t damaged = 0;
    for (int step = 0; step < STEPS; step++) {
        uint64_t r = next_random(&random);
        size_t slot = (size_t)(r % SLOTS);
        switch ((r >> 16) % 4) {
        case 0: /* replace */
        case 1:
            if (mine[slot] && !check_and_free(mine[slot]))
                damaged++;
            mine[slot] = make_block(random_size(&random));
            break;
        case 2: /* hand over to the exchange, take whatever was there */
            if (mine[slot]) {
                stamp *taken = atomic_exchange(&exchange[(r >> 24) % EXCHANGE], mine[slot]);
                mine[slot] = NULL;
                if (taken && !check_and_free(taken))
                    damaged++;
            }
            break;
        case 3: /* reallocate, keeping the stamp */
            if (mine[slot]) {
                km_status status;
                size_t size = random_size(&random);
                stamp *moved = km_heap_realloc(shared_heap, 0, mine[slot], size, &status);
                if (moved) {
                    moved->size = size;
                    memset(moved + 1, (int)(moved->tag & 0xff), size - sizeof(stamp));
                    mine[slot] = moved;
                }
            }
            break;
        }
    }
    for (size_t slot = 0; slot < SLOTS; slot++)
        if (mine[slot] && !check_and_free(mine[slot]))
            damaged++;
    return (void *)damaged;
}

/* Joins the workers (each returns its count of damaged blocks), frees what the exchange still
 * holds, and checks that the heap validates, holds nothing and leaves no reservation behind. */
static void join_and_check_empty(pthread_t *threads, km_host_pages *pages)
{
    for (int i = 0; i < THREADS; i++) {
        void *damaged;
        pthread_join(threads[i], &damaged);
        assert_int_equal((intptr_t)damaged, 0);
    }
    for (size_t i = 0; i < EXCHANGE; i++) {
        stamp *left = atomic_exchange(&exchange[i], NULL);
        if (left)
            assert_true(check_and_free(left));
    }
    assert_true(km_heap_validate(shared_heap, 0, NULL));
    km_heap_summary summary;
    km_heap_summarize(shared_heap, 0, &summary);
    assert_int_equal(summary.allocated, 0);
    km_heap_destroy(shared_heap);
    assert_int_equal(pages->reserved_bytes, 0);
}

static void threads_sharing_a_heap_lose_and_double_nothing(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_heap_platform platform = km_host_platform(&pages);
    assert_int_equal(km_heap_create(&platform, 0, 0, 0, &shared_heap), KM_OK);

    pthread_t threads[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, worker, (void *)i), 0);
    join_and_check_empty(threads, &pages);
}

static void *make_small_block(void *unused)
{
    (void)unused;
    return make_block(64);
}

static void a_locked_heap_excludes_other_threads(void **state)
{
    (void)state;
    /* Holding the lock, this thread still allocates (the lock is recursive)... */
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_heap_platform platform = km_host_platform(&pages);
    assert_int_equal(km_heap_create(&platform, 0, 0, 0, &shared_heap), KM_OK);
    km_heap_lock(shared_heap);
    stamp *block = make_block(64);
    assert_non_null(block);
    /* ...while another thread's allocation waits for the unlock. */
    pthread_t other;
    atomic_store(&tags, 1000000);
    assert_int_equal(pthread_create(&other, NULL, make_small_block, NULL), 0);
    for (int i = 0; i < 1000; i++)
        sched_yield();
    assert_int_equal(atomic_load(&tags), 1000000);
    km_heap_unlock(shared_heap);
    void *theirs;
    pthread_join(other, &theirs);
    assert_non_null(theirs);
    assert_true(check_and_free(theirs));
    assert_true(check_and_free(block));
    km_heap_destroy(shared_heap);
}

/* Thread caches (core/thread_cache.c): with every worker allocating and freeing on its own
 * runs, and some freeing each other's blocks, a HeapLock holder still sees one exact heap: the
 * walk's busy bytes are the summary's allocated bytes, and the heap validates. */
static atomic_bool churning;

static void *churn_own_and_others(void *argument)
{
    uint64_t random = 0x2545f4914f6cdd1dull * ((uintptr_t)argument + 1);
    stamp *mine[SLOTS] = {0};
    intptr_t damaged = 0;
    while (atomic_load(&churning)) {
        uint64_t r = next_random(&random);
        size_t slot = (size_t)(r % SLOTS);
        if (mine[slot] && !check_and_free(mine[slot]))
            damaged++;
        mine[slot] = make_block(16 + (size_t)(r >> 20) % 512);
        if (r % 8 == 0 && mine[slot]) { /* some blocks go to another thread to free */
            stamp *taken = atomic_exchange(&exchange[(r >> 24) % EXCHANGE], mine[slot]);
            mine[slot] = NULL;
            if (taken && !check_and_free(taken))
                damaged++;
        }
    }
    for (size_t slot = 0; slot < SLOTS; slot++)
        if (mine[slot] && !check_and_free(mine[slot]))
            damaged++;
    return (void *)damaged;
}

static void a_locked_heap_is_exact_while_thread_caches_churn(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_heap_platform platform = km_host_platform(&pages);
    assert_int_equal(km_heap_create(&platform, 0, 0, 0, &shared_heap), KM_OK);
    atomic_store(&churning, true);
    pthread_t threads[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, churn_own_and_others, (void *)i), 0);
    for (int round = 0; round < 200; round++) {
        km_heap_lock(shared_heap);
        size_t busy_bytes = 0;
        km_walk_entry entry = {0};
        while (km_heap_walk(shared_heap, &entry) == KM_OK)
            if (entry.kind == KM_WALK_BUSY)
                busy_bytes += entry.size;
        km_heap_summary summary;
        km_heap_summarize(shared_heap, 0, &summary);
        assert_int_equal(busy_bytes, summary.allocated);
        assert_true(km_heap_validate(shared_heap, 0, NULL));
        km_heap_unlock(shared_heap);
        if (round % 50 == 49)
            km_heap_compact(shared_heap, 0);
        sched_yield();
    }
    atomic_store(&churning, false);
    join_and_check_empty(threads, &pages);
}

/* A thread with a cache of its own (it made thousands of blocks first) still waits for
 * HeapUnlock: HeapLock stops its fast path too. */
static void *warm_up_then_wait_for_a_block(void *unused)
{
    (void)unused;
    for (int i = 0; i < 10000; i++) {
        km_status status;
        void *block = km_heap_alloc(shared_heap, 0, 64, &status);
        km_heap_free(shared_heap, 0, block);
    }
    atomic_store(&churning, true);
    while (atomic_load(&churning))
        sched_yield();
    return make_block(64);
}

static void a_locked_heap_stops_other_threads_fast_paths(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_heap_platform platform = km_host_platform(&pages);
    assert_int_equal(km_heap_create(&platform, 0, 0, 0, &shared_heap), KM_OK);
    atomic_store(&churning, false);
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, warm_up_then_wait_for_a_block, NULL), 0);
    while (!atomic_load(&churning))
        sched_yield();
    km_heap_lock(shared_heap);
    atomic_store(&tags, 2000000);
    atomic_store(&churning, false);
    for (int i = 0; i < 1000; i++)
        sched_yield();
    assert_int_equal(atomic_load(&tags), 2000000);
    km_heap_unlock(shared_heap);
    void *theirs;
    pthread_join(other, &theirs);
    assert_non_null(theirs);
    assert_true(check_and_free(theirs));
    assert_true(km_heap_validate(shared_heap, 0, NULL));
    km_heap_destroy(shared_heap);
}

/* Registry lookups from several threads while another creates and destroys heaps: a handle
 * that stays registered is always found, one never registered never is, however the entries
 * around it move. */
enum { STABLE_HEAPS = 1000, TRANSIENT_HEAPS = 50000, READERS = 3 };

static km_heap_registry shared_registry;
static atomic_bool registry_churning;

static km_heap *registry_handle(size_t i)
{
    return (km_heap *)(((uintptr_t)i + 1) << 16);
}

static void *look_up_while_churning(void *unused)
{
    (void)unused;
    size_t misses = 0;
    for (size_t round = 0; atomic_load(&registry_churning) || round < 2; round++)
        for (size_t i = 0; i < STABLE_HEAPS; i++) {
            misses += km_registry_find(&shared_registry, registry_handle(2 * i)) == NULL;
            misses += km_registry_find(&shared_registry, registry_handle(2 * i + 1)) != NULL;
        }
    return (void *)misses;
}

static void registry_lookups_stay_exact_while_heaps_come_and_go(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_registry_init(&shared_registry, &km_host_threads, &pages.pages);
    for (size_t i = 0; i < STABLE_HEAPS; i++)
        assert_true(km_registry_add(&shared_registry, registry_handle(2 * i)));
    atomic_store(&registry_churning, true);
    pthread_t readers[READERS];
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, look_up_while_churning, NULL), 0);
    for (size_t i = 0; i < TRANSIENT_HEAPS; i++) {
        km_heap *transient = registry_handle(2 * STABLE_HEAPS + i % 3000);
        if (i % 3000 < 1500)
            assert_true(km_registry_add(&shared_registry, transient));
        else
            km_registry_remove(&shared_registry, registry_handle(2 * STABLE_HEAPS + i % 1500));
    }
    atomic_store(&registry_churning, false);
    for (int i = 0; i < READERS; i++) {
        void *misses;
        pthread_join(readers[i], &misses);
        assert_int_equal((uintptr_t)misses, 0);
    }
    km_registry_destroy(&shared_registry);
    assert_int_equal(pages.reserved_bytes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_sharing_a_heap_lose_and_double_nothing),
        cmocka_unit_test(a_locked_heap_excludes_other_threads),
        cmocka_unit_test(a_locked_heap_is_exact_while_thread_caches_churn),
        cmocka_unit_test(a_locked_heap_stops_other_threads_fast_paths),
        cmocka_unit_test(registry_lookups_stay_exact_while_heaps_come_and_go),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
