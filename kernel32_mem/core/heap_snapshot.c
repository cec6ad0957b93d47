#include "core/heap_snapshot.h"

#include "core/block_fence.h"
#include "core/heap_types.h"
#include "core/slack_code.h"

void km_snapshot_open(km_snapshot *snapshot, km_pages *pages, const km_snapshot_header *header)
{
    km_text *t = &snapshot->text;
    km_text_init(t, pages);
    snapshot->handles_written = false;
    km_json_open_object(t);
    km_json_key(t, "format");
    km_json_string(t, KM_SNAPSHOT_FORMAT);
    km_json_key(t, "version");
    km_json_uint(t, KM_SNAPSHOT_VERSION);
    km_json_key(t, "producer");
    km_json_string(t, header->producer);
    km_json_key(t, "reason");
    km_json_string(t, header->reason);
    km_json_key(t, "pid");
    km_json_uint(t, header->pid);
    km_json_key(t, "pointer_bits");
    km_json_uint(t, sizeof(void *) * 8);
    km_json_key(t, "page_size");
    km_json_uint(t, pages->page_size);
    km_json_key(t, "slot_size");
    km_json_uint(t, KM_SLOT_SIZE);
    km_json_key(t, "heaps");
    km_json_open_array(t);
}

static void write_names(km_text *t, const char *key, unsigned bits, const km_flag_name *names)
{
    km_json_key(t, key);
    km_json_open_array(t);
    for (const km_flag_name *n = names; n->name; n++)
        if (bits & n->bit)
            km_json_string(t, n->name);
    km_json_close_array(t);
}

static const km_flag_name heap_flag_names[] = {
    {KM_HEAP_NO_SERIALIZE, "no_serialize"},
    {KM_HEAP_EXECUTABLE, "executable"},
    {0, NULL},
};

static const km_flag_name debug_names[] = {
    {KM_HEAP_DEBUG_TAIL, "tail"},
    {KM_HEAP_DEBUG_FREE, "free"},
    {KM_HEAP_DEBUG_VALIDATE_ALL, "validate_all"},
    {KM_HEAP_DEBUG_PAGE, "page"},
    {0, NULL},
};

static size_t slot_committed(const km_segment *segment, size_t slot)
{
    return (size_t)segment->slots[slot].committed_pages * segment->heap->pages->page_size;
}

static size_t slots_committed(const km_segment *segment, size_t first, size_t count)
{
    size_t bytes = 0;
    for (size_t i = first; i < first + count; i++)
        bytes += slot_committed(segment, i);
    return bytes;
}

static void open_group(km_text *t, const km_segment *segment, const char *kind, size_t first,
                       size_t count, size_t committed)
{
    km_json_open_object(t);
    km_json_key(t, "kind");
    km_json_string(t, kind);
    km_json_key(t, "first");
    km_json_uint(t, first);
    km_json_key(t, "count");
    km_json_uint(t, count);
    km_json_key(t, "address");
    km_json_address(t, km_slot_address(segment, first));
    km_json_key(t, "committed");
    km_json_uint(t, committed);
}

static void write_block(km_text *t, uintptr_t address, size_t size, size_t requested,
                        const char *state, const char *seal)
{
    km_json_open_object(t);
    km_json_key(t, "address");
    km_json_address(t, address);
    km_json_key(t, "size");
    km_json_uint(t, size);
    km_json_key(t, "requested");
    km_json_uint(t, requested);
    km_json_key(t, "state");
    km_json_string(t, state);
    km_json_key(t, "seal");
    km_json_string(t, seal);
    km_json_close_object(t);
}

static bool is_quarantined(const km_heap *heap, const km_run *run, size_t index)
{
    return heap->quarantine.limit && ((run->maps[index / 64].exact >> (index % 64)) & 1);
}

static void write_run_block(km_text *t, const km_heap *heap, const km_run *run, size_t index)
{
    uintptr_t block = run->first_block + index * run->block_size;
    if (km_run_is_block_free(run, index)) {
        const char *state = is_quarantined(heap, run, index) ? "quarantined" : "free";
        /* Under free checking a freed block holds the free fill, in quarantine or not. */
        const char *seal = !(heap->debug & KM_HEAP_DEBUG_FREE)              ? "none"
                           : km_run_free_block_is_intact_locked(run, index) ? "intact"
                                                                            : "broken";
        write_block(t, block, run->block_size, 0, state, seal);
        return;
    }
    if ((run->maps[index / 64].exact >> (index % 64)) & 1) {
        write_block(t, block, run->block_size, run->block_size, "busy", "exact");
        return;
    }
    size_t requested;
    if (km_run_requested_sealed_locked(heap, run, index, block, &requested) == KM_OK)
        write_block(t, block, run->block_size, requested, "busy", "intact");
    else
        write_block(t, block, run->block_size, 0, "busy", "broken");
}

