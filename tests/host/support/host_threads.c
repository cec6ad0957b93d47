#include "host_threads.h"

#include <pthread.h>
#include <sched.h>

static uintptr_t host_current_id(void)
{
    /* glibc's pthread_t is the thread's control block address: never 0 for a live thread. */
    return (uintptr_t)pthread_self();
}

static void host_yield(void)
{
    sched_yield();
}

const km_threads km_host_threads = {.current_id = host_current_id, .yield = host_yield};

km_heap_platform km_host_platform(km_host_pages *pages)
{
    return (km_heap_platform){.pages = &pages->pages, .threads = &km_host_threads, .seed = 0x1234};
}
