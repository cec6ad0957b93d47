/* The heap core on the host: blocks of every kind, pointer checks, reallocation, walking,
 * validation, and that destroying a heap returns every reservation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/heap.h"
#include "core/heap_types.h"
#include "core/size_class.h"
#include "heap_fixture.h"

static size_t size_of(km_heap *heap, const void *block)
{
    size_t size = 0;
    assert_int_equal(km_heap_size(heap, 0, block, &size), KM_OK);
    return size;
}

static void every_size_is_aligned_sized_and_writable(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    static const size_t sizes[] = {0,     1,     7,     8,      15,     16,     17,
                                   100,   128,   129,   1000,   4096,   16376,  16377,
                                   20000, 65536, 65537, 300000, 524288, 524289, 3000000};
    void *blocks[sizeof sizes / sizeof sizes[0]];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        blocks[i] = alloc_ok(heap, sizes[i]);
        assert_int_equal((uintptr_t)blocks[i] % KM_BLOCK_ALIGNMENT, 0);
        memset(blocks[i], (int)i, sizes[i]);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        assert_int_equal(size_of(heap, blocks[i]), sizes[i]);
        for (size_t b = 0; b < sizes[i]; b++)
            if (((unsigned char *)blocks[i])[b] != (unsigned char)i)
                fail_msg("block %zu of size %zu overwritten at %zu", i, sizes[i], b);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    assert_true(km_heap_validate(heap, 0, NULL));
}

static void foreign_interior_unaligned_and_freed_pointers_are_refused(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    char *small = alloc_ok(heap, 100);
    char *span = alloc_ok(heap, 100000);
    char *large = alloc_ok(heap, 2000000);
    char on_stack[64];
    void *from_libc = malloc(64);
    size_t size;
    void *refused[] = {small + 1,
                       span + 1,
                       span + 4096,
                       large + 16,
                       large - KM_BLOCK_ALIGNMENT,
                       on_stack,
                       from_libc,
                       (void *)heap,
                       (void *)(uintptr_t)KM_BLOCK_ALIGNMENT,
                       (void *)UINTPTR_MAX};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(km_heap_free(heap, 0, refused[i]), KM_INVALID_POINTER);
        assert_int_equal(km_heap_size(heap, 0, refused[i], &size), KM_INVALID_POINTER);
        assert_false(km_heap_validate(heap, 0, refused[i]));
    }
    free(from_libc);
    /* The free block after small (of 112 bytes), never given out, is a free block all the same;
     * a pointer into it is not a block. */
    assert_int_equal(km_heap_free(heap, 0, small + KM_BLOCK_ALIGNMENT), KM_INVALID_POINTER);
    assert_int_equal(km_heap_free(heap, 0, small + 112), KM_FREED);
    /* A run's freed block is known as one; a span's or a large block's memory is gone. */
    void *blocks[] = {small, span, large};
    km_status second_free[] = {KM_FREED, KM_INVALID_POINTER, KM_INVALID_POINTER};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), second_free[i]);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
}

static void blocks_of_another_heap_are_refused(void **state)
{
    fixture *f = *state;
    km_heap_platform platform = km_host_platform(&f->pages);
    km_heap *other;
    assert_int_equal(km_heap_create(&platform, 0, 0, 0, &other), KM_OK);
    void *theirs = alloc_ok(other, 40);
    assert_int_equal(km_heap_free(f->heap, 0, theirs), KM_INVALID_POINTER);
    assert_int_equal(km_heap_free(other, 0, theirs), KM_OK);
    km_heap_destroy(other);
}

/* A write one byte past the request breaks the block's seal: validation finds it, and so does
 * a walk, but a free or size in the default mode reads the block's code and guard alone, as
 * Windows' HeapFree reads headers and not the slack (the debug modes check seals on every
 * call: core_debug.c). */
