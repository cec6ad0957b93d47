/*
 * File mapping: CreateFileMapping, OpenFileMapping, MapViewOfFile and friends, over NT sections
 * (nt/nt_section.c). kernel32's part is small: split flProtect into the page protection and the
 * SEC_* attributes, turn FILE_MAP_* access into a view protection, name the section in the
 * session's directory, and report an existing name with ERROR_ALREADY_EXISTS.
 */
#include "api/win32.h"

#include "api/export_stats.h"
#include "api/file_mapping.h"

#include "nt/nt_error.h"
#include "nt/nt_section.h"

#define KM_STATUS_OBJECT_NAME_EXISTS ((NTSTATUS)0x40000000)
#define KM_STATUS_NOT_MAPPED_DATA ((NTSTATUS)0xC0000088)
#define KM_SEC_MASK 0xfff00000u
/* kernel32 converts an ANSI name into a buffer of MAX_PATH characters; a longer name fails with
 * ERROR_FILENAME_EXCED_RANGE. */
#define KM_MAX_NAME (MAX_PATH + 1)

static BOOL page_protection_is_valid(DWORD protect)
{
    switch (protect) {
    case PAGE_READONLY:
    case PAGE_READWRITE:
    case PAGE_WRITECOPY:
    case PAGE_EXECUTE_READ:
    case PAGE_EXECUTE_READWRITE:
    case PAGE_EXECUTE_WRITECOPY: return TRUE;
    default: return FALSE;
    }
}

/* The access the creator gets to its section: whatever the protection allows. */
static ACCESS_MASK section_access_for(DWORD protect)
{
    ACCESS_MASK access = STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_READ;
    if (protect == PAGE_READWRITE || protect == PAGE_EXECUTE_READWRITE)
        access |= SECTION_MAP_WRITE;
    if (protect & (PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY))
        access |= SECTION_MAP_EXECUTE;
    return access;
}

HANDLE km_file_mapping_create_w(HANDLE file, LPSECURITY_ATTRIBUTES security, DWORD protect,
                                DWORD size_high, DWORD size_low, LPCWSTR name, DWORD node)
{
    (void)node; /* a placement preference the sections of this layer do not act on */
    DWORD page = protect & ~KM_SEC_MASK;
    DWORD attributes = protect & KM_SEC_MASK;
    if (!attributes)
        attributes = SEC_COMMIT;
    LARGE_INTEGER size = {.u = {.LowPart = size_low, .HighPart = (LONG)size_high}};
    BOOL anonymous = file == INVALID_HANDLE_VALUE;
    if (!page_protection_is_valid(page) || (anonymous && !size.QuadPart)) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    HANDLE section = NULL;
    NTSTATUS status = km_nt_section_create(
        &section, section_access_for(page), name && *name ? name : NULL,
        security && security->bInheritHandle, security ? security->lpSecurityDescriptor : NULL,
        size.QuadPart ? &size : NULL, page, attributes, anonymous ? NULL : file);
    if (status == KM_STATUS_OBJECT_NAME_EXISTS) {
        km_nt_set_last_error(ERROR_ALREADY_EXISTS);
        return section;
    }
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return NULL;
    }
    km_nt_set_last_error(NO_ERROR);
    return section;
}

HANDLE WINAPI CreateFileMappingNumaW(HANDLE file, LPSECURITY_ATTRIBUTES security, DWORD protect,
                                     DWORD size_high, DWORD size_low, LPCWSTR name, DWORD node)
{
    KM_COUNT_CALL(CreateFileMappingNumaW);
    return km_file_mapping_create_w(file, security, protect, size_high, size_low, name, node);
}

HANDLE WINAPI CreateFileMappingW(HANDLE file, LPSECURITY_ATTRIBUTES security, DWORD protect,
                                 DWORD size_high, DWORD size_low, LPCWSTR name)
{
    KM_COUNT_CALL(CreateFileMappingW);
    return km_file_mapping_create_w(file, security, protect, size_high, size_low, name,
                                    NUMA_NO_PREFERRED_NODE);
}

/* An ANSI name in the ANSI code page, as the W function wants it; NULL stays NULL. */
static BOOL widen(const char *name, WCHAR *buffer, const WCHAR **wide)
{
    *wide = NULL;
    if (!name)
        return TRUE;
    NTSTATUS status = km_nt_ansi_to_unicode(name, buffer, KM_MAX_NAME);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    *wide = buffer;
    return TRUE;
}

static HANDLE create_file_mapping_numa_a(HANDLE file, LPSECURITY_ATTRIBUTES security, DWORD protect,
                                         DWORD size_high, DWORD size_low, LPCSTR name, DWORD node)
{
    WCHAR buffer[KM_MAX_NAME];
    const WCHAR *wide;
    if (!widen(name, buffer, &wide))
        return NULL;
    return km_file_mapping_create_w(file, security, protect, size_high, size_low, wide, node);
}

HANDLE WINAPI CreateFileMappingNumaA(HANDLE file, LPSECURITY_ATTRIBUTES security, DWORD protect,
                                     DWORD size_high, DWORD size_low, LPCSTR name, DWORD node)
{
    KM_COUNT_CALL(CreateFileMappingNumaA);
    return create_file_mapping_numa_a(file, security, protect, size_high, size_low, name, node);
}

HANDLE WINAPI CreateFileMappingA(HANDLE file, LPSECURITY_ATTRIBUTES security, DWORD protect,
                                 DWORD size_high, DWORD size_low, LPCSTR name)
{
    KM_COUNT_CALL(CreateFileMappingA);
    return create_file_mapping_numa_a(file, security, protect, size_high, size_low, name,
                                      NUMA_NO_PREFERRED_NODE);
}

