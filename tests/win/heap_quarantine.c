/* KM_HEAP_DELAY_FREE=N, kernel32_mem's quarantine switch for programs that use memory after
 * freeing it (as Windows' Fault Tolerant Heap and Proton's WINE_HEAP_DELAY_FREE): freed blocks
 * stay out of reuse, first in first out, until N bytes of them wait. An extension, so the system
 * side has nothing to check; each case runs in a child process started with the variable set. */
static int quarantine_child(const char *action);
#define KM_HEAP_CHILD quarantine_child
#include "heap_test.h"

/* Exits 0 when a freed 64-byte block is not the next one handed out, 1 when it is, in a new heap
 * and in the process heap; a write through the stale pointer must not reach the new block. */
static int quarantine_child(const char *action)
{
    if (strcmp(action, "reuse") != 0)
        return 2;
    int reused = 0;
    HANDLE heaps[] = {HeapCreate(0, 0, 0), GetProcessHeap()};
    for (int i = 0; i < 2; i++) {
        char *freed = HeapAlloc(heaps[i], 0, 64);
        if (!freed || !HeapFree(heaps[i], 0, freed))
            return 3;
        char *next = HeapAlloc(heaps[i], 0, 64);
        if (!next)
            return 3;
        memset(next, 0x11, 64);
        if (next == freed) {
            reused = 1;
            continue;
        }
        memset(freed, 0x55, 64); /* the program's bug: a write after free */
        if (!is_filled_with(next, 0x11, 64) || HeapSize(heaps[i], 0, next) != 64 ||
            !HeapValidate(heaps[i], 0, NULL))
            return 4;
    }
    return reused;
}

static DWORD reuse_in_child_with(const char *delay_free)
{
    SetEnvironmentVariableA("KM_HEAP_DELAY_FREE", delay_free);
    DWORD code = km_exit_code_of_child("reuse");
    SetEnvironmentVariableA("KM_HEAP_DELAY_FREE", NULL);
    return code;
}

static void freed_blocks_wait_in_quarantine_when_asked(void **state)
{
    (void)state;
    if (!KM_TEST_SIDE_OURS)
        skip(); /* kernel32_mem's own switch */
    assert_int_equal(reuse_in_child_with("65536"), 0);
}

/* Without the switch a freed block is the next one handed out: the check above can fail. */
static void without_the_switch_a_freed_block_is_reused_at_once(void **state)
{
    (void)state;
    if (!KM_TEST_SIDE_OURS)
        skip();
    assert_int_equal(reuse_in_child_with(NULL), 1);
    assert_int_equal(reuse_in_child_with("not a number"), 1);
}

KM_HEAP_MAIN(cmocka_unit_test(freed_blocks_wait_in_quarantine_when_asked),
             cmocka_unit_test(without_the_switch_a_freed_block_is_reused_at_once))
