/*
 * The shim's one spin lock, for its few short critical sections off the fast path (file growth,
 * the free list of thread states, module scans, deadlock reports). Never the program's mutexes:
 * those are what the shim watches, and it must not be seen taking them. Annotated for Helgrind
 * (annotate.h), so that checking the shim's concurrency with it shows real problems only.
 */
#ifndef LOCKWATCH_SPIN_H
#define LOCKWATCH_SPIN_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "annotate.h"

/* Pauses before a waiter of a spin lock (or of any word another thread is about to change)
 * starts yielding its CPU. */
#define LW_SPIN_PAUSES 128u

/* One round of waiting; *rounds counts them (start at 0). A pause for the first rounds, then a
 * yield: with more runnable threads than CPUs, the holder may have been preempted inside its
 * critical section, and waiters that only pause would burn their whole time slices before it
 * runs again (4,100 threads entering one barrier in race mode took 27 s so). */
static inline void lw_spin_wait(unsigned *rounds)
{
    if (*rounds < LW_SPIN_PAUSES) {
        ++*rounds;
        __builtin_ia32_pause();
    } else {
        sched_yield();
    }
}

/* Takes the lock word l (0 free, 1 held), without the Helgrind annotations of lw_spin_lock: for
 * the locks of race mode and watches, which never run under Valgrind. */
static inline void lw_spin_acquire(_Atomic int *l)
{
    unsigned rounds = 0;
    while (atomic_exchange_explicit(l, 1, memory_order_acquire))
        while (atomic_load_explicit(l, memory_order_relaxed))
            lw_spin_wait(&rounds);
}

static inline void lw_spin_lock(_Atomic int *l)
{
    LW_ANN_ATOMIC_WORD(l);
    lw_spin_acquire(l);
    LW_ANN_SPIN_ACQUIRED(l);
}

/* Takes the lock if it is free; false if someone holds it. */
static inline bool lw_spin_trylock(_Atomic int *l)
{
    LW_ANN_ATOMIC_WORD(l);
    if (atomic_exchange_explicit(l, 1, memory_order_acquire))
        return false;
    LW_ANN_SPIN_ACQUIRED(l);
    return true;
}

static inline void lw_spin_unlock(_Atomic int *l)
{
    LW_ANN_SPIN_RELEASED(l);
    atomic_store_explicit(l, 0, memory_order_release);
}

#endif /* LOCKWATCH_SPIN_H */
