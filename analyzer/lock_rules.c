/*
 * The per-primitive lock-order rules (lock_rules.h). Each answers one question from the lock's
 * kind and the acquisition modes alone, so the reasons they encode are easy to test and to read.
 */
#include "lock_rules.h"

bool lw_lock_counts_for_order(const lw_process *p, uint32_t lock_id)
{
    const lw_lock *l = lw_process_lock(p, lock_id);
    if (!l || l->kind != LW_LOCK_SEMAPHORE)
        return true;
    /* A signalling semaphore is "held" by its waiter for ever: a consumed signal, not a lock. */
    return lw_process_lock_like(p, lock_id);
}

bool lw_rwlock_readers_share(const lw_lock *l)
{
    return l && l->kind == LW_LOCK_RWLOCK &&
           (l->flags & LW_LOCKF_TYPE_MASK) == LW_RWLOCK_PREFER_READER;
}

bool lw_acq_blocks_on_hold(bool readers_share, uint32_t acq_flags, uint32_t held_flags)
{
    /* A writer waits for every holder; any acquisition waits for a write holder. A reader of a
     * writer-preferring rwlock may also queue behind a waiting writer, which waits for the
     * read holder: conservatively, it can block. */
    if (!(acq_flags & LW_ACQ_READ) || !(held_flags & LW_ACQ_READ))
        return true;
    return !readers_share;
}

bool lw_held_can_gate(uint32_t held_flags)
{
    return !(held_flags & LW_ACQ_READ);
}
