/* HeapCreate, HeapDestroy, GetProcessHeap and GetProcessHeaps: growable and fixed heaps, the
 * process heap, and the list of heaps. */
#include "heap_test.h"

static BOOL is_released(const void *address)
{
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(address, &info, sizeof info), sizeof info);
    return info.State == MEM_FREE;
}

static void growable_heap_grows_far_beyond_its_initial_size(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 4096, 0);
    enum { COUNT = 400 };
    void *blocks[COUNT];
    for (int i = 0; i < COUNT; i++)
        blocks[i] = alloc_block(heap, 0, 40000); /* 16 MB in all */
    for (int i = 0; i < COUNT; i++)
        assert_true(HeapFree(heap, 0, blocks[i]));
    destroy_heap(heap);
}

static void fixed_heap_fails_with_not_enough_memory_when_full(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 1 << 20);
    SIZE_T count = 0;
    while (HeapAlloc(heap, 0, 1000))
        count++;
    assert_true(count > 300 && count < 1100);
    km_reset_last_error();
    assert_null(HeapAlloc(heap, 0, 1000));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

/* One block of each size from 1 byte up by 7, again and again: a fixed heap holds most of its
 * maximum (Wine's heap: 99% of 1 MiB; a 64 KiB slot per class in use once held 0.4%). */
static void fixed_heap_holds_most_of_its_maximum_in_blocks_of_many_sizes(void **state)
{
    (void)state;
    const SIZE_T maximum = 1 << 20;
    HANDLE heap = create_heap(0, 0, maximum);
    SIZE_T requested = 0;
    for (BOOL full = FALSE; !full;)
        for (SIZE_T size = 1; size <= 4000 && !full; size += 7) {
            char *block = HeapAlloc(heap, 0, size);
            if (block) {
                block[0] = block[size - 1] = 1;
                requested += size;
            }
            full = block == NULL;
        }
    assert_true(requested > maximum / 10 * 7);
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

/* Blocks of sixteen sizes in a fixed heap of 64 KiB: kernel32_mem's has then given each of its
 * 16 slots of a page to a size class, and serves a request of a class without one from a bigger
 * free block, as a heap that keeps blocks of any size side by side does. */
static void small_fixed_heap_serves_a_request_of_a_new_size_while_it_has_room(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 64 << 10);
    void *blocks[16];
    for (int i = 0; i < 15; i++)
        blocks[i] = alloc_block(heap, 0, 16 * (i + 1));
    blocks[15] = alloc_block(heap, 0, 512);
    char *block = alloc_block(heap, 0, 300);
    block[0] = block[299] = 1;
    assert_int_equal(HeapSize(heap, 0, block), 300);
    assert_true(HeapValidate(heap, 0, NULL));
    assert_true(HeapFree(heap, 0, block));
    for (int i = 0; i < 16; i++)
        assert_true(HeapFree(heap, 0, blocks[i]));
    destroy_heap(heap);
}

/* A buffer grown a thousand bytes at a time passes through blocks of many sizes; it still grows
 * to about the maximum (Wine's heap: 1,044,001 bytes of 1 MiB), and once it is freed a block of
 * 900,000 bytes fits. */
static void fixed_heap_lets_a_growing_buffer_reach_its_maximum(void **state)
{
    (void)state;
    const SIZE_T maximum = 1 << 20;
    HANDLE heap = create_heap(0, 0, maximum);
    SIZE_T size = 1;
    char *block = alloc_block(heap, 0, size);
    for (char *grown; (grown = HeapReAlloc(heap, 0, block, size + 1000));)
        block = grown, size += 1000;
    assert_true(size > maximum / 100 * 95);
    assert_true(HeapFree(heap, 0, block));
    assert_true(HeapFree(heap, 0, alloc_block(heap, 0, 900000)));
    destroy_heap(heap);
}

static void fixed_heap_refuses_blocks_above_its_limit(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 4 << 20);
    km_reset_last_error();
    assert_null(HeapAlloc(heap, 0, FIXED_HEAP_BLOCK_LIMIT + 1));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    void *block = alloc_block(heap, 0, FIXED_HEAP_BLOCK_LIMIT);
    assert_int_equal(HeapSize(heap, 0, block), FIXED_HEAP_BLOCK_LIMIT);
    km_reset_last_error();
    assert_null(HeapReAlloc(heap, 0, block, FIXED_HEAP_BLOCK_LIMIT + 1));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
    destroy_heap(heap);
}

static void initial_commit_is_committed_up_front(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 256 * 1024, 0);
    assert_true(committed_bytes_of_allocation(heap) >= 256 * 1024);
    destroy_heap(heap);
}

static void maximum_below_initial_is_raised_to_initial(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 1 << 20, 64 * 1024);
    void *block = alloc_block(heap, 0, 300000);
    assert_true(HeapFree(heap, 0, block));
    destroy_heap(heap);
}

static void create_with_an_absurd_initial_size_fails_with_not_enough_memory(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(HeapCreate(0, (SIZE_T)-1, 0));
    assert_last_error(ERROR_NOT_ENOUGH_MEMORY);
}

static void destroy_returns_every_reservation(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    enum { COUNT = 300 };
    void *blocks[COUNT];
    for (int i = 0; i < COUNT; i++)
        blocks[i] = alloc_block(heap, 0, i % 100 == 0 ? HUGE_BLOCK : (SIZE_T)i * 300);
    destroy_heap(heap);
    assert_true(is_released(heap));
    for (int i = 0; i < COUNT; i++)
        if (!is_released(blocks[i]))
            fail_msg("block %d (%p) is still mapped after HeapDestroy", i, blocks[i]);
}

