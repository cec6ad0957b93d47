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

static void waste_is_under_a_quarter_above_128_bytes(void **state)
{
    (void)state;
    for (size_t size = KM_LINEAR_CLASS_LIMIT + 1; size <= KM_SMALL_MAX; size++) {
        size_t block = km_size_class_block_size(km_size_class_of(size));
        assert_true((block - size) * 4 < block);
    }
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
        cmocka_unit_test(waste_is_under_a_quarter_above_128_bytes),
        cmocka_unit_test(a_zero_byte_request_gets_the_smallest_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
