/*
 * The list of pthread and process functions the shim interposes: LW_REAL_FUNCTIONS(X) expands
 * X(ret, name, params) once per function. It declares the lw_real_<name> pointers and drives
 * their resolution, so adding an interceptor means adding one line here and its wrapper. The
 * allocator's free and realloc are resolved apart (intercept_free.c): ld.so calls them from
 * inside dlsym, so their resolution needs a guard these do not.
 */
#ifndef LOCKWATCH_REAL_H
#define LOCKWATCH_REAL_H

#include <pthread.h>
#include <semaphore.h>
#include <threads.h>
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
    X(int, pthread_setname_np, (pthread_t, const char *))                                          \
    X(int, pthread_rwlock_init, (pthread_rwlock_t *, const pthread_rwlockattr_t *))                \
    X(int, pthread_rwlock_destroy, (pthread_rwlock_t *))                                           \
    X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                            \
    X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                                         \
    X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))              \
    X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t, const struct timespec *))   \
    X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                            \
    X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                                         \
    X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))              \
    X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t, const struct timespec *))   \
    X(int, pthread_rwlock_unlock, (pthread_rwlock_t *))                                            \
    X(int, pthread_spin_init, (pthread_spinlock_t *, int))                                         \
    X(int, pthread_spin_destroy, (pthread_spinlock_t *))                                           \
    X(int, pthread_spin_lock, (pthread_spinlock_t *))                                              \
    X(int, pthread_spin_trylock, (pthread_spinlock_t *))                                           \
    X(int, pthread_spin_unlock, (pthread_spinlock_t *))                                            \
    X(int, sem_init, (sem_t *, int, unsigned))                                                     \
    X(int, sem_destroy, (sem_t *))                                                                 \
    X(sem_t *, sem_open, (const char *, int, ...))                                                 \
    X(int, sem_close, (sem_t *))                                                                   \
    X(int, sem_wait, (sem_t *))                                                                    \
    X(int, sem_trywait, (sem_t *))                                                                 \
    X(int, sem_timedwait, (sem_t *, const struct timespec *))                                      \
    X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))                           \
    X(int, sem_post, (sem_t *))                                                                    \
    X(int, pthread_barrier_wait, (pthread_barrier_t *))                                            \
    X(int, pthread_once, (pthread_once_t *, void (*)(void)))                                       \
    X(int, pthread_key_create, (pthread_key_t *, void (*)(void *)))                                \
    X(int, pthread_key_delete, (pthread_key_t))                                                    \
    X(void *, pthread_getspecific, (pthread_key_t))                                                \
    X(int, pthread_setspecific, (pthread_key_t, const void *))                                     \
    X(int, mtx_init, (mtx_t *, int))                                                               \
    X(void, mtx_destroy, (mtx_t *))                                                                \
    X(int, mtx_lock, (mtx_t *))                                                                    \
    X(int, mtx_trylock, (mtx_t *))                                                                 \
    X(int, mtx_timedlock, (mtx_t *__restrict, const struct timespec *__restrict))                  \
    X(int, mtx_unlock, (mtx_t *))                                                                  \
    X(int, cnd_wait, (cnd_t *, mtx_t *))                                                           \
    X(int, cnd_timedwait,                                                                          \
      (cnd_t *__restrict, mtx_t *__restrict, const struct timespec *__restrict))                   \
    X(int, thrd_create, (thrd_t *, thrd_start_t, void *))                                          \
    X(int, thrd_join, (thrd_t, int *))                                                             \
    X(void, thrd_exit, (int))                                                                      \
    X(void, _exit, (int))                                                                          \
    X(void, _Exit, (int))                                                                          \
    X(void, quick_exit, (int))                                                                     \
    X(int, execve, (const char *, char *const[], char *const[]))                                   \
    X(int, execv, (const char *, char *const[]))                                                   \
    X(int, execvp, (const char *, char *const[]))                                                  \
    X(int, execvpe, (const char *, char *const[], char *const[]))                                  \
    X(int, fexecve, (int, char *const[], char *const[]))                                           \
    X(int, execveat, (int, const char *, char *const[], char *const[], int))                       \
    X(int, munmap, (void *, size_t))                                                               \
    X(void *, mremap, (void *, size_t, size_t, int, ...))

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
