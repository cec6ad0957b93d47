/*
 * km_bench_host: the native suite. The portable heap core (kernel32_mem_core, over the host
 * page provider) and the process's malloc, whatever it is: glibc's, or mimalloc's or
 * jemalloc's when run.sh preloads them (so that each replaces malloc in a process of its own).
 *
 * usage: km_bench_host --malloc-name NAME [--without-core] [suite options: see suite.h]
 *
 * The core's allocator also reports its own committed bytes (km_heap_summarize, for aging) and
 * its page requests (counted by the host page provider: its system calls under NT).
 */
#include "suite.h"

#include "core/heap.h"
#include "host_threads.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct core_context {
    km_host_pages pages;
    km_heap_platform platform;
    km_heap *heap;
} core_context;

static void *core_alloc(void *context, size_t size)
{
    km_status status;
    return km_heap_alloc(((core_context *)context)->heap, 0, size, &status);
}

static void core_release(void *context, void *block)
{
    km_heap_free(((core_context *)context)->heap, 0, block);
}

static void *core_resize(void *context, void *block, size_t size)
{
    km_status status;
    return km_heap_realloc(((core_context *)context)->heap, 0, block, size, &status);
}

static void core_begin(void *context)
{
    core_context *core = context;
    km_host_pages_init(&core->pages);
    core->platform = km_host_platform(&core->pages);
    if (km_heap_create(&core->platform, 0, 0, 0, &core->heap) != KM_OK)
        exit(2);
}

static void core_end(void *context)
{
    km_heap_destroy(((core_context *)context)->heap);
}

static size_t core_committed(void *context)
{
    km_heap_summary summary;
    km_heap_summarize(((core_context *)context)->heap, 0, &summary);
    return summary.committed;
}

static uint64_t core_page_requests(void *context)
{
    return ((core_context *)context)->pages.requests;
}

/* After each run malloc hands its free memory back to the system, as the Windows suite has
 * msvcrt and mimalloc do, so that the next run's committed growth (the resident set's) is its
 * own and not hidden by what earlier runs left resident: mimalloc's mi_collect or jemalloc's
 * purge of every arena when one of them is preloaded (found by name: the program links
 * neither), glibc's malloc_trim otherwise. */
static void malloc_hand_back(void *context)
{
    (void)context;
    void (*collect)(bool force) = (void (*)(bool))dlsym(RTLD_DEFAULT, "mi_collect");
    int (*control)(const char *name, void *old, size_t *old_size, void *new, size_t new_size) =
        (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    if (collect)
        collect(true);
    else if (control)
        control("arena.4096.purge", NULL, NULL, NULL, 0); /* 4096: MALLCTL_ARENAS_ALL */
    else
        malloc_trim(0);
}

int main(int argc, char **argv)
{
    const char *malloc_name = "glibc";
    int with_core = 1;
    char **suite_argv = malloc(((size_t)argc + 1) * sizeof *suite_argv);
    int suite_argc = 0;
    if (!suite_argv)
        return 2;
    suite_argv[suite_argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--malloc-name") && i + 1 < argc)
            malloc_name = argv[++i];
        else if (!strcmp(argv[i], "--without-core"))
            with_core = 0;
        else
            suite_argv[suite_argc++] = argv[i];
    }
    suite_argv[suite_argc] = NULL;
    bench_options options;
    if (!bench_options_parse(suite_argc, suite_argv, &options))
        return 2;

    static core_context core;
    bench_allocator allocators[2];
    size_t allocator_count = 0;
    if (with_core)
        allocators[allocator_count++] = (bench_allocator){.name = "kernel32_mem_core",
                                                          .alloc = core_alloc,
                                                          .release = core_release,
                                                          .resize = core_resize,
                                                          .begin = core_begin,
                                                          .end = core_end,
                                                          .committed = core_committed,
                                                          .page_requests = core_page_requests,
                                                          .context = &core,
                                                          .speed = 1.0};
    allocators[allocator_count++] = bench_malloc_allocator(malloc_name, 1.0, malloc_hand_back);
    bench_entry entries[32];
    size_t count = 0;
    for (size_t w = 0; w < bench_portable_workload_count; w++)
        for (size_t i = 0; i < allocator_count; i++)
            entries[count++] = (bench_entry){&bench_portable_workloads[w], &allocators[i]};
    int status = bench_suite_run(entries, count, &options);
    free(suite_argv);
    return status;
}
