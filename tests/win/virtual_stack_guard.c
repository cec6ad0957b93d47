/*
 * IsBad*Ptr on the bottom of the calling thread's stack: the page above DeallocationStack is
 * reserved on Windows and a guard page under Wine. Either way the answer is TRUE, every time it is
 * asked, and the stack is still guarded afterwards.
 */
#include "km_test.h"

#define KM_VIRTUAL_STACK_EXPORTS                                                                  \
    {KM_EXPORT(IsBadReadPtr), KM_EXPORT(IsBadWritePtr), KM_EXPORT(IsBadStringPtrA)}

/* NT_TIB's StackLimit and TEB's DeallocationStack, at the offsets the DDK documents. */
static void stack_bounds(ULONG_PTR *bottom, ULONG_PTR *limit)
{
    const BYTE *teb;
#if defined(__x86_64__)
    __asm__("movq %%gs:0x30, %0" : "=r"(teb));
    *limit = *(const ULONG_PTR *)(teb + 0x10);
    *bottom = *(const ULONG_PTR *)(teb + 0x1478);
#else
    __asm__("movl %%fs:0x18, %0" : "=r"(teb));
    *limit = *(const ULONG_PTR *)(teb + 0x08);
    *bottom = *(const ULONG_PTR *)(teb + 0xe0c);
#endif
}

static void the_page_above_the_stack_bottom_is_bad_every_time(void **state)
{
    (void)state;
    /* Wine 8's own IsBad*Ptr let the stack-overflow exception of its guard page end the program
     * (the README lists it); Windows and kernel32_mem answer TRUE. */
    if (KM_SYSTEM_IS_WINE)
        skip();
    ULONG_PTR bottom, limit;
    stack_bounds(&bottom, &limit);
    SYSTEM_INFO system;
    GetSystemInfo(&system);
    char *guard = (char *)(bottom + system.dwPageSize);
    assert_true((ULONG_PTR)guard < limit);
    for (int attempt = 0; attempt < 2; attempt++) {
        assert_true(IsBadReadPtr(guard, 1));
        assert_true(IsBadWritePtr(guard, 1));
        assert_true(IsBadStringPtrA(guard, 1));
    }
    assert_false(IsBadReadPtr(&bottom, sizeof(bottom)));
}

int main(void)
{
    const km_export exports[] = KM_VIRTUAL_STACK_EXPORTS;
    const km_export_list export_list = {exports, KM_ARRAY_SIZE(exports)};
    const struct CMUnitTest tests[] = {
        KM_EXPORTS_RESOLVE_TEST(export_list),
        cmocka_unit_test(the_page_above_the_stack_bottom_is_bad_every_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
