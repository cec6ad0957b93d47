/* GlobalMemoryStatusEx, GlobalMemoryStatus and GetLargePageMinimum; the working set's size and
 * pages (K32QueryWorkingSet(Ex), K32EmptyWorkingSet); RtlMoveMemory, RtlFillMemory and
 * RtlZeroMemory. */
#include "virtual_test.h"

/* psapi.h's structures, and the K32 names declared as imports, so that their addresses are the
 * DLL's (psapi.h declares them as plain functions). */
#define PSAPI_VERSION 1
#include <psapi.h>
DECLSPEC_IMPORT BOOL WINAPI K32EmptyWorkingSet(HANDLE process);
DECLSPEC_IMPORT BOOL WINAPI K32QueryWorkingSet(HANDLE process, PVOID buffer, DWORD size);
DECLSPEC_IMPORT BOOL WINAPI K32QueryWorkingSetEx(HANDLE process, PVOID buffer, DWORD size);

/* windows.h makes these macros; kernel32 exports them as functions, which this calls. */
#undef RtlMoveMemory
#undef RtlFillMemory
#undef RtlZeroMemory
#undef RtlCopyMemory
DECLSPEC_IMPORT VOID WINAPI RtlMoveMemory(PVOID destination, const VOID *source, SIZE_T length);
DECLSPEC_IMPORT VOID WINAPI RtlFillMemory(PVOID destination, SIZE_T length, BYTE fill);
DECLSPEC_IMPORT VOID WINAPI RtlZeroMemory(PVOID destination, SIZE_T length);
#ifdef _WIN64
/* 64-bit Windows alone exports it from kernel32. */
DECLSPEC_IMPORT VOID WINAPI RtlCopyMemory(PVOID destination, const VOID *source, SIZE_T length);
#endif

static MEMORYSTATUSEX status_ex(void)
{
    MEMORYSTATUSEX status = {.dwLength = sizeof status};
    km_reset_last_error();
    assert_true(GlobalMemoryStatusEx(&status));
    assert_last_error(KM_SENTINEL_ERROR);
    return status;
}

/* The same figures from the system's kernel32, whichever side this program tests. */
static MEMORYSTATUSEX system_status_ex(void)
{
    BOOL(WINAPI * system_call)
    (LPMEMORYSTATUSEX) = (BOOL(WINAPI *)(LPMEMORYSTATUSEX))(void *)GetProcAddress(
        GetModuleHandleW(L"kernel32.dll"), "GlobalMemoryStatusEx");
    assert_non_null(system_call);
    MEMORYSTATUSEX status = {.dwLength = sizeof status};
    assert_true(system_call(&status));
    return status;
}

static void status_ex_fills_every_field_consistently(void **state)
{
    (void)state;
    MEMORYSTATUSEX status = status_ex();
    assert_true(status.dwMemoryLoad <= 100);
    assert_true(status.ullTotalPhys > 0);
    assert_true(status.ullAvailPhys <= status.ullTotalPhys);
    assert_true(status.ullTotalPageFile > 0);
    assert_true(status.ullAvailPageFile <= status.ullTotalPageFile);
    assert_true(status.ullAvailVirtual > 0);
    assert_true(status.ullAvailVirtual <= status.ullTotalVirtual);
    assert_int_equal(status.ullAvailExtendedVirtual, 0);
}

static void status_ex_totals_match_the_systems(void **state)
{
    (void)state;
    MEMORYSTATUSEX ours = status_ex(), system = system_status_ex();
    assert_int_equal(ours.ullTotalPhys, system.ullTotalPhys);
    assert_int_equal(ours.ullTotalPageFile, system.ullTotalPageFile);
    assert_int_equal(ours.ullTotalVirtual, system.ullTotalVirtual);
}

static void status_ex_total_virtual_is_the_user_address_range(void **state)
{
    (void)state;
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    MEMORYSTATUSEX status = status_ex();
    assert_int_equal(status.ullTotalVirtual, (ULONG_PTR)info.lpMaximumApplicationAddress -
                                                 (ULONG_PTR)info.lpMinimumApplicationAddress + 1);
}

/* Wine's ntdll counts a process's virtual size without its reservations (Wine reserves the
 * address space up front), so under Wine the figure does not move, on either side. */
static void status_ex_available_virtual_shrinks_by_a_reservation(void **state)
{
    (void)state;
    if (km_running_under_wine())
        skip();
    const SIZE_T size = 256 << 20;
    MEMORYSTATUSEX before = status_ex();
    void *base = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);
    MEMORYSTATUSEX during = status_ex();
    release(base);
    assert_true(during.ullAvailVirtual + size / 2 <= before.ullAvailVirtual);
}

