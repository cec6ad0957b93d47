/* Every path of the heap core that asks the page provider for memory, made to fail in turn:
 * each failure must come back as KM_NO_MEMORY, leave the heap valid, and leak nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/heap.h"
#include "host_pages.h"
#include "host_threads.h"

/* Allocates and reallocates blocks of every kind; counts the requests refused. */
static size_t run_scenario(km_heap *heap)
{
    static const size_t sizes[] = {1, 24, 500, 3000, 16000, 40000, 70000, 300000, 900000, 5000000};
    void *blocks[sizeof sizes / sizeof sizes[0]] = {0};
    size_t refused = 0;
    km_status status;
    for (size_t round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            void *block = km_heap_alloc(heap, 0, sizes[i] * (round + 1), &status);
            if (!block) {
                assert_int_equal(status, KM_NO_MEMORY);
                refused++;
                continue;
            }
            memset(block, 0x33, sizes[i] * (round + 1));
            if (blocks[i]) {
                assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
            }
            blocks[i] = block;
        }
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            if (!blocks[i])
                continue;
            void *grown = km_heap_realloc(heap, KM_HEAP_ZERO, blocks[i], sizes[i] * 3, &status);
            if (grown)
                blocks[i] = grown;
            else {
                assert_int_equal(status, KM_NO_MEMORY);
                refused++;
            }
        }
        assert_true(km_heap_validate(heap, 0, NULL));
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (blocks[i])
            assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
    return refused;
}

static void every_provider_failure_is_survived(void **state)
{
    (void)state;
    size_t scenarios_with_failures = 0;
    for (long n = 0;; n++) {
        km_host_pages pages;
        km_host_pages_init(&pages);
        km_host_pages_fail_after(&pages, n);
        km_heap_platform platform = km_host_platform(&pages);
        km_heap *heap;
        km_status status = km_heap_create(&platform, 100000, 0, 0, &heap);
        size_t refused = 0;
        if (status == KM_OK) {
            refused = run_scenario(heap);
            km_heap_destroy(heap);
        } else {
            assert_int_equal(status, KM_NO_MEMORY);
            refused = 1;
        }
        assert_int_equal(pages.reserved_bytes, 0);
        assert_int_equal(pages.reservations, 0);
        if (refused == 0 && pages.failures_after >= 0)
            break; /* the whole scenario ran before the injected failure came due */
        scenarios_with_failures += refused != 0;
        assert_true(n < 10000);
    }
    assert_true(scenarios_with_failures > 10);
}

static void a_fixed_heap_survives_failures_too(void **state)
{
    (void)state;
    for (long n = 0; n < 40; n++) {
        km_host_pages pages;
        km_host_pages_init(&pages);
        km_host_pages_fail_after(&pages, n);
        km_heap_platform platform = km_host_platform(&pages);
        km_heap *heap;
        if (km_heap_create(&platform, 0, 4 << 20, 0, &heap) == KM_OK) {
            run_scenario(heap);
            km_heap_destroy(heap);
        }
        assert_int_equal(pages.reserved_bytes, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_provider_failure_is_survived),
        cmocka_unit_test(a_fixed_heap_survives_failures_too),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