static void a_write_past_the_request_breaks_the_seal(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    char *first = alloc_ok(heap, 24);
    char *second = alloc_ok(heap, 24);
    assert_ptr_equal(second, first + 32); /* neighbours in the 32-byte class */
    first[24] ^= 0x5a;                    /* whatever the seal was, it is not that now */
    assert_false(km_heap_validate(heap, 0, first));
    assert_false(km_heap_validate(heap, 0, NULL));
    km_walk_entry entry = {0};
    km_status status;
    while ((status = km_heap_walk(heap, &entry)) == KM_OK)
        assert_ptr_not_equal(entry.data, first);
    assert_int_equal(status, KM_CORRUPTED);
    assert_int_equal(size_of(heap, first), 24);
    assert_int_equal(km_heap_free(heap, 0, second), KM_OK);
    assert_int_equal(km_heap_free(heap, 0, first), KM_OK);
}

/* An overflow that runs up to the next block breaks the guard before it: the neighbour's free
 * finds it, as Windows finds an overflow in the header of the block it ran into, and so do the
 * block's own size and validation; its own free reads nothing of the block, as Windows' reads
 * only the block's own header, which the overflow did not reach. */
static void an_overflow_into_the_next_block_is_reported_as_corruption(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    char *first = alloc_ok(heap, 24);
    char *second = alloc_ok(heap, 24);
    assert_ptr_equal(second, first + 32);
    first[30] ^= 0x5a; /* the guard, just before the one-byte code */
    size_t size;
    assert_int_equal(km_heap_size(heap, 0, first, &size), KM_CORRUPTED);
    assert_false(km_heap_validate(heap, 0, first));
    /* The neighbour's own size is intact, but freeing it finds the damage before it. */
    assert_int_equal(size_of(heap, second), 24);
    assert_int_equal(km_heap_free(heap, 0, second), KM_CORRUPTED);
    assert_int_equal(km_heap_free(heap, 0, first), KM_OK);
}

/* The guard proves the code beside it: a code changed to another of its length (one byte before
 * the next block, written by an underflow of it) is found by the block's size and by the next
 * block's free. (An adversarial review found such a code accepted when the guard depended on its
 * address alone.) */
static void a_forged_code_is_found_by_its_guard(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    int found = 0;
    for (unsigned char forged = 2; forged <= 7; forged++) {
        char *first = alloc_ok(heap, 24); /* slack 8 in the 32-byte class */
        char *second = alloc_ok(heap, 24);
        assert_ptr_equal(second, first + 32);
        second[-1] = (char)forged;
        size_t size;
        bool size_refused = km_heap_size(heap, 0, first, &size) == KM_CORRUPTED;
        bool free_refused = km_heap_free(heap, 0, second) == KM_CORRUPTED;
        found += size_refused && free_refused;
        second[-1] = 8;
        if (free_refused)
            assert_int_equal(km_heap_free(heap, 0, second), KM_OK);
        assert_int_equal(km_heap_free(heap, 0, first), KM_OK);
    }
    /* A one-byte check: each forged code passes by chance once in 256 heaps. */
    assert_true(found >= 5);
}

/* A block freed twice is told from a pointer that was never a block: the api layer reports the
 * second free as heap corruption. */
static void a_second_free_is_told_apart(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    char *block = alloc_ok(heap, 24);
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
    assert_int_equal(km_heap_free(heap, 0, block), KM_FREED);
    size_t size;
    assert_int_equal(km_heap_size(heap, 0, block, &size), KM_FREED);
    assert_int_equal(km_heap_free(heap, 0, block + 16), KM_INVALID_POINTER);
}

/* Slack of 128 bytes or more is coded in two bytes, guarded the same way. */
static void a_block_shrunk_in_place_keeps_its_size_and_its_guard(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    char *block = alloc_ok(heap, 16384);
    km_status status;
    assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, 100, &status), block);
    assert_int_equal(size_of(heap, block), 100);
    assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, 16384, &status), block);
    assert_int_equal(size_of(heap, block), 16384);
    assert_ptr_equal(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, 300, &status), block);
    block[300] ^= 0x5a;
    assert_false(km_heap_validate(heap, 0, block));
    block[300] ^= 0x5a;
    assert_true(km_heap_validate(heap, 0, block));
    size_t capacity = km_size_class_block_size(km_size_class_of(16384));
    block[capacity - 3] ^= 0x5a; /* the guard before the two-byte code */
    size_t size;
    assert_int_equal(km_heap_size(heap, 0, block, &size), KM_CORRUPTED);
    assert_false(km_heap_validate(heap, 0, block));
}

