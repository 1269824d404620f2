/*
 * Hooks from the synchronisation interceptors into race detection (race mode). Race mode is on
 * only in programs built with -fsanitize=thread and linked against liblockwatch: their
 * __tsan_init call sets lw_race_enabled. Every hook is called only when it is set, so in
 * lock-order mode each costs one load and a not-taken branch.
 *
 * Synchronisation objects are named by address. Thread life uses reserved keys built with
 * LW_RACE_KEY_CREATE / LW_RACE_KEY_EXIT, which cannot collide with user addresses.
 */
#ifndef LOCKWATCH_RACE_H
#define LOCKWATCH_RACE_H

#include <stdbool.h>
#include <stdint.h>

struct lw_thread;

extern _Atomic int lw_race_enabled;

#define LW_RACE_KEY_CREATE(child_id) (0xc000000000000000ull | (uint64_t)(child_id))
#define LW_RACE_KEY_EXIT(thread_id) (0xd000000000000000ull | (uint64_t)(thread_id))

/* Extra acq_flags bit for the hooks: the object orders threads but is not a lock (a semaphore
 * wait, a barrier, pthread_once), so it never joins the thread's lockset. */
#define LW_RACE_NOT_LOCK 0x10000u

/* t acquired the synchronisation object `key` (lock, semaphore wait, barrier exit, once, join,
 * thread start); acq_flags are LW_ACQ_* (LW_ACQ_READ for a shared rwlock acquisition). */
void lw_race_acquire(struct lw_thread *t, uint64_t key, uint32_t acq_flags);
/* t released `key` (unlock, semaphore post, barrier entry, once done, thread exit, create). */
void lw_race_release(struct lw_thread *t, uint64_t key, uint32_t acq_flags);

/* Race mode, just before the real unlock of obj: publishes the releasing thread's clock while it
 * still holds the lock. The release hook runs after the real unlock, when another thread may
 * already have acquired the lock and looked for that clock. Not inside the shim on entry. */
void lw_race_pre_release(uintptr_t obj);

/* t returned from a condition wait on mutex `key` (already reacquired): what the signaller did
 * under the mutex is a handoff, not merely lock ordering (see docs/race-mode.md). */
void lw_race_cond_wake(struct lw_thread *t, uint64_t key);

/* Memory [lo, hi) was given back (free, realloc, delete, munmap, LOCKWATCH_MEMORY_REUSED): its
 * shadow and the clocks of the synchronisation objects in it are forgotten, so the next owner of
 * those bytes starts with no history. */
void lw_race_forget_memory(uintptr_t lo, uintptr_t hi);
/* The synchronisation object at obj was destroyed: its clocks go. */
void lw_race_destroyed(uintptr_t obj);

/* In a forked child: frees the race detector's allocation locks, which a thread that does not
 * exist in the child may have held at the fork. */
void lw_race_after_fork_child(void);

static inline bool lw_race_on(void)
{
    return __builtin_expect(__atomic_load_n((int *)&lw_race_enabled, __ATOMIC_RELAXED), 0);
}

#endif /* LOCKWATCH_RACE_H */
