/* The thread operations the core's lock needs, over pthreads, for the host tests. */
#ifndef KM_HOST_THREADS_H
#define KM_HOST_THREADS_H

#include "core/heap.h"
#include "host_pages.h"

extern const km_threads km_host_threads;

/* A heap platform over the given host page provider. */
km_heap_platform km_host_platform(km_host_pages *pages);

#endif