static void destroy_of_the_process_heap_fails_with_invalid_handle(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_false(HeapDestroy(GetProcessHeap()));
    assert_last_error(ERROR_INVALID_HANDLE);
    void *block = alloc_block(GetProcessHeap(), 0, 10);
    assert_true(HeapFree(GetProcessHeap(), 0, block));
}

static void destroy_of_null_succeeds(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_true(HeapDestroy(NULL));
    assert_last_error(KM_SENTINEL_ERROR);
}

static void destroy_twice_fails_with_invalid_handle(void **state)
{
    (void)state;
    SKIP_WHERE_WINDOWS_FAULTS();
    HANDLE heap = create_heap(0, 0, 0);
    destroy_heap(heap);
    km_reset_last_error();
    assert_false(HeapDestroy(heap));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void alloc_on_a_destroyed_heap_fails_with_invalid_handle(void **state)
{
    (void)state;
    SKIP_WHERE_WINDOWS_FAULTS();
    HANDLE heap = create_heap(0, 0, 0);
    destroy_heap(heap);
    km_reset_last_error();
    assert_null(HeapAlloc(heap, 0, 10));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static BOOL list_contains(const HANDLE *heaps, DWORD count, HANDLE heap)
{
    for (DWORD i = 0; i < count; i++)
        if (heaps[i] == heap)
            return TRUE;
    return FALSE;
}

static void get_process_heaps_lists_the_process_heap_first(void **state)
{
    (void)state;
    HANDLE heaps[256];
    DWORD count = GetProcessHeaps(KM_ARRAY_SIZE(heaps), heaps);
    assert_true(count >= 1 && count <= KM_ARRAY_SIZE(heaps));
    assert_ptr_equal(heaps[0], GetProcessHeap());
}

static void get_process_heaps_lists_created_heaps_until_destroyed(void **state)
{
    (void)state;
    HANDLE heaps[256];
    HANDLE created = create_heap(0, 0, 0);
    DWORD count = GetProcessHeaps(KM_ARRAY_SIZE(heaps), heaps);
    assert_true(list_contains(heaps, count, created));
    destroy_heap(created);
    DWORD after = GetProcessHeaps(KM_ARRAY_SIZE(heaps), heaps);
    assert_int_equal(after, count - 1);
    assert_false(list_contains(heaps, after, created));
}

static void get_process_heaps_with_a_small_buffer_returns_the_count(void **state)
{
    (void)state;
    HANDLE a = create_heap(0, 0, 0), b = create_heap(0, 0, 0);
    DWORD total = GetProcessHeaps(0, NULL);
    assert_true(total >= 3);
    HANDLE one[1] = {NULL};
    km_reset_last_error();
    assert_int_equal(GetProcessHeaps(1, one), total);
    destroy_heap(a);
    destroy_heap(b);
}

static void blocks_of_one_heap_are_refused_by_another(void **state)
{
    (void)state;
    HANDLE first = create_heap(0, 0, 0), second = create_heap(0, 0, 0);
    void *block = alloc_block(first, 0, 48);
    km_reset_last_error();
    assert_false(HeapFree(second, 0, block));
    assert_last_error(ERROR_INVALID_PARAMETER);
    km_reset_last_error();
    assert_int_equal(HeapSize(second, 0, block), (SIZE_T)-1);
    assert_last_error(ERROR_INVALID_PARAMETER);
    assert_int_equal(HeapSize(first, 0, block), 48);
    assert_true(HeapFree(first, 0, block));
    destroy_heap(first);
    destroy_heap(second);
}

static void heaps_are_independent(void **state)
{
    (void)state;
    HANDLE heaps[8];
    char *blocks[8];
    for (int i = 0; i < 8; i++) {
        heaps[i] = create_heap(0, 0, 0);
        blocks[i] = alloc_block(heaps[i], 0, 1000);
        memset(blocks[i], i, 1000);
    }
    for (int i = 0; i < 8; i += 2)
        destroy_heap(heaps[i]);
    for (int i = 1; i < 8; i += 2) {
        assert_true(is_filled_with(blocks[i], (unsigned char)i, 1000));
        assert_true(HeapValidate(heaps[i], 0, NULL));
        destroy_heap(heaps[i]);
    }
}

KM_HEAP_MAIN(cmocka_unit_test(growable_heap_grows_far_beyond_its_initial_size),
             cmocka_unit_test(fixed_heap_fails_with_not_enough_memory_when_full),
             cmocka_unit_test(fixed_heap_holds_most_of_its_maximum_in_blocks_of_many_sizes),
             cmocka_unit_test(small_fixed_heap_serves_a_request_of_a_new_size_while_it_has_room),
             cmocka_unit_test(fixed_heap_lets_a_growing_buffer_reach_its_maximum),
             cmocka_unit_test(fixed_heap_refuses_blocks_above_its_limit),
             cmocka_unit_test(initial_commit_is_committed_up_front),
             cmocka_unit_test(maximum_below_initial_is_raised_to_initial),
             cmocka_unit_test(create_with_an_absurd_initial_size_fails_with_not_enough_memory),
             cmocka_unit_test(destroy_returns_every_reservation),
             cmocka_unit_test(destroy_of_the_process_heap_fails_with_invalid_handle),
             cmocka_unit_test(destroy_of_null_succeeds),
             cmocka_unit_test(destroy_twice_fails_with_invalid_handle),
             cmocka_unit_test(alloc_on_a_destroyed_heap_fails_with_invalid_handle),
             cmocka_unit_test(get_process_heaps_lists_the_process_heap_first),
             cmocka_unit_test(get_process_heaps_lists_created_heaps_until_destroyed),
             cmocka_unit_test(get_process_heaps_with_a_small_buffer_returns_the_count),
             cmocka_unit_test(blocks_of_one_heap_are_refused_by_another),
             cmocka_unit_test(heaps_are_independent))
