/*
 * The process environment and the files kernel32_mem writes: what a user asks of the DLL
 * through environment variables (KM_STATS, KM_SNAPSHOT, KM_SIDELOAD_SCOPE...), and where the
 * answer goes.
 */
#ifndef KM_NT_ENVIRONMENT_H
#define KM_NT_ENVIRONMENT_H

#include "nt/nt_types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies the variable's value, NUL-terminated, into value (capacity characters); false when the
 * variable is unset or its value does not fit. */
bool km_nt_environment_get(const WCHAR *name, WCHAR *value, size_t capacity);

/* Removes the variable from this process's environment (so that children do not inherit it). */
void km_nt_environment_remove(const WCHAR *name);

/* This process's id, as the files written for it name it, and the calling thread's. */
ULONG_PTR km_nt_current_process_id(void);
ULONG_PTR km_nt_current_thread_id(void);

/* A clock for the lines of a trace, cheap enough to read on every heap call: the processor's
 * time-stamp counter (the performance counter costs a system call under Wine: 200 ns). Its rate
 * is found from two references, each a tick count and the performance counter's time at it. */
static inline uint64_t km_nt_clock_ticks(void)
{
    return __builtin_ia32_rdtsc();
}

typedef struct km_nt_clock_reference {
    uint64_t ticks;
    uint64_t nanoseconds;
} km_nt_clock_reference;

km_nt_clock_reference km_nt_clock_now(void);

/* Gives up the processor for about this long, for a wait with nothing to wake it. */
void km_nt_sleep(uint32_t milliseconds);

/* An open file that text is appended to; each append is one write, so lines from several
 * processes sharing the file do not interleave. */
typedef struct km_nt_append_file {
    HANDLE handle;
} km_nt_append_file;

/* Opens (creating it if needed) the file at a Win32 path for appending. */
bool km_nt_append_file_open(km_nt_append_file *file, const WCHAR *path);
void km_nt_append_file_write(km_nt_append_file *file, const char *text, size_t length);
void km_nt_append_file_close(km_nt_append_file *file);

/* Writes a whole file at a Win32 path, replacing any file there; the kernel's status. */
NTSTATUS km_nt_file_replace(const WCHAR *path, const void *data, size_t length);

#endif
