/*
 * A libFuzzer target for the heap core: each input is a program of heap operations on up to
 * three heaps, and every result is checked against a shadow model (shadow.h) of what the heaps
 * must hold. The rules, which hold for every sequence, not only the ones the unit tests chose:
 * - a live block keeps its bytes: each is filled with its own pattern, checked before it is
 *   freed or resized and whenever the whole heap is examined;
 * - km_heap_size reports the requested size exactly, and the heap's allocated total is the sum;
 * - a walk's busy entries are exactly the live blocks, in the documented order, none
 *   overlapping another entry;
 * - no two live blocks overlap, in one heap or across heaps, and every block is aligned;
 * - memory asked for zeroed reads zero;
 * - a pointer that is not a live block of the heap (inside one, just before one, freed, of
 *   another heap, on the stack, made up) is refused with KM_INVALID_POINTER (KM_FREED for a
 *   free block of the heap's runs) and changes nothing;
 * - a request fails only with KM_NO_MEMORY, and then leaves the heap valid and the model as it
 *   was; in a growable heap only an injected page failure, an absurd size or a growth with
 *   KM_HEAP_IN_PLACE_ONLY may make one fail;
 * - destroying a heap, or failing to create one, leaves nothing reserved.
 * Any difference aborts with a message, so that libFuzzer keeps the input.
 *
 * INPUT. A sequence of operations, each a code byte and then its arguments; bytes missing at the
 * end read as zero. The code's low five bits pick the operation from `operations`, weighted
 * towards allocation, freeing and reallocation; its top three bits pick the heap slot (modulo
 * 3). An operation on an empty slot first creates a growable heap there. A failure armed by
 * OP_ARM_FAILURE applies to the next operation only: the page provider of that operation's heap
 * grants the next n requests, then refuses one.
 *
 * KM_FUZZ_TRACE=1 in the environment prints each operation as it runs, to read a reproducer:
 *   KM_FUZZ_TRACE=1 build/fuzz/fuzz/core_ops fuzz/regressions/<file>
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/heap_snapshot.h"
#include "host_threads.h"
#include "shadow.h"

/* Live bytes the model lets all heaps hold together, so that an input stays fast. */
#define LIVE_BYTES_LIMIT ((size_t)8 << 20)
/* Requests above this are absurd (the largest real one is 1 MiB): each must be refused. */
#define ABSURD_SIZE ((size_t)1 << 40)
#define BATCH_LIMIT 128
#define LOCK_DEPTH_LIMIT 8
#define FREED_REMEMBERED 32
/* A walk visits every block of every run, free or busy, thousands in a heap of small blocks: past
 * a few per input, walks would take most of the time and find nothing the first ones did not. */
#define WALKS_PER_INPUT 4

typedef enum operation {
    OP_CREATE, /* destroys the slot's heap if it has one, then creates a heap as told */
    OP_DESTROY,
    OP_ALLOC,
    OP_ALLOC_BATCH,
    OP_FREE,
    OP_FREE_BATCH,
    OP_REALLOC,
    OP_SIZE,
    OP_VALIDATE,
    OP_WALK,
    OP_COMPACT,
    OP_LOCK,
    OP_UNLOCK,
    OP_BOGUS, /* one call with a pointer that is not a live block of the heap */
    OP_ARM_FAILURE,
} operation;

/* A code's low five bits index this table, weighted towards the operations that change the
 * heap; fuzz/make_seeds.sh writes its seeds with the same indexes. */
static const operation operations[32] = {
    OP_ALLOC,       OP_ALLOC,      OP_ALLOC,       OP_ALLOC,       OP_ALLOC,   OP_ALLOC,
    OP_FREE,        OP_FREE,       OP_FREE,        OP_FREE,        OP_REALLOC, OP_REALLOC,
    OP_REALLOC,     OP_REALLOC,    OP_REALLOC,     OP_SIZE,        OP_SIZE,    OP_VALIDATE,
    OP_VALIDATE,    OP_WALK,       OP_COMPACT,     OP_LOCK,        OP_UNLOCK,  OP_BOGUS,
    OP_BOGUS,       OP_BOGUS,      OP_ARM_FAILURE, OP_ARM_FAILURE, OP_CREATE,  OP_DESTROY,
    OP_ALLOC_BATCH, OP_FREE_BATCH,
};

