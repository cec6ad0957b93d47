/*
 * Alignment arithmetic for the portable core.
 *
 * Every size that reaches the core comes from a caller and may be absurd (SIZE_MAX, a negative
 * number cast to size_t). Rounding such a size up must be detected, not wrap to a small number that
 * would then be allocated and overflowed. Each helper that can overflow therefore reports it
 * instead of returning a wrapped value. Alignments are powers of two; that is a precondition,
 * checked by km_is_power_of_two where a caller cannot guarantee it.
 */
#ifndef KM_CORE_ALIGN_H
#define KM_CORE_ALIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool km_is_power_of_two(size_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

/* True when value is a multiple of alignment (a power of two). */
static inline bool km_is_aligned(uintptr_t value, size_t alignment)
{
    return (value & (alignment - 1)) == 0;
}

/* Rounds value down to a multiple of alignment (a power of two); cannot overflow. */
static inline uintptr_t km_align_down(uintptr_t value, size_t alignment)
{
    return value & ~(uintptr_t)(alignment - 1);
}

/* Rounds value up to a multiple of alignment (a power of two) into *out; false if that wraps. */
static inline bool km_align_up(size_t value, size_t alignment, size_t *out)
{
    size_t mask = alignment - 1;
    if (value > SIZE_MAX - mask)
        return false;
    *out = (value + mask) & ~mask;
    return true;
}

/* True when [base, base + size) wraps past the end of the address space. */
static inline bool km_range_wraps(uintptr_t base, size_t size)
{
    return size != 0 && base > UINTPTR_MAX - (size - 1);
}

#endif
