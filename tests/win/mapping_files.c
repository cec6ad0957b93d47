/* Mappings of real files, and a named mapping shared with a second process. */
#include "mapping_test.h"

typedef struct temp_file {
    WCHAR path[MAX_PATH];
    HANDLE handle;
} temp_file;

static int create_temp_file(void **state)
{
    temp_file *file = calloc(1, sizeof *file);
    WCHAR directory[MAX_PATH];
    GetTempPathW(MAX_PATH, directory);
    if (!GetTempFileNameW(directory, L"kmm", 0, file->path))
        return -1;
    file->handle = CreateFileW(file->path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                               FILE_ATTRIBUTE_NORMAL, NULL);
    if (file->handle == INVALID_HANDLE_VALUE)
        return -1;
    *state = file;
    return 0;
}

static int delete_temp_file(void **state)
{
    temp_file *file = *state;
    CloseHandle(file->handle);
    BOOL deleted = DeleteFileW(file->path);
    free(file);
    return deleted ? 0 : -1;
}

static void write_bytes(HANDLE handle, const char *text)
{
    DWORD written;
    assert_true(WriteFile(handle, text, (DWORD)strlen(text), &written, NULL));
}

static void a_file_mapping_of_size_zero_takes_the_files_size(void **state)
{
    temp_file *file = *state;
    write_bytes(file->handle, "contents of the file");
    HANDLE mapping = CreateFileMappingW(file->handle, NULL, PAGE_READONLY, 0, 0, NULL);
    assert_non_null(mapping);
    char *view = map_view(mapping, FILE_MAP_READ);
    assert_memory_equal(view, "contents of the file", 20);
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(view, &info, sizeof info), sizeof info);
    assert_int_equal(info.RegionSize, 4096);
    unmap_view(view);
    CloseHandle(mapping);
}

static void an_empty_file_cannot_be_mapped_without_a_size(void **state)
{
    temp_file *file = *state;
    km_reset_last_error();
    assert_null(CreateFileMappingW(file->handle, NULL, PAGE_READWRITE, 0, 0, NULL));
    assert_last_error(ERROR_FILE_INVALID);
}

static void a_larger_mapping_grows_the_file(void **state)
{
    temp_file *file = *state;
    HANDLE mapping = CreateFileMappingW(file->handle, NULL, PAGE_READWRITE, 0, 8192, NULL);
    assert_non_null(mapping);
    assert_int_equal(GetFileSize(file->handle, NULL), 8192);
    CloseHandle(mapping);
}

static void writes_through_a_view_reach_the_file_after_a_flush(void **state)
{
    temp_file *file = *state;
    HANDLE mapping = CreateFileMappingW(file->handle, NULL, PAGE_READWRITE, 0, 4096, NULL);
    char *view = map_view(mapping, FILE_MAP_WRITE);
    strcpy(view, "written through the view");
    km_reset_last_error();
    assert_true(FlushViewOfFile(view, 0));
    assert_last_error(KM_SENTINEL_ERROR);
    char read_back[32] = {0};
    DWORD read;
    assert_int_equal(SetFilePointer(file->handle, 0, NULL, FILE_BEGIN), 0);
    assert_true(ReadFile(file->handle, read_back, 24, &read, NULL));
    assert_string_equal(read_back, "written through the view");
    unmap_view(view);
    CloseHandle(mapping);
}

static void a_copy_on_write_view_leaves_the_file_unchanged(void **state)
{
    temp_file *file = *state;
    write_bytes(file->handle, "original");
    HANDLE mapping = CreateFileMappingW(file->handle, NULL, PAGE_WRITECOPY, 0, 0, NULL);
    assert_non_null(mapping);
    char *view = map_view(mapping, FILE_MAP_COPY);
    memcpy(view, "changed!", 8);
    assert_true(FlushViewOfFile(view, 0));
    unmap_view(view);
    CloseHandle(mapping);
    char read_back[9] = {0};
    DWORD read;
    SetFilePointer(file->handle, 0, NULL, FILE_BEGIN);
    assert_true(ReadFile(file->handle, read_back, 8, &read, NULL));
    assert_string_equal(read_back, "original");
}

static void a_data_file_cannot_be_mapped_as_an_image(void **state)
{
    temp_file *file = *state;
    write_bytes(file->handle, "not a program");
    km_reset_last_error();
    assert_null(CreateFileMappingW(file->handle, NULL, PAGE_READONLY | SEC_IMAGE, 0, 0, NULL));
    assert_last_error(ERROR_BAD_EXE_FORMAT);
}

static void a_view_ending_past_the_file_is_refused(void **state)
{
    temp_file *file = *state;
    write_bytes(file->handle, "short");
    HANDLE mapping = CreateFileMappingW(file->handle, NULL, PAGE_READONLY, 0, 0, NULL);
    assert_non_null(mapping);
    km_reset_last_error();
    assert_null(MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 2 * GRANULARITY));
    assert_int_not_equal(GetLastError(), KM_SENTINEL_ERROR);
    CloseHandle(mapping);
}

/* The child: opens the mapping named on its command line, checks the parent's message and
 * answers in the same view. Returns 0 when it could. */
static int answer_parent(const char *name)
{
    HANDLE mapping = OpenFileMappingA(FILE_MAP_WRITE, FALSE, name);
    if (!mapping)
        return 10;
    char *view = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, 0);
    if (!view)
        return 11;
    if (strcmp(view, "hello from the parent") != 0)
        return 12;
    strcpy(view + 64, "hello from the child");
    UnmapViewOfFile(view);
    CloseHandle(mapping);
    return 0;
}

static void a_named_mapping_is_shared_with_another_process(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "km_shared_%lu_%lu", GetCurrentProcessId(), GetTickCount());
    HANDLE mapping = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    assert_non_null(mapping);
    char *view = map_view(mapping, FILE_MAP_WRITE);
    strcpy(view, "hello from the parent");
    assert_int_equal(km_exit_code_of_child(name), 0);
    assert_string_equal(view + 64, "hello from the child");
    unmap_view(view);
    CloseHandle(mapping);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return answer_parent(argv[1]);
    const km_export exports[] = KM_MAPPING_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
#define FILE_TEST(test) cmocka_unit_test_setup_teardown(test, create_temp_file, delete_temp_file)
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        FILE_TEST(a_file_mapping_of_size_zero_takes_the_files_size),
        FILE_TEST(an_empty_file_cannot_be_mapped_without_a_size),
        FILE_TEST(a_larger_mapping_grows_the_file),
        FILE_TEST(writes_through_a_view_reach_the_file_after_a_flush),
        FILE_TEST(a_copy_on_write_view_leaves_the_file_unchanged),
        FILE_TEST(a_data_file_cannot_be_mapped_as_an_image),
        FILE_TEST(a_view_ending_past_the_file_is_refused),
        cmocka_unit_test(a_named_mapping_is_shared_with_another_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
