/*
 * Interceptors for pthread_mutex_*. Each one calls the real function (or, for a default mutex,
 * does glibc's own fast path and blocking wait, glibc_mutex_fast.h) and records only after a
 * successful acquisition or release, so return values, errno and blocking are exactly the program's
 * own. A blocking acquisition is tried first; only when that fails does the thread publish "about
 * to block on m" for the deadlock watchdog before it blocks.
 */
#include <errno.h>
#include <pthread.h>

#include "glibc_mutex.h"
#include "glibc_mutex_fast.h"
#include "intercept.h"
#include "real.h"
#include "shim.h"

_Atomic bool lw_mutex_fast_on;

/* EOWNERDEAD: a robust mutex whose owner died is acquired all the same. */
#define ACQUIRED(rc) ((rc) == 0 || (rc) == EOWNERDEAD)

LW_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    LW_REAL(pthread_mutex_init);
    int rc = lw_real_pthread_mutex_init(m, attr);
    if (rc == 0) {
        struct lw_thread *t = lw_enter();
        if (t) {
            int saved = errno;
            lw_lock_init((uintptr_t)m, LW_LOCK_MUTEX, lw_mutex_type_flags(m),
                         (uintptr_t)__builtin_return_address(0));
            errno = saved;
            lw_leave();
        }
    }
    return rc;
}

/* Reports a misuse of mutex m by the calling thread (which is recording). */
static void mutex_misuse(uint32_t misuse, pthread_mutex_t *m, uint32_t other_thread, void *ret)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    struct lw_misuse_info mi = {.misuse = misuse,
                                .lock_id =
                                    lw_lock_id((uintptr_t)m, LW_LOCK_MUTEX, lw_mutex_type_fast(m)),
                                .lock_kind = LW_LOCK_MUTEX,
                                .other_thread = other_thread,
                                .address = (uintptr_t)m};
    lw_misuse(t, &mi, (uintptr_t)ret);
    lw_leave();
}

/* After a failed lock call: EDEADLK is an errorcheck relock, EINVAL on a mutex whose type glibc
 * set to -1 at destroy is a use after destroy. */
static void check_lock_error(pthread_mutex_t *m, int rc, void *ret)
{
    if (rc == EDEADLK)
        mutex_misuse(LW_MISUSE_RELOCK, m, 0, ret);
    else if (rc == EINVAL && m->__data.__kind == -1)
        mutex_misuse(LW_MISUSE_USE_AFTER_DESTROY, m, 0, ret);
}

LW_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    LW_REAL(pthread_mutex_destroy);
    if (lw_mutex_owner(m) &&
        atomic_load_explicit(&lw_state, memory_order_relaxed) == LW_STATE_RECORDING)
        mutex_misuse(LW_MISUSE_DESTROY_LOCKED, m, lw_thread_id_by_tid(lw_mutex_owner(m)),
                     __builtin_return_address(0));
    int rc = lw_real_pthread_mutex_destroy(m);
    if (rc == 0)
        lw_after_destroy((uintptr_t)m);
    return rc;
}

/* Before blocking on m (its trylock said EBUSY): publish the wait; report a certain
 * self-deadlock first. */
static void before_block(struct lw_thread *t, pthread_mutex_t *m, void *ret)
{
    lw_check_fork_held(t, (uintptr_t)m);
    /* The held list first: reading the owner touches the mutex's line, which other threads are
     * fighting over (a lock taken before recording started is not in the list: its relock
     * hang is then the watchdog's to report). */
    if (lw_mutex_relock_hangs(m) && lw_held_find(t, (uintptr_t)m) >= 0 &&
        lw_mutex_owner(m) == t->os_tid) {
        struct lw_thread *e = lw_enter();
        if (e) {
            int saved = errno;
            lw_report_self_relock(e, (uintptr_t)m,
                                  lw_lock_id((uintptr_t)m, LW_LOCK_MUTEX, lw_mutex_type_flags(m)));
            errno = saved;
            lw_leave();
        }
    }
    lw_wait_begin(t, LW_WAIT_MUTEX, (uint64_t)(uintptr_t)m, false, 0, (uintptr_t)ret);
}

/* The blocking half of a lock call: `rc` is what trylock returned. Calls `blocking` itself, so
 * the result is exactly the program's (an errorcheck relock still gets EDEADLK). */