static const char *const operation_names[] = {
    [OP_CREATE] = "create",
    [OP_DESTROY] = "destroy",
    [OP_ALLOC] = "alloc",
    [OP_ALLOC_BATCH] = "alloc_batch",
    [OP_FREE] = "free",
    [OP_FREE_BATCH] = "free_batch",
    [OP_REALLOC] = "realloc",
    [OP_SIZE] = "size",
    [OP_VALIDATE] = "validate",
    [OP_WALK] = "walk",
    [OP_COMPACT] = "compact",
    [OP_LOCK] = "lock",
    [OP_UNLOCK] = "unlock",
    [OP_BOGUS] = "bogus",
    [OP_ARM_FAILURE] = "arm_failure",
};

typedef struct reader {
    const uint8_t *at;
    const uint8_t *end;
} reader;

static bool tracing;
static long armed_failure = -1; /* requests granted before one is refused, for the next op */
static size_t walks_left;
static uintptr_t freed[FREED_REMEMBERED];
static size_t freed_next;

static void trace(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *format, ...)
{
    if (!tracing)
        return;
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
}

static uint8_t read_u8(reader *r)
{
    return r->at < r->end ? *r->at++ : 0;
}

static uint16_t read_u16(reader *r)
{
    uint16_t low = read_u8(r);
    return (uint16_t)(low | read_u8(r) << 8);
}

static uint64_t read_u64(reader *r)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value |= (uint64_t)read_u8(r) << (8 * i);
    return value;
}

/* Sizes where the core changes its mind, each side of them: size classes; the largest run
 * block, then spans of slots; a span of two slots, of three; a fixed heap's limit in a 32-bit
 * process; spans, then blocks of their own; a fixed heap's limit in a 64-bit process; 1 MiB with
 * and without the large blocks' data offset. */
static const size_t boundary_sizes[] = {
    0,       1,      8,      15,     16,      17,      112,     128,     129,     1024,
    4096,    16384,  16385,  32768,  65535,   65536,   65537,   131056,  131057,  0x7FFF8,
    0x7FFF9, 524287, 524288, 524289, 0xFEFD7, 0xFEFD8, 0xFEFD9, 1048512, 1048576,
};

/* Sizes whose rounding or reservation would overflow or exceed the address space. */
static const size_t absurd_sizes[] = {SIZE_MAX, SIZE_MAX - 7, SIZE_MAX - 63, SIZE_MAX / 2 + 1};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

/* Mostly small requests, some up to the largest run class (64 KiB), some spans of slots, some
 * blocks with a reservation of their own (up to 1 MiB), some at the boundaries, a few absurd. */
static size_t read_size(reader *r)
{
    uint8_t kind = read_u8(r) % 16;
    size_t value = read_u16(r);
    if (kind < 9)
        return value % 1025;
    if (kind < 11)
        return value % 65537;
    if (kind < 13)
        return 65537 + value * 8 % (524288 - 65537 + 1);
    if (kind < 14)
        return 524289 + value * 8;
    if (kind == 15 && value % 8 == 0)
        return absurd_sizes[value / 8 % COUNT_OF(absurd_sizes)];
    return boundary_sizes[value % COUNT_OF(boundary_sizes)];
}

/* KM_HEAP_ZERO, KM_HEAP_IN_PLACE_ONLY and KM_HEAP_NO_SERIALIZE from one byte. */
static unsigned read_call_flags(reader *r, bool in_place_allowed)
{
    uint8_t bits = read_u8(r);
    unsigned flags = 0;
    if (bits & 1)
        flags |= KM_HEAP_ZERO;
    if ((bits & 2) && in_place_allowed)
        flags |= KM_HEAP_IN_PLACE_ONLY;
    if ((bits & 0x1c) == 0x1c)
        flags |= KM_HEAP_NO_SERIALIZE;
    return flags;
}

static void remember_freed(const void *data)
{
    freed[freed_next++ % FREED_REMEMBERED] = (uintptr_t)data;
}

/* Arms the injected failure, if any, on the heap the operation is about to use. */
static void arm(shadow_heap *heap)
{
    km_host_pages_fail_after(&heap->pages, armed_failure);
}

/* Whether the injected failure armed before the call came due during it. */
static bool fired(const shadow_heap *heap, bool was_armed)
{
    return was_armed && heap->pages.failures_after < 0;
}

