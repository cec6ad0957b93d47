/*
 * Heap snapshots for people studying a live heap (core/heap_snapshot.h writes them; the README's
 * "Inspecting a heap" gives the schema; km-heap draws, compares and explains them). Three ways
 * to ask for one:
 *
 * - KmHeapSnapshot(heap or NULL, path), an export of kernel32_mem's own (no kernel32 name);
 * - KM_SNAPSHOT=PATH in the environment: a snapshot at process exit;
 * - with KM_SNAPSHOT set, setting the named event Local\kernel32_mem.snapshot.<pid> from any
 *   program: a thread of ours writes a snapshot to PATH, then sets
 *   Local\kernel32_mem.snapshot.<pid>.done.
 * In PATH, %p stands for the process id and %n for the number of snapshots written before
 * (path_pattern.h).
 *
 * A snapshot of every heap must not read a heap that HeapDestroy is releasing: HeapDestroy and
 * the snapshot pass through one gate. The snapshot never waits for a heap's lock while holding
 * the gate (the lock's owner may be a thread waiting at the gate, in HeapDestroy): when a heap
 * is busy it lets the gate go, yields, and tries again.
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/heap_handles.h"
#include "api/heap_snapshot.h"
#include "api/path_pattern.h"
#include "core/heap_snapshot.h"
#include "nt/nt_environment.h"
#include "nt/nt_error.h"
#include "nt/nt_heap_platform.h"
#include "nt/nt_worker.h"

/* At exit, a lock whose owner was killed with its thread is never let go: give up on a heap
 * after this many tries (about 0.1 s). */
#define KM_EXIT_PATIENCE 100
#define KM_YIELDS_BEFORE_SLEEP 20
#define KM_PATIENCE_FOREVER (-1)

static km_lock gate;
static WCHAR path_pattern[KM_PATH_PATTERN_MAX + 1];
static volatile LONG snapshots_written;
static volatile LONG listener_busy;
static km_nt_worker listener;

static const km_threads *threads(void)
{
    return km_nt_heap_platform()->threads;
}

void km_snapshot_gate_enter(void)
{
    km_lock_acquire(&gate);
}

void km_snapshot_gate_leave(void)
{
    km_lock_release(&gate);
}

/* Retries `attempt` (which returns false while a lock it needs is busy) with the gate let go
 * between tries, yielding at first and then sleeping a millisecond a try, so that a long
 * HeapLock elsewhere does not cost a processor; false when patience ran out. The caller holds
 * the gate. */
static bool with_patience(int patience, bool (*attempt)(void *), void *context)
{
    for (int tries = 0; !attempt(context); tries++) {
        if (patience >= 0 && tries >= patience)
            return false;
        km_lock_release(&gate);
        if (tries < KM_YIELDS_BEFORE_SLEEP)
            threads()->yield();
        else
            km_nt_sleep(1);
        km_lock_acquire(&gate);
    }
    return true;
}

typedef struct heap_attempt {
    km_snapshot *snapshot;
    km_heap *heap;
    bool from_listener;
} heap_attempt;

static bool try_heap(void *context)
{
    heap_attempt *a = context;
    /* Gone while the gate was let go: nothing to write (a new heap may have its address). */
    km_heap *heap = km_registry_find(km_heaps(), a->heap);
    if (!heap)
        return true;
    bool process = heap == km_process_heap();
    uintptr_t handle = process ? (uintptr_t)km_process_heap_handle() : (uintptr_t)heap;
    bool contents = !(a->from_listener && (km_heap_flags(heap) & KM_HEAP_NO_SERIALIZE));
    return km_snapshot_heap(a->snapshot, heap, handle, process, contents);
}

static bool try_handles(void *context)
{
    km_heap *heap = km_process_heap();
    if (!km_heap_try_lock(heap))
        return false;
    km_snapshot_handles_locked(context, km_moveable_handles(), heap, km_moveable_flag_names);
    km_heap_unlock(heap);
    return true;
}

/* Every heap, then the handle table. The caller holds the gate. */
static void add_every_heap(km_snapshot *snapshot, bool from_listener, int patience)
{
    km_pages *pages = km_nt_heap_platform()->pages;
    km_heap *few[64], **heaps = few;
    size_t count = km_registry_list(km_heaps(), few, 64), reserved = 0;
    if (count > 64) {
        reserved = count * sizeof(km_heap *);
        heaps = pages->reserve(pages, reserved);
        if (!heaps || pages->commit(pages, heaps, reserved, false) != KM_OK) {
            snapshot->text.failed = true;
            return;
        }
        count = km_registry_list(km_heaps(), heaps, count);
    }
    for (size_t i = 0; i < count; i++) {
        heap_attempt attempt = {snapshot, heaps[i], from_listener};
        with_patience(patience, try_heap, &attempt);
    }
    with_patience(patience, try_handles, snapshot);
    if (reserved)
        pages->release(pages, heaps, reserved);
}

