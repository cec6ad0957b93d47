#include "api/heap_handles.h"

#include "api/process_attach.h"
#include "nt/nt_heap_platform.h"

static km_heap_registry registry;
static km_handle_table moveable_handles;
static km_heap *process_heap;
static volatile LONG terminate_on_corruption;

bool km_api_process_attach(void)
{
    const km_heap_platform *platform = km_nt_heap_platform();
    km_registry_init(&registry, platform->threads);
    km_handle_table_init(&moveable_handles, platform->pages, platform->threads);
    if (km_heap_create(platform, 0, 0, 0, &process_heap) != KM_OK)
        return false;
    return km_registry_add(&registry, process_heap);
}

km_heap_registry *km_heaps(void)
{
    return &registry;
}

km_handle_table *km_moveable_handles(void)
{
    return &moveable_handles;
}

km_heap *km_process_heap(void)
{
    return process_heap;
}

km_heap *km_heap_from_handle(HANDLE handle)
{
    if (handle == (HANDLE)process_heap)
        return process_heap;
    return km_registry_find(&registry, handle);
}

void km_heap_report_corruption(void)
{
    if (terminate_on_corruption)
        km_nt_terminate_on_corruption();
}

void km_heap_enable_termination_on_corruption(void)
{
    terminate_on_corruption = 1;
}
