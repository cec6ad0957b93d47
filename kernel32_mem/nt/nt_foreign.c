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

/* Heaps recently proved to be the system's: a program whose C runtime made its heap before
 * kernel32_mem was loaded passes that handle on every malloc, and asking ntdll for its list each
 * time would cost a lock and a copy. Entries are replaced in turn; a heap destroyed through us is
 * forgotten. A heap the system destroys behind our back may stay listed, and a call on it then
 * goes to the system, as it would have without kernel32_mem. */
#define KNOWN_SYSTEM_HEAPS 16
static HANDLE known_system_heaps[KNOWN_SYSTEM_HEAPS];
static unsigned next_known;

static bool is_known_system_heap(HANDLE handle)
{
    for (size_t i = 0; i < KNOWN_SYSTEM_HEAPS; i++)
        if (__atomic_load_n(&known_system_heaps[i], __ATOMIC_ACQUIRE) == handle)
            return true;
    return false;
}

static bool is_listed_system_heap(HANDLE handle)
{
    /* Processes have a handful of heaps; one with more than fit here is asked again. */
    HANDLE heaps[256];
    size_t count = km_nt_system_heaps(heaps, 256);
    for (size_t i = 0; i < count && i < 256; i++)
        if (heaps[i] == handle)
            return true;
    if (count <= 256)
        return false;
    void *allocated = NULL;
    SIZE_T size = (count + 16) * sizeof(HANDLE);
    if (km_nt_virtual_alloc(KM_NT_SELF, &allocated, &size, MEM_RESERVE | MEM_COMMIT,
                            PAGE_READWRITE) != 0)
        return false;
    HANDLE *all = allocated;
    size_t listed = km_nt_system_heaps(all, count + 16);
    bool found = false;
    for (size_t i = 0; i < listed && i < count + 16 && !found; i++)
        found = all[i] == handle;
    size = 0;
    km_nt_virtual_free(KM_NT_SELF, &allocated, &size, MEM_RELEASE);
    return found;
}

bool km_nt_is_system_heap(HANDLE handle)
{
    if (!handle)
        return false;
    if (is_known_system_heap(handle))
        return true;
    if (!is_listed_system_heap(handle))
        return false;
    unsigned slot = __atomic_fetch_add(&next_known, 1, __ATOMIC_RELAXED) % KNOWN_SYSTEM_HEAPS;
    __atomic_store_n(&known_system_heaps[slot], handle, __ATOMIC_RELEASE);
    return true;
}

void km_nt_forget_system_heap(HANDLE handle)
{
    for (size_t i = 0; i < KNOWN_SYSTEM_HEAPS; i++) {
        HANDLE expected = handle;
        __atomic_compare_exchange_n(&known_system_heaps[i], &expected, NULL, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    }
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
