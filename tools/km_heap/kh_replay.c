/*
 * The replay engine (kh_replay.h): one function per export, each doing what the api layer's
 * export does around its one core call, then comparing outcomes.
 *
 * Translating a traced block: the map's live entry gives the replayed block. A block the trace
 * freed translates to the block replay freed, so that a double free replays as one and the core
 * says so, unless replay has since handed that address out again; then, as for an address the
 * trace never returned (an interior pointer, a foreign block), the call gets an address that is
 * no heap's (a static byte of this program), which the core refuses without reading it. Either
 * way a bad pointer fails in the replay as it did in the trace.
 *
 * Where replay and trace disagree, replay keeps going with its own state: an allocation that
 * failed in the trace but not here keeps its block (no traced address names it); a reallocation
 * that failed here leaves the traced result naming the old block.
 */
#include "kh_replay.h"

#include "host_threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Win32 HEAP_* values a trace records. */
enum {
    WIN_HEAP_NO_SERIALIZE = 0x1,
    WIN_HEAP_GENERATE_EXCEPTIONS = 0x4,
    WIN_HEAP_ZERO_MEMORY = 0x8,
    WIN_HEAP_REALLOC_IN_PLACE_ONLY = 0x10,
    WIN_HEAP_CREATE_ENABLE_EXECUTE = 0x40000,
};

/* As kernel32_mem/api/heap_flags.h translates them (that header needs windows.h). */
static unsigned call_flags(uint64_t flags)
{
    return ((flags & WIN_HEAP_NO_SERIALIZE) ? KM_HEAP_NO_SERIALIZE : 0) |
           ((flags & WIN_HEAP_ZERO_MEMORY) ? KM_HEAP_ZERO : 0) |
           ((flags & WIN_HEAP_REALLOC_IN_PLACE_ONLY) ? KM_HEAP_IN_PLACE_ONLY : 0) |
           ((flags & WIN_HEAP_GENERATE_EXCEPTIONS) ? KM_HEAP_RAISE : 0);
}

static unsigned create_flags(uint64_t options)
{
    return ((options & WIN_HEAP_NO_SERIALIZE) ? KM_HEAP_NO_SERIALIZE : 0) |
           ((options & WIN_HEAP_GENERATE_EXCEPTIONS) ? KM_HEAP_RAISE : 0) |
           ((options & WIN_HEAP_CREATE_ENABLE_EXECUTE) ? KM_HEAP_EXECUTABLE : 0);
}

/* An address no heap owns, for pointers the replay has no block for. */
static _Alignas(64) unsigned char foreign_bytes[64];
#define KH_FOREIGN ((void *)(foreign_bytes + 16))

#define KH_PRINTED_MAX 50

void kh_replay_init(kh_replay *replay)
{
    memset(replay, 0, sizeof *replay);
    km_host_pages_init(&replay->pages);
    replay->platform = km_host_platform(&replay->pages);
}

static void report(kh_replay *replay, const kh_call *call, const char *format, const char *what)
{
    if (replay->printed++ >= KH_PRINTED_MAX) {
        if (replay->printed == KH_PRINTED_MAX + 1)
            printf("(further reports are left out; the summary counts them)\n");
        return;
    }
    printf("seq %llu (line %zu) %s heap 0x%llx", (unsigned long long)call->seq, call->line,
           kh_export_name(call->export), (unsigned long long)call->heap);
    if (call->block)
        printf(" block 0x%llx", (unsigned long long)call->block);
    printf(": ");
    printf(format, what);
    printf("\n");
}

static const char *status_text(km_status status)
{
    switch (status) {
    case KM_OK: return "success";
    case KM_NO_MEMORY: return "out of memory";
    case KM_INVALID_POINTER: return "not a busy block of the heap";
    case KM_CORRUPTED: return "heap corruption";
    case KM_FREED: return "double free (the block was freed already)";
    case KM_NO_MORE_ITEMS: return "no more items";
    }
    return "unknown status";
}

/* Counts a failed replayed call by its cause, and reports the ones that are heap misuse. */
static void note_failure(kh_replay *replay, const kh_call *call, km_status status)
{
    switch (status) {
    case KM_FREED:
        if (call->export == KH_HEAP_FREE) {
            replay->double_frees++;
            report(replay, call, "%s", status_text(status));
        } else {
            replay->used_after_free++;
            report(replay, call, "%s", "use after free (the block was freed already)");
        }
        break;
    case KM_CORRUPTED:
        replay->corrupted++;
        report(replay, call, "%s", status_text(status));
        break;
    case KM_INVALID_POINTER: replay->invalid++; break;
    case KM_NO_MEMORY: replay->no_memory++; break;
    default: break;
    }
}

static void compare(kh_replay *replay, const kh_call *call, bool succeeded, km_status status)
{
    if (succeeded == call->succeeded)
        return;
    replay->mismatches++;
    char text[160];
    snprintf(text, sizeof text, "mismatch: traced %s, replayed %s",
             call->succeeded ? "success" : "failure", succeeded ? "success" : status_text(status));
    report(replay, call, "%s", text);
}

