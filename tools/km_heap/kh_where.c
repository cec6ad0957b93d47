/*
 * km-heap where SNAPSHOT ADDRESS: what an address is.
 *
 * The answer goes from the outside in: the heap, then the segment and slot (and what the slot's
 * group is), then within a run or span the block (its address, the offset of ADDRESS in it,
 * state, requested and class size, seal) or what lies there instead (the run's lead before its
 * first block, its tail after the last, or pages past what the snapshot lists); or the large
 * block and the offset in it. An address that is a Global/Local handle (or inside its entry) is
 * said to be so, and a block that is a handle's data says whose. Exit 0 when some heap or handle
 * holds the address, 1 when none does.
 */
#include "kh_cli.h"
#include "kh_query.h"

static const kh_handle *handle_entry_of(const kh_snapshot *snapshot, uint64_t address)
{
    uint64_t word = snapshot->pointer_bits / 8;
    for (size_t i = 0; i < snapshot->handle_count; i++) {
        uint64_t handle = snapshot->handles[i].handle;
        /* An entry is two words: flags and locks, then the data pointer the handle names. */
        if (address >= handle - word && address < handle + word)
            return &snapshot->handles[i];
    }
    return NULL;
}

static const kh_handle *handle_of_data(const kh_snapshot *snapshot, uint64_t data)
{
    for (size_t i = 0; i < snapshot->handle_count; i++)
        if (snapshot->handles[i].has_pointer && snapshot->handles[i].pointer == data)
            return &snapshot->handles[i];
    return NULL;
}

static void print_handle(const char *what, const kh_handle *handle)
{
    printf("  %s 0x%llx: data ", what, (unsigned long long)handle->handle);
    if (handle->has_pointer)
        printf("0x%llx", (unsigned long long)handle->pointer);
    else
        printf("none (discarded)");
    printf(", %llu bytes, %llu locks\n", (unsigned long long)handle->size,
           (unsigned long long)handle->locks);
}

static void print_block(const kh_snapshot *snapshot, const kh_block *block, uint64_t address)
{
    printf("  block 0x%llx + %llu (0x%llx): %s", (unsigned long long)block->address,
           (unsigned long long)(address - block->address),
           (unsigned long long)(address - block->address), kh_block_state_name(block->state));
    if (block->state == KH_BUSY)
        printf(", requested %llu", (unsigned long long)block->requested);
    printf(", block size %llu, seal %s", (unsigned long long)block->size,
           kh_seal_name(block->seal));
    if (block->state == KH_BUSY && address - block->address >= block->requested)
        printf(" (past the request: slack)");
    printf("\n");
    const kh_handle *handle = handle_of_data(snapshot, block->address);
    if (handle)
        print_handle("the data of Global handle", handle);
}

static void describe_run(const kh_snapshot *snapshot, const kh_place *place, uint64_t address)
{
    const kh_group *group = place->group;
    printf("  run of class %u, %llu-byte blocks: %llu blocks, %llu busy, %llu free, %llu "
           "quarantined; first block 0x%llx\n",
           group->size_class, (unsigned long long)group->block_size,
           (unsigned long long)group->block_count, (unsigned long long)group->busy_count,
           (unsigned long long)group->free_count, (unsigned long long)group->quarantined_count,
           (unsigned long long)group->first_block);
    if (place->block) {
        print_block(snapshot, place->block, address);
    } else if (address < group->first_block) {
        printf("  the run's lead, %llu bytes before its first block\n",
               (unsigned long long)(group->first_block - address));
    } else if (!place->in_blocks) {
        printf("  the run's tail, past its last block (0x%llx)\n",
               (unsigned long long)(group->first_block + group->block_count * group->block_size));
    } else {
        bool committed = address - group->address < group->committed;
        printf("  block 0x%llx + %llu, not listed: %s\n", (unsigned long long)place->block_start,
               (unsigned long long)(address - place->block_start),
               committed ? "the snapshot does not list it" : "on uncommitted pages");
    }
}

