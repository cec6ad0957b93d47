/* The debug modes (km_heap_set_debug) on the host: tail checking finds an overflow that the
 * default heap cannot (a request that fills its block exactly has no slack to guard), and
 * validate-all turns any damage into an error of the next call, whatever block it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/heap.h"
#include "heap_fixture.h"

/* Without tail checking a 64-byte request fills its block: a byte past it is the next block's,
 * and nothing can tell. */
static void by_default_an_exact_fit_overflow_goes_unseen(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    char *block = alloc_ok(heap, 64);
    char *next = alloc_ok(heap, 64);
    assert_ptr_equal(next, block + 64);
    block[64] ^= 0x5a;
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    assert_int_equal(km_heap_free(heap, 0, next), KM_OK);
}

static void tail_checking_finds_overflows_of_1_8_and_16_bytes(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_TAIL));
    static const size_t overflows[] = {1, 8, 16};
    for (size_t i = 0; i < 3; i++) {
        char *block = alloc_ok(heap, 64);
        size_t size;
        assert_int_equal(km_heap_size(heap, 0, block, &size), KM_OK);
        assert_int_equal(size, 64);
        memset(block, 0, 64); /* the request itself is the program's */
        block[64 + overflows[i] - 1] ^= 0x5a;
        assert_int_equal(km_heap_free(heap, 0, block), KM_CORRUPTED);
        assert_false(km_heap_validate(heap, 0, NULL));
        block[64 + overflows[i] - 1] ^= 0x5a; /* repaired, so the next case starts clean */
        assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    }
    /* A block resized in place keeps its tail. */
    char *block = alloc_ok(heap, 100);
    km_status status;
    assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, 40, &status), block);
    block[41] ^= 0x5a;
    assert_int_equal(km_heap_free(heap, 0, block), KM_CORRUPTED);
    block[41] ^= 0x5a;
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* As on Windows, tail checking leaves 16 bytes of 0xAB right after every run block's request,
 * whatever its class leaves besides, also after a resize in place. */
static void tail_checking_fills_16_bytes_after_each_request(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_TAIL));
    km_status status;
    for (size_t request = 0; request <= 5000; request += request < 300 ? 1 : 97) {
        unsigned char *block = alloc_ok(heap, request);
        for (size_t i = 0; i < 16; i++)
            assert_int_equal(block[request + i], 0xab);
        size_t smaller = request / 2;
        assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, smaller, &status),
                         block);
        for (size_t i = 0; i < 16; i++)
            assert_int_equal(block[smaller + i], 0xab);
        assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* Spans (100 KiB) and large blocks (1 MiB) have no slack code: tail checking fences them with
 * 16 bytes of 0xAB, checked on size, free and validate, and kept through a resize in place. */
static void tail_checking_fences_spans_and_large_blocks(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_TAIL));
    static const size_t sizes[] = {100000, 1 << 20};
    for (size_t i = 0; i < 2; i++) {
        for (size_t overflow = 1; overflow <= 16; overflow += 15) {
            unsigned char *block = alloc_ok(heap, sizes[i]);
            memset(block, 0x11, sizes[i]);
            assert_int_equal(block[sizes[i]], 0xab);
            block[sizes[i] + overflow - 1] ^= 0x5a;
            size_t size;
            assert_int_equal(km_heap_size(heap, 0, block, &size), KM_CORRUPTED);
            assert_false(km_heap_validate(heap, 0, block));
            assert_false(km_heap_validate(heap, 0, NULL));
            assert_int_equal(km_heap_free(heap, 0, block), KM_CORRUPTED);
            block[sizes[i] + overflow - 1] ^= 0x5a;
            assert_true(km_heap_validate(heap, 0, NULL));
            assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
        }
        /* Shrunk and grown in place, the fence moves with the request. */
        unsigned char *block = alloc_ok(heap, sizes[i]);
        km_status status;
        size_t smaller = sizes[i] - 5000;
        assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, smaller, &status),
                         block);
        block[smaller] ^= 0x5a;
        assert_int_equal(km_heap_free(heap, 0, block), KM_CORRUPTED);
        block[smaller] ^= 0x5a;
        assert_ptr_equal(
            km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, smaller + 100, &status), block);
        assert_int_equal(block[smaller + 100 + 15], 0xab);
        block[smaller + 100 + 15] = 0;
        assert_false(km_heap_validate(heap, 0, NULL));
        block[smaller + 100 + 15] = 0xab;
        assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
}

static void validate_all_makes_any_damage_the_next_calls_error(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_VALIDATE_ALL));
    char *damaged = alloc_ok(heap, 40);
    char *other = alloc_ok(heap, 1000);
    damaged[40] ^= 0x5a;
    km_status status;
    assert_null(km_heap_alloc(heap, 0, 10, &status));
    assert_int_equal(status, KM_CORRUPTED);
    size_t size;
    assert_int_equal(km_heap_size(heap, 0, other, &size), KM_CORRUPTED);
    damaged[40] ^= 0x5a;
    assert_int_equal(km_heap_free(heap, 0, other), KM_OK);
    assert_int_equal(km_heap_free(heap, 0, damaged), KM_OK);
}

