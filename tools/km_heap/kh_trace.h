/*
 * A call trace in memory: the JSON lines kernel32_mem writes under KM_TRACE (SCHEMA.md), read,
 * checked and put in call order (by "seq"; the file holds per-thread batches, not call order).
 */
#ifndef KH_TRACE_H
#define KH_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kh_export {
    KH_HEAP_CREATE,
    KH_HEAP_DESTROY,
    KH_HEAP_ALLOC,
    KH_HEAP_REALLOC,
    KH_HEAP_FREE,
    KH_HEAP_SIZE,
    KH_HEAP_VALIDATE,
    KH_HEAP_COMPACT,
} kh_export;

typedef struct kh_call {
    uint64_t seq;
    size_t line; /* in the file, from 1, for messages */
    kh_export export;
    uint64_t heap;
    /* args: what the export has (the others are 0) */
    uint64_t flags, size, block, options, initial, maximum;
    /* result: an address, 1|0, or a count; succeeded says whether the call succeeded */
    uint64_t result;
    bool succeeded;
    uint64_t error;
} kh_call;

typedef struct kh_trace {
    uint64_t pid;
    unsigned pointer_bits;
    kh_call *calls;
    size_t count;
    size_t skipped; /* lines of exports this reader does not replay */
} kh_trace;

const char *kh_export_name(kh_export export);

/* Reads a trace file; on failure one line in error (with the file's name and line number). */
bool kh_trace_read_file(const char *path, kh_trace *trace, char *error, size_t error_size);

void kh_trace_release(kh_trace *trace);

#endif
