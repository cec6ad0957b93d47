/*
 * Walks through the exports kernel32_mem implements, through kernel32_mem.dll, and prints each
 * step: a reservation, a commit inside it, a query of every region, a decommit and a release,
 * then one refused request with the error Windows gives; and a heap: blocks of each kind (a small
 * block from a run, a span of slots, a large block with its own reservation), one freed, then
 * HeapWalk's view of it, with runs of free blocks folded into one line.
 *
 * `km_demo.exe --snapshot PATH` also lays out a heap for study (runs of several classes, full,
 * half full and emptied; spans; a large block) and writes its snapshot to PATH with
 * KmHeapSnapshot, for `km-heap map` to draw (scripts/demo.sh does both).
 */
#include <windows.h>

#include "kernel32_mem.h"

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
    printf("  %-22s %p +0x%-6lx %-9s protect 0x%03lx (allocated at %p)\n", label, info.BaseAddress,
           (unsigned long)info.RegionSize, state_name(info.State), info.Protect,
           info.AllocationBase);
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

static const char *walk_kind(WORD flags)
{
    if (flags & PROCESS_HEAP_REGION)
        return "region";
    if (flags & PROCESS_HEAP_UNCOMMITTED_RANGE)
        return "uncommitted";
    return (flags & PROCESS_HEAP_ENTRY_BUSY) ? "busy" : "free";
}

static void print_walk(HANDLE heap)
{
    PROCESS_HEAP_ENTRY entry = {0};
    const char *folded_kind = NULL;
    DWORD folded_size = 0, folded_count = 0;
    HeapLock(heap);
    for (;;) {
        BOOL more = HeapWalk(heap, &entry);
        const char *kind = more ? walk_kind(entry.wFlags) : NULL;
        if (folded_count && (!more || kind != folded_kind || entry.cbData != folded_size)) {
            if (folded_count > 1)
                printf("  ... %lu more %s entries of %lu bytes\n", (unsigned long)folded_count - 1,
                       folded_kind, (unsigned long)folded_size);
            folded_count = 0;
        }
        if (!more)
            break;
        if (folded_count++ == 0) {
            printf("  %-11s %p %10lu bytes, overhead %3u, region %u", kind, entry.lpData,
                   (unsigned long)entry.cbData, entry.cbOverhead, entry.iRegionIndex);
            if (entry.wFlags & PROCESS_HEAP_REGION)
                printf(" (committed %lu, uncommitted %lu)",
                       (unsigned long)entry.Region.dwCommittedSize,
                       (unsigned long)entry.Region.dwUnCommittedSize);
            printf("\n");
            folded_kind = kind;
            folded_size = entry.cbData;
        }
    }
    printf("  HeapWalk ends with error %lu (ERROR_NO_MORE_ITEMS)\n", GetLastError());
    HeapUnlock(heap);
}

static int show_heap(void)
{
    HANDLE heap = HeapCreate(0, 0, 0);
    printf("HeapCreate(0, 0, 0) = %p\n", heap);
    if (!heap)
        return 1;
    void *small = HeapAlloc(heap, 0, 24);
    void *freed = HeapAlloc(heap, 0, 24);
    void *span = HeapAlloc(heap, 0, 100000);
    void *large = HeapAlloc(heap, 0, 3 << 20);
    printf("HeapAlloc 24 bytes = %p, 24 bytes = %p, 100000 bytes = %p, 3 MiB = %p\n", small, freed,
           span, large);
    printf("HeapFree(%p) = %s\n", freed, HeapFree(heap, 0, freed) ? "TRUE" : "FALSE");
    /* A pointer into a block is refused; a second free of freed would be heap corruption, which
     * ends a 64-bit process as it does on Windows. */
    SetLastError(0);
    BOOL interior = HeapFree(heap, 0, (char *)small + 16);
    printf("HeapFree(%p + 16) = %s, error %lu\n", small, interior ? "TRUE" : "FALSE",
           GetLastError());
    printf("HeapWalk:\n");
    print_walk(heap);
    BOOL destroyed = HeapDestroy(heap);
    printf("HeapDestroy = %s\n", destroyed ? "TRUE" : "FALSE");
    return destroyed ? 0 : 1;
}

/* A heap laid out to show what the essay at the top of kernel32_mem/core/heap.c describes: a
 * run per size class, filled to different degrees; a run emptied and kept for reuse; spans of
 * whole slots; a block large enough for a reservation of its own. */
static int snapshot_tour(const char *path)
{
    HANDLE heap = HeapCreate(0, 0, 0);
    if (!heap)
        return 1;
    static void *blocks[6000];
    size_t count = 0;
    const SIZE_T sizes[] = {24, 24, 24, 200, 200, 1000, 5000, 20000};
    for (int round = 0; round < 700; round++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && count < 6000; i++)
            if (round < 4000 / (int)sizes[i] + 40)
                blocks[count++] = HeapAlloc(heap, 0, sizes[i] - (SIZE_T)round % 8);
    /* Every third block freed: runs half full; the 1000-byte ones all freed: an empty run. */
    for (size_t i = 0; i < count; i++)
        if (i % 3 == 0 || (blocks[i] && HeapSize(heap, 0, blocks[i]) > 900 &&
                           HeapSize(heap, 0, blocks[i]) <= 1000))
            HeapFree(heap, 0, blocks[i]);
    void *spans[] = {HeapAlloc(heap, 0, 100000), HeapAlloc(heap, 0, 300000)};
    void *large = HeapAlloc(heap, 0, 3 << 20);
    wchar_t wide[MAX_PATH];
    MultiByteToWideChar(CP_ACP, 0, path, -1, wide, MAX_PATH);
    BOOL written = KmHeapSnapshot(heap, wide);
    printf("KmHeapSnapshot(a heap of %zu blocks, 2 spans at %p and %p, 3 MiB at %p, \"%s\") = %s\n",
           count, spans[0], spans[1], large, path, written ? "TRUE" : "FALSE");
    return HeapDestroy(heap) && written ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--snapshot") == 0)
        return snapshot_tour(argv[2]);

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
    if (!ok)
        return 1;
    return show_heap();
}
