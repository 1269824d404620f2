/*
 * The shim's one spin lock, for its few short critical sections off the fast path (file growth,
 * the free list of thread states, module scans, deadlock reports). Never the program's mutexes:
 * those are what the shim watches, and it must not be seen taking them. Annotated for Helgrind
 * (annotate.h), so that checking the shim's concurrency with it shows real problems only.
 */
#ifndef LOCKWATCH_SPIN_H
#define LOCKWATCH_SPIN_H

#include <stdatomic.h>
#include <stdbool.h>

#include "annotate.h"

static inline void lw_spin_lock(_Atomic int *l)
{
    LW_ANN_ATOMIC_WORD(l);
    while (atomic_exchange_explicit(l, 1, memory_order_acquire))
        while (atomic_load_explicit(l, memory_order_relaxed))
            __builtin_ia32_pause();
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
