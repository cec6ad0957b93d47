/*
 * The calling thread's identity, for the lock's owner word: a value unique among live threads
 * and never 0. It is read on every locked heap call, so it is a link-time seam, as the page
 * provider is a run-time one: an inline read of the thread's own control block, with no call.
 *
 * Windows: the TEB's address (its self pointer, at gs:0x30 on x86_64 and fs:0x18 on i686),
 * which is what NtCurrentTeb returns (mingw's reads the same field but trips GCC's array-bounds
 * analysis). Elsewhere: the thread pointer, which glibc makes the address of the thread's
 * control block (pthread_self's value).
 */
#ifndef KM_CORE_THREAD_ID_H
#define KM_CORE_THREAD_ID_H

#include <stdint.h>

static inline uintptr_t km_thread_id(void)
{
#if defined(_WIN32)
    uintptr_t teb;
#if defined(__x86_64__)
    __asm__("movq %%gs:0x30, %0" : "=r"(teb));
#else
    __asm__("movl %%fs:0x18, %0" : "=r"(teb));
#endif
    return teb;
#else
    return (uintptr_t)__builtin_thread_pointer();
#endif
}

#endif
