/*
 * The Heap* exports that allocate, free and size blocks, and create and destroy heaps: the thin
 * layer over core/heap.c. Each resolves its handle (so a bad handle is an error code, never a
 * fault), translates flags, makes one core call and turns its status into the last error
 * Windows sets. Where Windows leaves the last error alone, so do we.
 *
 * What is not ours is passed on whole to the system's implementation, whose result and last
 * error the caller then sees (foreign.h):
 * - a heap handle that is one of the system's heaps (one ntdll made, for a module that is not
 *   redirected or before kernel32_mem was loaded);
 * - on the process heap, a block outside every reservation of ours that is readable memory: a
 *   block the system's process heap gave out (to the program before kernel32_mem was loaded,
 *   or to a system DLL), which the PEB's handle still names.
 * Both are decided only after our own path has failed, so they cost our blocks nothing.
 *
 * Each export that KM_TRACE traces is a wrapper: the call's own function, then its record
 * (heap_trace.h), so that every return path is recorded once. A call that gives memory back
 * takes its place in the trace's order before it runs.
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/foreign.h"
#include "api/heap_calls.h"
#include "api/heap_flags.h"
#include "api/heap_handles.h"
#include "api/heap_snapshot.h"
#include "api/heap_trace.h"
#include "nt/nt_error.h"
#include "nt/nt_heap_platform.h"

#include <string.h>

/* A failed allocation: ERROR_NOT_ENOUGH_MEMORY, and STATUS_NO_MEMORY raised when the call or the
 * heap asked for exceptions. */
static void *fail_allocation(km_heap *heap, unsigned flags)
{
    km_nt_set_last_error(ERROR_NOT_ENOUGH_MEMORY);
    if ((flags | km_heap_flags(heap)) & KM_HEAP_RAISE)
        km_nt_raise_no_memory();
    return NULL;
}

/* A pointer that is not a busy block of the heap; damage the heap found is reported first. */
static void report_bad_block(km_status status)
{
    if (status == KM_CORRUPTED)
        km_heap_report_corruption();
    km_nt_set_last_error(ERROR_INVALID_PARAMETER);
}

/* A free that did not free: a second free of a block is heap corruption, as on Windows, and so
 * is any bad pointer when the heap validates its parameters. */
static void report_bad_free(km_status status)
{
    bool corrupt = status == KM_FREED || km_heap_validates_parameters();
    report_bad_block(corrupt ? KM_CORRUPTED : status);
}

void *km_heap_call_alloc(km_heap *heap, DWORD flags, SIZE_T size)
{
    unsigned call_flags = km_heap_call_flags(flags);
    km_status status;
    void *block = km_heap_alloc(heap, call_flags, size, &status);
    if (block)
        return block;
    /* Free checking or validate-all found damage: corruption first, then the failure. */
    if (status == KM_CORRUPTED)
        km_heap_report_corruption();
    return fail_allocation(heap, call_flags);
}

bool km_heap_call_free(km_heap *heap, DWORD flags, void *block)
{
    km_status status = km_heap_free(heap, km_heap_call_flags(flags), block);
    if (status == KM_OK)
        return true;
    report_bad_free(status);
    return false;
}

void *km_heap_call_realloc(km_heap *heap, DWORD flags, void *block, SIZE_T size)
{
    unsigned call_flags = km_heap_call_flags(flags);
    km_status status;
    void *result = km_heap_realloc(heap, call_flags, block, size, &status);
    if (result) {
        /* Moved, and the old block's free found damage elsewhere (a block leaving quarantine). */
        if (status == KM_CORRUPTED)
            km_heap_report_corruption();
        return result;
    }
    if (status == KM_NO_MEMORY)
        return fail_allocation(heap, call_flags);
    report_bad_block(status);
    return NULL;
}

SIZE_T km_heap_call_size(km_heap *heap, DWORD flags, const void *block)
{
    size_t size;
    km_status status = km_heap_size(heap, km_heap_call_flags(flags), block, &size);
    if (status == KM_OK)
        return size;
    report_bad_block(status);
    return (SIZE_T)-1;
}

HANDLE WINAPI GetProcessHeap(void)
{
    KM_COUNT_CALL(GetProcessHeap);
    return km_process_heap_handle();
}

