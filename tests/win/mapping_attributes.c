/* Section attributes, view access against mapping protection, handles and names' namespaces. */
#include "mapping_test.h"

static MEMORY_BASIC_INFORMATION query(const void *address)
{
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(address, &info, sizeof info), sizeof info);
    return info;
}

static void expect_create_fails(HANDLE file, DWORD protect, DWORD size, DWORD expected)
{
    km_reset_last_error();
    assert_null(CreateFileMappingW(file, NULL, protect, 0, size, NULL));
    assert_last_error(expected);
}

static void reserved_sections_commit_on_demand(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE | SEC_RESERVE, 2 * GRANULARITY, NULL);
    char *view = map_view(mapping, FILE_MAP_WRITE);
    assert_int_equal(query(view).State, MEM_RESERVE);
    assert_int_equal(query(view).Type, MEM_MAPPED);
    assert_ptr_equal(VirtualAlloc(view, 4096, MEM_COMMIT, PAGE_READWRITE), view);
    assert_int_equal(query(view).State, MEM_COMMIT);
    view[0] = 1;
    unmap_view(view);
    CloseHandle(mapping);
}

static void executable_mappings_give_executable_views(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_EXECUTE_READWRITE, 4096, NULL);
    char *view = map_view(mapping, FILE_MAP_WRITE | FILE_MAP_EXECUTE);
    assert_int_equal(query(view).Protect, PAGE_EXECUTE_READWRITE);
    unmap_view(view);
    CloseHandle(mapping);
}

static void views_wider_than_the_mapping_are_denied(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, 4096, NULL);
    km_reset_last_error();
    assert_null(MapViewOfFile(mapping, FILE_MAP_READ | FILE_MAP_EXECUTE, 0, 0, 0));
    assert_last_error(ERROR_ACCESS_DENIED);
    CloseHandle(mapping);
    mapping = anonymous_mapping(PAGE_READONLY, 4096, NULL);
    km_reset_last_error();
    assert_null(MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, 0));
    assert_last_error(ERROR_ACCESS_DENIED);
    char *copy = map_view(mapping, FILE_MAP_COPY);
    unmap_view(copy);
    CloseHandle(mapping);
}

static void all_access_views_are_read_write(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, 4096, NULL);
    char *view = map_view(mapping, FILE_MAP_ALL_ACCESS);
    assert_int_equal(query(view).Protect, PAGE_READWRITE);
    unmap_view(view);
    CloseHandle(mapping);
}

static void conflicting_section_attributes_are_refused(void **state)
{
    (void)state;
    expect_create_fails(INVALID_HANDLE_VALUE, PAGE_READWRITE | SEC_RESERVE | SEC_COMMIT, 4096,
                        ERROR_INVALID_PARAMETER);
    expect_create_fails(INVALID_HANDLE_VALUE, PAGE_READWRITE | SEC_IMAGE, 4096,
                        ERROR_BAD_EXE_FORMAT);
}