static void describe_segment(const kh_snapshot *snapshot, const kh_place *place, uint64_t address)
{
    const kh_segment *segment = place->segment;
    const kh_group *group = place->group;
    printf("  segment %llu, base 0x%llx, %s\n", (unsigned long long)segment->index,
           (unsigned long long)segment->base, kh_bytes(segment->size).text);
    printf("  slot %llu (0x%llx + 0x%llx), in a %s group of %llu slots from slot %llu, %s "
           "committed\n",
           (unsigned long long)place->slot,
           (unsigned long long)(segment->base + place->slot * segment->slot_size),
           (unsigned long long)((address - segment->base) % segment->slot_size),
           kh_group_kind_name(group->kind), (unsigned long long)group->count,
           (unsigned long long)group->first, kh_bytes(group->committed).text);
    switch (group->kind) {
    case KH_META: printf("  metadata: the heap's and segment's own records\n"); break;
    case KH_FREE:
        printf("  a free slot, %s\n",
               group->committed ? "its pages committed in part (kept for reuse)" : "uncommitted");
        break;
    case KH_RUN: describe_run(snapshot, place, address); break;
    case KH_SPAN:
        if (address - group->address >= group->committed)
            printf("  a span's uncommitted pages (it commits %s)\n",
                   kh_bytes(group->committed).text);
        if (place->block)
            print_block(snapshot, place->block, address);
        else
            printf("  the span's lead, before its block 0x%llx\n",
                   (unsigned long long)group->blocks[0].address);
        break;
    }
}

static void describe_large(const kh_snapshot *snapshot, const kh_large *large, uint64_t address)
{
    printf("  large block 0x%llx (reservation 0x%llx, %s reserved, %s committed), requested "
           "%llu%s\n",
           (unsigned long long)large->address, (unsigned long long)large->base,
           kh_bytes(large->reserved).text, kh_bytes(large->committed).text,
           (unsigned long long)large->requested, large->guarded ? ", guarded" : "");
    if (address < large->address) {
        printf("  in its reservation's lead, %llu bytes before the data\n",
               (unsigned long long)(large->address - address));
        return;
    }
    uint64_t offset = address - large->address;
    printf("  offset %llu (0x%llx) in the block", (unsigned long long)offset,
           (unsigned long long)offset);
    if (address - large->base >= large->committed)
        printf(", on uncommitted pages");
    else if (offset >= large->requested)
        printf(", past the request");
    printf("\n");
    const kh_handle *handle = handle_of_data(snapshot, large->address);
    if (handle)
        print_handle("the data of Global handle", handle);
}

int kh_where_main(int argc, char **argv)
{
    uint64_t address;
    if (argc != 3) {
        kh_error("usage: km-heap where SNAPSHOT ADDRESS");
        return KH_EXIT_USAGE;
    }
    if (!kh_parse_cli_address(argv[2], &address)) {
        kh_error("'%s' is not an address (hex, with or without 0x)", argv[2]);
        return KH_EXIT_USAGE;
    }
    kh_snapshot snapshot;
    if (!kh_load(argv[1], &snapshot))
        return KH_EXIT_USAGE;
    kh_place place;
    bool found = kh_locate(&snapshot, address, &place);
    const kh_handle *entry = handle_entry_of(&snapshot, address);
    printf("0x%llx:", (unsigned long long)address);
    if (found) {
        const kh_heap *heap = &snapshot.heaps[place.heap];
        printf(" heap 0x%llx%s\n", (unsigned long long)heap->handle,
               heap->process_heap ? " (process heap)" : "");
        if (place.kind == KH_PLACE_SEGMENT)
            describe_segment(&snapshot, &place, address);
        else
            describe_large(&snapshot, place.large, address);
    } else if (!entry) {
        printf(" in no heap of the snapshot\n");
    } else {
        printf(" the handle table\n");
    }
    if (entry)
        print_handle(address == entry->handle ? "Global handle" : "in the entry of Global handle",
                     entry);
    kh_snapshot_release(&snapshot);
    return found || entry ? KH_EXIT_OK : KH_EXIT_NOT_FOUND;
}
