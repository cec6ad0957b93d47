/*
 * The snapshot reader: a JSON document (SCHEMA.md, format kernel32_mem.snapshot version 1) into
 * a kh_snapshot, checking on the way everything the commands later rely on:
 * - the header names the format and version 1, pointer_bits is 32 or 64, page and slot sizes
 *   are powers of two (a slot whole pages);
 * - every address and range fits the pointer width, and no range wraps;
 * - a segment is slot_count slots, its groups tile them in order with no gap or overlap, each
 *   group's address is its first slot's and it commits no more than its slots;
 * - a run's busy, free and quarantined counts sum to block_count, its blocks fit its slots, and
 *   each listed block sits a whole number of blocks from the first, in address order;
 * - a span's block and a large block lie in their memory, and no block's request exceeds it;
 * - segments and large reservations of all heaps are disjoint.
 * Keys the format does not define are ignored. Nothing here loops over slots or bytes, only over
 * what the document lists, so a hostile document costs time in proportion to its size.
 */
#include "kh_json.h"
#include "kh_snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_power_of_two(uint64_t n)
{
    return n && !(n & (n - 1));
}

typedef struct reader {
    kh_diag *diag;
    uint64_t page_size;
    uint64_t snapshot_slot_size;
    uint64_t slot_size;    /* the heap's being read */
    uint64_t last_address; /* the highest address the pointer width allows */
} reader;

/* An element count for calloc: at least 1, so that an empty array is not NULL. */
static void *alloc_array(size_t count, size_t size)
{
    return calloc(count ? count : 1, size);
}

/* [base, base + size) lies below the last address the pointer width allows, so that its end is
 * a number too (no user-mode reservation reaches the very top of the address space). */
static bool check_range(reader *r, const char *path, const char *what, uint64_t base, uint64_t size)
{
    if (base > r->last_address || size > r->last_address - base)
        return kh_fail(r->diag, "%s: %s 0x%llx + %llu does not fit in the address space", path,
                       what, (unsigned long long)base, (unsigned long long)size);
    return true;
}