static void realloc_keeps_contents_and_zeroes_growth(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    km_status status;
    unsigned char *block = alloc_ok(heap, 10);
    memset(block, 0x5a, 10);
    static const size_t steps[] = {12, 100, 5000, 70000, 600000, 3000000, 200, 3};
    size_t previous = 10;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        block = km_heap_realloc(heap, KM_HEAP_ZERO, block, steps[i], &status);
        assert_non_null(block);
        assert_int_equal(size_of(heap, block), steps[i]);
        size_t kept = previous < steps[i] ? previous : steps[i];
        for (size_t b = 0; b < kept && b < 10; b++)
            assert_int_equal(block[b], 0x5a);
        for (size_t b = 10; b < steps[i]; b++)
            if (block[b] != 0)
                fail_msg("byte %zu not zero after growing to %zu", b, steps[i]);
        previous = steps[i];
        assert_true(km_heap_validate(heap, 0, NULL));
    }
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
}

static void realloc_in_place_only_fails_without_moving(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    km_status status;
    char *block = alloc_ok(heap, 100);
    void *same = km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, 90, &status);
    assert_ptr_equal(same, block);
    assert_null(km_heap_realloc(heap, KM_HEAP_IN_PLACE_ONLY, block, 10000, &status));
    assert_int_equal(status, KM_NO_MEMORY);
    assert_int_equal(size_of(heap, block), 90);
    assert_null(km_heap_realloc(heap, 0, block, SIZE_MAX - 8, &status));
    assert_int_equal(status, KM_NO_MEMORY);
    assert_int_equal(size_of(heap, block), 90);
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
}

static void absurd_sizes_fail_with_no_memory(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    static const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 7, SIZE_MAX / 2 + 1, (size_t)1 << 60};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        km_status status = KM_OK;
        assert_null(km_heap_alloc(heap, 0, sizes[i], &status));
        assert_int_equal(status, KM_NO_MEMORY);
    }
    assert_true(km_heap_validate(heap, 0, NULL));
}

static void a_fixed_heap_fills_up_and_refuses_big_blocks(void **state)
{
    fixture *f = *state;
    km_heap_platform platform = km_host_platform(&f->pages);
    km_heap *fixed;
    assert_int_equal(km_heap_create(&platform, 0, 2 << 20, 0, &fixed), KM_OK);
    km_status status;
    assert_null(km_heap_alloc(fixed, 0, KM_HEAP_FIXED_BLOCK_LIMIT + 1, &status));
    assert_int_equal(status, KM_NO_MEMORY);
    void *big = km_heap_alloc(fixed, 0, KM_HEAP_FIXED_BLOCK_LIMIT, &status);
    assert_non_null(big);
    size_t count = 0;
    while (km_heap_alloc(fixed, 0, 1000, &status))
        count++;
    assert_int_equal(status, KM_NO_MEMORY);
    assert_true(count > 300 && count < 1100);
    assert_true(km_heap_validate(fixed, 0, NULL));
    km_heap_summary summary;
    km_heap_summarize(fixed, 0, &summary);
    assert_int_equal(summary.allocated, KM_HEAP_FIXED_BLOCK_LIMIT + count * 1000);
    km_heap_destroy(fixed);
}

static void walk_reports_every_busy_block_once(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { COUNT = 300 };
    void *blocks[COUNT];
    int seen[COUNT] = {0};
    for (size_t i = 0; i < COUNT; i++)
        blocks[i] = alloc_ok(heap, (i * 7919) % (i % 50 == 0 ? 900000 : 3000));
    for (size_t i = 0; i < COUNT; i += 3)
        km_heap_free(heap, 0, blocks[i]);

    km_walk_entry entry = {0};
    size_t regions = 0, busy = 0;
    km_status status;
    while ((status = km_heap_walk(heap, &entry)) == KM_OK) {
        if (entry.kind == KM_WALK_REGION) {
            regions++;
            continue;
        }
        if (entry.kind != KM_WALK_BUSY)
            continue;
        busy++;
        for (size_t i = 0; i < COUNT; i++)
            if (entry.data == blocks[i]) {
                assert_int_equal(i % 3 != 0, 1);
                assert_int_equal(entry.size, size_of(heap, blocks[i]));
                seen[i]++;
            }
    }
    assert_int_equal(status, KM_NO_MORE_ITEMS);
    assert_true(regions >= 1);
    assert_int_equal(busy, COUNT - (COUNT + 2) / 3);
    for (size_t i = 0; i < COUNT; i++)
        assert_int_equal(seen[i], i % 3 != 0);
}

