/* syscall() is a glibc extension that strict C17 hides. */
#define _GNU_SOURCE
#include "host_threads.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A futex waits on 32 bits: the low half of the word (little-endian). Two owners whose ids share
 * their low 32 bits only cost a sleeper an early wake-up at the next release. */
static uint32_t *low_half(_Atomic uintptr_t *word)
{
    return (uint32_t *)(void *)word;
}

static void host_wait(_Atomic uintptr_t *word, uintptr_t expected)
{
    syscall(SYS_futex, low_half(word), FUTEX_WAIT_PRIVATE, (uint32_t)expected, NULL, NULL, 0);
}

static void host_wake_one(_Atomic uintptr_t *word)
{
    syscall(SYS_futex, low_half(word), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void host_yield(void)
{
    sched_yield();
}

_Atomic bool km_host_process_ending;

static bool host_process_ending(void)
{
    return atomic_load(&km_host_process_ending);
}

const km_threads km_host_threads = {
    .yield = host_yield,
    .wait = host_wait,
    .wake_one = host_wake_one,
    .process_ending = host_process_ending,
};

km_heap_platform km_host_platform(km_host_pages *pages)
{
    return (km_heap_platform){.pages = &pages->pages, .threads = &km_host_threads, .seed = 0x1234};
}