/* The system's heaps, the PEB's process heap among them (it stands for ours), then the heaps
 * made here; our process heap, which the registry lists first, is not listed twice. */
DWORD WINAPI GetProcessHeaps(DWORD count, PHANDLE heaps)
{
    KM_COUNT_CALL(GetProcessHeaps);
    _Static_assert(sizeof(HANDLE) == sizeof(km_heap *), "a heap handle is its address");
    size_t capacity = heaps ? count : 0;
    size_t system = km_nt_system_heaps(heaps, capacity);
    size_t filled = system < capacity ? system : capacity;
    HANDLE *rest = heaps ? heaps + filled : NULL;
    size_t room = capacity - filled;
    size_t ours = km_registry_list(km_heaps(), (km_heap **)rest, room);
    size_t listed = ours < room ? ours : room;
    if (listed > 1)
        memmove(rest, rest + 1, (listed - 1) * sizeof(HANDLE));
    return (DWORD)(system + ours - 1);
}

static HANDLE heap_create(DWORD flags, SIZE_T initial, SIZE_T maximum)
{
    km_heap *heap;
    if (km_heap_create(km_nt_heap_platform(), initial, maximum, km_heap_create_flags(flags),
                       &heap) != KM_OK) {
        km_nt_set_last_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (!km_registry_add(km_heaps(), heap)) {
        km_heap_destroy(heap);
        km_nt_set_last_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    km_heap_apply_settings(heap);
    return (HANDLE)heap;
}

HANDLE WINAPI HeapCreate(DWORD flags, SIZE_T initial, SIZE_T maximum)
{
    KM_COUNT_CALL(HeapCreate);
    HANDLE result = heap_create(flags, initial, maximum);
    KM_TRACE(HeapCreate, 0, result, flags, initial, maximum);
    return result;
}

static BOOL heap_destroy(HANDLE handle)
{
    /* Windows answers a NULL heap with success, having nothing to destroy. */
    if (!handle)
        return TRUE;
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap && km_is_system_heap(handle)) {
        km_nt_forget_system_heap(handle);
        return KM_SYSTEM(HeapDestroy)(handle);
    }
    if (!heap || heap == km_process_heap()) {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    km_snapshot_gate_enter();
    km_registry_remove(km_heaps(), heap);
    km_heap_destroy(heap);
    km_snapshot_gate_leave();
    return TRUE;
}

BOOL WINAPI HeapDestroy(HANDLE handle)
{
    KM_COUNT_CALL(HeapDestroy);
    uint64_t ticket = KM_TRACE_TICKET();
    BOOL result = heap_destroy(handle);
    KM_TRACE_AT(ticket, HeapDestroy, handle, result, 0, 0, 0);
    return result;
}

static LPVOID heap_alloc(HANDLE handle, DWORD flags, SIZE_T size)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (heap)
        return km_heap_call_alloc(heap, flags, size);
    if (km_is_system_heap(handle))
        return KM_SYSTEM(HeapAlloc)(handle, flags, size);
    km_nt_set_last_error(ERROR_INVALID_HANDLE);
    return NULL;
}

LPVOID WINAPI HeapAlloc(HANDLE handle, DWORD flags, SIZE_T size)
{
    KM_COUNT_CALL(HeapAlloc);
    LPVOID result = heap_alloc(handle, flags, size);
    KM_TRACE(HeapAlloc, handle, result, flags, size, 0);
    return result;
}

static LPVOID heap_realloc(HANDLE handle, DWORD flags, LPVOID block, SIZE_T size)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap && km_is_system_heap(handle))
        return KM_SYSTEM(HeapReAlloc)(handle, flags, block, size);
    if (!heap) {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
        return NULL;
    }
    if (!block)
        return NULL;
    if (km_is_foreign_block(heap, block))
        return KM_SYSTEM(HeapReAlloc)(km_process_heap_handle(), flags, block, size);
    return km_heap_call_realloc(heap, flags, block, size);
}

LPVOID WINAPI HeapReAlloc(HANDLE handle, DWORD flags, LPVOID block, SIZE_T size)
{
    KM_COUNT_CALL(HeapReAlloc);
    uint64_t ticket = KM_TRACE_TICKET();
    LPVOID result = heap_realloc(handle, flags, block, size);
    KM_TRACE_AT(ticket, HeapReAlloc, handle, result, flags, block, size);
    return result;
}

