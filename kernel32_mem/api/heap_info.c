/*
 * The Heap* exports that describe a heap rather than change its blocks: HeapWalk, HeapSummary,
 * HeapQueryInformation and HeapSetInformation. A handle of one of the system's heaps is passed on
 * whole to the system's own export.
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/foreign.h"
#include "api/heap_flags.h"
#include "api/heap_handles.h"
#include "nt/nt_error.h"

/* HeapOptimizeResources and its argument, which older headers lack. */
#define KM_HEAP_OPTIMIZE_RESOURCES 3
#define KM_HEAP_OPTIMIZE_RESOURCES_VERSION 1
typedef struct km_heap_optimize_resources {
    DWORD version;
    DWORD flags;
} km_heap_optimize_resources;

/* The compatibility mode Windows reports for a heap using its low-fragmentation front end. */
#define KM_HEAP_MODE_LFH 2

static BOOL fail_with(DWORD error)
{
    km_nt_set_last_error(error);
    return FALSE;
}

/* A handle that is not one of our heaps but one of the system's. */
static bool is_system_heap(HANDLE handle)
{
    return handle && !km_heap_from_handle(handle) && km_is_system_heap(handle);
}

static km_walk_kind walk_kind_of(WORD flags)
{
    if (flags & PROCESS_HEAP_REGION)
        return KM_WALK_REGION;
    if (flags & PROCESS_HEAP_UNCOMMITTED_RANGE)
        return KM_WALK_UNCOMMITTED;
    if (flags & PROCESS_HEAP_ENTRY_BUSY)
        return KM_WALK_BUSY;
    return KM_WALK_FREE;
}

static void fill_heap_entry(const km_walk_entry *walk, PROCESS_HEAP_ENTRY *entry)
{
    static const WORD kind_flags[] = {
        [KM_WALK_REGION] = PROCESS_HEAP_REGION,
        [KM_WALK_BUSY] = PROCESS_HEAP_ENTRY_BUSY,
        [KM_WALK_FREE] = 0,
        [KM_WALK_UNCOMMITTED] = PROCESS_HEAP_UNCOMMITTED_RANGE,
    };
    entry->lpData = walk->data;
    entry->cbData = (DWORD)walk->size;
    entry->cbOverhead = (BYTE)(walk->overhead < 0xff ? walk->overhead : 0xff);
    entry->iRegionIndex = (BYTE)walk->region_index;
    entry->wFlags = kind_flags[walk->kind];
    if (walk->kind == KM_WALK_REGION) {
        entry->Region.dwCommittedSize = (DWORD)walk->committed;
        entry->Region.dwUnCommittedSize = (DWORD)walk->uncommitted;
        entry->Region.lpFirstBlock = walk->first_block;
        entry->Region.lpLastBlock = walk->last_block;
    } else {
        entry->Block.hMem = NULL;
        entry->Block.dwReserved[0] = entry->Block.dwReserved[1] = entry->Block.dwReserved[2] = 0;
    }
}

BOOL WINAPI HeapWalk(HANDLE handle, LPPROCESS_HEAP_ENTRY entry)
{
    KM_COUNT_CALL(HeapWalk);
    if (is_system_heap(handle))
        return KM_SYSTEM(HeapWalk)(handle, entry);
    if (!entry)
        return fail_with(ERROR_INVALID_PARAMETER);
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return fail_with(ERROR_INVALID_HANDLE);
    km_walk_entry walk = {.data = entry->lpData, .kind = walk_kind_of(entry->wFlags)};
    km_status status = km_heap_walk(heap, &walk);
    if (status == KM_NO_MORE_ITEMS)
        return fail_with(ERROR_NO_MORE_ITEMS);
    if (status != KM_OK)
        return fail_with(ERROR_INVALID_PARAMETER);
    fill_heap_entry(&walk, entry);
    return TRUE;
}

