/*
 * Memory given back ends the life of what lived in it: the lock-table lifetimes of the locks in
 * it (as a destroy would) and, in race mode, its access history. Called by the heap wrappers
 * (intercept_free.c), munmap/mremap (intercept_mmap.c) and the LOCKWATCH_MEMORY_REUSED
 * annotation (memory_forget.c). The check is inline: most memory never held a lock, and the
 * filter (lock_table.c) says so with one load per 64 KiB.
 */
#ifndef LOCKWATCH_MEMORY_FORGET_H
#define LOCKWATCH_MEMORY_FORGET_H

#include <stddef.h>
#include <stdint.h>

#include "race.h"
#include "shim.h"

/* No block or mapping a program gives back one piece at a time is this large: a size read for a
 * pointer that is not a block's (a free the allocator is about to reject) must not send the walk
 * over the whole address space. */
#define LW_FORGET_MAX ((size_t)1 << 40)

/* The out-of-line half of lw_memory_forget: forgets [lo, hi) for a call from ret_pc. A lock in
 * it that the calling thread holds is a destroy-locked misuse (other_address = lo) and leaves
 * the thread's held list. Saves errno; runs with the re-entrancy guard set. */
void lw_memory_forget_slow(uintptr_t lo, uintptr_t hi, uintptr_t ret_pc);

/* True if memory given back now is to be forgotten: recording, and not from inside the shim (its
 * own memory never holds a program's lock). */
static inline bool lw_memory_watched(void)
{
    return atomic_load_explicit(&lw_state, memory_order_relaxed) == LW_STATE_RECORDING &&
           !lw_tls.depth;
}

/* The `size` bytes at lo hold nothing that lived there before (the caller checked
 * lw_memory_watched). */
static inline void lw_memory_forget(uintptr_t lo, size_t size, uintptr_t ret_pc)
{
    if (LW_UNLIKELY(size > LW_FORGET_MAX) || !size)
        return;
    uintptr_t hi = lo + size < lo ? UINTPTR_MAX : lo + size;
    if (LW_UNLIKELY(lw_race_on()) || lw_lock_maybe_in(lo, hi))
        lw_memory_forget_slow(lo, hi, ret_pc);
}

#endif /* LOCKWATCH_MEMORY_FORGET_H */
