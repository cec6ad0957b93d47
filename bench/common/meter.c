#include "bench.h"

static size_t committed_now(const bench_meter *meter)
{
    const bench_allocator *a = meter->allocator;
    if (meter->allocator_committed && a && a->committed)
        return a->committed(a->context);
    return bench_committed_bytes();
}

static uint64_t page_requests_now(const bench_meter *meter)
{
    const bench_allocator *a = meter->allocator;
    return a && a->page_requests ? a->page_requests(a->context) : 0;
}

void bench_meter_prepare(bench_meter *meter)
{
    *meter = (bench_meter){.allocator = meter->allocator,
                           .allocator_committed = meter->allocator_committed};
    meter->base_committed = committed_now(meter);
}

void bench_meter_sample(bench_meter *meter)
{
    size_t committed = committed_now(meter);
    size_t growth = committed > meter->base_committed ? committed - meter->base_committed : 0;
    if (growth > meter->peak_committed)
        meter->peak_committed = growth;
}

void bench_meter_resume(bench_meter *meter)
{
    meter->page_requests_at_start = page_requests_now(meter);
    bench_count_instructions(true);
    meter->started_ns = bench_now_ns();
}

void bench_meter_pause(bench_meter *meter)
{
    meter->elapsed_ns += bench_now_ns() - meter->started_ns;
    bench_count_instructions(false);
    meter->page_requests += page_requests_now(meter) - meter->page_requests_at_start;
}

void bench_meter_start(bench_meter *meter)
{
    bench_meter_prepare(meter);
    bench_meter_resume(meter);
}

void bench_meter_checkpoint(bench_meter *meter)
{
    bench_meter_pause(meter);
    bench_meter_sample(meter);
    bench_meter_resume(meter);
}

void bench_meter_stop(bench_meter *meter)
{
    bench_meter_pause(meter);
    bench_meter_sample(meter);
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
