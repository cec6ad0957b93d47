/* VirtualProtect(Ex), VirtualLock/VirtualUnlock and FlushInstructionCache. */
#include "virtual_test.h"

static DWORD protection_at(const void *address)
{
    return query(address).Protect;
}

static void protect_returns_the_old_protection_and_applies_the_new(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 2 * page_size());
    DWORD old = 0;
    km_reset_last_error();
    assert_true(VirtualProtect(base, page_size(), PAGE_READONLY, &old));
    assert_last_error(KM_SENTINEL_ERROR);
    assert_int_equal(old, PAGE_READWRITE);
    assert_int_equal(protection_at(base), PAGE_READONLY);
    assert_int_equal(protection_at(base + page_size()), PAGE_READWRITE);
    assert_true(VirtualProtect(base, page_size(), PAGE_READWRITE, &old));
    assert_int_equal(old, PAGE_READONLY);
    release(base);
}

static void protect_across_pages_reports_the_first_pages_old_protection(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 3 * page_size());
    DWORD old = 0;
    assert_true(VirtualProtect(base + page_size(), page_size(), PAGE_READONLY, &old));
    assert_true(VirtualProtect(base, 3 * page_size(), PAGE_NOACCESS, &old));
    assert_int_equal(old, PAGE_READWRITE);
    assert_int_equal(protection_at(base + page_size()), PAGE_NOACCESS);
    assert_int_equal(query(base).RegionSize, 3 * page_size());
    release(base);
}

static void protect_rounds_an_unaligned_range_out_to_whole_pages(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 2 * page_size());
    DWORD old = 0;
    assert_true(VirtualProtect(base + page_size() - 1, 2, PAGE_READONLY, &old));
    assert_int_equal(protection_at(base), PAGE_READONLY);
    assert_int_equal(protection_at(base + page_size()), PAGE_READONLY);
    release(base);
}

static void protect_without_an_old_protection_fails_with_noaccess(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    km_reset_last_error();
    assert_false(VirtualProtect(base, page_size(), PAGE_READONLY, NULL));
    assert_last_error(ERROR_NOACCESS);
    assert_int_equal(protection_at(base), PAGE_READWRITE);
    release(base);
}

static void protect_with_an_invalid_protection_fails_with_invalid_parameter(void **state)
{
    (void)state;
    static const DWORD invalid[] = {0, 0x12345, PAGE_READONLY | PAGE_READWRITE,
                                    PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY};
    char *base = reserve_and_commit(GRANULARITY, page_size());
    for (size_t i = 0; i < KM_ARRAY_SIZE(invalid); i++) {
        DWORD old = 0xdead;
        km_reset_last_error();
        assert_false(VirtualProtect(base, page_size(), invalid[i], &old));
        assert_last_error(ERROR_INVALID_PARAMETER);
        assert_int_equal(protection_at(base), PAGE_READWRITE);
    }
    release(base);
}

static void protect_of_reserved_pages_fails_with_invalid_address(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 0);
    DWORD old = 0;
    km_reset_last_error();
    assert_false(VirtualProtect(base, page_size(), PAGE_READWRITE, &old));
    assert_last_error(ERROR_INVALID_ADDRESS);
    release(base);
}

static void protect_past_the_reservation_fails_and_changes_nothing(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    DWORD old = 0;
    km_reset_last_error();
    assert_false(VirtualProtect(base, 2 * GRANULARITY, PAGE_READONLY, &old));
    assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
    assert_int_equal(protection_at(base), PAGE_READWRITE);
    release(base);
}

static void protect_with_guard_makes_a_guard_page(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    DWORD old = 0;
    assert_true(VirtualProtect(base, page_size(), PAGE_READWRITE | PAGE_GUARD, &old));
    assert_int_equal(protection_at(base), PAGE_READWRITE | PAGE_GUARD);
    assert_true(VirtualProtect(base, page_size(), PAGE_READWRITE, &old));
    assert_int_equal(old, PAGE_READWRITE | PAGE_GUARD);
    release(base);
}

static void *touch_first_byte(HANDLE unused, SIZE_T address)
{
    (void)unused;
    *(volatile char *)address = 1;
    return NULL;
}

