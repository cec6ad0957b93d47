/* GetWriteWatch and ResetWriteWatch on MEM_WRITE_WATCH regions. */
#include "virtual_test.h"

enum { WATCHED_PAGES = 16 };

static char *watched_region(void)
{
    char *base = VirtualAlloc(NULL, WATCHED_PAGES * page_size(),
                              MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
    assert_non_null(base);
    return base;
}

/* The written pages GetWriteWatch reports, into addresses; returns their count. */
static ULONG_PTR written_pages(char *base, DWORD flags, void **addresses)
{
    ULONG_PTR count = WATCHED_PAGES;
    DWORD granularity = 0;
    km_reset_last_error();
    assert_int_equal(GetWriteWatch(flags, base, WATCHED_PAGES * page_size(), addresses, &count,
                                   &granularity), 0);
    assert_last_error(KM_SENTINEL_ERROR);
    assert_int_equal(granularity, page_size());
    return count;
}

static void write_watch_reports_the_pages_written(void **state)
{
    (void)state;
    char *base = watched_region();
    void *addresses[WATCHED_PAGES];
    assert_int_equal(ResetWriteWatch(base, WATCHED_PAGES * page_size()), 0);
    base[page_size()] = 1;
    base[5 * page_size() + 7] = 1;
    assert_int_equal(written_pages(base, 0, addresses), 2);
    assert_ptr_equal(addresses[0], base + page_size());
    assert_ptr_equal(addresses[1], base + 5 * page_size());
    release(base);
}

static void write_watch_with_the_reset_flag_forgets_what_it_reported(void **state)
{
    (void)state;
    char *base = watched_region();
    void *addresses[WATCHED_PAGES];
    ResetWriteWatch(base, WATCHED_PAGES * page_size());
    base[0] = 1;
    assert_int_equal(written_pages(base, WRITE_WATCH_FLAG_RESET, addresses), 1);
    assert_int_equal(written_pages(base, 0, addresses), 0);
    base[2 * page_size()] = 1;
    assert_int_equal(written_pages(base, 0, addresses), 1);
    assert_ptr_equal(addresses[0], base + 2 * page_size());
    release(base);
}

static void reset_write_watch_forgets_every_write(void **state)
{
    (void)state;
    char *base = watched_region();
    void *addresses[WATCHED_PAGES];
    for (int i = 0; i < WATCHED_PAGES; i++)
        base[i * page_size()] = 1;
    assert_int_equal(ResetWriteWatch(base, WATCHED_PAGES * page_size()), 0);
    assert_int_equal(written_pages(base, 0, addresses), 0);
    release(base);
}

static void write_watch_stops_at_the_capacity_given(void **state)
{
    (void)state;
    char *base = watched_region();
    void *addresses[WATCHED_PAGES];
    ResetWriteWatch(base, WATCHED_PAGES * page_size());
    for (int i = 0; i < 6; i++)
        base[i * page_size()] = 1;
    ULONG_PTR count = 4;
    DWORD granularity;
    assert_int_equal(GetWriteWatch(0, base, WATCHED_PAGES * page_size(), addresses, &count,
                                   &granularity), 0);
    assert_int_equal(count, 4);
    release(base);
}

/* GetWriteWatch must fail with expected_error; a NULL count is passed when has_count is FALSE. */
static void expect_get_fails(DWORD flags, char *base, SIZE_T size, BOOL has_count,
                             DWORD expected_error)
{
    void *addresses[WATCHED_PAGES];
    ULONG_PTR count = WATCHED_PAGES;
    DWORD granularity;
    km_reset_last_error();
    assert_int_not_equal(GetWriteWatch(flags, base, size, addresses, has_count ? &count : NULL,
                                       &granularity), 0);
    assert_last_error(expected_error);
}

static void expect_reset_fails(char *base, SIZE_T size, DWORD expected_error)
{
    km_reset_last_error();
    assert_int_not_equal(ResetWriteWatch(base, size), 0);
    assert_last_error(expected_error);
}

static void write_watch_of_an_unwatched_region_fails_with_invalid_parameter(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    expect_get_fails(0, base, GRANULARITY, TRUE, ERROR_INVALID_PARAMETER);
    expect_reset_fails(base, GRANULARITY, ERROR_INVALID_PARAMETER);
    release(base);
}

static void write_watch_with_an_unknown_flag_fails_with_invalid_parameter(void **state)
{
    (void)state;
    char *base = watched_region();
    expect_get_fails(2, base, page_size(), TRUE, ERROR_INVALID_PARAMETER);
    release(base);
}

static void write_watch_of_zero_bytes_fails_with_invalid_parameter(void **state)
{
    (void)state;
    char *base = watched_region();
    expect_get_fails(0, base, 0, TRUE, ERROR_INVALID_PARAMETER);
    expect_reset_fails(base, 0, ERROR_INVALID_PARAMETER);
    release(base);
}

static void write_watch_without_a_count_fails_with_noaccess(void **state)
{
    (void)state;
    char *base = watched_region();
    expect_get_fails(0, base, page_size(), FALSE, ERROR_NOACCESS);
    release(base);
}

static void write_watch_without_a_granularity_fails_with_noaccess(void **state)
{
    (void)state;
    char *base = watched_region();
    void *addresses[WATCHED_PAGES];
    ULONG_PTR count = WATCHED_PAGES;
    km_reset_last_error();
    assert_int_not_equal(GetWriteWatch(0, base, page_size(), addresses, &count, NULL), 0);
    assert_last_error(ERROR_NOACCESS);
    release(base);
}

int main(void)
{
    const km_export exports[] = KM_VIRTUAL_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(write_watch_reports_the_pages_written),
        cmocka_unit_test(write_watch_with_the_reset_flag_forgets_what_it_reported),
        cmocka_unit_test(reset_write_watch_forgets_every_write),
        cmocka_unit_test(write_watch_stops_at_the_capacity_given),
        cmocka_unit_test(write_watch_of_an_unwatched_region_fails_with_invalid_parameter),
        cmocka_unit_test(write_watch_with_an_unknown_flag_fails_with_invalid_parameter),
        cmocka_unit_test(write_watch_of_zero_bytes_fails_with_invalid_parameter),
        cmocka_unit_test(write_watch_without_a_count_fails_with_noaccess),
        cmocka_unit_test(write_watch_without_a_granularity_fails_with_noaccess),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
