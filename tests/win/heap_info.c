/* HeapWalk, HeapValidate, HeapCompact, HeapLock/HeapUnlock, HeapSummary and
 * HeapQueryInformation/HeapSetInformation. */
#include "heap_test.h"

typedef struct walk_totals {
    SIZE_T entries, regions, busy, free, uncommitted;
    BOOL first_is_region;
} walk_totals;

/* Whether [address, address + size) is committed memory (a free entry must be: a program may
 * read it). */
static BOOL is_committed(const void *address, SIZE_T size)
{
    MEMORY_BASIC_INFORMATION info;
    for (const char *at = address; at < (const char *)address + size;
         at = (const char *)info.BaseAddress + info.RegionSize)
        if (VirtualQuery(at, &info, sizeof info) != sizeof info || info.State != MEM_COMMIT)
            return FALSE;
    return TRUE;
}

/* Walks the whole heap; each block in blocks/sizes must be seen busy exactly once, and every
 * free entry must be committed memory. */
static walk_totals walk_heap(HANDLE heap, void **blocks, const SIZE_T *sizes, size_t count)
{
    walk_totals totals = {0};
    int *seen = calloc(count ? count : 1, sizeof *seen);
    PROCESS_HEAP_ENTRY entry = {0};
    assert_true(HeapLock(heap));
    while (HeapWalk(heap, &entry)) {
        if (totals.entries++ == 0)
            totals.first_is_region = (entry.wFlags & PROCESS_HEAP_REGION) != 0;
        if (entry.wFlags & PROCESS_HEAP_REGION)
            totals.regions++;
        else if (entry.wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE)
            totals.uncommitted++;
        else if (entry.wFlags & PROCESS_HEAP_ENTRY_BUSY)
            totals.busy++;
        else
            totals.free++;
        if (!(entry.wFlags & (PROCESS_HEAP_REGION | PROCESS_HEAP_UNCOMMITTED_RANGE |
                              PROCESS_HEAP_ENTRY_BUSY)))
            assert_true(is_committed(entry.lpData, entry.cbData));
        for (size_t i = 0; i < count; i++)
            if (entry.lpData == blocks[i]) {
                assert_true(entry.wFlags & PROCESS_HEAP_ENTRY_BUSY);
                assert_int_equal(entry.cbData, sizes[i]);
                seen[i]++;
            }
    }
    DWORD error = GetLastError();
    assert_true(HeapUnlock(heap));
    assert_int_equal(error, ERROR_NO_MORE_ITEMS);
    for (size_t i = 0; i < count; i++)
        if (seen[i] != 1)
            fail_msg("block %zu of %Iu bytes seen %d times", i, sizes[i], seen[i]);
    free(seen);
    return totals;
}

static void walk_starts_with_a_region_and_ends_with_no_more_items(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    walk_totals totals = walk_heap(heap, NULL, NULL, 0);
    assert_true(totals.first_is_region);
    assert_true(totals.regions >= 1);
    destroy_heap(heap);
}

static void walk_reports_every_busy_block_with_its_size(void **state)
{
    (void)state;
    enum { COUNT = 200 };
    void *blocks[COUNT];
    SIZE_T sizes[COUNT];
    HANDLE heap = create_heap(0, 0, 0);
    for (int i = 0; i < COUNT; i++) {
        sizes[i] = (SIZE_T)(i * 97) % (i % 40 == 0 ? 200000 : 2000);
        blocks[i] = alloc_block(heap, 0, sizes[i]);
    }
    walk_totals totals = walk_heap(heap, blocks, sizes, COUNT);
    assert_true(totals.busy >= COUNT);
    destroy_heap(heap);
}

static void walk_does_not_report_freed_blocks_as_busy(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *kept = alloc_block(heap, 0, 100);
    void *freed = alloc_block(heap, 0, 100);
    assert_true(HeapFree(heap, 0, freed));
    SIZE_T size = 100;
    walk_heap(heap, &kept, &size, 1);
    PROCESS_HEAP_ENTRY entry = {0};
    while (HeapWalk(heap, &entry))
        if (entry.lpData == freed)
            assert_false(entry.wFlags & PROCESS_HEAP_ENTRY_BUSY);
    destroy_heap(heap);
}

static void walk_reports_huge_blocks(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *huge = alloc_block(heap, 0, HUGE_BLOCK);
    SIZE_T size = HUGE_BLOCK;
    walk_heap(heap, &huge, &size, 1);
    destroy_heap(heap);
}