static kh_replay_heap *heap_at(kh_replay *replay, uint64_t traced)
{
    kh_addr_entry *entry = kh_addr_find(&replay->handles, traced);
    return entry ? &replay->heaps[entry->value - 1] : NULL;
}

/* A new entry for traced (NULL when memory ran out). */
static kh_replay_heap *add_heap(kh_replay *replay, uint64_t traced)
{
    if (replay->heap_count == replay->heap_capacity) {
        size_t capacity = replay->heap_capacity ? replay->heap_capacity * 2 : 16;
        kh_replay_heap *bigger = realloc(replay->heaps, capacity * sizeof *bigger);
        if (!bigger)
            return NULL;
        replay->heaps = bigger;
        replay->heap_capacity = capacity;
    }
    if (!kh_addr_put(&replay->handles, traced, replay->heap_count + 1))
        return NULL;
    kh_replay_heap *heap = &replay->heaps[replay->heap_count++];
    memset(heap, 0, sizeof *heap);
    heap->traced = traced;
    return heap;
}

/* The live heap a call names, making the process heap at the first allocation on a handle the
 * trace never created; NULL for a handle with no live heap. *oom on running out of memory. */
static km_heap *heap_of(kh_replay *replay, const kh_call *call, bool *oom)
{
    kh_replay_heap *heap = heap_at(replay, call->heap);
    if (heap)
        return heap->heap;
    if (call->export != KH_HEAP_ALLOC || call->heap == 0)
        return NULL;
    heap = add_heap(replay, call->heap);
    if (!heap) {
        *oom = true;
        return NULL;
    }
    heap->process = !replay->have_process_heap;
    replay->have_process_heap = true;
    if (km_heap_create(&replay->platform, 0, 0, 0, &heap->heap) != KM_OK)
        heap->heap = NULL;
    return heap->heap;
}

static void *translate(kh_replay *replay, uint64_t traced_heap, uint64_t block)
{
    kh_replay_heap *heap = heap_at(replay, traced_heap);
    kh_addr_entry *entry = heap ? kh_addr_find(&heap->blocks, block) : NULL;
    if (!entry)
        return KH_FOREIGN;
    void *replayed = (void *)(uintptr_t)entry->value;
    size_t size;
    if (!entry->live && km_heap_size(heap->heap, 0, replayed, &size) == KM_OK)
        return KH_FOREIGN; /* freed, and handed out again since */
    return replayed;
}

static void forget_block(kh_replay *replay, uint64_t traced_heap, uint64_t block)
{
    kh_replay_heap *heap = heap_at(replay, traced_heap);
    kh_addr_entry *entry = heap ? kh_addr_find(&heap->blocks, block) : NULL;
    if (entry)
        entry->live = false;
}

static bool map_block(kh_replay *replay, uint64_t traced_heap, uint64_t block, void *replayed)
{
    kh_replay_heap *heap = heap_at(replay, traced_heap);
    return !heap || !block || kh_addr_put(&heap->blocks, block, (uint64_t)(uintptr_t)replayed);
}

static bool replay_create(kh_replay *replay, const kh_call *call)
{
    km_heap *made = NULL;
    km_status status = km_heap_create(&replay->platform, (size_t)call->initial,
                                      (size_t)call->maximum, create_flags(call->options), &made);
    compare(replay, call, status == KM_OK, status);
    if (status != KM_OK) {
        note_failure(replay, call, status);
        made = NULL;
    }
    if (!call->succeeded) {
        if (made)
            km_heap_destroy(made); /* no traced handle names it */
        return true;
    }
    /* A handle the trace reuses after destroying its heap starts afresh. */
    kh_replay_heap *heap = heap_at(replay, call->result);
    if (heap && heap->heap)
        km_heap_destroy(heap->heap);
    if (heap) {
        kh_addr_release(&heap->blocks);
        heap->process = false;
    } else if (!(heap = add_heap(replay, call->result))) {
        if (made)
            km_heap_destroy(made);
        return false;
    }
    heap->heap = made;
    return true;
}

static void replay_destroy(kh_replay *replay, const kh_call *call)
{
    kh_replay_heap *heap = heap_at(replay, call->heap);
    bool succeeded = call->heap == 0;
    if (heap && heap->heap && !heap->process) {
        km_heap_destroy(heap->heap);
        heap->heap = NULL;
        kh_addr_release(&heap->blocks);
        succeeded = true;
    } else if (!succeeded) {
        replay->bad_handles++;
    }
    compare(replay, call, succeeded, KM_INVALID_POINTER);
}

static bool replay_alloc(kh_replay *replay, const kh_call *call)
{
    bool oom = false;
    km_heap *heap = heap_of(replay, call, &oom);
    if (oom)
        return false;
    km_status status = KM_INVALID_POINTER;
    void *block = NULL;
    if (heap)
        block = km_heap_alloc(heap, call_flags(call->flags), (size_t)call->size, &status);
    else
        replay->bad_handles++;
    compare(replay, call, block != NULL, status);
    if (!block) {
        note_failure(replay, call, status);
        return true;
    }
    return !call->succeeded || map_block(replay, call->heap, call->result, block);
}

