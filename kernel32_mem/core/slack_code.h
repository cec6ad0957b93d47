/*
 * The size a run's block was requested with, kept in the block itself: in the slack the request
 * left at the block's end. Blocks have no header, so this is the one thing about a block that is
 * not out of band; it is inline because every free, size and allocation reads or writes it.
 *
 * A request that fills its block sets a bit in the run record's exact map instead. Otherwise the
 * last byte codes the slack: below 0x80 it is the slack; 0x80-0xbf add the byte before it (slack
 * below 16 KiB), 0xc0-0xff the two before (any slack of a run block). When room is left between
 * the request and that code, two bytes drawn from the heap's secret, their own address and the
 * slack guard the block (one byte, when only one is left):
 * - the seal, right after the request, so that writing even one byte past the request is found
 *   by validation, and by every call on the block in the debug modes and with a quarantine;
 * - the guard, right before the code, which proves the code (it changes with the slack) and
 *   which a free checks in the block before the one it frees. An overflow that reaches the next
 *   block has run through it, so it is found where Windows finds it: in the header of the block
 *   it ran into. The guard and the code are the block's last bytes, just before the next block,
 *   so a free reads that one line of memory and nothing of its own block.
 * A block whose slack is one byte has its code alone, and no guard: an overflow that writes a
 * code of 1 there goes unseen, as one into a block that fills its class does. An overflow can
 * falsify its own block's code, which is then found by the guard, with the odds of a one-byte
 * check; never the heap's structure, which is out of band.
 */
#ifndef KM_CORE_SLACK_CODE_H
#define KM_CORE_SLACK_CODE_H

#include "core/heap_types.h"

#include <string.h>

/* Windows' tail-checking pattern. */
#define KM_HEAP_TAIL_FILL 0xab

static inline uint8_t km_canary_of(const km_heap *heap, uint64_t value)
{
    return (uint8_t)(((value ^ heap->secret) * 0x9e3779b97f4a7c15ull) >> 56);
}

/* The seal's and the guard's value: drawn from the slack too, so that the guard proves the code
 * beside it (a code changed to another of its length no longer matches). When only one byte is
 * left between the request and the code, the seal and the guard are that byte, and agree. */
static inline uint8_t km_slack_canary(const km_heap *heap, uintptr_t address, size_t slack)
{
    return km_canary_of(heap, (uint64_t)address ^ ((uint64_t)slack << 40));
}

/* What the last byte of a block says about the bytes of code before it. */
#define KM_SLACK_ONE_BYTE_MAX 0x7fu
#define KM_SLACK_TWO_BYTE_MARK 0x80u
#define KM_SLACK_TWO_BYTE_MAX 0x3fffu
#define KM_SLACK_THREE_BYTE_MARK 0xc0u
#define KM_SLACK_THREE_BYTE_MAX 0x3fffffu
_Static_assert(KM_RUN_BLOCK_MAX <= KM_SLACK_THREE_BYTE_MAX, "three bytes code any slack");

static inline void km_run_set_requested_locked(const km_heap *heap, km_run *run, size_t index,
                                               uintptr_t block, size_t requested)
{
    uint64_t bit = (uint64_t)1 << (index % 64);
    size_t slack = run->block_size - requested;
    /* Whole-word stores: other threads may read the word (thread_cache.h). */
    uint64_t *exact = &run->maps[index / 64].exact;
    if (slack == 0) {
        __atomic_store_n(exact, *exact | bit, __ATOMIC_RELAXED);
        return;
    }
    __atomic_store_n(exact, *exact & ~bit, __ATOMIC_RELAXED);
    uint8_t *end = (uint8_t *)(block + run->block_size);
    size_t code_bytes;
    if (slack <= KM_SLACK_ONE_BYTE_MAX) {
        code_bytes = 1;
        end[-1] = (uint8_t)slack;
    } else if (slack <= KM_SLACK_TWO_BYTE_MAX) {
        code_bytes = 2;
        end[-1] = (uint8_t)(KM_SLACK_TWO_BYTE_MARK | (slack >> 8));
        end[-2] = (uint8_t)slack;
    } else {
        code_bytes = 3;
        end[-1] = (uint8_t)(KM_SLACK_THREE_BYTE_MARK | (slack >> 16));
        end[-2] = (uint8_t)(slack >> 8);
        end[-3] = (uint8_t)slack;
    }
    if (slack <= code_bytes)
        return;
    uintptr_t guard = (uintptr_t)end - code_bytes - 1;
    *(uint8_t *)guard = km_slack_canary(heap, guard, slack);
    /* Tail checking puts Windows' fill right after the request, in place of the seal. */
    if (__builtin_expect(heap->debug & KM_HEAP_DEBUG_TAIL, 0))
        memset((uint8_t *)block + requested, KM_HEAP_TAIL_FILL, guard - (block + requested));
    else
        ((uint8_t *)block)[requested] = km_slack_canary(heap, block + requested, slack);
}

