/* `run`: start PROGRAM suspended, redirect its main image's imports in its memory, let it go, and
 * become its exit code. Everything that can be said about the program from its file (not a PE,
 * wrong machine, imports nothing redirectable) is checked before the process exists, so bad input
 * never leaves a half-started child; the child's mapped image is then redirected for real. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "import_redirect.h"
#include "km_sideload.h"
#include "pe_image.h"
#include "remote_image.h"
#include "sl_dll.h"
#include "sl_file.h"

#ifdef _WIN64
#define SL_OWN_MACHINE IMAGE_FILE_MACHINE_AMD64
#else
#define SL_OWN_MACHINE IMAGE_FILE_MACHINE_I386
#endif

/* PROGRAM's full path as CreateProcess would find it: ".exe" appended when the name has no
 * extension, searched in the usual places (SearchPathW's order). malloc'd, or NULL. */
static wchar_t *find_program(const wchar_t *name)
{
    DWORD need = SearchPathW(NULL, name, L".exe", 0, NULL, NULL);
    wchar_t *path = need ? malloc(need * sizeof *path) : NULL;
    if (path && SearchPathW(NULL, name, L".exe", need, path, NULL) >= need) {
        free(path);
        path = NULL;
    }
    return path;
}

/* The checks that need only PROGRAM's file; the same conditions are checked again in memory. */
static bool check_program_file(const wchar_t *path, const char *what, const sl_dll *dll,
                               sl_err *err)
{
    uint8_t *data;
    size_t size;
    if (!sl_file_read(path, "program", &data, &size, err))
        return false;
    sl_image img;
    sl_import_block block = {0};
    bool ok = sl_image_parse(&img, data, size, SL_LAYOUT_FILE, what, err) &&
              sl_dll_check_machine(dll, what, img.machine, err);
    if (ok && img.machine != SL_OWN_MACHINE)
        ok = sl_fail(err, "%s is %s program; this km_sideload.exe is %s: use the matching build",
                     what, sl_machine_desc(img.machine), sl_machine_name(SL_OWN_MACHINE));
    if (ok && (img.characteristics & IMAGE_FILE_DLL))
        ok = sl_fail(err, "%s is a DLL, not a program", what);
    if (ok && !sl_imports_build(&img, &dll->names, "kernel32_mem.dll", 0, SL_IMPORTS_MINIMAL,
                                &block, err))
        ok = sl_fail_prefix(err, what);
    if (ok && block.redirected == 0)
        ok = sl_fail(err, SL_NOTHING_TO_REDIRECT, what);
    sl_import_block_free(&block);
    free(data);
    return ok;
}

/* Writes the block at `where` in the child and points the image's import directory at it; the
 * bound imports, if any, are dropped, since the new descriptors are not bound. */
static bool install_block(HANDLE proc, const sl_remote_image *remote, const sl_image *img,
                          uintptr_t where, const sl_import_block *block, sl_err *err)
{
    SIZE_T put = 0;
    if (!WriteProcessMemory(proc, (LPVOID)where, block->data, block->size, &put) ||
        put != block->size)
        return sl_fail(err, "cannot write the new imports into the child: %s",
                       sl_win_text(GetLastError()));
    uint8_t entry[8];
    sl_wr32(entry, (uint32_t)(where - remote->base));
    sl_wr32(entry + 4, block->dir_size);
    uint32_t import_at = sl_image_dir_offset(img, IMAGE_DIRECTORY_ENTRY_IMPORT);
    if (!sl_remote_patch_header(proc, remote, import_at, entry, sizeof entry, err))
        return false;
    if (!sl_image_is_bound(img))
        return true;
    memset(entry, 0, sizeof entry);
    uint32_t bound_at = sl_image_dir_offset(img, IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT);
    return sl_remote_patch_header(proc, remote, bound_at, entry, sizeof entry, err);
}

/* Redirects the suspended child's main image to the DLL named dll_name. The block is built twice:
 * once to learn its size, then again for the address the child could give it. */