static BOOL heap_free(HANDLE handle, DWORD flags, LPVOID block)
{
    if (!block)
        return TRUE;
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap && km_is_system_heap(handle))
        return KM_SYSTEM(HeapFree)(handle, flags, block);
    if (!heap) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    km_status status = km_heap_free(heap, km_heap_call_flags(flags), block);
    if (status == KM_OK)
        return TRUE;
    if (km_is_foreign_block(heap, block))
        return KM_SYSTEM(HeapFree)(km_process_heap_handle(), flags, block);
    report_bad_free(status);
    return FALSE;
}

BOOL WINAPI HeapFree(HANDLE handle, DWORD flags, LPVOID block)
{
    KM_COUNT_CALL(HeapFree);
    uint64_t ticket = KM_TRACE_TICKET();
    BOOL result = heap_free(handle, flags, block);
    KM_TRACE_AT(ticket, HeapFree, handle, result, flags, block, 0);
    return result;
}

static SIZE_T heap_size(HANDLE handle, DWORD flags, LPCVOID block)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap && km_is_system_heap(handle))
        return KM_SYSTEM(HeapSize)(handle, flags, block);
    size_t size;
    km_status status =
        heap ? km_heap_size(heap, km_heap_call_flags(flags), block, &size) : KM_INVALID_POINTER;
    if (status == KM_OK)
        return size;
    if (heap && km_is_foreign_block(heap, block))
        return KM_SYSTEM(HeapSize)(km_process_heap_handle(), flags, block);
    report_bad_block(status);
    return (SIZE_T)-1;
}

SIZE_T WINAPI HeapSize(HANDLE handle, DWORD flags, LPCVOID block)
{
    KM_COUNT_CALL(HeapSize);
    SIZE_T result = heap_size(handle, flags, block);
    KM_TRACE(HeapSize, handle, result, flags, block, 0);
    return result;
}

static BOOL heap_validate(HANDLE handle, DWORD flags, LPCVOID block)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return km_is_system_heap(handle) && KM_SYSTEM(HeapValidate)(handle, flags, block);
    if (km_heap_validate(heap, km_heap_call_flags(flags), block))
        return TRUE;
    if (block && km_is_foreign_block(heap, block))
        return KM_SYSTEM(HeapValidate)(km_process_heap_handle(), flags, block);
    return FALSE;
}

BOOL WINAPI HeapValidate(HANDLE handle, DWORD flags, LPCVOID block)
{
    KM_COUNT_CALL(HeapValidate);
    BOOL result = heap_validate(handle, flags, block);
    KM_TRACE(HeapValidate, handle, result, flags, block, 0);
    return result;
}

static SIZE_T heap_compact(HANDLE handle, DWORD flags)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap && km_is_system_heap(handle))
        return KM_SYSTEM(HeapCompact)(handle, flags);
    if (!heap) {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
        return 0;
    }
    SIZE_T largest = km_heap_compact(heap, km_heap_call_flags(flags));
    /* Zero is also a failure code, so the documented way to tell them apart is NO_ERROR. */
    if (!largest)
        km_nt_set_last_error(NO_ERROR);
    return largest;
}

SIZE_T WINAPI HeapCompact(HANDLE handle, DWORD flags)
{
    KM_COUNT_CALL(HeapCompact);
    SIZE_T result = heap_compact(handle, flags);
    KM_TRACE(HeapCompact, handle, result, flags, 0, 0);
    return result;
}

BOOL WINAPI HeapLock(HANDLE handle)
{
    KM_COUNT_CALL(HeapLock);
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return km_is_system_heap(handle) && KM_SYSTEM(HeapLock)(handle);
    km_heap_lock(heap);
    return TRUE;
}

BOOL WINAPI HeapUnlock(HANDLE handle)
{
    KM_COUNT_CALL(HeapUnlock);
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return km_is_system_heap(handle) && KM_SYSTEM(HeapUnlock)(handle);
    if (!km_heap_unlock(heap)) {
        km_nt_set_last_error(ERROR_NOT_OWNER);
        return FALSE;
    }
    return TRUE;
}
