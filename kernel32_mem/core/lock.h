/*
 * The heap lock: a recursive lock owned by a thread, cheap when nobody contends for it.
 *
 * Recursion is required by HeapLock: a thread that holds the heap locked still allocates from it.
 * The lock word holds the owner's thread id (0: free), so taking a free lock is one
 * compare-and-swap and releasing it is one store; recursion is counted beside it and touched
 * only by the owner. A thread that finds the lock taken spins briefly, then yields its time slice
 * until the owner is done: heap critical sections are short, so a sleeping wait is rarely worth
 * its system calls.
 *
 * The platform supplies the thread id (never 0) and the yield, through km_threads.
 */
#ifndef KM_CORE_LOCK_H
#define KM_CORE_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct km_threads {
    uintptr_t (*current_id)(void);
    void (*yield)(void);
} km_threads;

typedef struct km_lock {
    _Atomic uintptr_t owner;
    unsigned depth; /* acquisitions beyond the first, by the owner */
    const km_threads *threads;
} km_lock;

void km_lock_init(km_lock *lock, const km_threads *threads);

/* Waits for a lock another thread holds; only km_lock_acquire calls it. */
void km_lock_wait(km_lock *lock, uintptr_t self);

static inline void km_lock_acquire(km_lock *lock)
{
    uintptr_t self = lock->threads->current_id();
    uintptr_t expected = 0;
    if (atomic_compare_exchange_strong_explicit(&lock->owner, &expected, self,
                                                memory_order_acquire, memory_order_relaxed))
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
    uintptr_t self = lock->threads->current_id();
    uintptr_t expected = 0;
    if (atomic_compare_exchange_strong_explicit(&lock->owner, &expected, self,
                                                memory_order_acquire, memory_order_relaxed))
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
    atomic_store_explicit(&lock->owner, 0, memory_order_release);
}

/* True when the calling thread holds the lock. */
static inline int km_lock_is_held(km_lock *lock)
{
    return atomic_load_explicit(&lock->owner, memory_order_relaxed) ==
           lock->threads->current_id();
}

#endif
