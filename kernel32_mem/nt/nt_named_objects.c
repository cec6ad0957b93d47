#include "nt/nt_named_objects.h"

#include "nt/ntdll.h"

#include <stdbool.h>

#define KM_DIRECTORY_ACCESS 0x000f /* query, traverse, create object, create subdirectory */

/* Writes "\Sessions\<id>\BaseNamedObjects" into path. */
static void named_objects_path(WCHAR *path, ULONG session)
{
    static const WCHAR prefix[] = L"\\Sessions\\";
    static const WCHAR suffix[] = L"\\BaseNamedObjects";
    WCHAR digits[16];
    int count = 0;
    do {
        digits[count++] = (WCHAR)(L'0' + session % 10);
        session /= 10;
    } while (session);
    size_t at = 0;
    for (size_t i = 0; prefix[i]; i++)
        path[at++] = prefix[i];
    while (count)
        path[at++] = digits[--count];
    for (size_t i = 0; suffix[i]; i++)
        path[at++] = suffix[i];
    path[at] = 0;
}

/* Opened once; racing first callers may each open it, and the loser closes its handle. */
HANDLE km_nt_named_objects_directory(void)
{
    static HANDLE directory;
    HANDLE cached = __atomic_load_n(&directory, __ATOMIC_ACQUIRE);
    if (cached)
        return cached;
    WCHAR path[64];
    named_objects_path(path, km_nt_session_id());
    km_nt_unicode_string name;
    RtlInitUnicodeString(&name, path);
    km_nt_object_attributes attributes = {.length = sizeof attributes, .object_name = &name};
    HANDLE opened = NULL;
    if (NtOpenDirectoryObject(&opened, KM_DIRECTORY_ACCESS, &attributes) != 0)
        return NULL;
    HANDLE expected = NULL;
    if (!__atomic_compare_exchange_n(&directory, &expected, opened, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        NtClose(opened);
        return expected;
    }
    return opened;
}
