/* What the mapping.* test programs share. */
#ifndef KM_MAPPING_TEST_H
#define KM_MAPPING_TEST_H

#include "km_test.h"

#define GRANULARITY 0x10000

#define KM_MAPPING_EXPORTS                                                                        \
    {KM_EXPORT(CreateFileMappingW),  KM_EXPORT(CreateFileMappingA),                              \
     KM_EXPORT(OpenFileMappingW),    KM_EXPORT(OpenFileMappingA),                                \
     KM_EXPORT(MapViewOfFile),       KM_EXPORT(MapViewOfFileEx),                                 \
     KM_EXPORT(UnmapViewOfFile),     KM_EXPORT(FlushViewOfFile),                                 \
     KM_EXPORT(CreateFileMappingNumaW), KM_EXPORT(MapViewOfFileExNuma)}

/* CreateFileMappingNumaA is missing from Wine 8's kernel32, so no test calls it. */

/* A paging-file mapping of size bytes, optionally named. */
static inline HANDLE anonymous_mapping(DWORD protect, DWORD size, const WCHAR *name)
{
    km_reset_last_error();
    HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, protect, 0, size, name);
    assert_non_null(mapping);
    return mapping;
}

static inline char *map_view(HANDLE mapping, DWORD access)
{
    char *view = MapViewOfFile(mapping, access, 0, 0, 0);
    assert_non_null(view);
    return view;
}

static inline void unmap_view(const void *view)
{
    assert_true(UnmapViewOfFile(view));
}

/* A name no other test run uses, so parallel runs cannot collide. */
static inline void unique_name(WCHAR *buffer, size_t capacity, const WCHAR *stem)
{
    _snwprintf(buffer, capacity, L"km_%ls_%lu_%lu", stem, GetCurrentProcessId(), GetTickCount());
    buffer[capacity - 1] = 0;
}

#endif
