/* The heap core at scale: metadata is committed as a heap is used, not for what it may hold,
 * so a heap whose maximum is a terabyte costs a few pages, and walking or validating it costs
 * what it holds. Blocks placed past the first page of slot descriptors are found, walked and
 * validated like the others, and addresses in slots never used are refused without a read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/heap.h"
#include "host_pages.h"
#include "host_threads.h"

typedef struct fixture {
    km_host_pages pages;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    km_host_pages_init(&f->pages);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    int leaked = f->pages.reserved_bytes != 0 || f->pages.reservations != 0;
    free(f);
    return leaked ? -1 : 0;
}

static km_heap *create(fixture *f, size_t initial, size_t maximum)
{
    km_heap_platform platform = km_host_platform(&f->pages);
    km_heap *heap = NULL;
    assert_int_equal(km_heap_create(&platform, initial, maximum, 0, &heap), KM_OK);
    return heap;
}

static size_t busy_blocks_walked(km_heap *heap, uintptr_t *walk_end)
{
    km_walk_entry entry = {0};
    size_t busy = 0;
    km_status status;
    while ((status = km_heap_walk(heap, &entry)) == KM_OK) {
        busy += entry.kind == KM_WALK_BUSY;
        if (entry.kind != KM_WALK_REGION)
            *walk_end = (uintptr_t)entry.data + entry.size;
    }
    assert_int_equal(status, KM_NO_MORE_ITEMS);
    return busy;
}

static void a_terabyte_heap_commits_a_few_pages(void **state)
{
    if (sizeof(void *) < 8)
        skip();
    fixture *f = *state;
    const size_t terabyte = (size_t)1 << 40;
    km_heap *heap = create(f, 0, terabyte);
    km_heap_summary summary;
    km_heap_summarize(heap, 0, &summary);
    assert_true(summary.max_reserve >= terabyte);
    assert_true(summary.reserved <= (size_t)2 << 30); /* reserved a segment at a time */
    assert_true(summary.committed < 1 << 20);

    void *blocks[1000];
    km_status status;
    for (size_t i = 0; i < 1000; i++) {
        blocks[i] = km_heap_alloc(heap, 0, 16 + (i * 7919) % 70000, &status);
        assert_non_null(blocks[i]);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
    uintptr_t walk_end = 0;
    assert_int_equal(busy_blocks_walked(heap, &walk_end), 1000);
    /* The walk ends with the untouched rest of the first reservation, one uncommitted range. */
    assert_true(walk_end >= (uintptr_t)heap + ((size_t)1 << 30));
    km_heap_summarize(heap, 0, &summary);
    assert_true(summary.committed < 64 << 20);
    for (size_t i = 0; i < 1000; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
    km_heap_destroy(heap);
}

static void addresses_in_slots_never_used_are_refused_without_a_read(void **state)
{
    if (sizeof(void *) < 8)
        skip();
    fixture *f = *state;
    km_heap *heap = create(f, 0, (size_t)1 << 40);
    /* Not committed: a read would fault, and ASan would say so. */
    char *far = (char *)heap + ((size_t)1 << 29) + 16;
    size_t size;
    assert_int_equal(km_heap_free(heap, 0, far), KM_INVALID_POINTER);
    assert_int_equal(km_heap_size(heap, 0, far, &size), KM_INVALID_POINTER);
    assert_false(km_heap_validate(heap, 0, far));
    km_walk_entry entry = {.data = far, .kind = KM_WALK_BUSY};
    assert_int_not_equal(km_heap_walk(heap, &entry), KM_OK);
    km_heap_destroy(heap);
}

/* 256 MiB of slots need 64 KiB of descriptors; the first page describes about 250 slots. */
static void blocks_past_the_first_descriptor_page_behave_like_the_others(void **state)
{
    fixture *f = *state;
    enum { SPANS = 700 };
    km_heap *heap = create(f, 0, (size_t)256 << 20);
    void *spans[SPANS];
    km_status status;
    for (size_t i = 0; i < SPANS; i++) {
        spans[i] = km_heap_alloc(heap, 0, 70000, &status);
        assert_non_null(spans[i]);
        memset(spans[i], (int)i, 70000);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
    uintptr_t walk_end = 0;
    assert_int_equal(busy_blocks_walked(heap, &walk_end), SPANS);
    /* The last span grows in place into the free slots after it. */
    void *last = spans[SPANS - 1];
    assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, last, 900000, &status), last);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 0; i < SPANS; i++) {
        assert_int_equal(((unsigned char *)spans[i])[69999], (unsigned char)i);
        assert_int_equal(km_heap_free(heap, 0, spans[i]), KM_OK);
    }
    km_heap_compact(heap, 0);
    assert_true(km_heap_validate(heap, 0, NULL));
    km_heap_destroy(heap);
}