/* Writes a snapshot of one heap (or, for NULL, of all and of the handle table) to path; a
 * Win32 error code, 0 on success. The caller holds the gate. */
static DWORD write_snapshot(km_heap *only, const WCHAR *path, const char *reason,
                            bool from_listener, int patience)
{
    km_snapshot snapshot;
    km_snapshot_header header = {.producer = "kernel32_mem.dll",
                                 .reason = reason,
                                 .pid = (unsigned long)km_nt_current_process_id()};
    km_snapshot_open(&snapshot, km_nt_heap_platform()->pages, &header);
    if (only) {
        heap_attempt attempt = {&snapshot, only, from_listener};
        with_patience(patience, try_heap, &attempt);
    } else {
        add_every_heap(&snapshot, from_listener, patience);
    }
    DWORD error = ERROR_NOT_ENOUGH_MEMORY;
    if (km_snapshot_close(&snapshot) == KM_OK) {
        NTSTATUS status = km_nt_file_replace(path, snapshot.text.data, snapshot.text.length);
        error = status < 0 ? km_nt_status_to_error(status) : 0;
    }
    km_snapshot_release(&snapshot);
    if (!error)
        __atomic_add_fetch(&snapshots_written, 1, __ATOMIC_RELAXED);
    return error;
}

static void write_to_pattern(const char *reason, bool from_listener, int patience)
{
    WCHAR path[KM_EXPANDED_PATH_MAX];
    if (km_expand_path_pattern(path_pattern, (unsigned long)snapshots_written, path,
                               KM_EXPANDED_PATH_MAX))
        write_snapshot(NULL, path, reason, from_listener, patience);
}

static void on_request(void)
{
    __atomic_store_n(&listener_busy, 1, __ATOMIC_SEQ_CST);
    km_lock_acquire(&gate);
    write_to_pattern("event", true, KM_PATIENCE_FOREVER);
    km_lock_release(&gate);
    __atomic_store_n(&listener_busy, 0, __ATOMIC_SEQ_CST);
}

/* Names "Local\kernel32_mem.snapshot.<pid><suffix>" into name. */
static void event_name(WCHAR *name, const WCHAR *suffix)
{
    static const WCHAR prefix[] = L"Local\\kernel32_mem.snapshot.";
    WCHAR *at = name;
    for (size_t i = 0; prefix[i]; i++)
        *at++ = prefix[i];
    at = km_put_decimal(at, (unsigned long)km_nt_current_process_id());
    while (*suffix)
        *at++ = *suffix++;
    *at = 0;
}

void km_heap_snapshot_start(void)
{
    km_lock_init(&gate, threads());
    if (!km_nt_environment_get(L"KM_SNAPSHOT", path_pattern, KM_PATH_PATTERN_MAX + 1) ||
        !path_pattern[0])
        return;
    WCHAR request[80], done[80];
    event_name(request, L"");
    event_name(done, L".done");
    km_nt_worker_start(&listener, request, done, on_request);
}

void km_heap_snapshot_at_exit(void)
{
    /* A listener killed midway holds the gate for good; its file is incomplete anyway. */
    if (!path_pattern[0] || __atomic_load_n(&listener_busy, __ATOMIC_SEQ_CST) ||
        !km_lock_try_acquire(&gate))
        return;
    write_to_pattern("exit", false, KM_EXIT_PATIENCE);
    km_lock_release(&gate);
}

BOOL WINAPI KmHeapSnapshot(HANDLE handle, LPCWSTR path)
{
    KM_COUNT_CALL(KmHeapSnapshot);
    if (!path || !path[0]) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    km_heap *heap = NULL;
    if (handle && !(heap = km_heap_from_handle(handle))) {
        km_nt_set_last_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    km_lock_acquire(&gate);
    DWORD error = write_snapshot(heap, path, "request", false, KM_PATIENCE_FOREVER);
    km_lock_release(&gate);
    if (error) {
        km_nt_set_last_error(error);
        return FALSE;
    }
    return TRUE;
}
