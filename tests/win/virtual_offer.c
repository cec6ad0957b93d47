/*
 * OfferVirtualMemory, ReclaimVirtualMemory and DiscardVirtualMemory (Windows 8.1 and later).
 * They answer an error code rather than setting the last error. Wine 8's kernel32 lacks all
 * three, so its side skips everything but the check that they are missing.
 */
#include "virtual_test.h"

typedef DWORD(WINAPI *offer_fn)(PVOID, SIZE_T, OFFER_PRIORITY);
typedef DWORD(WINAPI *range_fn)(PVOID, SIZE_T);

static offer_fn offer;
static range_fn reclaim, discard;

static int find_the_functions(void **state)
{
    (void)state;
    offer = (offer_fn)(void *)km_side_export("OfferVirtualMemory");
    reclaim = (range_fn)(void *)km_side_export("ReclaimVirtualMemory");
    discard = (range_fn)(void *)km_side_export("DiscardVirtualMemory");
    return 0;
}

static void skip_where_missing(void)
{
    if (KM_SYSTEM_IS_WINE)
        skip();
}

static void the_functions_exist_except_in_wines_kernel32(void **state)
{
    (void)state;
    BOOL expected = !KM_SYSTEM_IS_WINE;
    assert_int_equal(offer != NULL, expected);
    assert_int_equal(reclaim != NULL, expected);
    assert_int_equal(discard != NULL, expected);
}

static void fill(char *base, SIZE_T size, char value)
{
    for (SIZE_T i = 0; i < size; i += page_size())
        base[i] = value;
}

static void offered_pages_come_back_committed_and_writable(void **state)
{
    (void)state;
    skip_where_missing();
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    fill(base, GRANULARITY, 'o');
    km_reset_last_error();
    assert_int_equal(offer(base, GRANULARITY, VmOfferPriorityVeryLow), ERROR_SUCCESS);
    DWORD reclaimed = reclaim(base, GRANULARITY);
    assert_last_error(KM_SENTINEL_ERROR);
    /* ERROR_BUSY: the kernel dropped some contents; the pages are usable all the same. */
    assert_true(reclaimed == ERROR_SUCCESS || reclaimed == ERROR_BUSY);
    if (reclaimed == ERROR_SUCCESS)
        assert_int_equal(base[page_size()], 'o');
    MEMORY_BASIC_INFORMATION info = query(base);
    assert_int_equal(info.State, MEM_COMMIT);
    assert_int_equal(info.Protect, PAGE_READWRITE);
    fill(base, GRANULARITY, 'r');
    release(base);
}

static void offer_accepts_every_documented_priority(void **state)
{
    (void)state;
    skip_where_missing();
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    for (OFFER_PRIORITY priority = VmOfferPriorityVeryLow; priority <= VmOfferPriorityNormal;
         priority++) {
        assert_int_equal(offer(base, page_size(), priority), ERROR_SUCCESS);
        DWORD reclaimed = reclaim(base, page_size());
        assert_true(reclaimed == ERROR_SUCCESS || reclaimed == ERROR_BUSY);
    }
    release(base);
}

static void offer_with_an_unknown_priority_fails_with_invalid_parameter(void **state)
{
    (void)state;
    skip_where_missing();
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    base[0] = 'k';
    assert_int_equal(offer(base, page_size(), (OFFER_PRIORITY)0), ERROR_INVALID_PARAMETER);
    assert_int_equal(offer(base, page_size(), (OFFER_PRIORITY)(VmOfferPriorityNormal + 1)),
                     ERROR_INVALID_PARAMETER);
    assert_int_equal(base[0], 'k');
    release(base);
}

