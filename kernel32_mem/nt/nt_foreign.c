#include "nt/nt_foreign.h"

#include "nt/nt_virtual.h"
#include "nt/ntdll.h"

HANDLE km_nt_process_heap_handle(void)
{
    return km_nt_peb_process_heap();
}

size_t km_nt_system_heaps(HANDLE *heaps, size_t capacity)
{
    ULONG count = capacity > 0xffffffffu ? 0xffffffffu : (ULONG)capacity;
    return RtlGetProcessHeaps(count, heaps);
}

bool km_nt_is_system_heap(HANDLE handle)
{
    if (!handle)
        return false;
    /* Processes have a handful of heaps; the rare one with more is asked again with room. */
    HANDLE on_stack[64];
    HANDLE *heaps = on_stack;
    size_t capacity = 64;
    size_t count = km_nt_system_heaps(heaps, capacity);
    void *allocated = NULL;
    SIZE_T allocated_size = 0;
    if (count > capacity) {
        capacity = count + 16;
        allocated_size = capacity * sizeof(HANDLE);
        if (km_nt_virtual_alloc(KM_NT_SELF, &allocated, &allocated_size, MEM_RESERVE | MEM_COMMIT,
                                PAGE_READWRITE) != 0)
            return false;
        heaps = allocated;
        count = km_nt_system_heaps(heaps, capacity);
    }
    if (count > capacity)
        count = capacity;
    bool found = false;
    for (size_t i = 0; i < count && !found; i++)
        found = heaps[i] == handle;
    if (allocated) {
        allocated_size = 0;
        km_nt_virtual_free(KM_NT_SELF, &allocated, &allocated_size, MEM_RELEASE);
    }
    return found;
}

bool km_nt_is_readable(const void *address)
{
    MEMORY_BASIC_INFORMATION info;
    SIZE_T written;
    if (km_nt_virtual_query(KM_NT_SELF, address, &info, sizeof(info), &written) != 0)
        return false;
    const DWORD readable = PAGE_READONLY | PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READ |
                           PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY;
    return info.State == MEM_COMMIT && (info.Protect & readable) && !(info.Protect & PAGE_GUARD);
}
