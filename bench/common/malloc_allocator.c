/* The C runtime's malloc as a benchmark allocator: msvcrt's on Windows, glibc's (or a
 * preloaded replacement's) on Linux. */
#include "bench.h"

#include <stdlib.h>

static void *malloc_alloc(void *context, size_t size)
{
    (void)context;
    return malloc(size);
}

static void malloc_release(void *context, void *block)
{
    (void)context;
    free(block);
}

static void *malloc_resize(void *context, void *block, size_t size)
{
    (void)context;
    return realloc(block, size);
}

bench_allocator bench_malloc_allocator(const char *name, double speed, void (*end)(void *context))
{
    return (bench_allocator){.name = name,
                             .alloc = malloc_alloc,
                             .release = malloc_release,
                             .resize = malloc_resize,
                             .end = end,
                             .speed = speed};
}
