/*
 * The workloads every allocator runs. Each touches what it allocates (the first byte, and the
 * last of churn's and large blocks), as a program would, so that lazily committed memory is
 * paid for.
 */
#include "bench.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

enum { CHECKPOINT_MASK = 4095 };

static void *must_alloc(const bench_allocator *a, size_t size)
{
    void *block = a->alloc(a->context, size);
    if (!block) {
        fprintf(stderr, "%s: allocation of %zu bytes failed\n", a->name, size);
        exit(2);
    }
    *(volatile char *)block = 1;
    return block;
}

static void *must_resize(const bench_allocator *a, void *block, size_t size)
{
    void *moved = a->resize(a->context, block, size);
    if (!moved) {
        fprintf(stderr, "%s: resize to %zu bytes failed\n", a->name, size);
        exit(2);
    }
    ((volatile char *)moved)[size - 1] = 1;
    return moved;
}

/* churn: a population of live blocks (8-1024 bytes, 1% up to 64 KiB), then random free+alloc
 * pairs; an operation is one pair. Every block's first and last bytes are written, as a program
 * filling it would, so that the pages under both ends are paid for. The population and a
 * warm-up of three pairs per block run untimed: right after a bulk fill every page of the heap
 * is full, and the first pairs cost up to several times what they cost once the heap has
 * settled (mimalloc's first 50,000 about 2.5 times under Wine; the excess was gone after some
 * 200,000). churn measures the settled heap; aging shows the difference. */
enum { CHURN_WARM_UP_PER_BLOCK = 3 };

static size_t churn_size(uint64_t *random)
{
    uint64_t r = bench_random(random);
    if (r % 100 == 0)
        return 1024 + (size_t)(r >> 16) % (65536 - 1024 + 1);
    return 8 + (size_t)(r >> 16) % (1024 - 8 + 1);
}

static void *churn_alloc(const bench_allocator *a, size_t size)
{
    char *block = must_alloc(a, size);
    ((volatile char *)block)[size - 1] = 1;
    return block;
}

typedef struct churn_population {
    void **blocks;
    size_t *sizes;
    size_t count;
    uint64_t random;
} churn_population;

/* Allocates count blocks of random sizes, tracked by the meter. */
static void churn_populate(churn_population *population, const bench_allocator *a, size_t count,
                           uint64_t seed, bench_meter *meter)
{
    population->blocks = malloc(count * sizeof *population->blocks);
    population->sizes = malloc(count * sizeof *population->sizes);
    if (!population->blocks || !population->sizes)
        exit(2);
    population->count = count;
    population->random = seed;
    for (size_t i = 0; i < count; i++) {
        population->sizes[i] = churn_size(&population->random);
        population->blocks[i] = churn_alloc(a, population->sizes[i]);
        bench_meter_track(meter, population->sizes[i], 0);
    }
}

/* Frees a random block of the population and allocates one of a new random size in its place. */
static inline void churn_pair(churn_population *population, const bench_allocator *a,
                              bench_meter *meter)
{
    size_t i = (size_t)bench_random_below(&population->random, population->count);
    a->release(a->context, population->blocks[i]);
    size_t freed = population->sizes[i];
    population->sizes[i] = churn_size(&population->random);
    population->blocks[i] = churn_alloc(a, population->sizes[i]);
    bench_meter_track(meter, population->sizes[i], freed);
}

static void churn_release_all(churn_population *population, const bench_allocator *a)
{
    for (size_t i = 0; i < population->count; i++)
        a->release(a->context, population->blocks[i]);
    free(population->blocks);
    free(population->sizes);
}

/* Untimed pairs that bring the population's heap to its steady state. */
static void churn_warm_up(churn_population *population, const bench_allocator *a,
                          bench_meter *meter, uint64_t pairs)
{
    for (uint64_t n = 0; n < pairs; n++) {
        churn_pair(population, a, meter);
        if ((n & CHECKPOINT_MASK) == CHECKPOINT_MASK)
            bench_meter_sample(meter);
    }
    bench_meter_sample(meter);
}

