/* HeapReAlloc: growing, shrinking, zeroing, in-place only, and what it refuses. */
#include "heap_test.h"

static void realloc_grow_keeps_the_contents(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, 0, 10);
    memset(block, 0x42, 10);
    static const SIZE_T sizes[] = {11, 64, 1000, 20000, 100000, 700000, HUGE_BLOCK};
    for (size_t i = 0; i < KM_ARRAY_SIZE(sizes); i++) {
        km_reset_last_error();
        block = HeapReAlloc(heap, 0, block, sizes[i]);
        assert_non_null(block);
        assert_last_error(KM_SENTINEL_ERROR);
        assert_int_equal(HeapSize(heap, 0, block), sizes[i]);
        assert_true(is_filled_with(block, 0x42, 10));
    }
    assert_true(HeapFree(heap, 0, block));
    destroy_heap(heap);
}

static void realloc_shrink_keeps_the_block_in_place(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    static const SIZE_T sizes[] = {100, 5000, 100000};
    for (size_t i = 0; i < KM_ARRAY_SIZE(sizes); i++) {
        char *block = alloc_block(heap, 0, sizes[i]);
        memset(block, 0x17, sizes[i]);
        char *shrunk = HeapReAlloc(heap, 0, block, sizes[i] / 2);
        assert_ptr_equal(shrunk, block);
        assert_int_equal(HeapSize(heap, 0, shrunk), sizes[i] / 2);
        assert_true(is_filled_with(shrunk, 0x17, sizes[i] / 2));
    }
    destroy_heap(heap);
}

static void realloc_with_zero_memory_zeroes_only_the_grown_part(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    static const SIZE_T sizes[] = {20, 24, 3000, 90000, 800000};
    char *block = alloc_block(heap, 0, 16);
    memset(block, 0x7f, 16);
    SIZE_T previous = 16;
    for (size_t i = 0; i < KM_ARRAY_SIZE(sizes); i++) {
        block = HeapReAlloc(heap, HEAP_ZERO_MEMORY, block, sizes[i]);
        assert_non_null(block);
        assert_true(is_filled_with(block, 0x7f, 16));
        assert_true(is_filled_with(block + 16, 0, sizes[i] - 16));
        previous = sizes[i];
    }
    (void)previous;
    destroy_heap(heap);
}

static void realloc_shrink_then_grow_with_zero_memory_zeroes_the_old_tail(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, 0, 100);
    memset(block, 0x55, 100);
    block = HeapReAlloc(heap, 0, block, 40);
    assert_non_null(block);
    block = HeapReAlloc(heap, HEAP_ZERO_MEMORY, block, 100);
    assert_non_null(block);
    assert_true(is_filled_with(block, 0x55, 40));
    assert_true(is_filled_with(block + 40, 0, 60));
    destroy_heap(heap);
}

static void realloc_to_zero_bytes_returns_a_block_of_size_zero(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *block = alloc_block(heap, 0, 50);
    void *empty = HeapReAlloc(heap, 0, block, 0);
    assert_non_null(empty);
    assert_int_equal(HeapSize(heap, 0, empty), 0);
    assert_true(HeapFree(heap, 0, empty));
    destroy_heap(heap);
}

static void realloc_of_null_returns_null_without_touching_last_error(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    km_reset_last_error();
    assert_null(HeapReAlloc(heap, 0, NULL, 10));
    assert_last_error(KM_SENTINEL_ERROR);
    destroy_heap(heap);
}

static void realloc_in_place_only_shrinks_in_place(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *block = alloc_block(heap, 0, 300);
    assert_ptr_equal(HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, block, 100), block);
    assert_int_equal(HeapSize(heap, 0, block), 100);
    destroy_heap(heap);
}

/* Whether a block can grow where it is depends on its neighbours; either way the block must
 * not move, and a refusal says ERROR_NOT_ENOUGH_MEMORY and leaves the block as it was. */
static void realloc_in_place_only_growth_never_moves_the_block(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, 0, 40);
    void *neighbour = alloc_block(heap, 0, 40);
    memset(block, 0x3c, 40);
    km_reset_last_error();
    void *grown = HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, block, 1 << 20);
    if (grown) {
        assert_ptr_equal(grown, block);
        assert_int_equal(HeapSize(heap, 0, block), 1 << 20);
    } else {
        assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
        assert_int_equal(HeapSize(heap, 0, block), 40);
    }
    assert_true(is_filled_with(block, 0x3c, 40));
    assert_true(HeapFree(heap, 0, neighbour));
    destroy_heap(heap);
}

