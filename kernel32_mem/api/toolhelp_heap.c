/*
 * The Toolhelp heap walk: Heap32ListFirst/Next list a process's heaps, Heap32First/Next the
 * blocks of one of them. For this process kernel32_mem answers from its own heaps, live: the
 * snapshot handle is the system's and its contents are not ours to read, so the list is the one
 * GetProcessHeaps would give now (the process heap first, flagged HF32_DEFAULT), and the blocks
 * are those HeapWalk shows, busy (LF32_FIXED) and free (LF32_FREE). Each call continues from the
 * entry the caller hands back, as HeapWalk does, so the walk keeps no state of its own. Another
 * process's heaps, and the system's heaps in this one, are the system's to list.
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/foreign.h"
#include "api/heap_handles.h"
#include "nt/nt_environment.h"
#include "nt/nt_error.h"

#include <tlhelp32.h>

static BOOL no_more_items(void)
{
    km_nt_set_last_error(ERROR_NO_MORE_FILES);
    return FALSE;
}

/* Our heaps, the process heap first (by its PEB handle, as GetProcessHeap names it). */
static size_t list_heaps(km_heap **heaps, size_t capacity)
{
    return km_registry_list(km_heaps(), heaps, capacity);
}

static void fill_list_entry(LPHEAPLIST32 list, km_heap *heap)
{
    list->th32ProcessID = (DWORD)km_nt_current_process_id();
    list->th32HeapID =
        heap == km_process_heap() ? (ULONG_PTR)km_process_heap_handle() : (ULONG_PTR)heap;
    list->dwFlags = heap == km_process_heap() ? HF32_DEFAULT : 0;
}

/* The heap after the one the entry names (the first with NULL), or NULL at the end. */
static km_heap *heap_after(ULONG_PTR current)
{
    enum { KM_LISTED = 256 };
    km_heap *heaps[KM_LISTED];
    size_t count = list_heaps(heaps, KM_LISTED);
    if (count > KM_LISTED)
        count = KM_LISTED;
    if (!current)
        return count ? heaps[0] : NULL;
    km_heap *named = km_heap_from_handle((HANDLE)current);
    for (size_t i = 0; i + 1 < count; i++)
        if (heaps[i] == named)
            return heaps[i + 1];
    return NULL;
}

static BOOL list_from(LPHEAPLIST32 list, ULONG_PTR current)
{
    if (!list || list->dwSize < sizeof(HEAPLIST32)) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    km_heap *heap = heap_after(current);
    if (!heap)
        return no_more_items();
    fill_list_entry(list, heap);
    return TRUE;
}

BOOL WINAPI Heap32ListFirst(HANDLE snapshot, LPHEAPLIST32 list)
{
    KM_COUNT_CALL(Heap32ListFirst);
    (void)snapshot;
    return list_from(list, 0);
}

BOOL WINAPI Heap32ListNext(HANDLE snapshot, LPHEAPLIST32 list)
{
    KM_COUNT_CALL(Heap32ListNext);
    (void)snapshot;
    return list_from(list, list ? list->th32HeapID : 0);
}

/* The next busy or free block after the walk entry (from the start when its data is NULL). */
static BOOL next_block(km_heap *heap, LPHEAPENTRY32 entry, km_walk_entry *walk)
{
    km_status status;
    do
        status = km_heap_walk(heap, walk);
    while (status == KM_OK && walk->kind != KM_WALK_BUSY && walk->kind != KM_WALK_FREE);
    if (status != KM_OK)
        return no_more_items();
    entry->hHandle = walk->kind == KM_WALK_BUSY ? (HANDLE)walk->data : NULL;
    entry->dwAddress = (ULONG_PTR)walk->data;
    entry->dwBlockSize = walk->size;
    entry->dwFlags = walk->kind == KM_WALK_BUSY ? LF32_FIXED : LF32_FREE;
    entry->dwLockCount = 0;
    entry->dwResvd = 0;
    return TRUE;
}

static bool is_this_process(DWORD process)
{
    return process == 0 || process == (DWORD)km_nt_current_process_id();
}

BOOL WINAPI Heap32First(LPHEAPENTRY32 entry, DWORD process, ULONG_PTR heap_id)
{
    KM_COUNT_CALL(Heap32First);
    km_heap *heap = is_this_process(process) ? km_heap_from_handle((HANDLE)heap_id) : NULL;
    if (!heap)
        return KM_SYSTEM(Heap32First)(entry, process, heap_id);
    if (!entry || entry->dwSize < sizeof(HEAPENTRY32)) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    entry->th32ProcessID = (DWORD)km_nt_current_process_id();
    entry->th32HeapID = heap_id;
    km_walk_entry walk = {0};
    return next_block(heap, entry, &walk);
}

BOOL WINAPI Heap32Next(LPHEAPENTRY32 entry)
{
    KM_COUNT_CALL(Heap32Next);
    km_heap *heap = entry && is_this_process(entry->th32ProcessID)
                        ? km_heap_from_handle((HANDLE)entry->th32HeapID)
                        : NULL;
    if (!heap)
        return KM_SYSTEM(Heap32Next)(entry);
    km_walk_entry walk = {.data = (void *)entry->dwAddress,
                          .kind = (entry->dwFlags & LF32_FREE) ? KM_WALK_FREE : KM_WALK_BUSY};
    return next_block(heap, entry, &walk);
}
