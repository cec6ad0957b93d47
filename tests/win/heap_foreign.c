/*
 * The Heap exports given what kernel32_mem did not make: the process heap as code reads it from
 * the PEB, blocks the system's process heap gave out, and heaps the system made. Each answer is
 * the system's own; and the other way round, what ntdll says of a block of ours.
 */
#include "heap_test.h"
#include "km_foreign.h"

static void get_process_heap_is_the_peb_process_heap(void **state)
{
    (void)state;
    assert_ptr_equal(GetProcessHeap(), km_peb_process_heap());
}

static void the_peb_process_heap_serves_every_heap_call(void **state)
{
    (void)state;
    HANDLE heap = km_peb_process_heap();
    char *block = alloc_block(heap, HEAP_ZERO_MEMORY, 100);
    assert_true(is_filled_with(block, 0, 100));
    assert_int_equal(HeapSize(heap, 0, block), 100);
    assert_true(HeapValidate(heap, 0, block));
    block = HeapReAlloc(heap, 0, block, 5000);
    assert_non_null(block);
    assert_int_equal(HeapSize(heap, 0, block), 5000);
    assert_true(HeapLock(heap));
    assert_true(HeapUnlock(heap));
    assert_true(HeapValidate(heap, 0, NULL));
    assert_true(HeapFree(heap, 0, block));
}

static void the_process_heap_cannot_be_destroyed(void **state)
{
    (void)state;
    assert_false(HeapDestroy(GetProcessHeap()));
    void *block = alloc_block(GetProcessHeap(), 0, 10);
    assert_true(HeapFree(GetProcessHeap(), 0, block));
}

static size_t times_listed(const HANDLE *heaps, DWORD count, HANDLE heap)
{
    size_t times = 0;
    for (DWORD i = 0; i < count; i++)
        times += heaps[i] == heap;
    return times;
}

static void get_process_heaps_lists_each_heap_once(void **state)
{
    (void)state;
    HANDLE created = create_heap(0, 0, 0);
    DWORD count = GetProcessHeaps(0, NULL);
    assert_true(count >= 2);
    HANDLE heaps[256];
    assert_true(count <= KM_ARRAY_SIZE(heaps));
    assert_int_equal(GetProcessHeaps(KM_ARRAY_SIZE(heaps), heaps), count);
    assert_int_equal(times_listed(heaps, count, GetProcessHeap()), 1);
    assert_int_equal(times_listed(heaps, count, created), 1);
    for (DWORD i = 0; i < count; i++)
        assert_int_equal(times_listed(heaps, count, heaps[i]), 1);
    destroy_heap(created);
    assert_int_equal(GetProcessHeaps(0, NULL), count - 1);
}

static void a_block_of_the_system_process_heap_goes_through_every_heap_call(void **state)
{
    (void)state;
    HANDLE heap = GetProcessHeap();
    char *block = KM_SYSTEM_KERNEL32(HeapAlloc)(heap, 0, 100);
    assert_non_null(block);
    memset(block, 0x5a, 100);
    km_reset_last_error();
    assert_int_equal(HeapSize(heap, 0, block), 100);
    assert_true(HeapValidate(heap, 0, block));
    char *grown = HeapReAlloc(heap, 0, block, 3000);
    assert_non_null(grown);
    assert_true(is_filled_with(grown, 0x5a, 100));
    assert_int_equal(HeapSize(heap, 0, grown), 3000);
    assert_true(HeapFree(heap, 0, grown));
    assert_last_error(KM_SENTINEL_ERROR);
    /* The system's heap is whole afterwards. */
    assert_true(KM_SYSTEM_KERNEL32(HeapValidate)(heap, 0, NULL));
}