static void first_touch_of_a_guard_page_raises_and_clears_the_guard(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    DWORD old = 0;
    assert_true(VirtualProtect(base, page_size(), PAGE_READWRITE | PAGE_GUARD, &old));
    assert_int_equal(km_exception_raised_by(touch_first_byte, NULL, (SIZE_T)base),
                     STATUS_GUARD_PAGE_VIOLATION);
    assert_int_equal(protection_at(base), PAGE_READWRITE);
    assert_int_equal(km_exception_raised_by(touch_first_byte, NULL, (SIZE_T)base), 0);
    assert_int_equal(base[0], 1);
    release(base);
}

static void protect_of_zero_bytes_changes_the_page_containing_the_address(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 2 * page_size());
    DWORD old = 0;
    assert_true(VirtualProtect(base, 0, PAGE_READONLY, &old));
    assert_int_equal(old, PAGE_READWRITE);
    assert_int_equal(protection_at(base + page_size()), PAGE_READWRITE);
    release(base);
}

static void protect_ex_works_on_the_current_process(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    DWORD old = 0;
    assert_true(VirtualProtectEx(GetCurrentProcess(), base, page_size(), PAGE_EXECUTE_READ, &old));
    assert_int_equal(protection_at(base), PAGE_EXECUTE_READ);
    release(base);
}

static void protect_ex_with_a_null_process_fails_with_invalid_handle(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    DWORD old = 0;
    km_reset_last_error();
    assert_false(VirtualProtectEx(NULL, base, page_size(), PAGE_READONLY, &old));
    assert_last_error(ERROR_INVALID_HANDLE);
    release(base);
}

static void lock_and_unlock_committed_pages(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 2 * page_size());
    km_reset_last_error();
    assert_true(VirtualLock(base, 2 * page_size()));
    assert_true(VirtualUnlock(base, 2 * page_size()));
    assert_last_error(KM_SENTINEL_ERROR);
    release(base);
}

static void lock_of_reserved_pages_fails(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, 0);
    km_reset_last_error();
    assert_false(VirtualLock(base, page_size()));
    assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
    release(base);
}

static void flush_instruction_cache_of_the_current_process_succeeds(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, page_size());
    assert_true(FlushInstructionCache(GetCurrentProcess(), base, page_size()));
    assert_true(FlushInstructionCache(GetCurrentProcess(), NULL, 0));
    release(base);
}

/* Found at run time: not every mingw-w64 kernel32 import library has PrefetchVirtualMemory. */
typedef BOOL(WINAPI *prefetch_fn)(HANDLE, ULONG_PTR, PWIN32_MEMORY_RANGE_ENTRY, ULONG);

static void prefetch_of_committed_ranges_succeeds(void **state)
{
    (void)state;
    prefetch_fn prefetch = (prefetch_fn)(void *)km_side_export("PrefetchVirtualMemory");
    assert_non_null(prefetch);
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    WIN32_MEMORY_RANGE_ENTRY ranges[] = {{base, page_size()}, {base + 4 * page_size(), page_size()}};
    km_reset_last_error();
    assert_true(prefetch(GetCurrentProcess(), KM_ARRAY_SIZE(ranges), ranges, 0));
    assert_last_error(KM_SENTINEL_ERROR);
    release(base);
}

int main(void)
{
    const km_export exports[] = KM_VIRTUAL_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(protect_returns_the_old_protection_and_applies_the_new),
        cmocka_unit_test(protect_across_pages_reports_the_first_pages_old_protection),
        cmocka_unit_test(protect_rounds_an_unaligned_range_out_to_whole_pages),
        cmocka_unit_test(protect_without_an_old_protection_fails_with_noaccess),
        cmocka_unit_test(protect_with_an_invalid_protection_fails_with_invalid_parameter),
        cmocka_unit_test(protect_of_reserved_pages_fails_with_invalid_address),
        cmocka_unit_test(protect_past_the_reservation_fails_and_changes_nothing),
        cmocka_unit_test(protect_with_guard_makes_a_guard_page),
        cmocka_unit_test(first_touch_of_a_guard_page_raises_and_clears_the_guard),
        cmocka_unit_test(protect_of_zero_bytes_changes_the_page_containing_the_address),
        cmocka_unit_test(protect_ex_works_on_the_current_process),
        cmocka_unit_test(protect_ex_with_a_null_process_fails_with_invalid_handle),
        cmocka_unit_test(lock_and_unlock_committed_pages),
        cmocka_unit_test(lock_of_reserved_pages_fails),
        cmocka_unit_test(flush_instruction_cache_of_the_current_process_succeeds),
        cmocka_unit_test(prefetch_of_committed_ranges_succeeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
