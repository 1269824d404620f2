/*
 * Interceptors for POSIX semaphores. A semaphore plays one of two roles, and lockwatch learns
 * which from what the program does:
 *  - a lock: a thread waits, then posts it itself. Every successful wait is recorded as an
 *    acquisition (held until the same thread posts); the first time a thread posts a
 *    semaphore it holds, an LW_REC_LOCK_LIKE record tells the analyzer that the semaphore's
 *    waits are lock acquisitions, so inverted waits on two of them are an inversion.
 *  - a signal: one thread posts, another waits. The post is remembered per semaphore; the wait
 *    that consumes it writes a SYNC record (poster's segment happens before the waiter's next
 *    one), so an "inversion" between threads handed off by a semaphore is not a deadlock.
 *    Handoffs advance the threads' seq, which re-records contexts, so they are capped per thread
 *    (LW_SYNC_CAP): past the cap, handoffs are simply not used as ordering (more reports, never
 *    fewer).
 * Binary semaphores that any thread may release (Python's locks, for one) play both: a thread
 * takes one, another thread's post wakes it from a second wait on it, and then it posts it
 * itself. A wait by a thread that already holds the semaphore, satisfied by another thread's
 * post, settles it: an LW_REC_SEM_SIGNAL record makes it a signal for good, whatever
 * LOCK_LIKE said, so its waits are no lock acquisitions and a thread that ends "holding" it is
 * no misuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <string.h>

#include "intercept.h"
#include "race.h"
#include "real.h"
#include "shim.h"

#define LW_SYNC_CAP 64u
/* Poster seq in lw_sem_posts for a post past the cap: it tells who posted, orders nothing. */
#define LW_POST_NO_ORDER UINT32_MAX
#define LW_SEM_NAMED 2u /* type flags: 1 unnamed (sem_init), 2 named (sem_open) */

/* glibc's sem_t on x86_64: value in the low 32 bits of the first word, waiters in the high. */
static inline uint32_t sem_waiters(const sem_t *s)
{
    uint64_t data = __atomic_load_n((const uint64_t *)(const void *)s, __ATOMIC_RELAXED);
    return (uint32_t)(data >> 32);
}

/* Writes SEM_SIGNAL for the semaphore lifetime id at s, once. */
static void mark_signal(struct lw_thread *t, sem_t *s, uint32_t id)
{
    if (!lw_lock_mark((uintptr_t)s, id, LW_LOCKF_SEM_SIGNAL))
        return;
    struct lw_rec_sem_signal *r = lw_log_reserve(t, sizeof *r);
    if (r) {
        r->lock_id = id;
        lw_log_publish(t, r, LW_REC_SEM_SIGNAL, 0, sizeof *r);
    }
}

/* After a successful wait (trywait included): the acquisition and, maybe, a handoff. */
static void after_wait(sem_t *s, uint32_t acq_flags, void *ret, void *frame)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    uint64_t post = lw_addr_map_exchange(lw_sem_posts, (uint64_t)(uintptr_t)s, 0);
    uint32_t poster = (uint32_t)(post >> 32), poster_seq = (uint32_t)post;
    bool handed = post && poster != t->id;
    int held = handed ? lw_held_find(t, (uintptr_t)s) : -1;
    if (held >= 0) {
        int saved = errno;
        mark_signal(t, s, t->held[held].lock_id);
        errno = saved;
    }
    if (handed && poster_seq != LW_POST_NO_ORDER && t->sync_bumps < LW_SYNC_CAP) {
        int saved = errno;
        uint32_t id = lw_lock_id((uintptr_t)s, LW_LOCK_SEMAPHORE, 1);
        struct lw_rec_sync *r = lw_log_reserve(t, sizeof *r);
        if (r) {
            r->kind = LW_SYNC_SEM_HANDOFF;
            r->from_thread = poster;
            r->from_seq = poster_seq;
            r->to_thread = t->id;
            r->to_seq = t->seq;
            r->lock_id = id;
            r->object = (uint64_t)(uintptr_t)s;
            lw_log_publish(t, r, LW_REC_SYNC, 0, sizeof *r);
        }
        t->seq++;
        t->sync_bumps++;
        errno = saved;
    }
    lw_on_acquire(t, (uintptr_t)s, LW_LOCK_SEMAPHORE, 1, acq_flags, (uintptr_t)ret,
                  (uintptr_t)frame); /* leaves the shim */
}