#define LOCK_AFTER_TRY(rc, m, ret, call)                                                           \
    do {                                                                                           \
        struct lw_thread *t_ = (rc) == EBUSY ? lw_recording_thread() : NULL;                       \
        if (t_)                                                                                    \
            before_block(t_, m, ret);                                                              \
        rc = (call);                                                                               \
        if (t_)                                                                                    \
            lw_wait_end(t_);                                                                       \
    } while (0)

/* pthread_mutex_lock after its trylock failed with rc: publish the wait, block, check the
 * error. Out of line so that the uncontended path stays small. */
static __attribute__((noinline)) int lock_contended(pthread_mutex_t *m, int rc, void *ret,
                                                    void *frame)
{
    LW_REAL(pthread_mutex_lock);
    if (!ACQUIRED(rc)) /* EOWNERDEAD from the try: acquired already */
        LOCK_AFTER_TRY(rc, m, ret, lw_real_pthread_mutex_lock(m));
    if (!ACQUIRED(rc) && rc != EBUSY && rc != ETIMEDOUT)
        check_lock_error(m, rc, ret);
    if (ACQUIRED(rc))
        lw_after_mutex_acquire(m, 0, ret, frame);
    return rc;
}

/* Robust mutexes skip the try: glibc 2.36's trylock on a robust mutex that is not recoverable
 * leaves it locked by the caller, where pthread_mutex_lock returns ENOTRECOVERABLE (the
 * reliability test rel.bug.robust_not_recoverable). The wait is published before the call. */
static __attribute__((noinline)) int lock_robust(pthread_mutex_t *m, void *ret, void *frame)
{
    LW_REAL(pthread_mutex_lock);
    struct lw_thread *t = lw_recording_thread();
    if (t)
        before_block(t, m, ret);
    int rc = lw_real_pthread_mutex_lock(m);
    if (t)
        lw_wait_end(t);
    if (!ACQUIRED(rc))
        check_lock_error(m, rc, ret);
    else
        lw_after_mutex_acquire(m, 0, ret, frame);
    return rc;
}

/* pthread_mutex_lock of a default mutex whose fast path found the word busy: glibc's own
 * blocking wait done here (glibc_mutex_fast.h), the wait published just before the thread would
 * sleep. */
static __attribute__((noinline)) int lock_fast_contended(pthread_mutex_t *m, int tid, void *ret,
                                                         void *frame)
{
    if (LW_UNLIKELY(!lw_mutex_fast_can_wait(m)))
        return lock_contended(m, EBUSY, ret, frame);
    if (!lw_mutex_fast_swap_in(m)) {
        struct lw_thread *t = lw_recording_thread();
        if (t)
            before_block(t, m, ret);
        lw_mutex_fast_sleep_until_taken(m);
        if (t)
            lw_wait_end(t);
    }
    if (LW_UNLIKELY(!lw_mutex_fast_own(m, tid)))
        return lock_contended(m, EBUSY, ret, frame);
    lw_after_mutex_acquire(m, 0, ret, frame);
    return 0;
}

LW_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    lw_prefetch_for_write(m);
    /* A default mutex of a thread the shim knows (its tid is the owner to write): glibc's fast
     * path here, the blocking wait in glibc (glibc_mutex_fast.h). */
    struct lw_thread *t = lw_tls.thread;
    if (LW_LIKELY(t != NULL && lw_mutex_fast_applies(m))) {
        if (LW_UNLIKELY(!lw_mutex_fast_lock(m, (int)t->os_tid)))
            return lock_fast_contended(m, (int)t->os_tid, __builtin_return_address(0),
                                       __builtin_frame_address(0));
        lw_after_mutex_acquire(m, 0, __builtin_return_address(0), __builtin_frame_address(0));
        return 0;
    }
    LW_REAL(pthread_mutex_trylock);
    if (LW_UNLIKELY(m->__data.__kind & LW_GLIBC_MUTEX_ROBUST))
        return lock_robust(m, __builtin_return_address(0), __builtin_frame_address(0));
    int rc = lw_real_pthread_mutex_trylock(m);
    if (LW_UNLIKELY(rc != 0))
        return lock_contended(m, rc, __builtin_return_address(0), __builtin_frame_address(0));
    lw_after_mutex_acquire(m, 0, __builtin_return_address(0), __builtin_frame_address(0));
    return 0;
}