/* The page heap: every block ends against an inaccessible page, and is found, sized, resized
 * (moving), walked and freed like a large block. */
static void page_heap_blocks_end_against_their_guard(void **state)
{
    fixture *f = *state;
    km_heap *heap = f->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_PAGE));
    static const size_t sizes[] = {0, 1, 64, 100, 4096, 70000};
    char *blocks[6];
    for (size_t i = 0; i < 6; i++) {
        blocks[i] = alloc_ok(heap, sizes[i]);
        size_t aligned = (sizes[i] ? sizes[i] + 15 : 16) & ~(size_t)15;
        /* The data ends where the committed pages do: the next byte is the guard page. */
        assert_int_equal(((uintptr_t)blocks[i] + aligned) % 4096, 0);
        size_t size;
        assert_int_equal(km_heap_size(heap, 0, blocks[i], &size), KM_OK);
        assert_int_equal(size, sizes[i]);
    }
    km_status status;
    char *moved = km_heap_realloc(heap, 0, blocks[2], 200, &status);
    assert_non_null(moved);
    assert_ptr_not_equal(moved, blocks[2]);
    blocks[2] = moved;
    /* A shrink in place must not fail (the fuzzer's find): the block stays, short of its guard. */
    assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, blocks[3], 50, &status),
                     blocks[3]);
    size_t shrunk;
    assert_int_equal(km_heap_size(heap, 0, blocks[3], &shrunk), KM_OK);
    assert_int_equal(shrunk, 50);
    assert_true(km_heap_validate(heap, 0, NULL));
    size_t busy = 0;
    km_walk_entry entry = {0};
    while (km_heap_walk(heap, &entry) == KM_OK)
        busy += entry.kind == KM_WALK_BUSY;
    assert_int_equal(busy, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_int_equal(km_heap_free(heap, 0, blocks[0]), KM_INVALID_POINTER);
}

/* The page heap's alignment slack (a request short of a multiple of 16 leaves up to 15 bytes
 * before the guard page) holds 0xD0, checked like a tail; after a shrink in place, so does all of
 * the block past the new request. A block whose data offset happens to be a large block's
 * (4,032 bytes) still grows by moving, its guard page never committed. */
static void page_heap_fences_its_alignment_slack(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_PAGE));
    unsigned char *block = alloc_ok(heap, 13);
    assert_int_equal(block[13], 0xd0);
    assert_int_equal(block[15], 0xd0);
    block[15] = 0;
    size_t size;
    assert_int_equal(km_heap_size(heap, 0, block, &size), KM_CORRUPTED);
    assert_false(km_heap_validate(heap, 0, NULL));
    assert_int_equal(km_heap_free(heap, 0, block), KM_CORRUPTED);
    block[15] = 0xd0;
    km_status status;
    assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, 4, &status), block);
    block[10] = 0;
    assert_int_equal(km_heap_free(heap, 0, block), KM_CORRUPTED);
    block[10] = 0xd0;
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);

    unsigned char *page_sized = alloc_ok(heap, 4032);
    unsigned char *moved = km_heap_realloc(heap, 0, page_sized, 5000, &status);
    assert_non_null(moved);
    assert_ptr_not_equal(moved, page_sized);
    assert_int_equal(((uintptr_t)moved + 5008) % 4096, 0);
    assert_int_equal(km_heap_free(heap, 0, moved), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
}

/* Free checking: a write into a freed block is found by the allocation that would reuse it. */
static void free_checking_finds_a_write_after_free_at_reuse(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    assert_true(km_heap_set_debug(heap, KM_HEAP_DEBUG_FREE));
    char *block = alloc_ok(heap, 64);
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    char *again = alloc_ok(heap, 64);
    assert_ptr_equal(again, block); /* an intact freed block is reused */
    assert_int_equal(km_heap_free(heap, 0, again), KM_OK);
    block[10] = 1; /* the program's bug */
    assert_false(km_heap_validate(heap, 0, NULL));
    km_status status;
    assert_null(km_heap_alloc(heap, 0, 64, &status));
    assert_int_equal(status, KM_CORRUPTED);
}

static void debug_modes_are_refused_once_a_block_was_handed_out(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    char *block = alloc_ok(heap, 10);
    assert_false(km_heap_set_debug(heap, KM_HEAP_DEBUG_TAIL));
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup_growable, teardown)
        T(by_default_an_exact_fit_overflow_goes_unseen),
        T(tail_checking_finds_overflows_of_1_8_and_16_bytes),
        T(tail_checking_fills_16_bytes_after_each_request),
        T(validate_all_makes_any_damage_the_next_calls_error),
        T(page_heap_blocks_end_against_their_guard),
        T(tail_checking_fences_spans_and_large_blocks),
        T(page_heap_fences_its_alignment_slack),
        T(free_checking_finds_a_write_after_free_at_reuse),
        T(debug_modes_are_refused_once_a_block_was_handed_out),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
