/*
 * km_bench: the Windows suite. Every workload runs against kernel32_mem (its HeapAlloc, loaded
 * from kernel32_mem.dll beside the program), the system kernel32's heap, msvcrt's malloc and
 * mimalloc (when scripts/setup.sh built it), all in this one process; the kernel32 workloads
 * (moveable, virtual, mapping) run against kernel32_mem and the system kernel32 only.
 *
 * usage: km_bench [--scale smoke|short|full] [--repetitions N] [--csv PATH] [--workload NAME]
 *                 [--allocator NAME]
 */
#include "kernel32_side.h"
#include "suite.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef KM_BENCH_MIMALLOC
void *mi_malloc(size_t size);
void *mi_realloc(void *block, size_t size);
void mi_free(void *block);
void mi_collect(int force);
#endif

static void crt_end(void *context)
{
    (void)context;
    _heapmin();
}

#ifdef KM_BENCH_MIMALLOC
static void *mimalloc_alloc(void *context, size_t size)
{
    (void)context;
    return mi_malloc(size);
}

static void mimalloc_release(void *context, void *block)
{
    (void)context;
    mi_free(block);
}

static void *mimalloc_resize(void *context, void *block, size_t size)
{
    (void)context;
    return mi_realloc(block, size);
}

static void mimalloc_end(void *context)
{
    (void)context;
    mi_collect(1);
}
#endif

static BOOL under_wine(void)
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    return ntdll && GetProcAddress(ntdll, "wine_get_version");
}

int main(int argc, char **argv)
{
    bench_options options;
    if (!bench_options_parse(argc, argv, &options))
        return 2;
    static kernel32_side ours, system;
    HMODULE ours_module = LoadLibraryA("kernel32_mem.dll");
    if (!ours_module) {
        fprintf(stderr, "kernel32_mem.dll not found beside the program\n");
        return 2;
    }
    if (!kernel32_side_load(&ours, ours_module) ||
        !kernel32_side_load(&system, GetModuleHandleA("kernel32.dll")))
        return 2;

    /* Under Wine the system heap (and msvcrt, which sits on it) takes microseconds an
     * operation where the others take nanoseconds; they run a twentieth of the operations
     * there. Wine's HeapSummary is a stub that ends the process: the process's committed
     * memory stands in for it. */
    double slow = under_wine() ? 0.05 : 1.0;
    if (under_wine())
        system.HeapSummary = NULL;
    bench_allocator allocators[4];
    size_t heap_count = 0;
    allocators[heap_count++] = kernel32_side_heap_allocator("kernel32_mem", &ours, 1.0);
    allocators[heap_count++] = kernel32_side_heap_allocator("system_heap", &system, slow);
    allocators[heap_count++] = bench_malloc_allocator("msvcrt", slow, crt_end);
#ifdef KM_BENCH_MIMALLOC
    allocators[heap_count++] = (bench_allocator){.name = "mimalloc",
                                                 .alloc = mimalloc_alloc,
                                                 .release = mimalloc_release,
                                                 .resize = mimalloc_resize,
                                                 .end = mimalloc_end,
                                                 .speed = 1.0};
#else
    fprintf(stderr, "mimalloc was not built (scripts/setup.sh builds it): its rows are missing\n");
#endif

    bench_entry entries[96];
    size_t count = 0;
    for (size_t w = 0; w < bench_portable_workload_count; w++)
        for (size_t i = 0; i < heap_count; i++)
            entries[count++] = (bench_entry){&bench_portable_workloads[w], &allocators[i]};
    for (size_t w = 0; w < kernel32_workload_count; w++)
        for (size_t i = 0; i < 2; i++)
            entries[count++] = (bench_entry){&kernel32_workloads[w], &allocators[i]};
    return bench_suite_run(entries, count, &options);
}
