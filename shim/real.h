/*
 * The one list of functions the shim interposes: LW_REAL_FUNCTIONS(X) expands X(ret, name,
 * params) once per function. It declares the lw_real_<name> pointers and drives their
 * resolution, so adding an interceptor means adding one line here and its wrapper.
 */
#ifndef LOCKWATCH_REAL_H
#define LOCKWATCH_REAL_H

#include <pthread.h>
#include <time.h>

#define LW_REAL_FUNCTIONS(X)                                                                       \
    X(int, pthread_mutex_init, (pthread_mutex_t *, const pthread_mutexattr_t *))                   \
    X(int, pthread_mutex_destroy, (pthread_mutex_t *))                                             \
    X(int, pthread_mutex_lock, (pthread_mutex_t *))                                                \
    X(int, pthread_mutex_trylock, (pthread_mutex_t *))                                             \
    X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))                  \
    X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *))       \
    X(int, pthread_mutex_unlock, (pthread_mutex_t *))                                              \
    X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))       \
    X(int, pthread_join, (pthread_t, void **))                                                     \
    X(int, pthread_tryjoin_np, (pthread_t, void **))                                               \
    X(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *))                    \
    X(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *))         \
    X(void, pthread_exit, (void *))                                                                \
    X(int, pthread_setname_np, (pthread_t, const char *))

#define LW_REAL_DECLARE(ret, name, params) extern ret(*lw_real_##name) params;
LW_REAL_FUNCTIONS(LW_REAL_DECLARE)
#undef LW_REAL_DECLARE

/* Makes sure lw_real_<name> is resolved (wrappers can run before the constructor). */
#define LW_REAL(name)                                                                              \
    do {                                                                                           \
        if (LW_UNLIKELY(!lw_real_##name))                                                          \
            lw_real_##name = (__typeof__(lw_real_##name))lw_real_resolve(#name);                   \
    } while (0)

#endif /* LOCKWATCH_REAL_H */