/* --- Creating and destroying ------------------------------------------------------------- */

/* Creates a heap in an empty slot; fail_after arms its page provider (negative: never fails). */
static void create_heap(shadow_heap *heap, size_t initial, size_t maximum, unsigned flags,
                        uint64_t seed, long fail_after)
{
    km_host_pages_init(&heap->pages);
    km_host_pages_fail_after(&heap->pages, fail_after);
    bool was_armed = fail_after >= 0;
    km_heap_platform platform = km_host_platform(&heap->pages);
    platform.seed = seed;
    km_status status = km_heap_create(&platform, initial, maximum, flags, &heap->heap);
    bool failed_on_purpose = fired(heap, was_armed);
    trace("  create(initial %zu, maximum %zu, flags %#x) -> status %d\n", initial, maximum, flags,
          status);
    if (status != KM_OK) {
        heap->heap = NULL;
        shadow_require(status == KM_NO_MEMORY && failed_on_purpose,
                       "km_heap_create(%zu, %zu, %#x) failed with status %d, no failure injected",
                       initial, maximum, flags, status);
        shadow_require(heap->pages.reserved_bytes == 0 && heap->pages.reservations == 0,
                       "a failed km_heap_create left %zu bytes in %zu reservations",
                       heap->pages.reserved_bytes, heap->pages.reservations);
        return;
    }
    heap->flags = flags;
    heap->fixed = maximum != 0;
    heap->lock_depth = 0;
    heap->live_bytes = 0;
    heap->count = 0;
    shadow_require(km_heap_flags(heap->heap) == flags, "km_heap_flags is %#x, created with %#x",
                   km_heap_flags(heap->heap), flags);
    shadow_check_heap(heap, "create");
}

static void destroy_heap(shadow_heap *heap)
{
    while (heap->count) {
        remember_freed(heap->blocks[0].data);
        shadow_remove(heap, 0);
    }
    km_heap_destroy(heap->heap);
    heap->heap = NULL;
    shadow_require(heap->pages.reserved_bytes == 0 && heap->pages.reservations == 0,
                   "km_heap_destroy left %zu bytes in %zu reservations", heap->pages.reserved_bytes,
                   heap->pages.reservations);
}

static void op_create(shadow_heap *heap, reader *r)
{
    static const size_t initials[8] = {0, 0, 1, 4096, 65536, 100000, 1 << 20, 3 << 20};
    static const size_t maximums[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 1, 65536, 100000, 512 << 10, 1 << 20, 0x10FFFF, 2 << 20, 8 << 20};
    size_t initial = initials[read_u8(r) % 8];
    size_t maximum = maximums[read_u8(r) % 16];
    uint8_t bits = read_u8(r);
    unsigned flags = (bits & 1 ? KM_HEAP_NO_SERIALIZE : 0) | (bits & 2 ? KM_HEAP_EXECUTABLE : 0) |
                     (bits & 4 ? KM_HEAP_RAISE : 0);
    uint64_t seed = 0x1234 + (uint64_t)read_u8(r) * 0x9E3779B97F4A7C15ull;
    /* Some heaps keep freed blocks in quarantine (KM_HEAP_DELAY_FREE), a small one or a big,
     * and some run a debug mode (KM_HEAP_DEBUG): tail checking, free checking, or (growable
     * heaps only: it has no maximum to keep) the page heap. */
    static const size_t quarantines[4] = {0, 0, 4096, 256 << 10};
    static const unsigned debug_modes[4] = {0, KM_HEAP_DEBUG_TAIL, KM_HEAP_DEBUG_FREE,
                                            KM_HEAP_DEBUG_PAGE};
    size_t quarantine = quarantines[(bits >> 3) & 3];
    unsigned debug = debug_modes[(bits >> 5) & 3];
    if (debug == KM_HEAP_DEBUG_PAGE && maximum)
        debug = 0;
    if (heap->heap)
        destroy_heap(heap);
    create_heap(heap, initial, maximum, flags, seed, armed_failure);
    if (heap->heap && debug) {
        shadow_require(km_heap_set_debug(heap->heap, debug), "a new heap refused debug mode %#x",
                       debug);
        shadow_check_heap(heap, "a debug mode set");
    }
    if (heap->heap && quarantine) {
        km_heap_set_quarantine(heap->heap, quarantine);
        shadow_check_heap(heap, "a quarantine started");
    }
    /* Some heaps have thread caches from the start, so that this thread's calls take the fast
     * paths (a heap gets them by itself only after thousands of allocations). */
    if (heap->heap && (bits & 0x80))
        km_heap_use_thread_caches(heap->heap);
}

