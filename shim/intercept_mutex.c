/*
 * Interceptors for pthread_mutex_*. Each one calls the real function first and records only
 * after a successful acquisition or release, so return values, errno and blocking are exactly
 * the program's own. The mutex type comes from glibc's mutex word (__kind), which covers
 * statically initialised mutexes too.
 */
#include <errno.h>
#include <pthread.h>

#include "real.h"
#include "shim.h"

/* glibc's __kind bits: type in the low two bits, robust 16, priority-inherit 32. */
static inline uint32_t mutex_type_flags(const pthread_mutex_t *m)
{
    int k = m->__data.__kind;
    uint32_t f = ((uint32_t)k & 3u) + 1u;
    if (k & 16) f |= LW_LOCKF_ROBUST;
    if (k & 32) f |= LW_LOCKF_PI;
    return f;
}

static inline __attribute__((always_inline)) void
after_acquire(pthread_mutex_t *m, uint32_t acq_flags, void *ret, void *frame)
{
    struct lw_thread *t = lw_enter();
    if (!t) return;
    int saved = errno;
    lw_on_acquire(t, (uintptr_t)m, LW_LOCK_MUTEX, mutex_type_flags(m), acq_flags, (uintptr_t)ret,
                  (uintptr_t)frame);
    errno = saved;
    lw_leave();
}

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
            lw_lock_init((uintptr_t)m, LW_LOCK_MUTEX, mutex_type_flags(m));
            errno = saved;
            lw_leave();
        }
    }
    return rc;
}

LW_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    LW_REAL(pthread_mutex_destroy);
    int rc = lw_real_pthread_mutex_destroy(m);
    if (rc == 0) {
        struct lw_thread *t = lw_enter();
        if (t) {
            lw_lock_destroy((uintptr_t)m);
            lw_leave();
        }
    }
    return rc;
}

LW_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    LW_REAL(pthread_mutex_lock);
    int rc = lw_real_pthread_mutex_lock(m);
    if (ACQUIRED(rc)) after_acquire(m, 0, __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    LW_REAL(pthread_mutex_trylock);
    int rc = lw_real_pthread_mutex_trylock(m);
    if (ACQUIRED(rc))
        after_acquire(m, LW_ACQ_TRY, __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    LW_REAL(pthread_mutex_timedlock);
    int rc = lw_real_pthread_mutex_timedlock(m, abstime);
    if (ACQUIRED(rc))
        after_acquire(m, LW_ACQ_TIMED, __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
                                      const struct timespec *abstime)
{
    LW_REAL(pthread_mutex_clocklock);
    if (!lw_real_pthread_mutex_clocklock) return ENOSYS;
    int rc = lw_real_pthread_mutex_clocklock(m, clk, abstime);
    if (ACQUIRED(rc))
        after_acquire(m, LW_ACQ_TIMED, __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    LW_REAL(pthread_mutex_unlock);
    int rc = lw_real_pthread_mutex_unlock(m);
    if (rc == 0) {
        struct lw_thread *t = lw_enter();
        if (t) {
            lw_on_release(t, (uintptr_t)m);
            lw_leave();
        }
    }
    return rc;
}
