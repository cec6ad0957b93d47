/*
 * Global and Local memory crossing between modules, both ways: handles and blocks the system
 * made (FormatMessage's buffer, an HGLOBAL of the system's own GlobalAlloc) given to the
 * exports under test, and handles the program made given to system DLLs that lock, size, grow
 * and free them (an OLE stream over an HGLOBAL, an HDROP). No data is lost and nothing leaks.
 */
#define COBJMACROS
#include "globallocal_test.h"
#include "km_foreign.h"

#include <objbase.h>
#include <shellapi.h>
#include <shlobj.h>

static void a_format_message_buffer_is_freed_by_local_free(void **state)
{
    (void)state;
    WCHAR *text = NULL;
    DWORD length = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                      FORMAT_MESSAGE_IGNORE_INSERTS,
                                  NULL, ERROR_FILE_NOT_FOUND, 0, (WCHAR *)&text, 0, NULL);
    assert_true(length > 0);
    assert_int_equal(LocalSize(text) >= (length + 1) * sizeof(WCHAR), TRUE);
    km_reset_last_error();
    assert_null(LocalFree(text));
    assert_last_error(KM_SENTINEL_ERROR);
}

static void command_line_to_argv_is_freed_by_local_free(void **state)
{
    (void)state;
    int count = 0;
    WCHAR **arguments = CommandLineToArgvW(L"program one \"two three\"", &count);
    assert_non_null(arguments);
    assert_int_equal(count, 3);
    assert_int_equal(wcscmp(arguments[2], L"two three"), 0);
    assert_null(LocalFree(arguments));
}

static void a_moveable_handle_of_the_system_works_with_every_call(void **state)
{
    (void)state;
    HGLOBAL memory = KM_SYSTEM_KERNEL32(GlobalAlloc)(GMEM_MOVEABLE, 100);
    assert_non_null(memory);
    char *data = GlobalLock(memory);
    assert_non_null(data);
    memset(data, 0x33, 100);
    assert_ptr_equal(GlobalHandle(data), memory);
    assert_int_equal(GlobalFlags(memory) & GMEM_LOCKCOUNT, 1);
    km_reset_last_error();
    assert_false(GlobalUnlock(memory));
    assert_last_error(NO_ERROR);
    assert_int_equal(GlobalSize(memory), 100);
    HGLOBAL grown = GlobalReAlloc(memory, 5000, GMEM_MOVEABLE);
    assert_ptr_equal(grown, memory);
    data = LocalLock(grown);
    assert_non_null(data);
    assert_int_equal(data[99], 0x33);
    LocalUnlock(grown);
    assert_int_equal(LocalSize(grown), 5000);
    km_reset_last_error();
    assert_null(GlobalFree(grown));
    assert_last_error(KM_SENTINEL_ERROR);
}

static void a_fixed_block_of_the_system_works_with_every_call(void **state)
{
    (void)state;
    char *memory = KM_SYSTEM_KERNEL32(LocalAlloc)(LMEM_FIXED, 40);
    assert_non_null(memory);
    assert_ptr_equal(LocalLock(memory), memory);
    assert_ptr_equal(LocalHandle(memory), memory);
    assert_int_equal(LocalSize(memory), 40);
    assert_int_equal(LocalFlags(memory), 0);
    assert_null(LocalFree(memory));
}

static IStream *stream_over(HGLOBAL memory, BOOL delete_on_release)
{
    IStream *stream = NULL;
    assert_int_equal(CreateStreamOnHGlobal(memory, delete_on_release, &stream), S_OK);
    return stream;
}

static void an_ole_stream_hglobal_works_with_every_call(void **state)
{
    (void)state;
    IStream *stream = stream_over(NULL, TRUE);
    ULONG written = 0;
    assert_int_equal(IStream_Write(stream, "made by ole32", 14, &written), S_OK);
    HGLOBAL memory = NULL;
    assert_int_equal(GetHGlobalFromStream(stream, &memory), S_OK);
    const char *data = GlobalLock(memory);
    assert_non_null(data);
    assert_string_equal(data, "made by ole32");
    GlobalUnlock(memory);
    assert_true(GlobalSize(memory) >= 14);
    assert_int_equal(IStream_Release(stream), 0);
}

