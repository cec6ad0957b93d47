/*
 * GlobalAlloc and LocalAlloc and their families: Win16's memory API as Win32 keeps it. Global
 * and Local are one implementation (on Win32 they differ only in a few answers, noted below);
 * their memory lives in the process heap.
 *
 * A fixed block is a process-heap block, and its handle is its address, so HeapFree and
 * GlobalFree each free what the other allocated. A moveable block's handle comes from the handle
 * table (core/handle_table.h), whose entry holds the lock count, the flags and the data pointer.
 * The data is a process-heap block of its own, as on Windows (HeapSize and HeapValidate of
 * GlobalLock's pointer answer for it), and the table indexes every entry with data by that data,
 * so GlobalHandle goes from data back to its handle in constant time. A moveable block of size 0
 * is "discarded": its entry has no data, and locking it fails with ERROR_DISCARDED.
 *
 * GlobalReAlloc(GMEM_MODIFY | GMEM_MOVEABLE) turns a fixed block into a moveable one where it
 * lies, as Windows does: the new handle's data is the old block itself. A pointer that is a
 * moveable block's data is no fixed block of its own: only its handle names it.
 *
 * Memory that is not ours (outside every reservation of ours, yet readable: a handle or block
 * the system's Global/Local functions made, for a system DLL or before kernel32_mem was loaded)
 * is passed on to the system's export of the same name. module_scope.c says why our own handles
 * reach system DLLs only through us.
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/foreign.h"
#include "api/heap_calls.h"
#include "api/heap_handles.h"
#include "core/handle_table.h"
#include "nt/nt_error.h"

/* The entry flags this file keeps, Windows' bits (KM_HANDLE_IN_USE, 1, is the table's). */
#define KM_MOVEABLE_MOVEABLE 0x0002u
#define KM_MOVEABLE_DISCARDABLE 0x0004u
#define KM_MOVEABLE_DISCARDED 0x0008u
#define KM_MOVEABLE_DDESHARE 0x8000u

const km_flag_name km_moveable_flag_names[] = {
    {KM_MOVEABLE_MOVEABLE, "moveable"},
    {KM_MOVEABLE_DISCARDABLE, "discardable"},
    {KM_MOVEABLE_DISCARDED, "discarded"},
    {KM_MOVEABLE_DDESHARE, "ddeshare"},
    {0, NULL},
};

#define KM_LOCK_COUNT_MAX 0xff

typedef enum memory_kind { MEMORY_INVALID, MEMORY_FIXED, MEMORY_MOVEABLE } memory_kind;

static km_handle_table *handles(void)
{
    return km_moveable_handles();
}

/* Aligned as a heap block is (a handle never is): what Windows takes for a fixed pointer. */
static bool is_block_aligned(const void *memory)
{
    return memory && ((uintptr_t)memory & (2 * sizeof(void *) - 1)) == 0;
}

static BOOL is_fixed_block(const void *memory)
{
    size_t size;
    return memory && km_heap_size(km_process_heap(), 0, memory, &size) == KM_OK;
}

/* The entry whose data is data, or NULL. Caller holds the table lock. */
static km_handle_entry *entry_of_data_locked(const void *data)
{
    return km_handle_find_data_locked(handles(), data);
}

/* What memory is; for a moveable handle, *entry is its entry. The caller holds the table lock. */
static memory_kind kind_of_locked(const void *memory, km_handle_entry **entry)
{
    if (km_handle_has_handle_bits(memory)) {
        *entry = km_handle_lookup_locked(handles(), memory);
        return *entry ? MEMORY_MOVEABLE : MEMORY_INVALID;
    }
    if (!is_fixed_block(memory) || entry_of_data_locked(memory))
        return MEMORY_INVALID;
    return MEMORY_FIXED;
}

/* The handle table is guarded by the process heap's lock (core/handle_table.h says why). The
 * lock is recursive, so the heap calls made while holding it take it again. */
static void lock_table(void)
{
    km_heap_lock_others_go_on(km_process_heap());
}

static void leave(void)
{
    km_heap_unlock_others_go_on(km_process_heap());
}

/* Takes the table's lock and says what memory is; leave() releases the lock. */
static memory_kind enter(const void *memory, km_handle_entry **entry)
{
    lock_table();
    return kind_of_locked(memory, entry);
}

/* Gives an entry that has no data the block as its data, indexed; false, changing nothing, when
 * the index cannot grow. Re-adding data right after unset_data never grows it. */
