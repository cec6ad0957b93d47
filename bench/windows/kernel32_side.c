#include "kernel32_side.h"

#include <stdio.h>
#include <stdlib.h>

static BOOL find(HMODULE module, const char *name, void **slot)
{
    *slot = (void *)GetProcAddress(module, name);
    if (!*slot)
        fprintf(stderr, "%s is not exported\n", name);
    return *slot != NULL;
}

#define FIND(side, function) find((side)->module, #function, (void **)&(side)->function)

BOOL kernel32_side_load(kernel32_side *side, HMODULE module)
{
    *side = (kernel32_side){.module = module};
    side->HeapSummary = (void *)GetProcAddress(module, "HeapSummary");
    return FIND(side, HeapCreate) && FIND(side, HeapDestroy) && FIND(side, HeapAlloc) &&
           FIND(side, HeapReAlloc) && FIND(side, HeapFree) && FIND(side, GlobalAlloc) &&
           FIND(side, GlobalReAlloc) && FIND(side, GlobalLock) && FIND(side, GlobalUnlock) &&
           FIND(side, GlobalFree) && FIND(side, VirtualAlloc) && FIND(side, VirtualFree) &&
           FIND(side, CreateFileMappingW) && FIND(side, MapViewOfFile) &&
           FIND(side, UnmapViewOfFile);
}

static void *heap_alloc(void *context, size_t size)
{
    kernel32_side *side = context;
    return side->HeapAlloc(side->heap, 0, size);
}

static void heap_release(void *context, void *block)
{
    kernel32_side *side = context;
    side->HeapFree(side->heap, 0, block);
}

static void *heap_resize(void *context, void *block, size_t size)
{
    kernel32_side *side = context;
    return side->HeapReAlloc(side->heap, 0, block, size);
}

static void heap_begin(void *context)
{
    kernel32_side *side = context;
    side->heap = side->HeapCreate(0, 0, 0);
    if (!side->heap)
        exit(2);
}

static void heap_end(void *context)
{
    kernel32_side *side = context;
    side->HeapDestroy(side->heap);
    side->heap = NULL;
}

static size_t heap_committed(void *context)
{
    kernel32_side *side = context;
    HEAP_SUMMARY summary = {.cb = sizeof summary};
    return side->HeapSummary(side->heap, 0, &summary) ? summary.cbCommitted : 0;
}

bench_allocator kernel32_side_heap_allocator(const char *name, kernel32_side *side, double speed)
{
    return (bench_allocator){.name = name,
                             .alloc = heap_alloc,
                             .release = heap_release,
                             .resize = heap_resize,
                             .begin = heap_begin,
                             .end = heap_end,
                             .committed = side->HeapSummary ? heap_committed : NULL,
                             .context = side,
                             .speed = speed};
}

static void fail(const char *what)
{
    fprintf(stderr, "%s failed (error %lu)\n", what, GetLastError());
    exit(2);
}

/* moveable: 1,024 live moveable blocks; an operation locks one, writes it, unlocks it and
 * resizes it (16 bytes-4 KiB); every fourth frees it and allocates a new one instead. */
static void run_moveable(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    enum { LIVE = 1024 };
    kernel32_side *side = a->context;
    uint64_t count = bench_scaled(bench_by_scale(scale, 2000, 100000, 1000000), a);
    HGLOBAL handles[LIVE];
    SIZE_T sizes[LIVE];
    uint64_t random = 0xa4093822299f31d0ull;
    bench_meter_start(meter);
    for (int i = 0; i < LIVE; i++) {
        sizes[i] = 16 + bench_random(&random) % 4081;
        if (!(handles[i] = side->GlobalAlloc(GMEM_MOVEABLE, sizes[i])))
            fail("GlobalAlloc");
        bench_meter_track(meter, sizes[i], 0);
    }
    for (uint64_t n = 0; n < count; n++) {
        size_t i = (size_t)(bench_random(&random) % LIVE);
        char *data = side->GlobalLock(handles[i]);
        if (!data)
            fail("GlobalLock");
        data[0] = 1;
        side->GlobalUnlock(handles[i]);
        SIZE_T size = 16 + bench_random(&random) % 4081;
        if (n % 4 == 3) {
            side->GlobalFree(handles[i]);
            handles[i] = side->GlobalAlloc(GMEM_MOVEABLE, size);
        } else {
            handles[i] = side->GlobalReAlloc(handles[i], size, GMEM_MOVEABLE);
        }
        if (!handles[i])
            fail("GlobalAlloc/GlobalReAlloc");
        bench_meter_track(meter, size, sizes[i]);
        sizes[i] = size;
        if ((n & 4095) == 4095)
            bench_meter_checkpoint(meter);
    }
    bench_meter_stop(meter);
    for (int i = 0; i < LIVE; i++)
        side->GlobalFree(handles[i]);
    meter->operations = count;
}

/* virtual: 64 KiB reserved and committed, touched, released. */
static void run_virtual(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    kernel32_side *side = a->context;
    uint64_t count = bench_scaled(bench_by_scale(scale, 500, 20000, 200000), a);
    bench_meter_start(meter);
    for (uint64_t n = 0; n < count; n++) {
        char *base = side->VirtualAlloc(NULL, 1 << 16, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        if (!base)
            fail("VirtualAlloc");
        base[0] = 1;
        if ((n & 1023) == 1023)
            bench_meter_checkpoint(meter);
        side->VirtualFree(base, 0, MEM_RELEASE);
    }
    bench_meter_stop(meter);
    bench_meter_track(meter, 1 << 16, 0);
    meter->operations = count;
}

/* mapping: a 64 KiB pagefile-backed section created, mapped, touched, unmapped and closed. */
static void run_mapping(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    kernel32_side *side = a->context;
    uint64_t count = bench_scaled(bench_by_scale(scale, 20, 200, 2000), a);
    bench_meter_start(meter);
    for (uint64_t n = 0; n < count; n++) {
        HANDLE section = side->CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                                  1 << 16, NULL);
        if (!section)
            fail("CreateFileMappingW");
        char *view = side->MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, 0);
        if (!view)
            fail("MapViewOfFile");
        view[0] = 1;
        if ((n & 63) == 63)
            bench_meter_checkpoint(meter);
        side->UnmapViewOfFile(view);
        CloseHandle(section);
    }
    bench_meter_stop(meter);
    bench_meter_track(meter, 1 << 16, 0);
    meter->operations = count;
}

const bench_workload kernel32_workloads[] = {
    {.name = "moveable", .threads = 1, .run = run_moveable},
    {.name = "virtual", .threads = 1, .run = run_virtual},
    {.name = "mapping", .threads = 1, .run = run_mapping},
};
const size_t kernel32_workload_count = sizeof kernel32_workloads / sizeof kernel32_workloads[0];
