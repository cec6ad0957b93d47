/*
 * A trace record as a line of JSON (heap_trace.h names the calls; the README's "Inspecting a
 * heap" gives the format). Tracing a million calls writes about 150 MB, so a line is formatted
 * with care for speed: in place in the output, constant pieces copied with sizes the compiler
 * knows, the pieces that depend on the call made once at start, digits written two at a time.
 */
#include "api/trace_format.h"

#include <stdbool.h>

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

/* Constant text is copied with a size the compiler knows, as a few moves. */
#define PUT_LITERAL(at, literal)                                                                   \
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

/* A word of the call's (a size, flags, a count) as JSON's integers can hold it: its bits read as
 * a signed number of the pointer's width, so that a size of SIZE_T's maximum less 63 reads -64
 * and converts back exactly (a reader with 64-bit integers refuses anything from 2^63 up). */
static char *put_word(char *at, uintptr_t value)
{
    intptr_t signed_value = (intptr_t)value;
    if (signed_value >= 0)
        return put_decimal(at, (uint64_t)value);
    *at++ = '-';
    return put_decimal(at, (uint64_t)0 - (uint64_t)(int64_t)signed_value);
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

/* Nanoseconds since the trace started. */
static uint64_t nanoseconds(uint64_t ticks, const km_trace_clock *clock)
{
    if (ticks < clock->start.ticks)
        return 0;
    return (uint64_t)((double)(ticks - clock->start.ticks) * clock->ns_per_tick);
}

void km_trace_clock_update(km_trace_clock *clock, km_nt_clock_reference latest)
{
    uint64_t span_ticks = latest.ticks - clock->start.ticks;
    uint64_t span_ns = latest.nanoseconds - clock->start.nanoseconds;
    if (span_ticks)
        clock->ns_per_tick = (double)span_ns / (double)span_ticks;
}

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

void km_trace_format_init(void)
{
    for (size_t call = 0; call < KM_TRACE_CALLS; call++) {
        const call_format *c = &call_formats[call];
        make_fragment(&export_fragments[call], ",\"export\":\"", c->name, "\",\"heap\":");
        for (int i = 0; i < 3 && c->args[i]; i++)
            make_fragment(&arg_fragments[call][i], i ? ",\"" : "\"",
                          c->args[i] + (c->args[i][0] == '*'), "\":");
    }
}

size_t km_trace_format_line(const km_trace_entry *r, const km_trace_clock *clock, char *line)
{
    const call_format *c = &call_formats[r->call];
    char *at = PUT_LITERAL(line, "{\"seq\":");
    at = put_decimal(at, r->seq);
    at = PUT_LITERAL(at, ",\"time_ns\":");
    at = put_decimal(at, nanoseconds(r->ticks, clock));
    at = PUT_LITERAL(at, ",\"thread\":");
    at = put_decimal(at, r->thread);
    at = put_fragment(at, &export_fragments[r->call]);
    at = put_address(at, r->heap);
    at = PUT_LITERAL(at, ",\"args\":{");
    for (int i = 0; i < 3 && c->args[i]; i++) {
        at = put_fragment(at, &arg_fragments[r->call][i]);
        at = c->args[i][0] == '*' ? put_address(at, r->args[i]) : put_word(at, r->args[i]);
    }
    at = PUT_LITERAL(at, "},\"result\":");
    switch (c->result) {
    case RESULT_ADDRESS: at = put_address(at, r->result); break;
    case RESULT_BOOL: *at++ = r->result ? '1' : '0'; break;
    case RESULT_COUNT:
        at = put_word(at, r->result); /* HeapSize's failure, (SIZE_T)-1, reads -1 */
        break;
    }
    at = PUT_LITERAL(at, ",\"error\":");
    at = put_decimal(at, r->error);
    at = PUT_LITERAL(at, "}\n");
    return (size_t)(at - line);
}

size_t km_trace_format_header(char *line, unsigned long pid)
{
    char *at = PUT_LITERAL(line, "{\"format\":\"kernel32_mem.trace\",\"version\":1,\"pid\":");
    at = put_decimal(at, pid);
    at = PUT_LITERAL(at, ",\"pointer_bits\":");
    at = put_decimal(at, sizeof(void *) * 8);
    at = PUT_LITERAL(at, "}\n");
    return (size_t)(at - line);
}
