/*
 * Heap snapshots: every heap's layout and blocks as one JSON document, for people studying how
 * the heap lays out, grows and fragments (the README's "Inspecting a heap" gives the schema, and
 * km-heap draws and compares snapshots).
 *
 * A snapshot is written into memory (json_text.h) and the caller decides where it goes. Each
 * heap is written under its own lock, taken only while that heap is written, so a program keeps
 * running while its snapshot is taken; the snapshot is therefore exact per heap, and the heaps
 * may be a few calls apart from one another.
 *
 * What a snapshot shows is what the heap manager keeps, not only what a program could touch:
 * segments slot by slot (metadata, runs, spans, free slots, committed or not), every block of a
 * run on committed pages with its requested size and the state of its slack code, large blocks,
 * and the Global/Local handle table.
 */
#ifndef KM_CORE_HEAP_SNAPSHOT_H
#define KM_CORE_HEAP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/handle_table.h"
#include "core/heap.h"
#include "core/json_text.h"

#define KM_SNAPSHOT_FORMAT "kernel32_mem.snapshot"
#define KM_SNAPSHOT_VERSION 1

typedef struct km_snapshot_header {
    const char *producer; /* "kernel32_mem.dll", "km-heap replay", ... */
    const char *reason;   /* "exit", "request", "event", "replay" */
    unsigned long pid;    /* 0 where there is no process */
} km_snapshot_header;

typedef struct km_snapshot {
    km_text text;
    bool handles_written;
} km_snapshot;

/* Names for the caller's bits of handle-table entry flags (the core does not know them). */
typedef struct km_flag_name {
    unsigned bit;
    const char *name;
} km_flag_name;

/* Starts a snapshot in memory from pages. */
void km_snapshot_open(km_snapshot *snapshot, km_pages *pages, const km_snapshot_header *header);

/* Adds one heap, known to the program as `handle`, under the heap's lock. Never waits: false,
 * writing nothing, while another thread holds the lock (the caller lets go of whatever that
 * thread may be waiting for, and retries). Without `contents` only the heap's totals are
 * written, and "complete" says so: for a heap whose owner serializes it (HEAP_NO_SERIALIZE)
 * when the snapshot is taken by a thread of ours, whose reads could race the owner's writes. */
bool km_snapshot_heap(km_snapshot *snapshot, km_heap *heap, uintptr_t handle, bool process_heap,
                      bool contents);

/* Adds the handle table: every entry in use, its data sized in data_heap; names (ending with a
 * NULL name) say what the caller's flag bits mean. The caller holds the table's lock. Call it
 * once, after the last heap. */
void km_snapshot_handles_locked(km_snapshot *snapshot, km_handle_table *table, km_heap *data_heap,
                                const km_flag_name *names);

/* Ends the document: snapshot->text.data holds snapshot->text.length bytes of JSON. KM_NO_MEMORY
 * when the text could not grow (it is then incomplete). */
km_status km_snapshot_close(km_snapshot *snapshot);

void km_snapshot_release(km_snapshot *snapshot);

#endif
