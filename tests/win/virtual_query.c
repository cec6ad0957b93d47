/* VirtualQuery: MEMORY_BASIC_INFORMATION for every kind of region, and its failures. */
#include "virtual_test.h"

static void query_of_a_free_address_reports_a_free_region(void **state)
{
    (void)state;
    char *base = VirtualAlloc(NULL, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));

    MEMORY_BASIC_INFORMATION info = query(base + 0x10);
    assert_ptr_equal(info.BaseAddress, base);
    assert_null(info.AllocationBase);
    assert_int_equal(info.AllocationProtect, 0);
    assert_int_equal(info.State, MEM_FREE);
    assert_int_equal(info.Protect, PAGE_NOACCESS);
    assert_int_equal(info.Type, 0);
    assert_true(info.RegionSize >= GRANULARITY);
}

static void query_of_address_zero_reports_the_free_first_region(void **state)
{
    (void)state;
    MEMORY_BASIC_INFORMATION info = query(NULL);
    assert_null(info.BaseAddress);
    assert_int_equal(info.State, MEM_FREE);
    assert_true(info.RegionSize >= GRANULARITY);
}

static void query_of_a_reserved_region_reports_its_allocation(void **state)
{
    (void)state;
    char *base = VirtualAlloc(NULL, 2 * GRANULARITY, MEM_RESERVE, PAGE_EXECUTE_READ);
    assert_non_null(base);
    MEMORY_BASIC_INFORMATION info = query(base + GRANULARITY + 5);
    assert_ptr_equal(info.BaseAddress, base + GRANULARITY);
    assert_ptr_equal(info.AllocationBase, base);
    assert_int_equal(info.AllocationProtect, PAGE_EXECUTE_READ);
    assert_int_equal(info.RegionSize, GRANULARITY);
    assert_int_equal(info.State, MEM_RESERVE);
    assert_int_equal(info.Protect, 0);
    assert_int_equal(info.Type, MEM_PRIVATE);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void query_splits_regions_where_state_or_protection_changes(void **state)
{
    (void)state;
    SIZE_T page = page_size();
    char *base = VirtualAlloc(NULL, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);
    assert_non_null(VirtualAlloc(base, 2 * page, MEM_COMMIT, PAGE_READONLY));
    assert_non_null(VirtualAlloc(base + 2 * page, page, MEM_COMMIT, PAGE_READWRITE));

    MEMORY_BASIC_INFORMATION first = query(base + page);
    assert_ptr_equal(first.BaseAddress, base + page);
    assert_int_equal(first.RegionSize, page);
    assert_int_equal(first.Protect, PAGE_READONLY);

    MEMORY_BASIC_INFORMATION second = query(base + 2 * page);
    assert_int_equal(second.RegionSize, page);
    assert_int_equal(second.Protect, PAGE_READWRITE);
    assert_int_equal(second.AllocationProtect, PAGE_NOACCESS);

    MEMORY_BASIC_INFORMATION rest = query(base + 3 * page);
    assert_int_equal(rest.State, MEM_RESERVE);
    assert_int_equal(rest.RegionSize, GRANULARITY - 3 * page);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void query_of_a_guard_page_reports_the_guard(void **state)
{
    (void)state;
    char *base = VirtualAlloc(NULL, page_size(), MEM_RESERVE | MEM_COMMIT,
                              PAGE_READONLY | PAGE_GUARD);
    assert_non_null(base);
    MEMORY_BASIC_INFORMATION info = query(base);
    assert_int_equal(info.Protect, PAGE_READONLY | PAGE_GUARD);
    assert_int_equal(info.AllocationProtect, PAGE_READONLY | PAGE_GUARD);
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

static void query_of_the_program_image_reports_an_image(void **state)
{
    (void)state;
    char *image = (char *)GetModuleHandleW(NULL);
    MEMORY_BASIC_INFORMATION info = query(image);
    assert_ptr_equal(info.AllocationBase, image);
    assert_ptr_equal(info.BaseAddress, image);
    assert_int_equal(info.Type, MEM_IMAGE);
    assert_int_equal(info.State, MEM_COMMIT);
    assert_int_equal(info.AllocationProtect, PAGE_EXECUTE_WRITECOPY);
}

static void query_of_a_stack_address_reports_committed_private_memory(void **state)
{
    (void)state;
    volatile int local = 1;
    MEMORY_BASIC_INFORMATION info = query((const void *)&local);
    assert_int_equal(info.State, MEM_COMMIT);
    assert_int_equal(info.Type, MEM_PRIVATE);
    assert_int_equal(info.Protect, PAGE_READWRITE);
}

static void query_with_a_short_buffer_fails_with_bad_length(void **state)
{
    (void)state;
    MEMORY_BASIC_INFORMATION info;
    km_reset_last_error();
    assert_int_equal(VirtualQuery(&info, &info, sizeof(info) - 1), 0);
    assert_last_error(ERROR_BAD_LENGTH);
    km_reset_last_error();
    assert_int_equal(VirtualQuery(&info, &info, 0), 0);
    assert_last_error(ERROR_BAD_LENGTH);
}

static void query_with_a_larger_buffer_fills_only_the_structure(void **state)
{
    (void)state;
    struct {
        MEMORY_BASIC_INFORMATION info;
        unsigned char tail[16];
    } buffer;
    memset(&buffer, 0xcc, sizeof(buffer));
    assert_int_equal(VirtualQuery(&buffer, &buffer.info, sizeof(buffer)),
                     sizeof(MEMORY_BASIC_INFORMATION));
    assert_int_equal(buffer.tail[0], 0xcc);
    assert_int_equal(buffer.tail[15], 0xcc);
}

static void query_past_the_user_address_range_fails_with_invalid_parameter(void **state)
{
    (void)state;
    SYSTEM_INFO system;
    MEMORY_BASIC_INFORMATION info;
    GetSystemInfo(&system);
    km_reset_last_error();
    assert_int_equal(VirtualQuery((char *)system.lpMaximumApplicationAddress + 1, &info,
                                  sizeof(info)), 0);
    assert_last_error(ERROR_INVALID_PARAMETER);
    km_reset_last_error();
    assert_int_equal(VirtualQuery((void *)~(ULONG_PTR)0, &info, sizeof(info)), 0);
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void query_into_an_unwritable_buffer_fails_with_noaccess(void **state)
{
    (void)state;
    int local = 0;
    km_reset_last_error();
    assert_int_equal(VirtualQuery(&local, NULL, sizeof(MEMORY_BASIC_INFORMATION)), 0);
    assert_last_error(ERROR_NOACCESS);
    km_reset_last_error();
    assert_int_equal(VirtualQuery(&local, (void *)GetModuleHandleW(NULL),
                                  sizeof(MEMORY_BASIC_INFORMATION)), 0);
    assert_last_error(ERROR_NOACCESS);
}

int main(void)
{
    const km_export exports[] = KM_VIRTUAL_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(query_of_a_free_address_reports_a_free_region),
        cmocka_unit_test(query_of_address_zero_reports_the_free_first_region),
        cmocka_unit_test(query_of_a_reserved_region_reports_its_allocation),
        cmocka_unit_test(query_splits_regions_where_state_or_protection_changes),
        cmocka_unit_test(query_of_a_guard_page_reports_the_guard),
        cmocka_unit_test(query_of_the_program_image_reports_an_image),
        cmocka_unit_test(query_of_a_stack_address_reports_committed_private_memory),
        cmocka_unit_test(query_with_a_short_buffer_fails_with_bad_length),
        cmocka_unit_test(query_with_a_larger_buffer_fills_only_the_structure),
        cmocka_unit_test(query_past_the_user_address_range_fails_with_invalid_parameter),
        cmocka_unit_test(query_into_an_unwritable_buffer_fails_with_noaccess),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
