#include "core/lock.h"

/* Spins this many times, then yields this many, before sleeping: together long enough to cover
 * an allocation or a free by the owner, even when the owner has to wait for a processor. */
#define KM_LOCK_SPINS 128
#define KM_LOCK_YIELDS 16

static void cpu_relax(void)
{
#if defined(__i386__) || defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

void km_lock_init(km_lock *lock, const km_threads *threads)
{
    atomic_init(&lock->owner, 0);
    atomic_init(&lock->waiters, 0);
    lock->depth = 0;
    lock->threads = threads;
}

void km_lock_wait(km_lock *lock, uintptr_t self)
{
    for (unsigned attempt = 0; attempt < KM_LOCK_SPINS + KM_LOCK_YIELDS; attempt++) {
        uintptr_t expected = 0;
        if (atomic_load_explicit(&lock->owner, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&lock->owner, &expected, self,
                                                  memory_order_acquire, memory_order_relaxed))
            return;
        if (attempt < KM_LOCK_SPINS)
            cpu_relax();
        else
            lock->threads->yield();
    }
    atomic_fetch_add_explicit(&lock->waiters, 1, memory_order_seq_cst);
    for (;;) {
        uintptr_t owner = 0;
        if (atomic_compare_exchange_strong_explicit(&lock->owner, &owner, self,
                                                    memory_order_seq_cst, memory_order_seq_cst))
            break;
        lock->threads->wait(&lock->owner, owner);
    }
    atomic_fetch_sub_explicit(&lock->waiters, 1, memory_order_relaxed);
}

void km_lock_wake(km_lock *lock)
{
    lock->threads->wake_one(&lock->owner);
}