static void walk_with_a_null_entry_fails_with_invalid_parameter(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    km_reset_last_error();
    assert_false(HeapWalk(heap, NULL));
    assert_last_error(ERROR_INVALID_PARAMETER);
    destroy_heap(heap);
}

static void region_entries_describe_committed_and_uncommitted_bytes(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    alloc_block(heap, 0, 5000);
    PROCESS_HEAP_ENTRY entry = {0};
    assert_true(HeapWalk(heap, &entry));
    assert_true(entry.wFlags & PROCESS_HEAP_REGION);
    assert_true(entry.Region.dwCommittedSize > 0);
    assert_true((char *)entry.Region.lpLastBlock > (char *)entry.Region.lpFirstBlock);
    destroy_heap(heap);
}

static void validate_accepts_the_heap_and_its_busy_blocks(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *small = alloc_block(heap, 0, 10), *medium = alloc_block(heap, 0, 100000);
    void *huge = alloc_block(heap, 0, HUGE_BLOCK);
    km_reset_last_error();
    assert_true(HeapValidate(heap, 0, NULL));
    assert_true(HeapValidate(heap, 0, small));
    assert_true(HeapValidate(heap, 0, medium));
    assert_true(HeapValidate(heap, 0, huge));
    assert_last_error(KM_SENTINEL_ERROR);
    destroy_heap(heap);
}

