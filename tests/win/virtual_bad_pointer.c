/* IsBadReadPtr, IsBadWritePtr, IsBadCodePtr, the Huge forms and IsBadStringPtrA/W. */
#include "virtual_test.h"

/* Two committed read-write pages, then reserved pages. */
static char *two_pages_then_reserved(void)
{
    return reserve_and_commit(GRANULARITY, 2 * page_size());
}

static void readable_memory_is_not_bad_to_read(void **state)
{
    (void)state;
    char *base = two_pages_then_reserved();
    km_reset_last_error();
    assert_false(IsBadReadPtr(base, 2 * page_size()));
    assert_false(IsBadHugeReadPtr(base + 1, 2 * page_size() - 1));
    assert_last_error(KM_SENTINEL_ERROR);
    release(base);
}

static void zero_bytes_are_never_bad(void **state)
{
    (void)state;
    assert_false(IsBadReadPtr(NULL, 0));
    assert_false(IsBadWritePtr(NULL, 0));
    char *base = two_pages_then_reserved();
    assert_false(IsBadReadPtr(base + 2 * page_size(), 0));
    release(base);
}

static void null_with_a_length_is_bad(void **state)
{
    (void)state;
    assert_true(IsBadReadPtr(NULL, 1));
    assert_true(IsBadWritePtr(NULL, 1));
    assert_true(IsBadCodePtr(NULL));
}

static void a_range_that_wraps_around_is_bad(void **state)
{
    (void)state;
    assert_true(IsBadReadPtr((void *)(UINT_PTR)-16, 32));
    assert_true(IsBadWritePtr((void *)(UINT_PTR)-16, 32));
}

static void a_range_running_into_reserved_pages_is_bad(void **state)
{
    (void)state;
    char *base = two_pages_then_reserved();
    assert_true(IsBadReadPtr(base + page_size(), page_size() + 1));
    assert_true(IsBadReadPtr(base, 3 * page_size()));
    assert_true(IsBadWritePtr(base + 2 * page_size() - 1, 2));
    release(base);
}

static void read_only_memory_is_bad_to_write_and_keeps_its_contents(void **state)
{
    (void)state;
    char *base = two_pages_then_reserved();
    base[0] = 0x5a;
    DWORD old;
    assert_true(VirtualProtect(base, page_size(), PAGE_READONLY, &old));
    assert_false(IsBadReadPtr(base, 1));
    assert_true(IsBadWritePtr(base, 1));
    assert_true(IsBadHugeWritePtr(base, 1));
    assert_int_equal(base[0], 0x5a);
    release(base);
}

static void writable_memory_is_not_bad_to_write_and_keeps_its_contents(void **state)
{
    (void)state;
    char *base = two_pages_then_reserved();
    memset(base, 0x3c, 2 * page_size());
    assert_false(IsBadWritePtr(base, 2 * page_size()));
    for (SIZE_T i = 0; i < 2 * page_size(); i++)
        if (base[i] != 0x3c)
            fail_msg("byte %Iu changed by IsBadWritePtr", i);
    release(base);
}

static void no_access_memory_is_bad(void **state)
{
    (void)state;
    char *base = two_pages_then_reserved();
    DWORD old;
    assert_true(VirtualProtect(base, page_size(), PAGE_NOACCESS, &old));
    assert_true(IsBadReadPtr(base, 1));
    assert_true(IsBadWritePtr(base, 1));
    release(base);
}

/* Windows' IsBad*Ptr catch the guard-page exception, consuming the guard, and report the page
 * bad; Wine 8's let that exception end the program. */
static void a_guard_page_is_bad_and_loses_its_guard(void **state)
{
    (void)state;
    if (KM_SYSTEM_IS_WINE)
        skip();
    char *base = two_pages_then_reserved();
    DWORD old;
    assert_true(VirtualProtect(base + page_size(), page_size(), PAGE_READWRITE | PAGE_GUARD, &old));
    assert_true(IsBadReadPtr(base, 2 * page_size()));
    assert_int_equal(query(base + page_size()).Protect, PAGE_READWRITE);
    assert_false(IsBadReadPtr(base, 2 * page_size()));
    release(base);
}

static void code_of_a_function_is_not_bad(void **state)
{
    (void)state;
    assert_false(IsBadCodePtr((FARPROC)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                               "NtClose")));
    char *base = two_pages_then_reserved();
    assert_true(IsBadCodePtr((FARPROC)(void *)(base + 2 * page_size())));
    release(base);
}

static void string_ending_before_an_unreadable_page_is_not_bad(void **state)
{
    (void)state;
    char *base = two_pages_then_reserved();
    char *end = base + 2 * page_size();
    memset(base, 'x', 2 * page_size());
    end[-1] = 0;
    assert_false(IsBadStringPtrA(end - 16, 100));
    end[-1] = 'y';
    assert_true(IsBadStringPtrA(end - 16, 100));
    assert_false(IsBadStringPtrA(end - 16, 16));
    assert_false(IsBadStringPtrA("constant", 3));
    release(base);
}

static void string_pointer_edge_cases_follow_windows(void **state)
{
    (void)state;
    char *base = two_pages_then_reserved();
    char *reserved = base + 2 * page_size();
    assert_true(IsBadStringPtrA(NULL, 0));
    assert_true(IsBadStringPtrW(NULL, 10));
    assert_false(IsBadStringPtrA(reserved, 0));
    assert_true(IsBadStringPtrA(reserved, 1));
    release(base);
}

static void wide_strings_are_read_by_characters(void **state)
{
    (void)state;
    char *base = two_pages_then_reserved();
    WCHAR *end = (WCHAR *)(base + 2 * page_size());
    for (int i = 1; i <= 8; i++)
        end[-i] = L'w';
    assert_true(IsBadStringPtrW(end - 8, 100));
    assert_false(IsBadStringPtrW(end - 8, 8));
    end[-1] = 0;
    assert_false(IsBadStringPtrW(end - 8, 100));
    assert_false(IsBadStringPtrW(L"wide", 10));
    release(base);
}

int main(void)
{
    const km_export exports[] = {KM_EXPORT(IsBadReadPtr),     KM_EXPORT(IsBadWritePtr),
                                 KM_EXPORT(IsBadHugeReadPtr), KM_EXPORT(IsBadHugeWritePtr),
                                 KM_EXPORT(IsBadCodePtr),     KM_EXPORT(IsBadStringPtrA),
                                 KM_EXPORT(IsBadStringPtrW)};
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(readable_memory_is_not_bad_to_read),
        cmocka_unit_test(zero_bytes_are_never_bad),
        cmocka_unit_test(null_with_a_length_is_bad),
        cmocka_unit_test(a_range_that_wraps_around_is_bad),
        cmocka_unit_test(a_range_running_into_reserved_pages_is_bad),
        cmocka_unit_test(read_only_memory_is_bad_to_write_and_keeps_its_contents),
        cmocka_unit_test(writable_memory_is_not_bad_to_write_and_keeps_its_contents),
        cmocka_unit_test(no_access_memory_is_bad),
        cmocka_unit_test(a_guard_page_is_bad_and_loses_its_guard),
        cmocka_unit_test(code_of_a_function_is_not_bad),
        cmocka_unit_test(string_ending_before_an_unreadable_page_is_not_bad),
        cmocka_unit_test(string_pointer_edge_cases_follow_windows),
        cmocka_unit_test(wide_strings_are_read_by_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
