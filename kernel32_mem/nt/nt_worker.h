/*
 * A thread of kernel32_mem's own that does a piece of work each time it is woken: the trace's
 * writer, woken by threads whose trace buffers fill, and the snapshot listener, woken by another
 * program through a named event. The DLL makes such a thread only when the user asks for what
 * it does (KM_TRACE, KM_SNAPSHOT); it lives until the process ends, which kills it wherever it
 * is, so its work must leave the exit path a state it can finish from.
 */
#ifndef KM_NT_WORKER_H
#define KM_NT_WORKER_H

#include "nt/nt_types.h"

#include <stdbool.h>

typedef struct km_nt_worker {
    HANDLE wake; /* auto-reset event: set, the worker runs its work once */
    HANDLE done; /* auto-reset event it sets after each run; NULL when not asked for */
    void (*work)(void);
} km_nt_worker;

/* Starts the worker's thread. With names, its events are made (or opened) in the session's
 * named-object directory ("Local\..."), so that another program can wake it and wait for it;
 * without, they are the process's own. */
bool km_nt_worker_start(km_nt_worker *worker, const WCHAR *wake_name, const WCHAR *done_name,
                        void (*work)(void));

void km_nt_worker_wake(km_nt_worker *worker);

#endif
