/*
 * Touching memory that may not be there, for the IsBad*Ptr exports: a probe reads (or reads and
 * writes back) one byte and reports whether that faulted, instead of letting the fault end the
 * caller.
 *
 * The probes are a few instructions of assembly, so their faulting instructions have known
 * addresses. A vectored exception handler, added the first time a probe runs, recognizes an
 * access violation or guard-page violation at exactly those addresses and resumes at a landing
 * that returns "faulted"; every other exception passes it by untouched. A guard page's
 * guard is consumed by the touch, as on Windows.
 */
#ifndef KM_NT_PROBE_H
#define KM_NT_PROBE_H

#include <stdbool.h>

/* True when address is below the calling thread's stack limit, in its stack's reservation, on a
 * page that is not committed or is a guard page. Touching such a page is not a fault a probe can
 * recover from everywhere: under Wine the stack's guard page raises STATUS_STACK_OVERFLOW, and
 * the guard must still protect the stack afterwards. Windows reserves the same pages, so a
 * probe there faults; the answer is the same without the touch. */
bool km_nt_is_untouchable_stack(const void *address);

/* True when the byte at address could be read. */
bool km_nt_probe_read(const volatile void *address);

/* True when the byte at address could be read and written back unchanged. */
bool km_nt_probe_write(volatile void *address);

#endif
