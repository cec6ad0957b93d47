/*
 * The call trace (KM_TRACE=PATH, %p in PATH standing for the process id).
 *
 * A call is recorded as a fixed-size binary record in a buffer of the calling thread's, and
 * turned into text only when the buffer is full or the process ends: recording is a sequence
 * number, a clock reading and a few stores, so that tracing a million calls does not slow a
 * program down by more than a few times. Buffers are found by the thread's TEB address in a
 * table of KM_TRACE_THREADS entries, claimed once and kept: a thread that ends leaves its
 * records for the exit flush, and a later thread with the same TEB carries on in its buffer.
 * When the table is full, calls share one buffer under the file's lock.
 *
 * Buffers are written out whole, so the file holds each thread's calls in order but the threads'
 * batches interleave: the sequence number, taken as the call returns, puts the lines back in
 * call order. A record is complete once its sequence number is stored (last, with release):
 * a record a killed thread left half-written is skipped.
 */
#include "api/win32.h"

#include "api/heap_trace.h"
#include "core/json_text.h"
#include "core/lock.h"
#include "core/thread_id.h"
#include "nt/nt_environment.h"
#include "nt/nt_error.h"
#include "nt/nt_heap_platform.h"

#define KM_TRACE_THREADS 1024
#define KM_TRACE_RECORDS 4096 /* per buffer */
/* At exit, a lock whose owner was killed with its thread is never let go. */
#define KM_TRACE_EXIT_PATIENCE 1000

typedef struct trace_record {
    _Atomic uint64_t seq; /* 0 until the record is complete */
    uint64_t ticks;
    uintptr_t heap;
    uintptr_t result;
    uintptr_t args[3];
    uint32_t thread;
    uint16_t call;
    uint16_t unused;
    uint32_t error;
} trace_record;

typedef struct trace_buffer {
    _Atomic uintptr_t owner; /* the TEB address of the thread writing it; 0: unclaimed */
    trace_record *records;   /* KM_TRACE_RECORDS, reserved when claimed */
    size_t count;
} trace_buffer;

bool km_tracing;
static trace_buffer buffers[KM_TRACE_THREADS];
static trace_buffer shared; /* for threads that found no entry; under file_lock */
static km_lock file_lock;   /* guards the file, the text and the shared buffer */
static km_nt_append_file file;
static km_text text;
static _Atomic uint64_t next_seq = 1;
/* Where the trace started, and the last reference taken (each write takes one): a record's time
 * is placed on the line between the two. */
static km_nt_clock_reference start, latest;

/* How a call's result is written: an address, 1/0, or a count (-1 for SIZE_T's failure). */
typedef enum result_kind { RESULT_ADDRESS, RESULT_BOOL, RESULT_COUNT } result_kind;

/* Each call's name, the keys of its arguments in record order ('*' before a key: an address),
 * and how its result reads. */
typedef struct call_format {
    const char *name;
    const char *args[3];
    result_kind result;
} call_format;

static const call_format call_formats[] = {
    [KM_TRACE_HeapCreate] = {"HeapCreate", {"options", "initial", "maximum"}, RESULT_ADDRESS},
    [KM_TRACE_HeapDestroy] = {"HeapDestroy", {NULL}, RESULT_BOOL},
    [KM_TRACE_HeapAlloc] = {"HeapAlloc", {"flags", "size"}, RESULT_ADDRESS},
    [KM_TRACE_HeapReAlloc] = {"HeapReAlloc", {"flags", "*block", "size"}, RESULT_ADDRESS},
    [KM_TRACE_HeapFree] = {"HeapFree", {"flags", "*block"}, RESULT_BOOL},
    [KM_TRACE_HeapSize] = {"HeapSize", {"flags", "*block"}, RESULT_COUNT},
    [KM_TRACE_HeapValidate] = {"HeapValidate", {"flags", "*block"}, RESULT_BOOL},
    [KM_TRACE_HeapCompact] = {"HeapCompact", {"flags"}, RESULT_COUNT},
};
#define KM_TRACE_CALLS (sizeof call_formats / sizeof call_formats[0])

