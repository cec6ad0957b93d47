/*
 * The fuzzer's shadow model of the heaps: what each heap must hold after every operation.
 *
 * For each of the fuzzer's heap slots it keeps the live blocks (address, requested size and a
 * tag) and their total, and for all slots together an index of the address ranges the blocks
 * occupy, so that a block handed out over another live one is caught the moment it appears.
 * Each block is filled with a pattern derived from its tag and its bytes' offsets (pattern.c), so
 * that bytes that move, are overwritten or come back from a decommitted page are caught when the
 * block is next checked.
 *
 * Every check that fails calls shadow_fail, which prints what went wrong and aborts, so that
 * libFuzzer saves the input as a crash.
 */
#ifndef KM_FUZZ_SHADOW_H
#define KM_FUZZ_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/heap.h"
#include "host_pages.h"

#define SHADOW_HEAPS 3
/* Enough blocks to fill runs of every class but the smallest few. */
#define SHADOW_BLOCKS_PER_HEAP 2048

typedef struct shadow_block {
    unsigned char *data;
    size_t size;
    uint32_t tag;
} shadow_block;

typedef struct shadow_heap {
    km_host_pages pages; /* this heap's own provider, so that its leaks and failures are its own */
    km_heap *heap;       /* NULL: the slot is empty */
    unsigned flags;
    bool fixed; /* created with a maximum: any request may be refused */
    unsigned lock_depth;
    size_t live_bytes;
    size_t count;
    shadow_block blocks[SHADOW_BLOCKS_PER_HEAP];
} shadow_heap;

/* Clears the model for a new input; every slot must be empty. */
void shadow_reset(void);

shadow_heap *shadow_heap_at(size_t slot);

/* The sum of the live blocks' sizes over every heap. */
size_t shadow_live_bytes(void);

/* Adds a block the heap just handed out: checks that it is aligned and overlaps no live block
 * of any heap, gives it a new tag and returns it. The caller fills it. */
shadow_block *shadow_add(shadow_heap *heap, void *data, size_t size);

/* Forgets heap->blocks[index] (the last block takes its place). */
void shadow_remove(shadow_heap *heap, size_t index);

/* Moves a block the heap resized to its new place and size, keeping its tag. */
void shadow_resize(shadow_heap *heap, size_t index, void *data, size_t size);

/* The index of the live block at data in heap, or SIZE_MAX. */
size_t shadow_find(const shadow_heap *heap, uintptr_t data);

/* The live block of any heap whose bytes contain address, or NULL (*owner says whose). */
const shadow_block *shadow_containing(uintptr_t address, shadow_heap **owner);

/* Writes the block's pattern into bytes [from, to). */
void shadow_fill(const shadow_block *block, size_t from, size_t to);

/* Checks that bytes [from, to) hold the block's pattern; `when` names the moment for the
 * message. */
void shadow_check_pattern(const shadow_block *block, size_t from, size_t to, const char *when);

/* Checks that bytes [from, to) of data read zero. */
void shadow_check_zero(const unsigned char *data, size_t from, size_t to, const char *when);

/* Checks every live block of heap: its pattern, and that km_heap_size reports its size. */
void shadow_check_blocks(shadow_heap *heap, const char *when);

/* Checks the heap's own accounts against the model and its page provider, and that
 * km_heap_validate finds the whole heap intact. */
void shadow_check_heap(shadow_heap *heap, const char *when);

/* Walks the heap from the start and checks what it shows (shadow_walk.c); returns the number
 * of entries. */
size_t shadow_check_walk(shadow_heap *heap);

/* Prints the operation in progress and the message, then aborts. */
_Noreturn void shadow_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Calls shadow_fail with the message unless holds. */
void shadow_require(bool holds, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The operation being run, for messages. */
extern size_t shadow_operation;

#endif