static void unaligned_ranges_fail_with_invalid_parameter(void **state)
{
    (void)state;
    skip_where_missing();
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    base[0] = 'k';
    assert_int_equal(offer(base + 1, page_size(), VmOfferPriorityLow), ERROR_INVALID_PARAMETER);
    assert_int_equal(offer(base, page_size() - 1, VmOfferPriorityLow), ERROR_INVALID_PARAMETER);
    assert_int_equal(reclaim(base + 1, page_size()), ERROR_INVALID_PARAMETER);
    assert_int_equal(reclaim(base, page_size() + 1), ERROR_INVALID_PARAMETER);
    assert_int_equal(discard(base + 1, page_size()), ERROR_INVALID_PARAMETER);
    assert_int_equal(discard(base, page_size() + 1), ERROR_INVALID_PARAMETER);
    assert_int_equal(base[0], 'k');
    release(base);
}

static void empty_and_null_ranges_fail_with_invalid_parameter(void **state)
{
    (void)state;
    skip_where_missing();
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    assert_int_equal(offer(base, 0, VmOfferPriorityLow), ERROR_INVALID_PARAMETER);
    assert_int_equal(offer(NULL, page_size(), VmOfferPriorityLow), ERROR_INVALID_PARAMETER);
    assert_int_equal(reclaim(base, 0), ERROR_INVALID_PARAMETER);
    assert_int_equal(discard(base, 0), ERROR_INVALID_PARAMETER);
    assert_int_equal(discard(NULL, page_size()), ERROR_INVALID_PARAMETER);
    release(base);
}

static void ranges_not_wholly_committed_fail_with_invalid_address(void **state)
{
    (void)state;
    skip_where_missing();
    char *base = reserve_and_commit(GRANULARITY, page_size());
    assert_int_equal(offer(base, 2 * page_size(), VmOfferPriorityLow), ERROR_INVALID_ADDRESS);
    assert_int_equal(discard(base + page_size(), page_size()), ERROR_INVALID_ADDRESS);
    assert_int_equal(reclaim(base + page_size(), page_size()), ERROR_INVALID_ADDRESS);
    release(base);
    assert_int_equal(offer(base, page_size(), VmOfferPriorityLow), ERROR_INVALID_ADDRESS);
    assert_int_equal(reclaim(base, page_size()), ERROR_INVALID_ADDRESS);
    assert_int_equal(discard(base, page_size()), ERROR_INVALID_ADDRESS);
    assert_int_equal(query(base).State, MEM_FREE);
}

static void discarded_pages_stay_committed_with_their_protection(void **state)
{
    (void)state;
    skip_where_missing();
    char *base = reserve_and_commit(GRANULARITY, GRANULARITY);
    fill(base, GRANULARITY, 'd');
    DWORD old;
    assert_true(VirtualProtect(base + page_size(), page_size(), PAGE_READONLY, &old));
    km_reset_last_error();
    assert_int_equal(discard(base, 2 * page_size()), ERROR_SUCCESS);
    assert_last_error(KM_SENTINEL_ERROR);
    MEMORY_BASIC_INFORMATION first = query(base), second = query(base + page_size());
    assert_int_equal(first.State, MEM_COMMIT);
    assert_int_equal(first.Protect, PAGE_READWRITE);
    assert_int_equal(second.State, MEM_COMMIT);
    assert_int_equal(second.Protect, PAGE_READONLY);
    base[0] = 'w';
    assert_int_equal(base[0], 'w');
    assert_int_equal(base[2 * page_size()], 'd');
    release(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_functions_exist_except_in_wines_kernel32),
        cmocka_unit_test(offered_pages_come_back_committed_and_writable),
        cmocka_unit_test(offer_accepts_every_documented_priority),
        cmocka_unit_test(offer_with_an_unknown_priority_fails_with_invalid_parameter),
        cmocka_unit_test(unaligned_ranges_fail_with_invalid_parameter),
        cmocka_unit_test(empty_and_null_ranges_fail_with_invalid_parameter),
        cmocka_unit_test(ranges_not_wholly_committed_fail_with_invalid_address),
        cmocka_unit_test(discarded_pages_stay_committed_with_their_protection),
    };
    return cmocka_run_group_tests(tests, find_the_functions, NULL);
}
