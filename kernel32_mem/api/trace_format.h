/*
 * The trace's records, and their lines of JSON (trace_format.c).
 */
#ifndef KM_API_TRACE_FORMAT_H
#define KM_API_TRACE_FORMAT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "api/heap_trace.h"
#include "nt/nt_environment.h"

/* One call, as the calling thread records it. */
typedef struct km_trace_entry {
    _Atomic uint64_t seq; /* 0 until the record is complete */
    uint64_t ticks;
    uintptr_t heap;
    uintptr_t result;
    uintptr_t args[3];
    uint32_t thread;
    uint16_t call; /* km_trace_call */
    uint16_t unused;
    uint32_t error;
} km_trace_entry;

/* Where the trace started, and the clock's rate as measured from there to a later reference. */
typedef struct km_trace_clock {
    km_nt_clock_reference start;
    double ns_per_tick;
} km_trace_clock;

/* Measures the rate again, from the start to `latest`. */
void km_trace_clock_update(km_trace_clock *clock, km_nt_clock_reference latest);

/* The longest line a record makes (with room for the formatter's fixed-size copies). */
#define KM_TRACE_LINE_MAX 400

/* Prepares the pieces of text lines are made of; call once before formatting. */
void km_trace_format_init(void);

/* Writes the record's line, newline included, at line; returns its length. */
size_t km_trace_format_line(const km_trace_entry *record, const km_trace_clock *clock, char *line);

/* Writes the trace's first line at line (at least KM_TRACE_LINE_MAX bytes). */
size_t km_trace_format_header(char *line, unsigned long pid);

#endif