static void realloc_to_an_absurd_size_fails_and_keeps_the_block(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, 0, 64);
    memset(block, 0x21, 64);
    static const SIZE_T sizes[] = {(SIZE_T)-1, (SIZE_T)-64, (SIZE_T)-1 / 2 + 1};
    for (size_t i = 0; i < KM_ARRAY_SIZE(sizes); i++) {
        km_reset_last_error();
        assert_null(HeapReAlloc(heap, 0, block, sizes[i]));
        assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    }
    assert_int_equal(HeapSize(heap, 0, block), 64);
    assert_true(is_filled_with(block, 0x21, 64));
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

static void realloc_of_an_interior_pointer_fails_with_invalid_parameter(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, 0, 256);
    km_reset_last_error();
    assert_null(HeapReAlloc(heap, 0, block + 64, 10));
    assert_last_error(ERROR_INVALID_PARAMETER);
    assert_int_equal(HeapSize(heap, 0, block), 256);
    destroy_heap(heap);
}

static void realloc_of_a_freed_block_fails_with_invalid_parameter(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *keep = alloc_block(heap, 0, 32);
    void *block = alloc_block(heap, 0, 32);
    assert_true(HeapFree(heap, 0, block));
    km_reset_last_error();
    assert_null(HeapReAlloc(heap, 0, block, 64));
    assert_last_error(ERROR_INVALID_PARAMETER);
    assert_true(HeapValidate(heap, 0, keep));
    destroy_heap(heap);
}

static void realloc_of_a_huge_block_grows_and_shrinks(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, 0, HUGE_BLOCK);
    memset(block, 0x66, HUGE_BLOCK);
    block = HeapReAlloc(heap, 0, block, 2 * HUGE_BLOCK);
    assert_non_null(block);
    assert_true(is_filled_with(block, 0x66, HUGE_BLOCK));
    block = HeapReAlloc(heap, 0, block, 1000);
    assert_non_null(block);
    assert_int_equal(HeapSize(heap, 0, block), 1000);
    assert_true(is_filled_with(block, 0x66, 1000));
    destroy_heap(heap);
}

static void *realloc_call(HANDLE heap, SIZE_T size)
{
    void *block = HeapAlloc(heap, 0, 16);
    return HeapReAlloc(heap, HEAP_GENERATE_EXCEPTIONS, block, size);
}

static void realloc_with_generate_exceptions_raises_status_no_memory(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    assert_int_equal(km_exception_raised_by(realloc_call, heap, (SIZE_T)-64), STATUS_NO_MEMORY);
    destroy_heap(heap);
}

static void realloc_on_a_null_heap_fails_with_invalid_handle(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *block = alloc_block(heap, 0, 16);
    km_reset_last_error();
    assert_null(HeapReAlloc(NULL, 0, block, 32));
    assert_last_error(ERROR_INVALID_HANDLE);
    destroy_heap(heap);
}

static void realloc_through_every_size_keeps_the_first_bytes(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    unsigned char *block = alloc_block(heap, 0, 1);
    block[0] = 0x99;
    for (SIZE_T size = 2; size < 2000000; size = size * 5 / 4 + 1) {
        block = HeapReAlloc(heap, 0, block, size);
        assert_non_null(block);
        assert_int_equal(block[0], 0x99);
        block[size - 1] = 0x77;
    }
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

KM_HEAP_MAIN(cmocka_unit_test(realloc_grow_keeps_the_contents),
             cmocka_unit_test(realloc_shrink_keeps_the_block_in_place),
             cmocka_unit_test(realloc_with_zero_memory_zeroes_only_the_grown_part),
             cmocka_unit_test(realloc_shrink_then_grow_with_zero_memory_zeroes_the_old_tail),
             cmocka_unit_test(realloc_to_zero_bytes_returns_a_block_of_size_zero),
             cmocka_unit_test(realloc_of_null_returns_null_without_touching_last_error),
             cmocka_unit_test(realloc_in_place_only_shrinks_in_place),
             cmocka_unit_test(realloc_in_place_only_growth_never_moves_the_block),
             cmocka_unit_test(realloc_to_an_absurd_size_fails_and_keeps_the_block),
             cmocka_unit_test(realloc_of_an_interior_pointer_fails_with_invalid_parameter),
             cmocka_unit_test(realloc_of_a_freed_block_fails_with_invalid_parameter),
             cmocka_unit_test(realloc_of_a_huge_block_grows_and_shrinks),
             cmocka_unit_test(realloc_with_generate_exceptions_raises_status_no_memory),
             cmocka_unit_test(realloc_on_a_null_heap_fails_with_invalid_handle),
             cmocka_unit_test(realloc_through_every_size_keeps_the_first_bytes))