static void a_directory_cannot_be_mapped(void **state)
{
    (void)state;
    WCHAR directory[MAX_PATH];
    GetTempPathW(MAX_PATH, directory);
    HANDLE handle = CreateFileW(directory, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                                OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    assert_true(handle != INVALID_HANDLE_VALUE);
    expect_create_fails(handle, PAGE_READONLY, 0, ERROR_INVALID_HANDLE);
    CloseHandle(handle);
}

static void a_read_only_file_neither_grows_nor_maps_writable(void **state)
{
    (void)state;
    WCHAR directory[MAX_PATH], path[MAX_PATH];
    GetTempPathW(MAX_PATH, directory);
    assert_true(GetTempFileNameW(directory, L"kmr", 0, path));
    HANDLE writer = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD written;
    assert_true(WriteFile(writer, "abc", 3, &written, NULL));
    CloseHandle(writer);
    HANDLE reader = CreateFileW(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(reader != INVALID_HANDLE_VALUE);
    expect_create_fails(reader, PAGE_READONLY, GRANULARITY, ERROR_NOT_ENOUGH_MEMORY);
    expect_create_fails(reader, PAGE_READWRITE, 0, ERROR_ACCESS_DENIED);
    HANDLE mapping = CreateFileMappingW(reader, NULL, PAGE_READONLY, 0, 0, NULL);
    assert_non_null(mapping);
    CloseHandle(mapping);
    CloseHandle(reader);
    assert_true(DeleteFileW(path));
}

static void inheritable_handles_come_from_security_attributes(void **state)
{
    (void)state;
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, &inherit, PAGE_READWRITE, 0, 4096, NULL);
    assert_non_null(mapping);
    DWORD flags = 0;
    assert_true(GetHandleInformation(mapping, &flags));
    assert_true(flags & HANDLE_FLAG_INHERIT);
    CloseHandle(mapping);
    mapping = anonymous_mapping(PAGE_READWRITE, 4096, NULL);
    assert_true(GetHandleInformation(mapping, &flags));
    assert_false(flags & HANDLE_FLAG_INHERIT);
    CloseHandle(mapping);
}

static void global_names_live_apart_from_session_names(void **state)
{
    (void)state;
    WCHAR name[64], global[80];
    unique_name(name, 64, L"global");
    _snwprintf(global, 80, L"Global\\%ls", name);
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, 4096, global);
    HANDLE opened = OpenFileMappingW(FILE_MAP_READ, FALSE, global);
    assert_non_null(opened);
    km_reset_last_error();
    assert_null(OpenFileMappingW(FILE_MAP_READ, FALSE, name));
    assert_last_error(ERROR_FILE_NOT_FOUND);
    CloseHandle(opened);
    CloseHandle(mapping);
}

static void an_empty_name_makes_an_unnamed_mapping(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, 4096, L"");
    assert_last_error(NO_ERROR);
    CloseHandle(mapping);
}

static void numa_variants_behave_as_the_plain_ones(void **state)
{
    (void)state;
    HANDLE mapping =
        CreateFileMappingNumaW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, NULL, 0);
    assert_non_null(mapping);
    char *view = MapViewOfFileExNuma(mapping, FILE_MAP_WRITE, 0, 0, 0, NULL, 0);
    assert_non_null(view);
    view[0] = 1;
    unmap_view(view);
    CloseHandle(mapping);
}

static void a_requested_base_must_be_aligned(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, 4096, NULL);
    km_reset_last_error();
    assert_null(MapViewOfFileEx(mapping, FILE_MAP_READ, 0, 0, 0, (void *)(ULONG_PTR)0x10001));
    assert_last_error(ERROR_MAPPED_ALIGNMENT);
    CloseHandle(mapping);
}

static void mapping_and_unmapping_leaks_no_handle_or_view(void **state)
{
    (void)state;
    DWORD before = 0, after = 0;
    assert_true(GetProcessHandleCount(GetCurrentProcess(), &before));
    char *views[8];
    for (int round = 0; round < 20; round++) {
        HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
        for (int i = 0; i < 8; i++)
            views[i] = map_view(mapping, FILE_MAP_WRITE);
        CloseHandle(mapping); /* views keep the section alive until unmapped */
        views[0][0] = 1;
        for (int i = 0; i < 8; i++)
            unmap_view(views[i]);
    }
    assert_true(GetProcessHandleCount(GetCurrentProcess(), &after));
    assert_int_equal(after, before);
    for (int i = 0; i < 8; i++)
        assert_int_equal(query(views[i]).State, MEM_FREE);
}

int main(void)
{
    const km_export exports[] = KM_MAPPING_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(reserved_sections_commit_on_demand),
        cmocka_unit_test(executable_mappings_give_executable_views),
        cmocka_unit_test(views_wider_than_the_mapping_are_denied),
        cmocka_unit_test(all_access_views_are_read_write),
        cmocka_unit_test(conflicting_section_attributes_are_refused),
        cmocka_unit_test(a_directory_cannot_be_mapped),
        cmocka_unit_test(a_read_only_file_neither_grows_nor_maps_writable),
        cmocka_unit_test(inheritable_handles_come_from_security_attributes),
        cmocka_unit_test(global_names_live_apart_from_session_names),
        cmocka_unit_test(an_empty_name_makes_an_unnamed_mapping),
        cmocka_unit_test(numa_variants_behave_as_the_plain_ones),
        cmocka_unit_test(a_requested_base_must_be_aligned),
        cmocka_unit_test(mapping_and_unmapping_leaks_no_handle_or_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
