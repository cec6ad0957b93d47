/* The PE image checksum (the optional header's CheckSum field). Windows checks it only for drivers
 * and some system DLLs, but a rewritten file should not carry a stale value: tools that verify it
 * (and our own tests) would report the copy as corrupt. */
#ifndef PE_CHECKSUM_H
#define PE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* The checksum of data[0..size) as if the 4 bytes at checksum_offset were zero: the 16-bit words
 * of the file summed with end-around carry, then the file length added. */
uint32_t sl_pe_checksum(const uint8_t *data, size_t size, size_t checksum_offset);

#endif
