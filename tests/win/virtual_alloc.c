/* VirtualAlloc: reserving and committing private memory, and what it refuses. */
#include "virtual_test.h"

/* An address that was a 64 KiB-aligned free region a moment ago. */
static char *free_region_address(SIZE_T size)
{
    char *base = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
    return base;
}

static void expect_alloc_fails(void *address, SIZE_T size, DWORD type, DWORD protect,
                               DWORD expected_error)
{
    km_reset_last_error();
    assert_null(VirtualAlloc(address, size, type, protect));
    assert_last_error(expected_error);
}

/* A request the documentation forbids but Wine's kernel32 grants (see each caller's reason). */
static void expect_alloc_refused_by_windows(void *address, SIZE_T size, DWORD type,
                                            DWORD protect)
{
    if (KM_SYSTEM_IS_WINE) {
        void *granted = VirtualAlloc(address, size, type, protect);
        assert_non_null(granted);
        if (granted != address)
            assert_true(VirtualFree(granted, 0, MEM_RELEASE));
        return;
    }
    expect_alloc_fails(address, size, type, protect, ERROR_INVALID_PARAMETER);
}

static void alloc_of_zero_bytes_fails_with_invalid_parameter(void **state)
{
    (void)state;
    expect_alloc_fails(NULL, 0, MEM_RESERVE, PAGE_NOACCESS, ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, 0, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
}

static void reserve_rounds_up_to_pages_in_a_64k_aligned_region(void **state)
{
    (void)state;
    char *base = VirtualAlloc(NULL, 0xfffc, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);
    assert_int_equal((ULONG_PTR)base % GRANULARITY, 0);

    MEMORY_BASIC_INFORMATION info = query(base);
    assert_ptr_equal(info.BaseAddress, base);
    assert_ptr_equal(info.AllocationBase, base);
    assert_int_equal(info.AllocationProtect, PAGE_NOACCESS);
    assert_int_equal(info.RegionSize, 0x10000);
    assert_int_equal(info.State, MEM_RESERVE);
    assert_int_equal(info.Protect, 0);
    assert_int_equal(info.Type, MEM_PRIVATE);
    release(base);
}

static void commit_inside_a_reservation_returns_the_page_base(void **state)
{
    (void)state;
    SIZE_T page = page_size();
    char *base = VirtualAlloc(NULL, 4 * page, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);

    char *committed = VirtualAlloc(base + page + 0x123, 0x10, MEM_COMMIT, PAGE_READWRITE);
    assert_ptr_equal(committed, base + page);
    MEMORY_BASIC_INFORMATION info = query(committed);
    assert_int_equal(info.State, MEM_COMMIT);
    assert_int_equal(info.RegionSize, page);
    assert_int_equal(info.Protect, PAGE_READWRITE);
    assert_ptr_equal(info.AllocationBase, base);
    committed[page - 1] = 1;
    release(base);
}

static void commit_across_a_page_boundary_commits_both_pages(void **state)
{
    (void)state;
    SIZE_T page = page_size();
    char *base = VirtualAlloc(NULL, 4 * page, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);

    char *committed = VirtualAlloc(base + page - 8, 16, MEM_COMMIT, PAGE_READWRITE);
    assert_ptr_equal(committed, base);
    assert_int_equal(query(base).RegionSize, 2 * page);
    release(base);
}

static void reserve_and_commit_gives_zeroed_writable_memory(void **state)
{
    (void)state;
    SIZE_T size = 3 * page_size();
    unsigned char *block = VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(block);
    for (SIZE_T i = 0; i < size; i++)
        assert_int_equal(block[i], 0);
    block[0] = 0x5a;
    block[size - 1] = 0xa5;
    assert_int_equal(block[0] + block[size - 1], 0xff);
    release(block);
}

static void commit_of_committed_pages_keeps_their_contents(void **state)
{
    (void)state;
    char *block = VirtualAlloc(NULL, page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(block);
    block[10] = 42;
    assert_ptr_equal(VirtualAlloc(block, page_size(), MEM_COMMIT, PAGE_READWRITE), block);
    assert_int_equal(block[10], 42);
    release(block);
}

static void commit_without_a_reservation_fails_with_invalid_address(void **state)
{
    (void)state;
    char *gone = free_region_address(GRANULARITY);
    expect_alloc_fails(gone, page_size(), MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
}

static void commit_past_the_end_of_a_reservation_fails_with_invalid_address(void **state)
{
    (void)state;
    char *base = VirtualAlloc(NULL, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);
    expect_alloc_fails(base + GRANULARITY - page_size(), 2 * page_size(), MEM_COMMIT,
                       PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    assert_int_equal(query(base).State, MEM_RESERVE);
    release(base);
}

static void reserve_over_a_reservation_fails_with_invalid_address(void **state)
{
    (void)state;
    char *base = VirtualAlloc(NULL, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);
    expect_alloc_fails(base, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS, ERROR_INVALID_ADDRESS);
    expect_alloc_fails(base + page_size(), page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    release(base);
}

static void reserve_at_an_unaligned_address_rounds_down_to_64k(void **state)
{
    (void)state;
    char *target = free_region_address(2 * GRANULARITY);
    char *base = VirtualAlloc(target + 0x1234, 0x100, MEM_RESERVE, PAGE_READWRITE);
    assert_ptr_equal(base, target);
    MEMORY_BASIC_INFORMATION info = query(base);
    /* The region covers the requested bytes from the rounded-down base. */
    assert_int_equal(info.RegionSize, 0x2000);
    release(base);
}

static void every_private_protection_is_accepted_and_reported(void **state)
{
    (void)state;
    static const DWORD protections[] = {PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE,
                                        PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE};
    for (size_t i = 0; i < KM_ARRAY_SIZE(protections); i++) {
        void *block = VirtualAlloc(NULL, page_size(), MEM_RESERVE | MEM_COMMIT, protections[i]);
        assert_non_null(block);
        MEMORY_BASIC_INFORMATION info = query(block);
        assert_int_equal(info.Protect, protections[i]);
        assert_int_equal(info.AllocationProtect, protections[i]);
        release(block);
    }
}

static void copy_on_write_protection_is_refused_for_private_memory(void **state)
{
    (void)state;
    expect_alloc_fails(NULL, page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_WRITECOPY,
                       ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_WRITECOPY,
                       ERROR_INVALID_PARAMETER);
}

static void zero_or_combined_base_protections_are_refused(void **state)
{
    (void)state;
    expect_alloc_fails(NULL, page_size(), MEM_RESERVE, 0, ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_COMMIT, 0, ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_READONLY | PAGE_EXECUTE,
                       ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_RESERVE | MEM_COMMIT,
                       PAGE_READWRITE | PAGE_EXECUTE_READWRITE, ERROR_INVALID_PARAMETER);
}

static void guard_modifier_is_accepted_and_reported(void **state)
{
    (void)state;
    void *block = VirtualAlloc(NULL, page_size(), MEM_RESERVE | MEM_COMMIT,
                               PAGE_READWRITE | PAGE_GUARD);
    assert_non_null(block);
    MEMORY_BASIC_INFORMATION info = query(block);
    assert_int_equal(info.Protect, PAGE_READWRITE | PAGE_GUARD);
    release(block);
}

static void nocache_modifier_is_accepted_and_reported(void **state)
{
    (void)state;
    void *block = VirtualAlloc(NULL, page_size(), MEM_RESERVE | MEM_COMMIT,
                               PAGE_READWRITE | PAGE_NOCACHE);
    assert_non_null(block);
    assert_int_equal(query(block).Protect, PAGE_READWRITE | PAGE_NOCACHE);
    release(block);
}

static void incompatible_protection_modifiers_are_refused(void **state)
{
    (void)state;
    const DWORD both = MEM_RESERVE | MEM_COMMIT;
    /* The protection-constants page: PAGE_GUARD "cannot be used with PAGE_NOACCESS";
     * PAGE_NOCACHE "cannot be used with PAGE_GUARD, PAGE_NOACCESS, or PAGE_WRITECOMBINE".
     * Wine 8 checks only the base protection and grants all of these. */
    expect_alloc_refused_by_windows(NULL, page_size(), both, PAGE_NOACCESS | PAGE_GUARD);
    expect_alloc_refused_by_windows(NULL, page_size(), both, PAGE_NOACCESS | PAGE_NOCACHE);
    expect_alloc_refused_by_windows(NULL, page_size(), both,
                                    PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE);
    expect_alloc_refused_by_windows(NULL, page_size(), both,
                                    PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE);
    expect_alloc_fails(NULL, page_size(), both, PAGE_GUARD, ERROR_INVALID_PARAMETER);
}

static void allocation_types_without_a_request_are_refused(void **state)
{
    (void)state;
    expect_alloc_fails(NULL, page_size(), 0, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_TOP_DOWN, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_DECOMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_RELEASE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_FREE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
}

static void unknown_allocation_type_bits_are_refused(void **state)
{
    (void)state;
    expect_alloc_fails(NULL, page_size(), MEM_RESERVE | 0x10, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, page_size(), MEM_COMMIT | MEM_RESERVE | 0x40000000, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
}

static void write_watch_without_reserve_is_refused(void **state)
{
    (void)state;
    /* VirtualAlloc's page: with MEM_WRITE_WATCH "you must also specify MEM_RESERVE".
     * Wine 8 reserves implicitly for a commit at NULL and grants it. */
    expect_alloc_refused_by_windows(NULL, page_size(), MEM_COMMIT | MEM_WRITE_WATCH,
                                    PAGE_READWRITE);
}

static void reset_takes_no_other_allocation_flag(void **state)
{
    (void)state;
    char *block = VirtualAlloc(NULL, page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(block);
    /* VirtualAlloc's page: MEM_RESET "cannot be used with any other value". Wine 8 grants
     * MEM_RESET | MEM_COMMIT as a commit. */
    expect_alloc_refused_by_windows(block, page_size(), MEM_RESET | MEM_COMMIT, PAGE_READWRITE);
    release(block);
}

static void reset_keeps_committed_pages_and_their_protection(void **state)
{
    (void)state;
    char *block = VirtualAlloc(NULL, page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(block);
    block[0] = 1;
    assert_ptr_equal(VirtualAlloc(block, page_size(), MEM_RESET, PAGE_NOACCESS), block);
    MEMORY_BASIC_INFORMATION info = query(block);
    assert_int_equal(info.State, MEM_COMMIT);
    assert_int_equal(info.Protect, PAGE_READWRITE);
    block[0] = 2; /* still writable */
    release(block);
}

/* Undo succeeds only if the kernel kept every page; then the data is intact. If it fails, some
 * pages read as zero now, and the last error says so. */
static void reset_undo_keeps_the_data_or_says_it_is_gone(void **state)
{
    (void)state;
    char *block = VirtualAlloc(NULL, page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(block);
    memset(block, 0x6b, page_size());
    assert_ptr_equal(VirtualAlloc(block, page_size(), MEM_RESET, PAGE_NOACCESS), block);
    km_reset_last_error();
    char *undone = VirtualAlloc(block, page_size(), MEM_RESET_UNDO, PAGE_NOACCESS);
    if (undone) {
        assert_ptr_equal(undone, block);
        assert_int_equal(block[0], 0x6b);
        assert_int_equal(block[page_size() - 1], 0x6b);
    } else {
        assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
    }
    assert_int_equal(query(block).Protect, PAGE_READWRITE);
    release(block);
}

static void top_down_allocates_above_a_bottom_up_allocation(void **state)
{
    (void)state;
    char *low = VirtualAlloc(NULL, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS);
    char *high = VirtualAlloc(NULL, GRANULARITY, MEM_RESERVE | MEM_TOP_DOWN, PAGE_NOACCESS);
    assert_non_null(low);
    assert_non_null(high);
    assert_true(high > low);
    assert_int_equal((ULONG_PTR)high % GRANULARITY, 0);
    release(low);
    release(high);
}

static void address_in_the_first_64k_is_refused(void **state)
{
    (void)state;
    expect_alloc_fails((void *)0x1000, page_size(), MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    expect_alloc_fails((void *)0xffff, page_size(), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
}

static void sizes_beyond_the_user_address_space_fail_with_invalid_parameter(void **state)
{
    (void)state;
    expect_alloc_fails(NULL, (SIZE_T)-1, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    expect_alloc_fails(NULL, (SIZE_T)-1 - GRANULARITY, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
}

static void range_that_wraps_the_address_space_is_refused(void **state)
{
    (void)state;
    char *target = free_region_address(GRANULARITY);
    km_reset_last_error();
    assert_null(VirtualAlloc(target, (SIZE_T)0 - (ULONG_PTR)target + page_size(), MEM_RESERVE,
                             PAGE_READWRITE));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

int main(void)
{
    const km_export exports[] = KM_VIRTUAL_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(alloc_of_zero_bytes_fails_with_invalid_parameter),
        cmocka_unit_test(reserve_rounds_up_to_pages_in_a_64k_aligned_region),
        cmocka_unit_test(commit_inside_a_reservation_returns_the_page_base),
        cmocka_unit_test(commit_across_a_page_boundary_commits_both_pages),
        cmocka_unit_test(reserve_and_commit_gives_zeroed_writable_memory),
        cmocka_unit_test(commit_of_committed_pages_keeps_their_contents),
        cmocka_unit_test(commit_without_a_reservation_fails_with_invalid_address),
        cmocka_unit_test(commit_past_the_end_of_a_reservation_fails_with_invalid_address),
        cmocka_unit_test(reserve_over_a_reservation_fails_with_invalid_address),
        cmocka_unit_test(reserve_at_an_unaligned_address_rounds_down_to_64k),
        cmocka_unit_test(every_private_protection_is_accepted_and_reported),
        cmocka_unit_test(copy_on_write_protection_is_refused_for_private_memory),
        cmocka_unit_test(zero_or_combined_base_protections_are_refused),
        cmocka_unit_test(guard_modifier_is_accepted_and_reported),
        cmocka_unit_test(nocache_modifier_is_accepted_and_reported),
        cmocka_unit_test(incompatible_protection_modifiers_are_refused),
        cmocka_unit_test(allocation_types_without_a_request_are_refused),
        cmocka_unit_test(unknown_allocation_type_bits_are_refused),
        cmocka_unit_test(write_watch_without_reserve_is_refused),
        cmocka_unit_test(reset_takes_no_other_allocation_flag),
        cmocka_unit_test(reset_keeps_committed_pages_and_their_protection),
        cmocka_unit_test(reset_undo_keeps_the_data_or_says_it_is_gone),
        cmocka_unit_test(top_down_allocates_above_a_bottom_up_allocation),
        cmocka_unit_test(address_in_the_first_64k_is_refused),
        cmocka_unit_test(sizes_beyond_the_user_address_space_fail_with_invalid_parameter),
        cmocka_unit_test(range_that_wraps_the_address_space_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