static bool redirect_child(HANDLE proc, const sl_dll *dll, const char *dll_name, const char *what,
                           sl_err *err)
{
    sl_remote_image remote;
    if (!sl_remote_image_read(proc, &remote, err))
        return false;
    sl_image img;
    sl_import_block block = {0};
    uintptr_t where = 0;
    bool ok = sl_image_parse(&img, remote.copy, remote.size, SL_LAYOUT_MEMORY, what, err);
    if (ok && !sl_imports_build(&img, &dll->names, dll_name, 0, SL_IMPORTS_MINIMAL, &block, err))
        ok = sl_fail_prefix(err, what);
    if (ok && block.redirected == 0)
        ok = sl_fail(err, SL_NOTHING_TO_REDIRECT, what);
    if (ok)
        ok = sl_remote_alloc_near(proc, &remote, block.size, &where, err);
    if (ok) {
        uint32_t rva = (uint32_t)(where - remote.base);
        sl_import_block_free(&block);
        ok = sl_imports_build(&img, &dll->names, dll_name, rva, SL_IMPORTS_MINIMAL, &block, err) ||
             sl_fail_prefix(err, what);
    }
    if (ok)
        ok = install_block(proc, &remote, &img, where, &block, err);
    sl_import_block_free(&block);
    sl_remote_image_free(&remote);
    return ok;
}

/* Console Ctrl+C reaches the child too; the parent stays to report the child's exit code. A
 * handler (unlike SetConsoleCtrlHandler(NULL, TRUE)) is not inherited by the child. */
static BOOL WINAPI outlive_ctrl_c(DWORD type)
{
    (void)type;
    return TRUE;
}

static void make_inheritable(HANDLE h)
{
    if (h && h != INVALID_HANDLE_VALUE)
        SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
}

static bool start_suspended(const wchar_t *path, const wchar_t *cmdline, PROCESS_INFORMATION *pi,
                            sl_err *err)
{
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    make_inheritable(si.hStdInput);
    make_inheritable(si.hStdOutput);
    make_inheritable(si.hStdError);
    wchar_t *line = _wcsdup(cmdline); /* CreateProcessW may write to it */
    bool ok =
        line && CreateProcessW(path, line, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, pi);
    DWORD code = GetLastError();
    free(line);
    if (!ok)
        return sl_fail(err, "cannot start %s: %s", sl_u8(path), sl_win_text(code));
    return true;
}

/* Starts, redirects, resumes and waits for the child; *exit_code becomes the child's. */
static bool run_child(const wchar_t *path, const sl_options *opts, const sl_dll *dll,
                      const char *dll_name, const char *what, int *exit_code, sl_err *err)
{
    PROCESS_INFORMATION pi;
    if (!start_suspended(path, opts->child_cmdline, &pi, err))
        return false;
    bool ok = redirect_child(pi.hProcess, dll, dll_name, what, err);
    if (ok && ResumeThread(pi.hThread) == (DWORD)-1)
        ok = sl_fail(err, "cannot resume %s: %s", what, sl_win_text(GetLastError()));
    if (!ok) {
        TerminateProcess(pi.hProcess, SL_EXIT_FAILED);
    } else {
        SetConsoleCtrlHandler(outlive_ctrl_c, TRUE);
        DWORD code = SL_EXIT_FAILED;
        if (WaitForSingleObject(pi.hProcess, INFINITE) != WAIT_OBJECT_0 ||
            !GetExitCodeProcess(pi.hProcess, &code))
            ok = sl_fail(err, "lost track of %s: %s", what, sl_win_text(GetLastError()));
        *exit_code = (int)code;
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return ok;
}

bool sl_verb_run(const sl_options *opts, int *exit_code, sl_err *err)
{
    *exit_code = SL_EXIT_BAD_INPUT;
    sl_dll dll;
    if (!sl_dll_open(opts->dll, &dll, err))
        return false;
    char what[1024];
    snprintf(what, sizeof what, "%s", sl_u8(opts->program));

    bool ok = false;
    char *dll_name = NULL;
    wchar_t *path = find_program(opts->program);
    if (!path) {
        sl_fail(err, "cannot find program %s", what);
    } else if (check_program_file(path, what, &dll, err) &&
               (dll_name = sl_dll_import_name(&dll, true, err)) != NULL) {
        /* The child inherits this process's environment, so setting it here is setting it there. */
        SetEnvironmentVariableW(L"KM_SIDELOAD_SCOPE",
                                opts->scope == SL_SCOPE_PROCESS ? L"process" : L"exe");
        *exit_code = SL_EXIT_FAILED;
        ok = run_child(path, opts, &dll, dll_name, what, exit_code, err);
    }
    free(path);
    free(dll_name);
    sl_dll_close(&dll);
    return ok;
}