/* --- Allocating, freeing, resizing ------------------------------------------------------- */

static void alloc_one(shadow_heap *heap, size_t size, unsigned flags)
{
    bool absurd = size > ABSURD_SIZE;
    if (heap->count == SHADOW_BLOCKS_PER_HEAP ||
        (!absurd && shadow_live_bytes() + size > LIVE_BYTES_LIMIT))
        return;
    bool was_armed = heap->pages.failures_after >= 0;
    km_status status = KM_NO_MORE_ITEMS;
    unsigned char *data = km_heap_alloc(heap->heap, flags, size, &status);
    bool failed_on_purpose = fired(heap, was_armed);
    trace("  alloc(%zu, flags %#x) -> %p, status %d%s\n", size, flags, (void *)data, status,
          failed_on_purpose ? " (injected failure)" : "");
    if (!data) {
        shadow_require(status == KM_NO_MEMORY, "alloc(%zu) failed with status %d", size, status);
        shadow_require(absurd || failed_on_purpose || heap->fixed,
                       "alloc(%zu) failed in a growable heap, no failure injected", size);
        shadow_check_heap(heap, "a failed alloc");
        if (failed_on_purpose)
            shadow_check_blocks(heap, "after an alloc refused by the page provider");
        return;
    }
    shadow_require(status == KM_OK, "alloc(%zu) succeeded with status %d", size, status);
    shadow_require(!absurd, "alloc(%zu) succeeded", size);
    shadow_require(!heap->fixed || size <= KM_HEAP_FIXED_BLOCK_LIMIT,
                   "a fixed heap granted %zu bytes, above its limit", size);
    shadow_block *block = shadow_add(heap, data, size);
    if (flags & KM_HEAP_ZERO)
        shadow_check_zero(data, 0, size, "alloc with KM_HEAP_ZERO");
    shadow_fill(block, 0, size);
    size_t reported = SIZE_MAX;
    status = km_heap_size(heap->heap, 0, data, &reported);
    shadow_require(status == KM_OK && reported == size,
                   "km_heap_size of a new block of %zu bytes: status %d, size %zu", size, status,
                   reported);
}

static void op_alloc(shadow_heap *heap, reader *r)
{
    size_t size = read_size(r);
    unsigned flags = read_call_flags(r, false);
    arm(heap);
    alloc_one(heap, size, flags);
    shadow_check_heap(heap, "alloc");
}

static void op_alloc_batch(shadow_heap *heap, reader *r)
{
    size_t count = 1 + read_u8(r) % BATCH_LIMIT;
    size_t size = read_size(r);
    unsigned flags = read_call_flags(r, false);
    arm(heap);
    for (size_t i = 0; i < count; i++)
        alloc_one(heap, size, flags);
    shadow_check_heap(heap, "a batch of allocs");
}

static void free_one(shadow_heap *heap, size_t index, unsigned flags)
{
    shadow_block *block = &heap->blocks[index];
    shadow_check_pattern(block, 0, block->size, "before free");
    km_status status = km_heap_free(heap->heap, flags, block->data);
    trace("  free(%p, size %zu) -> status %d\n", (void *)block->data, block->size, status);
    shadow_require(status == KM_OK, "free(%p) of a live block failed with status %d",
                   (void *)block->data, status);
    remember_freed(block->data);
    shadow_remove(heap, index);
}

static void op_free(shadow_heap *heap, reader *r)
{
    size_t pick = read_u16(r);
    unsigned flags = read_call_flags(r, false);
    if (!heap->count)
        return;
    arm(heap);
    free_one(heap, pick % heap->count, flags);
    shadow_check_heap(heap, "free");
}

static void op_free_batch(shadow_heap *heap, reader *r)
{
    size_t count = 1 + read_u8(r) % BATCH_LIMIT;
    size_t pick = read_u16(r);
    arm(heap);
    for (size_t i = 0; i < count && heap->count; i++)
        free_one(heap, (pick + i * 7) % heap->count, 0);
    shadow_check_heap(heap, "a batch of frees");
}

