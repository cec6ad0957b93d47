/* core/size_class.c: every small request maps to the tightest class that holds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/size_class.h"

static void classes_grow_strictly_and_stay_aligned(void **state)
{
    (void)state;
    size_t previous = 0;
    for (unsigned i = 0; i < KM_SIZE_CLASS_COUNT; i++) {
        size_t size = km_size_class_block_size(i);
        assert_true(size > previous);
        assert_int_equal(size % KM_BLOCK_ALIGNMENT, 0);
        previous = size;
    }
    assert_int_equal(previous, KM_SMALL_MAX);
}

static void every_size_maps_to_the_tightest_class_that_holds_it(void **state)
{
    (void)state;
    for (size_t size = 0; size <= KM_SMALL_MAX; size++) {
        unsigned index = km_size_class_of(size);
        assert_in_range(index, 0, KM_SIZE_CLASS_COUNT - 1);
        assert_true(km_size_class_block_size(index) >= size);
        if (index > 0)
            assert_true(km_size_class_block_size(index - 1) < size);
    }
}

static void each_class_maps_back_to_itself(void **state)
{
    (void)state;
    for (unsigned i = 0; i < KM_SIZE_CLASS_COUNT; i++)
        assert_int_equal(km_size_class_of(km_size_class_block_size(i)), i);
}

static void waste_is_under_an_eighth_above_128_bytes(void **state)
{
    (void)state;
    for (size_t size = KM_LINEAR_CLASS_LIMIT + 1; size <= KM_SMALL_MAX; size++) {
        size_t block = km_size_class_block_size(km_size_class_of(size));
        assert_true((block - size) * 8 < block);
    }
}

/* The commonest requests fill their blocks, and the average request from 8 to 1024 bytes wastes
 * well under 15% of what it asked for. */
static void powers_of_two_fill_their_blocks_and_average_waste_is_small(void **state)
{
    (void)state;
    for (size_t size = KM_BLOCK_ALIGNMENT; size <= KM_SMALL_MAX; size *= 2)
        assert_int_equal(km_size_class_block_size(km_size_class_of(size)), size);
    double waste = 0;
    for (size_t size = 8; size <= 1024; size++)
        waste += (double)(km_size_class_block_size(km_size_class_of(size)) - size) / (double)size;
    assert_true(waste / (1024 - 8 + 1) < 0.10);
}

static void a_zero_byte_request_gets_the_smallest_block(void **state)
{
    (void)state;
    assert_int_equal(km_size_class_of(0), 0);
    assert_int_equal(km_size_class_block_size(0), KM_BLOCK_ALIGNMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classes_grow_strictly_and_stay_aligned),
        cmocka_unit_test(every_size_maps_to_the_tightest_class_that_holds_it),
        cmocka_unit_test(each_class_maps_back_to_itself),
        cmocka_unit_test(waste_is_under_an_eighth_above_128_bytes),
        cmocka_unit_test(powers_of_two_fill_their_blocks_and_average_waste_is_small),
        cmocka_unit_test(a_zero_byte_request_gets_the_smallest_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
