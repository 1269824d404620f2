/*
 * Interceptors for C11 <threads.h>. glibc implements mtx_*, cnd_* and thrd_* on top of its
 * internal pthread functions without going through the exported pthread symbols, so they are
 * interposed here directly. An mtx_t has the layout of a pthread_mutex_t in glibc, so the mutex
 * helpers (type, owner) apply to it, and an mtx_plain mutex is a default one: lock, trylock and
 * unlock take it with glibc's fast path and blocking wait inline, as pthread_mutex_* do
 * (glibc_mutex_fast.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <threads.h>

#include "glibc_mutex.h"
#include "glibc_mutex_fast.h"
#include "intercept.h"
#include "race.h"
#include "real.h"
#include "shim.h"

static inline pthread_mutex_t *as_mutex(mtx_t *m)
{
    return (pthread_mutex_t *)(void *)m;
}

LW_EXPORT int mtx_init(mtx_t *m, int type)
{
    LW_REAL(mtx_init);
    int rc = lw_real_mtx_init(m, type);
    if (rc == thrd_success)
        lw_after_init((uintptr_t)m, LW_LOCK_C11_MTX, lw_mutex_type_flags(as_mutex(m)),
                      __builtin_return_address(0));
    return rc;
}

LW_EXPORT void mtx_destroy(mtx_t *m)
{
    LW_REAL(mtx_destroy);
    if (lw_recording_thread() && lw_mutex_owner(as_mutex(m)))
        lw_report_misuse(LW_MISUSE_DESTROY_LOCKED, (uintptr_t)m, LW_LOCK_C11_MTX,
                         lw_thread_id_by_tid(lw_mutex_owner(as_mutex(m))),
                         __builtin_return_address(0));
    lw_real_mtx_destroy(m);
    lw_after_destroy((uintptr_t)m);
}

/* A thread about to block on m, which it may hold itself: a certain self-deadlock, reported
 * before the hang. */
static void check_self_relock(struct lw_thread *t, mtx_t *m)
{
    if (lw_mutex_relock_hangs(as_mutex(m)) && lw_mutex_owner(as_mutex(m)) == t->os_tid &&
        lw_enter() == t) {
        lw_report_self_relock_kind(t, (uintptr_t)m, lw_lock_id((uintptr_t)m, LW_LOCK_C11_MTX, 0),
                                   LW_LOCK_C11_MTX);
        lw_leave();
    }
}

/* mtx_lock of an mtx_plain whose fast path found the word busy: glibc's own blocking wait done
 * here (glibc_mutex_fast.h), the wait published just before the thread would sleep. */
static __attribute__((noinline)) int lock_busy_fast(mtx_t *m, int tid, void *ret)
{
    LW_REAL(mtx_lock);
    if (!lw_mutex_fast_swap_in(as_mutex(m))) {
        struct lw_thread *t = lw_recording_thread();
        if (t)
            check_self_relock(t, m);
        struct lw_thread *w = lw_block_begin(true, LW_WAIT_MUTEX, (uintptr_t)m, false, ret);
        lw_mutex_fast_sleep_until_taken(as_mutex(m));
        lw_block_end(w);
    }
    return lw_mutex_fast_own(as_mutex(m), tid) ? thrd_success : lw_real_mtx_lock(m);
}

