/*
 * A malloc-heavy program of the kind side-loading is for: it links only the C runtime (msvcrt),
 * never kernel32_mem, and makes 1,000,000 malloc/free pairs over a working set of 10,000 live
 * blocks of 8 to 1,024 bytes, writing each block's first and last byte. What it prints depends
 * only on the data, so a run under km_sideload must print exactly the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PAIRS 1000000
#define LIVE 10000

static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

int main(void)
{
    static unsigned char *blocks[LIVE];
    static size_t sizes[LIVE];
    uint32_t state = 2463534242u;
    uint64_t checksum = 0;
    for (long pair = 0; pair < PAIRS; pair++) {
        size_t slot = next_random(&state) % LIVE;
        if (blocks[slot]) {
            checksum += blocks[slot][0] + blocks[slot][sizes[slot] - 1];
            free(blocks[slot]);
        }
        size_t size = 8 + next_random(&state) % 1017;
        unsigned char *block = malloc(size);
        if (!block) {
            fprintf(stderr, "malloc(%zu) failed at pair %ld\n", size, pair);
            return 1;
        }
        block[0] = (unsigned char)size;
        block[size - 1] = (unsigned char)(size >> 3);
        blocks[slot] = block;
        sizes[slot] = size;
    }
    for (size_t slot = 0; slot < LIVE; slot++)
        free(blocks[slot]);
    printf("%d malloc/free pairs, checksum %llu\n", PAIRS, (unsigned long long)checksum);
    return 0;
}
