#include "core/size_class.h"

_Static_assert(KM_BLOCK_ALIGNMENT == 8 || KM_BLOCK_ALIGNMENT == 16,
               "HeapAlloc's alignment is 8 bytes on 32-bit Windows and 16 on 64-bit");
_Static_assert(KM_SMALL_MAX == (size_t)1 << 16, "the classes above 128 bytes end at 2^16");

static unsigned floor_log2(size_t value)
{
    return (unsigned)(sizeof(unsigned long long) * 8 - 1) -
           (unsigned)__builtin_clzll((unsigned long long)value);
}

unsigned km_size_class_of(size_t size)
{
    if (size <= KM_LINEAR_CLASS_LIMIT)
        return size == 0 ? 0 : (unsigned)((size - 1) / KM_BLOCK_ALIGNMENT);

    /* size lies in (2^b, 2^(b+1)]; its step within that interval is in units of 2^(b-2). */
    unsigned b = floor_log2(size - 1);
    unsigned step = (unsigned)((size - 1) >> (b - 2)) & (KM_CLASSES_PER_DOUBLING - 1);
    return (unsigned)KM_LINEAR_CLASS_COUNT + (b - 7) * KM_CLASSES_PER_DOUBLING + step;
}

size_t km_size_class_block_size(unsigned index)
{
    if (index < KM_LINEAR_CLASS_COUNT)
        return (index + 1) * KM_BLOCK_ALIGNMENT;

    unsigned above = index - (unsigned)KM_LINEAR_CLASS_COUNT;
    unsigned b = 7 + above / KM_CLASSES_PER_DOUBLING;
    unsigned step = above % KM_CLASSES_PER_DOUBLING;
    return ((size_t)1 << b) + (step + 1) * ((size_t)1 << (b - 2));
}