static bool set_data_locked(km_handle_entry *entry, void *block)
{
    entry->data = block;
    if (!km_handle_index_data_locked(handles(), entry)) {
        entry->data = NULL;
        return false;
    }
    entry->flags &= (uint16_t)~KM_MOVEABLE_DISCARDED;
    return true;
}

/* An entry without data: a moveable block discarded, or allocated with no bytes. */
static void set_discarded(km_handle_entry *entry)
{
    entry->data = NULL;
    entry->flags |= KM_MOVEABLE_DISCARDED;
}

/* Takes an entry's data out of the index (before the block goes or moves); the entry keeps the
 * pointer until the caller changes it. */
static void unset_data_locked(km_handle_entry *entry)
{
    if (entry->data)
        km_handle_unindex_data_locked(handles(), entry);
}

static DWORD heap_flags_of(UINT flags)
{
    return (flags & GMEM_ZEROINIT) ? HEAP_ZERO_MEMORY : 0;
}

static HGLOBAL alloc_moveable(UINT flags, SIZE_T size)
{
    uint16_t entry_flags = (uint16_t)(KM_MOVEABLE_MOVEABLE | (size ? 0 : KM_MOVEABLE_DISCARDED) |
                                      ((flags & GMEM_DISCARDABLE) ? KM_MOVEABLE_DISCARDABLE : 0) |
                                      ((flags & GMEM_DDESHARE) ? KM_MOVEABLE_DDESHARE : 0));
    lock_table();
    HGLOBAL handle = NULL;
    void *block = size ? km_heap_call_alloc(km_process_heap(), heap_flags_of(flags), size) : NULL;
    if (block || !size) {
        km_handle_entry *entry = km_handle_alloc_locked(handles(), NULL, entry_flags);
        if (entry && block && !set_data_locked(entry, block)) {
            km_handle_free_locked(handles(), entry);
            entry = NULL;
        }
        if (entry)
            handle = km_handle_of(entry);
        else if (block)
            km_heap_call_free(km_process_heap(), 0, block);
        if (!entry)
            km_nt_set_last_error(ERROR_NOT_ENOUGH_MEMORY);
    }
    leave();
    return handle;
}

static HGLOBAL alloc(UINT flags, SIZE_T size)
{
    if (flags & GMEM_MOVEABLE)
        return alloc_moveable(flags, size);
    return km_heap_call_alloc(km_process_heap(), heap_flags_of(flags), size);
}

static HGLOBAL free_memory(HGLOBAL memory, km_export_id self)
{
    if (km_is_foreign_memory(memory))
        return KM_SYSTEM_AS(GlobalFree, self)(memory);
    if (!memory)
        return NULL;
    km_handle_entry *entry;
    memory_kind kind = enter(memory, &entry);
    void *block = kind == MEMORY_MOVEABLE ? entry->data : NULL;
    if (kind == MEMORY_MOVEABLE) {
        unset_data_locked(entry);
        km_handle_free_locked(handles(), entry);
    }
    leave();
    /* Windows frees a moveable block even while it is locked. */
    if ((kind == MEMORY_MOVEABLE && (!block || km_heap_call_free(km_process_heap(), 0, block))) ||
        (kind == MEMORY_FIXED && km_heap_call_free(km_process_heap(), 0, memory)))
        return NULL;
    km_nt_set_last_error(ERROR_INVALID_HANDLE);
    return memory;
}

static void *lock(HGLOBAL memory, km_export_id self)
{
    if (km_is_foreign_memory(memory))
        return KM_SYSTEM_AS(GlobalLock, self)(memory);
    if (!memory)
        return NULL;
    km_handle_entry *entry;
    memory_kind kind = enter(memory, &entry);
    void *data = NULL;
    DWORD error = ERROR_INVALID_HANDLE;
    if (kind == MEMORY_INVALID && is_block_aligned(memory)) {
        /* Windows takes an aligned value that is no handle for a fixed block's pointer: it
         * answers the pointer itself when it can be read, NULL otherwise, and sets no error. */
        leave();
        return km_nt_is_readable(memory) ? (void *)memory : NULL;
    }
    if (kind == MEMORY_FIXED) {
        data = memory;
    } else if (kind == MEMORY_MOVEABLE && !entry->data) {
        error = ERROR_DISCARDED;
    } else if (kind == MEMORY_MOVEABLE) {
        /* The count saturates: a block locked 255 times stays locked until unlocked. */
        if (entry->lock_count < KM_LOCK_COUNT_MAX)
            entry->lock_count++;
        data = entry->data;
    }
    leave();
    if (!data)
        km_nt_set_last_error(error);
    return data;
}

