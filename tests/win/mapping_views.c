/* Paging-file mappings: creation, names, views and their errors. */
#include "mapping_test.h"

static void anonymous_mapping_succeeds_with_no_error(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    assert_last_error(NO_ERROR);
    CloseHandle(mapping);
}

static void a_view_reads_zero_and_keeps_what_is_written(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    char *view = map_view(mapping, FILE_MAP_WRITE);
    assert_int_equal((ULONG_PTR)view % GRANULARITY, 0);
    assert_int_equal(view[GRANULARITY - 1], 0);
    view[0] = 42;
    unmap_view(view);
    view = map_view(mapping, FILE_MAP_READ);
    assert_int_equal(view[0], 42);
    unmap_view(view);
    CloseHandle(mapping);
}

static void two_views_see_each_others_writes(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    char *first = map_view(mapping, FILE_MAP_WRITE), *second = map_view(mapping, FILE_MAP_WRITE);
    assert_ptr_not_equal(first, second);
    first[100] = 7;
    assert_int_equal(second[100], 7);
    unmap_view(first);
    unmap_view(second);
    CloseHandle(mapping);
}

static void a_copy_on_write_view_keeps_its_writes_to_itself(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    char *shared = map_view(mapping, FILE_MAP_WRITE);
    char *copy = map_view(mapping, FILE_MAP_COPY);
    copy[0] = 9;
    assert_int_equal(shared[0], 0);
    shared[1] = 5;
    unmap_view(shared);
    unmap_view(copy);
    CloseHandle(mapping);
}

static void a_view_at_a_requested_base_lands_there(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    char *free_place = VirtualAlloc(NULL, GRANULARITY, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(free_place);
    assert_true(VirtualFree(free_place, 0, MEM_RELEASE));
    char *view = MapViewOfFileEx(mapping, FILE_MAP_WRITE, 0, 0, 0, free_place);
    assert_ptr_equal(view, free_place);
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(view, &info, sizeof info), sizeof info);
    assert_int_equal(info.Type, MEM_MAPPED);
    unmap_view(view);
    CloseHandle(mapping);
}

static void a_named_mapping_is_found_again_with_already_exists(void **state)
{
    (void)state;
    WCHAR name[64];
    unique_name(name, 64, L"named");
    HANDLE first = anonymous_mapping(PAGE_READWRITE, 4096, name);
    assert_last_error(NO_ERROR);
    HANDLE second = anonymous_mapping(PAGE_READWRITE, 4096, name);
    assert_last_error(ERROR_ALREADY_EXISTS);
    char *one = map_view(first, FILE_MAP_WRITE), *two = map_view(second, FILE_MAP_READ);
    one[0] = 'k';
    assert_int_equal(two[0], 'k');
    unmap_view(one);
    unmap_view(two);
    CloseHandle(first);
    CloseHandle(second);
}

static void open_file_mapping_finds_a_name_plain_and_local(void **state)
{
    (void)state;
    WCHAR name[64], local[80];
    unique_name(name, 64, L"open");
    _snwprintf(local, 80, L"Local\\%ls", name);
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, 4096, name);
    HANDLE plain = OpenFileMappingW(FILE_MAP_READ, FALSE, name);
    HANDLE through_local = OpenFileMappingW(FILE_MAP_READ, FALSE, local);
    assert_non_null(plain);
    assert_non_null(through_local);
    CloseHandle(plain);
    CloseHandle(through_local);
    CloseHandle(mapping);
}

typedef struct section_basic_information {
    PVOID base;
    ULONG attributes;
    LARGE_INTEGER size;
} section_basic_information;

/* FILE_MAP_COPY is SECTION_QUERY's bit: alone it asks for a copy view, with other rights it is
 * the right to query the section, which the handle must then have. */
