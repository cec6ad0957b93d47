/* LocalAlloc and friends on their own terms, and handles across the lifetime of a block. */
#include "globallocal_test.h"

static void local_fixed_memory_is_a_pointer(void **state)
{
    (void)state;
    char *memory = LocalAlloc(LMEM_FIXED | LMEM_ZEROINIT, 32);
    assert_non_null(memory);
    assert_int_equal(memory[31], 0);
    assert_ptr_equal(LocalLock(memory), memory);
    assert_ptr_equal(LocalHandle(memory), memory);
    assert_int_equal(LocalFlags(memory), 0);
    assert_null(LocalFree(memory));
}

static void local_moveable_memory_locks_and_unlocks(void **state)
{
    (void)state;
    HLOCAL memory = LocalAlloc(LMEM_MOVEABLE, 32);
    assert_non_null(memory);
    void *data = LocalLock(memory);
    assert_non_null(data);
    assert_ptr_equal(LocalHandle(data), memory);
    assert_int_equal(LocalFlags(memory) & LMEM_LOCKCOUNT, 1);
    km_reset_last_error();
    assert_false(LocalUnlock(memory));
    assert_last_error(NO_ERROR);
    assert_null(LocalFree(memory));
}

static void local_flags_of_garbage_is_invalid_handle(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_int_equal(LocalFlags((HLOCAL)(ULONG_PTR)0x12345), LMEM_INVALID_HANDLE);
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void local_size_and_lock_of_garbage_fail_with_invalid_handle(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_int_equal(LocalSize((HLOCAL)(ULONG_PTR)0x12345), 0);
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_null(LocalLock((HLOCAL)(ULONG_PTR)0x12345));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void flags_return_to_zero_after_the_last_unlock(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    GlobalLock(memory);
    GlobalLock(memory);
    GlobalUnlock(memory);
    GlobalUnlock(memory);
    assert_int_equal(GlobalFlags(memory), 0);
    free_memory(memory);
}

static void ddeshare_survives_reallocation(void **state)
{
    (void)state;
    HGLOBAL memory = GlobalAlloc(GMEM_MOVEABLE | GMEM_DDESHARE, 10);
    assert_ptr_equal(GlobalReAlloc(memory, 5000, GMEM_MOVEABLE), memory);
    assert_int_equal(GlobalFlags(memory), GMEM_DDESHARE);
    free_memory(memory);
}

static void a_discarded_block_comes_back_zeroed_when_asked(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(0);
    assert_ptr_equal(GlobalReAlloc(memory, 300, GMEM_ZEROINIT), memory);
    char *data = GlobalLock(memory);
    for (int i = 0; i < 300; i++)
        assert_int_equal(data[i], 0);
    GlobalUnlock(memory);
    free_memory(memory);
}

static void shrinking_a_moveable_block_keeps_handle_and_contents(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(1000);
    memset(GlobalLock(memory), 0x77, 1000);
    GlobalUnlock(memory);
    assert_ptr_equal(GlobalReAlloc(memory, 100, GMEM_MOVEABLE), memory);
    assert_int_equal(GlobalSize(memory), 100);
    char *data = GlobalLock(memory);
    for (int i = 0; i < 100; i++)
        assert_int_equal(data[i], 0x77);
    GlobalUnlock(memory);
    free_memory(memory);
}

static void the_data_of_a_freed_block_has_no_handle(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(64);
    void *data = GlobalLock(memory);
    GlobalUnlock(memory);
    free_memory(memory);
    km_reset_last_error();
    assert_null(GlobalHandle(data));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void a_locked_block_stays_put_while_others_come_and_go(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(100);
    char *data = GlobalLock(memory);
    memset(data, 0x12, 100);
    HGLOBAL others[64];
    for (int i = 0; i < 64; i++)
        others[i] = moveable(5000);
    for (int i = 0; i < 64; i++)
        free_memory(others[i]);
    assert_ptr_equal(GlobalLock(memory), data);
    for (int i = 0; i < 100; i++)
        assert_int_equal(data[i], 0x12);
    free_memory(memory);
}

static void handles_are_not_heap_pointers(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(16);
    km_reset_last_error();
    assert_int_equal(HeapSize(GetProcessHeap(), 0, memory), (SIZE_T)-1);
    assert_true(HeapValidate(GetProcessHeap(), 0, NULL));
    free_memory(memory);
}

KM_GLOBALLOCAL_MAIN(cmocka_unit_test(local_fixed_memory_is_a_pointer),
                    cmocka_unit_test(local_moveable_memory_locks_and_unlocks),
                    cmocka_unit_test(local_flags_of_garbage_is_invalid_handle),
                    cmocka_unit_test(local_size_and_lock_of_garbage_fail_with_invalid_handle),
                    cmocka_unit_test(flags_return_to_zero_after_the_last_unlock),
                    cmocka_unit_test(ddeshare_survives_reallocation),
                    cmocka_unit_test(a_discarded_block_comes_back_zeroed_when_asked),
                    cmocka_unit_test(shrinking_a_moveable_block_keeps_handle_and_contents),
                    cmocka_unit_test(the_data_of_a_freed_block_has_no_handle),
                    cmocka_unit_test(a_locked_block_stays_put_while_others_come_and_go),
                    cmocka_unit_test(handles_are_not_heap_pointers))
