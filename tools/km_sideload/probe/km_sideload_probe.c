/* A test client for km_sideload, independent of what kernel32_mem does: it reports which module
 * its HeapAlloc (and a few other) imports resolved to, so a run through the tool shows whether the
 * redirection took effect even if the DLL misbehaves. It also echoes its command line (to check
 * that arguments arrive verbatim), KM_SIDELOAD_SCOPE, and exits with the code given by --exit N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static void report(const char *name, const void *fn)
{
    HMODULE mod = NULL;
    wchar_t path[MAX_PATH] = L"?";
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                           GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                       (LPCWSTR)fn, &mod);
    if (mod)
        GetModuleFileNameW(mod, path, MAX_PATH);
    const wchar_t *base = wcsrchr(path, L'\\');
    printf("%s: %ls\n", name, base ? base + 1 : path);
}

int main(int argc, char **argv)
{
    /* &HeapAlloc reads the import address table slot, i.e. where the loader resolved it. */
    report("HeapAlloc", (const void *)(uintptr_t)&HeapAlloc);
    report("HeapFree", (const void *)(uintptr_t)&HeapFree);
    report("VirtualAlloc", (const void *)(uintptr_t)&VirtualAlloc);
    report("LocalFree", (const void *)(uintptr_t)&LocalFree);
    report("GetTickCount", (const void *)(uintptr_t)&GetTickCount);

    void *p = HeapAlloc(GetProcessHeap(), 0, 100);
    printf("HeapAlloc(100): %s\n", p ? "ok" : "failed");
    if (p)
        HeapFree(GetProcessHeap(), 0, p);

    const char *scope = getenv("KM_SIDELOAD_SCOPE");
    printf("KM_SIDELOAD_SCOPE=%s\n", scope ? scope : "(unset)");
    printf("cmdline=[%ls]\n", GetCommandLineW());
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--exit") == 0)
            return atoi(argv[i + 1]);
    return 0;
}
