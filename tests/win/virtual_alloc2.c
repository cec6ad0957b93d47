/* Windows 10's memory functions with extended parameters and the app-model ones: VirtualAlloc2
 * with an alignment requirement, VirtualAllocFromApp refusing executable memory,
 * MapViewOfFile3 and UnmapViewOfFile2, and QueryVirtualMemoryInformation. Their import
 * libraries are newer than this toolchain's, so each side's function is looked up in its own
 * module (kernel32_mem.dll; the system's kernel32 or kernelbase). */
#include "virtual_test.h"

/* The region's first fields, as WIN32_MEMORY_REGION_INFORMATION lays them out. */
typedef struct region_information {
    PVOID allocation_base;
    ULONG allocation_protect;
    ULONG flags;
    SIZE_T region_size;
    SIZE_T commit_size;
} region_information;

static FARPROC side_function(const char *name)
{
    FARPROC function = NULL;
    if (KM_TEST_SIDE_OURS) {
        function = GetProcAddress(GetModuleHandleW(L"kernel32_mem.dll"), name);
    } else {
        function = GetProcAddress(GetModuleHandleW(L"kernel32.dll"), name);
        if (!function)
            function = GetProcAddress(LoadLibraryW(L"kernelbase.dll"), name);
    }
    assert_non_null(function);
    return function;
}

typedef PVOID(WINAPI *virtual_alloc2_fn)(HANDLE, PVOID, SIZE_T, ULONG, ULONG,
                                         MEM_EXTENDED_PARAMETER *, ULONG);
typedef PVOID(WINAPI *virtual_alloc_from_app_fn)(PVOID, SIZE_T, ULONG, ULONG);
typedef PVOID(WINAPI *map_view_of_file3_fn)(HANDLE, HANDLE, PVOID, ULONG64, SIZE_T, ULONG, ULONG,
                                            MEM_EXTENDED_PARAMETER *, ULONG);
typedef BOOL(WINAPI *unmap_view_of_file2_fn)(HANDLE, PVOID, ULONG);
typedef BOOL(WINAPI *query_virtual_memory_information_fn)(HANDLE, const VOID *, int, PVOID, SIZE_T,
                                                          PSIZE_T);

static void virtual_alloc2_honours_an_alignment_requirement(void **state)
{
    (void)state;
    virtual_alloc2_fn alloc2 = (virtual_alloc2_fn)(void *)side_function("VirtualAlloc2");
    MEM_ADDRESS_REQUIREMENTS requirements = {.Alignment = 0x100000};
    MEM_EXTENDED_PARAMETER parameter = {.Type = MemExtendedParameterAddressRequirements,
                                        .Pointer = &requirements};
    km_reset_last_error();
    char *memory =
        alloc2(NULL, NULL, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, &parameter, 1);
    assert_non_null(memory);
    assert_int_equal((ULONG_PTR)memory % 0x100000, 0);
    memory[0xffff] = 1;
    assert_true(VirtualFree(memory, 0, MEM_RELEASE));
    char *plain =
        alloc2(GetCurrentProcess(), NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, NULL, 0);
    assert_non_null(plain);
    assert_true(VirtualFree(plain, 0, MEM_RELEASE));
}

static void virtual_alloc_from_app_refuses_executable_memory(void **state)
{
    (void)state;
    virtual_alloc_from_app_fn from_app =
        (virtual_alloc_from_app_fn)(void *)side_function("VirtualAllocFromApp");
    char *data = from_app(NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(data);
    assert_true(VirtualFree(data, 0, MEM_RELEASE));
    km_reset_last_error();
    assert_null(from_app(NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE));
    assert_last_error(ERROR_INVALID_PARAMETER);
}

static void map_view_of_file3_maps_and_unmap_view_of_file2_unmaps(void **state)
{
    (void)state;
    map_view_of_file3_fn map3 = (map_view_of_file3_fn)(void *)side_function("MapViewOfFile3");
    unmap_view_of_file2_fn unmap2 =
        (unmap_view_of_file2_fn)(void *)side_function("UnmapViewOfFile2");
    HANDLE mapping =
        CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x10000, NULL);
    assert_non_null(mapping);
    char *view = map3(mapping, GetCurrentProcess(), NULL, 0, 0, 0, PAGE_READWRITE, NULL, 0);
    assert_non_null(view);
    view[0] = 1;
    MEMORY_BASIC_INFORMATION info;
    assert_int_equal(VirtualQuery(view, &info, sizeof info), sizeof info);
    assert_int_equal(info.Type, MEM_MAPPED);
    assert_true(unmap2(GetCurrentProcess(), view, 0));
    assert_int_equal(VirtualQuery(view, &info, sizeof info), sizeof info);
    assert_int_equal(info.State, MEM_FREE);
    CloseHandle(mapping);
}

