/*
 * Running a suite: every workload on every allocator that takes part in it, repeated, the
 * allocators interleaved within each repetition so that a noisy moment hurts all of them;
 * then one CSV row per (workload, allocator) with the median and the spread, and a table.
 */
#ifndef KM_BENCH_SUITE_H
#define KM_BENCH_SUITE_H

#include "bench.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct bench_entry {
    const bench_workload *workload;
    const bench_allocator *allocator;
} bench_entry;

typedef struct bench_options {
    bench_scale scale;
    int repetitions;
    const char *csv_path;  /* NULL: no file */
    const char *workload;  /* NULL: every workload */
    const char *allocator; /* NULL: every allocator */
} bench_options;

/* Parses --scale smoke|short|full, --repetitions N, --csv PATH, --workload NAME and
 * --allocator NAME (that one only); false, after saying why, on anything else. */
bool bench_options_parse(int argc, char **argv, bench_options *options);

/* Runs the entries and writes the results; returns 0 or an exit code. */
int bench_suite_run(bench_entry *entries, size_t count, const bench_options *options);

#endif