static void our_hglobal_keeps_its_data_through_an_ole_stream(void **state)
{
    (void)state;
    HGLOBAL memory = moveable(12);
    memcpy(GlobalLock(memory), "hello world", 12);
    GlobalUnlock(memory);

    IStream *stream = stream_over(memory, FALSE);
    char read[12] = "";
    ULONG count = 0;
    assert_int_equal(IStream_Read(stream, read, sizeof(read), &count), S_OK);
    assert_int_equal(count, 12);
    assert_string_equal(read, "hello world");
    STATSTG stat;
    assert_int_equal(IStream_Stat(stream, &stat, STATFLAG_NONAME), S_OK);
    assert_int_equal(stat.cbSize.QuadPart, 12);
    /* Writing past the end makes ole32 grow the block with GlobalReAlloc. */
    static const char tail[4000] = "and more";
    assert_int_equal(IStream_Write(stream, tail, sizeof(tail), &count), S_OK);
    assert_int_equal(IStream_Release(stream), 0);

    assert_true(GlobalSize(memory) >= 12 + sizeof(tail));
    const char *data = GlobalLock(memory);
    assert_string_equal(data, "hello world");
    assert_string_equal(data + 12, "and more");
    GlobalUnlock(memory);
    free_memory(memory);
}

static void our_hglobal_is_read_by_drag_query_file(void **state)
{
    (void)state;
    static const WCHAR names[] = L"C:\\first.txt\0C:\\second one.txt\0";
    HGLOBAL memory = GlobalAlloc(GHND, sizeof(DROPFILES) + sizeof(names));
    assert_non_null(memory);
    DROPFILES *drop = GlobalLock(memory);
    drop->pFiles = sizeof(DROPFILES);
    drop->fWide = TRUE;
    memcpy(drop + 1, names, sizeof(names));
    GlobalUnlock(memory);

    HDROP files = (HDROP)memory;
    assert_int_equal(DragQueryFileW(files, 0xFFFFFFFF, NULL, 0), 2);
    WCHAR name[MAX_PATH];
    assert_int_equal(DragQueryFileW(files, 1, name, MAX_PATH), 17);
    assert_int_equal(wcscmp(name, L"C:\\second one.txt"), 0);
    assert_int_equal(GlobalFlags(memory) & GMEM_LOCKCOUNT, 0);
    DragFinish(files);
}

typedef int (*plugin_mix)(void);
typedef int (*plugin_first_byte)(HGLOBAL memory);

static HMODULE load_plugin(void)
{
    HMODULE plugin = LoadLibraryA("km_plugin.dll");
    assert_non_null(plugin);
    return plugin;
}

/* A DLL loaded later, linked with the system alone: its Local and Heap calls still meet on one
 * process heap, and it reads the program's moveable memory. */
static void a_dll_loaded_later_mixes_local_and_heap_calls_on_one_block(void **state)
{
    (void)state;
    HMODULE plugin = load_plugin();
    plugin_mix mix = (plugin_mix)(void *)GetProcAddress(plugin, "km_plugin_mix_local_and_heap");
    assert_non_null(mix);
    assert_int_equal(mix(), 4);
    FreeLibrary(plugin);
}

static void a_dll_loaded_later_reads_our_moveable_memory(void **state)
{
    (void)state;
    HMODULE plugin = load_plugin();
    plugin_first_byte first_byte =
        (plugin_first_byte)(void *)GetProcAddress(plugin, "km_plugin_first_byte");
    assert_non_null(first_byte);
    HGLOBAL memory = moveable(8);
    *(char *)GlobalLock(memory) = 'z';
    GlobalUnlock(memory);
    assert_int_equal(first_byte(memory), 'z');
    free_memory(memory);
    FreeLibrary(plugin);
}

KM_GLOBALLOCAL_MAIN(cmocka_unit_test(a_format_message_buffer_is_freed_by_local_free),
                    cmocka_unit_test(command_line_to_argv_is_freed_by_local_free),
                    cmocka_unit_test(a_moveable_handle_of_the_system_works_with_every_call),
                    cmocka_unit_test(a_fixed_block_of_the_system_works_with_every_call),
                    cmocka_unit_test(an_ole_stream_hglobal_works_with_every_call),
                    cmocka_unit_test(our_hglobal_keeps_its_data_through_an_ole_stream),
                    cmocka_unit_test(our_hglobal_is_read_by_drag_query_file),
                    cmocka_unit_test(a_dll_loaded_later_mixes_local_and_heap_calls_on_one_block),
                    cmocka_unit_test(a_dll_loaded_later_reads_our_moveable_memory))
