/* What the virtual.* test programs share: the exports they check and small query helpers. */
#ifndef KM_VIRTUAL_TEST_H
#define KM_VIRTUAL_TEST_H

#include "km_test.h"

#define GRANULARITY 0x10000

/* The exports every virtual.* program calls, for its first test. */
#define KM_VIRTUAL_EXPORTS                                                                        \
    {KM_EXPORT(VirtualAlloc),      KM_EXPORT(VirtualFree),    KM_EXPORT(VirtualQuery),            \
     KM_EXPORT(VirtualAllocEx),    KM_EXPORT(VirtualFreeEx),  KM_EXPORT(VirtualQueryEx),          \
     KM_EXPORT(VirtualProtect),    KM_EXPORT(VirtualProtectEx), KM_EXPORT(VirtualLock),           \
     KM_EXPORT(VirtualUnlock),     KM_EXPORT(GetWriteWatch),  KM_EXPORT(ResetWriteWatch),         \
     KM_EXPORT(FlushInstructionCache)}

static inline SIZE_T page_size(void)
{
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return info.dwPageSize;
}

/* VirtualQuery of address, which must succeed and fill the whole structure. */
static inline MEMORY_BASIC_INFORMATION query(const void *address)
{
    MEMORY_BASIC_INFORMATION info;
    km_reset_last_error();
    assert_int_equal(VirtualQuery(address, &info, sizeof(info)), sizeof(info));
    return info;
}

/* A reservation of size bytes whose first committed bytes are committed read-write. */
static inline char *reserve_and_commit(SIZE_T reserved, SIZE_T committed)
{
    char *base = VirtualAlloc(NULL, reserved, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(base);
    if (committed)
        assert_ptr_equal(VirtualAlloc(base, committed, MEM_COMMIT, PAGE_READWRITE), base);
    return base;
}

static inline void release(void *base)
{
    assert_true(VirtualFree(base, 0, MEM_RELEASE));
}

#endif
