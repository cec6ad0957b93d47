/*
 * How the portable core reports what went wrong. Only the api layer turns these into Win32 last
 * errors, in one helper; the core never learns what an error code is.
 */
#ifndef KM_CORE_STATUS_H
#define KM_CORE_STATUS_H

typedef enum km_status {
    KM_OK = 0,
    KM_NO_MEMORY,       /* the page provider or a fixed heap's limit said no */
    KM_INVALID_POINTER, /* not a busy block of this heap: foreign, freed, interior, unaligned */
    KM_CORRUPTED,       /* what the heap wrote in or beside a busy block was overwritten */
    KM_FREED,           /* a block of this heap that is free now: a second free is corruption */
    KM_NO_MORE_ITEMS,   /* a heap walk went past the last entry */
} km_status;

#endif