/* GlobalUnlock and LocalUnlock, which differ on a fixed block: Global succeeds, Local fails
 * with ERROR_NOT_LOCKED (a fixed block is never locked). Unlocking to zero answers FALSE with
 * NO_ERROR, which callers use to tell "now unlocked" from failure. */
static BOOL unlock(HGLOBAL memory, BOOL fixed_result, km_export_id self)
{
    if (km_is_foreign_memory(memory))
        return KM_SYSTEM_AS(GlobalUnlock, self)(memory);
    km_handle_entry *entry;
    memory_kind kind = enter(memory, &entry);
    BOOL result = FALSE;
    DWORD error = ERROR_INVALID_HANDLE;
    /* An aligned value that is no handle is a fixed block's pointer to Windows, whatever it
     * points at. */
    if (kind == MEMORY_FIXED || (kind == MEMORY_INVALID && is_block_aligned(memory))) {
        result = fixed_result;
        error = ERROR_NOT_LOCKED;
    } else if (kind == MEMORY_MOVEABLE && entry->lock_count == 0) {
        error = ERROR_NOT_LOCKED;
    } else if (kind == MEMORY_MOVEABLE) {
        result = --entry->lock_count != 0;
        error = NO_ERROR;
    }
    leave();
    if (!result)
        km_nt_set_last_error(error);
    return result;
}

static SIZE_T size_of(HGLOBAL memory, km_export_id self)
{
    if (km_is_foreign_memory(memory))
        return KM_SYSTEM_AS(GlobalSize, self)(memory);
    /* Sized under the lock, so that a GlobalReAlloc on another thread cannot free the block
     * between finding it and sizing it. */
    km_handle_entry *entry;
    memory_kind kind = enter(memory, &entry);
    void *block = kind == MEMORY_MOVEABLE ? entry->data : (void *)memory;
    SIZE_T size = 0;
    if (kind != MEMORY_INVALID && block) {
        size = km_heap_call_size(km_process_heap(), 0, block);
        size = size == (SIZE_T)-1 ? 0 : size;
    }
    leave();
    if (kind == MEMORY_INVALID)
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
    return size;
}

/* The flags word of GlobalFlags and LocalFlags, which report discardable memory differently. */
static UINT flags_of(HGLOBAL memory, UINT discardable_bit, km_export_id self)
{
    if (km_is_foreign_memory(memory))
        return KM_SYSTEM_AS(GlobalFlags, self)(memory);
    km_handle_entry *entry;
    memory_kind kind = enter(memory, &entry);
    UINT flags = 0;
    if (kind == MEMORY_MOVEABLE) {
        flags = entry->lock_count;
        if (entry->flags & KM_MOVEABLE_DISCARDABLE)
            flags |= discardable_bit;
        if (entry->flags & KM_MOVEABLE_DDESHARE)
            flags |= GMEM_DDESHARE;
        if (!entry->data)
            flags |= GMEM_DISCARDED;
    }
    leave();
    if (kind == MEMORY_INVALID) {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
        return GMEM_INVALID_HANDLE;
    }
    return flags;
}

/* Moveable data leads to its handle through the table's index; a fixed block is its own. */
static HGLOBAL handle_of(LPCVOID data, km_export_id self)
{
    if (km_is_foreign_memory(data))
        return KM_SYSTEM_AS(GlobalHandle, self)(data);
    if (!data) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    HGLOBAL handle = NULL;
    lock_table();
    km_handle_entry *entry = entry_of_data_locked(data);
    if (entry)
        handle = km_handle_of(entry);
    else if (!km_handle_has_handle_bits(data) && is_fixed_block(data))
        handle = (HGLOBAL)data;
    leave();
    if (!handle)
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
    return handle;
}

/* A moveable block's new size: 0 discards it (unless it is locked), otherwise its data is
 * reallocated, or allocated again if it was discarded. A locked block moves only when the
 * caller allows it with GMEM_MOVEABLE. */