static void open_file_mapping_with_the_query_right_can_query(void **state)
{
    (void)state;
    typedef LONG(NTAPI * query_section)(HANDLE, int, PVOID, SIZE_T, PSIZE_T);
    query_section query = (query_section)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                                "NtQuerySection");
    assert_non_null(query);
    WCHAR name[64];
    unique_name(name, 64, L"query");
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, name);
    HANDLE opened = OpenFileMappingW(SECTION_QUERY | SECTION_MAP_READ, FALSE, name);
    assert_non_null(opened);
    section_basic_information info;
    assert_int_equal(query(opened, 0, &info, sizeof info, NULL), 0);
    assert_int_equal(info.size.QuadPart, GRANULARITY);
    CloseHandle(opened);
    CloseHandle(mapping);
}

/* Inside a view, committing with a protection only a view can have is the kernel's to judge:
 * a copy view of a reserved paging-file section commits copy-on-write pages, where private
 * memory refuses the protection outright. */
static void committing_copy_on_write_pages_in_a_copy_view_succeeds(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE | SEC_RESERVE, GRANULARITY, NULL);
    char *view = MapViewOfFile(mapping, FILE_MAP_COPY, 0, 0, 0);
    assert_non_null(view);
    km_reset_last_error();
    void *committed = VirtualAlloc(view, 4096, MEM_COMMIT, PAGE_WRITECOPY);
    assert_ptr_equal(committed, view);
    view[0] = 1;
    unmap_view(view);
    CloseHandle(mapping);
    km_reset_last_error();
    assert_null(VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_WRITECOPY));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void open_file_mapping_of_an_unknown_name_fails_with_file_not_found(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(OpenFileMappingW(FILE_MAP_READ, FALSE, L"km_no_such_mapping_anywhere"));
    assert_last_error(ERROR_FILE_NOT_FOUND);
}

static void open_file_mapping_without_a_name_fails_with_invalid_parameter(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(OpenFileMappingW(FILE_MAP_READ, FALSE, NULL));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void ansi_names_reach_the_same_mapping(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "km_ansi_%lu_%lu", GetCurrentProcessId(), GetTickCount());
    HANDLE mapping = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    assert_non_null(mapping);
    HANDLE opened = OpenFileMappingA(FILE_MAP_READ, FALSE, name);
    assert_non_null(opened);
    km_reset_last_error();
    HANDLE again = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    assert_non_null(again);
    assert_last_error(ERROR_ALREADY_EXISTS);
    CloseHandle(again);
    CloseHandle(opened);
    CloseHandle(mapping);
}

static void an_ansi_name_longer_than_max_path_fails_with_filename_exceeds_range(void **state)
{
    (void)state;
    char name[400];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = 0;
    km_reset_last_error();
    assert_null(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name));
    assert_last_error(ERROR_FILENAME_EXCED_RANGE);
}

static void a_name_held_by_another_object_type_fails_with_invalid_handle(void **state)
{
    (void)state;
    WCHAR name[64];
    unique_name(name, 64, L"event");
    HANDLE event = CreateEventW(NULL, FALSE, FALSE, name);
    assert_non_null(event);
    km_reset_last_error();
    assert_null(CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name));
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_null(OpenFileMappingW(FILE_MAP_READ, FALSE, name));
    assert_last_error(ERROR_INVALID_HANDLE);
    CloseHandle(event);
}

static void a_paging_file_mapping_needs_a_size(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0, NULL));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void invalid_protections_fail_with_invalid_parameter(void **state)
{
    (void)state;
    static const DWORD invalid[] = {PAGE_NOACCESS, PAGE_READWRITE | PAGE_GUARD, 0, 0x12};
    for (size_t i = 0; i < KM_ARRAY_SIZE(invalid); i++) {
        km_reset_last_error();
        assert_null(
            CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, invalid[i], 0, 4096, NULL));
        assert_last_error(ERROR_INVALID_PARAMETER);
    }
}

static void a_write_view_of_a_read_only_handle_is_denied(void **state)
{
    (void)state;
    WCHAR name[64];
    unique_name(name, 64, L"readonly");
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, 4096, name);
    HANDLE reader = OpenFileMappingW(FILE_MAP_READ, FALSE, name);
    assert_non_null(reader);
    km_reset_last_error();
    assert_null(MapViewOfFile(reader, FILE_MAP_WRITE, 0, 0, 0));
    assert_last_error(ERROR_ACCESS_DENIED);
    char *view = map_view(reader, FILE_MAP_READ);
    unmap_view(view);
    CloseHandle(reader);
    CloseHandle(mapping);
}

