/*
 * HEAP_* flags in the core's terms. Flags the core has no use for are ignored, as Windows
 * ignores them: a call never fails for an unknown flag.
 */
#ifndef KM_API_HEAP_FLAGS_H
#define KM_API_HEAP_FLAGS_H

#include "api/win32.h"
#include "core/heap.h"

static inline unsigned km_heap_call_flags(DWORD flags)
{
    return ((flags & HEAP_NO_SERIALIZE) ? KM_HEAP_NO_SERIALIZE : 0) |
           ((flags & HEAP_ZERO_MEMORY) ? KM_HEAP_ZERO : 0) |
           ((flags & HEAP_REALLOC_IN_PLACE_ONLY) ? KM_HEAP_IN_PLACE_ONLY : 0) |
           ((flags & HEAP_GENERATE_EXCEPTIONS) ? KM_HEAP_RAISE : 0);
}

/* HeapCreate keeps these three; every call on the heap then behaves as if it passed them. */
static inline unsigned km_heap_create_flags(DWORD flags)
{
    return ((flags & HEAP_NO_SERIALIZE) ? KM_HEAP_NO_SERIALIZE : 0) |
           ((flags & HEAP_GENERATE_EXCEPTIONS) ? KM_HEAP_RAISE : 0) |
           ((flags & HEAP_CREATE_ENABLE_EXECUTE) ? KM_HEAP_EXECUTABLE : 0);
}

#endif