static void run_churn(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    size_t live = (size_t)bench_by_scale(scale, 1000, 100000, 100000);
    uint64_t pairs = bench_scaled(bench_by_scale(scale, 2000, 200000, 2000000), a);
    churn_population population;
    bench_meter_prepare(meter);
    churn_populate(&population, a, live, 0x243f6a8885a308d3ull, meter);
    churn_warm_up(&population, a, meter, bench_scaled(CHURN_WARM_UP_PER_BLOCK * live, a));
    bench_meter_resume(meter);
    for (uint64_t n = 0; n < pairs; n++) {
        churn_pair(&population, a, meter);
        if ((n & CHECKPOINT_MASK) == CHECKPOINT_MASK)
            bench_meter_checkpoint(meter);
    }
    bench_meter_stop(meter);
    meter->operations = pairs;
    churn_release_all(&population, a);
}

/* small_lifo: one 64-byte block allocated and freed at once, again and again. */
static void run_small_lifo(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    uint64_t count = bench_scaled(bench_by_scale(scale, 10000, 1000000, 10000000), a);
    bench_meter_start(meter);
    for (uint64_t n = 0; n < count; n++) {
        void *block = must_alloc(a, 64);
        a->release(a->context, block);
        if ((n & CHECKPOINT_MASK) == CHECKPOINT_MASK)
            bench_meter_checkpoint(meter);
    }
    bench_meter_stop(meter);
    bench_meter_track(meter, 64, 0);
    meter->operations = count;
}

/* realloc_grow: a buffer grown one byte at a time to 1 MiB, then by a sixteenth of its size at
 * a time to 64 MiB (69 resizes: a program growing a buffer that big grows it geometrically, and
 * an allocator that copies on every move makes smaller steps quadratic); an operation is one
 * resize. */
static void run_realloc_grow(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    size_t bytewise = (size_t)bench_by_scale(scale, 16 << 10, 256 << 10, 1 << 20);
    size_t pagewise = (size_t)bench_by_scale(scale, 1 << 20, 8 << 20, 64 << 20);
    bench_meter_start(meter);
    size_t size = 1;
    char *buffer = must_alloc(a, size);
    uint64_t resizes = 0;
    while (size < pagewise) {
        size_t grown = size < bytewise ? size + 1 : size + size / 16;
        buffer = must_resize(a, buffer, grown);
        bench_meter_track(meter, grown - size, 0);
        size = grown;
        if ((++resizes & CHECKPOINT_MASK) == 0 || size >= bytewise)
            bench_meter_checkpoint(meter);
    }
    bench_meter_stop(meter);
    a->release(a->context, buffer);
    meter->operations = resizes;
}

/* large: a working set of 16 blocks of 64 KiB-4 MiB, one replaced per operation. */
static void run_large(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    enum { WORKING_SET = 16 };
    uint64_t count = bench_scaled(bench_by_scale(scale, 100, 2000, 20000), a);
    void *blocks[WORKING_SET] = {0};
    size_t sizes[WORKING_SET] = {0};
    uint64_t random = 0x13198a2e03707344ull;
    bench_meter_start(meter);
    for (uint64_t n = 0; n < count; n++) {
        size_t i = (size_t)(bench_random(&random) % WORKING_SET);
        size_t freed = sizes[i];
        if (blocks[i])
            a->release(a->context, blocks[i]);
        sizes[i] = (64 << 10) + (size_t)(bench_random(&random) % ((4 << 20) - (64 << 10) + 1));
        blocks[i] = must_alloc(a, sizes[i]);
        ((volatile char *)blocks[i])[sizes[i] - 1] = 1;
        bench_meter_track(meter, sizes[i], freed);
        if ((n & 63) == 63)
            bench_meter_checkpoint(meter);
    }
    bench_meter_stop(meter);
    for (size_t i = 0; i < WORKING_SET; i++)
        if (blocks[i])
            a->release(a->context, blocks[i]);
    meter->operations = count;
}

/* threads2: two threads, each allocating blocks (16-256 bytes) that the other frees, handed
 * over through a single-producer single-consumer ring each way; an operation is one block
 * allocated by one thread and freed by the other. */
enum { RING = 1024 };

typedef struct ring {
    void *slots[RING];
    _Atomic uint64_t head, tail; /* head: next to take; tail: next to fill */
} ring;

typedef struct exchange_side {
    const bench_allocator *allocator;
    ring *outgoing, *incoming;
    uint64_t count;
    _Atomic int *producers_left;
    uint64_t seed;
} exchange_side;

static int take_and_free(exchange_side *side)
{
    ring *in = side->incoming;
    uint64_t head = atomic_load_explicit(&in->head, memory_order_relaxed);
    if (head == atomic_load_explicit(&in->tail, memory_order_acquire))
        return 0;
    side->allocator->release(side->allocator->context, in->slots[head % RING]);
    atomic_store_explicit(&in->head, head + 1, memory_order_release);
    return 1;
}

