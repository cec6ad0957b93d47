/* The kernel32_mem.dll a verb works with: where it is, what it exports, and how a descriptor names
 * it. Both verbs start here, so the default location and the machine checks are decided once. */
#ifndef SL_DLL_H
#define SL_DLL_H

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "pe_exports.h"
#include "sl_diag.h"

typedef struct sl_dll {
    wchar_t *path; /* full path */
    sl_names names;
} sl_dll;

/* Opens the DLL named by given, or kernel32_mem.dll in km_sideload.exe's own folder when NULL. */
bool sl_dll_open(const wchar_t *given, sl_dll *dll, sl_err *err);

void sl_dll_close(sl_dll *dll);

/* The DLL name to write into an import descriptor (malloc'd, in the ANSI code page, which is how
 * the loader reads it): the full path, or only the file name. A full path that the code page
 * cannot spell falls back to its short (8.3) form. */
char *sl_dll_import_name(const sl_dll *dll, bool full_path, sl_err *err);

/* Fails with "WHAT is a 32-bit (i386) program; DLL is x86_64" when the machines differ. */
bool sl_dll_check_machine(const sl_dll *dll, const char *what, uint16_t machine, sl_err *err);

#endif