/* A reallocation may fail only when asked for too much, when growing with IN_PLACE_ONLY, in a
 * fixed heap, or when the page provider refused a request. */
static bool realloc_may_fail(const shadow_heap *heap, size_t old_size, size_t size, unsigned flags,
                             bool failed_on_purpose)
{
    if (size <= old_size)
        return failed_on_purpose;
    return size > ABSURD_SIZE || (flags & KM_HEAP_IN_PLACE_ONLY) || heap->fixed ||
           failed_on_purpose;
}

static void op_realloc(shadow_heap *heap, reader *r)
{
    size_t pick = read_u16(r);
    size_t size = read_size(r);
    unsigned flags = read_call_flags(r, true);
    if (!heap->count)
        return;
    size_t index = pick % heap->count;
    shadow_block *block = &heap->blocks[index];
    size_t old_size = block->size;
    unsigned char *old_data = block->data;
    if (size <= ABSURD_SIZE && size > old_size &&
        shadow_live_bytes() + (size - old_size) > LIVE_BYTES_LIMIT)
        return;
    shadow_check_pattern(block, 0, old_size, "before realloc");
    arm(heap);
    bool was_armed = heap->pages.failures_after >= 0;
    km_status status = KM_NO_MORE_ITEMS;
    unsigned char *data = km_heap_realloc(heap->heap, flags, old_data, size, &status);
    bool failed_on_purpose = fired(heap, was_armed);
    trace("  realloc(%p, %zu -> %zu, flags %#x) -> %p, status %d%s\n", (void *)old_data, old_size,
          size, flags, (void *)data, status, failed_on_purpose ? " (injected failure)" : "");
    if (!data) {
        shadow_require(status == KM_NO_MEMORY, "realloc(%zu -> %zu) failed with status %d",
                       old_size, size, status);
        shadow_require(realloc_may_fail(heap, old_size, size, flags, failed_on_purpose),
                       "realloc(%zu -> %zu, flags %#x) failed, no failure injected", old_size, size,
                       flags);
        shadow_check_blocks(heap, "after a failed realloc");
        shadow_check_heap(heap, "a failed realloc");
        return;
    }
    shadow_require(status == KM_OK, "realloc(%zu -> %zu) succeeded with status %d", old_size, size,
                   status);
    shadow_require(size <= ABSURD_SIZE, "realloc to %zu bytes succeeded", size);
    shadow_require(!heap->fixed || size <= KM_HEAP_FIXED_BLOCK_LIMIT,
                   "a fixed heap resized a block to %zu bytes, above its limit", size);
    shadow_require(data == old_data || !(flags & KM_HEAP_IN_PLACE_ONLY),
                   "realloc with KM_HEAP_IN_PLACE_ONLY moved the block from %p to %p",
                   (void *)old_data, (void *)data);
    if (data != old_data)
        remember_freed(old_data);
    shadow_resize(heap, index, data, size);
    shadow_check_pattern(block, 0, old_size < size ? old_size : size, "after realloc");
    if ((flags & KM_HEAP_ZERO) && size > old_size)
        shadow_check_zero(data, old_size, size, "realloc with KM_HEAP_ZERO");
    if (size > old_size)
        shadow_fill(block, old_size, size);
    size_t reported = SIZE_MAX;
    status = km_heap_size(heap->heap, 0, data, &reported);
    shadow_require(status == KM_OK && reported == size,
                   "km_heap_size of a block resized to %zu bytes: status %d, size %zu", size,
                   status, reported);
    shadow_check_heap(heap, "realloc");
}

/* --- Questions ---------------------------------------------------------------------------- */

static void op_size(shadow_heap *heap, reader *r)
{
    size_t pick = read_u16(r);
    if (!heap->count)
        return;
    const shadow_block *block = &heap->blocks[pick % heap->count];
    size_t size = SIZE_MAX;
    km_status status = km_heap_size(heap->heap, 0, block->data, &size);
    trace("  size(%p) -> %zu, status %d\n", (void *)block->data, size, status);
    shadow_require(status == KM_OK && size == block->size,
                   "km_heap_size(%p) = status %d, size %zu; the block has %zu bytes",
                   (void *)block->data, status, size, block->size);
}

