/*
 * The benchmark suite's portable part: what an allocator looks like to a workload, how a run is
 * measured, and the workloads every allocator runs (Windows and native alike).
 *
 * A run times only the workload's own operations: it is split into chunks, the clock stops
 * between chunks, and there the meter samples the process's committed memory, so sampling costs
 * nothing in the figures. Peak committed bytes are the growth over the committed memory at the
 * start of the run; peak live bytes are the most that the workload held allocated at once.
 */
#ifndef KM_BENCH_H
#define KM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An allocator as the workloads call it. begin/end bracket each run (a heap of its own,
 * created and destroyed; memory handed back) and may be NULL. */
typedef struct bench_allocator {
    const char *name;
    void *(*alloc)(void *context, size_t size);
    void (*release)(void *context, void *block);
    void *(*resize)(void *context, void *block, size_t size);
    void (*begin)(void *context);
    void (*end)(void *context);
    void *context;
    /* Operations per run relative to the fastest allocators: the system heap under Wine takes
     * microseconds where the others take nanoseconds. 1 for most. */
    double speed;
} bench_allocator;

/* malloc/free/realloc of the C runtime, named `name`; `end`, which may be NULL, runs after
 * each run (to hand memory back). */
bench_allocator bench_malloc_allocator(const char *name, double speed, void (*end)(void *context));

/* The platform: a clock, the process's committed memory, and two threads. */
uint64_t bench_now_ns(void);
size_t bench_committed_bytes(void);
void bench_run_two_threads(void (*body)(void *argument), void *first, void *second);

/* Instruction counting, for a stable figure where time is noisy: when the program runs under
 * callgrind (natively), only the timed chunks are counted, and each run's count is dumped with
 * a label "workload allocator threads operations" (host/instructions.sh reads the dumps). Elsewhere
 * these do nothing. */
void bench_count_instructions(bool on);
void bench_dump_instructions(const char *workload, const char *allocator, int threads,
                             uint64_t operations);

typedef struct bench_meter {
    uint64_t elapsed_ns, started_ns;
    uint64_t operations;
    size_t live, peak_live;
    size_t base_committed, peak_committed;
} bench_meter;

void bench_meter_start(bench_meter *meter);
/* Stops the clock, samples committed memory, and restarts the clock. */
void bench_meter_checkpoint(bench_meter *meter);
void bench_meter_stop(bench_meter *meter);
static inline void bench_meter_track(bench_meter *meter, size_t allocated, size_t freed)
{
    meter->live += allocated;
    meter->live -= freed;
    if (meter->live > meter->peak_live)
        meter->peak_live = meter->live;
}

/* How big a suite run is: smoke (seconds, for the test), short (the README's command), full. */
typedef enum bench_scale { BENCH_SMOKE, BENCH_SHORT, BENCH_FULL } bench_scale;

/* A workload: runs once on the allocator, filling the meter. `operations` in the meter is
 * what ns_per_op divides by. */
typedef struct bench_workload {
    const char *name;
    int threads;
    void (*run)(const bench_allocator *allocator, bench_scale scale, bench_meter *meter);
} bench_workload;

/* churn, small_lifo, realloc_grow, large, threads2. */
extern const bench_workload bench_portable_workloads[];
extern const size_t bench_portable_workload_count;

/* The figure for the scale: smoke, short ("brief") or full. */
uint64_t bench_by_scale(bench_scale scale, uint64_t smoke, uint64_t brief, uint64_t full);

/* Operations scaled for an allocator's speed, at least 1. */
uint64_t bench_scaled(uint64_t operations, const bench_allocator *allocator);

/* A fast deterministic generator (xorshift64). */
static inline uint64_t bench_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif
