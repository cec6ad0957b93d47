/* The benchmark platform on Linux. */
#define _GNU_SOURCE
#include "bench.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Linux commits memory when it is first touched, so the resident set is what the allocators
 * have committed (plus the program itself, which the meter subtracts as its baseline). */
size_t bench_committed_bytes(void)
{
    FILE *statm = fopen("/proc/self/statm", "r");
    if (!statm)
        return 0;
    unsigned long size = 0, resident = 0;
    int read = fscanf(statm, "%lu %lu", &size, &resident);
    fclose(statm);
    return read == 2 ? resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

typedef struct thread_start {
    void (*body)(void *);
    void *argument;
} thread_start;

static void *thread_main(void *argument)
{
    thread_start *start = argument;
    start->body(start->argument);
    return NULL;
}

enum { MAX_THREADS = 8 };

void bench_run_threads(void (*body)(void *argument), void *const *arguments, int count)
{
    thread_start starts[MAX_THREADS];
    pthread_t threads[MAX_THREADS];
    if (count > MAX_THREADS)
        exit(2);
    for (int i = 0; i < count; i++) {
        starts[i] = (thread_start){body, arguments[i]};
        if (pthread_create(&threads[i], NULL, thread_main, &starts[i]))
            exit(2);
    }
    for (int i = 0; i < count; i++)
        pthread_join(threads[i], NULL);
}

void bench_yield(void)
{
    sched_yield();
}

/* Callgrind starts with collection off (--collect-atstart=no); each toggle flips it. Without
 * valgrind's header, or outside valgrind, these do nothing. */
void bench_count_instructions(bool on)
{
    (void)on;
#ifdef CALLGRIND_TOGGLE_COLLECT
    if (RUNNING_ON_VALGRIND)
        CALLGRIND_TOGGLE_COLLECT;
#endif
}

void bench_dump_instructions(const char *workload, const char *allocator, int threads,
                             uint64_t operations)
{
#ifdef CALLGRIND_DUMP_STATS_AT
    if (RUNNING_ON_VALGRIND) {
        char label[128];
        snprintf(label, sizeof label, "%s %s %d %llu", workload, allocator, threads,
                 (unsigned long long)operations);
        CALLGRIND_DUMP_STATS_AT(label);
        return;
    }
#endif
    (void)workload, (void)allocator, (void)threads, (void)operations;
}

void bench_drop_instructions(void)
{
#ifdef CALLGRIND_ZERO_STATS
    if (RUNNING_ON_VALGRIND)
        CALLGRIND_ZERO_STATS;
#endif
}