/* The same as text, made once at start: pieces of a line padded to a fixed size, so that each
 * is copied with a few moves whatever its length. */
#define KM_FRAGMENT_SIZE 40
typedef struct fragment {
    char text[KM_FRAGMENT_SIZE];
    uint8_t length;
} fragment;
static fragment export_fragments[KM_TRACE_CALLS]; /* ,"export":"HeapAlloc","heap": */
static fragment arg_fragments[KM_TRACE_CALLS][3]; /* "flags":  ,"block": */

/* Writing ------------------------------------------------------------------------------------ */

/* Constant text is copied with a size the compiler knows, as a few moves. */
#define PUT_LITERAL(at, literal)                                                                  \
    (__builtin_memcpy((at), (literal), sizeof(literal) - 1), (at) + sizeof(literal) - 1)

static char *put_text(char *at, const char *s)
{
    while (*s)
        *at++ = *s++;
    return at;
}

static int decimal_digits(uint64_t value)
{
    int digits = 1;
    for (uint64_t limit = 10; value >= limit && digits < 20; limit *= 10)
        digits++;
    return digits;
}

/* Digits are written in place, two at a time from the last: through a buffer on the stack they
 * would be read back with a wider load than they were stored with, which stalls. */
static char *put_decimal(char *at, uint64_t value)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "6263646566676869707172737475767778798081828384858687888990919293"
                                "949596979899";
    int digits = decimal_digits(value);
    char *end = at + digits, *p = end;
    while (value >= 100) {
        unsigned pair = (unsigned)(value % 100) * 2;
        value /= 100;
        *--p = pairs[pair + 1];
        *--p = pairs[pair];
    }
    if (value >= 10) {
        *--p = pairs[value * 2 + 1];
        *--p = pairs[value * 2];
    } else {
        *--p = (char)('0' + value);
    }
    return end;
}

static char *put_address(char *at, uintptr_t value)
{
    static const char hex[] = "0123456789abcdef";
    int digits = value ? 16 - __builtin_clzll((uint64_t)value) / 4 : 1;
    at = PUT_LITERAL(at, "\"0x");
    for (int i = digits - 1; i >= 0; i--) {
        at[i] = hex[value & 15];
        value >>= 4;
    }
    at += digits;
    *at++ = '"';
    return at;
}

static uint64_t nanoseconds(uint64_t ticks)
{
    uint64_t span_ticks = latest.ticks - start.ticks;
    uint64_t span_ns = latest.nanoseconds - start.nanoseconds;
    if (!span_ticks || ticks < start.ticks)
        return 0;
    double ns = (double)(ticks - start.ticks) * ((double)span_ns / (double)span_ticks);
    return (uint64_t)ns;
}

#define KM_TRACE_LINE_MAX 400

static char *put_fragment(char *at, const fragment *f)
{
    __builtin_memcpy(at, f->text, KM_FRAGMENT_SIZE);
    return at + f->length;
}

static void make_fragment(fragment *f, const char *before, const char *key, const char *after)
{
    char *at = put_text(put_text(put_text(f->text, before), key), after);
    f->length = (uint8_t)(at - f->text);
}

static void make_fragments(void)
{
    for (size_t call = 0; call < KM_TRACE_CALLS; call++) {
        const call_format *c = &call_formats[call];
        make_fragment(&export_fragments[call], ",\"export\":\"", c->name, "\",\"heap\":");
        for (int i = 0; i < 3 && c->args[i]; i++)
            make_fragment(&arg_fragments[call][i], i ? ",\"" : "\"",
                          c->args[i] + (c->args[i][0] == '*'), "\":");
    }
}