static const char *const group_kinds[] = {"meta", "run", "span", "free"};
static const char *const block_states[] = {"busy", "free", "quarantined"};
static const char *const seals[] = {"intact", "broken", "exact", "none"};
static const char *const heap_flags[] = {"no_serialize", "executable"};
static const char *const debug_modes[] = {"tail", "free", "validate_all", "page"};
static const char *const handle_flags[] = {"moveable", "discardable", "discarded", "ddeshare"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *kh_group_kind_name(kh_group_kind kind)
{
    return group_kinds[kind];
}
const char *kh_block_state_name(kh_block_state state)
{
    return block_states[state];
}
const char *kh_seal_name(kh_seal seal)
{
    return seals[seal];
}

/* A block that must lie inside [low, high). */
static bool read_block(reader *r, json_t *object, const char *path, uint64_t low, uint64_t high,
                       kh_block *block)
{
    kh_diag *d = r->diag;
    unsigned state, seal;
    if (!(kh_json_address(object, path, "address", &block->address, d) &&
          kh_json_u64(object, path, "size", &block->size, d) &&
          kh_json_u64(object, path, "requested", &block->requested, d) &&
          kh_json_enum(object, path, "state", block_states, COUNT(block_states), &state, d) &&
          kh_json_enum(object, path, "seal", seals, COUNT(seals), &seal, d)))
        return false;
    block->state = (kh_block_state)state;
    block->seal = (kh_seal)seal;
    if (block->address < low || block->address >= high || block->size > high - block->address)
        return kh_fail(d, "%s: the block 0x%llx + %llu is not inside its group (0x%llx - 0x%llx)",
                       path, (unsigned long long)block->address, (unsigned long long)block->size,
                       (unsigned long long)low, (unsigned long long)high);
    if (block->requested > block->size)
        return kh_fail(d, "%s: requested %llu is more than the block's size %llu", path,
                       (unsigned long long)block->requested, (unsigned long long)block->size);
    return true;
}

static bool read_run(reader *r, json_t *object, const char *path, kh_group *group)
{
    kh_diag *d = r->diag;
    uint64_t size_class;
    json_t *blocks;
    if (!(kh_json_u64(object, path, "class", &size_class, d) &&
          kh_json_u64(object, path, "block_size", &group->block_size, d) &&
          kh_json_u64(object, path, "block_count", &group->block_count, d) &&
          kh_json_u64(object, path, "busy_count", &group->busy_count, d) &&
          kh_json_u64(object, path, "free_count", &group->free_count, d) &&
          kh_json_u64(object, path, "quarantined_count", &group->quarantined_count, d) &&
          kh_json_address(object, path, "first_block", &group->first_block, d) &&
          kh_json_array(object, path, "blocks", &blocks, d)))
        return false;
    if (size_class > 0xffff)
        return kh_fail(d, "%s: class %llu is out of range", path, (unsigned long long)size_class);
    group->size_class = (unsigned)size_class;
    uint64_t end = kh_group_end(group, r->slot_size);
    if (group->block_size == 0)
        return kh_fail(d, "%s: block_size is 0", path);
    if (group->first_block < group->address || group->first_block >= end ||
        group->block_count > (end - group->first_block) / group->block_size)
        return kh_fail(d, "%s: %llu blocks of %llu bytes from 0x%llx do not fit the run's slots",
                       path, (unsigned long long)group->block_count,
                       (unsigned long long)group->block_size,
                       (unsigned long long)group->first_block);
    if (group->busy_count > group->block_count || group->free_count > group->block_count ||
        group->quarantined_count > group->block_count ||
        group->busy_count + group->free_count + group->quarantined_count != group->block_count)
        return kh_fail(
            d, "%s: busy %llu + free %llu + quarantined %llu is not block_count %llu", path,
            (unsigned long long)group->busy_count, (unsigned long long)group->free_count,
            (unsigned long long)group->quarantined_count, (unsigned long long)group->block_count);
    size_t listed = json_array_size(blocks);
    if (listed > group->block_count)
        return kh_fail(d, "%s: %zu blocks listed, more than block_count %llu", path, listed,
                       (unsigned long long)group->block_count);
    group->blocks = alloc_array(listed, sizeof *group->blocks);
    if (!group->blocks)
        return kh_fail(d, "%s: out of memory", path);
    group->block_total = listed;
    uint64_t blocks_end = group->first_block + group->block_count * group->block_size;
    uint64_t states[3] = {0, 0, 0};
    for (size_t i = 0; i < listed; i++) {
        char item[192];
        json_t *element;
        snprintf(item, sizeof item, "%s.blocks[%zu]", path, i);
        kh_block *block = &group->blocks[i];
        if (!kh_json_element(blocks, path, i, &element, d) ||
            !read_block(r, element, item, group->first_block, blocks_end, block))
            return false;
        if ((block->address - group->first_block) % group->block_size)
            return kh_fail(d, "%s: 0x%llx is not a whole number of %llu-byte blocks from 0x%llx",
                           item, (unsigned long long)block->address,
                           (unsigned long long)group->block_size,
                           (unsigned long long)group->first_block);
        if (i && block->address <= group->blocks[i - 1].address)
            return kh_fail(d, "%s: blocks are not in address order", item);
        states[block->state]++;
    }
    if (states[KH_BUSY] > group->busy_count || states[KH_FREED] > group->free_count ||
        states[KH_QUARANTINED] > group->quarantined_count)
        return kh_fail(d, "%s: more blocks listed in some state than its count says", path);
    return true;
}

static bool read_group(reader *r, json_t *object, const char *path, const kh_segment *segment,
                       uint64_t expected_first, kh_group *group)
{
    kh_diag *d = r->diag;
    unsigned kind;
    if (!(kh_json_enum(object, path, "kind", group_kinds, COUNT(group_kinds), &kind, d) &&
          kh_json_u64(object, path, "first", &group->first, d) &&
          kh_json_u64(object, path, "count", &group->count, d) &&
          kh_json_address(object, path, "address", &group->address, d) &&
          kh_json_u64(object, path, "committed", &group->committed, d)))
        return false;
    group->kind = (kh_group_kind)kind;
    if (group->first != expected_first)
        return kh_fail(d,
                       "%s: starts at slot %llu where slot %llu was expected: the groups do "
                       "not tile the segment",
                       path, (unsigned long long)group->first, (unsigned long long)expected_first);
    if (group->count == 0 || group->count > segment->slot_count - group->first)
        return kh_fail(d,
                       "%s: %llu slots from slot %llu do not fit the segment's %llu: the "
                       "groups do not tile the segment",
                       path, (unsigned long long)group->count, (unsigned long long)group->first,
                       (unsigned long long)segment->slot_count);
    if (group->address != segment->base + group->first * r->slot_size)
        return kh_fail(d, "%s: address 0x%llx is not slot %llu's", path,
                       (unsigned long long)group->address, (unsigned long long)group->first);
    if (group->committed > group->count * r->slot_size)
        return kh_fail(d, "%s: commits %llu bytes in %llu slots", path,
                       (unsigned long long)group->committed, (unsigned long long)group->count);
    if (group->kind == KH_RUN)
        return read_run(r, object, path, group);
    if (group->kind == KH_SPAN) {
        json_t *block;
        char item[192];
        snprintf(item, sizeof item, "%s.block", path);
        group->blocks = calloc(1, sizeof *group->blocks);
        if (!group->blocks)
            return kh_fail(d, "%s: out of memory", path);
        group->block_total = 1;
        return kh_json_object(object, path, "block", &block, d) &&
               read_block(r, block, item, group->address, kh_group_end(group, r->slot_size),
                          group->blocks);
    }
    return true;
}

static bool read_segment(reader *r, json_t *object, const char *path, kh_segment *segment)
{
    kh_diag *d = r->diag;
    json_t *groups;
    if (!(kh_json_u64(object, path, "index", &segment->index, d) &&
          kh_json_address(object, path, "base", &segment->base, d) &&
          kh_json_u64(object, path, "size", &segment->size, d) &&
          kh_json_u64(object, path, "slot_count", &segment->slot_count, d) &&
          kh_json_u64(object, path, "committed", &segment->committed, d) &&
          kh_json_array(object, path, "groups", &groups, d)))
        return false;
    segment->slot_size = r->slot_size;
    if (segment->slot_count == 0 || segment->slot_count > UINT64_MAX / r->slot_size ||
        segment->size != segment->slot_count * r->slot_size)
        return kh_fail(d, "%s: size %llu is not slot_count %llu slots", path,
                       (unsigned long long)segment->size, (unsigned long long)segment->slot_count);
    if (!check_range(r, path, "the segment", segment->base, segment->size))
        return false;
    if (segment->committed > segment->size)
        return kh_fail(d, "%s: commits more than its size", path);
    size_t count = json_array_size(groups);
    segment->groups = alloc_array(count, sizeof *segment->groups);
    if (!segment->groups)
        return kh_fail(d, "%s: out of memory", path);
    segment->group_count = count;
    uint64_t next = 0;
    for (size_t i = 0; i < count; i++) {
        char item[160];
        json_t *element;
        snprintf(item, sizeof item, "%s.groups[%zu]", path, i);
        if (!kh_json_element(groups, path, i, &element, d) ||
            !read_group(r, element, item, segment, next, &segment->groups[i]))
            return false;
        next = segment->groups[i].first + segment->groups[i].count;
    }
    if (next != segment->slot_count)
        return kh_fail(d, "%s: the groups cover %llu of %llu slots: they do not tile the segment",
                       path, (unsigned long long)next, (unsigned long long)segment->slot_count);
    return true;
}

static bool read_large(reader *r, json_t *object, const char *path, kh_large *large)
{
    kh_diag *d = r->diag;
    if (!(kh_json_address(object, path, "address", &large->address, d) &&
          kh_json_address(object, path, "base", &large->base, d) &&
          kh_json_u64(object, path, "reserved", &large->reserved, d) &&
          kh_json_u64(object, path, "committed", &large->committed, d) &&
          kh_json_u64(object, path, "requested", &large->requested, d) &&
          kh_json_bool(object, path, "guarded", &large->guarded, d)))
        return false;
    if (large->reserved == 0)
        return kh_fail(d, "%s: the reservation is empty", path);
    if (!check_range(r, path, "the reservation", large->base, large->reserved))
        return false;
    if (large->address < large->base || large->address - large->base >= large->reserved)
        return kh_fail(d, "%s: address 0x%llx is outside its reservation", path,
                       (unsigned long long)large->address);
    if (large->committed > large->reserved)
        return kh_fail(d, "%s: commits more than it reserves", path);
    if (large->requested > large->reserved - (large->address - large->base))
        return kh_fail(d, "%s: requested %llu does not fit its reservation", path,
                       (unsigned long long)large->requested);
    return true;
}

static bool read_heap(reader *r, json_t *object, const char *path, kh_heap *heap)
{
    kh_diag *d = r->diag;
    json_t *quarantine, *segments, *large;
    if (!(kh_json_address(object, path, "handle", &heap->handle, d) &&
          kh_json_bool(object, path, "process_heap", &heap->process_heap, d) &&
          kh_json_flags(object, path, "flags", heap_flags, COUNT(heap_flags), &heap->flags, d) &&
          kh_json_flags(object, path, "debug", debug_modes, COUNT(debug_modes), &heap->debug, d) &&
          kh_json_u64(object, path, "maximum", &heap->maximum, d) &&
          kh_json_u64(object, path, "reserved", &heap->reserved, d) &&
          kh_json_u64(object, path, "committed", &heap->committed, d) &&
          kh_json_u64(object, path, "requested", &heap->requested, d) &&
          kh_json_object(object, path, "quarantine", &quarantine, d) &&
          kh_json_array(object, path, "segments", &segments, d) &&
          kh_json_array(object, path, "large", &large, d)))
        return false;
    json_t *complete = json_object_get(object, "complete");
    heap->complete = true;
    if (complete && !kh_json_bool(object, path, "complete", &heap->complete, d))
        return false;
    heap->slot_size = r->snapshot_slot_size;
    if (json_object_get(object, "slot_size") &&
        !kh_json_u64(object, path, "slot_size", &heap->slot_size, d))
        return false;
    if (!is_power_of_two(heap->slot_size) || heap->slot_size < r->page_size)
        return kh_fail(d, "%s: slot_size %llu is not a power of two of whole pages", path,
                       (unsigned long long)heap->slot_size);
    r->slot_size = heap->slot_size;
    char item[128];
    snprintf(item, sizeof item, "%s.quarantine", path);
    if (!(kh_json_u64(quarantine, item, "limit", &heap->quarantine_limit, d) &&
          kh_json_u64(quarantine, item, "bytes", &heap->quarantine_bytes, d) &&
          kh_json_u64(quarantine, item, "blocks", &heap->quarantine_blocks, d)))
        return false;
    size_t count = json_array_size(segments);
    heap->segments = alloc_array(count, sizeof *heap->segments);
    if (!heap->segments)
        return kh_fail(d, "%s: out of memory", path);
    heap->segment_count = count;
    for (size_t i = 0; i < count; i++) {
        json_t *element;
        snprintf(item, sizeof item, "%s.segments[%zu]", path, i);
        if (!kh_json_element(segments, path, i, &element, d) ||
            !read_segment(r, element, item, &heap->segments[i]))
            return false;
        if (i && heap->segments[i].base < kh_segment_end(&heap->segments[i - 1]))
            return kh_fail(d, "%s: segments are not in address order or overlap", item);
    }
    count = json_array_size(large);
    heap->large = alloc_array(count, sizeof *heap->large);
    if (!heap->large)
        return kh_fail(d, "%s: out of memory", path);
    heap->large_count = count;
    for (size_t i = 0; i < count; i++) {
        json_t *element;
        snprintf(item, sizeof item, "%s.large[%zu]", path, i);
        if (!kh_json_element(large, path, i, &element, d) ||
            !read_large(r, element, item, &heap->large[i]))
            return false;
        if (i && heap->large[i].base < heap->large[i - 1].base + heap->large[i - 1].reserved)
            return kh_fail(d, "%s: large blocks are not in address order or overlap", item);
    }
    return true;
}

static bool read_handle(reader *r, json_t *object, const char *path, kh_handle *handle)
{
    kh_diag *d = r->diag;
    json_t *pointer = json_object_get(object, "pointer");
    if (!(kh_json_address(object, path, "handle", &handle->handle, d) &&
          kh_json_u64(object, path, "locks", &handle->locks, d) &&
          kh_json_flags(object, path, "flags", handle_flags, COUNT(handle_flags), &handle->flags,
                        d) &&
          kh_json_u64(object, path, "size", &handle->size, d)))
        return false;
    if (json_is_null(pointer))
        return true;
    handle->has_pointer = true;
    return kh_json_address(object, path, "pointer", &handle->pointer, d);
}

/* A reservation of some heap, for the check that none overlap. */
typedef struct range {
    uint64_t base, end;
    size_t heap;
} range;

static int compare_ranges(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

static bool check_disjoint(reader *r, const kh_snapshot *snapshot)
{
    size_t count = 0;
    for (size_t h = 0; h < snapshot->heap_count; h++)
        count += snapshot->heaps[h].segment_count + snapshot->heaps[h].large_count;
    range *ranges = alloc_array(count, sizeof *ranges);
    if (!ranges)
        return kh_fail(r->diag, "out of memory");
    size_t n = 0;
    for (size_t h = 0; h < snapshot->heap_count; h++) {
        const kh_heap *heap = &snapshot->heaps[h];
        for (size_t i = 0; i < heap->segment_count; i++)
            ranges[n++] = (range){heap->segments[i].base, kh_segment_end(&heap->segments[i]), h};
        for (size_t i = 0; i < heap->large_count; i++)
            ranges[n++] =
                (range){heap->large[i].base, heap->large[i].base + heap->large[i].reserved, h};
    }
    qsort(ranges, n, sizeof *ranges, compare_ranges);
    bool ok = true;
    for (size_t i = 1; i < n && ok; i++) {
        if (ranges[i].base < ranges[i - 1].end)
            ok = kh_fail(r->diag, "heaps[%zu] and heaps[%zu] overlap at 0x%llx", ranges[i - 1].heap,
                         ranges[i].heap, (unsigned long long)ranges[i].base);
    }
    free(ranges);
    return ok;
}

static char *copy_string(const char *text)
{
    size_t size = strlen(text) + 1;
    char *copy = malloc(size);
    if (copy)
        memcpy(copy, text, size);
    return copy;
}

static bool read_document(json_t *root, kh_snapshot *snapshot, kh_diag *d)
{
    const char *format, *producer, *reason;
    uint64_t version, bits;
    json_t *heaps, *handles;
    if (!json_is_object(root))
        return kh_fail(d, "not a snapshot: the document is not a JSON object");
    if (!json_object_get(root, "format"))
        return kh_fail(d, "not a snapshot: it has no \"format\"");
    if (!kh_json_string(root, "snapshot", "format", &format, d))
        return false;
    if (strcmp(format, "kernel32_mem.snapshot") != 0)
        return kh_fail(d, "not a snapshot: \"format\" is \"%.40s\", not kernel32_mem.snapshot",
                       format);
    if (!kh_json_u64(root, "snapshot", "version", &version, d))
        return false;
    if (version != 1)
        return kh_fail(d, "snapshot version %llu; this km-heap reads version 1",
                       (unsigned long long)version);
    if (!(kh_json_string(root, "snapshot", "producer", &producer, d) &&
          kh_json_string(root, "snapshot", "reason", &reason, d) &&
          kh_json_u64(root, "snapshot", "pid", &snapshot->pid, d) &&
          kh_json_u64(root, "snapshot", "pointer_bits", &bits, d) &&
          kh_json_u64(root, "snapshot", "page_size", &snapshot->page_size, d) &&
          kh_json_u64(root, "snapshot", "slot_size", &snapshot->slot_size, d) &&
          kh_json_array(root, "snapshot", "heaps", &heaps, d) &&
          kh_json_array(root, "snapshot", "handles", &handles, d)))
        return false;
    if (bits != 32 && bits != 64)
        return kh_fail(d, "snapshot: pointer_bits is %llu, not 32 or 64", (unsigned long long)bits);
    snapshot->pointer_bits = (unsigned)bits;
    if (!is_power_of_two(snapshot->page_size) || !is_power_of_two(snapshot->slot_size) ||
        snapshot->slot_size < snapshot->page_size)
        return kh_fail(d,
                       "snapshot: page_size %llu and slot_size %llu are not powers of two, "
                       "a slot whole pages",
                       (unsigned long long)snapshot->page_size,
                       (unsigned long long)snapshot->slot_size);
    snapshot->producer = copy_string(producer);
    snapshot->reason = copy_string(reason);
    if (!snapshot->producer || !snapshot->reason)
        return kh_fail(d, "out of memory");
    reader r = {.diag = d,
                .page_size = snapshot->page_size,
                .snapshot_slot_size = snapshot->slot_size,
                .last_address = bits == 64 ? UINT64_MAX : UINT32_MAX};
    size_t count = json_array_size(heaps);
    snapshot->heaps = alloc_array(count, sizeof *snapshot->heaps);
    if (!snapshot->heaps)
        return kh_fail(d, "out of memory");
    snapshot->heap_count = count;
    for (size_t i = 0; i < count; i++) {
        char path[64];
        json_t *element;
        snprintf(path, sizeof path, "heaps[%zu]", i);
        if (!kh_json_element(heaps, "heaps", i, &element, d) ||
            !read_heap(&r, element, path, &snapshot->heaps[i]))
            return false;
    }
    count = json_array_size(handles);
    snapshot->handles = alloc_array(count, sizeof *snapshot->handles);
    if (!snapshot->handles)
        return kh_fail(d, "out of memory");
    snapshot->handle_count = count;
    for (size_t i = 0; i < count; i++) {
        char path[64];
        json_t *element;
        snprintf(path, sizeof path, "handles[%zu]", i);
        if (!kh_json_element(handles, "handles", i, &element, d) ||
            !read_handle(&r, element, path, &snapshot->handles[i]))
            return false;
    }
    return check_disjoint(&r, snapshot);
}

bool kh_snapshot_read(const char *data, size_t size, kh_snapshot *snapshot, char *error,
                      size_t error_size)
{
    kh_diag diag = {error, error_size};
    memset(snapshot, 0, sizeof *snapshot);
    json_error_t json_error;
    json_t *root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &json_error);
    if (!root)
        return kh_fail(&diag, "not JSON (line %d, column %d: %s)", json_error.line,
                       json_error.column, json_error.text);
    bool ok = read_document(root, snapshot, &diag);
    json_decref(root);
    if (!ok)
        kh_snapshot_release(snapshot);
    return ok;
}

bool kh_snapshot_read_file(const char *path, kh_snapshot *snapshot, char *error, size_t error_size)
{
    memset(snapshot, 0, sizeof *snapshot);
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "%s: cannot open it", path);
        return false;
    }
    size_t capacity = 1 << 16, size = 0;
    char *data = malloc(capacity);
    bool ok = data != NULL;
    while (ok) {
        if (size == capacity) {
            char *bigger = realloc(data, capacity * 2);
            if (!bigger) {
                ok = false;
                break;
            }
            data = bigger;
            capacity *= 2;
        }
        size_t got = fread(data + size, 1, capacity - size, file);
        size += got;
        if (got == 0)
            break;
    }
    if (ok && ferror(file))
        ok = false;
    fclose(file);
    if (!ok) {
        free(data);
        snprintf(error, error_size, "%s: cannot read it", path);
        return false;
    }
    char message[400];
    ok = kh_snapshot_read(data, size, snapshot, message, sizeof message);
    free(data);
    if (!ok)
        snprintf(error, error_size, "%s: %s", path, message);
    return ok;
}

void kh_snapshot_release(kh_snapshot *snapshot)
{
    for (size_t h = 0; h < snapshot->heap_count; h++) {
        kh_heap *heap = &snapshot->heaps[h];
        for (size_t s = 0; s < heap->segment_count; s++) {
            for (size_t g = 0; g < heap->segments[s].group_count; g++)
                free(heap->segments[s].groups[g].blocks);
            free(heap->segments[s].groups);
        }
        free(heap->segments);
        free(heap->large);
    }
    free(snapshot->heaps);
    free(snapshot->handles);
    free(snapshot->producer);
    free(snapshot->reason);
    memset(snapshot, 0, sizeof *snapshot);
}
