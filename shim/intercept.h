/*
 * Wrapper halves shared between interceptor files (the condvar wrappers release and reacquire
 * the mutex the way the mutex wrappers record it).
 */
#ifndef LOCKWATCH_INTERCEPT_H
#define LOCKWATCH_INTERCEPT_H

#include <pthread.h>
#include <stdint.h>

/* Records a successful acquisition of m (enters the shim itself). */
void lw_after_mutex_acquire(pthread_mutex_t *m, uint32_t acq_flags, void *ret, void *frame);
/* Records a release of m (enters the shim itself). */
void lw_after_mutex_release(pthread_mutex_t *m);

#endif /* LOCKWATCH_INTERCEPT_H */