static HGLOBAL realloc_moveable(km_handle_entry *entry, SIZE_T size, UINT flags)
{
    void *block = entry->data;
    if (!size) {
        if (entry->lock_count)
            return NULL;
        unset_data_locked(entry);
        if (block)
            km_heap_call_free(km_process_heap(), 0, block);
        set_discarded(entry);
        return km_handle_of(entry);
    }
    DWORD heap_flags = heap_flags_of(flags);
    if (entry->lock_count && !(flags & GMEM_MOVEABLE))
        heap_flags |= HEAP_REALLOC_IN_PLACE_ONLY;
    void *moved = block ? km_heap_call_realloc(km_process_heap(), heap_flags, block, size)
                        : km_heap_call_alloc(km_process_heap(), heap_flags_of(flags), size);
    if (!moved)
        return NULL;
    unset_data_locked(entry);
    entry->data = NULL;
    if (!set_data_locked(entry, moved)) {
        /* Only data given to a discarded block can need the index to grow. */
        km_heap_call_free(km_process_heap(), 0, moved);
        km_nt_set_last_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    return km_handle_of(entry);
}

/* A fixed block becomes moveable where it lies: a new handle whose data is the block. */
static HGLOBAL convert_to_moveable_locked(void *memory, UINT flags)
{
    uint16_t entry_flags = (uint16_t)(KM_MOVEABLE_MOVEABLE |
                                      ((flags & GMEM_DISCARDABLE) ? KM_MOVEABLE_DISCARDABLE : 0));
    km_handle_entry *entry = km_handle_alloc_locked(handles(), NULL, entry_flags);
    if (entry && !set_data_locked(entry, memory)) {
        km_handle_free_locked(handles(), entry);
        entry = NULL;
    }
    if (!entry) {
        km_nt_set_last_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    return km_handle_of(entry);
}

/* GlobalReAlloc and LocalReAlloc differ on one request: GMEM_MODIFY | GMEM_MOVEABLE on a fixed
 * block makes GlobalReAlloc turn it into a moveable one (converts_fixed), while LocalReAlloc
 * leaves it as it is and answers with the same pointer. */
static HGLOBAL reallocate(HGLOBAL memory, SIZE_T size, UINT flags, bool converts_fixed,
                          km_export_id self)
{
    if (km_is_foreign_memory(memory))
        return KM_SYSTEM_AS(GlobalReAlloc, self)(memory, size, flags);
    km_handle_entry *entry;
    memory_kind kind = enter(memory, &entry);
    HGLOBAL result = NULL;
    if (kind == MEMORY_MOVEABLE && (flags & GMEM_MODIFY)) {
        /* Only the discardable attribute can be given this way, never taken. */
        if (flags & GMEM_DISCARDABLE)
            entry->flags |= KM_MOVEABLE_DISCARDABLE;
        result = memory;
    } else if (kind != MEMORY_INVALID && (flags & GMEM_DISCARDABLE)) {
        /* Discardability is an attribute, changed only with GMEM_MODIFY. */
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
    } else if (kind == MEMORY_MOVEABLE && !size && !(flags & GMEM_MOVEABLE)) {
        /* Discarding takes GMEM_MOVEABLE; a size of 0 alone is a mistake, and the data stays. */
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
    } else if (kind == MEMORY_MOVEABLE) {
        result = realloc_moveable(entry, size, flags);
    } else if (kind == MEMORY_FIXED && (flags & GMEM_MODIFY) && (flags & GMEM_MOVEABLE) &&
               converts_fixed) {
        result = convert_to_moveable_locked(memory, flags);
    } else if (kind == MEMORY_FIXED && (flags & GMEM_MODIFY)) {
        result = memory;
    } else if (kind == MEMORY_FIXED) {
        /* A fixed block keeps its address unless the caller allows it to move. */
        DWORD heap_flags = heap_flags_of(flags);
        if (!(flags & GMEM_MOVEABLE))
            heap_flags |= HEAP_REALLOC_IN_PLACE_ONLY;
        result = km_heap_call_realloc(km_process_heap(), heap_flags, memory, size);
    } else {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
    }
    leave();
    return result;
}

static SIZE_T compact(void)
{
    SIZE_T largest = km_heap_compact(km_process_heap(), 0);
    if (!largest)
        km_nt_set_last_error(NO_ERROR);
    return largest;
}

/* The exports. Global and Local are the same memory and the same handles (LMEM_* values equal
 * GMEM_* ones where both exist); only the unlock and flags calls answer differently, above.
 * Each passes what is not ours to the system's export of its own name. */
HGLOBAL WINAPI GlobalAlloc(UINT flags, SIZE_T size)
{
    KM_COUNT_CALL(GlobalAlloc);
    /* GlobalAlloc gives a fixed block of 0 bytes one byte (GlobalSize answers 1); LocalAlloc
     * gives it none. */
    if (!(flags & GMEM_MOVEABLE) && !size)
        size = 1;
    return alloc(flags, size);
}

HLOCAL WINAPI LocalAlloc(UINT flags, SIZE_T size)
{
    KM_COUNT_CALL(LocalAlloc);
    return alloc(flags, size);
}

HGLOBAL WINAPI GlobalFree(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalFree);
    return free_memory(memory, KM_EXPORT_GlobalFree);
}

HLOCAL WINAPI LocalFree(HLOCAL memory)
{
    KM_COUNT_CALL(LocalFree);
    return free_memory(memory, KM_EXPORT_LocalFree);
}

LPVOID WINAPI GlobalLock(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalLock);
    return lock(memory, KM_EXPORT_GlobalLock);
}

