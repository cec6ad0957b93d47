/*
 * The benchmark suite's portable part: what an allocator looks like to a workload, how a run is
 * measured, and the workloads every allocator runs (Windows and native alike).
 *
 * A run times only the workload's own operations: the clock runs in chunks, stops between them,
 * and there the meter samples the process's committed memory, so sampling costs nothing in the
 * figures. Set-up (a population built before the pairs that are measured) and warm-up run with
 * the clock stopped. Peak committed bytes are the growth over the committed memory at the start
 * of the run; peak live bytes are the most that the workload held allocated at once.
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
    /* The bytes the allocator itself says it has committed now (HeapSummary, or the core's
     * km_heap_summarize); NULL where it cannot say, and the process's committed memory stands
     * in. Only workloads that ask for it (aging) use it. */
    size_t (*committed)(void *context);
    /* Page requests made so far (reserve, commit, decommit, release: one system call each
     * under the NT backend); NULL where nothing counts them. */
    uint64_t (*page_requests)(void *context);
    void *context;
    /* Operations per run relative to the fastest allocators: the system heap under Wine takes
     * microseconds where the others take nanoseconds. 1 for most. */
    double speed;
} bench_allocator;

/* malloc/free/realloc of the C runtime, named `name`; `end`, which may be NULL, runs after
 * each run (to hand memory back). */
bench_allocator bench_malloc_allocator(const char *name, double speed, void (*end)(void *context));

/* The platform: a clock, the process's committed memory, threads. */
uint64_t bench_now_ns(void);
size_t bench_committed_bytes(void);
/* Runs body(arguments[i]) on `count` threads (at most 8) and returns when all have ended. */
void bench_run_threads(void (*body)(void *argument), void *const *arguments, int count);
/* Gives the processor to another thread, for threads that wait on each other. */
void bench_yield(void);

/* Instruction counting, for a stable figure where time is noisy: when the program runs under
 * callgrind (natively), only the timed chunks are counted, and each run's count is dumped with
 * a label "workload allocator threads operations" (host/instructions.sh reads the dumps), or
 * dropped. Elsewhere these do nothing. */
void bench_count_instructions(bool on);
void bench_dump_instructions(const char *workload, const char *allocator, int threads,
                             uint64_t operations);
void bench_drop_instructions(void);

typedef struct bench_meter {
    /* Set by the suite before the run; kept by bench_meter_prepare. */
    const bench_allocator *allocator;
    /* Set by the workload before bench_meter_prepare (kept by it): sample the allocator's own
     * count of committed bytes, where it keeps one, instead of the process's. */
    bool allocator_committed;
    uint64_t elapsed_ns, started_ns;
    uint64_t operations;
    size_t live, peak_live;
    size_t base_committed, peak_committed;
    /* Page requests made while the clock ran (0 when the allocator does not count them). */
    uint64_t page_requests, page_requests_at_start;
} bench_meter;

/* Clears the figures and takes the committed baseline; the clock is stopped. */
void bench_meter_prepare(bench_meter *meter);
/* Starts and stops the clock (and instruction and page-request counting with it). */
void bench_meter_resume(bench_meter *meter);
void bench_meter_pause(bench_meter *meter);
/* bench_meter_prepare, then bench_meter_resume. */
void bench_meter_start(bench_meter *meter);
/* Samples committed memory into the peak; call with the clock stopped. */
void bench_meter_sample(bench_meter *meter);
/* Stops the clock, samples committed memory, and restarts the clock. */
void bench_meter_checkpoint(bench_meter *meter);
/* Stops the clock and samples committed memory. */
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

enum { BENCH_MAX_ROWS = 2 };

/* A workload: runs once on the allocator, filling meters[0] (and meters[1] for a workload with
 * two rows). `operations` in a meter is what its row's ns_per_op divides by. */
typedef struct bench_workload {
    const char *name;
    int threads;
    void (*run)(const bench_allocator *allocator, bench_scale scale, bench_meter *meters);
    /* A workload that reports several figures from one run names one row per meter; when
     * row_names[0] is NULL it has one row, named as the workload. */
    const char *row_names[BENCH_MAX_ROWS];
    /* The most repetitions the suite gives it (0: as many as the others): for a workload
     * whose run is long enough that one is what the suite can afford. */
    int max_repetitions;
} bench_workload;

/* churn, small_lifo, realloc_grow, large, threads2, threads4_shared, aging. */
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

/* A random number below bound (at most 2^32), by a multiply and a shift: a `%` by a bound known
 * only at run time is a 64-bit division, which here cost 10-20 ns, on the critical path of every
 * pair (the block to free is not known until it is done). */
static inline uint64_t bench_random_below(uint64_t *state, uint64_t bound)
{
    return ((bench_random(state) >> 32) * bound) >> 32;
}

#endif
