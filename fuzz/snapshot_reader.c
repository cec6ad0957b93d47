/*
 * snapshot_reader: a libFuzzer target for km-heap's snapshot reader (tools/km_heap/kh_read.c).
 * Any input must be either refused with a message or read into a snapshot whose invariants the
 * commands rely on; the target then runs what the commands run on it (address lookups, the
 * busy-block list, the SVG map into a null sink), so that an invariant the reader lets through
 * unchecked shows up as a crash here rather than in km-heap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kh_query.h"
#include "kh_snapshot.h"
#include "kh_svg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kh_snapshot snapshot;
    char error[512];
    if (!kh_snapshot_read((const char *)data, size, &snapshot, error, sizeof error))
        return 0;
    kh_busy *busy;
    size_t count;
    if (kh_collect_busy(&snapshot, &busy, &count)) {
        kh_place place;
        for (size_t i = 0; i < count && i < 64; i++) {
            kh_locate(&snapshot, busy[i].address, &place);
            kh_locate(&snapshot, busy[i].address + busy[i].size / 2, &place);
        }
        FILE *sink = fopen("/dev/null", "w");
        if (sink) {
            uint64_t highlight[1] = {count ? busy[0].address : 0};
            kh_svg_map(sink, &snapshot, "fuzz", highlight, count ? 1 : 0);
            fclose(sink);
        }
        free(busy);
    }
    for (size_t h = 0; h < snapshot.heap_count; h++)
        for (size_t s = 0; s < snapshot.heaps[h].segment_count; s++) {
            kh_place place;
            kh_locate(&snapshot, snapshot.heaps[h].segments[s].base, &place);
        }
    kh_snapshot_release(&snapshot);
    return 0;
}
