#include "bench.h"

static void sample(bench_meter *meter)
{
    size_t committed = bench_committed_bytes();
    size_t growth = committed > meter->base_committed ? committed - meter->base_committed : 0;
    if (growth > meter->peak_committed)
        meter->peak_committed = growth;
}

static void start_clock(bench_meter *meter)
{
    bench_count_instructions(true);
    meter->started_ns = bench_now_ns();
}

static void stop_clock(bench_meter *meter)
{
    meter->elapsed_ns += bench_now_ns() - meter->started_ns;
    bench_count_instructions(false);
}

void bench_meter_start(bench_meter *meter)
{
    *meter = (bench_meter){.base_committed = bench_committed_bytes()};
    start_clock(meter);
}

void bench_meter_checkpoint(bench_meter *meter)
{
    stop_clock(meter);
    sample(meter);
    start_clock(meter);
}

void bench_meter_stop(bench_meter *meter)
{
    stop_clock(meter);
    sample(meter);
}

uint64_t bench_by_scale(bench_scale scale, uint64_t smoke, uint64_t brief, uint64_t full)
{
    return scale == BENCH_SMOKE ? smoke : scale == BENCH_SHORT ? brief : full;
}

uint64_t bench_scaled(uint64_t operations, const bench_allocator *allocator)
{
    uint64_t scaled = (uint64_t)((double)operations * allocator->speed);
    return scaled ? scaled : 1;
}
