/* HeapAlloc, HeapSize and HeapFree on good input: sizes, alignment, flags, huge blocks. */
#include "heap_test.h"

static void alloc_returns_aligned_blocks_of_every_size(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    for (SIZE_T size = 0; size < 70000; size = size * 2 + 1) {
        char *block = alloc_block(heap, 0, size);
        assert_int_equal((ULONG_PTR)block % ALIGNMENT, 0);
        memset(block, 0xab, size);
        assert_int_equal(HeapSize(heap, 0, block), size);
        assert_true(HeapFree(heap, 0, block));
    }
    destroy_heap(heap);
}

static void alloc_of_zero_bytes_returns_a_block_of_size_zero(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *block = alloc_block(heap, 0, 0);
    km_reset_last_error();
    assert_int_equal(HeapSize(heap, 0, block), 0);
    assert_last_error(KM_SENTINEL_ERROR);
    assert_true(HeapFree(heap, 0, block));
    destroy_heap(heap);
}

static void heap_size_returns_the_requested_size_without_touching_last_error(void **state)
{
    (void)state;
    static const SIZE_T sizes[] = {1, 15, 16, 17, 100, 1000, 4097, 20000, 65536, 100000, 600000};
    HANDLE heap = create_heap(0, 0, 0);
    for (size_t i = 0; i < KM_ARRAY_SIZE(sizes); i++) {
        void *block = alloc_block(heap, 0, sizes[i]);
        km_reset_last_error();
        assert_int_equal(HeapSize(heap, 0, block), sizes[i]);
        assert_last_error(KM_SENTINEL_ERROR);
    }
    destroy_heap(heap);
}

static void zero_memory_flag_returns_zeroed_blocks_even_when_reused(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    for (int round = 0; round < 4; round++) {
        for (SIZE_T size = 8; size < 40000; size *= 3) {
            char *block = alloc_block(heap, HEAP_ZERO_MEMORY, size);
            assert_true(is_filled_with(block, 0, size));
            memset(block, 0xee, size);
            assert_true(HeapFree(heap, 0, block));
        }
    }
    destroy_heap(heap);
}

static void blocks_do_not_overlap(void **state)
{
    (void)state;
    enum { COUNT = 2000 };
    HANDLE heap = create_heap(0, 0, 0);
    unsigned char *blocks[COUNT];
    for (int i = 0; i < COUNT; i++) {
        SIZE_T size = 1 + (SIZE_T)(i * 37) % 3000;
        blocks[i] = alloc_block(heap, 0, size);
        memset(blocks[i], i & 0xff, size);
    }
    for (int i = 0; i < COUNT; i++)
        assert_true(is_filled_with(blocks[i], i & 0xff, 1 + (SIZE_T)(i * 37) % 3000));
    for (int i = 0; i < COUNT; i += 2)
        assert_true(HeapFree(heap, 0, blocks[i]));
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

static void free_of_null_succeeds_without_touching_last_error(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    km_reset_last_error();
    assert_true(HeapFree(heap, 0, NULL));
    assert_last_error(KM_SENTINEL_ERROR);
    destroy_heap(heap);
}

static void huge_blocks_live_in_their_own_virtual_allocation(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, 0, HUGE_BLOCK);
    memset(block, 0x11, HUGE_BLOCK);
    assert_int_equal(HeapSize(heap, 0, block), HUGE_BLOCK);
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(block, &info, sizeof info), sizeof info);
    assert_ptr_not_equal(info.AllocationBase, heap);
    void *allocation = info.AllocationBase;
    assert_true(HeapFree(heap, 0, block));
    assert_int_equal(VirtualQuery(allocation, &info, sizeof info), sizeof info);
    assert_int_equal(info.State, MEM_FREE);
    destroy_heap(heap);
}

static void huge_blocks_read_as_zero_with_zero_memory(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, HEAP_ZERO_MEMORY, HUGE_BLOCK);
    assert_true(is_filled_with(block, 0, HUGE_BLOCK));
    destroy_heap(heap);
}

static void unknown_flags_are_ignored(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *block = alloc_block(heap, 0x80000000u | 0x00100000u, 10);
    assert_true(HeapFree(heap, 0x80000000u, block));
    destroy_heap(heap);
}

