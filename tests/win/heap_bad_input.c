/* Bad input to HeapFree, HeapSize, HeapReAlloc and HeapValidate: foreign, freed, interior,
 * unaligned and stack pointers, blocks of other heaps, bad heap handles. Each gets an error code
 * and leaves the heap valid. */
/* Runs in a child process (see corruption_found_by_free_terminates_when_enabled). */
static int corrupt_in_child(const char *action);
#define KM_HEAP_CHILD corrupt_in_child

#include "heap_test.h"

#include <stdlib.h>

typedef struct bad_fixture {
    HANDLE heap;
    char *block; /* a busy block of 256 bytes */
    char *freed; /* a block of 256 bytes, freed */
} bad_fixture;

static int set_up(void **state)
{
    bad_fixture *f = calloc(1, sizeof *f);
    f->heap = HeapCreate(0, 0, 0);
    f->block = HeapAlloc(f->heap, 0, 256);
    f->freed = HeapAlloc(f->heap, 0, 256);
    if (!f->heap || !f->block || !f->freed || !HeapFree(f->heap, 0, f->freed))
        return -1;
    memset(f->block, 0x5e, 256);
    *state = f;
    return 0;
}

/* Whatever a test did, the heap and its busy block must be intact. */
static int tear_down(void **state)
{
    bad_fixture *f = *state;
    int intact = HeapValidate(f->heap, 0, NULL) && HeapValidate(f->heap, 0, f->block) &&
                 HeapSize(f->heap, 0, f->block) == 256 && is_filled_with(f->block, 0x5e, 256);
    HeapDestroy(f->heap);
    free(f);
    return intact ? 0 : -1;
}

static void expect_free_refused(HANDLE heap, void *pointer)
{
    km_reset_last_error();
    assert_false(HeapFree(heap, 0, pointer));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void expect_size_refused(HANDLE heap, const void *pointer)
{
    km_reset_last_error();
    assert_int_equal(HeapSize(heap, 0, pointer), (SIZE_T)-1);
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void free_of_an_interior_pointer_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    expect_free_refused(f->heap, f->block + ALIGNMENT);
    expect_free_refused(f->heap, f->block + 128);
}

static void free_of_an_unaligned_pointer_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    expect_free_refused(f->heap, f->block + 1);
    expect_free_refused(f->heap, f->block + 3);
}

static void free_of_a_stack_pointer_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    char on_stack[64];
    expect_free_refused(f->heap, on_stack + ALIGNMENT);
}

/* A second free is heap corruption: it ends the process where termination on corruption is on,
 * which Windows makes the default for every 64-bit process. Wine 8 returns FALSE with
 * ERROR_INVALID_PARAMETER instead, and never terminates. */
static void double_free_ends_the_process_with_heap_corruption(void **state)
{
    (void)state;
    DWORD expected = KM_SYSTEM_IS_WINE || sizeof(void *) < 8 ? 0 : 0xC0000374;
    assert_int_equal(km_exit_code_of_child("double-free"), expected);
}

static void free_of_a_block_from_the_c_runtime_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    void *from_msvcrt = malloc(64);
    expect_free_refused(f->heap, from_msvcrt);
    free(from_msvcrt);
}

static void free_of_a_block_from_another_heap_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    HANDLE other = create_heap(0, 0, 0);
    void *theirs = alloc_block(other, 0, 256);
    expect_free_refused(f->heap, theirs);
    assert_int_equal(HeapSize(other, 0, theirs), 256);
    destroy_heap(other);
}

static void free_with_a_null_heap_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    expect_free_refused(NULL, f->block);
}

static void size_of_interior_freed_and_stack_pointers_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    char on_stack[64];
    expect_size_refused(f->heap, f->block + ALIGNMENT);
    expect_size_refused(f->heap, f->block + 1);
    expect_size_refused(f->heap, f->freed);
    expect_size_refused(f->heap, on_stack + ALIGNMENT);
}

static void size_with_a_null_heap_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    expect_size_refused(NULL, f->block);
}

static void size_of_null_fails_with_invalid_parameter(void **state)
{
    SKIP_WHERE_WINDOWS_FAULTS();
    bad_fixture *f = *state;
    expect_size_refused(f->heap, NULL);
}

static void pointers_into_the_heap_metadata_are_refused(void **state)
{
    bad_fixture *f = *state;
    /* The heap handle is the heap's first address: its control data, never a block. */
    expect_free_refused(f->heap, (char *)f->heap + 4 * ALIGNMENT);
    expect_size_refused(f->heap, (char *)f->heap + 4 * ALIGNMENT);
}

