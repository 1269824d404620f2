/*
 * pthread_barrier_wait and pthread_once. A barrier wait is published as an untimed wait so that
 * the watchdog can tell a barrier nobody else will reach (every other thread blocked for good)
 * from one that is still filling; in race mode it orders every party's phase before every
 * party's next one. pthread_once orders the initialiser before every caller that returns.
 */
#include <pthread.h>

#include "intercept.h"
#include "race.h"
#include "real.h"
#include "shim.h"

LW_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    LW_REAL(pthread_barrier_wait);
    struct lw_thread *r = lw_race_on() ? lw_enter() : NULL;
    if (r) {
        lw_race_release(r, (uintptr_t)b, LW_RACE_NOT_LOCK);
        lw_leave();
    }
    struct lw_thread *t =
        lw_block_begin(true, LW_WAIT_BARRIER, (uintptr_t)b, false, __builtin_return_address(0));
    int rc = lw_real_pthread_barrier_wait(b);
    lw_block_end(t);
    if (r && lw_enter() == r) {
        lw_race_acquire(r, (uintptr_t)b, LW_RACE_NOT_LOCK);
        lw_leave();
    }
    return rc;
}

/* The initialiser runs through this trampoline (same thread, so TLS carries the real routine
 * and the once control) so that its end is a release before pthread_once returns anywhere. */
static LW_TLS void (*once_routine)(void);
static LW_TLS pthread_once_t *once_control;

static void once_trampoline(void)
{
    void (*fn)(void) = once_routine;
    pthread_once_t *ctl = once_control;
    fn();
    struct lw_thread *t = lw_enter();
    if (t) {
        lw_race_release(t, (uintptr_t)ctl, LW_RACE_NOT_LOCK);
        lw_leave();
    }
}

LW_EXPORT int pthread_once(pthread_once_t *ctl, void (*fn)(void))
{
    LW_REAL(pthread_once);
    if (!lw_race_on())
        return lw_real_pthread_once(ctl, fn);
    void (*saved_fn)(void) = once_routine; /* nested pthread_once from an initialiser */
    pthread_once_t *saved_ctl = once_control;
    once_routine = fn;
    once_control = ctl;
    int rc = lw_real_pthread_once(ctl, once_trampoline);
    once_routine = saved_fn;
    once_control = saved_ctl;
    struct lw_thread *t = lw_enter();
    if (t) {
        lw_race_acquire(t, (uintptr_t)ctl, LW_RACE_NOT_LOCK);
        lw_leave();
    }
    return rc;
}
