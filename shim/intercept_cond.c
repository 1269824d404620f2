/*
 * Interceptors for pthread_cond_wait/timedwait/clockwait/destroy (and, through the helpers
 * below, C11 cnd_wait/cnd_timedwait). The wait releases the mutex and takes it back before
 * returning, with the caller's other locks still held: the reacquisition is an acquisition like
 * any other (it can deadlock against those locks), so it is recorded as one. While waiting, the
 * thread is marked as blocked on the condvar for the watchdog. Misuse found here: waiting with
 * a mutex the caller does not hold, and one condvar waited on with two mutexes at once (glibc
 * keeps no mutex in the condvar, so the shim counts waiters per (condvar, mutex)).
 *
 * glibc exports two versions of these functions; the default one (GLIBC_2.3.2) is the one
 * programs link against, and dlsym could return the old one, so they are resolved with dlvsym.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "glibc_mutex.h"
#include "intercept.h"
#include "race.h"
#include "shim.h"

typedef int (*cond_wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*cond_timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*cond_clockwait_fn)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                                 const struct timespec *);
typedef int (*cond_destroy_fn)(pthread_cond_t *);

static cond_wait_fn real_wait;
static cond_timedwait_fn real_timedwait;
static cond_clockwait_fn real_clockwait;
static cond_destroy_fn real_destroy;

#define CM_ADDR_MASK 0x0000ffffffffffffULL /* user-space addresses fit in 48 bits */
#define CM_COUNT_SHIFT 48

static void *resolve_cond(const char *name)
{
    void *p = dlvsym(RTLD_NEXT, name, "GLIBC_2.3.2");
    return p ? p : dlsym(RTLD_NEXT, name);
}

void lw_cond_resolve(void)
{
    real_wait = (cond_wait_fn)resolve_cond("pthread_cond_wait");
    real_timedwait = (cond_timedwait_fn)resolve_cond("pthread_cond_timedwait");
    real_destroy = (cond_destroy_fn)resolve_cond("pthread_cond_destroy");
    real_clockwait = (cond_clockwait_fn)dlsym(RTLD_NEXT, "pthread_cond_clockwait");
}

/* Counts a waiter of cv with mutex m; returns the other mutex if cv is already waited on
 * with a different one (then nothing is counted), else 0. */
static uintptr_t cond_mutex_enter(void *cv, uintptr_t m)
{
    _Atomic uint64_t *cell = lw_addr_map_cell(lw_cond_mutexes, (uint64_t)(uintptr_t)cv);
    if (!cell)
        return 0;
    uint64_t old = atomic_load(cell), new;
    do {
        uint64_t count = old >> CM_COUNT_SHIFT;
        if (count && (old & CM_ADDR_MASK) != (m & CM_ADDR_MASK))
            return (uintptr_t)(old & CM_ADDR_MASK);
        new = (m & CM_ADDR_MASK) | ((count + 1) << CM_COUNT_SHIFT);
    } while (!atomic_compare_exchange_weak(cell, &old, new));
    return 0;
}

static void cond_mutex_leave(void *cv, uintptr_t m)
{
    _Atomic uint64_t *cell = lw_addr_map_cell(lw_cond_mutexes, (uint64_t)(uintptr_t)cv);
    if (!cell)
        return;
    uint64_t old = atomic_load(cell), new;
    do {
        uint64_t count = old >> CM_COUNT_SHIFT;
        if (!count || (old & CM_ADDR_MASK) != (m & CM_ADDR_MASK))
            return;
        new = count > 1 ? (old & CM_ADDR_MASK) | ((count - 1) << CM_COUNT_SHIFT) : 0;
    } while (!atomic_compare_exchange_weak(cell, &old, new));
}

