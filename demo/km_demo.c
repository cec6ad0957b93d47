/*
 * Walks through the exports kernel32_mem implements, through kernel32_mem.dll, and prints each
 * step: a reservation, a commit inside it, a query of every region, a decommit and a release,
 * then one refused request with the error Windows gives.
 */
#include <windows.h>

#include <stdio.h>
#include <wchar.h>

static const char *state_name(DWORD state)
{
    switch (state) {
    case MEM_COMMIT: return "committed";
    case MEM_RESERVE: return "reserved";
    case MEM_FREE: return "free";
    default: return "?";
    }
}

static void print_region(const char *label, const void *address)
{
    MEMORY_BASIC_INFORMATION info;
    if (!VirtualQuery(address, &info, sizeof(info))) {
        printf("  %-22s VirtualQuery failed, error %lu\n", label, GetLastError());
        return;
    }
    printf("  %-22s %p +0x%-6lx %-9s protect 0x%03lx (allocated at %p)\n", label,
           info.BaseAddress, (unsigned long)info.RegionSize, state_name(info.State),
           info.Protect, info.AllocationBase);
}

static void print_provider(void)
{
    HMODULE module;
    wchar_t path[MAX_PATH] = L"?";
    if (GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                               GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                           (LPCWSTR)(void *)VirtualAlloc, &module))
        GetModuleFileNameW(module, path, MAX_PATH);
    printf("VirtualAlloc, VirtualFree and VirtualQuery come from %ls\n", path);
}

int main(void)
{
    const SIZE_T reservation = 0x40000, page = 0x1000;

    print_provider();

    char *base = VirtualAlloc(NULL, reservation, MEM_RESERVE, PAGE_NOACCESS);
    printf("VirtualAlloc(NULL, 256 KiB, MEM_RESERVE) = %p\n", (void *)base);
    if (!base)
        return 1;

    char *page_two = VirtualAlloc(base + page + 0x10, 3 * page, MEM_COMMIT, PAGE_READWRITE);
    printf("VirtualAlloc(base+0x1010, 12 KiB, MEM_COMMIT, PAGE_READWRITE) = %p\n",
           (void *)page_two);
    if (!page_two)
        return 1;
    strcpy(page_two, "written through kernel32_mem");
    printf("  wrote \"%s\"\n", page_two);

    printf("VirtualQuery, region by region:\n");
    for (const char *at = base; at < base + reservation;) {
        MEMORY_BASIC_INFORMATION info;
        if (!VirtualQuery(at, &info, sizeof(info)))
            return 1;
        print_region("region", at);
        at = (const char *)info.BaseAddress + info.RegionSize;
    }

    BOOL ok = VirtualFree(page_two, page, MEM_DECOMMIT);
    printf("VirtualFree(%p, 4 KiB, MEM_DECOMMIT) = %s\n", (void *)page_two, ok ? "TRUE" : "FALSE");
    print_region("after decommit", page_two);

    SetLastError(0);
    ok = VirtualFree(base, reservation, MEM_RELEASE);
    printf("VirtualFree(base, 256 KiB, MEM_RELEASE) = %s, error %lu (a release takes size 0)\n",
           ok ? "TRUE" : "FALSE", GetLastError());

    ok = VirtualFree(base, 0, MEM_RELEASE);
    printf("VirtualFree(base, 0, MEM_RELEASE) = %s\n", ok ? "TRUE" : "FALSE");
    print_region("after release", base);
    return ok ? 0 : 1;
}
