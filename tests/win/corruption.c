/* The corruption suite: what the heap finds of a program's memory bugs, when, and how, in each
 * mode. Every case runs in a child process (kernel32_mem ends a 64-bit process on heap
 * corruption, as Windows does), which reports by its exit code:
 *   0x10 set   HeapValidate found the heap damaged (it reports, never ends the process);
 *   1          the free the case makes failed (an error, the process goes on);
 *   2          (write after free) the next block handed out was the freed one;
 *   0xC0000374 the free found the damage and ended the process (STATUS_HEAP_CORRUPTION).
 *   0xC0000005 the bad access itself faulted (the page heap's guard pages).
 * The modes are the default heap, tail checking (KM_HEAP_DEBUG=tail), quarantine
 * (KM_HEAP_DELAY_FREE), the page heap (KM_HEAP_DEBUG=page) and free checking
 * (KM_HEAP_DEBUG=free). The README's corruption table is this file's table. */
static int corruption_child(const char *action);
#define KM_HEAP_CHILD corruption_child
#include "heap_test.h"

#define TERMINATED 0xC0000374u
#define VALIDATE_FAILED 0x10

/* Overflows a block of `request` bytes by `by` bytes, validates, frees the block. */
static int overflow(HANDLE heap, SIZE_T request, SIZE_T by)
{
    unsigned char *block = HeapAlloc(heap, 0, request);
    unsigned char *next = HeapAlloc(heap, 0, request);
    if (!block || !next)
        return 3;
    for (SIZE_T i = 0; i < by; i++)
        block[request + i] ^= 0x5a;
    int code = HeapValidate(heap, 0, NULL) ? 0 : VALIDATE_FAILED;
    return code | (HeapFree(heap, 0, block) ? 0 : 1);
}

/* Writes 8 bytes before a block (into the end of the block before it), validates, frees it. */
static int underflow(HANDLE heap)
{
    unsigned char *before = HeapAlloc(heap, 0, 40);
    unsigned char *block = HeapAlloc(heap, 0, 40);
    if (!before || !block)
        return 3;
    for (int i = 1; i <= 8; i++)
        block[-i] ^= 0x5a;
    int code = HeapValidate(heap, 0, NULL) ? 0 : VALIDATE_FAILED;
    return code | (HeapFree(heap, 0, block) ? 0 : 1);
}

static int double_free(HANDLE heap)
{
    void *block = HeapAlloc(heap, 0, 64);
    if (!block || !HeapFree(heap, 0, block))
        return 3;
    return HeapFree(heap, 0, block) ? 0 : 1;
}

static int interior_free(HANDLE heap)
{
    char *block = HeapAlloc(heap, 0, 64);
    return block && HeapFree(heap, 0, block + 16) ? 0 : 1;
}

static int other_heaps_block(HANDLE heap)
{
    HANDLE other = HeapCreate(0, 0, 0);
    void *theirs = HeapAlloc(other, 0, 64);
    return theirs && HeapFree(heap, 0, theirs) ? 0 : 1;
}

/* Frees a block, writes through the stale pointer, validates, allocates the same size again. */
static int write_after_free(HANDLE heap)
{
    unsigned char *block = HeapAlloc(heap, 0, 64);
    if (!block || !HeapFree(heap, 0, block))
        return 3;
    memset(block, 0x5a, 64);
    int code = HeapValidate(heap, 0, NULL) ? 0 : VALIDATE_FAILED;
    return code | (HeapAlloc(heap, 0, 64) == block ? 2 : 0);
}

static int corruption_child(const char *action)
{
    HANDLE heap = HeapCreate(0, 0, 0);
    if (!strcmp(action, "overflow-1-of-40"))
        return overflow(heap, 40, 1);
    if (!strcmp(action, "overflow-1"))
        return overflow(heap, 64, 1);
    if (!strcmp(action, "overflow-8"))
        return overflow(heap, 64, 8);
    if (!strcmp(action, "overflow-16"))
        return overflow(heap, 64, 16);
    if (!strcmp(action, "overflow-64"))
        return overflow(heap, 64, 64);
    if (!strcmp(action, "underflow-8"))
        return underflow(heap);
    if (!strcmp(action, "double-free"))
        return double_free(heap);
    if (!strcmp(action, "interior-free"))
        return interior_free(heap);
    if (!strcmp(action, "other-heap"))
        return other_heaps_block(heap);
    if (!strcmp(action, "write-after-free"))
        return write_after_free(heap);
    return 4;
}

