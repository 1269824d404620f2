/*
 * The per-primitive rules of lock-order analysis, as small pure functions (docs/design.md,
 * "Synchronisation primitives"). lock_order.c applies them while it builds the lock-order graph
 * and searches a cycle for a witness; they live here so each rule can be tested on its own:
 *   - a semaphore is a lock only once it is proved lock-like (waited then posted by one
 *     thread); until then its waits consume signals and give no lock-order edges;
 *   - a lock held for reading excludes nobody else's read, so it is never a gate lock;
 *   - a read acquisition of a reader-preferring rwlock cannot block on another thread's read
 *     hold of it, so a cycle that needs such a wait cannot close.
 */
#ifndef LOCKWATCH_LOCK_RULES_H
#define LOCKWATCH_LOCK_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* glibc rwlock kinds as recorded in LW_LOCKF_TYPE_MASK (glibc kind + 1). */
#define LW_RWLOCK_PREFER_READER 1u
#define LW_RWLOCK_PREFER_WRITER 2u
#define LW_RWLOCK_PREFER_WRITER_NONRECURSIVE 3u

/*
 * Does lock_id take part in lock order? False only for a semaphore the log never proved to be
 * used as a lock; true for every other lock, including ids the log never defined (an unknown
 * lock is treated as a lock: a false report is cheaper than a missed deadlock).
 */
bool lw_lock_counts_for_order(const lw_process *p, uint32_t lock_id);

/*
 * Do readers of lock l share it even while a writer waits? True only for an rwlock of the
 * reader-preferring kind (glibc's default); false for writer-preferring kinds (a queued writer
 * blocks new readers), for an rwlock of unknown kind, for any other lock and for NULL.
 */
bool lw_rwlock_readers_share(const lw_lock *l);

/*
 * Can an acquisition with acq_flags (LW_ACQ_*) block on another thread's hold of the same lock
 * taken with held_flags? readers_share is lw_rwlock_readers_share of that lock. Only a read
 * acquisition meeting a read hold of a reader-preferring rwlock cannot block.
 */
bool lw_acq_blocks_on_hold(bool readers_share, uint32_t acq_flags, uint32_t held_flags);

/* Can a held entry with these flags serialise other threads (be a gate lock)? Not a read hold. */
bool lw_held_can_gate(uint32_t held_flags);

#endif /* LOCKWATCH_LOCK_RULES_H */
