/* KM_TRACE=PATH, kernel32_mem's own extension (its README's "Inspecting a heap"): one JSON line
 * per Heap* call, each thread's calls buffered and written by the exit. The system kernel32 has
 * nothing of the kind, so only the .ours program exists. A child process makes known calls with
 * the variable set; the parent reads the trace back and finds each call, in order. */
static int trace_child(const char *action);
#define KM_HEAP_CHILD trace_child
#include "heap_test.h"

#include "km_json_check.h"

#include <stdio.h>
#include <wchar.h>

#define THREAD_CALLS 3000 /* more than a thread's buffer holds before it writes */

static DWORD WINAPI allocate_and_free(void *context)
{
    (void)context;
    for (int i = 0; i < THREAD_CALLS / 2; i++)
        HeapFree(GetProcessHeap(), 0, HeapAlloc(GetProcessHeap(), 0, 4321));
    return 0;
}

/* "calls": one of every traced call, a failing one among them, and a thread of its own;
 * "pairs N": N allocation and free pairs, to time tracing. */
static int trace_child(const char *action)
{
    if (strncmp(action, "pairs", 5) == 0) {
        long pairs = atol(action + 6);
        HANDLE heap = GetProcessHeap();
        for (long i = 0; i < pairs; i++)
            HeapFree(heap, 0, HeapAlloc(heap, 0, 16 + (SIZE_T)(i % 64) * 8));
        return 0;
    }
    if (strcmp(action, "calls") != 0)
        return 2;
    HANDLE heap = HeapCreate(0, 0, 0);
    char *block = HeapAlloc(heap, HEAP_ZERO_MEMORY, 100);
    block = HeapReAlloc(heap, 0, block, 200);
    if (!heap || !block || HeapSize(heap, 0, block) != 200 || !HeapValidate(heap, 0, NULL))
        return 3;
    SetLastError(0);
    if (HeapFree(heap, 0, (void *)(uintptr_t)0x12340) || GetLastError() != ERROR_INVALID_PARAMETER)
        return 4;
    HeapFree(heap, 0, block);
    HeapCompact(heap, 0);
    SetLastError(0);
    if (HeapAlloc(heap, 0, (SIZE_T)-64) || GetLastError() != ERROR_NOT_ENOUGH_MEMORY)
        return 6;
    HeapDestroy(heap);
    HANDLE thread = CreateThread(NULL, 0, allocate_and_free, NULL, 0, NULL);
    if (!thread || WaitForSingleObject(thread, 30000) != WAIT_OBJECT_0)
        return 5;
    CloseHandle(thread);
    return 0;
}

/* The trace of a child run with KM_TRACE=<temp>\km_trace_test-%p.jsonl, read and deleted. */
static char *trace_of_child(const char *action, DWORD *pid)
{
    WCHAR temp[MAX_PATH], pattern[MAX_PATH], path[MAX_PATH];
    assert_true(GetTempPathW(MAX_PATH, temp) > 0);
    swprintf(pattern, MAX_PATH, L"%lskm_trace_test-%%p.jsonl", temp);
    char program[MAX_PATH], command[2 * MAX_PATH];
    assert_true(GetModuleFileNameA(NULL, program, sizeof program) > 0);
    snprintf(command, sizeof command, "\"%s\" %s", program, action);
    SetEnvironmentVariableW(L"KM_TRACE", pattern);
    STARTUPINFOA startup = {.cb = sizeof startup};
    PROCESS_INFORMATION child;
    assert_true(CreateProcessA(NULL, command, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &child));
    SetEnvironmentVariableW(L"KM_TRACE", NULL);
    assert_int_equal(WaitForSingleObject(child.hProcess, 60000), WAIT_OBJECT_0);
    DWORD code = 1;
    assert_true(GetExitCodeProcess(child.hProcess, &code));
    assert_int_equal(code, 0);
    CloseHandle(child.hThread);
    CloseHandle(child.hProcess);
    *pid = child.dwProcessId;
    swprintf(path, MAX_PATH, L"%lskm_trace_test-%lu.jsonl", temp, (unsigned long)*pid);
    char *text = km_read_text_file(path);
    assert_non_null(text);
    DeleteFileW(path);
    return text;
}

typedef struct line {
    const char *text;
    size_t length;
    unsigned long long seq;
    unsigned long thread;
} line;

