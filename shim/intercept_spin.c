/*
 * Interceptors for pthread_spin_*. A spin lock joins the lock-order graph like a mutex. It has
 * no owner field, so the watchdog finds its holder through the threads' held lists, and a
 * relock by the holder (which spins for ever) is found the same way, before it spins.
 */
#include <errno.h>
#include <pthread.h>

#include "intercept.h"

/* glibc's spin lock word: on x86 it counts down from 1 (1 = free, 0 or less = taken); the
 * generic implementation uses 0 = free. */
#if defined(__x86_64__) || defined(__i386__)
#define SPIN_FREE 1
#else
#define SPIN_FREE 0
#endif

static inline bool spin_taken(pthread_spinlock_t *s)
{
    return __atomic_load_n(s, __ATOMIC_RELAXED) != SPIN_FREE;
}
#include "race.h"
#include "real.h"
#include "shim.h"

LW_EXPORT int pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
    LW_REAL(pthread_spin_init);
    int rc = lw_real_pthread_spin_init(s, pshared);
    if (rc == 0)
        lw_after_init((uintptr_t)s, LW_LOCK_SPIN, 0, __builtin_return_address(0));
    return rc;
}

LW_EXPORT int pthread_spin_destroy(pthread_spinlock_t *s)
{
    LW_REAL(pthread_spin_destroy);
    if (lw_recording_thread() && spin_taken(s))
        lw_report_misuse(LW_MISUSE_DESTROY_LOCKED, (uintptr_t)s, LW_LOCK_SPIN, 0,
                         __builtin_return_address(0));
    int rc = lw_real_pthread_spin_destroy(s);
    if (rc == 0)
        lw_after_destroy((uintptr_t)s);
    return rc;
}

LW_EXPORT int pthread_spin_lock(pthread_spinlock_t *s)
{
    LW_REAL(pthread_spin_trylock);
    LW_REAL(pthread_spin_lock);
    int rc = lw_real_pthread_spin_trylock(s);
    if (rc != 0) {
        struct lw_thread *t = lw_recording_thread();
        if (t && rc == EBUSY && lw_held_find(t, (uintptr_t)s) >= 0)
            lw_report_self_spin(t, (uintptr_t)s);
        struct lw_thread *w = lw_block_begin(rc == EBUSY, LW_WAIT_SPIN, (uintptr_t)s, false,
                                             __builtin_return_address(0));
        rc = lw_real_pthread_spin_lock(s);
        lw_block_end(w);
    }
    if (rc == 0)
        lw_after_acquire((uintptr_t)s, LW_LOCK_SPIN, 0, 0, __builtin_return_address(0),
                         __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int pthread_spin_trylock(pthread_spinlock_t *s)
{
    LW_REAL(pthread_spin_trylock);
    int rc = lw_real_pthread_spin_trylock(s);
    if (rc == 0)
        lw_after_acquire((uintptr_t)s, LW_LOCK_SPIN, 0, LW_ACQ_TRY, __builtin_return_address(0),
                         __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int pthread_spin_unlock(pthread_spinlock_t *s)
{
    LW_REAL(pthread_spin_unlock);
    struct lw_thread *t = lw_recording_thread();
    if (t && lw_held_find(t, (uintptr_t)s) < 0 && !spin_taken(s))
        lw_report_misuse(LW_MISUSE_UNLOCK_UNLOCKED, (uintptr_t)s, LW_LOCK_SPIN, 0,
                         __builtin_return_address(0));
    if (lw_race_on())
        lw_race_pre_release((uintptr_t)s);
    int rc = lw_real_pthread_spin_unlock(s);
    if (rc == 0)
        lw_after_release((uintptr_t)s);
    return rc;
}
