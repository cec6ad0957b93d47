/* The PE checksum: a 16-bit one's-complement-style sum (carries folded back into the low 16 bits)
 * over the file read as little-endian words, with the CheckSum field itself counted as zero, a
 * last odd byte taken as a word with a zero high byte, plus the file length. Skipping is done per
 * byte, so it is right even if the field were not word-aligned. */
#include "pe_checksum.h"

static uint8_t byte_at(const uint8_t *data, size_t size, size_t i, size_t skip)
{
    if (i >= size || (i >= skip && i - skip < 4))
        return 0;
    return data[i];
}

uint32_t sl_pe_checksum(const uint8_t *data, size_t size, size_t checksum_offset)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < size; i += 2) {
        sum += (uint32_t)byte_at(data, size, i, checksum_offset) |
               (uint32_t)byte_at(data, size, i + 1, checksum_offset) << 8;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)(sum + size);
}