/* Splits the trace into lines after the header, each checked to be JSON, sorted by seq. */
static size_t lines_of(char *trace, line *lines, size_t capacity)
{
    size_t count = 0;
    char *at = strchr(trace, '\n') + 1;
    while (*at) {
        char *end = strchr(at, '\n');
        assert_non_null(end);
        assert_true(km_json_is_well_formed(at, (size_t)(end - at)));
        assert_true(count < capacity);
        line *l = &lines[count++];
        l->text = at;
        l->length = (size_t)(end - at);
        assert_int_equal(sscanf(at, "{\"seq\":%llu,", &l->seq), 1);
        const char *thread = strstr(at, "\"thread\":");
        assert_true(thread && thread < end);
        l->thread = strtoul(thread + 9, NULL, 10);
        at = end + 1;
    }
    /* Insertion sort: the file is in per-thread batches, nearly sorted already. */
    for (size_t i = 1; i < count; i++)
        for (size_t j = i; j > 0 && lines[j - 1].seq > lines[j].seq; j--) {
            line swap = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = swap;
        }
    return count;
}

/* Whether the line (which runs on into the next ones) has needle. */
static bool line_has(const line *l, const char *needle)
{
    char copy[512];
    size_t n = l->length < sizeof copy - 1 ? l->length : sizeof copy - 1;
    memcpy(copy, l->text, n);
    copy[n] = 0;
    return strstr(copy, needle) != NULL;
}

/* The first line at or after *from, of the given thread, whose text has every needle. */
static void expect_next(const line *lines, size_t count, size_t *from, unsigned long thread,
                        const char *needle, const char *more)
{
    for (size_t i = *from; i < count; i++) {
        if (lines[i].thread != thread)
            continue;
        if (!line_has(&lines[i], needle) || (more && !line_has(&lines[i], more)))
            fail_msg("line %zu: \"%.*s\" where %s %s was expected", i, (int)lines[i].length,
                     lines[i].text, needle, more ? more : "");
        *from = i + 1;
        return;
    }
    fail_msg("no line with %s", needle);
}

static void a_trace_has_every_call_in_order_with_its_result_and_error(void **state)
{
    (void)state;
    DWORD pid;
    char *trace = trace_of_child("calls", &pid);
    char header[120];
    snprintf(header, sizeof header,
             "{\"format\":\"kernel32_mem.trace\",\"version\":1,\"pid\":%lu,\"pointer_bits\":%u}\n",
             (unsigned long)pid, (unsigned)(sizeof(void *) * 8));
    assert_memory_equal(trace, header, strlen(header));

    static line lines[20000];
    size_t count = lines_of(trace, lines, KM_ARRAY_SIZE(lines));
    for (size_t i = 1; i < count; i++)
        assert_true(lines[i].seq > lines[i - 1].seq);
    /* The C runtime makes heap calls of its own: the child's begin with the last HeapCreate
     * before its HeapAlloc(HEAP_ZERO_MEMORY, 100), on that call's thread. */
    size_t at = 0;
    while (at < count && !line_has(&lines[at], "\"args\":{\"flags\":8,\"size\":100}"))
        at++;
    assert_true(at < count);
    unsigned long main_thread = lines[at].thread;
    while (at > 0 &&
           !(lines[at].thread == main_thread && line_has(&lines[at], "\"export\":\"HeapCreate\"")))
        at--;
    expect_next(lines, count, &at, main_thread,
                "\"export\":\"HeapCreate\",\"heap\":\"0x0\","
                "\"args\":{\"options\":0,\"initial\":0,\"maximum\":0}",
                NULL);
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapAlloc\"",
                "\"args\":{\"flags\":8,\"size\":100}");
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapReAlloc\"", "\"size\":200}");
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapSize\"", "\"result\":200,");
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapValidate\"",
                "\"block\":\"0x0\"},\"result\":1,");
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapFree\"",
                "\"block\":\"0x12340\"},\"result\":0,\"error\":87}");
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapFree\"", "\"result\":1,");
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapCompact\"", NULL);
    /* A size from 2^63 up reads as the signed number of its bits: JSON readers keep 64-bit
     * integers. */
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapAlloc\"",
                "\"size\":-64},\"result\":\"0x0\",\"error\":8}");
    expect_next(lines, count, &at, main_thread, "\"export\":\"HeapDestroy\"", "\"result\":1,");
    /* The other thread's calls, every one of them, after the main thread's. */
    size_t others = 0;
    for (size_t i = at; i < count; i++)
        if (lines[i].thread != main_thread && line_has(&lines[i], "\"size\":4321}"))
            others++;
    assert_int_equal(others, THREAD_CALLS / 2);
    free(trace);
}

KM_HEAP_MAIN(cmocka_unit_test(a_trace_has_every_call_in_order_with_its_result_and_error))
