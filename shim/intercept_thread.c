/*
 * Interceptors for thread life: pthread_create (a trampoline gives the child its id, parent
 * and the parent's seq, the basis of create/join ordering), pthread_join and its variants
 * (a JOIN record; the joiner's seq advances), pthread_exit and pthread_setname_np. dlopen is
 * deliberately not interposed: glibc resolves $ORIGIN and RUNPATH from dlopen's caller, which
 * an interposer would change; the module map is rescanned before any stack is written instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "intercept.h"
#include "race.h"
#include "real.h"
#include "shim.h"

struct lw_start {
    struct lw_start_common c;
    void *(*fn)(void *);
    void *arg;
};

void *lw_create_prepare(struct lw_thread *t, size_t size)
{
    int saved = errno;
    struct lw_start_common *c = malloc(size);
    if (c) {
        c->id = lw_thread_new_id();
        c->parent = t->id;
        c->parent_seq = t->seq;
        c->create_stack = lw_stack_capture();
        if (lw_race_on())
            lw_race_release(t, LW_RACE_KEY_CREATE(c->id), 0);
    }
    lw_leave();
    lw_watchdog_start(); /* the program is about to have two threads */
    errno = saved;
    return c;
}

void lw_create_finish(struct lw_thread *t, bool created, uint64_t handle, uint32_t child,
                      void *start)
{
    int saved = errno;
    if (created) {
        /* The child's life comes after this thread's segment parent_seq. `start` may already
         * be freed by the child: only `child`, read before the create, is used. */
        t->seq++;
        lw_tid_map_put(handle, child);
    } else {
        free(start); /* the child never ran: the trampoline did not free it */
    }
    errno = saved;
}

void lw_child_begin(const struct lw_start_common *c)
{
    if (atomic_load(&lw_state) != LW_STATE_RECORDING)
        return;
    struct lw_thread *t = lw_thread_start(c->id, c->parent, c->parent_seq, c->create_stack);
    if (t && lw_race_on())
        lw_race_acquire(t, LW_RACE_KEY_CREATE(c->id), 0);
}

/* The calling thread (not the initial one) is ending: its stack below `hi` is dead, and glibc
 * hands the stack to a later thread. The locks that lived there (a function-local std::mutex or
 * PTHREAD_MUTEX_INITIALIZER copy, which no destroy call ends) end now, so that the next thread's
 * lock at the same address is a new lock. The frames above (pthread_exit's callers, still to be
 * unwound) and the thread's static TLS at the top of the stack block are kept. */
static void forget_dead_stack(uintptr_t hi)
{
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    void *lo;
    size_t size;
    if (pthread_attr_getstack(&attr, &lo, &size) == 0 && hi > (uintptr_t)lo &&
        hi - (uintptr_t)lo <= size)
        lw_lock_forget_range((uintptr_t)lo, hi, NULL, NULL);
    pthread_attr_destroy(&attr);
}

void lw_thread_ending(uintptr_t dead_below)
{
    struct lw_thread *t = lw_enter();
    if (t) {
        if (lw_race_on()) {
            lw_race_release(t, LW_RACE_KEY_EXIT(t->id), 0);
            lw_thread_ranges_exit(t); /* its stack and TLS are dead from now on */
        }
        int saved = errno;
        if (!t->exited)
            lw_thread_report_held_at_exit(t);
        if (t->id != 1)
            forget_dead_stack(dead_below);
        lw_thread_exit_record(t);
        errno = saved;
        lw_leave();
    }
}

static void *lw_trampoline(void *p)
{
    struct lw_start s = *(struct lw_start *)p;
    free(p);
    lw_child_begin(&s.c);
    void *ret = s.fn(s.arg);
    lw_thread_ending((uintptr_t)__builtin_frame_address(0));
    return ret;
}

LW_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    LW_REAL(pthread_create);
    struct lw_thread *t = lw_enter();
    struct lw_start *s = t ? lw_create_prepare(t, sizeof *s) : NULL;
    if (!s)
        return lw_real_pthread_create(th, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    uint32_t child = s->c.id;
    int rc = lw_real_pthread_create(th, attr, lw_trampoline, s);
    lw_create_finish(t, rc == 0, rc == 0 ? (uint64_t)*th : 0, child, s);
    return rc;
}