/* Before a post: a release if the thread holds it (lock use), else a handoff to come. */
static void before_post(sem_t *s)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    int i = lw_held_find(t, (uintptr_t)s);
    if (i >= 0) {
        struct lw_held *h = &t->held[i];
        if (lw_lock_mark((uintptr_t)s, h->lock_id, LW_LOCKF_LOCK_LIKE)) {
            int saved = errno;
            struct lw_rec_lock_like *r = lw_log_reserve(t, sizeof *r);
            if (r) {
                r->lock_id = h->lock_id;
                lw_log_publish(t, r, LW_REC_LOCK_LIKE, 0, sizeof *r);
            }
            lw_lock_describe(t, (uintptr_t)s, h->lock_id, LW_LOCK_SEMAPHORE);
            errno = saved;
        }
        lw_on_release(t, (uintptr_t)s); /* a lock release (race mode: a release there too) */
        lw_leave();
        return;
    }
    if (lw_race_on())
        lw_race_release(t, (uintptr_t)s, 0);
    if (t->sync_bumps < LW_SYNC_CAP) {
        lw_addr_map_set(lw_sem_posts, (uint64_t)(uintptr_t)s, ((uint64_t)t->id << 32) | t->seq);
        t->seq++; /* what this thread does after the post is not ordered before the waiter */
        t->sync_bumps++;
    } else {
        lw_addr_map_set(lw_sem_posts, (uint64_t)(uintptr_t)s,
                        ((uint64_t)t->id << 32) | LW_POST_NO_ORDER);
    }
    lw_leave();
}

/* A semaphore's lifetime starts or ends at s: a post not yet consumed belongs to the old
 * lifetime, and a wait on a new semaphore at the same address must not take it as a handoff. */
static void forget_post(sem_t *s)
{
    if (lw_enter()) {
        lw_addr_map_set(lw_sem_posts, (uint64_t)(uintptr_t)s, 0);
        lw_leave();
    }
}

LW_EXPORT int sem_init(sem_t *s, int pshared, unsigned value)
{
    LW_REAL(sem_init);
    int rc = lw_real_sem_init(s, pshared, value);
    if (rc == 0) {
        forget_post(s);
        lw_after_init((uintptr_t)s, LW_LOCK_SEMAPHORE, 1, __builtin_return_address(0));
    }
    return rc;
}

LW_EXPORT int sem_destroy(sem_t *s)
{
    LW_REAL(sem_destroy);
    if (lw_recording_thread() && sem_waiters(s))
        lw_report_misuse(LW_MISUSE_DESTROY_WAITERS, (uintptr_t)s, LW_LOCK_SEMAPHORE, 0,
                         __builtin_return_address(0));
    int rc = lw_real_sem_destroy(s);
    if (rc == 0) {
        forget_post(s);
        lw_after_destroy((uintptr_t)s);
    }
    return rc;
}

LW_EXPORT sem_t *sem_open(const char *name, int oflag, ...)
{
    LW_REAL(sem_open);
    mode_t mode = 0;
    unsigned value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = (mode_t)va_arg(ap, int);
        value = va_arg(ap, unsigned);
        va_end(ap);
    }
    sem_t *s = lw_real_sem_open(name, oflag, mode, value);
    if (s != SEM_FAILED)
        lw_after_init((uintptr_t)s, LW_LOCK_SEMAPHORE, LW_SEM_NAMED, __builtin_return_address(0));
    return s;
}

LW_EXPORT int sem_close(sem_t *s)
{
    LW_REAL(sem_close);
    int rc = lw_real_sem_close(s);
    if (rc == 0) {
        forget_post(s);
        lw_after_destroy_or_close((uintptr_t)s, false);
    }
    return rc;
}

LW_EXPORT int sem_wait(sem_t *s)
{
    LW_REAL(sem_trywait);
    LW_REAL(sem_wait);
    /* glibc's sem_wait acts on a pending cancellation even when it need not block: keep that. */
    pthread_testcancel();
    int saved = errno;
    int rc = lw_real_sem_trywait(s);
    if (rc != 0) {
        bool busy = errno == EAGAIN;
        errno = saved;
        struct lw_thread *w =
            lw_block_begin(busy, LW_WAIT_SEM, (uintptr_t)s, false, __builtin_return_address(0));
        rc = lw_real_sem_wait(s);
        saved = errno;
        lw_block_end(w);
        errno = saved;
    } else {
        errno = saved;
    }
    if (rc == 0)
        after_wait(s, 0, __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int sem_trywait(sem_t *s)
{
    LW_REAL(sem_trywait);
    int rc = lw_real_sem_trywait(s);
    if (rc == 0)
        after_wait(s, LW_ACQ_TRY, __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    LW_REAL(sem_timedwait);
    int rc = lw_real_sem_timedwait(s, abstime);
    if (rc == 0)
        after_wait(s, LW_ACQ_TIMED, __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abstime)
{
    LW_REAL(sem_clockwait);
    if (!lw_real_sem_clockwait) {
        errno = ENOSYS;
        return -1;
    }
    int rc = lw_real_sem_clockwait(s, clk, abstime);
    if (rc == 0)
        after_wait(s, LW_ACQ_TIMED, __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int sem_post(sem_t *s)
{
    LW_REAL(sem_post);
    int saved = errno;
    before_post(s);
    errno = saved;
    int rc = lw_real_sem_post(s);
    if (rc != 0 && errno == EOVERFLOW) {
        saved = errno;
        lw_report_misuse(LW_MISUSE_SEM_OVERFLOW, (uintptr_t)s, LW_LOCK_SEMAPHORE, 0,
                         __builtin_return_address(0));
        errno = saved;
    }
    return rc;
}