LPVOID WINAPI LocalLock(HLOCAL memory)
{
    KM_COUNT_CALL(LocalLock);
    return lock(memory, KM_EXPORT_LocalLock);
}

BOOL WINAPI GlobalUnlock(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalUnlock);
    return unlock(memory, TRUE, KM_EXPORT_GlobalUnlock);
}

BOOL WINAPI LocalUnlock(HLOCAL memory)
{
    KM_COUNT_CALL(LocalUnlock);
    return unlock(memory, FALSE, KM_EXPORT_LocalUnlock);
}

SIZE_T WINAPI GlobalSize(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalSize);
    return size_of(memory, KM_EXPORT_GlobalSize);
}

SIZE_T WINAPI LocalSize(HLOCAL memory)
{
    KM_COUNT_CALL(LocalSize);
    return size_of(memory, KM_EXPORT_LocalSize);
}

UINT WINAPI GlobalFlags(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalFlags);
    return flags_of(memory, GMEM_DISCARDABLE, KM_EXPORT_GlobalFlags);
}

UINT WINAPI LocalFlags(HLOCAL memory)
{
    KM_COUNT_CALL(LocalFlags);
    return flags_of(memory, LMEM_DISCARDABLE, KM_EXPORT_LocalFlags);
}

HGLOBAL WINAPI GlobalHandle(LPCVOID data)
{
    KM_COUNT_CALL(GlobalHandle);
    return handle_of(data, KM_EXPORT_GlobalHandle);
}

HLOCAL WINAPI LocalHandle(LPCVOID data)
{
    KM_COUNT_CALL(LocalHandle);
    return handle_of(data, KM_EXPORT_LocalHandle);
}

HGLOBAL WINAPI GlobalReAlloc(HGLOBAL memory, SIZE_T size, UINT flags)
{
    KM_COUNT_CALL(GlobalReAlloc);
    return reallocate(memory, size, flags, true, KM_EXPORT_GlobalReAlloc);
}

HLOCAL WINAPI LocalReAlloc(HLOCAL memory, SIZE_T size, UINT flags)
{
    KM_COUNT_CALL(LocalReAlloc);
    return reallocate(memory, size, flags, false, KM_EXPORT_LocalReAlloc);
}

SIZE_T WINAPI GlobalCompact(DWORD minimum_free)
{
    KM_COUNT_CALL(GlobalCompact);
    (void)minimum_free;
    return compact();
}

SIZE_T WINAPI LocalCompact(UINT minimum_free)
{
    KM_COUNT_CALL(LocalCompact);
    (void)minimum_free;
    return compact();
}

SIZE_T WINAPI LocalShrink(HLOCAL memory, UINT new_size)
{
    KM_COUNT_CALL(LocalShrink);
    (void)memory;
    (void)new_size;
    return compact();
}

/* Win16's ways of pinning a block, which Win32 keeps as a lock and an unlock. */
VOID WINAPI GlobalFix(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalFix);
    if (km_is_foreign_memory(memory))
        KM_SYSTEM(GlobalFix)(memory);
    else
        lock(memory, KM_EXPORT_GlobalFix);
}

VOID WINAPI GlobalUnfix(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalUnfix);
    if (km_is_foreign_memory(memory))
        KM_SYSTEM(GlobalUnfix)(memory);
    else
        unlock(memory, TRUE, KM_EXPORT_GlobalUnfix);
}

LPVOID WINAPI GlobalWire(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalWire);
    return lock(memory, KM_EXPORT_GlobalWire);
}

BOOL WINAPI GlobalUnWire(HGLOBAL memory)
{
    KM_COUNT_CALL(GlobalUnWire);
    return unlock(memory, TRUE, KM_EXPORT_GlobalUnWire);
}