static bool replay_realloc(kh_replay *replay, const kh_call *call)
{
    kh_replay_heap *entry = heap_at(replay, call->heap);
    km_heap *heap = entry ? entry->heap : NULL;
    km_status status = KM_INVALID_POINTER;
    void *result = NULL, *old = NULL;
    if (!heap) {
        replay->bad_handles++;
    } else if (call->block) {
        old = translate(replay, call->heap, call->block);
        result = km_heap_realloc(heap, call_flags(call->flags), old, (size_t)call->size, &status);
    }
    compare(replay, call, result != NULL, status);
    if (!result) {
        if (heap && call->block)
            note_failure(replay, call, status);
        /* The trace's new block is the old one still, here. */
        if (call->succeeded && old != KH_FOREIGN && old) {
            forget_block(replay, call->heap, call->block);
            return map_block(replay, call->heap, call->result, old);
        }
        return true;
    }
    if (call->succeeded) {
        forget_block(replay, call->heap, call->block);
        return map_block(replay, call->heap, call->result, result);
    }
    return map_block(replay, call->heap, call->block, result);
}

static void replay_free(kh_replay *replay, const kh_call *call)
{
    kh_replay_heap *entry = heap_at(replay, call->heap);
    km_heap *heap = entry ? entry->heap : NULL;
    km_status status = KM_OK;
    if (!call->block) {
        status = KM_OK;
    } else if (!heap) {
        status = KM_INVALID_POINTER;
        replay->bad_handles++;
    } else {
        status =
            km_heap_free(heap, call_flags(call->flags), translate(replay, call->heap, call->block));
        if (status != KM_OK)
            note_failure(replay, call, status);
    }
    compare(replay, call, status == KM_OK, status);
    if (call->block && (status == KM_OK || call->succeeded))
        forget_block(replay, call->heap, call->block);
}

static void replay_query(kh_replay *replay, const kh_call *call)
{
    kh_replay_heap *entry = heap_at(replay, call->heap);
    km_heap *heap = entry ? entry->heap : NULL;
    unsigned flags = call_flags(call->flags);
    km_status status = KM_INVALID_POINTER;
    if (!heap) {
        replay->bad_handles++;
        compare(replay, call, false, status);
        return;
    }
    void *block = call->block ? translate(replay, call->heap, call->block) : NULL;
    if (call->export == KH_HEAP_SIZE) {
        size_t size = 0;
        status = km_heap_size(heap, flags, block, &size);
        if (status != KM_OK)
            note_failure(replay, call, status);
        compare(replay, call, status == KM_OK, status);
        if (status == KM_OK && call->succeeded && size != call->result) {
            char text[96];
            snprintf(text, sizeof text, "mismatch: traced size %llu, replayed %zu",
                     (unsigned long long)call->result, size);
            replay->mismatches++;
            report(replay, call, "%s", text);
        }
    } else if (call->export == KH_HEAP_VALIDATE) {
        bool valid = km_heap_validate(heap, flags, block);
        compare(replay, call, valid, KM_CORRUPTED);
    } else {
        km_heap_compact(heap, flags);
        compare(replay, call, true, KM_OK);
    }
}

bool kh_replay_call(kh_replay *replay, const kh_call *call)
{
    replay->calls++;
    switch (call->export) {
    case KH_HEAP_CREATE: return replay_create(replay, call);
    case KH_HEAP_DESTROY: replay_destroy(replay, call); return true;
    case KH_HEAP_ALLOC: return replay_alloc(replay, call);
    case KH_HEAP_REALLOC: return replay_realloc(replay, call);
    case KH_HEAP_FREE: replay_free(replay, call); return true;
    default: replay_query(replay, call); return true;
    }
}

size_t kh_replay_live_heaps(const kh_replay *replay)
{
    size_t count = 0;
    for (size_t i = 0; i < replay->heap_count; i++)
        count += replay->heaps[i].heap != NULL;
    return count;
}

size_t kh_replay_live_blocks(const kh_replay *replay)
{
    size_t count = 0;
    for (size_t i = 0; i < replay->heap_count; i++) {
        if (!replay->heaps[i].heap)
            continue;
        km_walk_entry entry = {0};
        while (km_heap_walk(replay->heaps[i].heap, &entry) == KM_OK)
            count += entry.kind == KM_WALK_BUSY;
    }
    return count;
}

void kh_replay_release(kh_replay *replay)
{
    for (size_t i = 0; i < replay->heap_count; i++) {
        if (replay->heaps[i].heap)
            km_heap_destroy(replay->heaps[i].heap);
        kh_addr_release(&replay->heaps[i].blocks);
    }
    free(replay->heaps);
    kh_addr_release(&replay->handles);
    replay->heaps = NULL;
    replay->heap_count = replay->heap_capacity = 0;
}
