/*
 * The heap lock between threads: a thread that waits for a heap another thread holds locked
 * sleeps instead of spinning, recursion holds, and the holder's last HeapUnlock lets it run;
 * a thread that allocates without the lock on a busy heap is held by HeapLock all the same, and a
 * walk under HeapLock sees every thread's blocks.
 */
#include "heap_test.h"

#define HOLD_MS 1000

typedef struct waiter {
    HANDLE heap;
    HANDLE locked; /* set once the holder has the lock */
    volatile LONG allocated;
} waiter;

static DWORD WINAPI allocate_when_unlocked(void *argument)
{
    waiter *state = argument;
    WaitForSingleObject(state->locked, INFINITE);
    void *block = HeapAlloc(state->heap, 0, 32);
    InterlockedExchange(&state->allocated, 1);
    return block && HeapFree(state->heap, 0, block);
}

static ULONGLONG cpu_time_100ns(HANDLE thread)
{
    FILETIME created, exited, kernel, user;
    assert_true(GetThreadTimes(thread, &created, &exited, &kernel, &user));
    ULARGE_INTEGER k = {.LowPart = kernel.dwLowDateTime, .HighPart = kernel.dwHighDateTime};
    ULARGE_INTEGER u = {.LowPart = user.dwLowDateTime, .HighPart = user.dwHighDateTime};
    return k.QuadPart + u.QuadPart;
}

/* After the last HeapUnlock: the waiter allocates, frees and ends successfully. */
static void finish_waiter(HANDLE thread, waiter *run)
{
    assert_int_equal(WaitForSingleObject(thread, 10000), WAIT_OBJECT_0);
    DWORD succeeded = 0;
    GetExitCodeThread(thread, &succeeded);
    assert_true(succeeded);
    assert_int_equal(run->allocated, 1);
    CloseHandle(thread);
    CloseHandle(run->locked);
    destroy_heap(run->heap);
}

static void a_thread_waiting_for_a_locked_heap_sleeps_until_the_last_unlock(void **state)
{
    (void)state;
    waiter run = {.heap = create_heap(0, 0, 0), .locked = CreateEventW(NULL, TRUE, FALSE, NULL)};
    assert_true(HeapLock(run.heap));
    assert_true(HeapLock(run.heap));
    HANDLE thread = CreateThread(NULL, 0, allocate_when_unlocked, &run, 0, NULL);
    assert_non_null(thread);
    SetEvent(run.locked);
    Sleep(HOLD_MS);
    assert_int_equal(run.allocated, 0);
    /* The waiter used well under a quarter of the time it waited. */
    assert_true(cpu_time_100ns(thread) < (ULONGLONG)HOLD_MS * 10000 / 4);
    assert_true(HeapUnlock(run.heap));
    Sleep(50);
    assert_int_equal(run.allocated, 0);
    assert_true(HeapUnlock(run.heap));
    finish_waiter(thread, &run);
}

/* A busy heap gives each thread runs of its own, freed and allocated without the lock
 * (core/thread_cache.c): HeapLock must hold those threads all the same. */
static DWORD WINAPI warm_up_then_allocate_when_unlocked(void *argument)
{
    waiter *state = argument;
    for (int i = 0; i < 10000; i++) {
        void *block = HeapAlloc(state->heap, 0, 32);
        if (!block || !HeapFree(state->heap, 0, block))
            return FALSE;
    }
    return allocate_when_unlocked(argument);
}

static void a_locked_heap_holds_a_thread_that_used_it_much(void **state)
{
    (void)state;
    waiter run = {.heap = create_heap(0, 0, 0), .locked = CreateEventW(NULL, TRUE, FALSE, NULL)};
    HANDLE thread = CreateThread(NULL, 0, warm_up_then_allocate_when_unlocked, &run, 0, NULL);
    assert_non_null(thread);
    Sleep(200); /* time for the warm-up, which goes on if it takes longer */
    assert_true(HeapLock(run.heap));
    SetEvent(run.locked);
    Sleep(300);
    assert_int_equal(run.allocated, 0);
    assert_true(HeapUnlock(run.heap));
    finish_waiter(thread, &run);
}