static void alloc_of_absurd_sizes_fails_with_not_enough_memory(void **state)
{
    (void)state;
    static const SIZE_T sizes[] = {(SIZE_T)-1, (SIZE_T)-16, (SIZE_T)-4096, (SIZE_T)-1 / 2 + 1};
    HANDLE heap = create_heap(0, 0, 0);
    for (size_t i = 0; i < KM_ARRAY_SIZE(sizes); i++) {
        km_reset_last_error();
        assert_null(HeapAlloc(heap, 0, sizes[i]));
        assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    }
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

static void *alloc_call(HANDLE heap, SIZE_T size)
{
    return HeapAlloc(heap, HEAP_GENERATE_EXCEPTIONS, size);
}

static void *alloc_call_without_flags(HANDLE heap, SIZE_T size)
{
    return HeapAlloc(heap, 0, size);
}

static void generate_exceptions_raises_status_no_memory(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    assert_int_equal(km_exception_raised_by(alloc_call, heap, (SIZE_T)-64), STATUS_NO_MEMORY);
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

/* Windows raises for every allocation on a heap created with HEAP_GENERATE_EXCEPTIONS;
 * Wine 8 raises only when the call itself passes the flag. */
static void heap_created_with_generate_exceptions_raises_on_failure(void **state)
{
    (void)state;
    HANDLE heap = create_heap(HEAP_GENERATE_EXCEPTIONS, 0, 0);
    DWORD raised = km_exception_raised_by(alloc_call_without_flags, heap, (SIZE_T)-64);
    assert_int_equal(raised, KM_SYSTEM_IS_WINE ? 0 : STATUS_NO_MEMORY);
    destroy_heap(heap);
}

static void no_serialize_heap_allocates_and_frees(void **state)
{
    (void)state;
    HANDLE heap = create_heap(HEAP_NO_SERIALIZE, 0, 0);
    void *blocks[100];
    for (int i = 0; i < 100; i++)
        blocks[i] = alloc_block(heap, HEAP_NO_SERIALIZE, (SIZE_T)i * 50);
    for (int i = 0; i < 100; i++)
        assert_true(HeapFree(heap, 0, blocks[i]));
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

static void process_heap_allocates_and_frees(void **state)
{
    (void)state;
    HANDLE heap = GetProcessHeap();
    assert_non_null(heap);
    char *block = alloc_block(heap, HEAP_ZERO_MEMORY, 1234);
    assert_true(is_filled_with(block, 0, 1234));
    assert_int_equal(HeapSize(heap, 0, block), 1234);
    assert_true(HeapFree(heap, 0, block));
}

/* The protection of the pages under a block of a heap created with create_flags. */
static DWORD protection_of_a_block(DWORD create_flags)
{
    HANDLE heap = create_heap(create_flags, 0, 0);
    void *block = alloc_block(heap, 0, 64);
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(block, &info, sizeof info), sizeof info);
    destroy_heap(heap);
    return info.Protect;
}

static void executable_heap_hands_out_executable_memory(void **state)
{
    (void)state;
    assert_int_equal(protection_of_a_block(HEAP_CREATE_ENABLE_EXECUTE), PAGE_EXECUTE_READWRITE);
}

static void ordinary_heap_memory_is_not_executable(void **state)
{
    (void)state;
    assert_int_equal(protection_of_a_block(0), PAGE_READWRITE);
}

static void many_blocks_of_mixed_sizes_survive_interleaved_frees(void **state)
{
    (void)state;
    enum { COUNT = 5000 };
    HANDLE heap = create_heap(0, 0, 0);
    static unsigned char *blocks[COUNT];
    static SIZE_T sizes[COUNT];
    unsigned seed = 12345;
    for (int step = 0; step < 4 * COUNT; step++) {
        seed = seed * 1103515245u + 12345u;
        int i = (int)((seed >> 8) % COUNT);
        if (blocks[i]) {
            assert_true(is_filled_with(blocks[i], (unsigned char)i, sizes[i]));
            assert_true(HeapFree(heap, 0, blocks[i]));
        }
        sizes[i] = (seed >> 4) % 100 == 0 ? (seed >> 12) % 200000 : (seed >> 12) % 1024;
        blocks[i] = alloc_block(heap, 0, sizes[i]);
        memset(blocks[i], (unsigned char)i, sizes[i]);
    }
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
    memset(blocks, 0, sizeof blocks);
}

/* A block of a megabyte lives in an allocation of its own, its data 64-byte aligned with the
 * 0x40 bit set, as Windows and Wine place it. */
static void a_large_block_is_aligned_as_windows_places_it(void **state)
{
    (void)state;
    HANDLE heaps[] = {GetProcessHeap(), create_heap(0, 0, 0)};
    for (size_t i = 0; i < KM_ARRAY_SIZE(heaps); i++) {
        void *block = alloc_block(heaps[i], 0, (SIZE_T)1 << 20);
        assert_int_equal((ULONG_PTR)block % 64, 0);
        assert_int_equal((ULONG_PTR)block & 0x40, 0x40);
        assert_true(HeapFree(heaps[i], 0, block));
    }
    destroy_heap(heaps[1]);
}

KM_HEAP_MAIN(cmocka_unit_test(a_large_block_is_aligned_as_windows_places_it),
             cmocka_unit_test(alloc_returns_aligned_blocks_of_every_size),
             cmocka_unit_test(alloc_of_zero_bytes_returns_a_block_of_size_zero),
             cmocka_unit_test(heap_size_returns_the_requested_size_without_touching_last_error),
             cmocka_unit_test(zero_memory_flag_returns_zeroed_blocks_even_when_reused),
             cmocka_unit_test(blocks_do_not_overlap),
             cmocka_unit_test(free_of_null_succeeds_without_touching_last_error),
             cmocka_unit_test(huge_blocks_live_in_their_own_virtual_allocation),
             cmocka_unit_test(huge_blocks_read_as_zero_with_zero_memory),
             cmocka_unit_test(unknown_flags_are_ignored),
             cmocka_unit_test(alloc_of_absurd_sizes_fails_with_not_enough_memory),
             cmocka_unit_test(generate_exceptions_raises_status_no_memory),
             cmocka_unit_test(heap_created_with_generate_exceptions_raises_on_failure),
             cmocka_unit_test(no_serialize_heap_allocates_and_frees),
             cmocka_unit_test(process_heap_allocates_and_frees),
             cmocka_unit_test(executable_heap_hands_out_executable_memory),
             cmocka_unit_test(ordinary_heap_memory_is_not_executable),
             cmocka_unit_test(many_blocks_of_mixed_sizes_survive_interleaved_frees))
