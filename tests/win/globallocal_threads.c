/*
 * Threads that mix the process heap's lock with the Global and Local functions, as real programs
 * do (HeapLock around a HeapWalk while another thread works with moveable memory), and
 * HeapOptimizeResources while a thread holds a heap locked. Each scenario runs on threads of its
 * own and must finish: a deadlock fails the test after a timeout instead of hanging it.
 */
#include "globallocal_test.h"

#define FINISH_TIMEOUT_MS 20000

/* HeapOptimizeResources and its request, which mingw-w64's headers lack (Windows 8.1's SDK). */
#define HEAP_OPTIMIZE_RESOURCES ((HEAP_INFORMATION_CLASS)3)
typedef struct optimize_request {
    DWORD version; /* 1 */
    DWORD flags;
} optimize_request;

typedef struct scenario {
    HANDLE go;       /* set by the lock holder once it holds the lock */
    HGLOBAL first;   /* locked by the lock holder */
    HGLOBAL second;  /* reallocated by the other thread */
    HANDLE heap;     /* the heap the holder locks */
    HANDLE created;  /* what the holder created under its lock */
    BOOL result;
} scenario;

static HANDLE start(LPTHREAD_START_ROUTINE routine, scenario *state)
{
    HANDLE thread = CreateThread(NULL, 0, routine, state, 0, NULL);
    assert_non_null(thread);
    return thread;
}

static void assert_finishes(HANDLE thread)
{
    assert_int_equal(WaitForSingleObject(thread, FINISH_TIMEOUT_MS), WAIT_OBJECT_0);
    CloseHandle(thread);
}

static DWORD WINAPI reallocate_second(void *argument)
{
    scenario *state = argument;
    WaitForSingleObject(state->go, INFINITE);
    /* Waits for the heap lock the holder has, inside GlobalReAlloc. */
    HGLOBAL moved = GlobalReAlloc(state->second, 100000, GMEM_MOVEABLE);
    return moved != NULL;
}

static DWORD WINAPI hold_heap_lock_then_lock_first(void *argument)
{
    scenario *state = argument;
    HANDLE heap = GetProcessHeap();
    HeapLock(heap);
    SetEvent(state->go);
    Sleep(200);
    void *data = GlobalLock(state->first);
    state->result = data != NULL;
    GlobalUnlock(state->first);
    HeapUnlock(heap);
    return 0;
}

static void heap_lock_holder_locks_moveable_memory_while_another_thread_reallocates(void **state)
{
    (void)state;
    scenario run = {.go = CreateEventW(NULL, TRUE, FALSE, NULL),
                    .first = moveable(64),
                    .second = moveable(64)};
    HANDLE reallocator = start(reallocate_second, &run);
    HANDLE holder = start(hold_heap_lock_then_lock_first, &run);
    assert_finishes(holder);
    assert_finishes(reallocator);
    assert_true(run.result);
    free_memory(run.first);
    free_memory(run.second);
    CloseHandle(run.go);
}

static DWORD WINAPI optimize_every_heap(void *argument)
{
    scenario *state = argument;
    WaitForSingleObject(state->go, INFINITE);
    optimize_request request = {1, 0};
    return HeapSetInformation(NULL, HEAP_OPTIMIZE_RESOURCES, &request, sizeof(request));
}

static DWORD WINAPI hold_heap_lock_then_create_and_destroy(void *argument)
{
    scenario *state = argument;
    HeapLock(state->heap);
    SetEvent(state->go);
    Sleep(200);
    state->created = HeapCreate(0, 0, 0);
    state->result = state->created && HeapDestroy(state->created);
    HeapUnlock(state->heap);
    return 0;
}

static void optimize_resources_does_not_wait_for_a_heap_lock_holder_that_creates_heaps(void **state)
{
    (void)state;
    scenario run = {.go = CreateEventW(NULL, TRUE, FALSE, NULL), .heap = HeapCreate(0, 0, 0)};
    assert_non_null(run.heap);
    void *block = HeapAlloc(run.heap, 0, 100);
    HANDLE optimizer = start(optimize_every_heap, &run);
    HANDLE holder = start(hold_heap_lock_then_create_and_destroy, &run);
    assert_finishes(holder);
    assert_finishes(optimizer);
    assert_true(run.result);
    assert_true(HeapFree(run.heap, 0, block));
    assert_true(HeapDestroy(run.heap));
    CloseHandle(run.go);
}

#define RESIZES 20000
#define SMALLEST 16
#define LARGEST 4096

typedef struct race {
    HGLOBAL memory;
    volatile LONG asking; /* the main thread has asked once: the race is on */
    volatile LONG done;
} race;

static DWORD WINAPI resize_repeatedly(void *argument)
{
    race *state = argument;
    /* On a busy machine this thread could otherwise finish before the main one ever asks. */
    while (!state->asking)
        Sleep(0);
    DWORD failures = 0;
    for (unsigned i = 0; i < RESIZES; i++) {
        SIZE_T size = SMALLEST + (i * 2654435761u) % (LARGEST - SMALLEST);
        failures += GlobalReAlloc(state->memory, size, GMEM_MOVEABLE) == NULL;
    }
    InterlockedExchange(&state->done, 1);
    return failures;
}

static void global_size_is_always_a_size_the_block_had(void **state)
{
    (void)state;
    race run = {.memory = moveable(SMALLEST)};
    HANDLE resizer = CreateThread(NULL, 0, resize_repeatedly, &run, 0, NULL);
    assert_non_null(resizer);
    unsigned wrong = 0, asked = 0;
    while (!run.done) {
        SIZE_T size = GlobalSize(run.memory);
        wrong += size < SMALLEST || size > LARGEST;
        asked++;
        InterlockedExchange(&run.asking, 1);
    }
    assert_int_equal(WaitForSingleObject(resizer, FINISH_TIMEOUT_MS), WAIT_OBJECT_0);
    DWORD failures = 1;
    GetExitCodeThread(resizer, &failures);
    CloseHandle(resizer);
    assert_int_equal(failures, 0);
    assert_true(asked > 0);
    assert_int_equal(wrong, 0);
    free_memory(run.memory);
}

KM_GLOBALLOCAL_MAIN(
    cmocka_unit_test(heap_lock_holder_locks_moveable_memory_while_another_thread_reallocates),
    cmocka_unit_test(optimize_resources_does_not_wait_for_a_heap_lock_holder_that_creates_heaps),
    cmocka_unit_test(global_size_is_always_a_size_the_block_had))