BOOL WINAPI HeapSummary(HANDLE handle, DWORD flags, LPHEAP_SUMMARY summary)
{
    KM_COUNT_CALL(HeapSummary);
    if (is_system_heap(handle))
        return KM_SYSTEM(HeapSummary)(handle, flags, summary);
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return fail_with(ERROR_INVALID_HANDLE);
    if (!summary || summary->cb != sizeof(*summary))
        return fail_with(ERROR_INVALID_PARAMETER);
    km_heap_summary core;
    km_heap_summarize(heap, km_heap_call_flags(flags), &core);
    summary->cbAllocated = core.allocated;
    summary->cbCommitted = core.committed;
    summary->cbReserved = core.reserved;
    summary->cbMaxReserve = core.max_reserve;
    return TRUE;
}

BOOL WINAPI HeapQueryInformation(HANDLE handle, HEAP_INFORMATION_CLASS info_class, PVOID info,
                                 SIZE_T length, PSIZE_T returned)
{
    KM_COUNT_CALL(HeapQueryInformation);
    if (is_system_heap(handle))
        return KM_SYSTEM(HeapQueryInformation)(handle, info_class, info, length, returned);
    if (info_class != HeapCompatibilityInformation)
        return fail_with(ERROR_INVALID_PARAMETER);
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return fail_with(ERROR_INVALID_HANDLE);
    /* The needed size is reported even when the buffer is too small, so callers can retry. */
    if (returned)
        *returned = sizeof(ULONG);
    if (length < sizeof(ULONG))
        return fail_with(ERROR_INSUFFICIENT_BUFFER);
    if (!info)
        return fail_with(ERROR_NOACCESS);
    *(ULONG *)info = km_heap_compatibility_mode(heap);
    return TRUE;
}

/* Every heap of the process is visited under the registry's lock, so no heap's lock may be
 * waited for here (a thread holding HeapLock may be about to create or destroy a heap): a busy
 * heap, or one its owner serializes, is left as it is. */
static void compact_heap_if_idle(km_heap *heap)
{
    km_heap_compact_if_idle(heap);
}

static BOOL optimize_resources(HANDLE handle, const void *info, SIZE_T length)
{
    const km_heap_optimize_resources *request = info;
    if (!request || length != sizeof(*request) ||
        request->version != KM_HEAP_OPTIMIZE_RESOURCES_VERSION || request->flags)
        return fail_with(ERROR_INVALID_PARAMETER);
    if (!handle) {
        km_registry_for_each(km_heaps(), compact_heap_if_idle);
        return TRUE;
    }
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return fail_with(ERROR_INVALID_HANDLE);
    km_heap_compact(heap, 0);
    return TRUE;
}

/* Our heap is always segregated by size class, so asking for the low-fragmentation heap changes
 * what is reported, not how blocks are placed. Windows refuses it for unserialized heaps. */
static BOOL set_compatibility(HANDLE handle, const void *info, SIZE_T length)
{
    km_heap *heap = km_heap_from_handle(handle);
    if (!heap)
        return fail_with(ERROR_INVALID_HANDLE);
    if (length < sizeof(ULONG))
        return fail_with(ERROR_INSUFFICIENT_BUFFER);
    if (!info)
        return fail_with(ERROR_NOACCESS);
    ULONG mode = *(const ULONG *)info;
    if (mode == KM_HEAP_MODE_LFH && !(km_heap_flags(heap) & KM_HEAP_NO_SERIALIZE)) {
        km_heap_set_compatibility_mode(heap, mode);
        return TRUE;
    }
    if (mode == km_heap_compatibility_mode(heap))
        return TRUE;
    return fail_with(ERROR_INVALID_PARAMETER);
}

BOOL WINAPI HeapSetInformation(HANDLE handle, HEAP_INFORMATION_CLASS info_class, PVOID info,
                               SIZE_T length)
{
    KM_COUNT_CALL(HeapSetInformation);
    if (is_system_heap(handle))
        return KM_SYSTEM(HeapSetInformation)(handle, info_class, info, length);
    switch ((int)info_class) {
    case HeapCompatibilityInformation: return set_compatibility(handle, info, length);
    case HeapEnableTerminationOnCorruption:
        /* Process-wide, whatever heap is named, and cannot be turned off again. */
        km_heap_enable_termination_on_corruption();
        return TRUE;
    case KM_HEAP_OPTIMIZE_RESOURCES: return optimize_resources(handle, info, length);
    default: return fail_with(ERROR_INVALID_PARAMETER);
    }
}
