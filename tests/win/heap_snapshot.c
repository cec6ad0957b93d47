/* Heap snapshots, kernel32_mem's own extension (its README's "Inspecting a heap"): KmHeapSnapshot,
 * KM_SNAPSHOT at exit, and the named event a second program sets to ask a running one. The
 * system kernel32 has none of this, so only the .ours program exists. Every snapshot read back
 * must be well-formed JSON in the documented shape, naming the blocks the program made. */
static int snapshot_child(const char *action);
#define KM_HEAP_CHILD snapshot_child
#include "heap_test.h"

#include "kernel32_mem.h"
#include "km_json_check.h"

#include <stdio.h>
#include <wchar.h>

#define CHILD_BLOCK_SIZE 4242
#define QUIT_EVENT L"Local\\kernel32_mem.snapshot_test.quit"
#define READY_EVENT L"Local\\kernel32_mem.snapshot_test.ready"

/* A folder of this test's own under the temporary folder; each snapshot is deleted once read. */
static const WCHAR *folder(void)
{
    static WCHAR path[MAX_PATH];
    if (!path[0]) {
        WCHAR temp[MAX_PATH];
        assert_true(GetTempPathW(MAX_PATH, temp) > 0);
        swprintf(path, MAX_PATH, L"%lskm_snapshot_test", temp);
        CreateDirectoryW(path, NULL);
    }
    return path;
}

static void path_in_folder(WCHAR *path, const WCHAR *name)
{
    swprintf(path, MAX_PATH, L"%ls\\%ls", folder(), name);
}

/* Reads a snapshot, checks it is JSON with the documented head, and returns it (free it). */
static char *read_snapshot(const WCHAR *path, const char *reason, DWORD pid)
{
    char *text = km_read_text_file(path);
    assert_non_null(text);
    DeleteFileW(path);
    assert_true(km_json_is_well_formed(text, strlen(text)));
    char head[200];
    snprintf(head, sizeof head,
             "{\"format\":\"kernel32_mem.snapshot\",\"version\":1,\"producer\":"
             "\"kernel32_mem.dll\",\"reason\":\"%s\",\"pid\":%lu,\"pointer_bits\":%u,",
             reason, (unsigned long)pid, (unsigned)(sizeof(void *) * 8));
    assert_memory_equal(text, head, strlen(head));
    return text;
}

static void expect_contains(const char *text, const char *format, ...)
{
    char needle[300];
    va_list args;
    va_start(args, format);
    vsnprintf(needle, sizeof needle, format, args);
    va_end(args);
    if (!strstr(text, needle))
        fail_msg("the snapshot lacks %s", needle);
}

/* "0x..." as the snapshot writes an address. */
static const char *hex(const void *address, char *buffer)
{
    sprintf(buffer, "0x%llx", (unsigned long long)(uintptr_t)address);
    return buffer;
}

/* The check the snapshots are read with can fail. */
static void the_json_check_refuses_malformed_text(void **state)
{
    (void)state;
    const char *bad[] = {"",         "{",    "{\"a\":1,}", "[1 2]",     "{\"a\" 1}", "[01]",
                         "\"\x01\"", "[1.]", "{} {}",      "[\"\\x\"]", "tru"};
    for (size_t i = 0; i < KM_ARRAY_SIZE(bad); i++)
        if (km_json_is_well_formed(bad[i], strlen(bad[i])))
            fail_msg("taken for JSON: %s", bad[i]);
    const char *good = " {\"a\":[1,-2.5e3,true,false,null,\"\\u00e9\\n\"],\"b\":{}} ";
    assert_true(km_json_is_well_formed(good, strlen(good)));
}

static void a_snapshot_of_every_heap_names_blocks_heaps_and_handles(void **state)
{
    (void)state;
    HANDLE heap = create_heap(0, 0, 0);
    void *block = alloc_block(GetProcessHeap(), 0, 100);
    void *span = alloc_block(heap, 0, 300000);
    HGLOBAL moveable = GlobalAlloc(GMEM_MOVEABLE, 50);
    assert_non_null(GlobalLock(moveable));
    WCHAR path[MAX_PATH];
    path_in_folder(path, L"all.json");
    km_reset_last_error();
    assert_true(KmHeapSnapshot(NULL, path));
    assert_int_equal(GetLastError(), KM_SENTINEL_ERROR);

    char *text = read_snapshot(path, "request", GetCurrentProcessId());
    char a[32], b[32];
    expect_contains(text, "{\"handle\":\"%s\",\"process_heap\":true,", hex(GetProcessHeap(), a));
    expect_contains(text, "{\"handle\":\"%s\",\"process_heap\":false,", hex(heap, a));
    expect_contains(text,
                    "{\"address\":\"%s\",\"size\":112,\"requested\":100,\"state\":\"busy\","
                    "\"seal\":\"intact\"}",
                    hex(block, a));
    expect_contains(text, "\"kind\":\"span\"");
    expect_contains(text, "{\"address\":\"%s\",\"size\":", hex(span, a));
    expect_contains(text, "\"requested\":300000,\"state\":\"busy\",\"seal\":\"none\"}");
    expect_contains(text,
                    "{\"handle\":\"%s\",\"pointer\":\"%s\",\"locks\":1,\"flags\":"
                    "[\"moveable\"],\"size\":50}",
                    hex(moveable, a), hex(GlobalLock(moveable), b));
    free(text);
    GlobalUnlock(moveable);
    GlobalUnlock(moveable);
    GlobalFree(moveable);
    HeapFree(GetProcessHeap(), 0, block);
    destroy_heap(heap);
}