static void summary_and_compact_account_for_memory(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    km_heap_summary before, during, after;
    km_heap_summarize(heap, 0, &before);
    void *blocks[64];
    for (size_t i = 0; i < 64; i++)
        blocks[i] = alloc_ok(heap, 60000);
    km_heap_summarize(heap, 0, &during);
    assert_int_equal(during.allocated - before.allocated, 64 * 60000);
    assert_true(during.committed >= during.allocated);
    for (size_t i = 0; i < 64; i++)
        km_heap_free(heap, 0, blocks[i]);
    km_heap_compact(heap, 0);
    km_heap_summarize(heap, 0, &after);
    assert_int_equal(after.allocated, before.allocated);
    assert_true(after.committed <= before.committed + 64 * 1024);
}

static void many_blocks_grow_the_heap_and_all_memory_returns(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    enum { COUNT = 20000 };
    void **blocks = malloc(COUNT * sizeof *blocks);
    for (size_t i = 0; i < COUNT; i++)
        blocks[i] = alloc_ok(heap, 8 + (i * 31) % 2000);
    assert_true(km_heap_validate(heap, 0, NULL));
    for (size_t i = 0; i < COUNT; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    km_heap_summary summary;
    km_heap_summarize(heap, 0, &summary);
    assert_int_equal(summary.allocated, 0);
    free(blocks);
}

/* A run commits each stretch of missing pages in one request, however many slots it crosses
 * (every 64 KiB block of a run straddles two slots: blocks start 16 bytes into the run), and
 * ahead by as much as it has committed: a run's seven 64 KiB blocks cost three requests (one per
 * doubling), where one per block would take seven. */
static void a_run_of_big_blocks_commits_in_few_requests(void **state)
{
    fixture *f = *state;
    size_t first = f->pages.commits;
    for (int i = 0; i < 7; i++) {
        size_t commits = f->pages.commits;
        alloc_ok(f->heap, 64 << 10);
        assert_in_range(f->pages.commits - commits, 0, 1);
    }
    assert_int_equal(f->pages.commits - first, 3);
    assert_true(km_heap_validate(f->heap, 0, NULL));
}

enum { PAGE = 4096, PAGES_PER_SLOT = KM_SLOT_SIZE / PAGE };

/* Three slots taken bare, as a run or span takes them: the first with a page committed and the
 * middle one with two (as a free slot keeps a prefix of its pages), the third with none. */
static size_t take_slots_with_prefixes(fixture *f, km_segment **segment)
{
    size_t slot;
    assert_int_equal(km_segment_take_slots_locked(f->heap, 3, 0, KM_SLOT_SPAN, segment, &slot),
                     KM_OK);
    assert_int_equal(km_segment_commit_slots_locked(*segment, slot, 1, PAGE), KM_OK);
    assert_int_equal(km_segment_commit_slots_locked(*segment, slot + 1, 1, 2 * PAGE), KM_OK);
    assert_int_equal((*segment)->slots[slot].committed_pages, 1);
    assert_int_equal((*segment)->slots[slot + 1].committed_pages, 2);
    assert_int_equal((*segment)->slots[slot + 2].committed_pages, 0);
    return slot;
}

static void touch_pages(const km_segment *segment, size_t slot, size_t pages)
{
    for (size_t page = 0; page < pages; page++)
        ((volatile char *)km_slot_address(segment, slot))[page * PAGE] = 1;
}

/* What the three slots lack is two stretches: the rest of the first slot (the second has pages
 * of its own), then the rest of the second with all of the third. */
static void a_stretch_commit_starts_at_each_prefix_and_spans_bare_slots(void **state)
{
    fixture *f = *state;
    km_segment *segment;
    size_t slot = take_slots_with_prefixes(f, &segment);
    size_t commits = f->pages.commits, committed = f->heap->committed_bytes;
    assert_int_equal(km_segment_commit_slots_locked(segment, slot, 3, 3 * KM_SLOT_SIZE), KM_OK);
    assert_int_equal(f->pages.commits - commits, 2);
    assert_int_equal(f->heap->committed_bytes - committed, 3 * KM_SLOT_SIZE - 3 * PAGE);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(segment->slots[slot + i].committed_pages, PAGES_PER_SLOT);
    touch_pages(segment, slot, 3 * PAGES_PER_SLOT);
    km_segment_give_slots_locked(segment, slot);
    assert_true(km_heap_validate(f->heap, 0, NULL));
}

/* A failure on the second stretch keeps what the first committed, and says so: the records and
 * the heap's count agree with the pages. */
static void a_stretch_commit_failing_midway_keeps_its_records_true(void **state)
{
    fixture *f = *state;
    km_segment *segment;
    size_t slot = take_slots_with_prefixes(f, &segment);
    size_t committed = f->heap->committed_bytes;
    km_host_pages_fail_after(&f->pages, 1);
    km_status status = km_segment_commit_slots_locked(segment, slot, 3, 3 * KM_SLOT_SIZE);
    km_host_pages_fail_after(&f->pages, -1);
    assert_int_equal(status, KM_NO_MEMORY);
    assert_int_equal(segment->slots[slot].committed_pages, PAGES_PER_SLOT);
    assert_int_equal(segment->slots[slot + 1].committed_pages, 2);
    assert_int_equal(segment->slots[slot + 2].committed_pages, 0);
    assert_int_equal(f->heap->committed_bytes - committed, KM_SLOT_SIZE - PAGE);
    touch_pages(segment, slot, PAGES_PER_SLOT + 2);
    /* Asked again, only what is still missing is committed. */
    size_t commits = f->pages.commits;
    assert_int_equal(km_segment_commit_slots_locked(segment, slot, 3, 3 * KM_SLOT_SIZE), KM_OK);
    assert_int_equal(f->pages.commits - commits, 1);
    assert_int_equal(f->heap->committed_bytes - committed, 3 * KM_SLOT_SIZE - 3 * PAGE);
    km_segment_give_slots_locked(segment, slot);
    assert_true(km_heap_validate(f->heap, 0, NULL));
}

/* Free slots past the share the heap retains (here its floor, KM_RETAINED_FREE_SLOTS) stay
 * committed while they are young, up to twice that share, and are decommitted once
 * KM_RETAINED_PURGE_AGE slots have been retained since: a program swinging past the share by a
 * few runs or spans makes no system call for it. The heap starts with 4 MiB committed (64
 * retained slots, in one segment); the clock is moved on by hand, as that many retained slots
 * would. */
static void free_slots_past_the_retained_share_wait_before_they_are_decommitted(void **state)
{
    fixture *f = *state;
    km_heap_platform platform = km_host_platform(&f->pages);
    km_heap *heap;
    assert_int_equal(km_heap_create(&platform, 4 << 20, 0, 0, &heap), KM_OK);
    enum { SPAN_SIZE = 100000 }; /* two slots */
    /* Past twice the share, the oldest go at once. */
    assert_int_equal(km_heap_free(heap, 0, alloc_ok(heap, SPAN_SIZE)), KM_OK);
    assert_int_equal(heap->retained_free_slots, 2 * KM_RETAINED_FREE_SLOTS);
    /* Below that, young ones stay: a span made and freed again costs no request. */
    size_t requests = f->pages.requests;
    for (int round = 0; round < 10; round++)
        assert_int_equal(km_heap_free(heap, 0, alloc_ok(heap, SPAN_SIZE)), KM_OK);
    assert_int_equal(f->pages.requests, requests);
    assert_int_equal(heap->retained_free_slots, 2 * KM_RETAINED_FREE_SLOTS);
    /* Grown old, they go at the next free, down to the share: the span's two, young, stay. */
    heap->retain_clock += KM_RETAINED_PURGE_AGE;
    void *span = alloc_ok(heap, SPAN_SIZE);
    assert_int_equal(km_heap_free(heap, 0, span), KM_OK);
    assert_int_equal(heap->retained_free_slots, KM_RETAINED_FREE_SLOTS);
    assert_ptr_equal(alloc_ok(heap, SPAN_SIZE), span);
    assert_int_equal(f->pages.requests, requests + KM_RETAINED_FREE_SLOTS); /* a decommit each */
    assert_true(km_heap_validate(heap, 0, NULL));
    km_heap_destroy(heap);
}

/* Takes count slots for a span, committed whole. */
static size_t take_committed(fixture *f, size_t count, km_segment **segment)
{
    size_t slot;
    assert_int_equal(km_segment_take_slots_locked(f->heap, count, count * KM_SLOT_SIZE,
                                                  KM_SLOT_SPAN, segment, &slot),
                     KM_OK);
    return slot;
}

/* A single slot comes from a retained slot standing alone, not from a stretch a longer run or
 * span left, which stays whole for the next of its length: neither takes a commit. */
static void a_single_slot_is_taken_from_a_lone_retained_slot(void **state)
{
    fixture *f = *state;
    km_segment *segment;
    size_t lone = take_committed(f, 1, &segment);
    size_t wall = take_committed(f, 1, &segment);
    size_t stretch = take_committed(f, 4, &segment);
    assert_int_equal(wall, lone + 1);
    assert_int_equal(stretch, wall + 1);
    km_segment_give_slots_locked(segment, lone);
    km_segment_give_slots_locked(segment, stretch);
    size_t commits = f->pages.commits;
    assert_int_equal(take_committed(f, 1, &segment), lone);
    assert_int_equal(take_committed(f, 4, &segment), stretch);
    assert_int_equal(f->pages.commits, commits);
    km_segment_give_slots_locked(segment, stretch);
    km_segment_give_slots_locked(segment, wall);
    km_segment_give_slots_locked(segment, lone);
    assert_true(km_heap_validate(f->heap, 0, NULL));
}

static void a_freed_large_block_releases_its_reservation(void **state)
{
    fixture *f = *state;
    size_t reservations = f->pages.reservations, reserved = f->pages.reserved_bytes;
    void *block = alloc_ok(f->heap, 2 << 20);
    assert_true(f->pages.reservations > reservations);
    assert_int_equal(km_heap_free(f->heap, 0, block), KM_OK);
    /* What stays is the large-block table's own reservation, made with the first block. */
    assert_int_equal(f->pages.reservations, reservations + 1);
    assert_true(f->pages.reserved_bytes < reserved + (2 << 20));
    assert_int_equal(km_heap_free(f->heap, 0, block), KM_INVALID_POINTER);
}

static void a_buffer_grown_in_small_steps_moves_a_logarithmic_number_of_times(void **state)
{
    fixture *f = *state;
    size_t size = 1 << 20;
    unsigned char *buffer = alloc_ok(f->heap, size);
    buffer[0] = 0x5A;
    int moves = 0;
    while (size < (64u << 20)) {
        size += 64 << 10;
        km_status status;
        unsigned char *grown = km_heap_realloc(f->heap, 0, buffer, size, &status);
        assert_non_null(grown);
        moves += grown != buffer;
        buffer = grown;
        buffer[size - 1] = 1;
    }
    assert_int_equal(buffer[0], 0x5A);
    /* 1 MiB to 64 MiB by half as much again each move: about ten moves, not a thousand. */
    assert_true(moves <= 12);
    assert_int_equal(km_heap_free(f->heap, 0, buffer), KM_OK);
}

static void a_grown_block_without_room_to_spare_gets_an_exact_reservation(void **state)
{
    fixture *f = *state;
    unsigned char *block = alloc_ok(f->heap, 1 << 20);
    memset(block, 0x3C, 1 << 20);
    /* The reservation with room to grow is refused; the exact one that follows is not. */
    km_host_pages_fail_after(&f->pages, 0);
    km_status status;
    unsigned char *grown = km_heap_realloc(f->heap, 0, block, 2 << 20, &status);
    km_host_pages_fail_after(&f->pages, -1);
    assert_non_null(grown);
    assert_int_equal(status, KM_OK);
    assert_int_equal(grown[0], 0x3C);
    assert_int_equal(grown[(1 << 20) - 1], 0x3C);
    grown[(2 << 20) - 1] = 1;
    assert_true(km_heap_validate(f->heap, 0, NULL));
    assert_int_equal(km_heap_free(f->heap, 0, grown), KM_OK);
}

/* A run record's maps are as long as the heap's records make them, not the run's blocks: a run
 * of big blocks made where one of small blocks was must not find the old run's bits past its
 * own blocks (its free bits would be blocks past its end, its exact bits quarantined blocks). */
static void a_run_made_where_another_was_starts_with_clean_maps(void **state)
{
    km_heap *heap = ((fixture *)*state)->heap;
    unsigned small = km_size_class_of(16), big = km_size_class_of(4096);
    size_t count = km_run_blocks_in(heap, small, heap->run_slots[small]);
    void **blocks = malloc(count * sizeof *blocks);
    for (size_t i = 0; i < count; i++)
        blocks[i] = alloc_ok(heap, 16);
    km_block_ref ref;
    assert_int_equal(km_heap_find_block_locked(heap, (uintptr_t)blocks[0], &ref), KM_OK);
    uintptr_t slot = ref.run->first_block;
    for (size_t i = 0; i < count; i++)
        assert_int_equal(km_heap_free(heap, 0, blocks[i]), KM_OK);
    free(blocks);
    km_heap_compact(heap, 0);
    void *block = alloc_ok(heap, 4096);
    assert_int_equal((uintptr_t)block, slot);
    assert_int_equal(km_heap_find_block_locked(heap, (uintptr_t)block, &ref), KM_OK);
    assert_int_equal(ref.run->size_class, big);
    /* Its first block is busy and filled exactly; the rest of its blocks are free. */
    size_t blocks_in_run = ref.run->block_count;
    for (size_t w = 0; w < heap->run_map_words; w++) {
        uint64_t own = 0;
        for (size_t b = 0; b < 64 && w * 64 + b < blocks_in_run; b++)
            own |= (uint64_t)1 << b;
        uint64_t busy = w == 0 ? 1 : 0;
        assert_int_equal(ref.run->maps[w].free, own & ~busy);
        assert_int_equal(ref.run->maps[w].exact, busy);
    }
    assert_int_equal(km_heap_free(heap, 0, block), KM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup_growable, teardown)
        T(every_size_is_aligned_sized_and_writable),
        T(foreign_interior_unaligned_and_freed_pointers_are_refused),
        T(blocks_of_another_heap_are_refused),
        T(a_write_past_the_request_breaks_the_seal),
        T(an_overflow_into_the_next_block_is_reported_as_corruption),
        T(a_forged_code_is_found_by_its_guard),
        T(a_block_shrunk_in_place_keeps_its_size_and_its_guard),
        T(a_second_free_is_told_apart),
        T(realloc_keeps_contents_and_zeroes_growth),
        T(realloc_in_place_only_fails_without_moving),
        T(absurd_sizes_fail_with_no_memory),
        T(a_fixed_heap_fills_up_and_refuses_big_blocks),
        T(walk_reports_every_busy_block_once),
        T(summary_and_compact_account_for_memory),
        T(many_blocks_grow_the_heap_and_all_memory_returns),
        T(a_run_of_big_blocks_commits_in_few_requests),
        T(a_run_made_where_another_was_starts_with_clean_maps),
        T(a_stretch_commit_starts_at_each_prefix_and_spans_bare_slots),
        T(a_stretch_commit_failing_midway_keeps_its_records_true),
        T(free_slots_past_the_retained_share_wait_before_they_are_decommitted),
        T(a_single_slot_is_taken_from_a_lone_retained_slot),
        T(a_freed_large_block_releases_its_reservation),
        T(a_grown_block_without_room_to_spare_gets_an_exact_reservation),
        T(a_buffer_grown_in_small_steps_moves_a_logarithmic_number_of_times),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
