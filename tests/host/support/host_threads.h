/* The thread operations the core's lock needs, over pthreads, for the host tests. */
#ifndef KM_HOST_THREADS_H
#define KM_HOST_THREADS_H

#include "core/heap.h"

#include "host_pages.h"
#include <stdatomic.h>
#include <stdbool.h>

extern const km_threads km_host_threads;

/* What km_host_threads' process_ending says: a test sets it to act out ExitProcess's end of
 * every other thread. */
extern _Atomic bool km_host_process_ending;

/* A heap platform over the given host page provider. */
km_heap_platform km_host_platform(km_host_pages *pages);

#endif
