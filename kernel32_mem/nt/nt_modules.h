/*
 * The loaded modules of the process and their import tables, for redirecting a module's imports
 * of system functions to kernel32_mem's exports after the loader has bound them. This is how
 * kernel32_mem serves modules it was not linked into: the loader writes each imported function's
 * address into the module's import address table, and the module calls through that slot, so
 * rewriting the slot redirects every later call.
 */
#ifndef KM_NT_MODULES_H
#define KM_NT_MODULES_H

#include "nt/nt_types.h"

#include <stdbool.h>
#include <stddef.h>

/* A loaded module: its base address and its file name (not NUL-terminated). */
typedef struct km_nt_module {
    void *base;
    const WCHAR *name;
    size_t name_length; /* in characters */
} km_nt_module;

/* Says, for a function a module imports by name from kernel32, kernelbase or an API set,
 * where calls should go instead: an address, or NULL to leave the import alone. */
typedef void *(*km_nt_import_target)(const char *name, void *context);

/* Rewrites each of module's imports for which target gives an address; returns how many. */
size_t km_nt_redirect_imports(void *module, km_nt_import_target target, void *context);

/* Whether the module at base imports anything from a DLL whose file name is file_name (ASCII,
 * compared without case; the import may name the DLL by a full path). */
bool km_nt_module_imports_from(void *module, const char *file_name);

/* Calls visit for every module loaded now, in load order, under the loader lock. */
void km_nt_for_each_module(void (*visit)(const km_nt_module *module, void *context), void *context);

/* Calls visit for every module loaded from now on, once the loader has bound its imports. */
bool km_nt_watch_module_loads(void (*visit)(const km_nt_module *module, void *context),
                              void *context);

/* Keeps the module at base loaded until the process ends, whatever FreeLibrary calls follow:
 * once other modules call into it through rewritten imports, it must not go away. */
void km_nt_pin_module(void *module);

/* Whether module is one of the system's own memory implementations (ntdll, kernel32,
 * kernelbase), whose imports must never be redirected: they are what foreign memory is
 * passed on to. */
bool km_nt_is_system_module(const km_nt_module *module);

#endif