/* FILE_MAP_* access as section access rights. FILE_MAP_COPY shares its bit with SECTION_QUERY:
 * alone it asks for a copy-on-write view, which needs read access; with other rights it is the
 * query right, kept as it is. */
static ACCESS_MASK section_access_of(DWORD access)
{
    return access == FILE_MAP_COPY ? SECTION_MAP_READ : access;
}

HANDLE km_file_mapping_open_w(DWORD access, BOOL inherit, LPCWSTR name)
{
    if (!name) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    HANDLE section = NULL;
    NTSTATUS status = km_nt_section_open(&section, section_access_of(access), name, inherit);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return NULL;
    }
    return section;
}

HANDLE WINAPI OpenFileMappingW(DWORD access, BOOL inherit, LPCWSTR name)
{
    KM_COUNT_CALL(OpenFileMappingW);
    return km_file_mapping_open_w(access, inherit, name);
}

HANDLE WINAPI OpenFileMappingA(DWORD access, BOOL inherit, LPCSTR name)
{
    KM_COUNT_CALL(OpenFileMappingA);
    WCHAR buffer[KM_MAX_NAME];
    const WCHAR *wide;
    if (!widen(name, buffer, &wide))
        return NULL;
    return km_file_mapping_open_w(access, inherit, wide);
}

/* The view protection FILE_MAP_* access asks for. FILE_MAP_COPY shares its bit with
 * SECTION_QUERY, which FILE_MAP_ALL_ACCESS includes, so it means copy-on-write only alone (or
 * with FILE_MAP_EXECUTE). Execute access only adds to read, write or copy access: alone, like
 * no access at all, it maps the view inaccessible, as Windows does. */
static ULONG view_protection_of(DWORD access)
{
    BOOL execute = (access & FILE_MAP_EXECUTE) != 0;
    if (access & FILE_MAP_WRITE)
        return execute ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
    if ((access & ~(DWORD)FILE_MAP_EXECUTE) == FILE_MAP_COPY)
        return execute ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
    if (access & FILE_MAP_READ)
        return execute ? PAGE_EXECUTE_READ : PAGE_READONLY;
    return PAGE_NOACCESS;
}

LPVOID km_file_mapping_map_view(HANDLE mapping, DWORD access, DWORD offset_high, DWORD offset_low,
                                SIZE_T size, LPVOID base, DWORD node)
{
    (void)node;
    ULONG protect = view_protection_of(access);
    ULONGLONG offset = ((ULONGLONG)offset_high << 32) | offset_low;
    void *view = base;
    SIZE_T length = size;
    NTSTATUS status = km_nt_section_map(mapping, &view, offset, &length, protect);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return NULL;
    }
    return view;
}

LPVOID WINAPI MapViewOfFileExNuma(HANDLE mapping, DWORD access, DWORD offset_high, DWORD offset_low,
                                  SIZE_T size, LPVOID base, DWORD node)
{
    KM_COUNT_CALL(MapViewOfFileExNuma);
    return km_file_mapping_map_view(mapping, access, offset_high, offset_low, size, base, node);
}

static LPVOID map_view_of_file_ex(HANDLE mapping, DWORD access, DWORD offset_high, DWORD offset_low,
                                  SIZE_T size, LPVOID base)
{
    return km_file_mapping_map_view(mapping, access, offset_high, offset_low, size, base,
                                    NUMA_NO_PREFERRED_NODE);
}

LPVOID WINAPI MapViewOfFileEx(HANDLE mapping, DWORD access, DWORD offset_high, DWORD offset_low,
                              SIZE_T size, LPVOID base)
{
    KM_COUNT_CALL(MapViewOfFileEx);
    return map_view_of_file_ex(mapping, access, offset_high, offset_low, size, base);
}

LPVOID WINAPI MapViewOfFile(HANDLE mapping, DWORD access, DWORD offset_high, DWORD offset_low,
                            SIZE_T size)
{
    KM_COUNT_CALL(MapViewOfFile);
    return map_view_of_file_ex(mapping, access, offset_high, offset_low, size, NULL);
}

/* UnmapViewOfFileEx's flags (Windows 10 1803 headers; older mingw-w64 lacks them). */
#define KM_MEM_UNMAP_WITH_TRANSIENT_BOOST 0x00000001
#define KM_MEM_PRESERVE_PLACEHOLDER 0x00000002

static BOOL unmap_view_of_file_ex(PVOID base, ULONG flags)
{
    if (flags & ~(ULONG)(KM_MEM_UNMAP_WITH_TRANSIENT_BOOST | KM_MEM_PRESERVE_PLACEHOLDER)) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    NTSTATUS status = km_nt_section_unmap(base, flags);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI UnmapViewOfFileEx(PVOID base, ULONG flags)
{
    KM_COUNT_CALL(UnmapViewOfFileEx);
    return unmap_view_of_file_ex(base, flags);
}

BOOL WINAPI UnmapViewOfFile(LPCVOID base)
{
    KM_COUNT_CALL(UnmapViewOfFile);
    return unmap_view_of_file_ex((PVOID)base, 0);
}

BOOL WINAPI FlushViewOfFile(LPCVOID base, SIZE_T size)
{
    KM_COUNT_CALL(FlushViewOfFile);
    void *address = (void *)base;
    SIZE_T length = size;
    NTSTATUS status = km_nt_section_flush(&address, &length);
    /* A view of the paging file has nothing to write back: that is success. */
    if (status && status != KM_STATUS_NOT_MAPPED_DATA) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    return TRUE;
}
