/* What the globallocal.* test programs share. */
#ifndef KM_GLOBALLOCAL_TEST_H
#define KM_GLOBALLOCAL_TEST_H

#include "km_test.h"

#define KM_GLOBALLOCAL_EXPORTS                                                                    \
    {KM_EXPORT(GlobalAlloc),  KM_EXPORT(GlobalFree),    KM_EXPORT(GlobalLock),                    \
     KM_EXPORT(GlobalUnlock), KM_EXPORT(GlobalSize),    KM_EXPORT(GlobalFlags),                   \
     KM_EXPORT(GlobalHandle), KM_EXPORT(GlobalReAlloc), KM_EXPORT(GlobalCompact),                 \
     KM_EXPORT(GlobalFix),    KM_EXPORT(GlobalUnfix),   KM_EXPORT(GlobalWire),                    \
     KM_EXPORT(GlobalUnWire), KM_EXPORT(LocalAlloc),    KM_EXPORT(LocalFree),                     \
     KM_EXPORT(LocalLock),    KM_EXPORT(LocalUnlock),   KM_EXPORT(LocalSize),                     \
     KM_EXPORT(LocalFlags),   KM_EXPORT(LocalHandle),   KM_EXPORT(LocalReAlloc),                  \
     KM_EXPORT(LocalCompact), KM_EXPORT(LocalShrink),   KM_EXPORT(HeapFree),                      \
     KM_EXPORT(HeapAlloc),    KM_EXPORT(GetProcessHeap)}

#define KM_GLOBALLOCAL_MAIN(...)                                                                  \
    int main(void)                                                                                \
    {                                                                                             \
        const km_export exports[] = KM_GLOBALLOCAL_EXPORTS;                                       \
        const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};                     \
        const struct CMUnitTest tests[] = {KM_EXPORTS_RESOLVE_TEST(export_list), __VA_ARGS__};    \
        return cmocka_run_group_tests(tests, NULL, NULL);                                         \
    }

static inline HGLOBAL moveable(SIZE_T size)
{
    HGLOBAL memory = GlobalAlloc(GMEM_MOVEABLE, size);
    assert_non_null(memory);
    return memory;
}

static inline HGLOBAL fixed(SIZE_T size)
{
    HGLOBAL memory = GlobalAlloc(GMEM_FIXED, size);
    assert_non_null(memory);
    return memory;
}

static inline void free_memory(HGLOBAL memory)
{
    km_reset_last_error();
    assert_null(GlobalFree(memory));
    assert_last_error(KM_SENTINEL_ERROR);
}

#endif
