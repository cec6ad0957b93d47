/* GlobalReAlloc/LocalReAlloc, discarding, and bad input to the whole family. */
#include "globallocal_test.h"

static void realloc_of_moveable_memory_keeps_the_handle_and_the_contents(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(16);
    memset(GlobalLock(memory), 0x44, 16);
    GlobalUnlock(memory);
    assert_ptr_equal(GlobalReAlloc(memory, 100000, 0), memory);
    assert_int_equal(GlobalSize(memory), 100000);
    char *data = GlobalLock(memory);
    for (int i = 0; i < 16; i++)
        assert_int_equal(data[i], 0x44);
    assert_ptr_equal(*(void **)memory, data);
    GlobalUnlock(memory);
    free_memory(memory);
}

static void realloc_with_zero_init_zeroes_the_growth(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(64);
    memset(GlobalLock(memory), 0x55, 64);
    GlobalUnlock(memory);
    assert_ptr_equal(GlobalReAlloc(memory, 128, GMEM_ZEROINIT | GMEM_MOVEABLE), memory);
    char *data = GlobalLock(memory);
    for (int i = 64; i < 128; i++)
        assert_int_equal(data[i], 0);
    GlobalUnlock(memory);
    free_memory(memory);
}

static void realloc_to_zero_discards_a_moveable_block(void **state)
{
    (void)state;
    HGLOBAL memory = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE, 10);
    assert_ptr_equal(GlobalReAlloc(memory, 0, GMEM_MOVEABLE), memory);
    assert_int_equal(GlobalFlags(memory), GMEM_DISCARDABLE | GMEM_DISCARDED);
    assert_int_equal(LocalFlags(memory), LMEM_DISCARDABLE | LMEM_DISCARDED);
    assert_int_equal(GlobalSize(memory), 0);
    km_reset_last_error();
    assert_null(GlobalLock(memory));
    assert_last_error(ERROR_DISCARDED);
    free_memory(memory);
}

static void realloc_of_a_discarded_block_brings_it_back(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(0);
    assert_ptr_equal(GlobalReAlloc(memory, 10, 0), memory);
    assert_int_equal(GlobalSize(memory), 10);
    assert_int_equal(GlobalFlags(memory), 0);
    assert_non_null(GlobalLock(memory));
    GlobalUnlock(memory);
    free_memory(memory);
}

static void realloc_to_zero_of_a_locked_block_fails(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    GlobalLock(memory);
    assert_null(GlobalReAlloc(memory, 0, GMEM_MOVEABLE));
    assert_int_equal(GlobalSize(memory), 10);
    free_memory(memory);
}

static void realloc_of_a_locked_block_moves_only_when_allowed(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    void *data = GlobalLock(memory);
    km_reset_last_error();
    assert_null(GlobalReAlloc(memory, 100000, 0));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    assert_ptr_equal(*(void **)memory, data);
    assert_ptr_equal(GlobalReAlloc(memory, 100000, GMEM_MOVEABLE), memory);
    assert_int_equal(GlobalSize(memory), 100000);
    free_memory(memory);
}

static void realloc_of_fixed_memory_moves_only_when_allowed(void **state)
{
    (void)state;
    char *memory = fixed(10);
    memset(memory, 0x66, 10);
    km_reset_last_error();
    assert_null(GlobalReAlloc(memory, 100000, 0));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    char *moved = GlobalReAlloc(memory, 100000, GMEM_MOVEABLE);
    assert_non_null(moved);
    for (int i = 0; i < 10; i++)
        assert_int_equal(moved[i], 0x66);
    assert_int_equal(GlobalSize(moved), 100000);
    free_memory(moved);
}

static void realloc_shrinking_fixed_memory_keeps_its_address(void **state)
{
    (void)state;
    void *memory = fixed(100);
    assert_ptr_equal(GlobalReAlloc(memory, 50, 0), memory);
    assert_int_equal(GlobalSize(memory), 50);
    free_memory(memory);
}

static void realloc_with_modify_makes_a_block_discardable(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(16);
    assert_ptr_equal(GlobalReAlloc(memory, 0, GMEM_MODIFY | GMEM_DISCARDABLE), memory);
    assert_int_equal(GlobalFlags(memory), GMEM_DISCARDABLE);
    assert_int_equal(GlobalSize(memory), 16);
    /* GMEM_MODIFY without GMEM_DISCARDABLE leaves the attribute as it is. */
    assert_ptr_equal(GlobalReAlloc(memory, 0, GMEM_MODIFY), memory);
    assert_int_equal(GlobalFlags(memory), GMEM_DISCARDABLE);
    free_memory(memory);
}

static void modify_moveable_turns_fixed_memory_moveable_where_it_lies(void **state)
{
    (void)state;
    char *memory = fixed(10);
    strcpy(memory, "abc");
    HGLOBAL handle = GlobalReAlloc(memory, 0, GMEM_MODIFY | GMEM_MOVEABLE);
    assert_non_null(handle);
    assert_ptr_not_equal(handle, memory);
    assert_int_equal(GlobalFlags(handle), 0);
    assert_int_equal(GlobalSize(handle), 10);
    char *data = GlobalLock(handle);
    assert_ptr_equal(data, memory);
    assert_string_equal(data, "abc");
    assert_ptr_equal(GlobalHandle(data), handle);
    GlobalUnlock(handle);
    assert_ptr_equal(GlobalReAlloc(handle, 5000, GMEM_MOVEABLE), handle);
    assert_string_equal(GlobalLock(handle), "abc");
    GlobalUnlock(handle);
    free_memory(handle);
}

