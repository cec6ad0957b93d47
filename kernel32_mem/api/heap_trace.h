/*
 * KM_TRACE=PATH: one JSON line per call of a Heap* export that allocates, frees, sizes or
 * validates (the README's "Inspecting a heap" gives the format; km-heap replay reads it). Each
 * export records its call after it is made; recording costs a load and a branch when tracing is
 * off.
 */
#ifndef KM_API_HEAP_TRACE_H
#define KM_API_HEAP_TRACE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum km_trace_call {
    KM_TRACE_HeapCreate,
    KM_TRACE_HeapDestroy,
    KM_TRACE_HeapAlloc,
    KM_TRACE_HeapReAlloc,
    KM_TRACE_HeapFree,
    KM_TRACE_HeapSize,
    KM_TRACE_HeapValidate,
    KM_TRACE_HeapCompact,
} km_trace_call;

extern bool km_tracing;

/* A call's place in the trace's order, taken before the call for one that gives memory back
 * (heap_trace.c says why); 0 when tracing is off. */
uint64_t km_trace_ticket(void);

/* Records one call: its place (0: now, as it returns), its heap handle, its result and up to
 * three arguments, in the order the trace format lists them. Reads the thread's last error
 * itself and leaves it as it was. */
void km_trace_record(uint64_t ticket, km_trace_call call, uintptr_t heap, uintptr_t result,
                     uintptr_t a0, uintptr_t a1, uintptr_t a2);

#define KM_TRACE_TICKET() (__builtin_expect(km_tracing, 0) ? km_trace_ticket() : 0)

#define KM_TRACE_AT(ticket, name, heap, result, a0, a1, a2)                                        \
    do {                                                                                           \
        if (__builtin_expect(km_tracing, 0))                                                       \
            km_trace_record((ticket), KM_TRACE_##name, (uintptr_t)(heap), (uintptr_t)(result),     \
                            (uintptr_t)(a0), (uintptr_t)(a1), (uintptr_t)(a2));                    \
    } while (0)

#define KM_TRACE(name, heap, result, a0, a1, a2) KM_TRACE_AT(0, name, heap, result, a0, a1, a2)

/* Reads KM_TRACE at process start and writes the trace's first line. */
void km_trace_start(void);
/* Writes every thread's recorded calls, at process exit. */
void km_trace_finish(void);

#endif
