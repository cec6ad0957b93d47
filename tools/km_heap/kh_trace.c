/*
 * The trace reader (kh_trace.h). The first non-empty line is the header; every other line is one
 * call. A line that is not JSON (a file cut short mid-line, say) is an error, as is a call
 * without the keys its export needs; a call of an export this reader does not know is counted
 * and skipped, so that a trace of more exports still replays its heap calls. Calls are sorted by
 * seq (the line number breaks ties, keeping the order stable).
 */
#define _POSIX_C_SOURCE 200809L
#include "kh_trace.h"

#include "kh_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const export_names[] = {
    "HeapCreate", "HeapDestroy", "HeapAlloc",    "HeapReAlloc",
    "HeapFree",   "HeapSize",    "HeapValidate", "HeapCompact",
};

const char *kh_export_name(kh_export export)
{
    return export_names[export];
}

static bool read_header(json_t *root, kh_trace *trace, kh_diag *d)
{
    const char *format;
    uint64_t version, bits;
    if (!json_is_object(root))
        return kh_fail(d, "the header is not a JSON object");
    if (!kh_json_string(root, "header", "format", &format, d))
        return false;
    if (strcmp(format, "kernel32_mem.trace") != 0)
        return kh_fail(d, "not a trace: \"format\" is \"%.40s\", not kernel32_mem.trace", format);
    if (!kh_json_u64(root, "header", "version", &version, d))
        return false;
    if (version != 1)
        return kh_fail(d, "trace version %llu; this km-heap reads version 1",
                       (unsigned long long)version);
    if (!(kh_json_u64(root, "header", "pid", &trace->pid, d) &&
          kh_json_u64(root, "header", "pointer_bits", &bits, d)))
        return false;
    if (bits != 32 && bits != 64)
        return kh_fail(d, "header: pointer_bits is %llu, not 32 or 64", (unsigned long long)bits);
    trace->pointer_bits = (unsigned)bits;
    return true;
}

/* The result: an address for the exports that return one, else a number (HeapSize: -1 fails). */
static bool read_result(json_t *root, kh_call *call, kh_diag *d)
{
    switch (call->export) {
    case KH_HEAP_CREATE:
    case KH_HEAP_ALLOC:
    case KH_HEAP_REALLOC:
        if (!kh_json_address(root, "call", "result", &call->result, d))
            return false;
        call->succeeded = call->result != 0;
        return true;
    case KH_HEAP_SIZE:
        if (!kh_json_word(root, "call", "result", &call->result, d))
            return false;
        call->succeeded = call->result != UINT64_MAX; /* -1: failed */
        return true;
    case KH_HEAP_COMPACT:
        if (!kh_json_u64(root, "call", "result", &call->result, d))
            return false;
        /* Zero with no error is an answer (nothing committed is free), not a failure. */
        call->succeeded = call->result != 0 || call->error == 0;
        return true;
    default:
        if (!kh_json_u64(root, "call", "result", &call->result, d))
            return false;
        call->succeeded = call->result != 0;
        return true;
    }
}

/* One call line; *known is false for an export this reader does not replay. */
static bool read_call(json_t *root, kh_call *call, bool *known, kh_diag *d)
{
    json_t *args;
    unsigned index = 0;
    const char *name;
    if (!json_is_object(root))
        return kh_fail(d, "the line is not a JSON object");
    if (!(kh_json_u64(root, "call", "seq", &call->seq, d) &&
          kh_json_string(root, "call", "export", &name, d)))
        return false;
    *known = false;
    for (; index < sizeof export_names / sizeof export_names[0]; index++)
        if (strcmp(name, export_names[index]) == 0)
            break;
    if (index == sizeof export_names / sizeof export_names[0])
        return true;
    *known = true;
    call->export = (kh_export)index;
    if (!(kh_json_address(root, "call", "heap", &call->heap, d) &&
          kh_json_object(root, "call", "args", &args, d) &&
          kh_json_u64(root, "call", "error", &call->error, d)))
        return false;
    bool ok = true;
    switch (call->export) {
    case KH_HEAP_CREATE:
        ok = kh_json_word(args, "args", "options", &call->options, d) &&
             kh_json_word(args, "args", "initial", &call->initial, d) &&
             kh_json_word(args, "args", "maximum", &call->maximum, d);
        break;
    case KH_HEAP_DESTROY: break;
    case KH_HEAP_ALLOC:
        ok = kh_json_word(args, "args", "flags", &call->flags, d) &&
             kh_json_word(args, "args", "size", &call->size, d);
        break;
    case KH_HEAP_REALLOC:
        ok = kh_json_word(args, "args", "flags", &call->flags, d) &&
             kh_json_address(args, "args", "block", &call->block, d) &&
             kh_json_word(args, "args", "size", &call->size, d);
        break;
    case KH_HEAP_COMPACT: ok = kh_json_word(args, "args", "flags", &call->flags, d); break;
    default:
        ok = kh_json_word(args, "args", "flags", &call->flags, d) &&
             kh_json_address(args, "args", "block", &call->block, d);
    }
    return ok && read_result(root, call, d);
}

