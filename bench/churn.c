/*
 * The churn benchmark: 100,000 live blocks, then random free+alloc pairs (sizes 8-1024 bytes,
 * 1% up to 64 KiB), timed per pair, for each allocator in one process so the figures compare
 * fairly on a noisy machine:
 *   kernel32_mem  HeapAlloc/HeapFree of kernel32_mem.dll (loaded by name, on a heap of its own)
 *   system_heap   HeapAlloc/HeapFree of the system kernel32 (a heap of its own)
 *   msvcrt        malloc/free
 *   mimalloc      mi_malloc/mi_free, when built with KM_BENCH_MIMALLOC
 * Each run's peak committed bytes come from HeapSummary where the allocator has one.
 *
 * usage: churn [pairs] [slow_pairs]
 *   pairs       for kernel32_mem and mimalloc (default 2,000,000)
 *   slow_pairs  for the system heap and msvcrt, which take microseconds a pair under Wine
 *               (default 100,000)
 */
#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef KM_BENCH_MIMALLOC
void *mi_malloc(size_t size);
void mi_free(void *block);
#endif

enum { LIVE = 100000 };

typedef struct allocator {
    const char *name;
    void *(*alloc)(struct allocator *self, size_t size);
    void (*release)(struct allocator *self, void *block);
    HANDLE heap;
    LPVOID(WINAPI *heap_alloc)(HANDLE, DWORD, SIZE_T);
    BOOL(WINAPI *heap_free)(HANDLE, DWORD, LPVOID);
    BOOL(WINAPI *heap_summary)(HANDLE, DWORD, LPHEAP_SUMMARY);
} allocator;

static void *heap_alloc(allocator *self, size_t size)
{
    return self->heap_alloc(self->heap, 0, size);
}

static void heap_release(allocator *self, void *block)
{
    self->heap_free(self->heap, 0, block);
}

static void *crt_alloc(allocator *self, size_t size)
{
    (void)self;
    return malloc(size);
}

static void crt_release(allocator *self, void *block)
{
    (void)self;
    free(block);
}

#ifdef KM_BENCH_MIMALLOC
static void *mi_alloc(allocator *self, size_t size)
{
    (void)self;
    return mi_malloc(size);
}

static void mi_release(allocator *self, void *block)
{
    (void)self;
    mi_free(block);
}
#endif

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static size_t churn_size(uint64_t *random)
{
    uint64_t r = next_random(random);
    if (r % 100 == 0)
        return 1024 + (size_t)(r >> 16) % (65536 - 1024 + 1);
    return 8 + (size_t)(r >> 16) % (1024 - 8 + 1);
}

static size_t committed_of(allocator *a)
{
    if (!a->heap_summary)
        return 0;
    HEAP_SUMMARY summary = {.cb = sizeof summary};
    return a->heap_summary(a->heap, 0, &summary) ? summary.cbCommitted : 0;
}

typedef struct result {
    double ns_per_pair;
    size_t peak_live, peak_committed;
} result;

static result run_churn(allocator *a, long pairs)
{
    static void *blocks[LIVE];
    static size_t sizes[LIVE];
    uint64_t random = 0x243f6a8885a308d3ull;
    size_t live = 0;
    result r = {0};
    for (int i = 0; i < LIVE; i++) {
        sizes[i] = churn_size(&random);
        blocks[i] = a->alloc(a, sizes[i]);
        *(char *)blocks[i] = 1;
        live += sizes[i];
    }
    r.peak_live = live;
    LARGE_INTEGER frequency, start, end;
    QueryPerformanceFrequency(&frequency);
    QueryPerformanceCounter(&start);
    for (long n = 0; n < pairs; n++) {
        size_t i = (size_t)(next_random(&random) % LIVE);
        a->release(a, blocks[i]);
        live -= sizes[i];
        sizes[i] = churn_size(&random);
        blocks[i] = a->alloc(a, sizes[i]);
        *(char *)blocks[i] = 1;
        live += sizes[i];
        if (live > r.peak_live)
            r.peak_live = live;
        if ((n & 0xffff) == 0) {
            size_t committed = committed_of(a);
            if (committed > r.peak_committed)
                r.peak_committed = committed;
        }
    }
    QueryPerformanceCounter(&end);
    size_t committed = committed_of(a);
    if (committed > r.peak_committed)
        r.peak_committed = committed;
    for (int i = 0; i < LIVE; i++)
        a->release(a, blocks[i]);
    r.ns_per_pair = (double)(end.QuadPart - start.QuadPart) * 1e9 / (double)frequency.QuadPart /
                    (double)pairs;
    return r;
}

static allocator heap_allocator(const char *name, HMODULE module)
{
    allocator a = {.name = name, .alloc = heap_alloc, .release = heap_release};
    HANDLE(WINAPI * create)(DWORD, SIZE_T, SIZE_T) =
        (HANDLE(WINAPI *)(DWORD, SIZE_T, SIZE_T))(void *)GetProcAddress(module, "HeapCreate");
    a.heap_alloc = (LPVOID(WINAPI *)(HANDLE, DWORD, SIZE_T))(void *)GetProcAddress(module, "HeapAlloc");
    a.heap_free = (BOOL(WINAPI *)(HANDLE, DWORD, LPVOID))(void *)GetProcAddress(module, "HeapFree");
    a.heap = create ? create(0, 0, 0) : NULL;
    return a;
}

int main(int argc, char **argv)
{
    long pairs = argc > 1 ? atol(argv[1]) : 2000000;
    long system_pairs = argc > 2 ? atol(argv[2]) : 100000;
    HMODULE ours = LoadLibraryA("kernel32_mem.dll");
    if (!ours) {
        fprintf(stderr, "kernel32_mem.dll not found beside the program\n");
        return 1;
    }
    allocator allocators[4];
    long counts[4];
    int count = 0;
    allocators[count] = heap_allocator("kernel32_mem", ours);
    allocators[count].heap_summary = (BOOL(WINAPI *)(HANDLE, DWORD, LPHEAP_SUMMARY))(void *)
        GetProcAddress(ours, "HeapSummary");
    counts[count++] = pairs;
    allocators[count] = heap_allocator("system_heap", GetModuleHandleA("kernel32.dll"));
    counts[count++] = system_pairs;
    allocators[count] = (allocator){.name = "msvcrt", .alloc = crt_alloc, .release = crt_release};
    counts[count++] = system_pairs;
#ifdef KM_BENCH_MIMALLOC
    allocators[count] = (allocator){.name = "mimalloc", .alloc = mi_alloc, .release = mi_release};
    counts[count++] = pairs;
#endif
    result results[4];
    for (int i = 0; i < count; i++)
        results[i] = run_churn(&allocators[i], counts[i]);

    printf("churn: %d live blocks, 8-1024 bytes (1%% up to 64 KiB), ns per free+alloc pair\n",
           LIVE);
    printf("%-14s %10s %12s %14s %16s %10s\n", "allocator", "pairs", "ns/pair", "vs ours",
           "peak committed", "/ live");
    for (int i = 0; i < count; i++) {
        printf("%-14s %10ld %12.1f %13.2fx", allocators[i].name, counts[i],
               results[i].ns_per_pair, results[i].ns_per_pair / results[0].ns_per_pair);
        if (results[i].peak_committed)
            printf(" %16zu %10.3f\n", results[i].peak_committed,
                   (double)results[i].peak_committed / (double)results[i].peak_live);
        else
            printf(" %16s %10s\n", "-", "-");
    }
    return 0;
}
