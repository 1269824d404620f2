/*
 * pthread_barrier_wait: published as an untimed wait so that the watchdog can tell a barrier
 * nobody else will reach (every other thread blocked for good) from one that is still filling.
 */
#include <pthread.h>

#include "intercept.h"
#include "real.h"
#include "shim.h"

LW_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    LW_REAL(pthread_barrier_wait);
    struct lw_thread *t = lw_block_begin(true, LW_WAIT_BARRIER, (uintptr_t)b, false);
    int rc = lw_real_pthread_barrier_wait(b);
    lw_block_end(t);
    return rc;
}