static void exchange_body(void *argument)
{
    exchange_side *side = argument;
    ring *out = side->outgoing;
    uint64_t random = side->seed;
    for (uint64_t n = 0; n < side->count; n++) {
        void *block = must_alloc(side->allocator, 16 + (size_t)(bench_random(&random) % 241));
        uint64_t tail = atomic_load_explicit(&out->tail, memory_order_relaxed);
        while (tail - atomic_load_explicit(&out->head, memory_order_acquire) == RING)
            take_and_free(side);
        out->slots[tail % RING] = block;
        atomic_store_explicit(&out->tail, tail + 1, memory_order_release);
        take_and_free(side);
    }
    atomic_fetch_sub(side->producers_left, 1);
    for (;;) {
        int done = atomic_load(side->producers_left) == 0;
        while (take_and_free(side))
            ;
        if (done)
            break;
    }
}

static void run_threads2(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    static ring rings[2];
    uint64_t count = bench_scaled(bench_by_scale(scale, 2000, 200000, 1000000), a);
    for (int i = 0; i < 2; i++) {
        atomic_store(&rings[i].head, 0);
        atomic_store(&rings[i].tail, 0);
    }
    _Atomic int producers_left = 2;
    exchange_side first = {a, &rings[0], &rings[1], count, &producers_left, 0x9e3779b97f4a7c15ull};
    exchange_side second = {a, &rings[1], &rings[0], count, &producers_left, 0xbf58476d1ce4e5b9ull};
    bench_meter_start(meter);
    bench_run_threads(exchange_body, (void *[]){&first, &second}, 2);
    bench_meter_stop(meter);
    meter->operations = 2 * count;
}

/* threads4_shared: four threads on one heap, each churning a quarter of churn's population
 * (the same sizes, both ends written, its own blocks only) after churn's warm-up; an operation
 * is one pair, and the time is from the moment all four start to the moment the last ends.
 * Peak live bytes are the sum of each thread's peak (they peak at different moments, so this
 * bounds the true peak from above, by a few per cent). */
enum { SHARED_THREADS = 4 };

typedef struct shared_run {
    const bench_allocator *allocator;
    bench_meter *meter;
    size_t live_per_thread;
    uint64_t warm_up, pairs;
    _Atomic int ready, finished;
    _Atomic bool started, sampled;
} shared_run;

typedef struct shared_thread {
    shared_run *run;
    int index;
    uint64_t seed;
    uint64_t finished_ns;
    size_t peak_live;
} shared_thread;

static void wait_for_count(_Atomic int *count, int value)
{
    while (atomic_load(count) < value)
        bench_yield();
}

static void wait_for_flag(_Atomic bool *flag)
{
    while (!atomic_load(flag))
        bench_yield();
}

/* Thread 0 keeps the meter: it starts the clock once every thread is ready, and samples
 * committed memory when every thread is done but before any frees its population. */
static void shared_body(void *argument)
{
    shared_thread *self = argument;
    shared_run *run = self->run;
    const bench_allocator *a = run->allocator;
    bench_meter own = {0}; /* tracks this thread's live bytes only */
    churn_population population;
    churn_populate(&population, a, run->live_per_thread, self->seed, &own);
    for (uint64_t n = 0; n < run->warm_up; n++)
        churn_pair(&population, a, &own);
    atomic_fetch_add(&run->ready, 1);
    if (self->index == 0) {
        wait_for_count(&run->ready, SHARED_THREADS);
        bench_meter_sample(run->meter);
        bench_meter_resume(run->meter);
        atomic_store(&run->started, true);
    } else {
        wait_for_flag(&run->started);
    }
    for (uint64_t n = 0; n < run->pairs; n++)
        churn_pair(&population, a, &own);
    self->finished_ns = bench_now_ns();
    self->peak_live = own.peak_live;
    atomic_fetch_add(&run->finished, 1);
    if (self->index == 0) {
        wait_for_count(&run->finished, SHARED_THREADS);
        bench_meter_stop(run->meter);
        atomic_store(&run->sampled, true);
    } else {
        wait_for_flag(&run->sampled);
    }
    churn_release_all(&population, a);
}

