/*
 * A heap snapshot in memory: what km-heap's commands read, as SCHEMA.md (the snapshot format,
 * version 1) lays it out, one C record per JSON object.
 *
 * The reader (kh_read.c) builds it from a document and checks the format's invariants on the way
 * (groups tile their segment, a run's counts add up, every block lies in its group, segments do
 * not overlap), so the commands after it can do plain arithmetic without checking again. A
 * snapshot that reads without error is internally consistent; nothing says it matches any real
 * heap.
 *
 * Addresses and sizes are uint64_t whatever the snapshot's pointer_bits: a 32-bit snapshot reads
 * the same on a 64-bit host.
 */
#ifndef KH_SNAPSHOT_H
#define KH_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kh_group_kind { KH_META, KH_RUN, KH_SPAN, KH_FREE } kh_group_kind;
typedef enum kh_block_state { KH_BUSY, KH_FREED, KH_QUARANTINED } kh_block_state;
typedef enum kh_seal { KH_SEAL_INTACT, KH_SEAL_BROKEN, KH_SEAL_EXACT, KH_SEAL_NONE } kh_seal;

/* Heap-level flags and debug modes, as bit sets. */
enum { KH_FLAG_NO_SERIALIZE = 1u << 0, KH_FLAG_EXECUTABLE = 1u << 1 };
enum {
    KH_DEBUG_TAIL = 1u << 0,
    KH_DEBUG_FREE = 1u << 1,
    KH_DEBUG_VALIDATE_ALL = 1u << 2,
    KH_DEBUG_PAGE = 1u << 3
};
enum {
    KH_HANDLE_MOVEABLE = 1u << 0,
    KH_HANDLE_DISCARDABLE = 1u << 1,
    KH_HANDLE_DISCARDED = 1u << 2,
    KH_HANDLE_DDESHARE = 1u << 3
};

typedef struct kh_block {
    uint64_t address;
    uint64_t size;
    uint64_t requested;
    kh_block_state state;
    kh_seal seal;
} kh_block;

typedef struct kh_group {
    kh_group_kind kind;
    uint64_t first; /* slot index */
    uint64_t count; /* slots */
    uint64_t address;
    uint64_t committed;
    /* Runs only. */
    unsigned size_class;
    uint64_t block_size;
    uint64_t block_count;
    uint64_t busy_count;
    uint64_t free_count;
    uint64_t quarantined_count;
    uint64_t first_block;
    /* Runs: the listed blocks, in address order; spans: the one block. */
    kh_block *blocks;
    size_t block_total;
} kh_group;

typedef struct kh_segment {
    uint64_t index;
    uint64_t base;
    uint64_t size;
    uint64_t slot_count;
    uint64_t slot_size; /* its heap's */
    uint64_t committed;
    kh_group *groups;
    size_t group_count;
} kh_segment;

typedef struct kh_large {
    uint64_t address;
    uint64_t base;
    uint64_t reserved;
    uint64_t committed;
    uint64_t requested;
    bool guarded;
} kh_large;

typedef struct kh_heap {
    uint64_t handle;
    bool process_heap;
    /* false: the writer gave only the heap's totals, no segments or large blocks (the core's
     * writer says so in "complete", a key SCHEMA.md does not list; absent means true) */
    bool complete;
    unsigned flags; /* KH_FLAG_* */
    unsigned debug; /* KH_DEBUG_* */
    uint64_t maximum;
    uint64_t slot_size; /* "slot_size" of the heap, or else of the snapshot */
    uint64_t reserved;
    uint64_t committed;
    uint64_t requested;
    uint64_t quarantine_limit;
    uint64_t quarantine_bytes;
    uint64_t quarantine_blocks;
    kh_segment *segments;
    size_t segment_count;
    kh_large *large;
    size_t large_count;
} kh_heap;

typedef struct kh_handle {
    uint64_t handle;
    bool has_pointer; /* false: "pointer" was null (discarded) */
    uint64_t pointer;
    uint64_t locks;
    unsigned flags; /* KH_HANDLE_* */
    uint64_t size;
} kh_handle;

typedef struct kh_snapshot {
    char *producer;
    char *reason;
    uint64_t pid;
    unsigned pointer_bits;
    uint64_t page_size;
    uint64_t slot_size; /* a heap's unless it says otherwise (a small fixed heap's are smaller) */
    kh_heap *heaps;
    size_t heap_count;
    kh_handle *handles;
    size_t handle_count;
} kh_snapshot;

/* Reads a snapshot from memory (need not be NUL-terminated). On failure returns false, leaves
 * *snapshot empty, and writes one line saying what and where (a JSON path such as
 * heaps[0].segments[1].groups[2].count) into error. */
bool kh_snapshot_read(const char *data, size_t size, kh_snapshot *snapshot, char *error,
                      size_t error_size);

/* The same from a file; the error names the file. */
bool kh_snapshot_read_file(const char *path, kh_snapshot *snapshot, char *error, size_t error_size);

void kh_snapshot_release(kh_snapshot *snapshot);

/* The end of a segment's slots, of a group's. */
static inline uint64_t kh_segment_end(const kh_segment *segment)
{
    return segment->base + segment->size;
}

static inline uint64_t kh_group_end(const kh_group *group, uint64_t slot_size)
{
    return group->address + group->count * slot_size;
}

/* Names, as the format spells them. */
const char *kh_group_kind_name(kh_group_kind kind);
const char *kh_block_state_name(kh_block_state state);
const char *kh_seal_name(kh_seal seal);

#endif
