/* The host page provider keeps the contract of core/pages.h that every core test relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "host_pages.h"

static void reservations_are_aligned_to_the_granularity_and_accounted(void **state)
{
    (void)state;
    km_host_pages host;
    km_host_pages_init(&host);
    km_pages *pages = &host.pages;

    char *first = pages->reserve(pages, 3 * pages->granularity);
    char *second = pages->reserve(pages, pages->page_size);
    assert_non_null(first);
    assert_non_null(second);
    assert_int_equal((uintptr_t)first % pages->granularity, 0);
    assert_int_equal((uintptr_t)second % pages->granularity, 0);
    assert_int_equal(host.reservations, 2);

    pages->release(pages, first, 3 * pages->granularity);
    pages->release(pages, second, pages->page_size);
    assert_int_equal(host.reservations, 0);
    assert_int_equal(host.reserved_bytes, 0);
}

static void recommitted_pages_read_as_zero(void **state)
{
    (void)state;
    km_host_pages host;
    km_host_pages_init(&host);
    km_pages *pages = &host.pages;

    unsigned char *base = pages->reserve(pages, pages->granularity);
    assert_non_null(base);
    assert_int_equal(pages->commit(pages, base, 2 * pages->page_size, false), KM_OK);
    base[0] = 1;
    base[pages->page_size] = 2;
    pages->decommit(pages, base, pages->page_size);
    assert_int_equal(pages->commit(pages, base, pages->page_size, false), KM_OK);
    assert_int_equal(base[0], 0);
    assert_int_equal(base[pages->page_size], 2);
    pages->release(pages, base, pages->granularity);
}

static void injected_failures_hit_the_chosen_request_only(void **state)
{
    (void)state;
    km_host_pages host;
    km_host_pages_init(&host);
    km_pages *pages = &host.pages;

    km_host_pages_fail_after(&host, 1);
    char *base = pages->reserve(pages, pages->granularity);
    assert_non_null(base);
    assert_int_equal(pages->commit(pages, base, pages->page_size, false), KM_NO_MEMORY);
    assert_int_equal(pages->commit(pages, base, pages->page_size, false), KM_OK);
    km_host_pages_fail_after(&host, 0);
    assert_null(pages->reserve(pages, pages->granularity));
    pages->release(pages, base, pages->granularity);
    assert_int_equal(host.reserved_bytes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reservations_are_aligned_to_the_granularity_and_accounted),
        cmocka_unit_test(recommitted_pages_read_as_zero),
        cmocka_unit_test(injected_failures_hit_the_chosen_request_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