/* One record's line, at most KM_TRACE_LINE_MAX bytes. */
static size_t format_line(const trace_record *r, char *line)
{
    const call_format *c = &call_formats[r->call];
    char *at = PUT_LITERAL(line, "{\"seq\":");
    at = put_decimal(at, r->seq);
    at = PUT_LITERAL(at, ",\"time_ns\":");
    at = put_decimal(at, nanoseconds(r->ticks));
    at = PUT_LITERAL(at, ",\"thread\":");
    at = put_decimal(at, r->thread);
    at = put_fragment(at, &export_fragments[r->call]);
    at = put_address(at, r->heap);
    at = PUT_LITERAL(at, ",\"args\":{");
    for (int i = 0; i < 3 && c->args[i]; i++) {
        at = put_fragment(at, &arg_fragments[r->call][i]);
        at = c->args[i][0] == '*' ? put_address(at, r->args[i]) : put_decimal(at, r->args[i]);
    }
    at = PUT_LITERAL(at, "},\"result\":");
    switch (c->result) {
    case RESULT_ADDRESS:
        at = put_address(at, r->result);
        break;
    case RESULT_BOOL:
        *at++ = r->result ? '1' : '0';
        break;
    case RESULT_COUNT:
        at = r->result == (uintptr_t)-1 ? PUT_LITERAL(at, "-1") : put_decimal(at, r->result);
        break;
    }
    at = PUT_LITERAL(at, ",\"error\":");
    at = put_decimal(at, r->error);
    at = PUT_LITERAL(at, "}\n");
    return (size_t)(at - line);
}

/* Turns a buffer's complete records into lines and appends them. Caller holds file_lock. */
static void write_buffer_locked(trace_buffer *buffer)
{
    km_text_clear(&text);
    latest = km_nt_clock_now();
    /* Lines are formatted in place: ntdll's memcpy copies a byte at a time under Wine. */
    for (size_t i = 0; i < buffer->count; i++) {
        const trace_record *r = &buffer->records[i];
        char *line = km_text_room(&text, KM_TRACE_LINE_MAX);
        if (line && atomic_load_explicit(&r->seq, memory_order_acquire))
            km_text_added(&text, format_line(r, line));
    }
    if (text.length && !text.failed)
        km_nt_append_file_write(&file, text.data, text.length);
    buffer->count = 0;
}

/* Recording --------------------------------------------------------------------------------- */

static trace_record *reserve_records(void)
{
    km_pages *pages = km_nt_heap_platform()->pages;
    size_t bytes = KM_TRACE_RECORDS * sizeof(trace_record);
    trace_record *records = pages->reserve(pages, bytes);
    if (records && pages->commit(pages, records, bytes, false) != KM_OK) {
        pages->release(pages, records, bytes);
        records = NULL;
    }
    return records;
}

/* The calling thread's buffer, claimed on its first call; NULL when the table is full or the
 * buffer's memory could not be had. */
static trace_buffer *own_buffer(void)
{
    uintptr_t self = km_thread_id();
    size_t start = (size_t)((self >> 12) * 0x9e3779b97f4a7c15ull >> 54) % KM_TRACE_THREADS;
    for (size_t probe = 0; probe < KM_TRACE_THREADS; probe++) {
        trace_buffer *b = &buffers[(start + probe) % KM_TRACE_THREADS];
        uintptr_t owner = atomic_load_explicit(&b->owner, memory_order_acquire);
        if (owner == self)
            return b->records ? b : NULL;
        if (owner == 0 &&
            atomic_compare_exchange_strong_explicit(&b->owner, &owner, self,
                                                    memory_order_acq_rel, memory_order_acquire)) {
            b->records = reserve_records();
            return b->records ? b : NULL;
        }
    }
    return NULL;
}

static void fill(trace_record *r, km_trace_call call, uintptr_t heap, uintptr_t result,
                 uintptr_t a0, uintptr_t a1, uintptr_t a2, uint32_t error)
{
    r->ticks = km_nt_clock_ticks();
    r->heap = heap;
    r->result = result;
    r->args[0] = a0;
    r->args[1] = a1;
    r->args[2] = a2;
    r->thread = (uint32_t)km_nt_current_thread_id();
    r->call = (uint16_t)call;
    r->error = error;
    atomic_store_explicit(&r->seq, atomic_fetch_add_explicit(&next_seq, 1, memory_order_relaxed),
                          memory_order_release);
}