/* Records that the calling thread waited for `th` (whose id was looked up before the wait). */
void lw_after_join(uint32_t joinee)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    if (lw_race_on())
        lw_race_acquire(t, LW_RACE_KEY_EXIT(joinee), 0);
    int saved = errno;
    uint32_t stack = lw_stack_capture();
    lw_stack_ensure_written(t, stack);
    struct lw_rec_thread_join *r = lw_log_reserve(t, sizeof *r);
    if (r) {
        r->joiner_id = t->id;
        r->joiner_seq = t->seq;
        r->joinee_id = joinee;
        r->stack_id = stack;
        r->monotonic_ns = lw_now_ns();
        lw_log_publish(t, r, LW_REC_THREAD_JOIN, 0, sizeof *r);
    }
    t->seq++;
    errno = saved;
    lw_leave();
}

/* Publishes "waiting for thread joinee" for the watchdog; returns the state to clear. */
static struct lw_thread *join_wait_begin(pthread_t th, uint32_t joinee, bool timed, void *ret)
{
    if (atomic_load_explicit(&lw_state, memory_order_relaxed) != LW_STATE_RECORDING)
        return NULL;
    struct lw_thread *t = lw_thread_peek();
    if (t)
        lw_wait_begin(t, LW_WAIT_JOIN, (uint64_t)th, timed, joinee, (uintptr_t)ret);
    return t;
}

/* After a join call returned rc: the wait is over; a successful join is recorded. */
static int join_done(pthread_t th, uint32_t joinee, struct lw_thread *w, int rc)
{
    if (w)
        lw_wait_end(w);
    if (rc == 0 && joinee) {
        lw_tid_map_del((uint64_t)th);
        lw_after_join(joinee);
    }
    return rc;
}

LW_EXPORT int pthread_join(pthread_t th, void **ret)
{
    LW_REAL(pthread_join);
    uint32_t joinee = lw_tid_map_get((uint64_t)th);
    struct lw_thread *w = join_wait_begin(th, joinee, false, __builtin_return_address(0));
    int rc = lw_real_pthread_join(th, ret);
    return join_done(th, joinee, w, rc);
}

LW_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
    LW_REAL(pthread_tryjoin_np);
    uint32_t joinee = lw_tid_map_get((uint64_t)th);
    return join_done(th, joinee, NULL, lw_real_pthread_tryjoin_np(th, ret));
}

LW_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abstime)
{
    LW_REAL(pthread_timedjoin_np);
    uint32_t joinee = lw_tid_map_get((uint64_t)th);
    struct lw_thread *w = join_wait_begin(th, joinee, true, __builtin_return_address(0));
    int rc = lw_real_pthread_timedjoin_np(th, ret, abstime);
    return join_done(th, joinee, w, rc);
}

LW_EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clk,
                                   const struct timespec *abstime)
{
    LW_REAL(pthread_clockjoin_np);
    if (!lw_real_pthread_clockjoin_np)
        return ENOSYS;
    uint32_t joinee = lw_tid_map_get((uint64_t)th);
    struct lw_thread *w = join_wait_begin(th, joinee, true, __builtin_return_address(0));
    int rc = lw_real_pthread_clockjoin_np(th, ret, clk, abstime);
    return join_done(th, joinee, w, rc);
}

LW_EXPORT void pthread_exit(void *ret)
{
    LW_REAL(pthread_exit);
    lw_thread_ending((uintptr_t)__builtin_frame_address(0));
    lw_real_pthread_exit(ret);
    __builtin_unreachable();
}

LW_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
    LW_REAL(pthread_setname_np);
    int rc = lw_real_pthread_setname_np(th, name);
    if (rc != 0)
        return rc;
    uint32_t id = lw_tid_map_get((uint64_t)th);
    struct lw_thread *t = id ? lw_enter() : NULL;
    if (t) {
        struct lw_rec_thread_name *r = lw_log_reserve(t, sizeof *r);
        if (r) {
            r->thread_id = id;
            strncpy(r->name, name, sizeof r->name - 1);
            r->name[sizeof r->name - 1] = 0;
            lw_log_publish(t, r, LW_REC_THREAD_NAME, 0, sizeof *r);
        }
        lw_leave();
    }
    return rc;
}
