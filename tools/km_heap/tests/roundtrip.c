/*
 * km_heap.roundtrip: a snapshot the core writes reads back, with km-heap's own reader, as the
 * heaps it was taken of: every live block is found busy with its requested size, each heap's
 * totals are km_heap_summarize's, each segment's groups commit what the segment says it does,
 * and the handle table's entry points at its data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "kh_build.h"
#include "kh_query.h"
#include "kh_snapshot.h"

typedef struct state {
    kh_built built;
    kh_snapshot snapshot;
} state;

static int setup(void **pointer)
{
    state *s = calloc(1, sizeof *s);
    if (!s || !kh_build_heaps(&s->built))
        return -1;
    km_snapshot written;
    if (kh_build_snapshot(&s->built, &written) != KM_OK)
        return -1;
    char error[512];
    bool ok =
        kh_snapshot_read(written.text.data, written.text.length, &s->snapshot, error, sizeof error);
    km_snapshot_release(&written);
    if (!ok) {
        print_error("the reader refused the core's snapshot: %s\n", error);
        return -1;
    }
    *pointer = s;
    return 0;
}

static int teardown(void **pointer)
{
    state *s = *pointer;
    kh_snapshot_release(&s->snapshot);
    kh_build_release(&s->built);
    bool leaked = s->built.pages.reserved_bytes != 0;
    free(s);
    return leaked ? -1 : 0;
}

static void the_header_is_the_hosts(void **pointer)
{
    state *s = *pointer;
    assert_int_equal(s->snapshot.pointer_bits, sizeof(void *) * 8);
    assert_int_equal(s->snapshot.page_size, s->built.pages.pages.page_size);
    assert_int_equal(s->snapshot.slot_size, 65536);
    assert_int_equal(s->snapshot.heap_count, 3);
    assert_string_equal(s->snapshot.producer, "core test");
    assert_true(s->snapshot.heaps[0].process_heap);
    assert_false(s->snapshot.heaps[1].process_heap);
    assert_int_equal(s->snapshot.heaps[1].debug, KH_DEBUG_TAIL);
}

static void every_live_block_is_busy_with_its_request(void **pointer)
{
    state *s = *pointer;
    kh_busy *busy;
    size_t busy_count;
    assert_true(kh_collect_busy(&s->snapshot, &busy, &busy_count));
    assert_int_equal(busy_count, s->built.live_count);
    for (size_t i = 0; i < s->built.live_count; i++) {
        const kh_built_block *live = &s->built.live[i];
        const kh_busy *found = kh_find_busy(busy, busy_count, (uintptr_t)live->address);
        if (!found)
            fail_msg("block %p (%zu bytes) is not busy in the snapshot", live->address, live->size);
        assert_int_equal(found->requested, live->size);
        assert_int_equal(s->snapshot.heaps[found->heap].handle,
                         (uintptr_t)s->built.heaps[live->heap]);
        kh_place place;
        assert_true(kh_locate(&s->snapshot, (uintptr_t)live->address + live->size / 2, &place));
        if (place.kind == KH_PLACE_SEGMENT) {
            assert_non_null(place.block);
            assert_int_equal(place.block->address, (uintptr_t)live->address);
        } else {
            assert_int_equal(place.large->address, (uintptr_t)live->address);
        }
    }
    free(busy);
}

static void the_totals_are_the_heaps(void **pointer)
{
    state *s = *pointer;
    for (size_t h = 0; h < s->built.heap_count; h++) {
        km_heap_summary summary;
        km_heap_summarize(s->built.heaps[h], 0, &summary);
        const kh_heap *heap = &s->snapshot.heaps[h];
        assert_int_equal(heap->requested, summary.allocated);
        assert_int_equal(heap->committed, summary.committed);
        assert_int_equal(heap->reserved, summary.reserved);
        uint64_t requested = 0;
        for (size_t g = 0; g < s->snapshot.heaps[h].segment_count; g++) {
            const kh_segment *segment = &heap->segments[g];
            uint64_t committed = 0, slots = 0;
            for (size_t i = 0; i < segment->group_count; i++) {
                const kh_group *group = &segment->groups[i];
                assert_int_equal(group->first, slots);
                slots += group->count;
                committed += group->committed;
                for (size_t b = 0; b < group->block_total; b++)
                    if (group->blocks[b].state == KH_BUSY)
                        requested += group->blocks[b].requested;
            }
            assert_int_equal(slots, segment->slot_count);
            assert_int_equal(committed, segment->committed);
        }
        for (size_t i = 0; i < heap->large_count; i++)
            requested += heap->large[i].requested;
        assert_int_equal(requested, summary.allocated);
    }
}

static void the_runs_spans_and_large_blocks_are_there(void **pointer)
{
    state *s = *pointer;
    const kh_heap *heap = &s->snapshot.heaps[0];
    size_t runs = 0, spans = 0, freed = 0;
    for (size_t g = 0; g < heap->segment_count; g++)
        for (size_t i = 0; i < heap->segments[g].group_count; i++) {
            const kh_group *group = &heap->segments[g].groups[i];
            runs += group->kind == KH_RUN;
            spans += group->kind == KH_SPAN;
            for (size_t b = 0; b < group->block_total; b++)
                freed += group->blocks[b].state == KH_FREED;
        }
    assert_true(runs >= 4);
    assert_int_equal(spans, 1);
    assert_true(freed >= 16);
    assert_int_equal(heap->large_count, 1);
    assert_int_equal(heap->large[0].requested, 3u << 20);
}

/* A fixed heap of 1 MiB has slots of a page (heap_types.h's KM_FIXED_SLOTS_WANTED), which its
 * snapshot says, and its groups are read in them. */
static void a_small_fixed_heaps_slots_are_its_own(void **pointer)
{
    state *s = *pointer;
    const kh_heap *heap = &s->snapshot.heaps[2];
    assert_int_equal(heap->maximum, 1u << 20);
    assert_int_equal(heap->slot_size, s->snapshot.page_size);
    assert_int_equal(s->snapshot.heaps[0].slot_size, s->snapshot.slot_size);
    size_t runs = 0;
    for (size_t g = 0; g < heap->segment_count; g++) {
        const kh_segment *segment = &heap->segments[g];
        assert_int_equal(segment->slot_size, heap->slot_size);
        for (size_t i = 0; i < segment->group_count; i++)
            runs += segment->groups[i].kind == KH_RUN;
    }
    assert_true(runs >= 4); /* a run or more for each of the four classes */
}

static void the_handle_points_at_its_data(void **pointer)
{
    state *s = *pointer;
    assert_int_equal(s->snapshot.handle_count, 1);
    const kh_handle *handle = &s->snapshot.handles[0];
    assert_true(handle->has_pointer);
    assert_int_equal(handle->size, 40);
    assert_int_equal(handle->flags, KH_HANDLE_MOVEABLE);
    kh_place place;
    assert_true(kh_locate(&s->snapshot, handle->pointer, &place));
    assert_non_null(place.block);
    assert_int_equal(place.block->requested, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_header_is_the_hosts),
        cmocka_unit_test(every_live_block_is_busy_with_its_request),
        cmocka_unit_test(the_totals_are_the_heaps),
        cmocka_unit_test(the_runs_spans_and_large_blocks_are_there),
        cmocka_unit_test(a_small_fixed_heaps_slots_are_its_own),
        cmocka_unit_test(the_handle_points_at_its_data),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
