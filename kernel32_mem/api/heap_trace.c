/*
 * The call trace (KM_TRACE=PATH, %p in PATH standing for the process id: path_pattern.h).
 *
 * A call is recorded as a fixed-size binary record in a batch of the calling thread's: a
 * sequence number, a clock reading and a few stores. Text is made elsewhere. A full batch is
 * handed to a queue and the thread takes an empty one; a writer thread of ours turns queued
 * batches into lines and appends them to the file, on another processor while the program runs
 * on. If the writer falls behind by KM_TRACE_QUEUE_MAX batches, the thread that fills the next
 * one writes too, so that a trace never holds more than that much memory. At exit (which has
 * killed the writer wherever it was) the exiting thread writes what is left: the batch the
 * writer had not finished, the queue, and every thread's current batch.
 *
 * Batches are found by the thread's TEB address in a table of KM_TRACE_THREADS entries, claimed
 * once and kept: a later thread with the same TEB carries on where the last left off. When the
 * table is full, threads share one more batch under the queue's lock.
 *
 * Batches are written whole, so the file holds each thread's calls in order but the threads'
 * batches interleave: the sequence number puts the lines back in the order the heap saw the
 * calls. A call that hands memory out takes its number as it returns, one that gives memory back
 * (HeapFree, HeapReAlloc, HeapDestroy) before it starts: a block freed on one thread and then
 * handed out on another is freed first in the trace too. (A block that another thread frees
 * while a HeapReAlloc runs, and that the reallocation then returns, comes out of order.) A
 * record is complete once its sequence number is stored (last, with release): a record a
 * killed thread left half-written is skipped.
 */
#include "api/win32.h"

#include "api/heap_trace.h"
#include "api/path_pattern.h"
#include "api/trace_format.h"
#include "core/json_text.h"
#include "core/lock.h"
#include "core/thread_id.h"
#include "nt/nt_environment.h"
#include "nt/nt_error.h"
#include "nt/nt_heap_platform.h"
#include "nt/nt_worker.h"

#define KM_TRACE_THREADS 1024
#define KM_TRACE_RECORDS 4096 /* per batch: 288 KiB on 64-bit */
#define KM_TRACE_QUEUE_MAX 256
/* At exit, a lock whose owner was killed with its thread is never let go. */
#define KM_TRACE_EXIT_PATIENCE 1000

typedef struct trace_batch {
    struct trace_batch *next; /* in the queue or the free list */
    size_t count;
    km_trace_entry records[KM_TRACE_RECORDS];
} trace_batch;

typedef struct thread_entry {
    _Atomic uintptr_t owner; /* the TEB address of the thread recording; 0: unclaimed */
    trace_batch *batch;
} thread_entry;

bool km_tracing;
static thread_entry threads[KM_TRACE_THREADS];
static km_nt_append_file file;
static km_trace_clock clock;
/* Taken by every traced call on every thread: a cache line of its own, so that the writer's
 * stores to its neighbours do not take the line away from the callers. */
static struct {
    _Alignas(64) _Atomic uint64_t value;
    char rest_of_line[64 - sizeof(uint64_t)];
} next_seq = {.value = 1};
static km_nt_worker writer;

/* The queue of full batches, the free list, and the batch shared by threads without an entry. */
static km_lock queue_lock;
static trace_batch *queue_head, *queue_tail, *free_batches, *shared;
static size_t queued;

/* One drainer at a time (the writer, or a thread helping it): guards text and the batch being
 * written, which the exit path finishes if a killed drainer left it. */
static km_lock drain_lock;
static km_text text;
static trace_batch *_Atomic in_flight;

/* Writing ------------------------------------------------------------------------------------ */

/* Turns a batch's complete records into lines in out, and appends them to the file. */
static void write_batch(trace_batch *batch, km_text *out)
{
    km_text_clear(out);
    km_trace_clock_update(&clock, km_nt_clock_now());
    /* Lines are formatted in place: ntdll's memcpy copies a byte at a time under Wine. */
    for (size_t i = 0; i < batch->count; i++) {
        const km_trace_entry *r = &batch->records[i];
        char *line = km_text_room(out, KM_TRACE_LINE_MAX);
        if (line && atomic_load_explicit(&r->seq, memory_order_acquire))
            km_text_added(out, km_trace_format_line(r, &clock, line));
    }
    /* Counted as written from the moment the write starts: a thread ended by the process's exit
     * ends when its system call returns, the write done. */
    batch->count = 0;
    if (out->length && !out->failed)
        km_nt_append_file_write(&file, out->data, out->length);
}

