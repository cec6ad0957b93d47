/*
 * The Heap* exports that allocate, free and size blocks, and create and destroy heaps: the thin
 * layer over core/heap.c. Each resolves its handle through the registry (so a bad handle is an
 * error code, never a fault), translates flags, makes one core call and turns its status into
 * the last error Windows sets. Where Windows leaves the last error alone, so do we.
 */
#include "api/win32.h"

#include "api/heap_flags.h"
#include "api/heap_handles.h"
#include "nt/nt_error.h"
#include "nt/nt_heap_platform.h"

/* A failed allocation: ERROR_NOT_ENOUGH_MEMORY, and STATUS_NO_MEMORY raised when the call or the
 * heap asked for exceptions. */
static void *fail_allocation(km_heap *heap, unsigned flags)
{
    km_nt_set_last_error(ERROR_NOT_ENOUGH_MEMORY);
    if ((flags | km_heap_flags(heap)) & KM_HEAP_RAISE)
        km_nt_raise_no_memory();
    return NULL;
}

/* A pointer that is not a busy block of the heap. */
static void report_bad_block(km_status status)
{
    if (status == KM_CORRUPTED)
        km_heap_report_corruption();
    km_nt_set_last_error(ERROR_INVALID_PARAMETER);
}

HANDLE WINAPI GetProcessHeap(void)
{
    return (HANDLE)km_process_heap();
}

DWORD WINAPI GetProcessHeaps(DWORD count, PHANDLE heaps)
{
    _Static_assert(sizeof(HANDLE) == sizeof(km_heap *), "a heap handle is its address");
    return (DWORD)km_registry_list(km_heaps(), (km_heap **)heaps, heaps ? count : 0);
}

HANDLE WINAPI HeapCreate(DWORD flags, SIZE_T initial, SIZE_T maximum)
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
    return (HANDLE)heap;
}

BOOL WINAPI HeapDestroy(HANDLE handle)
{
    /* Windows answers a NULL heap with success, having nothing to destroy. */
    if (!handle)
        return TRUE;
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap || heap == km_process_heap()) {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    km_registry_remove(km_heaps(), heap);
    km_heap_destroy(heap);
    return TRUE;
}

LPVOID WINAPI HeapAlloc(HANDLE handle, DWORD flags, SIZE_T size)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap) {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
        return NULL;
    }
    unsigned call_flags = km_heap_call_flags(flags);
    km_status status;
    void *block = km_heap_alloc(heap, call_flags, size, &status);
    return block ? block : fail_allocation(heap, call_flags);
}

LPVOID WINAPI HeapReAlloc(HANDLE handle, DWORD flags, LPVOID block, SIZE_T size)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap) {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
        return NULL;
    }
    if (!block)
        return NULL;
    unsigned call_flags = km_heap_call_flags(flags);
    km_status status;
    void *result = km_heap_realloc(heap, call_flags, block, size, &status);
    if (result)
        return result;
    if (status == KM_NO_MEMORY)
        return fail_allocation(heap, call_flags);
    report_bad_block(status);
    return NULL;
}

BOOL WINAPI HeapFree(HANDLE handle, DWORD flags, LPVOID block)
{
    if (!block)
        return TRUE;
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    km_status status = km_heap_free(heap, km_heap_call_flags(flags), block);
    if (status == KM_OK)
        return TRUE;
    report_bad_block(status);
    return FALSE;
}

SIZE_T WINAPI HeapSize(HANDLE handle, DWORD flags, LPCVOID block)
{
    km_heap *heap = km_heap_from_handle(handle);
    size_t size;
    km_status status = heap ? km_heap_size(heap, km_heap_call_flags(flags), block, &size)
                            : KM_INVALID_POINTER;
    if (status == KM_OK)
        return size;
    report_bad_block(status);
    return (SIZE_T)-1;
}

BOOL WINAPI HeapValidate(HANDLE handle, DWORD flags, LPCVOID block)
{
    km_heap *heap = km_heap_from_handle(handle);
    return heap && km_heap_validate(heap, km_heap_call_flags(flags), block);
}

SIZE_T WINAPI HeapCompact(HANDLE handle, DWORD flags)
{
    km_heap *heap = km_heap_from_handle(handle);
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

BOOL WINAPI HeapLock(HANDLE handle)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return FALSE;
    km_heap_lock(heap);
    return TRUE;
}

BOOL WINAPI HeapUnlock(HANDLE handle)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return FALSE;
    if (!km_heap_unlock(heap)) {
        km_nt_set_last_error(ERROR_NOT_OWNER);
        return FALSE;
    }
    return TRUE;
}
