/*
 * Interceptors for pthread_rwlock_*. The acquisition mode is recorded (LW_ACQ_READ) because it
 * decides what can deadlock: readers of a reader-preferring rwlock (glibc's default) never wait
 * for each other, a writer waits for everyone. The rwlock's kind (glibc's __flags: prefer
 * reader / writer / writer-nonrecursive) goes into the lock's type flags for the analyzer.
 * Blocking calls are tried first so that only a contended acquisition publishes a wait.
 */
#include <errno.h>
#include <pthread.h>

#include "intercept.h"
#include "race.h"
#include "real.h"
#include "shim.h"

static inline uint32_t rwlock_type_flags(const pthread_rwlock_t *rw)
{
    return (rw->__data.__flags & 3u) + 1u;
}

/* Readers counted in glibc's __readers word, above its three state bits. */
static inline unsigned rwlock_readers(const pthread_rwlock_t *rw)
{
    return __atomic_load_n(&rw->__data.__readers, __ATOMIC_RELAXED) >> 3;
}

LW_EXPORT int pthread_rwlock_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *attr)
{
    LW_REAL(pthread_rwlock_init);
    int rc = lw_real_pthread_rwlock_init(rw, attr);
    if (rc == 0)
        lw_after_init((uintptr_t)rw, LW_LOCK_RWLOCK, rwlock_type_flags(rw),
                      __builtin_return_address(0));
    return rc;
}

LW_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
    LW_REAL(pthread_rwlock_destroy);
    if (lw_recording_thread() && (rw->__data.__cur_writer || rwlock_readers(rw)))
        lw_report_misuse(LW_MISUSE_DESTROY_LOCKED, (uintptr_t)rw, LW_LOCK_RWLOCK,
                         lw_thread_id_by_tid((uint64_t)(unsigned)rw->__data.__cur_writer),
                         __builtin_return_address(0));
    int rc = lw_real_pthread_rwlock_destroy(rw);
    if (rc == 0)
        lw_after_destroy((uintptr_t)rw);
    return rc;
}

/* Blocking acquisition: try first; on EBUSY publish the wait and call `blocking_call`. */
#define RW_BLOCKING(rw, try_fn, blocking_call, wait_kind, acq_flags)                               \
    do {                                                                                           \
        LW_REAL(try_fn);                                                                           \
        int rc = lw_real_##try_fn(rw);                                                             \
        if (rc != 0) {                                                                             \
            struct lw_thread *t_ = lw_block_begin(rc == EBUSY, wait_kind, (uintptr_t)rw, false,    \
                                                  __builtin_return_address(0));                    \
            rc = (blocking_call);                                                                  \
            lw_block_end(t_);                                                                      \
        }                                                                                          \
        if (rc == 0)                                                                               \
            lw_after_acquire((uintptr_t)rw, LW_LOCK_RWLOCK, rwlock_type_flags(rw), acq_flags,      \
                             __builtin_return_address(0), __builtin_frame_address(0));             \
        return rc;                                                                                 \
    } while (0)

/* Timed acquisitions: the real call directly (glibc checks the timeout first; a timed wait
 * never takes part in a deadlock). */
#define RW_TIMED(rw, call, acq_flags)                                                              \
    do {                                                                                           \
        int rc = (call);                                                                           \
        if (rc == 0)                                                                               \
            lw_after_acquire((uintptr_t)rw, LW_LOCK_RWLOCK, rwlock_type_flags(rw), acq_flags,      \
                             __builtin_return_address(0), __builtin_frame_address(0));             \
        return rc;                                                                                 \
    } while (0)

LW_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *rw)
{
    LW_REAL(pthread_rwlock_rdlock);
    RW_BLOCKING(rw, pthread_rwlock_tryrdlock, lw_real_pthread_rwlock_rdlock(rw), LW_WAIT_RWLOCK_RD,
                LW_ACQ_READ);
}

LW_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *rw, const struct timespec *abstime)
{
    LW_REAL(pthread_rwlock_timedrdlock);
    RW_TIMED(rw, lw_real_pthread_rwlock_timedrdlock(rw, abstime), LW_ACQ_READ | LW_ACQ_TIMED);
}

LW_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *rw, clockid_t clk,
                                         const struct timespec *abstime)
{
    LW_REAL(pthread_rwlock_clockrdlock);
    if (!lw_real_pthread_rwlock_clockrdlock)
        return ENOSYS;
    RW_TIMED(rw, lw_real_pthread_rwlock_clockrdlock(rw, clk, abstime), LW_ACQ_READ | LW_ACQ_TIMED);
}

LW_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *rw)
{
    LW_REAL(pthread_rwlock_wrlock);
    RW_BLOCKING(rw, pthread_rwlock_trywrlock, lw_real_pthread_rwlock_wrlock(rw), LW_WAIT_RWLOCK_WR,
                0);
}

LW_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *rw, const struct timespec *abstime)
{
    LW_REAL(pthread_rwlock_timedwrlock);
    RW_TIMED(rw, lw_real_pthread_rwlock_timedwrlock(rw, abstime), LW_ACQ_TIMED);
}

LW_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *rw, clockid_t clk,
                                         const struct timespec *abstime)
{
    LW_REAL(pthread_rwlock_clockwrlock);
    if (!lw_real_pthread_rwlock_clockwrlock)
        return ENOSYS;
    RW_TIMED(rw, lw_real_pthread_rwlock_clockwrlock(rw, clk, abstime), LW_ACQ_TIMED);
}

LW_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw)
{
    LW_REAL(pthread_rwlock_tryrdlock);
    int rc = lw_real_pthread_rwlock_tryrdlock(rw);
    if (rc == 0)
        lw_after_acquire((uintptr_t)rw, LW_LOCK_RWLOCK, rwlock_type_flags(rw),
                         LW_ACQ_READ | LW_ACQ_TRY, __builtin_return_address(0),
                         __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *rw)
{
    LW_REAL(pthread_rwlock_trywrlock);
    int rc = lw_real_pthread_rwlock_trywrlock(rw);
    if (rc == 0)
        lw_after_acquire((uintptr_t)rw, LW_LOCK_RWLOCK, rwlock_type_flags(rw), LW_ACQ_TRY,
                         __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
    LW_REAL(pthread_rwlock_unlock);
    struct lw_thread *t = lw_recording_thread();
    if (t && lw_held_find(t, (uintptr_t)rw) < 0) {
        uint64_t writer = (uint64_t)(unsigned)rw->__data.__cur_writer;
        if (writer && writer != t->os_tid)
            lw_report_misuse(LW_MISUSE_UNLOCK_OTHER, (uintptr_t)rw, LW_LOCK_RWLOCK,
                             lw_thread_id_by_tid(writer), __builtin_return_address(0));
        else if (!writer && !rwlock_readers(rw))
            lw_report_misuse(LW_MISUSE_UNLOCK_UNLOCKED, (uintptr_t)rw, LW_LOCK_RWLOCK, 0,
                             __builtin_return_address(0));
    }
    if (lw_race_on())
        lw_race_pre_release((uintptr_t)rw);
    int rc = lw_real_pthread_rwlock_unlock(rw);
    if (rc == 0)
        lw_after_release((uintptr_t)rw);
    return rc;
}
