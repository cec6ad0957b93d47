#include "nt/nt_heap_platform.h"

#include "nt/nt_pages.h"
#include "nt/ntdll.h"

#define KM_STATUS_NO_MEMORY ((NTSTATUS)0xC0000017)
#define KM_STATUS_HEAP_CORRUPTION ((NTSTATUS)0xC0000374)

/* A thread's TEB address: unique among live threads and never 0. */
static uintptr_t current_thread_id(void)
{
    return (uintptr_t)km_nt_teb();
}

static void yield_thread(void)
{
    NtYieldExecution();
}

static const km_threads nt_threads = {.current_id = current_thread_id, .yield = yield_thread};

const km_heap_platform *km_nt_heap_platform(void)
{
    static km_heap_platform platform;
    if (!platform.pages) {
        LARGE_INTEGER counter = {0};
        NtQueryPerformanceCounter(&counter, NULL);
        platform.threads = &nt_threads;
        platform.seed = (uint64_t)counter.QuadPart ^ ((uint64_t)current_thread_id() << 20);
        platform.pages = km_nt_pages();
    }
    return &platform;
}

void km_nt_raise_no_memory(void)
{
    EXCEPTION_RECORD record = {
        .ExceptionCode = KM_STATUS_NO_MEMORY,
        .ExceptionFlags = EXCEPTION_NONCONTINUABLE,
        .ExceptionAddress = __builtin_return_address(0),
    };
    RtlRaiseException(&record);
}

void km_nt_terminate_on_corruption(void)
{
    NtTerminateProcess(KM_NT_CURRENT_PROCESS, KM_STATUS_HEAP_CORRUPTION);
}
