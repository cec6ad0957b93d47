/* GlobalAlloc/LocalAlloc, locking, sizes, flags and handles on good input. */
#include "globallocal_test.h"

static void fixed_memory_is_a_usable_pointer(void **state)
{
    (void)state;
    char *memory = fixed(100);
    memset(memory, 0x11, 100);
    assert_int_equal(GlobalSize(memory), 100);
    assert_ptr_equal(GlobalLock(memory), memory);
    free_memory(memory);
}

static void moveable_memory_is_a_handle_to_its_data(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(100);
    char *data = GlobalLock(memory);
    assert_non_null(data);
    assert_ptr_not_equal(data, memory);
    /* The handle points at the data pointer, which old programs read directly. */
    assert_ptr_equal(*(void **)memory, data);
    memset(data, 0x22, 100);
    assert_int_equal(GlobalSize(memory), 100);
    GlobalUnlock(memory);
    free_memory(memory);
}

static void zero_init_returns_zeroed_memory(void **state)
{
    (void)state;
    char *block = GlobalAlloc(GMEM_FIXED | GMEM_ZEROINIT, 256);
    assert_non_null(block);
    for (int i = 0; i < 256; i++)
        assert_int_equal(block[i], 0);
    HGLOBAL memory = GlobalAlloc(GMEM_MOVEABLE | GMEM_ZEROINIT, 256);
    char *data = GlobalLock(memory);
    for (int i = 0; i < 256; i++)
        assert_int_equal(data[i], 0);
    GlobalUnlock(memory);
    free_memory(block);
    free_memory(memory);
}

static void fixed_memory_of_zero_bytes_is_a_real_block(void **state)
{
    (void)state;
    void *memory = fixed(0);
    assert_int_equal(GlobalFlags(memory), 0);
    assert_ptr_equal(GlobalLock(memory), memory);
    free_memory(memory);
}

static void moveable_memory_of_zero_bytes_is_discarded(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(0);
    assert_int_equal(GlobalFlags(memory), GMEM_DISCARDED);
    km_reset_last_error();
    assert_null(GlobalLock(memory));
    assert_last_error(ERROR_DISCARDED);
    km_reset_last_error();
    assert_int_equal(GlobalSize(memory), 0);
    assert_last_error(KM_SENTINEL_ERROR);
    free_memory(memory);
}

static void lock_counts_up_and_unlock_counts_down(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    void *data = GlobalLock(memory);
    assert_ptr_equal(GlobalLock(memory), data);
    assert_int_equal(GlobalFlags(memory) & GMEM_LOCKCOUNT, 2);
    km_reset_last_error();
    assert_true(GlobalUnlock(memory));
    assert_last_error(KM_SENTINEL_ERROR);
    assert_int_equal(GlobalFlags(memory) & GMEM_LOCKCOUNT, 1);
    free_memory(memory);
}

static void unlock_to_zero_answers_false_with_no_error(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    GlobalLock(memory);
    km_reset_last_error();
    assert_false(GlobalUnlock(memory));
    assert_last_error(NO_ERROR);
    free_memory(memory);
}

static void unlock_of_an_unlocked_block_fails_with_not_locked(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    km_reset_last_error();
    assert_false(GlobalUnlock(memory));
    assert_last_error(ERROR_NOT_LOCKED);
    km_reset_last_error();
    assert_false(LocalUnlock(memory));
    assert_last_error(ERROR_NOT_LOCKED);
    free_memory(memory);
}

static void unlock_of_fixed_memory_differs_between_global_and_local(void **state)
{
    (void)state;
    void *memory = fixed(10);
    km_reset_last_error();
    assert_true(GlobalUnlock(memory));
    assert_last_error(KM_SENTINEL_ERROR);
    km_reset_last_error();
    assert_false(LocalUnlock(memory));
    assert_last_error(ERROR_NOT_LOCKED);
    free_memory(memory);
}

static void lock_count_saturates_at_255(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    for (int i = 0; i < 300; i++)
        assert_non_null(GlobalLock(memory));
    assert_int_equal(GlobalFlags(memory) & GMEM_LOCKCOUNT, 255);
    assert_true(GlobalUnlock(memory));
    assert_int_equal(GlobalFlags(memory) & GMEM_LOCKCOUNT, 254);
    free_memory(memory);
}