static int compare_calls(const void *a, const void *b)
{
    const kh_call *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static bool blank(const char *line)
{
    return line[strspn(line, " \t\r\n")] == '\0';
}

static bool read_lines(FILE *file, kh_trace *trace, kh_diag *d)
{
    char *line = NULL;
    size_t line_capacity = 0, capacity = 0, number = 0;
    bool header = false, ok = true;
    ssize_t length;
    while (ok && (length = getline(&line, &line_capacity, file)) >= 0) {
        number++;
        if (blank(line))
            continue;
        json_error_t json_error;
        json_t *root = json_loadb(line, (size_t)length, JSON_REJECT_DUPLICATES, &json_error);
        char message[300];
        kh_diag line_diag = {message, sizeof message};
        if (!root) {
            ok = kh_fail(d, "line %zu: not JSON (%s)", number, json_error.text);
            break;
        }
        if (!header) {
            ok = read_header(root, trace, &line_diag);
            header = true;
        } else {
            if (trace->count == capacity) {
                capacity = capacity ? capacity * 2 : 1024;
                kh_call *bigger = realloc(trace->calls, capacity * sizeof *bigger);
                if (!bigger) {
                    json_decref(root);
                    ok = kh_fail(d, "out of memory");
                    break;
                }
                trace->calls = bigger;
            }
            kh_call *call = &trace->calls[trace->count];
            memset(call, 0, sizeof *call);
            call->line = number;
            bool known;
            ok = read_call(root, call, &known, &line_diag);
            if (ok && known)
                trace->count++;
            else if (ok)
                trace->skipped++;
        }
        json_decref(root);
        if (!ok)
            kh_fail(d, "line %zu: %s", number, message);
    }
    free(line);
    if (ok && !header)
        ok = kh_fail(d, "empty: no header line");
    return ok;
}

bool kh_trace_read_file(const char *path, kh_trace *trace, char *error, size_t error_size)
{
    memset(trace, 0, sizeof *trace);
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(error, error_size, "%s: cannot open it", path);
        return false;
    }
    char message[400];
    kh_diag diag = {message, sizeof message};
    bool ok = read_lines(file, trace, &diag);
    if (ok && ferror(file))
        ok = kh_fail(&diag, "cannot read it");
    fclose(file);
    if (!ok) {
        snprintf(error, error_size, "%s: %s", path, message);
        kh_trace_release(trace);
        return false;
    }
    if (trace->count)
        qsort(trace->calls, trace->count, sizeof *trace->calls, compare_calls);
    /* Two calls with one place in the order: a trace written twice over, or edited. */
    for (size_t i = 1; i < trace->count; i++)
        if (trace->calls[i].seq == trace->calls[i - 1].seq) {
            snprintf(error, error_size, "%s: seq %llu appears twice (lines %zu and %zu)", path,
                     (unsigned long long)trace->calls[i].seq, (size_t)trace->calls[i - 1].line,
                     (size_t)trace->calls[i].line);
            kh_trace_release(trace);
            return false;
        }
    return true;
}

void kh_trace_release(kh_trace *trace)
{
    free(trace->calls);
    memset(trace, 0, sizeof *trace);
}