struct lw_thread *lw_cond_before_wait(void *cv, uintptr_t m, bool timed, void *ret)
{
    struct lw_thread *t = lw_recording_thread();
    if (!t)
        return NULL;
    int saved = errno;
    const pthread_mutex_t *pm = (const pthread_mutex_t *)m;
    if (lw_mutex_owner(pm) != t->os_tid)
        lw_report_misuse(LW_MISUSE_COND_UNHELD, m, LW_LOCK_MUTEX,
                         lw_thread_id_by_tid(lw_mutex_owner(pm)), ret);
    uintptr_t other = cond_mutex_enter(cv, m);
    if (other && lw_enter() == t) {
        struct lw_misuse_info mi = {.misuse = LW_MISUSE_COND_TWO_MUTEXES,
                                    .lock_id = lw_lock_id(m, LW_LOCK_MUTEX, 0),
                                    .lock_kind = LW_LOCK_MUTEX,
                                    .other_lock_id = lw_lock_id(other, LW_LOCK_MUTEX, 0),
                                    .address = m,
                                    .other_address = other};
        lw_misuse(t, &mi, (uintptr_t)ret);
        lw_leave();
    }
    lw_after_release(m);
    lw_wait_begin(t, LW_WAIT_COND, (uint64_t)(uintptr_t)cv, timed, 0, (uintptr_t)ret);
    errno = saved;
    return t;
}

void lw_cond_after_wait(struct lw_thread *t, void *cv, uintptr_t m, uint16_t kind, int rc,
                        void *ret, void *frame)
{
    if (!t)
        return;
    lw_wait_end(t);
    cond_mutex_leave(cv, m);
    /* EPERM/EINVAL: the wait never started (an errorcheck mutex we do not own): the mutex was
     * not released and is not taken back. Any other outcome: glibc holds the mutex again. */
    if (rc == EPERM || rc == EINVAL)
        return;
    lw_after_acquire(m, kind, LW_TYPE_FROM_OBJECT, 0, ret, frame);
    if (lw_race_on() && lw_enter() == t) { /* race mode: a wakeup is a handoff */
        lw_race_cond_wake(t, m);
        lw_leave();
    }
}

LW_EXPORT int pthread_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m)
{
    if (LW_UNLIKELY(!real_wait))
        real_wait = (cond_wait_fn)resolve_cond("pthread_cond_wait");
    struct lw_thread *t = lw_cond_before_wait(cv, (uintptr_t)m, false, __builtin_return_address(0));
    int rc = real_wait(cv, m);
    int saved = errno;
    lw_cond_after_wait(t, cv, (uintptr_t)m, LW_LOCK_MUTEX, rc, __builtin_return_address(0),
                       __builtin_frame_address(0));
    errno = saved;
    return rc;
}

LW_EXPORT int pthread_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *m,
                                     const struct timespec *abstime)
{
    if (LW_UNLIKELY(!real_timedwait))
        real_timedwait = (cond_timedwait_fn)resolve_cond("pthread_cond_timedwait");
    struct lw_thread *t = lw_cond_before_wait(cv, (uintptr_t)m, true, __builtin_return_address(0));
    int rc = real_timedwait(cv, m, abstime);
    int saved = errno;
    lw_cond_after_wait(t, cv, (uintptr_t)m, LW_LOCK_MUTEX, rc, __builtin_return_address(0),
                       __builtin_frame_address(0));
    errno = saved;
    return rc;
}

LW_EXPORT int pthread_cond_clockwait(pthread_cond_t *cv, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *abstime)
{
    if (LW_UNLIKELY(!real_clockwait))
        real_clockwait = (cond_clockwait_fn)dlsym(RTLD_NEXT, "pthread_cond_clockwait");
    if (!real_clockwait)
        return ENOSYS;
    struct lw_thread *t = lw_cond_before_wait(cv, (uintptr_t)m, true, __builtin_return_address(0));
    int rc = real_clockwait(cv, m, clk, abstime);
    int saved = errno;
    lw_cond_after_wait(t, cv, (uintptr_t)m, LW_LOCK_MUTEX, rc, __builtin_return_address(0),
                       __builtin_frame_address(0));
    errno = saved;
    return rc;
}

LW_EXPORT int pthread_cond_destroy(pthread_cond_t *cv)
{
    if (LW_UNLIKELY(!real_destroy))
        real_destroy = (cond_destroy_fn)resolve_cond("pthread_cond_destroy");
    /* glibc: waiters are counted in __wrefs above its three flag bits. */
    if (lw_recording_thread() && (__atomic_load_n(&cv->__data.__wrefs, __ATOMIC_RELAXED) >> 3))
        lw_report_misuse(LW_MISUSE_DESTROY_WAITERS, (uintptr_t)cv, 0, 0,
                         __builtin_return_address(0));
    return real_destroy(cv);
}