static void flags_report_discardable_and_ddeshare(void **state)
{
    (void)state;
    HGLOBAL memory = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE | GMEM_DDESHARE, 10);
    assert_non_null(memory);
    assert_int_equal(GlobalFlags(memory), GMEM_DISCARDABLE | GMEM_DDESHARE);
    assert_int_equal(LocalFlags(memory), LMEM_DISCARDABLE | GMEM_DDESHARE);
    free_memory(memory);
}

static void flags_of_fixed_memory_are_zero(void **state)
{
    (void)state;
    void *memory = fixed(10);
    km_reset_last_error();
    assert_int_equal(GlobalFlags(memory), 0);
    assert_last_error(KM_SENTINEL_ERROR);
    free_memory(memory);
}

static void global_handle_maps_data_back_to_its_handle(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(64);
    void *data = GlobalLock(memory);
    assert_ptr_equal(GlobalHandle(data), memory);
    assert_ptr_equal(LocalHandle(data), memory);
    GlobalUnlock(memory);
    void *block = fixed(64);
    assert_ptr_equal(GlobalHandle(block), block);
    free_memory(memory);
    free_memory(block);
}

static void global_handle_of_a_handle_or_interior_pointer_fails_with_invalid_handle(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(64);
    char *data = GlobalLock(memory);
    km_reset_last_error();
    assert_null(GlobalHandle(memory));
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_null(GlobalHandle(data + 1));
    assert_last_error(ERROR_INVALID_HANDLE);
    GlobalUnlock(memory);
    free_memory(memory);
}

static void global_handle_of_null_fails_with_invalid_parameter(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(GlobalHandle(NULL));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void free_of_a_locked_block_succeeds(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    GlobalLock(memory);
    free_memory(memory);
}

static void free_of_null_succeeds(void **state)
{
    (void)state;
    free_memory(NULL);
    km_reset_last_error();
    assert_null(LocalFree(NULL));
    assert_last_error(KM_SENTINEL_ERROR);
}

/* Windows' fixed Global memory is process-heap memory: each family frees the other's. */
static void fixed_memory_and_process_heap_blocks_are_interchangeable(void **state)
{
    (void)state;
    void *from_global = fixed(32);
    km_reset_last_error();
    assert_true(HeapFree(GetProcessHeap(), 0, from_global));
    void *from_heap = HeapAlloc(GetProcessHeap(), 0, 32);
    assert_non_null(from_heap);
    assert_int_equal(GlobalSize(from_heap), 32);
    free_memory(from_heap);
}

/* A moveable block's data is a block of the process heap too: the heap sizes and validates it. */
static void moveable_data_is_a_process_heap_block(void **state)
{
    (void)state;
    HGLOBAL handle = GlobalAlloc(GMEM_MOVEABLE, 100);
    assert_non_null(handle);
    void *data = GlobalLock(handle);
    assert_non_null(data);
    assert_int_equal(HeapSize(GetProcessHeap(), 0, data), 100);
    assert_true(HeapValidate(GetProcessHeap(), 0, data));
    assert_true(GlobalUnlock(handle) == FALSE);
    assert_non_null(GlobalReAlloc(handle, 5000, GMEM_MOVEABLE));
    data = GlobalLock(handle);
    assert_int_equal(HeapSize(GetProcessHeap(), 0, data), 5000);
    assert_ptr_equal(GlobalHandle(data), handle);
    GlobalUnlock(handle);
    assert_null(GlobalFree(handle));
}

/* The handle points at its entry's data pointer, and the word before it holds Windows' flags
 * (1 in use, 2 moveable, 4 discardable, 8 discarded, 0x8000 DDE-share) and the lock count after
 * them, which old programs read directly. */
static void a_handle_entry_is_laid_out_as_on_windows(void **state)
{
    (void)state;
    HGLOBAL handle = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE | GMEM_DDESHARE, 10);
    assert_non_null(handle);
    const unsigned char *entry = (const unsigned char *)handle - sizeof(void *);
    void *data = GlobalLock(handle);
    assert_ptr_equal(*(void *const *)handle, data);
    WORD flags = *(const WORD *)entry;
    assert_int_equal(flags, 0x8000 | 4 | 2 | 1);
    assert_int_equal(entry[2], 1); /* the lock count */
    GlobalUnlock(handle);
    assert_non_null(GlobalReAlloc(handle, 0, GMEM_MOVEABLE));
    assert_int_equal(*(const WORD *)entry & 0xf, 8 | 4 | 2 | 1);
    assert_null(*(void *const *)handle);
    assert_null(GlobalFree(handle));
}

