#include "km_test.h"

#include <stdio.h>
#include <wchar.h>

#ifndef KM_TEST_SIDE_OURS
#error "build each test with KM_TEST_SIDE_OURS=1 (.ours) or 0 (.system)"
#endif

static const wchar_t *file_name_of(const wchar_t *path)
{
    const wchar_t *name = path;
    for (const wchar_t *p = path; *p; p++)
        if (*p == L'\\' || *p == L'/')
            name = p + 1;
    return name;
}

/* The module that holds address; the program itself counts as no module, because an export
 * found there is an import thunk, not the function the import table resolved. */
static BOOL module_path_of(const void *address, wchar_t *path, DWORD capacity)
{
    HMODULE module;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)address, &module))
        return FALSE;
    if (module == GetModuleHandleW(NULL))
        return FALSE;
    return GetModuleFileNameW(module, path, capacity) != 0;
}

void km_test_exports_resolve_into_side_under_test(void **state)
{
    const km_export_list *list = *state;
    int mismatches = 0;

    for (size_t i = 0; i < list->count; i++) {
        wchar_t path[MAX_PATH] = L"";
        BOOL found = module_path_of(list->exports[i].address, path, MAX_PATH);
        BOOL in_ours = found && _wcsicmp(file_name_of(path), L"kernel32_mem.dll") == 0;
        if (!found || in_ours != KM_TEST_SIDE_OURS) {
            print_error("%s (%p) resolves into %ls (error %lu); expected %s\n",
                        list->exports[i].name, list->exports[i].address,
                        found ? path : L"no module", found ? 0ul : GetLastError(),
                        KM_TEST_SIDE_OURS ? "kernel32_mem.dll" : "the system's DLLs");
            mismatches++;
        }
    }
    assert_int_equal(mismatches, 0);
}

FARPROC km_side_export(const char *name)
{
    HMODULE module = GetModuleHandleW(KM_TEST_SIDE_OURS ? L"kernel32_mem.dll" : L"kernel32.dll");
    return module ? GetProcAddress(module, name) : NULL;
}

DWORD km_exit_code_of_child(const char *argument)
{
    char program[MAX_PATH], command[2 * MAX_PATH];
    assert_true(GetModuleFileNameA(NULL, program, sizeof program) > 0);
    snprintf(command, sizeof command, "\"%s\" %s", program, argument);
    STARTUPINFOA startup = {.cb = sizeof startup};
    PROCESS_INFORMATION child;
    assert_true(CreateProcessA(NULL, command, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &child));
    assert_int_equal(WaitForSingleObject(child.hProcess, 30000), WAIT_OBJECT_0);
    DWORD code = 0;
    assert_true(GetExitCodeProcess(child.hProcess, &code));
    CloseHandle(child.hThread);
    CloseHandle(child.hProcess);
    return code;
}

const void *km_export_address(const void *address)
{
    return address;
}

BOOL km_running_under_wine(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

char *km_read_text_file(const WCHAR *path)
{
    HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                              OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return NULL;
    DWORD size = GetFileSize(file, NULL), done = 0;
    char *text = malloc(size + 1);
    BOOL read = text && ReadFile(file, text, size, &done, NULL);
    CloseHandle(file);
    if (!read || done != size) {
        free(text);
        return NULL;
    }
    text[size] = 0;
    return text;
}
