/* HeapLock on a heap created HEAP_NO_SERIALIZE locks nothing: its owner serializes it, so another
 * thread's HeapLock and HeapAlloc go ahead while the first thread "holds" it. */
#include "heap_test.h"

typedef struct other_thread {
    HANDLE heap;
    BOOL locked, allocated, unlocked;
} other_thread;

static DWORD WINAPI lock_and_allocate(void *argument)
{
    other_thread *state = argument;
    state->locked = HeapLock(state->heap);
    void *block = HeapAlloc(state->heap, 0, 64);
    state->allocated = block != NULL;
    state->unlocked = HeapUnlock(state->heap);
    return 0;
}

static void another_thread_goes_ahead_while_a_no_serialize_heap_is_locked(void **state)
{
    (void)state;
    HANDLE heap = create_heap(HEAP_NO_SERIALIZE, 0, 0);
    assert_true(HeapLock(heap));
    other_thread other = {.heap = heap};
    HANDLE thread = CreateThread(NULL, 0, lock_and_allocate, &other, 0, NULL);
    assert_non_null(thread);
    assert_int_equal(WaitForSingleObject(thread, 10000), WAIT_OBJECT_0);
    CloseHandle(thread);
    assert_true(other.locked);
    assert_true(other.allocated);
    assert_true(other.unlocked);
    assert_true(HeapUnlock(heap));
    destroy_heap(heap);
}

KM_HEAP_MAIN(cmocka_unit_test(another_thread_goes_ahead_while_a_no_serialize_heap_is_locked))
