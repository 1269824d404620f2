/*
 * Interceptors for pthread_cond_wait/timedwait/clockwait. The wait releases the mutex and takes
 * it back before returning, with the caller's other locks still held: the reacquisition is an
 * acquisition like any other (it can deadlock against those locks), so it is recorded as one.
 * While waiting, the thread is marked as blocked on the condvar for the watchdog.
 *
 * glibc exports two versions of these functions; the default one (GLIBC_2.3.2) is the one
 * programs link against, and dlsym could return the old one, so they are resolved with dlvsym.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "intercept.h"
#include "shim.h"

typedef int (*cond_wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*cond_timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*cond_clockwait_fn)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                                 const struct timespec *);

static cond_wait_fn real_wait;
static cond_timedwait_fn real_timedwait;
static cond_clockwait_fn real_clockwait;

static void *resolve_cond(const char *name)
{
    void *p = dlvsym(RTLD_NEXT, name, "GLIBC_2.3.2");
    return p ? p : dlsym(RTLD_NEXT, name);
}

/* Before the wait: the mutex is about to be released; the thread blocks on cv. */
static struct lw_thread *before_wait(pthread_cond_t *cv, pthread_mutex_t *m, bool timed)
{
    if (atomic_load_explicit(&lw_state, memory_order_relaxed) != LW_STATE_RECORDING)
        return NULL;
    struct lw_thread *t = lw_thread_peek();
    if (!t)
        return NULL;
    lw_after_mutex_release(m);
    lw_wait_begin(t, LW_WAIT_COND, (uint64_t)(uintptr_t)cv, timed, 0);
    return t;
}

/* After the wait: whatever it returned, glibc holds the mutex again. */
static void after_wait(struct lw_thread *t, pthread_mutex_t *m, void *ret, void *frame)
{
    if (!t)
        return;
    lw_wait_end(t);
    lw_after_mutex_acquire(m, 0, ret, frame);
}

LW_EXPORT int pthread_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m)
{
    if (LW_UNLIKELY(!real_wait))
        real_wait = (cond_wait_fn)resolve_cond("pthread_cond_wait");
    struct lw_thread *t = before_wait(cv, m, false);
    int rc = real_wait(cv, m);
    int saved = errno;
    after_wait(t, m, __builtin_return_address(0), __builtin_frame_address(0));
    errno = saved;
    return rc;
}

LW_EXPORT int pthread_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *m,
                                     const struct timespec *abstime)
{
    if (LW_UNLIKELY(!real_timedwait))
        real_timedwait = (cond_timedwait_fn)resolve_cond("pthread_cond_timedwait");
    struct lw_thread *t = before_wait(cv, m, true);
    int rc = real_timedwait(cv, m, abstime);
    int saved = errno;
    after_wait(t, m, __builtin_return_address(0), __builtin_frame_address(0));
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
    struct lw_thread *t = before_wait(cv, m, true);
    int rc = real_clockwait(cv, m, clk, abstime);
    int saved = errno;
    after_wait(t, m, __builtin_return_address(0), __builtin_frame_address(0));
    errno = saved;
    return rc;
}

/* Called by the constructor so no dlvsym runs later in an awkward context. */
void lw_cond_resolve(void)
{
    real_wait = (cond_wait_fn)resolve_cond("pthread_cond_wait");
    real_timedwait = (cond_timedwait_fn)resolve_cond("pthread_cond_timedwait");
    real_clockwait = (cond_clockwait_fn)dlsym(RTLD_NEXT, "pthread_cond_clockwait");
}
