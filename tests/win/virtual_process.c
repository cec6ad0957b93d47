/* The Ex forms on another process: a suspended copy of this program, opened with full access and
 * with too little. */
#include "virtual_test.h"

typedef struct child {
    PROCESS_INFORMATION info;
} child;

static int start_child(void **state)
{
    child *c = calloc(1, sizeof *c);
    char program[MAX_PATH];
    STARTUPINFOA startup = {.cb = sizeof startup};
    if (!GetModuleFileNameA(NULL, program, sizeof program) ||
        !CreateProcessA(program, NULL, NULL, NULL, FALSE, CREATE_SUSPENDED, NULL, NULL, &startup,
                        &c->info))
        return -1;
    *state = c;
    return 0;
}

static int stop_child(void **state)
{
    child *c = *state;
    TerminateProcess(c->info.hProcess, 0);
    WaitForSingleObject(c->info.hProcess, 10000);
    CloseHandle(c->info.hThread);
    CloseHandle(c->info.hProcess);
    free(c);
    return 0;
}

static void alloc_query_protect_and_free_in_another_process(void **state)
{
    HANDLE process = ((child *)*state)->info.hProcess;
    km_reset_last_error();
    char *base = VirtualAllocEx(process, NULL, GRANULARITY, MEM_RESERVE | MEM_COMMIT,
                                PAGE_READWRITE);
    assert_non_null(base);
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQueryEx(process, base, &info, sizeof info), sizeof info);
    assert_int_equal(info.State, MEM_COMMIT);
    assert_int_equal(info.Protect, PAGE_READWRITE);
    assert_int_equal(info.RegionSize, GRANULARITY);
    DWORD old = 0;
    assert_true(VirtualProtectEx(process, base, page_size(), PAGE_READONLY, &old));
    assert_int_equal(old, PAGE_READWRITE);
    assert_int_equal(VirtualQueryEx(process, base, &info, sizeof info), sizeof info);
    assert_int_equal(info.Protect, PAGE_READONLY);
    assert_true(VirtualFreeEx(process, base, 0, MEM_RELEASE));
    assert_int_equal(VirtualQueryEx(process, base, &info, sizeof info), sizeof info);
    assert_int_equal(info.State, MEM_FREE);
    assert_last_error(KM_SENTINEL_ERROR);
}

static void alloc_ex_without_operation_access_fails_with_access_denied(void **state)
{
    DWORD id = ((child *)*state)->info.dwProcessId;
    HANDLE limited = OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, id);
    assert_non_null(limited);
    km_reset_last_error();
    assert_null(VirtualAllocEx(limited, NULL, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS));
    assert_last_error(ERROR_ACCESS_DENIED);
    CloseHandle(limited);
}

static void query_ex_with_a_null_process_fails_with_invalid_handle(void **state)
{
    (void)state;
    MEMORY_BASIC_INFORMATION info;
    km_reset_last_error();
    assert_int_equal(VirtualQueryEx(NULL, &info, &info, sizeof info), 0);
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_null(VirtualAllocEx(NULL, NULL, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS));
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_false(VirtualFreeEx(NULL, &info, 0, MEM_RELEASE));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void alloc_ex_numa_allocates_whatever_the_preferred_node(void **state)
{
    (void)state;
    static const DWORD nodes[] = {0, NUMA_NO_PREFERRED_NODE};
    for (size_t i = 0; i < KM_ARRAY_SIZE(nodes); i++) {
        char *base = VirtualAllocExNuma(GetCurrentProcess(), NULL, GRANULARITY,
                                        MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, nodes[i]);
        assert_non_null(base);
        base[0] = 1;
        release(base);
    }
}

static void alloc_ex_validates_flags_as_virtual_alloc_does(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(VirtualAllocEx(GetCurrentProcess(), NULL, GRANULARITY, MEM_RESERVE,
                               PAGE_WRITECOPY));
    assert_last_error(ERROR_INVALID_PARAMETER);
    km_reset_last_error();
    assert_null(VirtualAllocEx(GetCurrentProcess(), NULL, 0, MEM_RESERVE, PAGE_READWRITE));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return 0;
    const km_export exports[] = KM_VIRTUAL_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test_setup_teardown(alloc_query_protect_and_free_in_another_process,
                                        start_child, stop_child),
        cmocka_unit_test_setup_teardown(alloc_ex_without_operation_access_fails_with_access_denied,
                                        start_child, stop_child),
        cmocka_unit_test(query_ex_with_a_null_process_fails_with_invalid_handle),
        cmocka_unit_test(alloc_ex_numa_allocates_whatever_the_preferred_node),
        cmocka_unit_test(alloc_ex_validates_flags_as_virtual_alloc_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
