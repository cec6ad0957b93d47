/*
 * The heap lock: a recursive lock owned by a thread, cheap when nobody contends for it, and one
 * that a waiter sleeps on rather than burns a processor for.
 *
 * Recursion is required by HeapLock: a thread that holds the heap locked still allocates from it.
 * The lock word holds the owner's thread id (0: free), so taking a free lock is one
 * compare-and-swap; recursion is counted beside it and touched only by the owner.
 *
 * A thread that finds the lock taken spins briefly (most heap operations are short), yields its
 * time slice a few times (the owner may be waiting for a processor), then counts itself among the
 * waiters and sleeps until the lock word changes. Critical sections are not
 * always short: a HeapLock around a HeapWalk, or a realloc that copies megabytes. Releasing is
 * one full-barrier store of 0 followed by a look at the waiter count; only when someone sleeps
 * does it cost a system call, to wake one of them. The barrier on both sides makes the pair safe:
 * either the releaser sees the waiter counted, or the waiter sees the lock free before it sleeps,
 * and a sleep that starts after the word changed returns at once. A woken waiter competes with
 * newcomers for the lock, so the lock is fair enough that an unlock always lets a waiter run,
 * without handing the lock over in strict order.
 *
 * The thread id comes from core/thread_id.h, inline; the platform supplies the yield, and the
 * sleep and wake on the lock word, through km_threads (only a waiter calls them): on Windows,
 * RtlWaitOnAddress and RtlWakeAddressSingle (Windows 8 and later, and Wine); where those are
 * missing, a sleep is a yield of the time slice.
 */
#ifndef KM_CORE_LOCK_H
#define KM_CORE_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/thread_id.h"

typedef struct km_threads {
    void (*yield)(void);
    /* Sleeps while *word == expected (it may also return early, for no reason). */
    void (*wait)(_Atomic uintptr_t *word, uintptr_t expected);
    /* Wakes one thread sleeping in wait on word, if any. */
    void (*wake_one)(_Atomic uintptr_t *word);
    /* True once the process is ending: ExitProcess has ended every other thread, wherever each
     * was, before the DLLs' detach calls run (on Windows, ntdll's RtlDllShutdownInProgress).
     * NULL: never. */
    bool (*process_ending)(void);
} km_threads;

typedef struct km_lock {
    _Atomic uintptr_t owner;
    _Atomic unsigned waiters; /* threads that may be sleeping on owner */
    unsigned depth;           /* acquisitions beyond the first, by the owner */
    const km_threads *threads;
} km_lock;

void km_lock_init(km_lock *lock, const km_threads *threads);

/* Waits for a lock another thread holds; only km_lock_acquire calls it. */
void km_lock_wait(km_lock *lock, uintptr_t self);

/* Wakes a sleeping waiter; only km_lock_release calls it. */
void km_lock_wake(km_lock *lock);

static inline void km_lock_acquire(km_lock *lock)
{
    uintptr_t self = km_thread_id();
    uintptr_t expected = 0;
    if (atomic_compare_exchange_strong_explicit(&lock->owner, &expected, self, memory_order_acquire,
                                                memory_order_relaxed))
        return;
    if (expected == self) {
        lock->depth++;
        return;
    }
    km_lock_wait(lock, self);
}

/* Takes the lock if it is free or already the caller's; never waits. */
static inline bool km_lock_try_acquire(km_lock *lock)
{
    uintptr_t self = km_thread_id();
    uintptr_t expected = 0;
    if (atomic_compare_exchange_strong_explicit(&lock->owner, &expected, self, memory_order_acquire,
                                                memory_order_relaxed))
        return true;
    if (expected != self)
        return false;
    lock->depth++;
    return true;
}

/* Releases one acquisition; the caller owns the lock. */
static inline void km_lock_release(km_lock *lock)
{
    if (lock->depth) {
        lock->depth--;
        return;
    }
    atomic_store_explicit(&lock->owner, 0, memory_order_seq_cst);
    if (atomic_load_explicit(&lock->waiters, memory_order_seq_cst))
        km_lock_wake(lock);
}

/* True when the calling thread holds the lock. */
static inline int km_lock_is_held(km_lock *lock)
{
    return atomic_load_explicit(&lock->owner, memory_order_relaxed) == km_thread_id();
}

#endif