static void unaligned_offsets_fail_with_mapped_alignment(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, 2 * GRANULARITY, NULL);
    km_reset_last_error();
    assert_null(MapViewOfFile(mapping, FILE_MAP_READ, 0, 4096, 0));
    assert_last_error(ERROR_MAPPED_ALIGNMENT);
    char *second = MapViewOfFile(mapping, FILE_MAP_READ, 0, GRANULARITY, 0);
    assert_non_null(second);
    unmap_view(second);
    CloseHandle(mapping);
}

static void offsets_at_or_past_the_end_fail_with_invalid_parameter(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    km_reset_last_error();
    assert_null(MapViewOfFile(mapping, FILE_MAP_READ, 0, GRANULARITY, 0));
    assert_last_error(ERROR_INVALID_PARAMETER);
    CloseHandle(mapping);
}

static void unmapping_twice_or_a_non_view_fails_with_invalid_address(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    char *view = map_view(mapping, FILE_MAP_READ);
    unmap_view(view);
    km_reset_last_error();
    assert_false(UnmapViewOfFile(view));
    assert_last_error(ERROR_INVALID_ADDRESS);
    km_reset_last_error();
    assert_false(UnmapViewOfFile(NULL));
    assert_last_error(ERROR_INVALID_ADDRESS);
    CloseHandle(mapping);
}

/* Found at run time: mingw-w64's i686 kernel32 import library lacks UnmapViewOfFileEx. */
typedef BOOL(WINAPI *unmap_ex_fn)(PVOID, ULONG);

/* Wine 8 accepts (and acts on) unknown UnmapViewOfFileEx flags; Windows refuses them. */
static void unmap_view_of_file_ex_unmaps_and_refuses_unknown_flags(void **state)
{
    (void)state;
    unmap_ex_fn UnmapViewOfFileEx = (unmap_ex_fn)(void *)km_side_export("UnmapViewOfFileEx");
    assert_non_null(UnmapViewOfFileEx);
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    char *view = map_view(mapping, FILE_MAP_READ);
    if (!KM_SYSTEM_IS_WINE) {
        km_reset_last_error();
        assert_false(UnmapViewOfFileEx(view, 0x4));
        assert_last_error(ERROR_INVALID_PARAMETER);
    }
    assert_true(UnmapViewOfFileEx(view, 0));
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(view, &info, sizeof info), sizeof info);
    assert_int_equal(info.State, MEM_FREE);
    CloseHandle(mapping);
}

static void views_of_bad_handles_fail_with_invalid_handle(void **state)
{
    (void)state;
    km_reset_last_error();
    assert_null(MapViewOfFile(NULL, FILE_MAP_READ, 0, 0, 0));
    assert_last_error(ERROR_INVALID_HANDLE);
    km_reset_last_error();
    assert_null(CreateFileMappingW((HANDLE)(ULONG_PTR)0x1234, NULL, PAGE_READWRITE, 0, 4096, NULL));
    assert_last_error(ERROR_INVALID_HANDLE);
}

static void flushing_a_paging_file_view_succeeds(void **state)
{
    (void)state;
    HANDLE mapping = anonymous_mapping(PAGE_READWRITE, GRANULARITY, NULL);
    char *view = map_view(mapping, FILE_MAP_WRITE);
    view[0] = 1;
    km_reset_last_error();
    assert_true(FlushViewOfFile(view, 0));
    assert_last_error(KM_SENTINEL_ERROR);
    unmap_view(view);
    CloseHandle(mapping);
}

/* Execute access adds to read, write or copy access; alone it gives a view that cannot be
 * touched, whether or not the section could run code. */