LW_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    struct lw_thread *t = lw_tls.thread;
    if (LW_LIKELY(t != NULL && lw_mutex_fast_applies(m))) {
        if (!lw_mutex_fast_trylock(m, (int)t->os_tid))
            return EBUSY;
        lw_after_mutex_acquire(m, LW_ACQ_TRY, __builtin_return_address(0),
                               __builtin_frame_address(0));
        return 0;
    }
    LW_REAL(pthread_mutex_trylock);
    int rc = lw_real_pthread_mutex_trylock(m);
    if (ACQUIRED(rc))
        lw_after_mutex_acquire(m, LW_ACQ_TRY, __builtin_return_address(0),
                               __builtin_frame_address(0));
    return rc;
}

/* Timed acquisitions call the real function directly: a timed wait ends by itself, so it never
 * takes part in a deadlock and needs no published wait, and glibc validates the timeout and
 * clock before trying the lock, which a try-first path would skip. */
/* After a timed acquisition returned rc. */
static inline __attribute__((always_inline)) int timed_done(pthread_mutex_t *m, int rc, void *ret,
                                                            void *frame)
{
    if (ACQUIRED(rc))
        lw_after_mutex_acquire(m, LW_ACQ_TIMED, ret, frame);
    else if (rc != ETIMEDOUT)
        check_lock_error(m, rc, ret);
    return rc;
}

LW_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    LW_REAL(pthread_mutex_timedlock);
    int rc = lw_real_pthread_mutex_timedlock(m, abstime);
    return timed_done(m, rc, __builtin_return_address(0), __builtin_frame_address(0));
}

LW_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
                                      const struct timespec *abstime)
{
    LW_REAL(pthread_mutex_clocklock);
    if (!lw_real_pthread_mutex_clocklock)
        return ENOSYS;
    int rc = lw_real_pthread_mutex_clocklock(m, clk, abstime);
    return timed_done(m, rc, __builtin_return_address(0), __builtin_frame_address(0));
}

/* Before an unlock of m that the thread does not hold in its list: who holds it then? */
static void check_unlock(pthread_mutex_t *m, void *ret)
{
    struct lw_thread *t = lw_recording_thread();
    if (!t || lw_held_find(t, (uintptr_t)m) >= 0)
        return;
    uint64_t owner = lw_mutex_owner(m);
    if (owner == t->os_tid)
        return; /* taken before recording started, or by a path we do not see */
    mutex_misuse(owner ? LW_MISUSE_UNLOCK_OTHER : LW_MISUSE_UNLOCK_UNLOCKED, m,
                 lw_thread_id_by_tid(owner), ret);
}

/* pthread_mutex_unlock when the fast path does not apply: checks who holds m, tells race mode,
 * unlocks, pops. */
static __attribute__((noinline)) int unlock_general(pthread_mutex_t *m, void *ret)
{
    LW_REAL(pthread_mutex_unlock);
    check_unlock(m, ret);
    if (lw_race_on())
        lw_race_pre_release((uintptr_t)m);
    int rc = lw_real_pthread_mutex_unlock(m);
    if (rc == 0)
        lw_after_mutex_release(m);
    return rc;
}

LW_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    /* Fast path: m is the innermost held lock and of a type whose unlock cannot fail (the
     * entry's fast_unlock, see shim.h): pop it, then release it with glibc's fast path for a
     * default mutex (glibc_mutex_fast.h) or tail-call glibc, so the wrapper needs no frame. No
     * re-entrancy guard is needed: an unlock from inside the shim (libunwind's own mutexes) never
     * matches an entry, since the shim's own acquisitions are not pushed, and a signal handler that
     * interrupts this only sees m already released by the thread. */
    struct lw_thread *t = lw_tls.thread;
    if (LW_LIKELY(t)) {
        uint32_t n = t->n_held;
        if (LW_LIKELY(n)) {
            const struct lw_held *h = &t->held[n - 1];
            /* A pushed entry implies a resolved lw_real_pthread_mutex_unlock: the lock wrapper
             * resolved it with its own functions (lw_real_init). */
            if (LW_LIKELY(h->addr == (uintptr_t)m && h->fast_unlock)) {
                t->n_held = n - 1;
                if (LW_LIKELY(lw_mutex_fast_applies(m))) {
                    lw_mutex_fast_unlock(m);
                    return 0;
                }
                return lw_real_pthread_mutex_unlock(m);
            }
        }
    }
    return unlock_general(m, __builtin_return_address(0));
}
