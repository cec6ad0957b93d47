/*
 * The memory exports that reach past the process: memory-resource notifications, the system
 * file cache's limits, and the AWE physical-page calls.
 */
#include "virtual_test.h"

/* A notification for type, which must open. */
static HANDLE notification(MEMORY_RESOURCE_NOTIFICATION_TYPE type)
{
    km_reset_last_error();
    HANDLE handle = CreateMemoryResourceNotification(type);
    assert_non_null(handle);
    assert_last_error(KM_SENTINEL_ERROR);
    return handle;
}

static BOOL state_of(HANDLE handle)
{
    BOOL state = 7;
    km_reset_last_error();
    assert_true(QueryMemoryResourceNotification(handle, &state));
    assert_last_error(KM_SENTINEL_ERROR);
    assert_true(state == TRUE || state == FALSE);
    return state;
}

static void notifications_report_the_state_a_wait_sees(void **state)
{
    (void)state;
    HANDLE low = notification(LowMemoryResourceNotification);
    HANDLE high = notification(HighMemoryResourceNotification);
    assert_int_equal(state_of(low), WaitForSingleObject(low, 0) == WAIT_OBJECT_0);
    assert_int_equal(state_of(high), WaitForSingleObject(high, 0) == WAIT_OBJECT_0);
    /* Memory cannot be short and plentiful at once. */
    assert_false(state_of(low) && state_of(high));
    assert_true(CloseHandle(low));
    assert_true(CloseHandle(high));
}

/* Setting the kernel's event would tell every process that memory is short. Wine's kernel32
 * opens the events with full access, so its side could; it is not tried there. */
static void notifications_cannot_be_signalled_by_the_caller(void **state)
{
    (void)state;
    if (KM_SYSTEM_IS_WINE)
        skip();
    HANDLE low = notification(LowMemoryResourceNotification);
    km_reset_last_error();
    assert_false(SetEvent(low));
    assert_last_error(ERROR_ACCESS_DENIED);
    assert_true(CloseHandle(low));
}

static void notification_of_an_unknown_type_fails_with_invalid_parameter(void **state)
{
    (void)state;
    static const int types[] = {-1, HighMemoryResourceNotification + 1, 0x100};
    for (size_t i = 0; i < KM_ARRAY_SIZE(types); i++) {
        km_reset_last_error();
        assert_null(CreateMemoryResourceNotification((MEMORY_RESOURCE_NOTIFICATION_TYPE)types[i]));
        assert_last_error(ERROR_INVALID_PARAMETER);
    }
}

/* Wine's kernel32 answers ERROR_INVALID_PARAMETER before asking the kernel. */
static void query_of_a_null_handle_fails_with_invalid_handle(void **state)
{
    (void)state;
    BOOL signalled = 7;
    km_reset_last_error();
    assert_false(QueryMemoryResourceNotification(NULL, &signalled));
    assert_last_error(KM_SYSTEM_IS_WINE ? ERROR_INVALID_PARAMETER : ERROR_INVALID_HANDLE);
    assert_int_equal(signalled, 7);
}

static void query_reads_any_event_a_caller_may_query(void **state)
{
    (void)state;
    HANDLE event = CreateEventW(NULL, TRUE, TRUE, NULL);
    assert_non_null(event);
    assert_true(state_of(event));
    assert_true(ResetEvent(event));
    assert_false(state_of(event));
    assert_true(CloseHandle(event));
}

/* Wine 8 keeps no file cache limits: its kernel32 answers ERROR_CALL_NOT_IMPLEMENTED, and its
 * ntdll refuses the information class, which ours passes on. */
static void file_cache_size_is_reported_with_minimum_below_maximum(void **state)
{
    (void)state;
    SIZE_T minimum = 1, maximum = 0;
    DWORD flags = 0xdead;
    km_reset_last_error();
    BOOL read = GetSystemFileCacheSize(&minimum, &maximum, &flags);
    if (km_running_under_wine()) {
        assert_false(read);
        assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
        return;
    }
    assert_true(read);
    assert_true(minimum <= maximum);
    assert_int_equal(flags & ~(DWORD)(FILE_CACHE_MAX_HARD_ENABLE | FILE_CACHE_MIN_HARD_ENABLE), 0);
}

