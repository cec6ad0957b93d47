/*
 * The process's heaps as the exports see them. The process heap is the one the PEB names:
 * GetProcessHeap returns PEB.ProcessHeap, as on Windows, and code that reads that field itself
 * (as Wine's headers inline GetProcessHeap) passes the same handle. kernel32_mem serves that
 * handle with a heap of its own, made when the DLL is loaded; blocks that the system's heap
 * behind the handle gave out before are passed on to it (heap.c).
 */
#include "api/heap_handles.h"

#include "api/export_stats.h"
#include "api/heap_snapshot.h"
#include "api/heap_trace.h"
#include "api/module_scope.h"
#include "api/process_attach.h"
#include "nt/nt_environment.h"
#include "nt/nt_foreign.h"
#include "nt/nt_heap_platform.h"

static km_heap_registry registry;
static km_handle_table moveable_handles;
static km_heap *process_heap;
static HANDLE process_heap_handle;
static volatile LONG terminate_on_corruption;
static size_t delay_free_bytes;
static unsigned debug_modes;
static bool validate_parameters;

/* NtGlobalFlag's heap bits (gflags), as Windows reads them when it makes a heap. */
#define KM_FLG_HEAP_ENABLE_TAIL_CHECK 0x10u
#define KM_FLG_HEAP_ENABLE_FREE_CHECK 0x20u
#define KM_FLG_HEAP_VALIDATE_PARAMETERS 0x40u
#define KM_FLG_HEAP_VALIDATE_ALL 0x80u
#define KM_FLG_HEAP_PAGE_ALLOCS 0x02000000u

static bool token_is(const WCHAR *start, size_t length, const WCHAR *word)
{
    size_t i = 0;
    while (i < length && word[i] && start[i] == word[i])
        i++;
    return i == length && !word[i];
}

/* The heap debug modes: NtGlobalFlag's (from Image File Execution Options or a debugger, as on
 * Windows), and KM_HEAP_DEBUG's comma-separated words (tail, free, validate, all, page). */
static void read_debug_modes(void)
{
    uint32_t global_flags = km_nt_global_flags();
    if (global_flags & KM_FLG_HEAP_ENABLE_TAIL_CHECK)
        debug_modes |= KM_HEAP_DEBUG_TAIL;
    if (global_flags & KM_FLG_HEAP_ENABLE_FREE_CHECK)
        debug_modes |= KM_HEAP_DEBUG_FREE;
    if (global_flags & KM_FLG_HEAP_VALIDATE_ALL)
        debug_modes |= KM_HEAP_DEBUG_VALIDATE_ALL;
    if (global_flags & KM_FLG_HEAP_PAGE_ALLOCS)
        debug_modes |= KM_HEAP_DEBUG_PAGE;
    validate_parameters = (global_flags & KM_FLG_HEAP_VALIDATE_PARAMETERS) != 0;
    WCHAR value[64];
    if (!km_nt_environment_get(L"KM_HEAP_DEBUG", value, 64))
        return;
    for (const WCHAR *start = value; *start;) {
        size_t length = 0;
        while (start[length] && start[length] != L',')
            length++;
        if (token_is(start, length, L"tail"))
            debug_modes |= KM_HEAP_DEBUG_TAIL;
        else if (token_is(start, length, L"all"))
            debug_modes |= KM_HEAP_DEBUG_VALIDATE_ALL;
        else if (token_is(start, length, L"page"))
            debug_modes |= KM_HEAP_DEBUG_PAGE;
        else if (token_is(start, length, L"free"))
            debug_modes |= KM_HEAP_DEBUG_FREE;
        else if (token_is(start, length, L"validate"))
            validate_parameters = true;
        start += length + (start[length] == L',');
    }
}

bool km_heap_validates_parameters(void)
{
    return validate_parameters;
}

/* KM_HEAP_DELAY_FREE=N: every heap keeps N bytes of freed blocks out of reuse (a decimal count;
 * anything else, or nothing, keeps none). */
static size_t read_delay_free(void)
{
    WCHAR value[24];
    if (!km_nt_environment_get(L"KM_HEAP_DELAY_FREE", value, 24) || !value[0])
        return 0;
    size_t bytes = 0;
    for (const WCHAR *digit = value; *digit; digit++) {
        if (*digit < L'0' || *digit > L'9' || bytes > ((size_t)-1 - 9) / 10)
            return 0;
        bytes = bytes * 10 + (size_t)(*digit - L'0');
    }
    return bytes;
}

void km_heap_apply_settings(km_heap *heap)
{
    if (debug_modes)
        km_heap_set_debug(heap, debug_modes);
    if (delay_free_bytes)
        km_heap_set_quarantine(heap, delay_free_bytes);
}

bool km_api_process_attach(void *self)
{
    const km_heap_platform *platform = km_nt_heap_platform();
    delay_free_bytes = read_delay_free();
    read_debug_modes();
    km_registry_init(&registry, platform->threads, platform->pages);
    km_handle_table_init(&moveable_handles, platform->pages);
    if (km_heap_create(platform, 0, 0, 0, &process_heap) != KM_OK ||
        !km_registry_add(&registry, process_heap))
        return false;
    km_heap_apply_settings(process_heap);
    process_heap_handle = km_nt_process_heap_handle();
    terminate_on_corruption = km_nt_terminates_on_corruption_by_default();
    km_export_stats_start();
    km_heap_snapshot_start();
    km_trace_start();
    km_module_scope_start(self);
    return true;
}

void km_api_process_detach(void)
{
    km_export_stats_write();
    km_trace_finish();
    km_heap_snapshot_at_exit();
}

void km_api_thread_detach(void)
{
    km_heap *heap = km_process_heap();
    if (heap)
        km_heap_release_thread_cache(heap);
}

km_heap_registry *km_heaps(void)
{
    return &registry;
}

km_handle_table *km_moveable_handles(void)
{
    return &moveable_handles;
}

km_heap *km_process_heap(void)
{
    return process_heap;
}

HANDLE km_process_heap_handle(void)
{
    return process_heap_handle;
}

km_heap *km_heap_from_handle(HANDLE handle)
{
    if (handle == process_heap_handle || handle == (HANDLE)process_heap)
        return process_heap;
    return km_registry_find(&registry, handle);
}

void km_heap_report_corruption(void)
{
    km_nt_break_if_debugged();
    if (terminate_on_corruption)
        km_nt_terminate_on_corruption();
}

void km_heap_enable_termination_on_corruption(void)
{
    terminate_on_corruption = 1;
}