static void realloc_of_a_stack_pointer_fails_with_invalid_parameter(void **state)
{
    bad_fixture *f = *state;
    char on_stack[64];
    km_reset_last_error();
    assert_null(HeapReAlloc(f->heap, 0, on_stack + ALIGNMENT, 10));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void validate_of_bad_pointers_fails_without_an_error(void **state)
{
    bad_fixture *f = *state;
    char on_stack[64];
    km_reset_last_error();
    assert_false(HeapValidate(f->heap, 0, f->block + ALIGNMENT));
    assert_false(HeapValidate(f->heap, 0, f->freed));
    assert_false(HeapValidate(f->heap, 0, on_stack + ALIGNMENT));
    assert_last_error(KM_SENTINEL_ERROR);
}

static void validate_of_a_null_heap_fails(void **state)
{
    (void)state;
    assert_false(HeapValidate(NULL, 0, NULL));
}

static void alloc_with_a_null_heap_fails_with_invalid_handle(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(HeapAlloc(NULL, 0, 10));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void heap_handles_that_name_no_heap_are_refused(void **state)
{
    SKIP_WHERE_WINDOWS_FAULTS();
    bad_fixture *f = *state;
    char on_stack[64];
    HANDLE bogus[] = {INVALID_HANDLE_VALUE, (HANDLE)on_stack, (HANDLE)f->block,
                      (HANDLE)((ULONG_PTR)f->heap + 0x10000), (HANDLE)(ULONG_PTR)0x7fff0000};
    for (size_t i = 0; i < KM_ARRAY_SIZE(bogus); i++) {
        km_reset_last_error();
        assert_null(HeapAlloc(bogus[i], 0, 10));
        assert_last_error(ERROR_INVALID_HANDLE);
        assert_false(HeapDestroy(bogus[i]));
        assert_false(HeapValidate(bogus[i], 0, NULL));
        assert_false(HeapLock(bogus[i]));
        expect_free_refused(bogus[i], f->block);
        expect_size_refused(bogus[i], f->block);
    }
}

static void query_into_a_null_buffer_fails_with_noaccess(void **state)
{
    SKIP_WHERE_WINDOWS_FAULTS();
    bad_fixture *f = *state;
    km_reset_last_error();
    assert_false(HeapQueryInformation(f->heap, HeapCompatibilityInformation, NULL, 4, NULL));
    assert_last_error(ERROR_NOACCESS);
}

/* An overflow that rewrites the next block's header: the heap must notice when asked. */
static void validate_detects_an_overflow_into_the_next_block(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    char *first = alloc_block(heap, 0, 24);
    char *second = alloc_block(heap, 0, 24);
    assert_true(HeapValidate(heap, 0, NULL));
    if (second < first || second - first > 64)
        skip(); /* not neighbours: nothing to overflow into */
    memset(first + 24, 0xa5, (size_t)(second - first - 24));
    assert_false(HeapValidate(heap, 0, NULL));
    /* The heap is left corrupt on purpose; it is not destroyed (that could walk the damage). */
}

static void unserialized_heap_refuses_the_low_fragmentation_mode(void **state)
{
    /* Windows refuses the LFH for HEAP_NO_SERIALIZE heaps; Wine 8 accepts any request. */
    (void)state;
    HANDLE heap = create_heap(HEAP_NO_SERIALIZE, 0, 0);
    ULONG lfh = 2;
    km_reset_last_error();
    BOOL accepted = HeapSetInformation(heap, HeapCompatibilityInformation, &lfh, sizeof lfh);
    if (KM_SYSTEM_IS_WINE) {
        assert_true(accepted);
    } else {
        assert_false(accepted);
        assert_last_error(ERROR_INVALID_PARAMETER);
    }
    destroy_heap(heap);
}

/* In a child process: turns termination on, overflows a block into its neighbour's header, and
 * frees the neighbour. Returns (exits with 0) only if the heap lets the process live. */
static int corrupt_in_child(const char *action)
{
    if (strcmp(action, "double-free") == 0) {
        HANDLE heap = HeapCreate(0, 0, 0);
        void *block = HeapAlloc(heap, 0, 24);
        if (!HeapFree(heap, 0, block))
            return 3;
        SetLastError(0);
        if (HeapFree(heap, 0, block) || GetLastError() != ERROR_INVALID_PARAMETER)
            return 4;
        return 0;
    }
    if (strcmp(action, "corrupt-and-free") != 0)
        return 2;
    HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0);
    HANDLE heap = HeapCreate(0, 0, 0);
    char *first = HeapAlloc(heap, 0, 24);
    char *second = HeapAlloc(heap, 0, 24);
    if (!first || !second || second < first || second - first > 64)
        return 3;
    memset(first + 24, 0xa5, (size_t)(second - first - 24));
    HeapFree(heap, 0, second);
    return 0;
}

/* With termination on corruption enabled, a free that finds a damaged block ends the process
 * with STATUS_HEAP_CORRUPTION. Wine 8 accepts the setting but never acts on it. */
static void corruption_found_by_free_terminates_when_enabled(void **state)
{
    (void)state;
    DWORD code = km_exit_code_of_child("corrupt-and-free");
    assert_int_equal(code, KM_SYSTEM_IS_WINE ? 0 : 0xC0000374);
}

#define BAD(test) cmocka_unit_test_setup_teardown(test, set_up, tear_down)

KM_HEAP_MAIN(BAD(free_of_an_interior_pointer_fails_with_invalid_parameter),
             BAD(free_of_an_unaligned_pointer_fails_with_invalid_parameter),
             BAD(free_of_a_stack_pointer_fails_with_invalid_parameter),
             cmocka_unit_test(double_free_ends_the_process_with_heap_corruption),
             BAD(free_of_a_block_from_the_c_runtime_fails_with_invalid_parameter),
             BAD(free_of_a_block_from_another_heap_fails_with_invalid_parameter),
             BAD(free_with_a_null_heap_fails_with_invalid_parameter),
             BAD(size_of_interior_freed_and_stack_pointers_fails_with_invalid_parameter),
             BAD(size_with_a_null_heap_fails_with_invalid_parameter),
             BAD(size_of_null_fails_with_invalid_parameter),
             BAD(pointers_into_the_heap_metadata_are_refused),
             BAD(realloc_of_a_stack_pointer_fails_with_invalid_parameter),
             BAD(validate_of_bad_pointers_fails_without_an_error),
             BAD(validate_of_a_null_heap_fails),
             BAD(alloc_with_a_null_heap_fails_with_invalid_handle),
             BAD(heap_handles_that_name_no_heap_are_refused),
             BAD(query_into_a_null_buffer_fails_with_noaccess),
             cmocka_unit_test(validate_detects_an_overflow_into_the_next_block),
             cmocka_unit_test(unserialized_heap_refuses_the_low_fragmentation_mode),
             cmocka_unit_test(corruption_found_by_free_terminates_when_enabled))
