#include "nt/nt_section.h"

#include "nt/nt_error.h"
#include "nt/nt_lookup.h"
#include "nt/nt_named_objects.h"
#include "nt/ntdll.h"

#include <stdbool.h>

static void describe(km_nt_object_attributes *attributes, km_nt_unicode_string *string,
                     const WCHAR *name, BOOL inherit, void *security_descriptor, ULONG extra)
{
    *attributes = (km_nt_object_attributes){.length = sizeof *attributes,
                                            .attributes = extra | (inherit ? KM_NT_OBJ_INHERIT : 0),
                                            .security_descriptor = security_descriptor};
    if (name) {
        RtlInitUnicodeString(string, name);
        attributes->object_name = string;
        attributes->root_directory = km_nt_named_objects_directory();
    }
}

NTSTATUS km_nt_section_create(HANDLE *section, ACCESS_MASK access, const WCHAR *name, BOOL inherit,
                              void *security_descriptor, const LARGE_INTEGER *size, ULONG protect,
                              ULONG attributes, HANDLE file)
{
    km_nt_object_attributes object;
    km_nt_unicode_string string;
    describe(&object, &string, name, inherit, security_descriptor, KM_NT_OBJ_OPENIF);
    return NtCreateSection(section, access, &object, size, protect, attributes, file);
}

NTSTATUS km_nt_section_open(HANDLE *section, ACCESS_MASK access, const WCHAR *name, BOOL inherit)
{
    km_nt_object_attributes object;
    km_nt_unicode_string string;
    describe(&object, &string, name, inherit, NULL, 0);
    return NtOpenSection(section, access, &object);
}

NTSTATUS km_nt_section_map(HANDLE section, void **base, ULONGLONG offset, SIZE_T *size,
                           ULONG protect)
{
    LARGE_INTEGER start = {.QuadPart = (LONGLONG)offset};
    return NtMapViewOfSection(section, KM_NT_CURRENT_PROCESS, base, 0, 0, &start, size,
                              KM_NT_VIEW_SHARE, 0, protect);
}

typedef NTSTATUS(NTAPI *map_ex_function)(HANDLE, HANDLE, PVOID *, PLARGE_INTEGER, PSIZE_T, ULONG,
                                         ULONG, PVOID, ULONG);

NTSTATUS km_nt_section_map_ex(HANDLE section, HANDLE process, void **base, ULONGLONG offset,
                              SIZE_T *size, ULONG type, ULONG protect, void *parameters,
                              ULONG count)
{
    static map_ex_function map_ex;
    if (!map_ex)
        map_ex = (map_ex_function)km_nt_ntdll_export("NtMapViewOfSectionEx");
    if (!map_ex)
        return KM_NT_STATUS_CALL_MISSING;
    LARGE_INTEGER start = {.QuadPart = (LONGLONG)offset};
    return map_ex(section, process, base, &start, size, type, protect, parameters, count);
}

NTSTATUS km_nt_section_unmap_from(HANDLE process, void *base, ULONG flags)
{
    return NtUnmapViewOfSectionEx(process, base, flags);
}

NTSTATUS km_nt_section_unmap(void *base, ULONG flags)
{
    if (!flags)
        return NtUnmapViewOfSection(KM_NT_CURRENT_PROCESS, base);
    return NtUnmapViewOfSectionEx(KM_NT_CURRENT_PROCESS, base, flags);
}

NTSTATUS km_nt_section_flush(void **base, SIZE_T *size)
{
    km_nt_io_status_block io;
    return NtFlushVirtualMemory(KM_NT_CURRENT_PROCESS, base, size, &io);
}

NTSTATUS km_nt_ansi_to_unicode(const char *name, WCHAR *buffer, ULONG capacity)
{
    ULONG length = 0;
    while (name[length])
        length++;
    /* A name that would not fit whole is refused rather than cut short. */
    ULONG needed = 0;
    NTSTATUS status = RtlMultiByteToUnicodeSize(&needed, name, length);
    if (km_nt_failed(status))
        return status;
    if (needed / sizeof(WCHAR) >= capacity)
        return (NTSTATUS)0xC0000106; /* STATUS_NAME_TOO_LONG */
    ULONG written = 0;
    status = RtlMultiByteToUnicodeN(buffer, needed, &written, name, length);
    if (km_nt_failed(status))
        return status;
    buffer[written / sizeof(WCHAR)] = 0;
    return 0;
}
