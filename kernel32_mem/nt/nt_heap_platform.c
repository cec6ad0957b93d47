#include "nt/nt_heap_platform.h"

#include "nt/nt_lookup.h"
#include "nt/nt_pages.h"
#include "nt/nt_system.h"
#include "nt/ntdll.h"

#define KM_STATUS_NO_MEMORY ((NTSTATUS)0xC0000017)
#define KM_STATUS_HEAP_CORRUPTION ((NTSTATUS)0xC0000374)

/* RtlWaitOnAddress and RtlWakeAddressSingle, found at run time: Windows 7 lacks them. */
typedef NTSTATUS(NTAPI *wait_on_address_function)(const volatile void *address, const void *compare,
                                                  SIZE_T size, const LARGE_INTEGER *timeout);
typedef void(NTAPI *wake_address_function)(const void *address);
static wait_on_address_function wait_on_address;
static wake_address_function wake_address_single;

static void wait_while_equal(_Atomic uintptr_t *word, uintptr_t expected)
{
    if (wait_on_address)
        wait_on_address(word, &expected, sizeof(expected), NULL);
    else
        NtYieldExecution();
}

static void wake_one(_Atomic uintptr_t *word)
{
    if (wake_address_single)
        wake_address_single((const void *)word);
}

static void yield_thread(void)
{
    NtYieldExecution();
}

/* Found at run time like the two above, though every Windows since XP and Wine have it. */
typedef BOOLEAN(NTAPI *shutdown_in_progress_function)(void);
static shutdown_in_progress_function shutdown_in_progress;

static bool process_ending(void)
{
    return shutdown_in_progress && shutdown_in_progress();
}

static const km_threads nt_threads = {
    .yield = yield_thread,
    .wait = wait_while_equal,
    .wake_one = wake_one,
    .process_ending = process_ending,
};

const km_heap_platform *km_nt_heap_platform(void)
{
    static km_heap_platform platform;
    if (!platform.pages) {
        LARGE_INTEGER counter = {0};
        NtQueryPerformanceCounter(&counter, NULL);
        wait_on_address = (wait_on_address_function)km_nt_ntdll_export("RtlWaitOnAddress");
        wake_address_single = (wake_address_function)km_nt_ntdll_export("RtlWakeAddressSingle");
        if (!wait_on_address || !wake_address_single)
            wait_on_address = NULL;
        shutdown_in_progress =
            (shutdown_in_progress_function)km_nt_ntdll_export("RtlDllShutdownInProgress");
        platform.threads = &nt_threads;
        platform.seed = (uint64_t)counter.QuadPart ^ ((uint64_t)(uintptr_t)km_nt_teb() << 20);
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

uint32_t km_nt_global_flags(void)
{
    return *(const uint32_t *)(km_nt_peb() + KM_NT_PEB_GLOBAL_FLAG);
}

void km_nt_break_if_debugged(void)
{
    if (km_nt_peb()[KM_NT_PEB_BEING_DEBUGGED])
        __asm__ volatile("int3");
}

bool km_nt_terminates_on_corruption_by_default(void)
{
    return sizeof(void *) == 8 || km_nt_image_subsystem_major_version() >= 6;
}