static void op_validate(shadow_heap *heap, reader *r)
{
    uint8_t whole = read_u8(r) & 1;
    size_t pick = read_u16(r);
    if (whole || !heap->count) {
        trace("  validate(heap)\n");
        shadow_check_heap(heap, "validate");
        shadow_check_blocks(heap, "validate");
        return;
    }
    const shadow_block *block = &heap->blocks[pick % heap->count];
    trace("  validate(%p)\n", (void *)block->data);
    shadow_require(km_heap_validate(heap->heap, 0, block->data),
                   "km_heap_validate(%p) refuses a live block", (void *)block->data);
}

static size_t occurrences(const char *text, size_t length, const char *needle)
{
    size_t count = 0, n = strlen(needle);
    for (size_t at = 0; at + n <= length; at++)
        if (text[at] == needle[0] && memcmp(text + at, needle, n) == 0)
            count++;
    return count;
}

/* A snapshot of the heap lists every live block, busy, and the heap's requested total. */
static void check_snapshot(shadow_heap *heap)
{
    km_snapshot snapshot;
    km_snapshot_header header = {.producer = "fuzz", .reason = "request", .pid = 0};
    km_snapshot_open(&snapshot, &heap->pages.pages, &header);
    shadow_require(km_snapshot_heap(&snapshot, heap->heap, (uintptr_t)heap->heap, false, true),
                   "a snapshot found the heap's lock held by another thread");
    if (km_snapshot_close(&snapshot) == KM_OK) {
        const char *text = snapshot.text.data;
        size_t length = snapshot.text.length;
        size_t busy = occurrences(text, length, "\"state\":\"busy\"") +
                      occurrences(text, length, "\"guarded\":");
        shadow_require(busy == heap->count, "a snapshot lists %zu busy blocks of %zu", busy,
                       heap->count);
        char total[64];
        snprintf(total, sizeof total, "\"requested\":%zu,\"complete\":true,", heap->live_bytes);
        shadow_require(occurrences(text, length, total) == 1,
                       "a snapshot's requested total is not %zu", heap->live_bytes);
        shadow_require(occurrences(text, length, "\"seal\":\"broken\"") == 0,
                       "a snapshot shows a broken seal in an intact heap");
    }
    km_snapshot_release(&snapshot);
}

static void op_walk(shadow_heap *heap)
{
    if (walks_left == 0)
        return;
    walks_left--;
    size_t entries = shadow_check_walk(heap);
    trace("  walk: %zu entries\n", entries);
    /* A snapshot lists every block too: once an input is enough. */
    if (walks_left == WALKS_PER_INPUT - 1)
        check_snapshot(heap);
}

static void op_compact(shadow_heap *heap, reader *r)
{
    uint8_t if_idle = read_u8(r) & 1;
    km_heap_summary before, after;
    km_heap_summarize(heap->heap, 0, &before);
    if (if_idle) {
        bool compacted = km_heap_compact_if_idle(heap->heap);
        trace("  compact_if_idle -> %d\n", compacted);
        shadow_require(compacted == !(heap->flags & KM_HEAP_NO_SERIALIZE),
                       "km_heap_compact_if_idle on a heap this thread may lock returned %d",
                       compacted);
    } else {
        size_t largest = km_heap_compact(heap->heap, 0);
        trace("  compact -> %zu\n", largest);
    }
    km_heap_summarize(heap->heap, 0, &after);
    shadow_require(after.committed <= before.committed,
                   "compacting raised the committed bytes from %zu to %zu", before.committed,
                   after.committed);
    shadow_check_heap(heap, "compact");
    shadow_check_blocks(heap, "after compact");
}

static void op_lock(shadow_heap *heap)
{
    if (heap->lock_depth == LOCK_DEPTH_LIMIT)
        return;
    trace("  lock (depth %u)\n", heap->lock_depth);
    km_heap_lock(heap->heap);
    heap->lock_depth++;
}

static void op_unlock(shadow_heap *heap)
{
    bool released = km_heap_unlock(heap->heap);
    trace("  unlock (depth %u) -> %d\n", heap->lock_depth, released);
    bool serialized = !(heap->flags & KM_HEAP_NO_SERIALIZE);
    shadow_require(released == (heap->lock_depth > 0 || !serialized),
                   "km_heap_unlock at depth %u returned %d", heap->lock_depth, released);
    if (heap->lock_depth)
        heap->lock_depth--;
}

/* --- Pointers that are not blocks -------------------------------------------------------- */

