/* Locating the kernel32_mem.dll and naming it in import descriptors (see sl_dll.h). */
#include "sl_dll.h"

#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "pe_image.h"
#include "sl_file.h"

/* kernel32_mem.dll in the folder of the running km_sideload.exe (malloc'd). */
static wchar_t *default_path(void)
{
    static const wchar_t name[] = L"kernel32_mem.dll";
    for (DWORD cap = MAX_PATH;; cap *= 2) {
        wchar_t *buf = malloc((cap + wcslen(name) + 1) * sizeof *buf);
        if (!buf)
            return NULL;
        DWORD n = GetModuleFileNameW(NULL, buf, cap);
        if (n > 0 && n < cap) {
            wchar_t *slash = wcsrchr(buf, L'\\');
            wcscpy(slash ? slash + 1 : buf, name);
            return buf;
        }
        free(buf);
        if (n == 0 || cap >= 32768)
            return NULL;
    }
}

bool sl_dll_open(const wchar_t *given, sl_dll *dll, sl_err *err)
{
    memset(dll, 0, sizeof *dll);
    wchar_t *fallback = given ? NULL : default_path();
    if (!given && !fallback)
        return sl_fail(err, "cannot locate km_sideload.exe's own folder (use --dll)");
    dll->path = sl_full_path(given ? given : fallback);
    free(fallback);
    if (!dll->path)
        return sl_fail(err, "bad DLL path %s", sl_u8(given));
    if (!sl_names_load(&dll->names, dll->path, err)) {
        sl_dll_close(dll);
        return false;
    }
    return true;
}

void sl_dll_close(sl_dll *dll)
{
    sl_names_free(&dll->names);
    free(dll->path);
    dll->path = NULL;
}

/* The ANSI form of w when the code page spells it exactly, else NULL (malloc'd). */
static char *exact_ansi(const wchar_t *w)
{
    BOOL lossy = FALSE;
    int n = WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, w, -1, NULL, 0, NULL, &lossy);
    char *s = n > 0 && !lossy ? malloc((size_t)n) : NULL;
    if (s && !WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, w, -1, s, n, NULL, &lossy)) {
        free(s);
        s = NULL;
    }
    return s;
}

char *sl_dll_import_name(const sl_dll *dll, bool full_path, sl_err *err)
{
    const wchar_t *slash = wcsrchr(dll->path, L'\\');
    const wchar_t *w = full_path || !slash ? dll->path : slash + 1;
    char *name = exact_ansi(w);
    if (!name && full_path) {
        wchar_t shorter[MAX_PATH];
        DWORD n = GetShortPathNameW(dll->path, shorter, MAX_PATH);
        if (n > 0 && n < MAX_PATH)
            name = exact_ansi(shorter);
    }
    if (!name)
        sl_fail(err, "the DLL name %s cannot be written in the ANSI code page", sl_u8(w));
    return name;
}

bool sl_dll_check_machine(const sl_dll *dll, const char *what, uint16_t machine, sl_err *err)
{
    if (machine == dll->names.machine)
        return true;
    return sl_fail(err, "%s is %s program; DLL is %s", what, sl_machine_desc(machine),
                   sl_machine_name(dll->names.machine));
}
