/* The corners of GlobalReAlloc, LocalReAlloc and GlobalSize where Windows' answers are easy to
 * get wrong: the same requests mean different things to the Global and Local functions, and a
 * request that could lose data fails instead. */
#include "globallocal_test.h"

static void local_realloc_modify_moveable_leaves_a_fixed_block_as_it_is(void **state)
{
    (void)state;
    HLOCAL memory = LocalAlloc(LMEM_FIXED, 10);
    assert_non_null(memory);
    km_reset_last_error();
    assert_ptr_equal(LocalReAlloc(memory, 20, LMEM_MODIFY | LMEM_MOVEABLE), memory);
    assert_ptr_equal(LocalHandle(memory), memory);
    assert_int_equal(LocalFlags(memory), 0);
    assert_null(LocalFree(memory));
}

static void global_realloc_modify_moveable_makes_a_fixed_block_moveable(void **state)
{
    (void)state;
    char *memory = fixed(10);
    memory[0] = 'g';
    HGLOBAL handle = GlobalReAlloc(memory, 0, GMEM_MODIFY | GMEM_MOVEABLE);
    assert_non_null(handle);
    assert_ptr_not_equal(handle, memory);
    assert_ptr_equal(GlobalLock(handle), memory);
    GlobalUnlock(handle);
    free_memory(handle);
}

static void realloc_to_zero_without_moveable_fails_and_keeps_the_data(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    *(char *)GlobalLock(memory) = 'd';
    GlobalUnlock(memory);
    km_reset_last_error();
    assert_null(GlobalReAlloc(memory, 0, 0));
    assert_last_error(ERROR_INVALID_PARAMETER);
    assert_int_equal(GlobalFlags(memory) & GMEM_DISCARDED, 0);
    assert_int_equal(*(char *)GlobalLock(memory), 'd');
    GlobalUnlock(memory);
    free_memory(memory);
}

static void realloc_to_zero_with_moveable_discards(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    assert_ptr_equal(GlobalReAlloc(memory, 0, GMEM_MOVEABLE), memory);
    assert_int_equal(GlobalFlags(memory) & GMEM_DISCARDED, GMEM_DISCARDED);
    free_memory(memory);
}

static void discardable_without_modify_fails_with_invalid_parameter(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    km_reset_last_error();
    assert_null(GlobalReAlloc(memory, 20, GMEM_MOVEABLE | GMEM_DISCARDABLE));
    assert_last_error(ERROR_INVALID_PARAMETER);
    assert_int_equal(GlobalSize(memory), 10);
    free_memory(memory);
}

/* GlobalAlloc gives a fixed block of no bytes one byte; LocalAlloc gives it none. */
static void a_fixed_global_block_of_zero_bytes_has_size_one(void **state)
{
    (void)state;
    HGLOBAL memory = fixed(0);
    assert_int_equal(GlobalSize(memory), 1);
    HLOCAL local = LocalAlloc(LMEM_FIXED, 0);
    assert_non_null(local);
    assert_int_equal(LocalSize(local), 0);
    assert_null(LocalFree(local));
    free_memory(memory);
}

/* An aligned value that is no handle is a fixed pointer to Windows, whatever it points at:
 * GlobalUnlock succeeds and LocalUnlock answers ERROR_NOT_LOCKED, as for a fixed block, and the
 * locks answer the pointer when it can be read, NULL when not, setting no error. */
static void an_aligned_value_that_is_no_handle_is_taken_for_a_pointer(void **state)
{
    (void)state;
    char *block = HeapAlloc(GetProcessHeap(), 0, 64);
    assert_non_null(block);
    char *interior = block + 16;
    char *released = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(released);
    assert_true(VirtualFree(released, 0, MEM_RELEASE));
    km_reset_last_error();
    assert_true(GlobalUnlock(interior));
    assert_true(GlobalUnlock(released));
    assert_last_error(KM_SENTINEL_ERROR);
    assert_false(LocalUnlock(interior));
    assert_last_error(ERROR_NOT_LOCKED);
    km_reset_last_error();
    assert_ptr_equal(GlobalLock(interior), interior);
    assert_ptr_equal(LocalLock(interior), interior);
    assert_null(GlobalLock(released));
    assert_null(LocalLock(released));
    assert_last_error(KM_SENTINEL_ERROR);
    assert_true(HeapFree(GetProcessHeap(), 0, block));
}

KM_GLOBALLOCAL_MAIN(cmocka_unit_test(local_realloc_modify_moveable_leaves_a_fixed_block_as_it_is),
                    cmocka_unit_test(an_aligned_value_that_is_no_handle_is_taken_for_a_pointer),
                    cmocka_unit_test(global_realloc_modify_moveable_makes_a_fixed_block_moveable),
                    cmocka_unit_test(realloc_to_zero_without_moveable_fails_and_keeps_the_data),
                    cmocka_unit_test(realloc_to_zero_with_moveable_discards),
                    cmocka_unit_test(discardable_without_modify_fails_with_invalid_parameter),
                    cmocka_unit_test(a_fixed_global_block_of_zero_bytes_has_size_one))