typedef enum bogus_action {
    BOGUS_FREE,
    BOGUS_SIZE,
    BOGUS_VALIDATE,
    BOGUS_REALLOC,
} bogus_action;

static unsigned char outside_every_heap[256];

/* A live block a bogus pointer was made from, to check afterwards that it is untouched. */
typedef struct nearby {
    shadow_heap *owner;
    const shadow_block *block;
} nearby;

/* A pointer of the given kind, or 0 when the model has none of that kind to offer. */
static uintptr_t bogus_pointer(shadow_heap *heap, unsigned kind, size_t value, uint64_t raw,
                               uintptr_t on_stack, nearby *near)
{
    const shadow_block *block = heap->count ? &heap->blocks[value % heap->count] : NULL;
    *near = (nearby){heap, block};
    switch (kind) {
    case 0: /* inside a live block, at an aligned offset or any */
        if (!block || block->size < 2)
            return 0;
        if (raw & 1 && block->size > 16)
            return (uintptr_t)block->data + 16 * (1 + (raw >> 1) % ((block->size - 1) / 16));
        return (uintptr_t)block->data + 1 + raw % (block->size - 1);
    case 1: { /* just before a live block: where a header or a neighbour would be */
        static const size_t before[] = {1, 8, 16, 32, 64, 80};
        return block ? (uintptr_t)block->data - before[raw % 6] : 0;
    }
    case 2: /* a block freed earlier, perhaps of a heap since destroyed */
        return freed[raw % FREED_REMEMBERED];
    case 3: /* a live block of another heap */
        for (size_t i = 1; i < SHADOW_HEAPS; i++) {
            shadow_heap *other = shadow_heap_at((size_t)(heap - shadow_heap_at(0) + i) % 3);
            if (other->heap && other->count) {
                *near = (nearby){other, &other->blocks[raw % other->count]};
                return (uintptr_t)near->block->data;
            }
        }
        return 0;
    case 4: return on_stack + 16 * (raw % 4);
    case 5: return (uintptr_t)outside_every_heap + 16 * (raw % 16);
    case 6: /* the heap's own record and the tables after it */
        return (uintptr_t)heap->heap + 16 * (raw % 8192);
    case 7: /* where a slot's first block would start */
        return (uintptr_t)heap->heap + 65536 * (raw % 64) + 16;
    case 8: /* anything at all, aligned or not */ return raw & 4 ? raw : raw & ~(uint64_t)15;
    default: return 0;
    }
}

/* Checks that a block near a refused pointer kept its size and bytes. */
static void check_untouched(const nearby *near, uintptr_t pointer)
{
    if (!near->block)
        return;
    size_t size = SIZE_MAX;
    km_status status = km_heap_size(near->owner->heap, 0, near->block->data, &size);
    shadow_require(status == KM_OK && size == near->block->size,
                   "refusing %#lx changed the block %p near it: status %d, size %zu",
                   (unsigned long)pointer, (void *)near->block->data, status, size);
    shadow_check_pattern(near->block, 0, near->block->size, "a refused pointer nearby");
}

