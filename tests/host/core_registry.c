/* The heap registry on the host: any number of heaps, lookups that stay exact through removals
 * (no tombstones), growth that fails cleanly, and every table returned at the end. The handles
 * are made-up multiples of 64 KiB: the registry never reads through them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/heap_registry.h"
#include "host_pages.h"
#include "host_threads.h"

typedef struct fixture {
    km_host_pages pages;
    km_heap_registry registry;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    km_host_pages_init(&f->pages);
    km_registry_init(&f->registry, &km_host_threads, &f->pages.pages);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    km_registry_destroy(&f->registry);
    int leaked = f->pages.reserved_bytes != 0 || f->pages.reservations != 0;
    free(f);
    return leaked ? -1 : 0;
}

static km_heap *handle(size_t i)
{
    return (km_heap *)(((uintptr_t)i + 1) << 16);
}

static void an_added_heap_is_found_and_a_removed_one_is_not(void **state)
{
    km_heap_registry *registry = &((fixture *)*state)->registry;
    assert_true(km_registry_add(registry, handle(1)));
    assert_ptr_equal(km_registry_find(registry, handle(1)), handle(1));
    assert_null(km_registry_find(registry, handle(2)));
    assert_null(km_registry_find(registry, (char *)handle(1) + 16));
    assert_null(km_registry_find(registry, NULL));
    km_registry_remove(registry, handle(1));
    assert_null(km_registry_find(registry, handle(1)));
}

static void a_hundred_thousand_heaps_come_and_go(void **state)
{
    km_heap_registry *registry = &((fixture *)*state)->registry;
    assert_true(km_registry_add(registry, handle(0)));
    for (size_t i = 1; i <= 100000; i++) {
        assert_true(km_registry_add(registry, handle(i)));
        assert_ptr_equal(km_registry_find(registry, handle(i)), handle(i));
        km_registry_remove(registry, handle(i));
        assert_null(km_registry_find(registry, handle(i)));
    }
    assert_ptr_equal(km_registry_find(registry, handle(0)), handle(0));
    km_heap *listed[2];
    assert_int_equal(km_registry_list(registry, listed, 2), 1);
}

static void twenty_thousand_heaps_live_at_once_stay_exact_through_removals(void **state)
{
    enum { HEAPS = 20000 };
    km_heap_registry *registry = &((fixture *)*state)->registry;
    for (size_t i = 0; i < HEAPS; i++)
        assert_true(km_registry_add(registry, handle(i * 7)));
    /* Remove every third, in an order unrelated to the table's, then check every handle. */
    bool *removed = calloc(HEAPS, sizeof *removed);
    for (size_t i = 0; i < HEAPS; i += 3) {
        size_t victim = (i * 7919) % HEAPS;
        km_registry_remove(registry, handle(victim * 7));
        removed[victim] = true;
    }
    size_t live = 0;
    for (size_t i = 0; i < HEAPS; i++) {
        km_heap *found = km_registry_find(registry, handle(i * 7));
        if (removed[i]) {
            assert_null(found);
        } else {
            assert_ptr_equal(found, handle(i * 7));
            live++;
        }
        assert_null(km_registry_find(registry, handle(i * 7 + 1)));
    }
    km_heap **listed = calloc(HEAPS, sizeof *listed);
    assert_int_equal(km_registry_list(registry, listed, HEAPS), live);
    assert_true(removed[0]); /* so the registry has no first heap to list first */
    free(listed);
    free(removed);
}

static void the_first_heap_is_listed_first(void **state)
{
    km_heap_registry *registry = &((fixture *)*state)->registry;
    for (size_t i = 0; i < 100; i++)
        assert_true(km_registry_add(registry, handle(100 - i)));
    km_heap *listed[100];
    assert_int_equal(km_registry_list(registry, listed, 100), 100);
    assert_ptr_equal(listed[0], handle(100));
}

static void growth_without_memory_refuses_the_heap_and_keeps_the_others(void **state)
{
    fixture *f = *state;
    size_t added = 0;
    while (added < KM_REGISTRY_INITIAL_SLOTS / 2)
        assert_true(km_registry_add(&f->registry, handle(added++)));
    km_host_pages_fail_after(&f->pages, 0);
    assert_false(km_registry_add(&f->registry, handle(added)));
    km_host_pages_fail_after(&f->pages, -1);
    for (size_t i = 0; i < added; i++)
        assert_ptr_equal(km_registry_find(&f->registry, handle(i)), handle(i));
    assert_null(km_registry_find(&f->registry, handle(added)));
    assert_true(km_registry_add(&f->registry, handle(added)));
    assert_ptr_equal(km_registry_find(&f->registry, handle(added)), handle(added));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_added_heap_is_found_and_a_removed_one_is_not, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_hundred_thousand_heaps_come_and_go, setup, teardown),
        cmocka_unit_test_setup_teardown(
            twenty_thousand_heaps_live_at_once_stay_exact_through_removals, setup, teardown),
        cmocka_unit_test_setup_teardown(the_first_heap_is_listed_first, setup, teardown),
        cmocka_unit_test_setup_teardown(growth_without_memory_refuses_the_heap_and_keeps_the_others,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
