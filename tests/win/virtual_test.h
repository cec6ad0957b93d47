/* What the virtual.* test programs share: the exports they check and small query helpers. */
#ifndef KM_VIRTUAL_TEST_H
#define KM_VIRTUAL_TEST_H

#include "km_test.h"

#define GRANULARITY 0x10000

/* The exports every virtual.* program calls, for its first test. */
#define KM_VIRTUAL_EXPORTS {KM_EXPORT(VirtualAlloc), KM_EXPORT(VirtualFree), KM_EXPORT(VirtualQuery)}

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

#endif