/* Extended parameters are the caller's memory: missing, unreadable, unknown or absurd ones are
 * refused with an error, never followed. */
static void bad_extended_parameters_are_refused(void **state)
{
    (void)state;
    virtual_alloc2_fn alloc2 = (virtual_alloc2_fn)(void *)side_function("VirtualAlloc2");
    MEM_EXTENDED_PARAMETER unknown = {.Type = 99};
    MEM_ADDRESS_REQUIREMENTS odd = {.Alignment = 0x12345};
    MEM_EXTENDED_PARAMETER odd_alignment = {.Type = MemExtendedParameterAddressRequirements,
                                            .Pointer = &odd};
    MEM_EXTENDED_PARAMETER unreadable = {.Type = MemExtendedParameterAddressRequirements,
                                         .Pointer = (void *)(ULONG_PTR)0x10};
    const struct {
        MEM_EXTENDED_PARAMETER *parameters;
        ULONG count;
        DWORD error;
    } cases[] = {
        {NULL, 1, ERROR_INVALID_PARAMETER},
        {(MEM_EXTENDED_PARAMETER *)(ULONG_PTR)0x10, 1, ERROR_NOACCESS},
        {&unknown, 1, ERROR_INVALID_PARAMETER},
        {&odd_alignment, 1, ERROR_INVALID_PARAMETER},
        {&unreadable, 1, ERROR_NOACCESS},
        {&odd_alignment, 0x7fffffff, ERROR_INVALID_PARAMETER},
    };
    for (size_t i = 0; i < KM_ARRAY_SIZE(cases); i++) {
        km_reset_last_error();
        void *memory = alloc2(NULL, NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                              cases[i].parameters, cases[i].count);
        if (memory || GetLastError() != cases[i].error)
            fail_msg("case %zu: %p, error %lu where NULL and %lu were expected", i, memory,
                     GetLastError(), cases[i].error);
    }
    map_view_of_file3_fn map3 = (map_view_of_file3_fn)(void *)side_function("MapViewOfFile3");
    km_reset_last_error();
    assert_null(map3((HANDLE)(ULONG_PTR)0x1234, GetCurrentProcess(), NULL, 0, 0, 0,
                     PAGE_READWRITE, NULL, 0));
    assert_last_error(ERROR_INVALID_HANDLE);
    /* MapViewOfFile3 with bad extended parameters: Wine 8's ntdll maps the view and ignores
     * them, where Windows refuses them; kernel32_mem passes the kernel's answer on, so no
     * expectation is pinned here. */
}

static void query_virtual_memory_information_describes_a_region(void **state)
{
    (void)state;
    query_virtual_memory_information_fn query =
        (query_virtual_memory_information_fn)(void *)side_function("QueryVirtualMemoryInformation");
    char *memory = VirtualAlloc(NULL, 0x20000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(memory);
    assert_non_null(VirtualAlloc(memory, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    region_information info = {0};
    SIZE_T returned = 0;
    assert_true(query(GetCurrentProcess(), memory + 0x100, 0, &info, sizeof info, &returned));
    assert_ptr_equal(info.allocation_base, memory);
    /* RegionSize is the whole allocation's on Windows (0x20000) and its flags say private; Wine
     * 8's ntdll answers the committed region's size (0x1000) and no flags. */
    if (km_running_under_wine()) {
        assert_int_equal(info.region_size, 0x1000);
    } else {
        assert_int_equal(info.region_size, 0x20000);
        assert_true(info.flags & 1);
    }
    assert_true(VirtualFree(memory, 0, MEM_RELEASE));
}

int main(void)
{
    const km_export exports[] = KM_VIRTUAL_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(virtual_alloc2_honours_an_alignment_requirement),
        cmocka_unit_test(virtual_alloc_from_app_refuses_executable_memory),
        cmocka_unit_test(map_view_of_file3_maps_and_unmap_view_of_file2_unmaps),
        cmocka_unit_test(query_virtual_memory_information_describes_a_region),
        cmocka_unit_test(bad_extended_parameters_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
