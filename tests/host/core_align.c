/* core/align.h: rounding that reports overflow instead of wrapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/align.h"

static void power_of_two_accepts_only_single_bits(void **state)
{
    (void)state;
    assert_false(km_is_power_of_two(0));
    assert_true(km_is_power_of_two(1));
    assert_true(km_is_power_of_two(4096));
    assert_false(km_is_power_of_two(4095));
    assert_true(km_is_power_of_two((SIZE_MAX >> 1) + 1));
    assert_false(km_is_power_of_two(SIZE_MAX));
}

static void align_up_rounds_to_the_next_multiple(void **state)
{
    (void)state;
    size_t out = 0;
    assert_true(km_align_up(0, 16, &out));
    assert_int_equal(out, 0);
    assert_true(km_align_up(1, 16, &out));
    assert_int_equal(out, 16);
    assert_true(km_align_up(16, 16, &out));
    assert_int_equal(out, 16);
    assert_true(km_align_up(0xfffc, 0x10000, &out));
    assert_int_equal(out, 0x10000);
}

static void align_up_reports_overflow_instead_of_wrapping(void **state)
{
    (void)state;
    size_t out = 12345;
    assert_false(km_align_up(SIZE_MAX, 16, &out));
    assert_false(km_align_up(SIZE_MAX - 14, 16, &out));
    assert_int_equal(out, 12345);
    assert_true(km_align_up(SIZE_MAX - 15, 16, &out));
    assert_int_equal(out, SIZE_MAX - 15);
}

static void align_down_and_is_aligned_agree(void **state)
{
    (void)state;
    assert_int_equal(km_align_down(0x12345, 0x1000), 0x12000);
    assert_int_equal(km_align_down(0x12000, 0x1000), 0x12000);
    assert_true(km_is_aligned(0x12000, 0x1000));
    assert_false(km_is_aligned(0x12001, 0x1000));
    assert_true(km_is_aligned(UINTPTR_MAX - 0xfff, 0x1000));
}

static void range_wraps_only_past_the_top_of_the_address_space(void **state)
{
    (void)state;
    assert_false(km_range_wraps(0, 0));
    assert_false(km_range_wraps(UINTPTR_MAX, 0));
    assert_false(km_range_wraps(UINTPTR_MAX, 1));
    assert_true(km_range_wraps(UINTPTR_MAX, 2));
    assert_false(km_range_wraps(0, SIZE_MAX));
    assert_false(km_range_wraps(1, SIZE_MAX)); /* its last byte is the last address */
    assert_true(km_range_wraps(2, SIZE_MAX));
    assert_false(km_range_wraps(0x1000, 0x1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(power_of_two_accepts_only_single_bits),
        cmocka_unit_test(align_up_rounds_to_the_next_multiple),
        cmocka_unit_test(align_up_reports_overflow_instead_of_wrapping),
        cmocka_unit_test(align_down_and_is_aligned_agree),
        cmocka_unit_test(range_wraps_only_past_the_top_of_the_address_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