void km_trace_record(km_trace_call call, uintptr_t heap, uintptr_t result, uintptr_t a0,
                     uintptr_t a1, uintptr_t a2)
{
    /* The last error is read first: nothing here may change what the caller sees. */
    uint32_t error = km_nt_last_error();
    trace_buffer *buffer = own_buffer();
    if (!buffer) {
        km_lock_acquire(&file_lock);
        if (shared.records) {
            if (shared.count == KM_TRACE_RECORDS)
                write_buffer_locked(&shared);
            trace_record *r = &shared.records[shared.count++];
            atomic_store_explicit(&r->seq, 0, memory_order_relaxed);
            fill(r, call, heap, result, a0, a1, a2, error);
        }
        km_lock_release(&file_lock);
        km_nt_set_last_error(error);
        return;
    }
    if (buffer->count == KM_TRACE_RECORDS) {
        km_lock_acquire(&file_lock);
        write_buffer_locked(buffer);
        km_lock_release(&file_lock);
    }
    trace_record *r = &buffer->records[buffer->count];
    atomic_store_explicit(&r->seq, 0, memory_order_relaxed);
    fill(r, call, heap, result, a0, a1, a2, error);
    buffer->count++;
    km_nt_set_last_error(error);
}

/* Start and finish --------------------------------------------------------------------------- */

/* Expands %p in the pattern; false when the result would not fit. */
static bool expand_path(const WCHAR *pattern, WCHAR *path, size_t capacity)
{
    size_t at = 0;
    for (const WCHAR *c = pattern; *c; c++) {
        if (c[0] == L'%' && c[1] == L'p') {
            unsigned long pid = (unsigned long)km_nt_current_process_id();
            WCHAR digits[12];
            int n = 0;
            do {
                digits[n++] = (WCHAR)(L'0' + pid % 10);
                pid /= 10;
            } while (pid);
            if (at + (size_t)n >= capacity)
                return false;
            while (n)
                path[at++] = digits[--n];
            c++;
        } else {
            if (at + 1 >= capacity)
                return false;
            path[at++] = *c;
        }
    }
    path[at] = 0;
    return true;
}

void km_trace_start(void)
{
    const km_heap_platform *platform = km_nt_heap_platform();
    WCHAR pattern[MAX_PATH + 1], path[2 * MAX_PATH];
    if (!km_nt_environment_get(L"KM_TRACE", pattern, MAX_PATH + 1) || !pattern[0] ||
        !expand_path(pattern, path, 2 * MAX_PATH))
        return;
    char header[160];
    char *at = PUT_LITERAL(header, "{\"format\":\"kernel32_mem.trace\",\"version\":1,\"pid\":");
    at = put_decimal(at, km_nt_current_process_id());
    at = PUT_LITERAL(at, ",\"pointer_bits\":");
    at = put_decimal(at, sizeof(void *) * 8);
    at = PUT_LITERAL(at, "}\n");
    /* A trace starts a new file: replay reads one process's calls. */
    if (km_nt_file_replace(path, header, (size_t)(at - header)) < 0 ||
        !km_nt_append_file_open(&file, path))
        return;
    km_lock_init(&file_lock, platform->threads);
    km_text_init(&text, platform->pages);
    shared.records = reserve_records();
    make_fragments();
    start = km_nt_clock_now();
    km_tracing = true;
}

void km_trace_finish(void)
{
    if (!km_tracing)
        return;
    km_tracing = false;
    for (int tries = 0; !km_lock_try_acquire(&file_lock); tries++)
        if (tries >= KM_TRACE_EXIT_PATIENCE)
            return;
        else
            km_nt_heap_platform()->threads->yield();
    for (size_t i = 0; i < KM_TRACE_THREADS; i++)
        if (buffers[i].records)
            write_buffer_locked(&buffers[i]);
    if (shared.records)
        write_buffer_locked(&shared);
    km_lock_release(&file_lock);
    km_nt_append_file_close(&file);
}
