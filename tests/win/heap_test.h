/* What the heap.* test programs share: the exports they check and helpers for common steps. */
#ifndef KM_HEAP_TEST_H
#define KM_HEAP_TEST_H

#include "km_test.h"

#define ALIGNMENT (2 * sizeof(void *))
/* The largest block a fixed-size heap grants: slightly less than 512 KB in a 32-bit process and
 * 1 MB in a 64-bit one (HeapCreate's documentation). */
#define FIXED_HEAP_BLOCK_LIMIT (sizeof(void *) == 8 ? (SIZE_T)0xFEFD8 : (SIZE_T)0x7FFF8)
#define HUGE_BLOCK ((SIZE_T)5 << 20)

/* mingw-w64's heapapi.h declares HeapSummary without dllimport, so its address would be the
 * program's own import thunk; declared as an import, it is the function the loader resolved. */
__declspec(dllimport) WINBOOL WINAPI HeapSummary(HANDLE heap, DWORD flags, LPHEAP_SUMMARY summary);

/* The exports every heap.* program calls, for its first test. */
#define KM_HEAP_EXPORTS                                                                           \
    {KM_EXPORT(GetProcessHeap), KM_EXPORT(GetProcessHeaps), KM_EXPORT(HeapAlloc),                 \
     KM_EXPORT(HeapCompact),    KM_EXPORT(HeapCreate),      KM_EXPORT(HeapDestroy),               \
     KM_EXPORT(HeapFree),       KM_EXPORT(HeapLock),        KM_EXPORT(HeapQueryInformation),      \
     KM_EXPORT(HeapReAlloc),    KM_EXPORT(HeapSetInformation), KM_EXPORT(HeapSize),               \
     KM_EXPORT(HeapSummary),    KM_EXPORT(HeapUnlock),      KM_EXPORT(HeapValidate),              \
     KM_EXPORT(HeapWalk)}

/* A program may run a part of itself as a child process (to watch it end): given a command-line
 * argument, main calls KM_HEAP_CHILD with it instead of running the tests. A program that has
 * such a part defines KM_HEAP_CHILD before it uses KM_HEAP_MAIN. */
static inline int km_no_child_action(const char *action)
{
    (void)action;
    return 2;
}

#ifndef KM_HEAP_CHILD
#define KM_HEAP_CHILD km_no_child_action
#endif

#define KM_HEAP_MAIN(...)                                                                         \
    int main(int argc, char **argv)                                                               \
    {                                                                                             \
        if (argc > 1)                                                                             \
            return KM_HEAP_CHILD(argv[1]);                                                        \
        const km_export exports[] = KM_HEAP_EXPORTS;                                              \
        const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};                     \
        const struct CMUnitTest tests[] = {KM_EXPORTS_RESOLVE_TEST(export_list), __VA_ARGS__};    \
        return cmocka_run_group_tests(tests, NULL, NULL);                                         \
    }

/* Windows faults on this input, where kernel32_mem refuses it with an error; only the .ours
 * program runs such a test. */
#define SKIP_WHERE_WINDOWS_FAULTS()                                                               \
    do {                                                                                          \
        if (!KM_TEST_SIDE_OURS)                                                                   \
            skip();                                                                               \
    } while (0)

static inline HANDLE create_heap(DWORD flags, SIZE_T initial, SIZE_T maximum)
{
    km_reset_last_error();
    HANDLE heap = HeapCreate(flags, initial, maximum);
    assert_non_null(heap);
    return heap;
}

static inline void destroy_heap(HANDLE heap)
{
    assert_true(HeapDestroy(heap));
}

/* Bytes committed in the allocation (reservation) that contains address. */
static inline SIZE_T committed_bytes_of_allocation(const void *address)
{
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(address, &info, sizeof info), sizeof info);
    void *base = info.AllocationBase;
    SIZE_T committed = 0;
    for (const char *at = base;; at += info.RegionSize) {
        if (VirtualQuery(at, &info, sizeof info) != sizeof info || info.AllocationBase != base)
            break;
        if (info.State == MEM_COMMIT)
            committed += info.RegionSize;
    }
    return committed;
}

static inline void *alloc_block(HANDLE heap, DWORD flags, SIZE_T size)
{
    void *block = HeapAlloc(heap, flags, size);
    assert_non_null(block);
    return block;
}

static inline BOOL is_filled_with(const void *block, unsigned char value, SIZE_T size)
{
    const unsigned char *bytes = block;
    for (SIZE_T i = 0; i < size; i++)
        if (bytes[i] != value)
            return FALSE;
    return TRUE;
}

#endif