static void global_and_local_handles_are_interchangeable(void **state)
{
    (void)state;
    HLOCAL local = LocalAlloc(LMEM_MOVEABLE, 40);
    assert_non_null(local);
    void *data = GlobalLock(local);
    assert_ptr_equal(LocalLock(local), data);
    assert_int_equal(LocalSize(local), 40);
    assert_int_equal(GlobalSize(local), 40);
    assert_int_equal(GlobalFlags(local) & GMEM_LOCKCOUNT, 2);
    km_reset_last_error();
    assert_null(GlobalFree(local));
    assert_last_error(KM_SENTINEL_ERROR);
}

static void fix_wire_and_their_undo_lock_and_unlock(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(10);
    GlobalFix(memory);
    assert_non_null(GlobalWire(memory));
    assert_int_equal(GlobalFlags(memory) & GMEM_LOCKCOUNT, 2);
    assert_true(GlobalUnWire(memory));
    GlobalUnfix(memory);
    assert_int_equal(GlobalFlags(memory) & GMEM_LOCKCOUNT, 0);
    free_memory(memory);
}

static void unknown_flags_are_ignored(void **state)
{
    (void)state;
    HGLOBAL memory = GlobalAlloc(0xffff0000u, 10);
    assert_non_null(memory);
    free_memory(memory);
}

static void compact_and_shrink_answer_without_failing(void **state)
{
    (void)state;
    km_reset_last_error();
    GlobalCompact(0);
    LocalCompact(0);
    LocalShrink(NULL, 0);
    assert_last_error(KM_SENTINEL_ERROR);
}

static void many_moveable_blocks_keep_their_contents(void **state)
{
    (void)state;
    enum { COUNT = 500 };
    HGLOBAL blocks[COUNT];
    for (int i = 0; i < COUNT; i++) {
        blocks[i] = moveable(1 + (SIZE_T)i * 7);
        memset(GlobalLock(blocks[i]), i & 0xff, 1 + (SIZE_T)i * 7);
        GlobalUnlock(blocks[i]);
    }
    for (int i = 0; i < COUNT; i++) {
        unsigned char *data = GlobalLock(blocks[i]);
        for (SIZE_T b = 0; b < 1 + (SIZE_T)i * 7; b++)
            if (data[b] != (unsigned char)(i & 0xff))
                fail_msg("block %d damaged at %Iu", i, b);
        GlobalUnlock(blocks[i]);
        free_memory(blocks[i]);
    }
    assert_true(HeapValidate(GetProcessHeap(), 0, NULL));
}

KM_GLOBALLOCAL_MAIN(cmocka_unit_test(fixed_memory_is_a_usable_pointer),
                    cmocka_unit_test(moveable_memory_is_a_handle_to_its_data),
                    cmocka_unit_test(zero_init_returns_zeroed_memory),
                    cmocka_unit_test(fixed_memory_of_zero_bytes_is_a_real_block),
                    cmocka_unit_test(moveable_memory_of_zero_bytes_is_discarded),
                    cmocka_unit_test(lock_counts_up_and_unlock_counts_down),
                    cmocka_unit_test(unlock_to_zero_answers_false_with_no_error),
                    cmocka_unit_test(unlock_of_an_unlocked_block_fails_with_not_locked),
                    cmocka_unit_test(unlock_of_fixed_memory_differs_between_global_and_local),
                    cmocka_unit_test(lock_count_saturates_at_255),
                    cmocka_unit_test(flags_report_discardable_and_ddeshare),
                    cmocka_unit_test(flags_of_fixed_memory_are_zero),
                    cmocka_unit_test(global_handle_maps_data_back_to_its_handle),
                    cmocka_unit_test(global_handle_of_a_handle_or_interior_pointer_fails_with_invalid_handle),
                    cmocka_unit_test(global_handle_of_null_fails_with_invalid_parameter),
                    cmocka_unit_test(free_of_a_locked_block_succeeds),
                    cmocka_unit_test(free_of_null_succeeds),
                    cmocka_unit_test(fixed_memory_and_process_heap_blocks_are_interchangeable),
                    cmocka_unit_test(moveable_data_is_a_process_heap_block),
                    cmocka_unit_test(a_handle_entry_is_laid_out_as_on_windows),
                    cmocka_unit_test(global_and_local_handles_are_interchangeable),
                    cmocka_unit_test(fix_wire_and_their_undo_lock_and_unlock),
                    cmocka_unit_test(unknown_flags_are_ignored),
                    cmocka_unit_test(compact_and_shrink_answer_without_failing),
                    cmocka_unit_test(many_moveable_blocks_keep_their_contents))
