/* The Toolhelp heap walk (Heap32ListFirst/Next, Heap32First/Next) over this process's heaps:
 * the process heap listed first and flagged default, every heap made listed, and a heap's blocks
 * walked busy and free with their sizes, ending with ERROR_NO_MORE_FILES. Wine 8 stubs these
 * four functions (they answer FALSE), so its side has nothing to check. */
#include "heap_test.h"

#include <tlhelp32.h>

static BOOL toolhelp_heaps_are_stubbed_here(void)
{
    return KM_SYSTEM_IS_WINE;
}

static void the_heap_list_starts_with_the_process_heap_and_has_every_heap(void **state)
{
    (void)state;
    if (toolhelp_heaps_are_stubbed_here())
        skip();
    HANDLE mine = create_heap(0, 0, 0);
    HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPHEAPLIST, 0);
    /* Wine 8 makes no heap-list snapshot; kernel32_mem lists this process's heaps live and does
     * not read the snapshot, so it answers the same without one. */
    if (snapshot == INVALID_HANDLE_VALUE && km_running_under_wine())
        snapshot = NULL;
    assert_true(snapshot != INVALID_HANDLE_VALUE);
    HEAPLIST32 list = {.dwSize = sizeof list};
    assert_true(Heap32ListFirst(snapshot, &list));
    assert_int_equal(list.th32HeapID, (ULONG_PTR)GetProcessHeap());
    assert_true(list.dwFlags & HF32_DEFAULT);
    assert_int_equal(list.th32ProcessID, GetCurrentProcessId());
    int count = 1;
    BOOL seen_mine = FALSE;
    km_reset_last_error();
    while (Heap32ListNext(snapshot, &list)) {
        count++;
        seen_mine |= list.th32HeapID == (ULONG_PTR)mine;
        assert_false(list.dwFlags & HF32_DEFAULT);
    }
    assert_last_error(ERROR_NO_MORE_FILES);
    assert_true(seen_mine);
    assert_true(count >= 2);
    if (snapshot)
        CloseHandle(snapshot);
    destroy_heap(mine);
}

static void a_heaps_blocks_are_walked_with_their_sizes(void **state)
{
    (void)state;
    if (toolhelp_heaps_are_stubbed_here())
        skip();
    HANDLE heap = create_heap(0, 0, 0);
    const SIZE_T sizes[3] = {24, 1000, 70000};
    void *blocks[3];
    for (int i = 0; i < 3; i++)
        blocks[i] = alloc_block(heap, 0, sizes[i]);
    HEAPENTRY32 entry = {.dwSize = sizeof entry};
    int busy = 0, seen[3] = {0};
    km_reset_last_error();
    for (BOOL more = Heap32First(&entry, GetCurrentProcessId(), (ULONG_PTR)heap); more;
         more = Heap32Next(&entry)) {
        assert_int_equal(entry.th32HeapID, (ULONG_PTR)heap);
        if (!(entry.dwFlags & LF32_FIXED))
            continue;
        busy++;
        for (int i = 0; i < 3; i++)
            if (entry.dwAddress == (ULONG_PTR)blocks[i]) {
                assert_int_equal(entry.dwBlockSize, sizes[i]);
                seen[i]++;
            }
    }
    assert_last_error(ERROR_NO_MORE_FILES);
    assert_int_equal(busy, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(seen[i], 1);
    destroy_heap(heap);
}

KM_HEAP_MAIN(cmocka_unit_test(the_heap_list_starts_with_the_process_heap_and_has_every_heap),
             cmocka_unit_test(a_heaps_blocks_are_walked_with_their_sizes))