static void write_run(km_text *t, const km_segment *segment, size_t head)
{
    const km_heap *heap = segment->heap;
    const km_run *run = km_segment_run_record(segment, head);
    size_t count = segment->slots[head].span;
    open_group(t, segment, "run", head, count, slots_committed(segment, head, count));

    size_t busy = 0, quarantined = 0;
    for (size_t i = 0; i < run->block_count; i++) {
        if (!km_run_is_block_free(run, i))
            busy++;
        else if (is_quarantined(heap, run, i))
            quarantined++;
    }
    km_json_key(t, "class");
    km_json_uint(t, run->size_class);
    km_json_key(t, "block_size");
    km_json_uint(t, run->block_size);
    km_json_key(t, "block_count");
    km_json_uint(t, run->block_count);
    km_json_key(t, "busy_count");
    km_json_uint(t, busy);
    km_json_key(t, "free_count");
    km_json_uint(t, run->block_count - busy - quarantined);
    km_json_key(t, "quarantined_count");
    km_json_uint(t, quarantined);
    km_json_key(t, "first_block");
    km_json_address(t, run->first_block);

    /* Blocks on pages that were never committed are not memory yet: the counts cover them. */
    uintptr_t committed_end = run->first_block - KM_BLOCK_LEAD + run->committed_end;
    km_json_key(t, "blocks");
    km_json_open_array(t);
    for (size_t i = 0; i < run->block_count; i++) {
        if (run->first_block + (i + 1) * run->block_size > committed_end)
            break;
        write_run_block(t, heap, run, i);
    }
    km_json_close_array(t);
    km_json_close_object(t);
}

static void write_span(km_text *t, const km_segment *segment, size_t head)
{
    const km_run *run = km_segment_run_record(segment, head);
    size_t count = segment->slots[head].span;
    open_group(t, segment, "span", head, count, slots_committed(segment, head, count));
    km_json_key(t, "block");
    /* A span has no slack code; tail checking gives it a fence (block_fence.h). */
    km_fence fence = km_span_fence(segment->heap, run);
    const char *seal = !fence.length ? "none" : km_fence_is_intact(fence) ? "intact" : "broken";
    write_block(t, run->first_block, (count << segment->slot_shift) - KM_BLOCK_LEAD,
                run->span_requested, "busy", seal);
    km_json_close_object(t);
}

/* Free slots from `first` while they are committed or not as `first` is (slots past the
 * described ones are free and uncommitted); returns the slot after them. */
static size_t write_free_slots(km_text *t, const km_segment *segment, size_t first)
{
    size_t end = first;
    if (first >= segment->described) {
        end = segment->slot_count;
    } else {
        bool committed = segment->slots[first].committed_pages != 0;
        while (end < segment->described && segment->slots[end].kind == KM_SLOT_FREE &&
               (segment->slots[end].committed_pages != 0) == committed)
            end++;
        if (!committed && end == segment->described)
            end = segment->slot_count;
    }
    size_t described_end = end < segment->described ? end : segment->described;
    size_t committed =
        first < described_end ? slots_committed(segment, first, described_end - first) : 0;
    open_group(t, segment, "free", first, end - first, committed);
    km_json_close_object(t);
    return end;
}

static size_t segment_committed(const km_segment *segment)
{
    return segment->meta_committed +
           slots_committed(segment, segment->meta_slots, segment->described - segment->meta_slots);
}

static void write_segment(km_text *t, const km_segment *segment, size_t index)
{
    km_json_open_object(t);
    km_json_key(t, "index");
    km_json_uint(t, index);
    km_json_key(t, "base");
    km_json_address(t, segment->base);
    km_json_key(t, "size");
    km_json_uint(t, segment->size);
    km_json_key(t, "slot_count");
    km_json_uint(t, segment->slot_count);
    km_json_key(t, "committed");
    km_json_uint(t, segment_committed(segment));
    km_json_key(t, "groups");
    km_json_open_array(t);
    open_group(t, segment, "meta", 0, segment->meta_slots, segment->meta_committed);
    km_json_close_object(t);
    size_t slot = segment->meta_slots;
    while (slot < segment->slot_count) {
        const km_slot *s = slot < segment->described ? &segment->slots[slot] : NULL;
        if (s && s->kind == KM_SLOT_RUN) {
            write_run(t, segment, slot);
            slot += s->span;
        } else if (s && s->kind == KM_SLOT_SPAN) {
            write_span(t, segment, slot);
            slot += s->span;
        } else if (s && s->kind == KM_SLOT_TAIL) {
            /* A tail is reached only through its head; one here would be a broken table. */
            open_group(t, segment, "free", slot, 1, slot_committed(segment, slot));
            km_json_close_object(t);
            slot++;
        } else {
            slot = write_free_slots(t, segment, slot);
        }
    }
    km_json_close_array(t);
    km_json_close_object(t);
}

