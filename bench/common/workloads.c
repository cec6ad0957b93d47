/*
 * The workloads every allocator runs. Each touches what it allocates (the first byte, and the
 * last of large blocks), as a program would, so that lazily committed memory is paid for.
 */
#include "bench.h"

#include <stdatomic.h>
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
 * pairs; an operation is one pair. */
static size_t churn_size(uint64_t *random)
{
    uint64_t r = bench_random(random);
    if (r % 100 == 0)
        return 1024 + (size_t)(r >> 16) % (65536 - 1024 + 1);
    return 8 + (size_t)(r >> 16) % (1024 - 8 + 1);
}

static void run_churn(const bench_allocator *a, bench_scale scale, bench_meter *meter)
{
    size_t live = (size_t)bench_by_scale(scale, 1000, 100000, 100000);
    uint64_t pairs = bench_scaled(bench_by_scale(scale, 2000, 200000, 2000000), a);
    void **blocks = malloc(live * sizeof *blocks);
    size_t *sizes = malloc(live * sizeof *sizes);
    if (!blocks || !sizes)
        exit(2);
    uint64_t random = 0x243f6a8885a308d3ull;
    bench_meter_start(meter);
    for (size_t i = 0; i < live; i++) {
        sizes[i] = churn_size(&random);
        blocks[i] = must_alloc(a, sizes[i]);
        bench_meter_track(meter, sizes[i], 0);
    }
    /* Only the pairs are timed: the population is set-up. */
    bench_meter_checkpoint(meter);
    meter->elapsed_ns = 0;
    for (uint64_t n = 0; n < pairs; n++) {
        size_t i = (size_t)(bench_random(&random) % live);
        a->release(a->context, blocks[i]);
        size_t freed = sizes[i];
        sizes[i] = churn_size(&random);
        blocks[i] = must_alloc(a, sizes[i]);
        bench_meter_track(meter, sizes[i], freed);
        if ((n & CHECKPOINT_MASK) == CHECKPOINT_MASK)
            bench_meter_checkpoint(meter);
    }
    bench_meter_stop(meter);
    meter->operations = pairs;
    for (size_t i = 0; i < live; i++)
        a->release(a->context, blocks[i]);
    free(blocks);
    free(sizes);
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
    bench_run_two_threads(exchange_body, &first, &second);
    bench_meter_stop(meter);
    meter->operations = 2 * count;
}

const bench_workload bench_portable_workloads[] = {
    {"churn", 1, run_churn},
    {"small_lifo", 1, run_small_lifo},
    {"realloc_grow", 1, run_realloc_grow},
    {"large", 1, run_large},
    {"threads2", 2, run_threads2},
};
const size_t bench_portable_workload_count =
    sizeof bench_portable_workloads / sizeof bench_portable_workloads[0];