static trace_batch *dequeue(void)
{
    km_lock_acquire(&queue_lock);
    trace_batch *batch = queue_head;
    if (batch) {
        queue_head = batch->next;
        if (!queue_head)
            queue_tail = NULL;
        queued--;
    }
    km_lock_release(&queue_lock);
    return batch;
}

/* Writes every queued batch, returning each to the free list. */
static void drain(void)
{
    km_lock_acquire(&drain_lock);
    for (trace_batch *batch; (batch = dequeue());) {
        atomic_store_explicit(&in_flight, batch, memory_order_release);
        write_batch(batch, &text);
        atomic_store_explicit(&in_flight, NULL, memory_order_release);
        km_lock_acquire(&queue_lock);
        batch->next = free_batches;
        free_batches = batch;
        km_lock_release(&queue_lock);
    }
    km_lock_release(&drain_lock);
}

/* Recording --------------------------------------------------------------------------------- */

static trace_batch *new_batch(void)
{
    km_pages *pages = km_nt_heap_platform()->pages;
    trace_batch *batch = pages->reserve(pages, sizeof(trace_batch));
    if (batch && pages->commit(pages, batch, sizeof(trace_batch), false) != KM_OK) {
        pages->release(pages, batch, sizeof(trace_batch));
        batch = NULL;
    }
    return batch;
}

/* Queues a full batch and returns an empty one (NULL when none could be had: the caller's
 * records are then dropped until memory comes back). The caller holds queue_lock for a shared
 * batch, and not for its own. */
static trace_batch *hand_over_locked(trace_batch *full, bool *help)
{
    full->next = NULL;
    if (queue_tail)
        queue_tail->next = full;
    else
        queue_head = full;
    queue_tail = full;
    queued++;
    trace_batch *fresh = free_batches;
    if (fresh)
        free_batches = fresh->next;
    *help = queued > KM_TRACE_QUEUE_MAX;
    return fresh;
}

/* Queues the thread's full batch and gives it an empty one. The entry stops naming the full
 * batch in the same step the queue takes it, under the queue's lock: a thread ended at any point
 * after (the process's exit ends threads in their next system call, such as the wake below)
 * leaves its batch in one place only, for the exit to write once. */
static void replace_full(thread_entry *entry)
{
    bool help;
    km_lock_acquire(&queue_lock);
    entry->batch = hand_over_locked(entry->batch, &help);
    km_lock_release(&queue_lock);
    if (help)
        drain();
    else
        km_nt_worker_wake(&writer);
    if (!entry->batch)
        entry->batch = new_batch();
    if (!entry->batch) {
        drain();
        km_lock_acquire(&queue_lock);
        if ((entry->batch = free_batches))
            free_batches = entry->batch->next;
        km_lock_release(&queue_lock);
    }
}

/* The calling thread's entry, claimed on its first call; NULL when the table is full. */
static thread_entry *own_entry(void)
{
    uintptr_t self = km_thread_id();
    size_t start = (size_t)((self >> 12) * 0x9e3779b97f4a7c15ull >> 54) % KM_TRACE_THREADS;
    for (size_t probe = 0; probe < KM_TRACE_THREADS; probe++) {
        thread_entry *e = &threads[(start + probe) % KM_TRACE_THREADS];
        uintptr_t owner = atomic_load_explicit(&e->owner, memory_order_acquire);
        if (owner == self)
            return e;
        if (owner == 0 &&
            atomic_compare_exchange_strong_explicit(&e->owner, &owner, self, memory_order_acq_rel,
                                                    memory_order_acquire)) {
            e->batch = new_batch();
            return e;
        }
    }
    return NULL;
}

uint64_t km_trace_ticket(void)
{
    return atomic_fetch_add_explicit(&next_seq.value, 1, memory_order_relaxed);
}

static void fill(km_trace_entry *r, uint64_t ticket, km_trace_call call, uintptr_t heap,
                 uintptr_t result, uintptr_t a0, uintptr_t a1, uintptr_t a2, uint32_t error)
{
    atomic_store_explicit(&r->seq, 0, memory_order_relaxed);
    r->ticks = km_nt_clock_ticks();
    r->heap = heap;
    r->result = result;
    r->args[0] = a0;
    r->args[1] = a1;
    r->args[2] = a2;
    r->thread = (uint32_t)km_nt_current_thread_id();
    r->call = (uint16_t)call;
    r->error = error;
    atomic_store_explicit(&r->seq, ticket ? ticket : km_trace_ticket(), memory_order_release);
}

