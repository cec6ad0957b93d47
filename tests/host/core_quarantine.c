/* The quarantine (core/quarantine.c) on the host: a freed block stays out of reuse until blocks
 * worth the limit are freed after it, stays a freed block to every lookup meanwhile, keeps its
 * run from going back, and starting a quarantine on a heap in use leaves it consistent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/heap.h"
#include "heap_fixture.h"

static bool walk_shows_busy(km_heap *heap, const void *block)
{
    km_walk_entry entry = {0};
    while (km_heap_walk(heap, &entry) == KM_OK)
        if (entry.kind == KM_WALK_BUSY && entry.data == block)
            return true;
    return false;
}

static void a_freed_block_waits_until_the_limit_is_freed_after_it(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    km_heap_set_quarantine(heap, 10 * 64);
    void *first = alloc_ok(heap, 64);
    void *others[10];
    for (int i = 0; i < 10; i++)
        others[i] = alloc_ok(heap, 64);
    assert_int_equal(km_heap_free(heap, 0, first), KM_OK);
    /* Held: a freed block to every lookup, not a block to hand out. */
    size_t size;
    assert_int_equal(km_heap_size(heap, 0, first, &size), KM_FREED);
    assert_int_equal(km_heap_free(heap, 0, first), KM_FREED);
    assert_false(walk_shows_busy(heap, first));
    assert_true(km_heap_validate(heap, 0, NULL));
    void *next = alloc_ok(heap, 64);
    assert_ptr_not_equal(next, first);
    /* Nine more 64-byte frees make ten held: still within the limit. */
    for (int i = 0; i < 9; i++)
        assert_int_equal(km_heap_free(heap, 0, others[i]), KM_OK);
    assert_ptr_not_equal(alloc_ok(heap, 64), first);
    /* One more pushes the first out, and it is the lowest free block again. */
    assert_int_equal(km_heap_free(heap, 0, others[9]), KM_OK);
    assert_ptr_equal(alloc_ok(heap, 64), first);
    assert_true(km_heap_validate(heap, 0, NULL));
}

static void a_run_holding_blocks_is_not_given_back(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    km_heap_set_quarantine(heap, 1 << 20);
    void *blocks[300];
    for (int i = 0; i < 300; i++)
        blocks[i] = alloc_ok(heap, 200 + (size_t)i % 3 * 1000);
    for (int i = 0; i < 300; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    km_heap_compact(heap, 0);
    assert_true(km_heap_validate(heap, 0, NULL));
    /* Every held block is still a freed block of the heap. */
    size_t size;
    for (int i = 0; i < 300; i++)
        assert_int_equal(km_heap_size(heap, 0, blocks[i], &size), KM_FREED);
    km_heap_summary summary;
    km_heap_summarize(heap, 0, &summary);
    assert_int_equal(summary.allocated, 0);
}

/* Blocks freed before the quarantine started (some that filled their blocks exactly) are free
 * blocks like any other once it has. */
static void a_quarantine_started_on_a_used_heap_keeps_it_consistent(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    void *blocks[100];
    for (int i = 0; i < 100; i++)
        blocks[i] = alloc_ok(heap, 64);
    for (int i = 0; i < 100; i += 2)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    km_heap_set_quarantine(heap, 4096);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (int i = 0; i < 100; i += 2)
        blocks[i] = alloc_ok(heap, 64);
    for (int i = 0; i < 100; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* A free whose quarantine ring cannot grow frees the block at once, and leaves the heap whole:
 * the block (a request that filled its block) is allocatable again. The fuzzer's find. */
static void a_free_the_ring_cannot_take_frees_the_block(void **state)
{
    fixture *f = *state;
    km_heap *heap = f->heap;
    km_heap_set_quarantine(heap, 1 << 20);
    void *block = alloc_ok(heap, 16384);
    km_host_pages_fail_after(&f->pages, 0);
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    km_host_pages_fail_after(&f->pages, -1);
    assert_true(km_heap_validate(heap, 0, NULL));
    assert_ptr_equal(alloc_ok(heap, 16384), block);
}

/* With free checking, a held block is checked as it leaves: a write after free while it was held
 * makes the free that pushes it out report corruption (that free is done all the same), and
 * the damaged block stays out of use for good. */
static void free_checking_checks_a_block_leaving_the_quarantine(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_FREE));
    km_heap_set_quarantine(heap, 2 * 64);
    char *blocks[4];
    for (int i = 0; i < 4; i++)
        blocks[i] = alloc_ok(heap, 64);
    assert_int_equal(km_heap_free(heap, 0, blocks[0]), KM_OK);
    blocks[0][8] = 1; /* the program's bug, while the block is held */
    assert_int_equal(km_heap_free(heap, 0, blocks[1]), KM_OK);
    assert_int_equal(km_heap_free(heap, 0, blocks[2]), KM_CORRUPTED);
    size_t size;
    assert_int_equal(km_heap_size(heap, 0, blocks[2], &size), KM_FREED);
    assert_int_equal(km_heap_free(heap, 0, blocks[0]), KM_FREED);
    assert_false(km_heap_validate(heap, 0, NULL));
    for (int i = 0; i < 8; i++)
        assert_ptr_not_equal(alloc_ok(heap, 64), blocks[0]);
    /* An intact block leaves without a word. */
    assert_int_equal(km_heap_free(heap, 0, blocks[3]), KM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_freed_block_waits_until_the_limit_is_freed_after_it,
                                        setup_growable, teardown),
        cmocka_unit_test_setup_teardown(a_run_holding_blocks_is_not_given_back, setup_growable,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_quarantine_started_on_a_used_heap_keeps_it_consistent,
                                        setup_growable, teardown),
        cmocka_unit_test_setup_teardown(a_free_the_ring_cannot_take_frees_the_block, setup_growable,
                                        teardown),
        cmocka_unit_test_setup_teardown(free_checking_checks_a_block_leaving_the_quarantine,
                                        setup_growable, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