static void a_snapshot_of_one_heap_has_that_heap_alone(void **state)
{
    (void)state;
    HANDLE heap = create_heap(HEAP_NO_SERIALIZE, 0, 0);
    void *block = alloc_block(heap, 0, 24);
    WCHAR path[MAX_PATH];
    path_in_folder(path, L"one.json");
    assert_true(KmHeapSnapshot(heap, path));
    char *text = read_snapshot(path, "request", GetCurrentProcessId());
    char a[32];
    expect_contains(text,
                    "\"heaps\":[{\"handle\":\"%s\",\"process_heap\":false,\"flags\":"
                    "[\"no_serialize\"],",
                    hex(heap, a));
    expect_contains(text, "\"complete\":true,");
    expect_contains(text, "{\"address\":\"%s\",\"size\":32,\"requested\":24,", hex(block, a));
    expect_contains(text, "}],\"handles\":[]}");
    assert_null(strstr(text, "\"process_heap\":true"));
    free(text);
    destroy_heap(heap);
}

static void bad_arguments_get_clear_errors(void **state)
{
    (void)state;
    WCHAR path[MAX_PATH];
    path_in_folder(path, L"bad.json");
    km_reset_last_error();
    assert_false(KmHeapSnapshot(NULL, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    km_reset_last_error();
    assert_false(KmHeapSnapshot(NULL, L""));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    km_reset_last_error();
    assert_false(KmHeapSnapshot((HANDLE)(uintptr_t)0x12340, path));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    HANDLE destroyed = create_heap(0, 0, 0);
    destroy_heap(destroyed);
    km_reset_last_error();
    assert_false(KmHeapSnapshot(destroyed, path));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    WCHAR missing[MAX_PATH];
    path_in_folder(missing, L"no such folder\\x.json");
    km_reset_last_error();
    assert_false(KmHeapSnapshot(NULL, missing));
    assert_int_equal(GetLastError(), ERROR_PATH_NOT_FOUND);
}

typedef struct churn {
    volatile LONG stop;
    LONG cycles;
} churn;

static DWORD WINAPI create_and_destroy_heaps(void *context)
{
    churn *c = context;
    while (!c->stop) {
        HANDLE heap = HeapCreate(0, 0, 0);
        for (int i = 0; i < 50; i++)
            HeapAlloc(heap, 0, 16 + (SIZE_T)i * 40);
        HeapLock(heap);
        HeapUnlock(heap);
        HeapDestroy(heap);
        c->cycles++;
    }
    return 0;
}

/* HeapDestroy on one thread while snapshots of every heap are taken on another: no snapshot
 * reads a heap being released, and each is whole. */
static void snapshots_race_heap_destruction_safely(void **state)
{
    (void)state;
    churn c = {0, 0};
    HANDLE thread = CreateThread(NULL, 0, create_and_destroy_heaps, &c, 0, NULL);
    assert_non_null(thread);
    WCHAR path[MAX_PATH];
    path_in_folder(path, L"race.json");
    for (int i = 0; i < 40; i++) {
        assert_true(KmHeapSnapshot(NULL, path));
        char *text = read_snapshot(path, "request", GetCurrentProcessId());
        free(text);
    }
    c.stop = 1;
    assert_int_equal(WaitForSingleObject(thread, 30000), WAIT_OBJECT_0);
    CloseHandle(thread);
    assert_true(c.cycles > 0);
}

/* The child's part: a block of CHILD_BLOCK_SIZE, then, for "wait", waiting to be told to quit
 * while the parent asks for a snapshot through the named event. */
static int snapshot_child(const char *action)
{
    void *block = HeapAlloc(GetProcessHeap(), 0, CHILD_BLOCK_SIZE);
    HANDLE unserialized = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    if (!block || !unserialized || !HeapAlloc(unserialized, 0, 10))
        return 3;
    if (strcmp(action, "wait") == 0) {
        HANDLE ready = OpenEventW(EVENT_MODIFY_STATE, FALSE, READY_EVENT);
        HANDLE quit = OpenEventW(SYNCHRONIZE, FALSE, QUIT_EVENT);
        if (!ready || !quit || !SetEvent(ready) ||
            WaitForSingleObject(quit, 30000) != WAIT_OBJECT_0)
            return 4;
        CloseHandle(ready);
        CloseHandle(quit);
    } else if (strcmp(action, "exit") != 0) {
        return 2;
    }
    return 0;
}

static PROCESS_INFORMATION start_child(const char *action, const WCHAR *pattern)
{
    char program[MAX_PATH], command[2 * MAX_PATH];
    assert_true(GetModuleFileNameA(NULL, program, sizeof program) > 0);
    snprintf(command, sizeof command, "\"%s\" %s", program, action);
    SetEnvironmentVariableW(L"KM_SNAPSHOT", pattern);
    STARTUPINFOA startup = {.cb = sizeof startup};
    PROCESS_INFORMATION child;
    assert_true(CreateProcessA(NULL, command, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &child));
    SetEnvironmentVariableW(L"KM_SNAPSHOT", NULL);
    return child;
}

static void finish_child(PROCESS_INFORMATION *child)
{
    assert_int_equal(WaitForSingleObject(child->hProcess, 30000), WAIT_OBJECT_0);
    DWORD code = 1;
    assert_true(GetExitCodeProcess(child->hProcess, &code));
    assert_int_equal(code, 0);
    CloseHandle(child->hThread);
    CloseHandle(child->hProcess);
}

static void expect_child_block(const char *text)
{
    expect_contains(text, "\"requested\":%u,\"state\":\"busy\"", CHILD_BLOCK_SIZE);
}

static void km_snapshot_writes_one_at_exit(void **state)
{
    (void)state;
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    path_in_folder(pattern, L"exit-%p.json");
    PROCESS_INFORMATION child = start_child("exit", pattern);
    DWORD pid = child.dwProcessId;
    finish_child(&child);
    swprintf(path, MAX_PATH, L"%ls\\exit-%lu.json", folder(), (unsigned long)pid);
    char *text = read_snapshot(path, "exit", pid);
    expect_child_block(text);
    free(text);
}

static HANDLE open_event_of(DWORD pid, const WCHAR *suffix)
{
    WCHAR name[80];
    swprintf(name, 80, L"Local\\kernel32_mem.snapshot.%lu%ls", (unsigned long)pid, suffix);
    /* The child makes the events as kernel32_mem loads: give it time to start. */
    for (int tries = 0; tries < 1000; tries++) {
        HANDLE event = OpenEventW(EVENT_MODIFY_STATE | SYNCHRONIZE, FALSE, name);
        if (event)
            return event;
        Sleep(10);
    }
    fail_msg("no event %ls", name);
    return NULL;
}

static void the_named_event_asks_a_running_program_for_one(void **state)
{
    (void)state;
    HANDLE quit = CreateEventW(NULL, TRUE, FALSE, QUIT_EVENT);
    HANDLE ready = CreateEventW(NULL, TRUE, FALSE, READY_EVENT);
    assert_non_null(quit);
    assert_non_null(ready);
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    path_in_folder(pattern, L"event-%p-%n.json");
    PROCESS_INFORMATION child = start_child("wait", pattern);
    DWORD pid = child.dwProcessId;
    HANDLE request = open_event_of(pid, L"");
    HANDLE done = open_event_of(pid, L".done");
    /* Its blocks are made once it says so: the events exist from the moment the DLL loads. */
    assert_int_equal(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
    for (int i = 0; i < 2; i++) {
        assert_true(SetEvent(request));
        assert_int_equal(WaitForSingleObject(done, 30000), WAIT_OBJECT_0);
        swprintf(path, MAX_PATH, L"%ls\\event-%lu-%d.json", folder(), (unsigned long)pid, i);
        char *text = read_snapshot(path, "event", pid);
        expect_child_block(text);
        /* Our thread does not read a heap its owner serializes: its totals alone. */
        expect_contains(text, "\"flags\":[\"no_serialize\"],");
        expect_contains(text, "\"complete\":false,");
        free(text);
    }
    assert_true(SetEvent(quit));
    finish_child(&child);
    swprintf(path, MAX_PATH, L"%ls\\event-%lu-2.json", folder(), (unsigned long)pid);
    char *text = read_snapshot(path, "exit", pid);
    free(text);
    CloseHandle(request);
    CloseHandle(done);
    CloseHandle(ready);
    CloseHandle(quit);
}

KM_HEAP_MAIN(cmocka_unit_test(the_json_check_refuses_malformed_text),
             cmocka_unit_test(a_snapshot_of_every_heap_names_blocks_heaps_and_handles),
             cmocka_unit_test(a_snapshot_of_one_heap_has_that_heap_alone),
             cmocka_unit_test(bad_arguments_get_clear_errors),
             cmocka_unit_test(snapshots_race_heap_destruction_safely),
             cmocka_unit_test(km_snapshot_writes_one_at_exit),
             cmocka_unit_test(the_named_event_asks_a_running_program_for_one))