static void record_shared(uint64_t ticket, km_trace_call call, uintptr_t heap, uintptr_t result,
                          uintptr_t a0, uintptr_t a1, uintptr_t a2, uint32_t error)
{
    bool help = false;
    km_lock_acquire(&queue_lock);
    if (shared && shared->count == KM_TRACE_RECORDS)
        shared = hand_over_locked(shared, &help);
    if (!shared) /* none was free: a new one, or the call goes untraced */
        shared = new_batch();
    if (shared) {
        fill(&shared->records[shared->count++], ticket, call, heap, result, a0, a1, a2, error);
    }
    km_lock_release(&queue_lock);
    km_nt_worker_wake(&writer);
    if (help)
        drain();
}

void km_trace_record(uint64_t ticket, km_trace_call call, uintptr_t heap, uintptr_t result,
                     uintptr_t a0, uintptr_t a1, uintptr_t a2)
{
    /* The last error is read first, and put back: nothing here may change what the caller
     * sees. */
    uint32_t error = km_nt_last_error();
    thread_entry *entry = own_entry();
    if (!entry) {
        record_shared(ticket, call, heap, result, a0, a1, a2, error);
    } else {
        if (entry->batch && entry->batch->count == KM_TRACE_RECORDS)
            replace_full(entry);
        else if (!entry->batch)
            entry->batch = new_batch();
        trace_batch *batch = entry->batch;
        if (batch)
            fill(&batch->records[batch->count++], ticket, call, heap, result, a0, a1, a2, error);
    }
    km_nt_set_last_error(error);
}

/* Start and finish --------------------------------------------------------------------------- */

void km_trace_start(void)
{
    const km_heap_platform *platform = km_nt_heap_platform();
    static WCHAR pattern[KM_PATH_PATTERN_MAX + 1], path[KM_EXPANDED_PATH_MAX];
    if (!km_nt_environment_get(L"KM_TRACE", pattern, KM_PATH_PATTERN_MAX + 1) || !pattern[0] ||
        !km_expand_path_pattern(pattern, 0, path, KM_EXPANDED_PATH_MAX))
        return;
    char header[KM_TRACE_LINE_MAX];
    size_t length = km_trace_format_header(header, (unsigned long)km_nt_current_process_id());
    /* A trace starts a new file: replay reads one process's calls. */
    if (km_nt_file_replace(path, header, length) < 0 || !km_nt_append_file_open(&file, path))
        return;
    km_lock_init(&queue_lock, platform->threads);
    km_lock_init(&drain_lock, platform->threads);
    km_text_init(&text, platform->pages);
    km_trace_format_init();
    shared = new_batch();
    clock.start = km_nt_clock_now();
    /* Without a writer, the threads whose batches fill write them. */
    if (!km_nt_worker_start(&writer, NULL, NULL, drain))
        return;
    km_tracing = true;
}

static void write_at_exit(trace_batch *batch, km_text *out)
{
    if (batch && batch->count)
        write_batch(batch, out);
}

/* Takes a lock at exit, where its owner may have been killed holding it: false after a while. */
static bool acquire_at_exit(km_lock *lock)
{
    for (int tries = 0; !km_lock_try_acquire(lock); tries++) {
        if (tries >= KM_TRACE_EXIT_PATIENCE)
            return false;
        km_nt_heap_platform()->threads->yield();
    }
    return true;
}

/* At exit the writer may still be finishing a batch (the process ends its other threads, and
 * they end at their next system call): the exit waits for it, so that no batch goes out twice.
 * A drainer ended while formatting leaves its batch in in_flight, with its count, for the exit to
 * write; one ended in its write has set the count to 0 first. */
void km_trace_finish(void)
{
    if (!km_tracing)
        return;
    km_tracing = false;
    bool drained = acquire_at_exit(&drain_lock);
    bool queue_locked = acquire_at_exit(&queue_lock);
    km_text out;
    km_text_init(&out, km_nt_heap_platform()->pages);
    if (!drained)
        write_at_exit(atomic_load_explicit(&in_flight, memory_order_acquire), &out);
    for (trace_batch *batch = queue_head; batch; batch = batch->next)
        write_at_exit(batch, &out);
    queue_head = queue_tail = NULL;
    for (size_t i = 0; i < KM_TRACE_THREADS; i++)
        write_at_exit(threads[i].batch, &out);
    write_at_exit(shared, &out);
    km_text_release(&out);
    km_nt_append_file_close(&file);
    if (queue_locked)
        km_lock_release(&queue_lock);
    if (drained)
        km_lock_release(&drain_lock);
}