typedef struct corruption_case {
    const char *action;
    DWORD ours[5]; /* kernel32_mem, 64-bit: default, tail, quarantine, page heap, free checking */
    DWORD wine;    /* Wine 8's own heap, as observed (it never ends a process on purpose) */
} corruption_case;

static const char *const modes[5] = {"default", "tail", "quarantine", "page", "free"};

#define FAULTED 0xC0000005u
#define SAME(code)                                                                                 \
    {                                                                                              \
        code, code, code, code, code                                                               \
    }

static const corruption_case cases[] = {
    /* A request that leaves slack is sealed: validation finds the write past it, as Windows'
     * does; the free reads only the block's code and guard in the default mode, as Windows'
     * reads only headers, and the whole seal in every other mode. A request that fills its
     * class has no seal, until tail checking gives every block slack. */
    /* The page heap ends a block at its guard page; a request that is not a multiple of 16
     * leaves alignment slack before it, filled with 0xD0 and checked like a tail. */
    {"overflow-1-of-40",
     {VALIDATE_FAILED, TERMINATED, TERMINATED, TERMINATED, TERMINATED},
     VALIDATE_FAILED},
    {"overflow-1", {0, TERMINATED, 0, FAULTED, 0}, 0},
    {"overflow-8", {0, TERMINATED, 0, FAULTED, 0}, 0},
    {"overflow-16", {0, TERMINATED, 0, FAULTED, 0}, VALIDATE_FAILED},
    {"overflow-64", {0, TERMINATED, 0, FAULTED, 0}, VALIDATE_FAILED},
    /* The bytes before a block are the end of the block before it, whose guard they break; in
     * the page heap they are the block's own page, unguarded. */
    {"underflow-8", {TERMINATED, TERMINATED, TERMINATED, 0, TERMINATED}, VALIDATE_FAILED | 1},
    /* A page-heap block's pages are gone once freed: a second free finds no block. */
    {"double-free", {TERMINATED, TERMINATED, TERMINATED, 1, TERMINATED}, 1},
    {"interior-free", SAME(1), 1},
    {"other-heap", SAME(1), 1},
    /* A freed block's contents are the heap's to ignore; the quarantine keeps it from the next
     * owner, so the stale write lands in no one's data. Wine 8 keeps its free list in freed
     * blocks: the stale write breaks it, and the next allocation faults. */
    /* Free checking finds the stale write in the fill, at validate and at the reuse. */
    {"write-after-free", {2, 2, 0, FAULTED, TERMINATED}, FAULTED},
};

static DWORD run_case(const char *action, const char *mode)
{
    SetEnvironmentVariableA("KM_HEAP_DEBUG", !strcmp(mode, "tail")   ? "tail"
                                             : !strcmp(mode, "page") ? "page"
                                             : !strcmp(mode, "free") ? "free"
                                                                     : NULL);
    SetEnvironmentVariableA("KM_HEAP_DELAY_FREE", strcmp(mode, "quarantine") ? NULL : "65536");
    DWORD code = km_exit_code_of_child(action);
    SetEnvironmentVariableA("KM_HEAP_DEBUG", NULL);
    SetEnvironmentVariableA("KM_HEAP_DELAY_FREE", NULL);
    return code;
}

static void every_case_is_found_when_and_as_the_table_says(void **state)
{
    (void)state;
    if (sizeof(void *) < 8)
        skip(); /* the table is a 64-bit process's: a 32-bit one's ends nothing by default */
    if (!KM_TEST_SIDE_OURS && !km_running_under_wine())
        skip(); /* Windows' answers are not pinned here */
    int mismatches = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* The system's heap has none of kernel32_mem's modes: one run of each case. */
        for (int mode = 0; mode < (KM_TEST_SIDE_OURS ? 5 : 1); mode++) {
            DWORD expected = KM_TEST_SIDE_OURS ? cases[i].ours[mode] : cases[i].wine;
            DWORD code = run_case(cases[i].action, modes[mode]);
            if (code != expected) {
                print_error("%s in %s mode: exit code %#lx, expected %#lx\n", cases[i].action,
                            modes[mode], code, expected);
                mismatches++;
            }
        }
    }
    assert_int_equal(mismatches, 0);
}

KM_HEAP_MAIN(cmocka_unit_test(every_case_is_found_when_and_as_the_table_says))