static void write_large(km_text *t, const km_large_block *block)
{
    km_json_open_object(t);
    km_json_key(t, "address");
    km_json_address(t, km_large_data(block));
    km_json_key(t, "base");
    km_json_address(t, block->base);
    km_json_key(t, "reserved");
    km_json_uint(t, block->reserved);
    km_json_key(t, "committed");
    km_json_uint(t, block->committed);
    km_json_key(t, "requested");
    km_json_uint(t, block->requested);
    km_json_key(t, "guarded");
    km_json_bool(t, block->guarded);
    km_json_close_object(t);
}

static void write_heap_locked(km_text *t, km_heap *heap, uintptr_t handle, bool process_heap,
                              bool contents)
{
    km_json_open_object(t);
    km_json_key(t, "handle");
    km_json_address(t, handle);
    km_json_key(t, "process_heap");
    km_json_bool(t, process_heap);
    write_names(t, "flags", heap->flags, heap_flag_names);
    write_names(t, "debug", heap->debug, debug_names);
    km_json_key(t, "maximum");
    km_json_uint(t, heap->maximum);
    km_json_key(t, "slot_size");
    km_json_uint(t, (size_t)1 << heap->slot_shift);
    km_json_key(t, "reserved");
    km_json_uint(t, heap->reserved_bytes);
    km_json_key(t, "committed");
    km_json_uint(t, heap->committed_bytes);
    km_json_key(t, "requested");
    km_json_uint(t, km_heap_allocated_locked(heap));
    km_json_key(t, "complete");
    km_json_bool(t, contents);
    km_json_key(t, "quarantine");
    km_json_open_object(t);
    km_json_key(t, "limit");
    km_json_uint(t, heap->quarantine.limit);
    km_json_key(t, "bytes");
    km_json_uint(t, heap->quarantine.bytes);
    km_json_key(t, "blocks");
    km_json_uint(t, heap->quarantine.count);
    km_json_close_object(t);

    km_json_key(t, "segments");
    km_json_open_array(t);
    for (size_t i = 0; contents && i < heap->segment_count; i++)
        write_segment(t, heap->segments[i], i);
    km_json_close_array(t);
    km_json_key(t, "large");
    km_json_open_array(t);
    for (size_t i = 0; contents && i < heap->large.count; i++)
        write_large(t, &heap->large.blocks[i]);
    km_json_close_array(t);
    km_json_close_object(t);
}

bool km_snapshot_heap(km_snapshot *snapshot, km_heap *heap, uintptr_t handle, bool process_heap,
                      bool contents)
{
    if (!km_heap_try_lock(heap))
        return false;
    write_heap_locked(&snapshot->text, heap, handle, process_heap, contents);
    km_heap_unlock(heap);
    return true;
}

void km_snapshot_handles_locked(km_snapshot *snapshot, km_handle_table *table, km_heap *data_heap,
                                const km_flag_name *names)
{
    km_text *t = &snapshot->text;
    km_json_close_array(t); /* the heaps */
    km_json_key(t, "handles");
    km_json_open_array(t);
    for (size_t i = 0; i < table->used; i++) {
        km_handle_entry *entry = &table->entries[i];
        if (!(entry->flags & KM_HANDLE_IN_USE))
            continue;
        size_t size = 0;
        if (entry->data && km_heap_size(data_heap, 0, entry->data, &size) != KM_OK)
            size = 0;
        km_json_open_object(t);
        km_json_key(t, "handle");
        km_json_address(t, (uintptr_t)km_handle_of(entry));
        km_json_key(t, "pointer");
        if (entry->data)
            km_json_address(t, (uintptr_t)entry->data);
        else
            km_json_null(t);
        km_json_key(t, "locks");
        km_json_uint(t, entry->lock_count);
        write_names(t, "flags", entry->flags, names);
        km_json_key(t, "size");
        km_json_uint(t, size);
        km_json_close_object(t);
    }
    km_json_close_array(t);
    snapshot->handles_written = true;
}

km_status km_snapshot_close(km_snapshot *snapshot)
{
    km_text *t = &snapshot->text;
    if (!snapshot->handles_written) {
        km_json_close_array(t);
        km_json_key(t, "handles");
        km_json_open_array(t);
        km_json_close_array(t);
    }
    km_json_close_object(t);
    km_text_append(t, "\n", 1);
    return t->failed ? KM_NO_MEMORY : KM_OK;
}

void km_snapshot_release(km_snapshot *snapshot)
{
    km_text_release(&snapshot->text);
}