static void local_realloc_is_global_realloc(void **state)
{
    (void)state;
    HLOCAL memory = LocalAlloc(LMEM_MOVEABLE, 8);
    assert_ptr_equal(LocalReAlloc(memory, 800, LMEM_MOVEABLE), memory);
    assert_int_equal(LocalSize(memory), 800);
    assert_null(LocalFree(memory));
}

static void realloc_of_null_or_garbage_fails_with_invalid_handle(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(GlobalReAlloc(NULL, 10, 0));
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_null(GlobalReAlloc((HGLOBAL)(ULONG_PTR)0x12345, 10, 0));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void absurd_sizes_fail_with_not_enough_memory(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(GlobalAlloc(GMEM_FIXED, (SIZE_T)-1));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    km_reset_last_error();
    assert_null(GlobalAlloc(GMEM_MOVEABLE, (SIZE_T)-1));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    HGLOBAL memory = moveable(10);
    km_reset_last_error();
    assert_null(GlobalReAlloc(memory, (SIZE_T)-1, GMEM_MOVEABLE));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    assert_int_equal(GlobalSize(memory), 10);
    free_memory(memory);
}

static void garbage_handles_are_refused_with_invalid_handle(void **state)
{
    (void)state;
    HGLOBAL garbage = (HGLOBAL)(ULONG_PTR)0x12345;
    km_reset_last_error();
    assert_int_equal(GlobalFlags(garbage), GMEM_INVALID_HANDLE);
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_null(GlobalLock(garbage));
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_int_equal(GlobalSize(garbage), 0);
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_ptr_equal(GlobalFree(garbage), garbage);
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void freed_handles_are_refused_with_invalid_handle(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    free_memory(memory);
    km_reset_last_error();
    assert_ptr_equal(GlobalFree(memory), memory);
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_int_equal(GlobalFlags(memory), GMEM_INVALID_HANDLE);
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_null(GlobalLock(memory));
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_ptr_equal(LocalFree(memory), memory);
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void null_handles_answer_as_windows_does(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(GlobalLock(NULL));
    assert_last_error(KM_SENTINEL_ERROR);
    km_reset_last_error();
    assert_false(GlobalUnlock(NULL));
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_int_equal(GlobalSize(NULL), 0);
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_false(GlobalUnWire(NULL));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void pointers_into_the_middle_of_a_block_are_refused(void **state)
{
    (void)state;
    char *memory = fixed(64);
    km_reset_last_error();
    assert_int_equal(GlobalSize(memory + 16), 0);
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_ptr_equal(GlobalFree(memory + 16), memory + 16);
    assert_last_error(ERROR_INVALID_HANDLE);
    assert_int_equal(GlobalSize(memory), 64);
    free_memory(memory);
    assert_true(HeapValidate(GetProcessHeap(), 0, NULL));
}

static void the_handle_table_runs_out_cleanly_and_everything_frees(void **state)
{
    (void)state;
    enum { LIMIT = 1 << 20 };
    HGLOBAL *handles = malloc(LIMIT * sizeof *handles);
    assert_non_null(handles);
    size_t count = 0;
    km_reset_last_error();
    while (count < LIMIT && (handles[count] = GlobalAlloc(GMEM_MOVEABLE, 0)) != NULL)
        count++;
    assert_true(count < LIMIT);
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    for (size_t i = 0; i < count; i++)
        if (GlobalFree(handles[i]))
            fail_msg("handle %Iu of %Iu did not free", i, count);
    free(handles);
    HGLOBAL again = moveable(10);
    free_memory(again);
    assert_true(HeapValidate(GetProcessHeap(), 0, NULL));
}

KM_GLOBALLOCAL_MAIN(cmocka_unit_test(realloc_of_moveable_memory_keeps_the_handle_and_the_contents),
                    cmocka_unit_test(realloc_with_zero_init_zeroes_the_growth),
                    cmocka_unit_test(realloc_to_zero_discards_a_moveable_block),
                    cmocka_unit_test(realloc_of_a_discarded_block_brings_it_back),
                    cmocka_unit_test(realloc_to_zero_of_a_locked_block_fails),
                    cmocka_unit_test(realloc_of_a_locked_block_moves_only_when_allowed),
                    cmocka_unit_test(realloc_of_fixed_memory_moves_only_when_allowed),
                    cmocka_unit_test(realloc_shrinking_fixed_memory_keeps_its_address),
                    cmocka_unit_test(realloc_with_modify_makes_a_block_discardable),
                    cmocka_unit_test(modify_moveable_turns_fixed_memory_moveable_where_it_lies),
                    cmocka_unit_test(local_realloc_is_global_realloc),
                    cmocka_unit_test(realloc_of_null_or_garbage_fails_with_invalid_handle),
                    cmocka_unit_test(absurd_sizes_fail_with_not_enough_memory),
                    cmocka_unit_test(garbage_handles_are_refused_with_invalid_handle),
                    cmocka_unit_test(freed_handles_are_refused_with_invalid_handle),
                    cmocka_unit_test(null_handles_answer_as_windows_does),
                    cmocka_unit_test(pointers_into_the_middle_of_a_block_are_refused),
                    cmocka_unit_test(the_handle_table_runs_out_cleanly_and_everything_frees))