/* Tail checking: the fill between the request and the guard is intact. */
static inline bool km_tail_is_intact(const uint8_t *fill, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (fill[i] != KM_HEAP_TAIL_FILL)
            return false;
    return true;
}

/* The slack a block's code says, and the code's length; false for no code a block can hold. */
static inline bool km_slack_decode(const km_run *run, const uint8_t *end, size_t *slack,
                                   size_t *code_bytes)
{
    size_t last = end[-1];
    if (last < KM_SLACK_TWO_BYTE_MARK) {
        *slack = last;
        *code_bytes = 1;
    } else if (last < KM_SLACK_THREE_BYTE_MARK) {
        *slack = ((last & 0x3f) << 8) | end[-2];
        *code_bytes = 2;
    } else {
        *slack = ((last & 0x3f) << 16) | ((size_t)end[-2] << 8) | end[-3];
        *code_bytes = 3;
    }
    /* A code is always the shortest that holds its slack. */
    bool shortest = *code_bytes == 1 || (*code_bytes == 2 && *slack > KM_SLACK_ONE_BYTE_MAX) ||
                    (*code_bytes == 3 && *slack > KM_SLACK_TWO_BYTE_MAX);
    return *slack != 0 && *slack <= run->block_size && shortest;
}

static inline bool km_run_is_exact(const km_run *run, size_t index)
{
    return (__atomic_load_n(&run->maps[index / 64].exact, __ATOMIC_RELAXED) >> (index % 64)) & 1;
}

/* The slack the block's code says, and the code's length, once the guard before the code
 * proves it; false for a damaged code or guard. */
static inline bool km_run_slack_locked(const km_heap *heap, const km_run *run, uintptr_t block,
                                       size_t *slack, size_t *code_bytes)
{
    const uint8_t *end = (const uint8_t *)(block + run->block_size);
    if (!km_slack_decode(run, end, slack, code_bytes))
        return false;
    uintptr_t guard = (uintptr_t)end - *code_bytes - 1;
    return *slack <= *code_bytes || *(const uint8_t *)guard == km_slack_canary(heap, guard, *slack);
}

/* The block's requested size, read from its code, which the guard before it proves; the seal
 * after the request is not read (km_run_requested_sealed_locked reads it too). */
static inline km_status km_run_requested_locked(const km_heap *heap, const km_run *run,
                                                size_t index, uintptr_t block, size_t *requested)
{
    size_t slack = 0, code_bytes;
    if (!km_run_is_exact(run, index) && !km_run_slack_locked(heap, run, block, &slack, &code_bytes))
        return KM_CORRUPTED;
    *requested = run->block_size - slack;
    return KM_OK;
}

/* The same, with the seal after the request checked too (in tail checking, the fill from the
 * request to the guard): what validation reads, and every call in the debug modes. */
static inline km_status km_run_requested_sealed_locked(const km_heap *heap, const km_run *run,
                                                       size_t index, uintptr_t block,
                                                       size_t *requested)
{
    if (km_run_is_exact(run, index)) {
        *requested = run->block_size;
        return KM_OK;
    }
    size_t slack, code_bytes;
    if (!km_run_slack_locked(heap, run, block, &slack, &code_bytes))
        return KM_CORRUPTED;
    *requested = run->block_size - slack;
    if (slack <= code_bytes)
        return KM_OK;
    uintptr_t seal = block + *requested, guard = block + run->block_size - code_bytes - 1;
    if (__builtin_expect(heap->debug & KM_HEAP_DEBUG_TAIL, 0))
        return km_tail_is_intact((const uint8_t *)seal, guard - seal) ? KM_OK : KM_CORRUPTED;
    return *(const uint8_t *)seal == km_slack_canary(heap, seal, slack) ? KM_OK : KM_CORRUPTED;
}

/* Bytes a run block needs past its request in tail checking: Windows' 16 bytes of fill, then
 * the guard and the longest code. */
static inline size_t km_run_tail_reach(const km_heap *heap)
{
    return __builtin_expect(heap->debug & KM_HEAP_DEBUG_TAIL, 0) ? KM_HEAP_TAIL_BYTES + 1 + 3 : 0;
}

/* The block before index, if busy, is sealed off from it: its guard and code are intact.
 * Inline: every free checks it, and a call would cost as much as the check. */
static inline __attribute__((always_inline)) bool
km_run_previous_is_intact_locked(const km_heap *heap, const km_run *run, size_t index)
{
    if (index == 0 || km_run_is_block_free(run, index - 1))
        return true;
    size_t requested;
    return km_run_requested_locked(heap, run, index - 1,
                                   run->first_block + (index - 1) * run->block_size,
                                   &requested) == KM_OK;
}

#endif
