/* HeapWalk's shape, as Windows gives it: what a program could touch, in a few entries for a few
 * blocks. Free memory comes as merged free entries, all of it committed; memory that is not
 * committed comes only as uncommitted ranges; a new heap shows a region, one free block and an
 * uncommitted range. */
#include "heap_test.h"

typedef struct shape {
    SIZE_T entries, regions, busy, free, uncommitted;
} shape;

/* Walks the heap under its lock; every free entry must be committed memory, all of it. */
static shape walk_shape(HANDLE heap)
{
    shape counts = {0};
    PROCESS_HEAP_ENTRY entry = {0};
    assert_true(HeapLock(heap));
    while (HeapWalk(heap, &entry)) {
        counts.entries++;
        if (entry.wFlags & PROCESS_HEAP_REGION) {
            counts.regions++;
        } else if (entry.wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE) {
            counts.uncommitted++;
        } else if (entry.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
            counts.busy++;
        } else {
            counts.free++;
            MEMORY_BASIC_INFORMATION info;
            const char *end = (const char *)entry.lpData + entry.cbData;
            for (const char *at = entry.lpData; at < end;
                 at = (const char *)info.BaseAddress + info.RegionSize) {
                assert_int_equal(VirtualQuery(at, &info, sizeof info), sizeof info);
                if (info.State != MEM_COMMIT)
                    fail_msg("free entry %p (+%Iu) lies on memory that is not committed",
                             entry.lpData, entry.cbData);
            }
        }
    }
    DWORD error = GetLastError();
    assert_true(HeapUnlock(heap));
    assert_int_equal(error, ERROR_NO_MORE_ITEMS);
    return counts;
}

static void a_new_heap_walks_as_a_region_a_free_block_and_an_uncommitted_range(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    shape counts = walk_shape(heap);
    assert_int_equal(counts.regions, 1);
    assert_int_equal(counts.busy, 0);
    assert_int_equal(counts.free, 1);
    assert_true(counts.uncommitted >= 1);
    assert_true(counts.entries <= 4);
    destroy_heap(heap);
}

/* One allocation on a new heap: a handful of entries, not one per free slot of a run. */
static void one_block_walks_in_a_handful_of_entries(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    alloc_block(heap, 0, 123);
    shape counts = walk_shape(heap);
    assert_int_equal(counts.busy, 1);
    assert_true(counts.entries <= 8);
    destroy_heap(heap);
}

/* Blocks of many sizes allocated and freed leave a walk whose length follows the blocks still
 * busy, not the runs' capacity. */
static void freed_blocks_leave_a_short_walk(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *kept = alloc_block(heap, 0, 123);
    void *blocks[18];
    for (int i = 0; i < 18; i++)
        blocks[i] = alloc_block(heap, 0, 16 + (SIZE_T)i * 40);
    for (int i = 0; i < 18; i++)
        assert_true(HeapFree(heap, 0, blocks[i]));
    shape counts = walk_shape(heap);
    assert_int_equal(counts.busy, 1);
    assert_true(counts.entries <= 48);
    assert_true(HeapFree(heap, 0, kept));
    destroy_heap(heap);
}

/* Busy blocks with free ones between them: each busy block once, free neighbours merged. */
static void free_neighbours_merge_into_one_entry(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *blocks[64];
    for (int i = 0; i < 64; i++)
        blocks[i] = alloc_block(heap, 0, 48);
    for (int i = 0; i < 64; i++)
        if (i % 8 != 0)
            assert_true(HeapFree(heap, 0, blocks[i]));
    shape counts = walk_shape(heap);
    assert_int_equal(counts.busy, 8);
    assert_true(counts.free <= 10);
    destroy_heap(heap);
}

/* A big block of its own, and the process heap, walk the same way. */
static void a_large_block_and_the_process_heap_walk_on_committed_memory(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *large = alloc_block(heap, 0, 1 << 20);
    shape counts = walk_shape(heap);
    assert_int_equal(counts.busy, 1);
    assert_true(HeapFree(heap, 0, large));
    destroy_heap(heap);
    void *block = alloc_block(GetProcessHeap(), 0, 200);
    counts = walk_shape(GetProcessHeap());
    assert_true(counts.busy >= 1);
    assert_true(HeapFree(GetProcessHeap(), 0, block));
}

/* A large block's entry stands outside every region: Windows numbers it 64 and counts no overhead
 * (Windows 7 counted 8 words; the suite this follows expects 0, as Windows 10 and Wine 8 give). */
static void a_large_blocks_entry_has_region_64_and_no_overhead(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *small = alloc_block(heap, 0, 100);
    void *large = alloc_block(heap, 0, 1 << 20);
    PROCESS_HEAP_ENTRY entry = {0};
    int found = 0;
    while (HeapWalk(heap, &entry)) {
        if (entry.lpData != large)
            continue;
        found++;
        assert_int_equal(entry.wFlags, PROCESS_HEAP_ENTRY_BUSY);
        assert_int_equal(entry.cbData, 1 << 20);
        assert_int_equal(entry.cbOverhead, 0);
        assert_int_equal(entry.iRegionIndex, 64);
    }
    assert_int_equal(GetLastError(), ERROR_NO_MORE_ITEMS);
    assert_int_equal(found, 1);
    assert_true(HeapFree(heap, 0, large));
    assert_true(HeapFree(heap, 0, small));
    destroy_heap(heap);
}

KM_HEAP_MAIN(cmocka_unit_test(a_new_heap_walks_as_a_region_a_free_block_and_an_uncommitted_range),
             cmocka_unit_test(one_block_walks_in_a_handful_of_entries),
             cmocka_unit_test(freed_blocks_leave_a_short_walk),
             cmocka_unit_test(free_neighbours_merge_into_one_entry),
             cmocka_unit_test(a_large_block_and_the_process_heap_walk_on_committed_memory),
             cmocka_unit_test(a_large_blocks_entry_has_region_64_and_no_overhead))
