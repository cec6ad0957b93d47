/*
 * Which modules of the process kernel32_mem serves, decided once when it is loaded.
 *
 * A module that imports kernel32_mem (the program linked with it or redirected by km_sideload,
 * or a plugin DLL linked with it) is served for the imports that name it. Beyond those:
 *
 * - Heap, Global and Local memory crosses modules by design. A program hands an HGLOBAL to
 *   ole32's streams, to the clipboard, to DragQueryFile, and those modules lock, size, grow and
 *   free it with their own imports; a DLL frees with HeapFree(GetProcessHeap()) what it got from
 *   LocalAlloc, since a fixed block is a process-heap block. A block or handle of ours means
 *   nothing to the system's functions, so the data would be lost or leaked on the way. So the
 *   Heap, Global and Local functions form one family for the whole process: whenever a module
 *   imports kernel32_mem, every other module's imports of them are redirected here too, now
 *   and as modules load later. What the system made before that (or makes internally) is still
 *   understood: the exports pass what is not ours to the system's own implementation.
 * - With KM_SIDELOAD_SCOPE=process (km_sideload run --scope process), every module's imports of
 *   every function kernel32_mem exports are redirected, the Virtual and file-mapping families
 *   included.
 *
 * A program that merely loads kernel32_mem with LoadLibrary, with no module importing it (a
 * benchmark comparing it with the system), changes nothing in the other modules. ntdll,
 * kernel32 and kernelbase are never redirected: the memory that is not ours is passed on to them.
 * Once it has redirected anything, the DLL pins itself: other modules now call into it. The
 * variable is removed once read, so that the program's children do not inherit a scope they
 * were not started with.
 */
#include "api/module_scope.h"

#include "nt/nt_environment.h"
#include "nt/nt_lookup.h"
#include "nt/nt_modules.h"

typedef struct scope {
    void *self;
    bool every_export; /* otherwise the Heap, Global and Local families only */
    bool imported;     /* some module other than the system's imports kernel32_mem */
} scope;

static scope served;

static bool starts_with(const char *text, const char *prefix)
{
    while (*prefix && *text == *prefix)
        text++, prefix++;
    return *prefix == 0;
}

static void *our_export(const char *name, void *context)
{
    const scope *scope = context;
    if (!scope->every_export && !starts_with(name, "Heap") && !starts_with(name, "Global") &&
        !starts_with(name, "Local") && !starts_with(name, "GetProcessHeap"))
        return NULL;
    return km_nt_module_export(scope->self, name);
}

static void serve_module(const km_nt_module *module, void *context)
{
    const scope *scope = context;
    if (module->base == scope->self || km_nt_is_system_module(module))
        return;
    km_nt_redirect_imports(module->base, our_export, context);
}

static bool wide_equal(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static bool scope_is_process(void)
{
    WCHAR value[16];
    bool process =
        km_nt_environment_get(L"KM_SIDELOAD_SCOPE", value, 16) && wide_equal(value, L"process");
    km_nt_environment_remove(L"KM_SIDELOAD_SCOPE");
    return process;
}

static void note_importer(const km_nt_module *module, void *context)
{
    scope *scope = context;
    if (module->base != scope->self && !km_nt_is_system_module(module) &&
        km_nt_module_imports_from(module->base, "kernel32_mem.dll"))
        scope->imported = true;
}

void km_module_scope_start(void *self)
{
    served.self = self;
    served.every_export = scope_is_process();
    km_nt_for_each_module(note_importer, &served);
    if (!served.every_export && !served.imported)
        return;
    km_nt_pin_module(self);
    km_nt_for_each_module(serve_module, &served);
    km_nt_watch_module_loads(serve_module, &served);
}
