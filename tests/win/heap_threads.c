/*
 * The heap lock between threads: a thread that waits for a heap another thread holds locked
 * sleeps instead of spinning, recursion holds, and the holder's last HeapUnlock lets it run.
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
    assert_int_equal(WaitForSingleObject(thread, 10000), WAIT_OBJECT_0);
    DWORD succeeded = 0;
    GetExitCodeThread(thread, &succeeded);
    assert_true(succeeded);
    CloseHandle(thread);
    CloseHandle(run.locked);
    destroy_heap(run.heap);
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
    assert_int_equal(WaitForMultipleObjects(THREADS, threads, TRUE, 60000), WAIT_OBJECT_0);
    for (int i = 0; i < THREADS; i++) {
        DWORD failures = 1;
        GetExitCodeThread(threads[i], &failures);
        assert_int_equal(failures, 0);
        CloseHandle(threads[i]);
    }
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

KM_HEAP_MAIN(cmocka_unit_test(a_thread_waiting_for_a_locked_heap_sleeps_until_the_last_unlock),
             cmocka_unit_test(threads_contending_for_one_heap_all_finish))
