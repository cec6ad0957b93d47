/* mapping.matrix: CreateFileMapping with every page protection, paging-file and file backed,
 * plain, SEC_COMMIT and SEC_RESERVE; a view of each with every FILE_MAP_* access; and inside each
 * view VirtualProtect and VirtualAlloc(MEM_COMMIT) with every protection, each answer (result,
 * last error, and VirtualQuery's protection after it) a line of a table. The expected table is
 * mapping_matrix_expected.h, generated once from the system side under Wine (the oracle there:
 * `wine mapping.matrix.system.exe generate`, see mapping_matrix_generate.sh) and reviewed against
 * Windows' documentation; both sides must answer it line for line. */
#include "mapping_test.h"

#include <stdio.h>

static const DWORD protections[] = {PAGE_READONLY,          PAGE_READWRITE,
                                    PAGE_WRITECOPY,         PAGE_EXECUTE_READ,
                                    PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY};
static const DWORD all_protections[] = {
    PAGE_NOACCESS, PAGE_READONLY,     PAGE_READWRITE,         PAGE_WRITECOPY,
    PAGE_EXECUTE,  PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY};
static const DWORD accesses[] = {FILE_MAP_READ,
                                 FILE_MAP_WRITE,
                                 FILE_MAP_COPY,
                                 FILE_MAP_ALL_ACCESS,
                                 FILE_MAP_READ | FILE_MAP_EXECUTE,
                                 FILE_MAP_WRITE | FILE_MAP_EXECUTE,
                                 FILE_MAP_COPY | FILE_MAP_EXECUTE,
                                 FILE_MAP_EXECUTE};

typedef struct table {
    char **lines;
    size_t count, capacity;
} table;

static void add_line(table *t, const char *line)
{
    if (t->count == t->capacity) {
        t->capacity = t->capacity ? t->capacity * 2 : 1024;
        t->lines = realloc(t->lines, t->capacity * sizeof *t->lines);
    }
    t->lines[t->count++] = _strdup(line);
}

/* "ok" or the last error, and the page's protection as VirtualQuery says after the call. */
static void describe(char *out, size_t size, BOOL ok, const void *page)
{
    DWORD error = GetLastError();
    MEMORY_BASIC_INFORMATION info = {0};
    VirtualQuery(page, &info, sizeof info);
    if (ok)
        snprintf(out, size, "ok q=%lx/%lx", info.State, info.Protect);
    else
        snprintf(out, size, "e%lu q=%lx/%lx", error, info.State, info.Protect);
}

static void inside_the_view(table *t, const char *prefix, char *view)
{
    char line[256], answer[64];
    for (size_t i = 0; i < KM_ARRAY_SIZE(all_protections); i++) {
        DWORD old;
        SetLastError(0xdeadbeef);
        BOOL ok = VirtualProtect(view, 4096, all_protections[i], &old);
        describe(answer, sizeof answer, ok, view);
        snprintf(line, sizeof line, "%s protect %lx: %s", prefix, all_protections[i], answer);
        add_line(t, line);
    }
    for (size_t i = 0; i < KM_ARRAY_SIZE(all_protections); i++) {
        SetLastError(0xdeadbeef);
        BOOL ok = VirtualAlloc(view + 4096, 4096, MEM_COMMIT, all_protections[i]) != NULL;
        describe(answer, sizeof answer, ok, view + 4096);
        snprintf(line, sizeof line, "%s commit %lx: %s", prefix, all_protections[i], answer);
        add_line(t, line);
    }
}

static HANDLE temp_file(void)
{
    WCHAR directory[MAX_PATH], path[MAX_PATH];
    GetTempPathW(MAX_PATH, directory);
    GetTempFileNameW(directory, L"kmx", 0, path);
    HANDLE file = CreateFileW(path, GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE, 0, NULL,
                              CREATE_ALWAYS, FILE_FLAG_DELETE_ON_CLOSE, NULL);
    assert_true(file != INVALID_HANDLE_VALUE);
    assert_true(SetFilePointer(file, GRANULARITY, NULL, FILE_BEGIN) == GRANULARITY);
    assert_true(SetEndOfFile(file));
    return file;
}

static table build_table(void)
{
    table t = {0};
    static const DWORD attributes[] = {0, SEC_COMMIT, SEC_RESERVE};
    HANDLE file = temp_file();
    char line[256], prefix[128];
    for (int backing = 0; backing < 2; backing++)
        for (size_t p = 0; p < KM_ARRAY_SIZE(protections); p++)
            for (size_t a = 0; a < KM_ARRAY_SIZE(attributes); a++) {
                if (backing == 1 && attributes[a] == SEC_RESERVE)
                    continue; /* a file mapping cannot be reserved only */
                DWORD protect = protections[p] | attributes[a];
                SetLastError(0xdeadbeef);
                HANDLE mapping = CreateFileMappingW(backing ? file : INVALID_HANDLE_VALUE, NULL,
                                                    protect, 0, GRANULARITY, NULL);
                snprintf(prefix, sizeof prefix, "%s %lx", backing ? "file" : "paging", protect);
                if (!mapping) {
                    snprintf(line, sizeof line, "%s: e%lu", prefix, GetLastError());
                    add_line(&t, line);
                    continue;
                }
                add_line(&t, prefix);
                for (size_t v = 0; v < KM_ARRAY_SIZE(accesses); v++) {
                    char view_prefix[160];
                    snprintf(view_prefix, sizeof view_prefix, "%s view %lx", prefix, accesses[v]);
                    SetLastError(0xdeadbeef);
                    char *view = MapViewOfFile(mapping, accesses[v], 0, 0, 0);
                    if (!view) {
                        snprintf(line, sizeof line, "%s: e%lu", view_prefix, GetLastError());
                        add_line(&t, line);
                        continue;
                    }
                    MEMORY_BASIC_INFORMATION info = {0};
                    VirtualQuery(view, &info, sizeof info);
                    snprintf(line, sizeof line, "%s: ok q=%lx/%lx", view_prefix, info.State,
                             info.Protect);
                    add_line(&t, line);
                    inside_the_view(&t, view_prefix, view);
                    UnmapViewOfFile(view);
                }
                CloseHandle(mapping);
            }
    CloseHandle(file);
    return t;
}

static const char *const expected[] = {
#include "mapping_matrix_expected.h"
};

static void every_answer_is_the_tables(void **state)
{
    (void)state;
    table t = build_table();
    size_t mismatches = 0, count = KM_ARRAY_SIZE(expected);
    if (t.count != count)
        print_error("%lu answers, the table has %lu\n", (unsigned long)t.count,
                    (unsigned long)count);
    for (size_t i = 0; i < t.count && i < count; i++)
        if (strcmp(t.lines[i], expected[i]) != 0 && mismatches++ < 20)
            print_error("answered \"%s\"\n      table \"%s\"\n", t.lines[i], expected[i]);
    assert_int_equal(mismatches, 0);
    assert_int_equal(t.count, count);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "generate")) {
        table t = build_table();
        for (size_t i = 0; i < t.count; i++)
            printf("\"%s\",\n", t.lines[i]);
        return 0;
    }
    const km_export exports[] = KM_MAPPING_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(every_answer_is_the_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
