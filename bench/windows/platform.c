/* The benchmark platform on Windows (and Wine), through the system kernel32. */
#include "bench.h"

#include <windows.h>

uint64_t bench_now_ns(void)
{
    static LARGE_INTEGER frequency;
    if (!frequency.QuadPart)
        QueryPerformanceFrequency(&frequency);
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    return (uint64_t)((double)now.QuadPart * 1e9 / (double)frequency.QuadPart);
}

/* Committed private and mapped memory, region by region: what the allocators hold, whoever
 * counts it (Wine's process counters leave reservations and some commits out). */
size_t bench_committed_bytes(void)
{
    size_t committed = 0;
    const char *address = NULL;
    MEMORY_BASIC_INFORMATION info;
    while (VirtualQuery(address, &info, sizeof info) == sizeof info) {
        if (info.State == MEM_COMMIT && info.Type != MEM_IMAGE)
            committed += info.RegionSize;
        const char *next = (const char *)info.BaseAddress + info.RegionSize;
        if (next <= address)
            break;
        address = next;
    }
    return committed;
}

typedef struct thread_start {
    void (*body)(void *);
    void *argument;
} thread_start;

static DWORD WINAPI thread_main(void *argument)
{
    thread_start *start = argument;
    start->body(start->argument);
    return 0;
}

enum { MAX_THREADS = 8 };

void bench_run_threads(void (*body)(void *argument), void *const *arguments, int count)
{
    thread_start starts[MAX_THREADS];
    HANDLE threads[MAX_THREADS] = {0};
    if (count < 1 || count > MAX_THREADS)
        ExitProcess(2);
    for (int i = 0; i < count; i++) {
        starts[i] = (thread_start){body, arguments[i]};
        threads[i] = CreateThread(NULL, 0, thread_main, &starts[i], 0, NULL);
        if (!threads[i])
            ExitProcess(2);
    }
    WaitForMultipleObjects((DWORD)count, threads, TRUE, INFINITE);
    for (int i = 0; i < count; i++)
        CloseHandle(threads[i]);
}

void bench_yield(void)
{
    SwitchToThread();
}

/* No instruction counter on Windows. */
void bench_count_instructions(bool on)
{
    (void)on;
}

void bench_dump_instructions(const char *workload, const char *allocator, int threads,
                             uint64_t operations)
{
    (void)workload, (void)allocator, (void)threads, (void)operations;
}

void bench_drop_instructions(void)
{
}
