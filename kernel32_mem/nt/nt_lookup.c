#include "nt/nt_lookup.h"

#include "nt/ntdll.h"

#include <string.h>

/* The base of a loaded system module, looked up once into *cache. */
static void *system_module(void **cache, PCWSTR file_name)
{
    void *cached = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
    if (cached)
        return cached;
    km_nt_unicode_string name;
    RtlInitUnicodeString(&name, file_name);
    void *found = NULL;
    if (LdrGetDllHandle(NULL, NULL, &name, &found) != 0)
        return NULL;
    __atomic_store_n(cache, found, __ATOMIC_RELEASE);
    return found;
}

void *km_nt_ntdll_export(const char *name)
{
    static void *ntdll;
    return km_nt_module_export(system_module(&ntdll, L"ntdll.dll"), name);
}

void *km_nt_kernel32_export(const char *name)
{
    static void *kernel32;
    return km_nt_module_export(system_module(&kernel32, L"kernel32.dll"), name);
}

void *km_nt_module_export(void *module, const char *name)
{
    if (!module)
        return NULL;
    USHORT length = (USHORT)strlen(name);
    km_nt_ansi_string ansi = {
        .length = length, .maximum_length = (USHORT)(length + 1), .buffer = (PCHAR)name};
    void *address = NULL;
    return LdrGetProcedureAddress(module, &ansi, 0, &address) == 0 ? address : NULL;
}