static void status_ex_with_a_wrong_length_fails_with_invalid_parameter(void **state)
{
    (void)state;
    static const DWORD lengths[] = {0, sizeof(MEMORYSTATUSEX) - 1, sizeof(MEMORYSTATUSEX) + 1};
    for (size_t i = 0; i < KM_ARRAY_SIZE(lengths); i++) {
        MEMORYSTATUSEX status = {.dwLength = lengths[i]};
        km_reset_last_error();
        assert_false(GlobalMemoryStatusEx(&status));
        assert_last_error(ERROR_INVALID_PARAMETER);
    }
}

static void status_sets_its_length_and_agrees_with_status_ex(void **state)
{
    (void)state;
    MEMORYSTATUS status;
    memset(&status, 0xcc, sizeof status);
    status.dwLength = 0;
    GlobalMemoryStatus(&status);
    MEMORYSTATUSEX full = status_ex();
    assert_int_equal(status.dwLength, sizeof status);
    assert_true(status.dwMemoryLoad <= 100);
    assert_true(status.dwAvailPhys <= status.dwTotalPhys);
    assert_true(status.dwAvailPageFile <= status.dwTotalPageFile);
    assert_true(status.dwAvailVirtual <= status.dwTotalVirtual);
    if (sizeof(SIZE_T) == 8) {
        assert_int_equal(status.dwTotalPhys, full.ullTotalPhys);
        assert_int_equal(status.dwTotalVirtual, full.ullTotalVirtual);
    } else {
        assert_true(status.dwTotalPhys <= full.ullTotalPhys);
    }
}

static void large_page_minimum_is_a_power_of_two_or_zero(void **state)
{
    (void)state;
    SIZE_T minimum = GetLargePageMinimum();
    assert_int_equal(minimum & (minimum - 1), 0);
    assert_true(minimum == 0 || minimum >= page_size());
}

static void large_pages_without_the_privilege_fail_cleanly(void **state)
{
    (void)state;
    SIZE_T minimum = GetLargePageMinimum();
    if (!minimum)
        skip();
    km_reset_last_error();
    void *base =
        VirtualAlloc(NULL, minimum, MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES, PAGE_READWRITE);
    if (base) {
        /* Granted: the process holds SeLockMemoryPrivilege (or Wine does not check it). */
        release(base);
        return;
    }
    assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
}

/* Wine 8's ntdll does not keep working-set limits (ProcessQuotaLimits: the query is an invalid
 * class, the change is not implemented), while its kernel32 answers with figures of its own;
 * kernel32_mem passes the kernel's answer on, so under Wine it fails where Windows succeeds. */
static BOOL working_set_unsupported_here(void)
{
    return KM_TEST_SIDE_OURS && km_running_under_wine();
}

static void working_set_size_is_reported_with_minimum_below_maximum(void **state)
{
    (void)state;
    SIZE_T minimum = 0, maximum = 0;
    DWORD flags = 0xdead;
    km_reset_last_error();
    BOOL got = GetProcessWorkingSetSizeEx(GetCurrentProcess(), &minimum, &maximum, &flags);
    if (working_set_unsupported_here()) {
        assert_false(got);
        assert_last_error(ERROR_INVALID_PARAMETER);
        return;
    }
    assert_true(got);
    assert_true(minimum > 0 && minimum <= maximum);
    assert_int_equal(flags & ~(DWORD)0xf, 0);
    SIZE_T plain_minimum = 0, plain_maximum = 0;
    assert_true(GetProcessWorkingSetSize(GetCurrentProcess(), &plain_minimum, &plain_maximum));
    assert_int_equal(plain_minimum, minimum);
    assert_int_equal(plain_maximum, maximum);
}

static void working_set_size_can_be_set_back_and_trimmed(void **state)
{
    (void)state;
    if (working_set_unsupported_here()) {
        km_reset_last_error();
        assert_false(SetProcessWorkingSetSize(GetCurrentProcess(), (SIZE_T)-1, (SIZE_T)-1));
        assert_last_error(ERROR_INVALID_FUNCTION);
        return;
    }
    SIZE_T minimum, maximum;
    assert_true(GetProcessWorkingSetSize(GetCurrentProcess(), &minimum, &maximum));
    assert_true(SetProcessWorkingSetSize(GetCurrentProcess(), minimum, maximum));
    assert_true(SetProcessWorkingSetSizeEx(GetCurrentProcess(), minimum, maximum, 0));
    assert_true(SetProcessWorkingSetSize(GetCurrentProcess(), (SIZE_T)-1, (SIZE_T)-1));
}