/* Wine's kernel32 checks nothing and answers ERROR_CALL_NOT_IMPLEMENTED. */
static void file_cache_size_with_contradicting_flags_fails_with_invalid_parameter(void **state)
{
    (void)state;
    static const DWORD flags[] = {
        FILE_CACHE_MAX_HARD_ENABLE | FILE_CACHE_MAX_HARD_DISABLE,
        FILE_CACHE_MIN_HARD_ENABLE | FILE_CACHE_MIN_HARD_DISABLE,
        0x10,
    };
    for (size_t i = 0; i < KM_ARRAY_SIZE(flags); i++) {
        km_reset_last_error();
        assert_false(SetSystemFileCacheSize(1 << 20, 64 << 20, flags[i]));
        assert_last_error(KM_SYSTEM_IS_WINE ? ERROR_CALL_NOT_IMPLEMENTED
                                            : ERROR_INVALID_PARAMETER);
    }
}

/* Test programs do not hold SeLockMemoryPrivilege. Wine has no AWE at all: its kernel32 and
 * ours (its ntdll lacks the system calls) answer ERROR_CALL_NOT_IMPLEMENTED. */
static DWORD expected_awe_failure(void)
{
    return km_running_under_wine() ? ERROR_CALL_NOT_IMPLEMENTED : ERROR_PRIVILEGE_NOT_HELD;
}

static void physical_pages_without_the_privilege_fail_cleanly(void **state)
{
    (void)state;
    ULONG_PTR count = 4, frames[4] = {0};
    km_reset_last_error();
    assert_false(AllocateUserPhysicalPages(GetCurrentProcess(), &count, frames));
    assert_last_error(expected_awe_failure());
    assert_int_equal(frames[0], 0);
    count = 4;
    km_reset_last_error();
    assert_false(AllocateUserPhysicalPagesNuma(GetCurrentProcess(), &count, frames, 0));
    assert_last_error(expected_awe_failure());
}

static void mapping_physical_pages_outside_an_awe_region_fails(void **state)
{
    (void)state;
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    ULONG_PTR frames[1] = {0};
    base[0] = 'a';
    km_reset_last_error();
    assert_false(MapUserPhysicalPages(base, 1, frames));
    assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
    assert_int_equal(base[0], 'a');
    ULONG_PTR count = 1;
    km_reset_last_error();
    assert_false(FreeUserPhysicalPages(GetCurrentProcess(), &count, frames));
    assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
    release(base);
}

int main(void)
{
    const km_export exports[] = {KM_EXPORT(CreateMemoryResourceNotification),
                                 KM_EXPORT(QueryMemoryResourceNotification),
                                 KM_EXPORT(GetSystemFileCacheSize),
                                 KM_EXPORT(SetSystemFileCacheSize),
                                 KM_EXPORT(AllocateUserPhysicalPages),
                                 KM_EXPORT(AllocateUserPhysicalPagesNuma),
                                 KM_EXPORT(FreeUserPhysicalPages),
                                 KM_EXPORT(MapUserPhysicalPages)};
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(notifications_report_the_state_a_wait_sees),
        cmocka_unit_test(notifications_cannot_be_signalled_by_the_caller),
        cmocka_unit_test(notification_of_an_unknown_type_fails_with_invalid_parameter),
        cmocka_unit_test(query_of_a_null_handle_fails_with_invalid_handle),
        cmocka_unit_test(query_reads_any_event_a_caller_may_query),
        cmocka_unit_test(file_cache_size_is_reported_with_minimum_below_maximum),
        cmocka_unit_test(file_cache_size_with_contradicting_flags_fails_with_invalid_parameter),
        cmocka_unit_test(physical_pages_without_the_privilege_fail_cleanly),
        cmocka_unit_test(mapping_physical_pages_outside_an_awe_region_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