static void run_threads4_shared(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    size_t live = (size_t)bench_by_scale(scale, 1000, 100000, 100000) / SHARED_THREADS;
    shared_run run = {
        .allocator = a,
        .meter = meter,
        .live_per_thread = live,
        .warm_up = bench_scaled(CHURN_WARM_UP_PER_BLOCK * live, a),
        .pairs = bench_scaled(bench_by_scale(scale, 500, 50000, 250000), a),
    };
    shared_thread threads[SHARED_THREADS];
    void *arguments[SHARED_THREADS];
    for (int i = 0; i < SHARED_THREADS; i++) {
        threads[i] = (shared_thread){
            .run = &run, .index = i, .seed = 0x452821e638d01377ull * (uint64_t)(i + 1)};
        arguments[i] = &threads[i];
    }
    bench_meter_prepare(meter);
    bench_run_threads(shared_body, arguments, SHARED_THREADS);
    /* Thread 0's clock stopped when it saw the last thread end; each thread's own end is exact. */
    uint64_t last_finished = 0;
    meter->peak_live = 0;
    for (int i = 0; i < SHARED_THREADS; i++) {
        if (threads[i].finished_ns > last_finished)
            last_finished = threads[i].finished_ns;
        meter->peak_live += threads[i].peak_live;
    }
    meter->elapsed_ns = last_finished - meter->started_ns;
    meter->operations = SHARED_THREADS * run.pairs;
}

/* aging: churn from a fresh fill through ten million pairs (a tenth of that at the short scale,
 * a five-hundredth at the smoke scale), no warm-up: its two rows are the time per pair of the
 * first tenth of the pairs (aging_early: pairs 0-1M at full scale) and of the last tenth
 * (aging_late: pairs 9M-10M), as a heap that a long-running program churns ages. The pairs in
 * between run untimed. Committed bytes are the allocator's own count where it keeps one (our
 * HeapSummary, the core's km_heap_summarize), otherwise the process's, sampled every 4,096
 * pairs; aging_early's peaks are those up to the end of its pairs, aging_late's those of the
 * whole run. */
static void run_aging(const bench_allocator *a, bench_scale scale, bench_meter *meters)
{
    bench_meter *early = &meters[0], *whole = &meters[1];
    size_t live = (size_t)bench_by_scale(scale, 1000, 100000, 100000);
    uint64_t pairs = bench_scaled(bench_by_scale(scale, 20000, 1000000, 10000000), a);
    uint64_t window = pairs / 10 ? pairs / 10 : 1;
    early->allocator_committed = whole->allocator_committed = true;
    bench_meter_prepare(early);
    bench_meter_prepare(whole);
    churn_population population;
    churn_populate(&population, a, live, 0xa4093822299f31d0ull, whole);
    bench_meter_sample(whole);
    bench_meter_resume(early);
    for (uint64_t n = 0; n < pairs; n++) {
        if (n == window) {
            bench_meter_pause(early);
            bench_meter_sample(whole);
            early->peak_committed = whole->peak_committed;
            early->peak_live = whole->peak_live;
        }
        if (n == pairs - window) {
            bench_meter_sample(whole);
            bench_meter_resume(whole);
        }
        churn_pair(&population, a, whole);
        if ((n & CHECKPOINT_MASK) == CHECKPOINT_MASK) {
            bench_meter *timing = n < window ? early : n >= pairs - window ? whole : NULL;
            if (timing)
                bench_meter_pause(timing);
            bench_meter_sample(whole);
            if (timing)
                bench_meter_resume(timing);
        }
    }
    bench_meter_stop(whole);
    early->operations = whole->operations = window;
    churn_release_all(&population, a);
}

const bench_workload bench_portable_workloads[] = {
    {.name = "churn", .threads = 1, .run = run_churn},
    {.name = "small_lifo", .threads = 1, .run = run_small_lifo},
    {.name = "realloc_grow", .threads = 1, .run = run_realloc_grow},
    {.name = "large", .threads = 1, .run = run_large},
    {.name = "threads2", .threads = 2, .run = run_threads2},
    {.name = "threads4_shared", .threads = SHARED_THREADS, .run = run_threads4_shared},
    /* One run only: ten million pairs on every allocator, the system heap's twentieth included,
     * take about half a minute under Wine; two windows of one run share the machine's mood. */
    {.name = "aging",
     .threads = 1,
     .run = run_aging,
     .row_names = {"aging_early", "aging_late"},
     .max_repetitions = 1},
};
const size_t bench_portable_workload_count =
    sizeof bench_portable_workloads / sizeof bench_portable_workloads[0];