static void op_bogus(shadow_heap *heap, reader *r)
{
    _Alignas(16) unsigned char on_stack[64] = {0};
    unsigned kind = read_u8(r) % 10;
    size_t value = read_u16(r);
    uint64_t raw = read_u64(r);
    bogus_action action = (bogus_action)(read_u8(r) % 4);
    size_t size = read_size(r);
    unsigned flags = read_call_flags(r, true);
    nearby from, around = {0};
    uintptr_t pointer = bogus_pointer(heap, kind, value, raw, (uintptr_t)on_stack, &from);
    if (kind < 9 && !pointer)
        return;
    if (shadow_find(heap, pointer) != SIZE_MAX)
        return; /* a live block after all */
    if (action == BOGUS_VALIDATE && !pointer)
        action = BOGUS_SIZE; /* validate(NULL) asks about the whole heap */
    around.block = shadow_containing(pointer, &around.owner);

    km_heap_summary before, after;
    km_heap_summarize(heap->heap, 0, &before);
    km_status status = KM_NO_MORE_ITEMS;
    void *result = NULL;
    size_t reported = SIZE_MAX;
    switch (action) {
    case BOGUS_FREE:
        status = km_heap_free(heap->heap, flags & KM_HEAP_NO_SERIALIZE, (void *)pointer);
        break;
    case BOGUS_SIZE: status = km_heap_size(heap->heap, 0, (const void *)pointer, &reported); break;
    case BOGUS_VALIDATE:
        status =
            km_heap_validate(heap->heap, 0, (const void *)pointer) ? KM_OK : KM_INVALID_POINTER;
        break;
    case BOGUS_REALLOC:
        result = km_heap_realloc(heap->heap, flags, (void *)pointer, size, &status);
        break;
    }
    trace("  bogus kind %u, action %d on %#lx -> status %d\n", kind, action, (unsigned long)pointer,
          status);
    /* A freed block, or a free one never given out, is told apart (a second free is corruption
     * to the api layer); anything else is no block. */
    bool refused = status == KM_INVALID_POINTER || status == KM_FREED;
    shadow_require(refused && !result && reported == SIZE_MAX,
                   "a pointer that is no block (%#lx, kind %u, action %d) got status %d",
                   (unsigned long)pointer, kind, action, status);
    km_heap_summarize(heap->heap, 0, &after);
    shadow_require(before.allocated == after.allocated && before.committed == after.committed &&
                       before.reserved == after.reserved,
                   "refusing %#lx changed the heap's accounts", (unsigned long)pointer);
    shadow_check_heap(heap, "a refused pointer");
    if (kind <= 3)
        check_untouched(&from, pointer);
    check_untouched(&around, pointer);
}

/* --- The program ------------------------------------------------------------------------- */

static void run_operation(reader *r)
{
    uint8_t code = read_u8(r);
    operation op = operations[code & 31];
    shadow_heap *heap = shadow_heap_at((size_t)(code >> 5) % SHADOW_HEAPS);
    trace("#%zu heap %zu: %s\n", shadow_operation, (size_t)(code >> 5) % SHADOW_HEAPS,
          operation_names[op]);
    if (op == OP_ARM_FAILURE) {
        armed_failure = read_u8(r) % 16;
        trace("  the next operation's page provider refuses its request %ld\n", armed_failure);
        return;
    }
    if (!heap->heap && op != OP_CREATE)
        create_heap(heap, 0, 0, 0, 0x1234, -1);
    switch (op) {
    case OP_CREATE: op_create(heap, r); break;
    case OP_DESTROY: destroy_heap(heap); break;
    case OP_ALLOC: op_alloc(heap, r); break;
    case OP_ALLOC_BATCH: op_alloc_batch(heap, r); break;
    case OP_FREE: op_free(heap, r); break;
    case OP_FREE_BATCH: op_free_batch(heap, r); break;
    case OP_REALLOC: op_realloc(heap, r); break;
    case OP_SIZE: op_size(heap, r); break;
    case OP_VALIDATE: op_validate(heap, r); break;
    case OP_WALK: op_walk(heap); break;
    case OP_COMPACT: op_compact(heap, r); break;
    case OP_LOCK: op_lock(heap); break;
    case OP_UNLOCK: op_unlock(heap); break;
    case OP_BOGUS: op_bogus(heap, r); break;
    case OP_ARM_FAILURE: break;
    }
    if (heap->heap)
        km_host_pages_fail_after(&heap->pages, -1);
    armed_failure = -1;
}

static bool setting_is_on(const char *name)
{
    const char *value = getenv(name);
    return value && *value && *value != '0';
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    tracing = setting_is_on("KM_FUZZ_TRACE");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    shadow_reset();
    armed_failure = -1;
    walks_left = WALKS_PER_INPUT;
    for (size_t i = 0; i < FREED_REMEMBERED; i++)
        freed[i] = 0;
    freed_next = 0;
    reader r = {data, data + size};
    while (r.at < r.end) {
        run_operation(&r);
        shadow_operation++;
    }
    /* Every heap gets a last examination, then must give back all it reserved. (Not a walk:
     * one over runs of small blocks costs more than the rest of a short input, and the walk
     * operation puts one wherever it finds something.) */
    for (size_t slot = 0; slot < SHADOW_HEAPS; slot++) {
        shadow_heap *heap = shadow_heap_at(slot);
        if (!heap->heap)
            continue;
        trace("end: heap %zu\n", slot);
        shadow_check_blocks(heap, "the end");
        shadow_check_heap(heap, "the end");
        destroy_heap(heap);
    }
    return 0;
}
