#include "nt/nt_lookup.h"

#include "nt/ntdll.h"

#include <string.h>

static void *ntdll_module(void)
{
    static void *module;
    void *cached = __atomic_load_n(&module, __ATOMIC_ACQUIRE);
    if (cached)
        return cached;
    km_nt_unicode_string name;
    RtlInitUnicodeString(&name, L"ntdll.dll");
    void *found = NULL;
    if (LdrGetDllHandle(NULL, NULL, &name, &found) != 0)
        return NULL;
    __atomic_store_n(&module, found, __ATOMIC_RELEASE);
    return found;
}

void *km_nt_ntdll_export(const char *name)
{
    void *module = ntdll_module();
    if (!module)
        return NULL;
    USHORT length = (USHORT)strlen(name);
    km_nt_ansi_string ansi = {.length = length,
                              .maximum_length = (USHORT)(length + 1),
                              .buffer = (PCHAR)name};
    void *address = NULL;
    return LdrGetProcedureAddress(module, &ansi, 0, &address) == 0 ? address : NULL;
}
