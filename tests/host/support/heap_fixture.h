/*
 * What the core's heap tests share: a growable heap over a fresh host page provider for each
 * test, destroyed after it with a check that every reservation went back, and an allocation
 * that must succeed. Include after cmocka.h.
 */
#ifndef KM_HEAP_FIXTURE_H
#define KM_HEAP_FIXTURE_H

#include <stdlib.h>

#include "core/heap.h"
#include "host_pages.h"
#include "host_threads.h"

typedef struct fixture {
    km_host_pages pages;
    km_heap *heap;
} fixture;

static inline int setup_growable(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    km_host_pages_init(&f->pages);
    km_heap_platform platform = km_host_platform(&f->pages);
    if (km_heap_create(&platform, 0, 0, 0, &f->heap) != KM_OK)
        return -1;
    *state = f;
    return 0;
}

/* The page provider alone, for a test that makes its own heaps (and destroys them). */
static inline int setup_pages(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    km_host_pages_init(&f->pages);
    *state = f;
    return 0;
}

/* Fails the test when the heap left a reservation behind. */
static inline int teardown(void **state)
{
    fixture *f = *state;
    if (f->heap)
        km_heap_destroy(f->heap);
    int leaked = f->pages.reserved_bytes != 0 || f->pages.reservations != 0;
    free(f);
    return leaked ? -1 : 0;
}

static inline void *alloc_ok(km_heap *heap, size_t size)
{
    km_status status = KM_NO_MEMORY;
    void *block = km_heap_alloc(heap, 0, size, &status);
    assert_non_null(block);
    assert_int_equal(status, KM_OK);
    return block;
}

#endif
