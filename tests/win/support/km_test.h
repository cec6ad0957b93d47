/*
 * Shared by every Windows test program: cmocka, windows.h, and the check that the exports under
 * test resolve into the DLL this build of the program claims to test.
 *
 * A test states Windows' behaviour in its name, sets the last error to a sentinel before the
 * call, and checks the result and the last error. Where Wine is known to differ from Windows,
 * the expectation says so with km_running_under_wine() and the reason beside it.
 */
#ifndef KM_TEST_H
#define KM_TEST_H

#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define KM_SENTINEL_ERROR 0xdeadbeefu
#define KM_ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))

typedef struct km_export {
    const char *name;
    const void *address;
} km_export;

/* Returns its argument. Defined in another file, so that an export list is always built by
 * running code: an initializer GCC can fold would take the address of the program's own import
 * thunk instead of what the loader put in the import table. */
const void *km_export_address(const void *address);

/* An export as this program's import table resolved it. */
#define KM_EXPORT(function) {#function, km_export_address((const void *)(function))}

typedef struct km_export_list {
    const km_export *exports;
    size_t count;
} km_export_list;

/* A cmocka test whose state is a km_export_list (built at run time, not as a static
 * initializer: a static initializer would take the address of the program's own import thunk): each export must live in kernel32_mem.dll
 * in a .ours program, and outside it in a .system program. Put it first in every group. */
void km_test_exports_resolve_into_side_under_test(void **state);

#define KM_EXPORTS_RESOLVE_TEST(list) \
    cmocka_unit_test_prestate(km_test_exports_resolve_into_side_under_test, (void *)&(list))

/* An export of the DLL under test (kernel32_mem.dll in .ours, kernel32.dll in .system) found at
 * run time, for the exports some mingw-w64 import libraries lack; NULL when it has none. */
FARPROC km_side_export(const char *name);

/* Runs this program again with argument on its command line, waits for it, and returns its
 * exit code (a program's main hands such an argument to the part it runs as a child). */
DWORD km_exit_code_of_child(const char *argument);

/* True under Wine, whose ntdll exports wine_get_version. */
BOOL km_running_under_wine(void);

/* The whole file's text, NUL-terminated (free it), or NULL when it cannot be read. */
char *km_read_text_file(const WCHAR *path);

/* True in a .system program under Wine. Where Wine's kernel32 is known to accept what Windows
 * refuses, a test expects Wine's answer there, says why, and expects Windows' answer from
 * kernel32_mem everywhere and from the system kernel32 on Windows. */
#define KM_SYSTEM_IS_WINE (!KM_TEST_SIDE_OURS && km_running_under_wine())

/* Calls call(heap, argument) and reports the exception it raised (0 if none).
 * Raising is non-continuable, so the handler leaves by jumping back here. */
DWORD km_exception_raised_by(void *(*call)(HANDLE heap, SIZE_T argument), HANDLE heap,
                             SIZE_T argument);


#define km_reset_last_error() SetLastError(KM_SENTINEL_ERROR)
#define assert_last_error(expected) assert_int_equal(GetLastError(), (expected))

#endif