static void validate_rejects_freed_and_interior_pointers(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *block = alloc_block(heap, 0, 200);
    char *freed = alloc_block(heap, 0, 200);
    assert_true(HeapFree(heap, 0, freed));
    assert_false(HeapValidate(heap, 0, block + ALIGNMENT));
    assert_false(HeapValidate(heap, 0, freed));
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

/* Windows returns the largest committed free block, or 0 with NO_ERROR; Wine 8's HeapCompact
 * returns 0 and leaves the last error alone. */
static void compact_returns_the_largest_free_block_or_zero_with_no_error(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *blocks[50];
    for (int i = 0; i < 50; i++)
        blocks[i] = alloc_block(heap, 0, 2000);
    for (int i = 0; i < 50; i += 2)
        assert_true(HeapFree(heap, 0, blocks[i]));
    km_reset_last_error();
    SIZE_T largest = HeapCompact(heap, 0);
    if (KM_SYSTEM_IS_WINE) {
        assert_int_equal(largest, 0);
    } else if (largest == 0) {
        assert_last_error(NO_ERROR);
    } else {
        assert_true(largest >= 2000);
    }
    assert_true(HeapValidate(heap, 0, NULL));
    destroy_heap(heap);
}

static void lock_and_unlock_nest(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    assert_true(HeapLock(heap));
    assert_true(HeapLock(heap));
    void *block = alloc_block(heap, 0, 10);
    assert_true(HeapFree(heap, 0, block));
    assert_true(HeapUnlock(heap));
    assert_true(HeapUnlock(heap));
    destroy_heap(heap);
}

static DWORD WINAPI allocate_once(void *heap)
{
    return HeapAlloc(heap, 0, 32) != NULL;
}

static void lock_keeps_other_threads_out_until_unlock(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    assert_true(HeapLock(heap));
    HANDLE thread = CreateThread(NULL, 0, allocate_once, heap, 0, NULL);
    assert_non_null(thread);
    assert_int_equal(WaitForSingleObject(thread, 200), WAIT_TIMEOUT);
    assert_true(HeapUnlock(heap));
    assert_int_equal(WaitForSingleObject(thread, 10000), WAIT_OBJECT_0);
    DWORD allocated = 0;
    assert_true(GetExitCodeThread(thread, &allocated));
    assert_int_equal(allocated, 1);
    CloseHandle(thread);
    destroy_heap(heap);
}

static void lock_of_a_null_heap_fails(void **state)
{
    (void)state;
    assert_false(HeapLock(NULL));
    assert_false(HeapUnlock(NULL));
}

static void query_of_a_new_heap_reports_the_standard_mode(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    ULONG mode = 99;
    SIZE_T returned = 0;
    km_reset_last_error();
    assert_true(HeapQueryInformation(heap, HeapCompatibilityInformation, &mode, sizeof mode,
                                     &returned));
    assert_int_equal(mode, 0);
    assert_int_equal(returned, sizeof(ULONG));
    destroy_heap(heap);
}

static void query_with_a_short_buffer_fails_and_reports_the_size_needed(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    ULONG mode = 99;
    SIZE_T returned = 0;
    km_reset_last_error();
    assert_false(HeapQueryInformation(heap, HeapCompatibilityInformation, &mode, 2, &returned));
    assert_last_error(ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(returned, sizeof(ULONG));
    destroy_heap(heap);
}

static void query_of_an_unknown_class_fails_with_invalid_parameter(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    ULONG value = 0;
    km_reset_last_error();
    assert_false(HeapQueryInformation(heap, (HEAP_INFORMATION_CLASS)7, &value, sizeof value, NULL));
    assert_last_error(ERROR_INVALID_PARAMETER);
    destroy_heap(heap);
}

/* Windows reports the low-fragmentation mode (2) once it was asked for; Wine 8 accepts the
 * request and keeps reporting 0. */
static void asking_for_the_low_fragmentation_heap_is_reported_by_query(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    ULONG lfh = 2, mode = 99;
    assert_true(HeapSetInformation(heap, HeapCompatibilityInformation, &lfh, sizeof lfh));
    assert_true(HeapQueryInformation(heap, HeapCompatibilityInformation, &mode, sizeof mode, NULL));
    assert_int_equal(mode, KM_SYSTEM_IS_WINE ? 0 : 2);
    void *block = alloc_block(heap, 0, 24);
    assert_true(HeapFree(heap, 0, block));
    destroy_heap(heap);
}

static void enable_termination_on_corruption_is_accepted_for_the_process(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_true(HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0));
    assert_last_error(KM_SENTINEL_ERROR);
}

/* Wine 8 exports HeapSummary as an unimplemented stub that ends the process. */
static void summary_reports_allocated_committed_and_reserved_bytes(void **state)
{
    (void)state;
    if (KM_SYSTEM_IS_WINE)
        skip();
    HANDLE heap = create_heap(0, 0, 0);
    HEAP_SUMMARY before = {.cb = sizeof before}, after = {.cb = sizeof after};
    assert_true(HeapSummary(heap, 0, &before));
    void *block = alloc_block(heap, 0, 100000);
    assert_true(HeapSummary(heap, 0, &after));
    assert_true(after.cbAllocated >= before.cbAllocated + 100000);
    assert_true(after.cbCommitted >= after.cbAllocated);
    assert_true(after.cbReserved >= after.cbCommitted);
    assert_true(HeapFree(heap, 0, block));
    destroy_heap(heap);
}

static void summary_with_a_wrong_structure_size_fails_with_invalid_parameter(void **state)
{
    (void)state;
    if (KM_SYSTEM_IS_WINE)
        skip();
    HANDLE heap = create_heap(0, 0, 0);
    HEAP_SUMMARY summary = {.cb = sizeof summary - 1};
    km_reset_last_error();
    assert_false(HeapSummary(heap, 0, &summary));
    assert_last_error(ERROR_INVALID_PARAMETER);
    destroy_heap(heap);
}

KM_HEAP_MAIN(cmocka_unit_test(walk_starts_with_a_region_and_ends_with_no_more_items),
             cmocka_unit_test(walk_reports_every_busy_block_with_its_size),
             cmocka_unit_test(walk_does_not_report_freed_blocks_as_busy),
             cmocka_unit_test(walk_reports_huge_blocks),
             cmocka_unit_test(walk_with_a_null_entry_fails_with_invalid_parameter),
             cmocka_unit_test(region_entries_describe_committed_and_uncommitted_bytes),
             cmocka_unit_test(validate_accepts_the_heap_and_its_busy_blocks),
             cmocka_unit_test(validate_rejects_freed_and_interior_pointers),
             cmocka_unit_test(compact_returns_the_largest_free_block_or_zero_with_no_error),
             cmocka_unit_test(lock_and_unlock_nest),
             cmocka_unit_test(lock_keeps_other_threads_out_until_unlock),
             cmocka_unit_test(lock_of_a_null_heap_fails),
             cmocka_unit_test(query_of_a_new_heap_reports_the_standard_mode),
             cmocka_unit_test(query_with_a_short_buffer_fails_and_reports_the_size_needed),
             cmocka_unit_test(query_of_an_unknown_class_fails_with_invalid_parameter),
             cmocka_unit_test(asking_for_the_low_fragmentation_heap_is_reported_by_query),
             cmocka_unit_test(enable_termination_on_corruption_is_accepted_for_the_process),
             cmocka_unit_test(summary_reports_allocated_committed_and_reserved_bytes),
             cmocka_unit_test(summary_with_a_wrong_structure_size_fails_with_invalid_parameter))
