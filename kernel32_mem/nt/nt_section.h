/*
 * Sections (file mappings) and their views, over NtCreateSection and friends, with names
 * resolved in the session's BaseNamedObjects directory as kernel32 resolves them (so "Local\" and
 * "Global\" work through the links Windows keeps in that directory).
 */
#ifndef KM_NT_SECTION_H
#define KM_NT_SECTION_H

#include "nt/nt_types.h"

/* Creates (or, for an existing name, opens) a section; name may be NULL. The status is the
 * kernel's: STATUS_OBJECT_NAME_EXISTS, informational, says an existing section was opened. */
NTSTATUS km_nt_section_create(HANDLE *section, ACCESS_MASK access, const WCHAR *name,
                              BOOL inherit, void *security_descriptor, const LARGE_INTEGER *size,
                              ULONG protect, ULONG attributes, HANDLE file);

NTSTATUS km_nt_section_open(HANDLE *section, ACCESS_MASK access, const WCHAR *name,
                            BOOL inherit);

NTSTATUS km_nt_section_map(HANDLE section, void **base, ULONGLONG offset, SIZE_T *size,
                           ULONG protect);
NTSTATUS km_nt_section_unmap(void *base, ULONG flags);

/* NtMapViewOfSectionEx (Windows 10 1803 and Wine; looked up), into any process, with extended
 * parameters; and NtUnmapViewOfSectionEx from any process. */
NTSTATUS km_nt_section_map_ex(HANDLE section, HANDLE process, void **base, ULONGLONG offset,
                              SIZE_T *size, ULONG type, ULONG protect, void *parameters,
                              ULONG count);
NTSTATUS km_nt_section_unmap_from(HANDLE process, void *base, ULONG flags);
NTSTATUS km_nt_section_flush(void **base, SIZE_T *size);

/* Converts an ANSI-code-page name to UTF-16 into buffer (capacity characters, terminated). */
NTSTATUS km_nt_ansi_to_unicode(const char *name, WCHAR *buffer, ULONG capacity);

#endif
