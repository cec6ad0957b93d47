/*
 * The bytes the model expects in a live block: a pattern of its own, written when the block is
 * made or grows and checked before it is freed or resized and whenever the heap is examined.
 *
 * This is the fuzzer's hottest code (a 1 MiB block is filled and checked whole), so it works a
 * word at a time and is compiled without ASan or coverage (fuzz/CMakeLists.txt): the blocks
 * live in the page provider's mappings, which ASan does not track anyway.
 */
#include "shadow.h"

#include <string.h>

/* The pattern is the offset's low byte mixed with a key per 256-byte stretch, so a block's bytes
 * differ from every other block's and a stretch moved within the block shows too. */
static unsigned char stretch_key(uint32_t tag, size_t stretch)
{
    uint32_t mixed = (tag + 1) * 0x9E3779B1u ^ (uint32_t)(stretch + 1) * 0x85EBCA6Bu;
    return (unsigned char)(mixed >> 24 ^ mixed >> 8);
}

static unsigned char pattern_byte(uint32_t tag, size_t offset)
{
    return stretch_key(tag, offset >> 8) ^ (unsigned char)offset;
}

/* Where the stretch holding offset ends, or `to` if that comes first. */
static size_t stretch_end(size_t offset, size_t to)
{
    size_t end = (offset | 255) + 1;
    return end < to ? end : to;
}

/* The inner loops run over one stretch with one key and no early exit, so that the compiler
 * vectorizes them: even 1 MiB blocks then cost the model less than the heap. */
void shadow_fill(const shadow_block *block, size_t from, size_t to)
{
    unsigned char *bytes = block->data;
    for (size_t i = from; i < to;) {
        unsigned char key = stretch_key(block->tag, i >> 8);
        for (size_t end = stretch_end(i, to); i < end; i++)
            bytes[i] = key ^ (unsigned char)i;
    }
}

static void report_first_difference(const shadow_block *block, size_t from, size_t to,
                                    const char *when)
{
    for (size_t i = from; i < to; i++)
        if (block->data[i] != pattern_byte(block->tag, i))
            shadow_fail("%s: byte %zu of block %p (size %zu, tag %u) is %#x, not %#x", when, i,
                        (void *)block->data, block->size, block->tag, block->data[i],
                        pattern_byte(block->tag, i));
}

void shadow_check_pattern(const shadow_block *block, size_t from, size_t to, const char *when)
{
    const unsigned char *bytes = block->data;
    for (size_t i = from; i < to;) {
        size_t start = i, end = stretch_end(i, to);
        unsigned char key = stretch_key(block->tag, i >> 8);
        unsigned char differences = 0;
        for (; i < end; i++)
            differences |= bytes[i] ^ key ^ (unsigned char)i;
        if (differences)
            report_first_difference(block, start, end, when);
    }
}

void shadow_check_zero(const unsigned char *data, size_t from, size_t to, const char *when)
{
    unsigned char bits = 0;
    for (size_t i = from; i < to; i++)
        bits |= data[i];
    if (!bits)
        return;
    for (size_t i = from; i < to; i++)
        if (data[i])
            shadow_fail("%s: byte %zu of %p is %#x, not zero", when, i, (const void *)data,
                        data[i]);
}
