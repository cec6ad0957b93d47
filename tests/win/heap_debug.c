/* The debug heap: Windows' gflags heap modes, read from the process's NtGlobalFlag (set through
 * Image File Execution Options, as gflags does), and kernel32_mem's KM_HEAP_DEBUG, which sets
 * the same modes without the registry. Each case runs in a child process started with the mode
 * on: an overflow of one byte past a 64-byte request, then a free of the block. */
static int debug_child(const char *action);
#define KM_HEAP_CHILD debug_child
#include "heap_test.h"

/* Exits 0 when the free succeeded (the overflow went unseen), 1 when it failed; a heap that
 * ends the process on corruption ends it with STATUS_HEAP_CORRUPTION instead. */
static int debug_child(const char *action)
{
    if (strcmp(action, "overflow-by-one") != 0)
        return 2;
    HANDLE heap = HeapCreate(0, 0, 0);
    unsigned char *block = HeapAlloc(heap, 0, 64);
    if (!block)
        return 3;
    block[64] ^= 0x5a;
    return HeapFree(heap, 0, block) ? 0 : 1;
}

static const char image_options[] =
    "Software\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\";

/* This program's file name, as Image File Execution Options keys name a program. */
static const char *own_file_name(void)
{
    static char path[MAX_PATH];
    GetModuleFileNameA(NULL, path, MAX_PATH);
    const char *name = strrchr(path, '\\');
    return name ? name + 1 : path;
}

/* Runs the child with GlobalFlag set for this program's name; 0xffffffff if the key could not
 * be written (no rights to HKLM). */
static DWORD child_with_global_flag(DWORD flags)
{
    char key_name[MAX_PATH];
    snprintf(key_name, sizeof key_name, "%s%s", image_options, own_file_name());
    HKEY key;
    if (RegCreateKeyExA(HKEY_LOCAL_MACHINE, key_name, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key,
                        NULL) != ERROR_SUCCESS)
        return 0xffffffff;
    RegSetValueExA(key, "GlobalFlag", 0, REG_DWORD, (const BYTE *)&flags, sizeof flags);
    RegCloseKey(key);
    DWORD code = km_exit_code_of_child("overflow-by-one");
    RegDeleteKeyA(HKEY_LOCAL_MACHINE, key_name);
    return code;
}

static DWORD child_with_debug_variable(const char *modes)
{
    SetEnvironmentVariableA("KM_HEAP_DEBUG", modes);
    DWORD code = km_exit_code_of_child("overflow-by-one");
    SetEnvironmentVariableA("KM_HEAP_DEBUG", NULL);
    return code;
}

/* What a 64-bit process with tail checking answers: Windows ends it (termination on corruption
 * is on for 64-bit processes); a 32-bit one fails the free. */
static DWORD tail_check_exit_code(void)
{
    return sizeof(void *) == 8 ? 0xC0000374 : 1;
}

static void without_a_mode_an_exact_fit_overflow_goes_unseen(void **state)
{
    (void)state;
    if (!KM_TEST_SIDE_OURS)
        skip(); /* where the system heap's blocks end is its own business */
    assert_int_equal(child_with_debug_variable(NULL), 0);
}

static void tail_checking_from_global_flag_finds_the_overflow(void **state)
{
    (void)state;
    DWORD code = child_with_global_flag(0x10); /* FLG_HEAP_ENABLE_TAIL_CHECK */
    if (code == 0xffffffff)
        skip(); /* Image File Execution Options cannot be written here */
    /* Wine 8's HeapFree succeeds on the damaged block here, and the process goes on. */
    assert_int_equal(code, KM_SYSTEM_IS_WINE ? 0 : tail_check_exit_code());
}

static void tail_checking_from_km_heap_debug_finds_the_overflow(void **state)
{
    (void)state;
    if (!KM_TEST_SIDE_OURS)
        skip(); /* kernel32_mem's own switch */
    assert_int_equal(child_with_debug_variable("tail"), tail_check_exit_code());
    assert_int_equal(child_with_debug_variable("validate,tail,all"), tail_check_exit_code());
}

/* The page heap from GlobalFlag (gflags' hpa): the write past the block faults. */
static void the_page_heap_from_global_flag_faults_on_the_overflow(void **state)
{
    (void)state;
    DWORD code = child_with_global_flag(0x02000000); /* FLG_HEAP_PAGE_ALLOCS */
    if (code == 0xffffffff)
        skip(); /* Image File Execution Options cannot be written here */
    /* Wine 8's heap has no page heap: there the overflow goes unseen. */
    assert_int_equal(code, KM_SYSTEM_IS_WINE ? 0 : 0xC0000005);
}

/* The page heap: the byte past the block is an inaccessible page, so the write itself faults. */
static void the_page_heap_faults_on_the_overflowing_write(void **state)
{
    (void)state;
    if (!KM_TEST_SIDE_OURS)
        skip(); /* kernel32_mem's own switch */
    assert_int_equal(child_with_debug_variable("page"), 0xC0000005);
}

KM_HEAP_MAIN(cmocka_unit_test(without_a_mode_an_exact_fit_overflow_goes_unseen),
             cmocka_unit_test(tail_checking_from_global_flag_finds_the_overflow),
             cmocka_unit_test(tail_checking_from_km_heap_debug_finds_the_overflow),
             cmocka_unit_test(the_page_heap_faults_on_the_overflowing_write),
             cmocka_unit_test(the_page_heap_from_global_flag_faults_on_the_overflow))
