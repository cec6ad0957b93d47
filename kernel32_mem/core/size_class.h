/*
 * Size classes: how the heap rounds a small request to one of a few block sizes, so that blocks
 * of one size can share a run and be found again by arithmetic alone.
 *
 * Every block size is a multiple of KM_BLOCK_ALIGNMENT, the alignment Windows guarantees for
 * HeapAlloc (16 bytes on 64-bit, 8 on 32-bit). Up to 128 bytes the classes are spaced by that
 * alignment; above, each power-of-two interval (2^b, 2^(b+1)] holds eight classes spaced by
 * 2^(b-3). A request therefore wastes less than an eighth of its block above 128 bytes, and less
 * than one alignment unit below; blocks carry no header, so a request of a power of two, the
 * commonest size there is, fills its block exactly. The largest class is KM_SMALL_MAX bytes;
 * larger requests are not small blocks and do not use this file.
 *
 * Both directions are O(1): a request's class comes from its highest set bit, and a class's
 * block size from its index.
 */
#ifndef KM_CORE_SIZE_CLASS_H
#define KM_CORE_SIZE_CLASS_H

#include <stddef.h>
#include <stdint.h>

#define KM_BLOCK_ALIGNMENT (2 * sizeof(void *))
#define KM_SMALL_MAX ((size_t)64 * 1024)

/* The classes spaced by the alignment, up to 128 bytes, then eight per doubling to 64 KiB. */
#define KM_LINEAR_CLASS_LIMIT 128
#define KM_LINEAR_CLASS_COUNT (KM_LINEAR_CLASS_LIMIT / KM_BLOCK_ALIGNMENT)
#define KM_CLASSES_PER_DOUBLING 8
#define KM_SIZE_CLASS_COUNT (KM_LINEAR_CLASS_COUNT + (16 - 7) * KM_CLASSES_PER_DOUBLING)

/* The class of a request of size bytes, 0 <= size <= KM_SMALL_MAX. A size of 0 gets the
 * smallest class, as HeapAlloc(0) returns a real block. Inline: every allocation asks. */
static inline unsigned km_size_class_of(size_t size)
{
    if (size <= KM_LINEAR_CLASS_LIMIT)
        return size == 0 ? 0 : (unsigned)((size - 1) / KM_BLOCK_ALIGNMENT);

    /* size lies in (2^b, 2^(b+1)]; its step within that interval is in units of 2^(b-3). */
    unsigned b = (unsigned)(sizeof(unsigned long long) * 8 - 1) -
                 (unsigned)__builtin_clzll((unsigned long long)(size - 1));
    unsigned step = (unsigned)((size - 1) >> (b - 3)) & (KM_CLASSES_PER_DOUBLING - 1);
    return (unsigned)KM_LINEAR_CLASS_COUNT + (b - 7) * KM_CLASSES_PER_DOUBLING + step;
}

_Static_assert(KM_BLOCK_ALIGNMENT == 8 || KM_BLOCK_ALIGNMENT == 16,
               "HeapAlloc's alignment is 8 bytes on 32-bit Windows and 16 on 64-bit");
_Static_assert(KM_SMALL_MAX == (size_t)1 << 16, "the classes above 128 bytes end at 2^16");

/* The block size of class index, index < KM_SIZE_CLASS_COUNT. */
static inline size_t km_size_class_block_size(unsigned index)
{
    if (index < KM_LINEAR_CLASS_COUNT)
        return (index + 1) * KM_BLOCK_ALIGNMENT;

    unsigned above = index - (unsigned)KM_LINEAR_CLASS_COUNT;
    unsigned b = 7 + above / KM_CLASSES_PER_DOUBLING;
    unsigned step = above % KM_CLASSES_PER_DOUBLING;
    return ((size_t)1 << b) + (step + 1) * ((size_t)1 << (b - 3));
}

#endif