static void a_block_of_ntdlls_process_heap_is_freed_by_heap_free(void **state)
{
    (void)state;
    typedef void *(WINAPI * rtl_allocate_heap)(HANDLE heap, ULONG flags, SIZE_T size);
    rtl_allocate_heap allocate = (rtl_allocate_heap)(void *)km_ntdll_export("RtlAllocateHeap");
    void *block = allocate(km_peb_process_heap(), 0, 64);
    assert_non_null(block);
    assert_int_equal(HeapSize(GetProcessHeap(), 0, block), 64);
    assert_true(HeapFree(GetProcessHeap(), 0, block));
}

static void a_heap_the_system_made_works_with_every_heap_call(void **state)
{
    (void)state;
    HANDLE heap = KM_SYSTEM_KERNEL32(HeapCreate)(0, 0, 0);
    assert_non_null(heap);
    char *block = HeapAlloc(heap, HEAP_ZERO_MEMORY, 200);
    assert_non_null(block);
    assert_true(is_filled_with(block, 0, 200));
    assert_int_equal(HeapSize(heap, 0, block), 200);
    block = HeapReAlloc(heap, 0, block, 400);
    assert_non_null(block);
    assert_int_equal(HeapSize(heap, 0, block), 400);
    assert_true(HeapValidate(heap, 0, block));
    assert_true(HeapValidate(heap, 0, NULL));
    assert_true(HeapLock(heap));
    PROCESS_HEAP_ENTRY entry = {0};
    BOOL found = FALSE;
    while (HeapWalk(heap, &entry))
        found |= entry.lpData == block && (entry.wFlags & PROCESS_HEAP_ENTRY_BUSY);
    assert_int_equal(GetLastError(), ERROR_NO_MORE_ITEMS);
    assert_true(HeapUnlock(heap));
    assert_true(found);
    ULONG mode = 99;
    assert_true(HeapQueryInformation(heap, HeapCompatibilityInformation, &mode, sizeof(mode),
                                     NULL));
    assert_true(mode != 99);
    assert_true(HeapFree(heap, 0, block));
    assert_true(HeapDestroy(heap));
}

/* ntdll's heap calls do not go through kernel32, so a block of ours is nothing ntdll knows: the
 * policy is that such a block is freed and sized through the Heap exports only. Under Wine,
 * ntdll refuses it and the block stays ours; on Windows, ntdll would call a block it did not make
 * heap corruption and end the process, so the .ours program does not ask it there. */
static void ntdll_heap_calls_know_only_the_systems_blocks(void **state)
{
    (void)state;
    if (KM_TEST_SIDE_OURS && !km_running_under_wine())
        skip();
    HANDLE heap = GetProcessHeap();
    void *block = alloc_block(heap, 0, 48);
    km_rtl_size_heap size_heap = (km_rtl_size_heap)(void *)km_ntdll_export("RtlSizeHeap");
    km_rtl_free_heap free_heap = (km_rtl_free_heap)(void *)km_ntdll_export("RtlFreeHeap");
    if (KM_TEST_SIDE_OURS) {
        assert_int_equal(size_heap(heap, 0, block), (SIZE_T)-1);
        assert_false(free_heap(heap, 0, block));
        assert_int_equal(HeapSize(heap, 0, block), 48);
        assert_true(HeapFree(heap, 0, block));
    } else {
        assert_int_equal(size_heap(heap, 0, block), 48);
        assert_true(free_heap(heap, 0, block));
    }
}

KM_HEAP_MAIN(cmocka_unit_test(get_process_heap_is_the_peb_process_heap),
             cmocka_unit_test(the_peb_process_heap_serves_every_heap_call),
             cmocka_unit_test(the_process_heap_cannot_be_destroyed),
             cmocka_unit_test(get_process_heaps_lists_each_heap_once),
             cmocka_unit_test(a_block_of_the_system_process_heap_goes_through_every_heap_call),
             cmocka_unit_test(a_block_of_ntdlls_process_heap_is_freed_by_heap_free),
             cmocka_unit_test(a_heap_the_system_made_works_with_every_heap_call),
             cmocka_unit_test(ntdll_heap_calls_know_only_the_systems_blocks))
