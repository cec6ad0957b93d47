#include "core/size_class.h"

_Static_assert(KM_BLOCK_ALIGNMENT == 8 || KM_BLOCK_ALIGNMENT == 16,
               "HeapAlloc's alignment is 8 bytes on 32-bit Windows and 16 on 64-bit");
_Static_assert(KM_SMALL_MAX == (size_t)1 << 16, "the classes above 128 bytes end at 2^16");

size_t km_size_class_block_size(unsigned index)
{
    if (index < KM_LINEAR_CLASS_COUNT)
        return (index + 1) * KM_BLOCK_ALIGNMENT;

    unsigned above = index - (unsigned)KM_LINEAR_CLASS_COUNT;
    unsigned b = 7 + above / KM_CLASSES_PER_DOUBLING;
    unsigned step = above % KM_CLASSES_PER_DOUBLING;
    return ((size_t)1 << b) + (step + 1) * ((size_t)1 << (b - 3));
}