static void rtl_memory_routines_move_fill_and_zero(void **state)
{
    (void)state;
    char buffer[16] = "0123456789";
    km_reset_last_error();
    RtlMoveMemory(buffer + 2, buffer, 8); /* overlapping, as memmove allows */
    assert_memory_equal(buffer, "0101234567", 10);
    RtlFillMemory(buffer, 4, 'x');
    assert_memory_equal(buffer, "xxxx234567", 10);
    RtlZeroMemory(buffer + 1, 2);
    assert_memory_equal(buffer, "x\0\0x234567", 10);
#ifdef _WIN64
    RtlCopyMemory(buffer + 8, "ab", 2);
    assert_memory_equal(buffer, "x\0\0x2345ab", 10);
#endif
    assert_last_error(KM_SENTINEL_ERROR);
}

static void working_set_pages_are_queried_and_the_set_emptied(void **state)
{
    (void)state;
    char *page = VirtualAlloc(NULL, 4096, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(page);
    page[0] = 1;
    PSAPI_WORKING_SET_EX_INFORMATION info = {.VirtualAddress = page};
    assert_true(K32QueryWorkingSetEx(GetCurrentProcess(), &info, sizeof info));
    assert_true(info.VirtualAttributes.Valid);
    /* Too small for every page: fails, and on Windows still says how many there are. Wine 8's
     * ntdll answers STATUS_INVALID_PARAMETER (87) where Windows' answers a length mismatch. */
    PSAPI_WORKING_SET_INFORMATION small = {0};
    km_reset_last_error();
    assert_false(K32QueryWorkingSet(GetCurrentProcess(), &small, sizeof small));
    if (km_running_under_wine()) {
        assert_last_error(ERROR_INVALID_PARAMETER);
    } else {
        assert_last_error(ERROR_BAD_LENGTH);
        assert_true(small.NumberOfEntries > 0);
    }
    km_reset_last_error();
    if (working_set_unsupported_here()) {
        assert_false(K32EmptyWorkingSet(GetCurrentProcess()));
        assert_last_error(ERROR_INVALID_FUNCTION);
    } else {
        assert_true(K32EmptyWorkingSet(GetCurrentProcess()));
    }
    assert_true(VirtualFree(page, 0, MEM_RELEASE));
}

int main(void)
{
    const km_export exports[] = KM_VIRTUAL_EXPORTS;
    const km_export status_exports[] = {
        KM_EXPORT(GlobalMemoryStatusEx),
        KM_EXPORT(GlobalMemoryStatus),
        KM_EXPORT(GetLargePageMinimum),
        KM_EXPORT(GetProcessWorkingSetSize),
        KM_EXPORT(GetProcessWorkingSetSizeEx),
        KM_EXPORT(SetProcessWorkingSetSize),
        KM_EXPORT(SetProcessWorkingSetSizeEx),
        KM_EXPORT(K32EmptyWorkingSet),
        KM_EXPORT(K32QueryWorkingSet),
        KM_EXPORT(K32QueryWorkingSetEx),
        KM_EXPORT(RtlMoveMemory),
        KM_EXPORT(RtlFillMemory),
        KM_EXPORT(RtlZeroMemory),
#ifdef _WIN64
        KM_EXPORT(RtlCopyMemory),
#endif
    };
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const km_export_list status_list = {status_exports, KM_ARRAY_SIZE(status_exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        KM_EXPORTS_RESOLVE_TEST(status_list),
        cmocka_unit_test(status_ex_fills_every_field_consistently),
        cmocka_unit_test(status_ex_totals_match_the_systems),
        cmocka_unit_test(status_ex_total_virtual_is_the_user_address_range),
        cmocka_unit_test(status_ex_available_virtual_shrinks_by_a_reservation),
        cmocka_unit_test(status_ex_with_a_wrong_length_fails_with_invalid_parameter),
        cmocka_unit_test(status_sets_its_length_and_agrees_with_status_ex),
        cmocka_unit_test(large_page_minimum_is_a_power_of_two_or_zero),
        cmocka_unit_test(large_pages_without_the_privilege_fail_cleanly),
        cmocka_unit_test(working_set_size_is_reported_with_minimum_below_maximum),
        cmocka_unit_test(working_set_size_can_be_set_back_and_trimmed),
        cmocka_unit_test(working_set_pages_are_queried_and_the_set_emptied),
        cmocka_unit_test(rtl_memory_routines_move_fill_and_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
