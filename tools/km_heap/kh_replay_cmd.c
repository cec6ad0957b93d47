/*
 * km-heap replay TRACE [--snapshot OUT.json]: replays a trace into the heap core (kh_replay.h),
 * reports the calls whose outcome differs from the trace's and the heap misuse the core finds
 * (double frees, corruption), ends with a summary line, and can write the final state as a
 * snapshot with the core's own writer (reason "replay", producer "km-heap replay", pid 0: the
 * addresses are this process's, not the traced one's).
 *
 * Exit 0 when every call's outcome matched, 1 when some did not, 2 for bad input.
 */
#include "kh_cli.h"
#include "kh_replay.h"
#include "kh_trace.h"

#include "core/heap_snapshot.h"

#include <string.h>

static bool write_snapshot(kh_replay *replay, const char *path)
{
    km_snapshot snapshot;
    km_snapshot_header header = {.producer = "km-heap replay", .reason = "replay", .pid = 0};
    km_snapshot_open(&snapshot, &replay->pages.pages, &header);
    for (size_t i = 0; i < replay->heap_count; i++) {
        kh_replay_heap *heap = &replay->heaps[i];
        if (heap->heap)
            km_snapshot_heap(&snapshot, heap->heap, (uintptr_t)heap->heap, heap->process, true);
    }
    bool ok = km_snapshot_close(&snapshot) == KM_OK;
    if (!ok)
        kh_error("out of memory writing the snapshot");
    FILE *out = ok ? kh_open_output(path) : NULL;
    if (out) {
        fwrite(snapshot.text.data, 1, snapshot.text.length, out);
        ok = kh_close_output(out, path);
    } else {
        ok = false;
    }
    km_snapshot_release(&snapshot);
    return ok;
}

int kh_replay_main(int argc, char **argv)
{
    const char *path = NULL, *snapshot = NULL;
    bool bad = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--snapshot") == 0 && i + 1 < argc)
            snapshot = argv[++i];
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else
            bad = true;
    }
    if (bad || !path) {
        kh_error("usage: km-heap replay TRACE [--snapshot OUT.json]");
        return KH_EXIT_USAGE;
    }
    kh_trace trace;
    char message[512];
    if (!kh_trace_read_file(path, &trace, message, sizeof message)) {
        kh_error("%s", message);
        return KH_EXIT_USAGE;
    }
    kh_replay replay;
    kh_replay_init(&replay);
    int status = KH_EXIT_OK;
    for (size_t i = 0; i < trace.count; i++) {
        if (!kh_replay_call(&replay, &trace.calls[i])) {
            kh_error("out of memory at seq %llu", (unsigned long long)trace.calls[i].seq);
            status = KH_EXIT_FAILED;
            break;
        }
    }
    if (status == KH_EXIT_OK && snapshot && !write_snapshot(&replay, snapshot))
        status = KH_EXIT_FAILED;
    printf("replayed %zu calls", replay.calls);
    if (trace.skipped)
        printf(" (%zu lines of other exports skipped)", trace.skipped);
    printf(": %zu heaps, %zu live blocks, %zu mismatches; failed calls: %zu double frees, %zu "
           "uses after free, %zu corrupted, %zu bad pointers, %zu bad handles, %zu out of "
           "memory\n",
           kh_replay_live_heaps(&replay), kh_replay_live_blocks(&replay), replay.mismatches,
           replay.double_frees, replay.used_after_free, replay.corrupted, replay.invalid,
           replay.bad_handles, replay.no_memory);
    if (status == KH_EXIT_OK && replay.mismatches)
        status = KH_EXIT_NOT_FOUND;
    kh_replay_release(&replay);
    kh_trace_release(&trace);
    return status;
}
