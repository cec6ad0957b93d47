/* VirtualFree: decommitting and releasing, and what it refuses. */
#include "virtual_test.h"

/* Freeing what is not allocated: Windows' kernel answers STATUS_MEMORY_NOT_ALLOCATED
 * (ERROR_INVALID_ADDRESS); Wine 8's ntdll answers STATUS_INVALID_PARAMETER, and kernel32_mem,
 * which passes the kernel's answer on, gives the same there. */
static DWORD not_allocated_error(void)
{
    return km_running_under_wine() ? ERROR_INVALID_PARAMETER : ERROR_INVALID_ADDRESS;
}

static void expect_free_fails(void *address, SIZE_T size, DWORD type, DWORD expected_error)
{
    km_reset_last_error();
    assert_false(VirtualFree(address, size, type));
    assert_last_error(expected_error);
}

static void release_of_the_base_frees_the_whole_region(void **state)
{
    (void)state;
    char *base = reserve_and_commit(4 * GRANULARITY, GRANULARITY);
    km_reset_last_error();
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
    MEMORY_BASIC_INFORMATION info = query(base);
    assert_int_equal(info.State, MEM_FREE);
    assert_true(info.RegionSize >= 4 * GRANULARITY);
    assert_int_equal(query(base + 3 * GRANULARITY).State, MEM_FREE);
}

static void release_with_a_size_fails_with_invalid_parameter(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 0);
    expect_free_fails(base, 1, MEM_RELEASE, ERROR_INVALID_PARAMETER);
    expect_free_fails(base, GRANULARITY, MEM_RELEASE, ERROR_INVALID_PARAMETER);
    assert_int_equal(query(base).State, MEM_RESERVE);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void release_inside_a_region_fails_with_invalid_address(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    expect_free_fails(base + page_size(), 0, MEM_RELEASE, ERROR_INVALID_ADDRESS);
    assert_int_equal(query(base).State, MEM_COMMIT);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void release_twice_fails_as_not_allocated(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 0);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
    expect_free_fails(base, 0, MEM_RELEASE, not_allocated_error());
    expect_free_fails(base, page_size(), MEM_DECOMMIT, not_allocated_error());
}

static void release_of_null_fails_as_not_allocated(void **state)
{
    (void)state;
    expect_free_fails(NULL, 0, MEM_RELEASE, not_allocated_error());
}

static void free_types_other_than_decommit_or_release_are_refused(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    expect_free_fails(base, 0, 0, ERROR_INVALID_PARAMETER);
    expect_free_fails(base, 0, MEM_FREE, ERROR_INVALID_PARAMETER);
    expect_free_fails(base, 0, MEM_DECOMMIT | MEM_RELEASE, ERROR_INVALID_PARAMETER);
    expect_free_fails(base, page_size(), MEM_COMMIT, ERROR_INVALID_PARAMETER);
    expect_free_fails(base, page_size(), MEM_DECOMMIT | 0x10, ERROR_INVALID_PARAMETER);
    assert_int_equal(query(base).State, MEM_COMMIT);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void decommit_returns_pages_to_reserved(void **state)
{
    (void)state;
    SIZE_T page = page_size();
    char *base = reserve_and_commit(GRANULARITY, 3 * page);
    km_reset_last_error();
    assert_true(VirtualFree(base + page, page, MEM_DECOMMIT));

    MEMORY_BASIC_INFORMATION info = query(base + page);
    assert_int_equal(info.State, MEM_RESERVE);
    assert_int_equal(info.RegionSize, page);
    assert_int_equal(info.Protect, 0);
    assert_int_equal(query(base + 2 * page).State, MEM_COMMIT);
    assert_int_equal(query(base).State, MEM_COMMIT);
    assert_int_equal(query(base).RegionSize, page);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void decommit_of_size_zero_at_the_base_decommits_the_whole_region(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    assert_true(VirtualFree(base, 0, MEM_DECOMMIT));
    MEMORY_BASIC_INFORMATION info = query(base);
    assert_int_equal(info.State, MEM_RESERVE);
    assert_int_equal(info.RegionSize, GRANULARITY);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void recommitted_pages_read_as_zero(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    base[100] = 7;
    assert_true(VirtualFree(base, page_size(), MEM_DECOMMIT));
    assert_ptr_equal(VirtualAlloc(base, page_size(), MEM_COMMIT, PAGE_READWRITE), base);
    assert_int_equal(base[100], 0);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void decommit_of_reserved_pages_succeeds(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 0);
    km_reset_last_error();
    assert_true(VirtualFree(base, page_size(), MEM_DECOMMIT));
    assert_int_equal(query(base).State, MEM_RESERVE);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void decommit_past_the_end_of_a_region_fails_and_changes_nothing(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    km_reset_last_error();
    assert_false(VirtualFree(base, 2 * GRANULARITY, MEM_DECOMMIT));
    assert_last_error(ERROR_INVALID_PARAMETER);
    assert_int_equal(query(base).State, MEM_COMMIT);
    assert_int_equal(query(base).RegionSize, GRANULARITY);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void release_of_the_program_image_fails(void **state)
{
    (void)state;
    char *image = (char *)GetModuleHandleW(NULL);
    km_reset_last_error();
    assert_false(VirtualFree(image, 0, MEM_RELEASE));
    assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
    assert_int_equal(query(image).Type, MEM_IMAGE);
}

int main(void)
{
    const km_export exports[] = KM_VIRTUAL_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(release_of_the_base_frees_the_whole_region),
        cmocka_unit_test(release_with_a_size_fails_with_invalid_parameter),
        cmocka_unit_test(release_inside_a_region_fails_with_invalid_address),
        cmocka_unit_test(release_twice_fails_as_not_allocated),
        cmocka_unit_test(release_of_null_fails_as_not_allocated),
        cmocka_unit_test(free_types_other_than_decommit_or_release_are_refused),
        cmocka_unit_test(decommit_returns_pages_to_reserved),
        cmocka_unit_test(decommit_of_size_zero_at_the_base_decommits_the_whole_region),
        cmocka_unit_test(recommitted_pages_read_as_zero),
        cmocka_unit_test(decommit_of_reserved_pages_succeeds),
        cmocka_unit_test(decommit_past_the_end_of_a_region_fails_and_changes_nothing),
        cmocka_unit_test(release_of_the_program_image_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