LW_EXPORT int mtx_lock(mtx_t *m)
{
    LW_REAL(mtx_trylock);
    LW_REAL(mtx_lock);
    struct lw_thread *ft = lw_tls.thread;
    int rc;
    if (LW_LIKELY(ft != NULL && lw_mutex_fast_applies(as_mutex(m)))) {
        if (LW_LIKELY(lw_mutex_fast_lock(as_mutex(m), (int)ft->os_tid))) {
            lw_after_acquire((uintptr_t)m, LW_LOCK_C11_MTX, LW_TYPE_FROM_OBJECT, 0,
                             __builtin_return_address(0), __builtin_frame_address(0));
            return thrd_success;
        }
        /* A busy word; a free word with an owner goes to glibc (its mtx_lock asserts). */
        if (lw_mutex_fast_can_wait(as_mutex(m))) {
            rc = lock_busy_fast(m, (int)ft->os_tid, __builtin_return_address(0));
            goto done;
        }
        rc = thrd_busy;
    } else {
        rc = lw_real_mtx_trylock(m);
    }
    if (rc != thrd_success) {
        struct lw_thread *t = rc == thrd_busy ? lw_recording_thread() : NULL;
        if (t)
            check_self_relock(t, m);
        struct lw_thread *w = lw_block_begin(rc == thrd_busy, LW_WAIT_MUTEX, (uintptr_t)m, false,
                                             __builtin_return_address(0));
        rc = lw_real_mtx_lock(m);
        lw_block_end(w);
    }
done:
    if (rc == thrd_success)
        lw_after_acquire((uintptr_t)m, LW_LOCK_C11_MTX, LW_TYPE_FROM_OBJECT, 0,
                         __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int mtx_trylock(mtx_t *m)
{
    struct lw_thread *ft = lw_tls.thread;
    if (LW_LIKELY(ft != NULL && lw_mutex_fast_applies(as_mutex(m)))) {
        if (!lw_mutex_fast_trylock(as_mutex(m), (int)ft->os_tid))
            return thrd_busy;
        lw_after_acquire((uintptr_t)m, LW_LOCK_C11_MTX, LW_TYPE_FROM_OBJECT, LW_ACQ_TRY,
                         __builtin_return_address(0), __builtin_frame_address(0));
        return thrd_success;
    }
    LW_REAL(mtx_trylock);
    int rc = lw_real_mtx_trylock(m);
    if (rc == thrd_success)
        lw_after_acquire((uintptr_t)m, LW_LOCK_C11_MTX, LW_TYPE_FROM_OBJECT, LW_ACQ_TRY,
                         __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int mtx_timedlock(mtx_t *__restrict m, const struct timespec *__restrict ts)
{
    LW_REAL(mtx_timedlock);
    int rc = lw_real_mtx_timedlock(m, ts);
    if (rc == thrd_success)
        lw_after_acquire((uintptr_t)m, LW_LOCK_C11_MTX, LW_TYPE_FROM_OBJECT, LW_ACQ_TIMED,
                         __builtin_return_address(0), __builtin_frame_address(0));
    return rc;
}

LW_EXPORT int mtx_unlock(mtx_t *m)
{
    LW_REAL(mtx_unlock);
    /* The innermost held entry with nothing to check (see pthread_mutex_unlock): pop it, then
     * release inline for a default mutex or through glibc. */
    struct lw_thread *ft = lw_tls.thread;
    if (LW_LIKELY(ft != NULL && ft->n_held != 0)) {
        const struct lw_held *h = &ft->held[ft->n_held - 1];
        if (LW_LIKELY(h->addr == (uintptr_t)m && h->fast_unlock)) {
            ft->n_held--;
            if (LW_LIKELY(lw_mutex_fast_applies(as_mutex(m)))) {
                lw_mutex_fast_unlock(as_mutex(m));
                return thrd_success;
            }
            return lw_real_mtx_unlock(m);
        }
    }
    struct lw_thread *t = lw_recording_thread();
    if (t && lw_held_find(t, (uintptr_t)m) < 0) {
        uint64_t owner = lw_mutex_owner(as_mutex(m));
        if (owner != t->os_tid)
            lw_report_misuse(owner ? LW_MISUSE_UNLOCK_OTHER : LW_MISUSE_UNLOCK_UNLOCKED,
                             (uintptr_t)m, LW_LOCK_C11_MTX, lw_thread_id_by_tid(owner),
                             __builtin_return_address(0));
    }
    if (lw_race_on())
        lw_race_pre_release((uintptr_t)m);
    int rc = lw_real_mtx_unlock(m);
    if (rc == thrd_success)
        lw_after_release((uintptr_t)m);
    return rc;
}

LW_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    LW_REAL(cnd_wait);
    struct lw_thread *t =
        lw_cond_before_wait((void *)c, (uintptr_t)m, false, __builtin_return_address(0));
    int rc = lw_real_cnd_wait(c, m);
    int saved = errno;
    lw_cond_after_wait(t, (void *)c, (uintptr_t)m, LW_LOCK_C11_MTX, 0, __builtin_return_address(0),
                       __builtin_frame_address(0));
    errno = saved;
    return rc;
}

LW_EXPORT int cnd_timedwait(cnd_t *__restrict c, mtx_t *__restrict m,
                            const struct timespec *__restrict ts)
{
    LW_REAL(cnd_timedwait);
    struct lw_thread *t =
        lw_cond_before_wait((void *)c, (uintptr_t)m, true, __builtin_return_address(0));
    int rc = lw_real_cnd_timedwait(c, m, ts);
    int saved = errno;
    lw_cond_after_wait(t, (void *)c, (uintptr_t)m, LW_LOCK_C11_MTX, 0, __builtin_return_address(0),
                       __builtin_frame_address(0));
    errno = saved;
    return rc;
}

/* thrd_create: the same trampoline idea as pthread_create, for an int-returning start. */
struct lw_thrd_start {
    struct lw_start_common c;
    thrd_start_t fn;
    void *arg;
};

static int lw_thrd_trampoline(void *p)
{
    struct lw_thrd_start s = *(struct lw_thrd_start *)p;
    free(p);
    lw_child_begin(&s.c);
    int ret = s.fn(s.arg);
    lw_thread_ending((uintptr_t)__builtin_frame_address(0));
    return ret;
}

LW_EXPORT int thrd_create(thrd_t *th, thrd_start_t fn, void *arg)
{
    LW_REAL(thrd_create);
    struct lw_thread *t = lw_enter();
    struct lw_thrd_start *s = t ? lw_create_prepare(t, sizeof *s) : NULL;
    if (!s)
        return lw_real_thrd_create(th, fn, arg);
    s->fn = fn;
    s->arg = arg;
    uint32_t child = s->c.id;
    int rc = lw_real_thrd_create(th, lw_thrd_trampoline, s);
    lw_create_finish(t, rc == thrd_success, rc == thrd_success ? (uint64_t)*th : 0, child, s);
    return rc;
}

LW_EXPORT int thrd_join(thrd_t th, int *res)
{
    LW_REAL(thrd_join);
    uint32_t joinee = lw_tid_map_get((uint64_t)th);
    struct lw_thread *w = lw_recording_thread();
    if (w)
        lw_wait_begin(w, LW_WAIT_JOIN, (uint64_t)th, false, joinee,
                      (uintptr_t)__builtin_return_address(0));
    int rc = lw_real_thrd_join(th, res);
    if (w)
        lw_wait_end(w);
    if (rc == thrd_success && joinee) {
        lw_tid_map_del((uint64_t)th);
        lw_after_join(joinee);
    }
    return rc;
}

LW_EXPORT _Noreturn void thrd_exit(int res)
{
    LW_REAL(thrd_exit);
    lw_thread_ending((uintptr_t)__builtin_frame_address(0));
    lw_real_thrd_exit(res);
    __builtin_unreachable();
}