/* Waits for the threads and checks that each ended with exit code 0 (no failure counted). */
static void join_threads_that_report_no_failure(HANDLE *threads, DWORD count, DWORD milliseconds)
{
    assert_int_equal(WaitForMultipleObjects(count, threads, TRUE, milliseconds), WAIT_OBJECT_0);
    for (DWORD i = 0; i < count; i++) {
        DWORD failures = 1;
        GetExitCodeThread(threads[i], &failures);
        assert_int_equal(failures, 0);
        CloseHandle(threads[i]);
    }
}

/* Threads churning their own blocks, each keeping LIVE of them, while this one walks the heap
 * under HeapLock: every walk sees between LIVE - 1 and LIVE busy blocks per thread (a thread may
 * be between a free and its allocation), of the sizes they were made with. */
#define WALKERS_LIVE 500
#define WALK_THREADS 3

typedef struct churner {
    HANDLE heap;
    volatile LONG stop;
} churner;

static DWORD WINAPI churn_own_blocks(void *argument)
{
    churner *c = argument;
    char *blocks[WALKERS_LIVE];
    for (int i = 0; i < WALKERS_LIVE; i++)
        if (!(blocks[i] = HeapAlloc(c->heap, 0, 48)))
            return 1;
    for (unsigned i = 0; !c->stop; i++) {
        int slot = (int)(i % WALKERS_LIVE);
        if (!HeapFree(c->heap, 0, blocks[slot]) || !(blocks[slot] = HeapAlloc(c->heap, 0, 48)))
            return 1;
    }
    for (int i = 0; i < WALKERS_LIVE; i++)
        if (!HeapFree(c->heap, 0, blocks[i]))
            return 1;
    return 0;
}

static void a_walk_under_heap_lock_sees_every_threads_blocks(void **state)
{
    (void)state;
    churner c = {.heap = create_heap(0, 0, 0)};
    HANDLE threads[WALK_THREADS];
    for (int i = 0; i < WALK_THREADS; i++)
        assert_non_null(threads[i] = CreateThread(NULL, 0, churn_own_blocks, &c, 0, NULL));
    Sleep(100);
    for (int round = 0; round < 50; round++) {
        assert_true(HeapLock(c.heap));
        PROCESS_HEAP_ENTRY entry = {0};
        size_t busy = 0, wrong_size = 0;
        while (HeapWalk(c.heap, &entry))
            if (entry.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
                busy++;
                wrong_size += entry.cbData != 48;
            }
        assert_int_equal(GetLastError(), ERROR_NO_MORE_ITEMS);
        assert_true(HeapValidate(c.heap, 0, NULL));
        assert_true(HeapUnlock(c.heap));
        assert_int_equal(wrong_size, 0);
        assert_true(busy >= WALK_THREADS * (WALKERS_LIVE - 1) &&
                    busy <= WALK_THREADS * WALKERS_LIVE);
        Sleep(1);
    }
    InterlockedExchange(&c.stop, 1);
    join_threads_that_report_no_failure(threads, WALK_THREADS, 30000);
    assert_true(HeapValidate(c.heap, 0, NULL));
    destroy_heap(c.heap);
}

#define THREADS 4
#define ROUNDS 20000

static DWORD WINAPI contend(void *argument)
{
    HANDLE heap = argument;
    DWORD failures = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        char *block = HeapAlloc(heap, 0, 16 + i % 200);
        if (!block) {
            failures++;
            continue;
        }
        block[0] = (char)i;
        if (i % 64 == 0) {
            HeapLock(heap);
            HeapUnlock(heap);
        }
        failures += !HeapFree(heap, 0, block);
    }
    return failures;
}

static void threads_contending_for_one_heap_all_finish(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    HANDLE threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        threads[i] = CreateThread(NULL, 0, contend, heap, 0, NULL);
        assert_non_null(threads[i]);
    }
    join_threads_that_report_no_failure(threads, THREADS, 60000);
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

KM_HEAP_MAIN(cmocka_unit_test(a_thread_waiting_for_a_locked_heap_sleeps_until_the_last_unlock),
             cmocka_unit_test(threads_contending_for_one_heap_all_finish),
             cmocka_unit_test(a_locked_heap_holds_a_thread_that_used_it_much),
             cmocka_unit_test(a_walk_under_heap_lock_sees_every_threads_blocks))
