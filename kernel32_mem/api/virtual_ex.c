/*
 * The memory functions of Windows 10's kernelbase that take extended parameters
 * (MEM_EXTENDED_PARAMETER: address requirements, NUMA node) or belong to the app model:
 * VirtualAlloc2(FromApp), VirtualAllocFromApp, MapViewOfFile3, MapViewOfFileFromApp,
 * UnmapViewOfFile2, CreateFileMappingFromApp, OpenFileMappingFromApp and
 * QueryVirtualMemoryInformation. Each passes its request to the NT call made for it, as
 * kernelbase does, and the kernel judges the parameters; the FromApp forms refuse executable
 * memory first, which an app may not allocate.
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/file_mapping.h"
#include "nt/nt_error.h"
#include "nt/nt_section.h"
#include "nt/nt_virtual.h"

/* A NULL process is the calling one. */
static HANDLE process_or_self(HANDLE process)
{
    return process ? process : KM_NT_SELF;
}

static bool is_executable(ULONG protect)
{
    return (protect & (PAGE_EXECUTE | PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE |
                       PAGE_EXECUTE_WRITECOPY)) != 0;
}

static PVOID virtual_alloc2(HANDLE process, PVOID base, SIZE_T size, ULONG type, ULONG protect,
                            MEM_EXTENDED_PARAMETER *parameters, ULONG count)
{
    void *address = base;
    SIZE_T length = size;
    NTSTATUS status = km_nt_virtual_alloc_ex(process_or_self(process), &address, &length, type,
                                             protect, parameters, count);
    /* As VirtualAlloc (virtual.c): anything but success is failure, informational answers
     * included, since they come with no memory. */
    if (status) {
        km_nt_set_last_status(status);
        return NULL;
    }
    return address;
}

PVOID WINAPI VirtualAlloc2(HANDLE process, PVOID base, SIZE_T size, ULONG type, ULONG protect,
                           MEM_EXTENDED_PARAMETER *parameters, ULONG count)
{
    KM_COUNT_CALL(VirtualAlloc2);
    return virtual_alloc2(process, base, size, type, protect, parameters, count);
}

static PVOID refuse_executable(void)
{
    km_nt_set_last_error(ERROR_INVALID_PARAMETER);
    return NULL;
}

PVOID WINAPI VirtualAlloc2FromApp(HANDLE process, PVOID base, SIZE_T size, ULONG type,
                                  ULONG protect, MEM_EXTENDED_PARAMETER *parameters, ULONG count)
{
    KM_COUNT_CALL(VirtualAlloc2FromApp);
    if (is_executable(protect))
        return refuse_executable();
    return virtual_alloc2(process, base, size, type, protect, parameters, count);
}

PVOID WINAPI VirtualAllocFromApp(PVOID base, SIZE_T size, ULONG type, ULONG protect)
{
    KM_COUNT_CALL(VirtualAllocFromApp);
    if (is_executable(protect))
        return refuse_executable();
    return virtual_alloc2(NULL, base, size, type, protect, NULL, 0);
}

PVOID WINAPI MapViewOfFile3(HANDLE mapping, HANDLE process, PVOID base, ULONG64 offset, SIZE_T size,
                            ULONG type, ULONG protect, MEM_EXTENDED_PARAMETER *parameters,
                            ULONG count)
{
    KM_COUNT_CALL(MapViewOfFile3);
    void *view = base;
    SIZE_T length = size;
    NTSTATUS status = km_nt_section_map_ex(mapping, process_or_self(process), &view, offset,
                                           &length, type, protect, parameters, count);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return NULL;
    }
    return view;
}

PVOID WINAPI MapViewOfFileFromApp(HANDLE mapping, ULONG access, ULONG64 offset, SIZE_T size)
{
    KM_COUNT_CALL(MapViewOfFileFromApp);
    return km_file_mapping_map_view(mapping, access, (DWORD)(offset >> 32), (DWORD)offset, size,
                                    NULL, NUMA_NO_PREFERRED_NODE);
}

BOOL WINAPI UnmapViewOfFile2(HANDLE process, PVOID base, ULONG flags)
{
    KM_COUNT_CALL(UnmapViewOfFile2);
    NTSTATUS status = km_nt_section_unmap_from(process_or_self(process), base, flags);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    return TRUE;
}

HANDLE WINAPI CreateFileMappingFromApp(HANDLE file, SECURITY_ATTRIBUTES *security, ULONG protect,
                                       ULONG64 size, PCWSTR name)
{
    KM_COUNT_CALL(CreateFileMappingFromApp);
    return km_file_mapping_create_w(file, security, protect, (DWORD)(size >> 32), (DWORD)size, name,
                                    NUMA_NO_PREFERRED_NODE);
}

HANDLE WINAPI OpenFileMappingFromApp(ULONG access, BOOL inherit, PCWSTR name)
{
    KM_COUNT_CALL(OpenFileMappingFromApp);
    return km_file_mapping_open_w(access, inherit, name);
}

/* WIN32_MEMORY_INFORMATION_CLASS (older headers lack it) has one class, MemoryRegionInfo (0),
 * which is NT's MemoryRegionInformation. */
#define KM_MEMORY_REGION_INFO 0
#define KM_NT_MEMORY_REGION_INFORMATION 3

BOOL WINAPI QueryVirtualMemoryInformation(HANDLE process, const VOID *address, int info_class,
                                          PVOID info, SIZE_T size, PSIZE_T returned)
{
    KM_COUNT_CALL(QueryVirtualMemoryInformation);
    if (info_class != KM_MEMORY_REGION_INFO) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    NTSTATUS status = km_nt_virtual_query_class(
        process_or_self(process), address, KM_NT_MEMORY_REGION_INFORMATION, info, size, returned);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    return TRUE;
}