static void an_execute_only_view_is_inaccessible(void **state)
{
    (void)state;
    const DWORD section_protections[] = {PAGE_READWRITE, PAGE_EXECUTE_READWRITE};
    for (size_t i = 0; i < KM_ARRAY_SIZE(section_protections); i++) {
        HANDLE mapping = anonymous_mapping(section_protections[i], GRANULARITY, NULL);
        km_reset_last_error();
        void *view = MapViewOfFile(mapping, FILE_MAP_EXECUTE, 0, 0, 0);
        assert_non_null(view);
        MEMORY_BASIC_INFORMATION info;
        assert_int_equal(VirtualQuery(view, &info, sizeof(info)), sizeof(info));
        assert_int_equal(info.Protect, PAGE_NOACCESS);
        unmap_view(view);
        CloseHandle(mapping);
    }
}

/* A system DLL's image seldom fits at its preferred base, which is already taken by the loaded
 * copy: the kernel answers STATUS_IMAGE_NOT_AT_BASE, a success, and the view is returned. */
static void an_image_view_away_from_its_preferred_base_is_returned(void **state)
{
    (void)state;
    WCHAR path[MAX_PATH];
    assert_true(GetSystemDirectoryW(path, MAX_PATH) > 0);
    lstrcatW(path, L"\\kernel32.dll");
    HANDLE file = CreateFileW(path, GENERIC_READ | GENERIC_EXECUTE, FILE_SHARE_READ, NULL,
                              OPEN_EXISTING, 0, NULL);
    assert_true(file != INVALID_HANDLE_VALUE);
    HANDLE mapping = CreateFileMappingW(file, NULL, PAGE_READONLY | SEC_IMAGE, 0, 0, NULL);
    assert_non_null(mapping);
    km_reset_last_error();
    const IMAGE_DOS_HEADER *image = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0);
    assert_non_null(image);
    assert_int_equal(image->e_magic, IMAGE_DOS_SIGNATURE);
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(image, &info, sizeof(info)), sizeof(info));
    assert_int_equal(info.Type, MEM_IMAGE);
    unmap_view((void *)image);
    CloseHandle(mapping);
    CloseHandle(file);
}

int main(void)
{
    const km_export exports[] = KM_MAPPING_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(anonymous_mapping_succeeds_with_no_error),
        cmocka_unit_test(a_view_reads_zero_and_keeps_what_is_written),
        cmocka_unit_test(two_views_see_each_others_writes),
        cmocka_unit_test(a_copy_on_write_view_keeps_its_writes_to_itself),
        cmocka_unit_test(a_view_at_a_requested_base_lands_there),
        cmocka_unit_test(a_named_mapping_is_found_again_with_already_exists),
        cmocka_unit_test(open_file_mapping_finds_a_name_plain_and_local),
        cmocka_unit_test(open_file_mapping_of_an_unknown_name_fails_with_file_not_found),
        cmocka_unit_test(open_file_mapping_with_the_query_right_can_query),
        cmocka_unit_test(committing_copy_on_write_pages_in_a_copy_view_succeeds),
        cmocka_unit_test(open_file_mapping_without_a_name_fails_with_invalid_parameter),
        cmocka_unit_test(ansi_names_reach_the_same_mapping),
        cmocka_unit_test(an_ansi_name_longer_than_max_path_fails_with_filename_exceeds_range),
        cmocka_unit_test(a_name_held_by_another_object_type_fails_with_invalid_handle),
        cmocka_unit_test(a_paging_file_mapping_needs_a_size),
        cmocka_unit_test(invalid_protections_fail_with_invalid_parameter),
        cmocka_unit_test(a_write_view_of_a_read_only_handle_is_denied),
        cmocka_unit_test(unaligned_offsets_fail_with_mapped_alignment),
        cmocka_unit_test(offsets_at_or_past_the_end_fail_with_invalid_parameter),
        cmocka_unit_test(unmapping_twice_or_a_non_view_fails_with_invalid_address),
        cmocka_unit_test(unmap_view_of_file_ex_unmaps_and_refuses_unknown_flags),
        cmocka_unit_test(views_of_bad_handles_fail_with_invalid_handle),
        cmocka_unit_test(flushing_a_paging_file_view_succeeds),
        cmocka_unit_test(an_execute_only_view_is_inaccessible),
        cmocka_unit_test(an_image_view_away_from_its_preferred_base_is_returned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