/* A fixed heap bigger than its first reservation reserves more as it fills, up to its maximum
 * and no further, and gives back a reservation it no longer uses. */
static void a_fixed_heap_reserves_its_maximum_as_it_fills(void **state)
{
    if (sizeof(void *) < 8)
        skip();
    fixture *f = *state;
    const size_t maximum = (size_t)3 << 30;
    km_heap *heap = create(f, 0, maximum);
    enum { MAX_SPANS = 70000 };
    void **spans = calloc(MAX_SPANS, sizeof *spans);
    size_t count = 0;
    km_status status = KM_OK;
    while (count < MAX_SPANS && (spans[count] = km_heap_alloc(heap, 0, 900000, &status)))
        count++;
    assert_int_equal(status, KM_NO_MEMORY);
    km_heap_summary summary;
    km_heap_summarize(heap, 0, &summary);
    assert_true(summary.reserved <= summary.max_reserve);
    assert_true(count * 900000 > maximum - maximum / 8);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 0; i < count; i++)
        assert_int_equal(km_heap_free(heap, 0, spans[i]), KM_OK);
    km_heap_summarize(heap, 0, &summary);
    assert_true(summary.reserved <= (size_t)1100 << 20);
    /* And it fills again as far. */
    size_t again = 0;
    while (again < MAX_SPANS && (spans[again] = km_heap_alloc(heap, 0, 900000, &status)))
        again++;
    assert_int_equal(again, count);
    free(spans);
    km_heap_destroy(heap);
}

static void a_growable_heap_describes_its_new_segments_as_it_uses_them(void **state)
{
    fixture *f = *state;
    km_heap *heap = create(f, 0, 0);
    km_heap *other = create(f, 0, 0);
    void *theirs = km_heap_alloc(other, 0, 100, &(km_status){0});
    enum { COUNT = 20000 };
    void **blocks = calloc(COUNT, sizeof *blocks);
    km_status status;
    for (size_t i = 0; i < COUNT; i++) {
        blocks[i] = km_heap_alloc(heap, 0, 1 + (i * 7919) % 20000, &status);
        assert_non_null(blocks[i]);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
    uintptr_t walk_end = 0;
    assert_int_equal(busy_blocks_walked(heap, &walk_end), COUNT);
    /* Another heap's block is refused, whether the segment is found by the page provider's
     * owner map or, without one, by a search of the heap's own segments. */
    assert_int_equal(km_heap_free(heap, 0, theirs), KM_INVALID_POINTER);
    for (size_t i = 0; i < COUNT; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_int_equal(km_heap_free(other, 0, theirs), KM_OK);
    free(blocks);
    km_heap_destroy(other);
    km_heap_destroy(heap);
}

static void without_an_owner_map_segments_are_searched(void **state)
{
    fixture *f = *state;
    f->pages.pages.set_owner = NULL;
    f->pages.pages.owner_map = NULL;
    a_growable_heap_describes_its_new_segments_as_it_uses_them(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_terabyte_heap_commits_a_few_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(addresses_in_slots_never_used_are_refused_without_a_read,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            blocks_past_the_first_descriptor_page_behave_like_the_others, setup, teardown),
        cmocka_unit_test_setup_teardown(a_fixed_heap_reserves_its_maximum_as_it_fills, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_growable_heap_describes_its_new_segments_as_it_uses_them,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(without_an_owner_map_segments_are_searched, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
