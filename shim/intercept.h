/*
 * Wrapper halves shared between interceptor files (the condvar wrappers release and reacquire
 * the mutex the way the mutex wrappers record it).
 */
#ifndef LOCKWATCH_INTERCEPT_H
#define LOCKWATCH_INTERCEPT_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "glibc_mutex.h"
#include "hot_path.h"
#include "shim.h"

/* Condvar wait halves, shared by pthread_cond_* and cnd_* (intercept_cond.c). */
struct lw_thread *lw_cond_before_wait(void *cv, uintptr_t m, bool timed, void *ret);
void lw_cond_after_wait(struct lw_thread *t, void *cv, uintptr_t m, uint16_t kind, int rc,
                        void *ret, void *frame);
/* The calling thread is ending (its start routine returned, or an exit call): misuse for each
 * lock still held, the end of the locks that lived on its stack below `dead_below` (the frame of
 * the trampoline or exit wrapper: the start routine's frames, or the frames the exit call's
 * callers had already left), then its exit record. */
void lw_thread_ending(uintptr_t dead_below);
/* Thread creation, shared by pthread_create and thrd_create. The start argument of a trampoline
 * begins with this. */
struct lw_start_common {
    uint32_t id, parent, parent_seq, create_stack;
};
/* Parent side, t inside the shim: allocates a start argument of `size` bytes (malloc, like
 * glibc on this path) with its common part filled; leaves the shim. NULL: create unwatched. */
void *lw_create_prepare(struct lw_thread *t, size_t size);
/* Parent side, after the real create: advances the parent's seq or frees the argument. */
void lw_create_finish(struct lw_thread *t, bool created, uint64_t handle, uint32_t child,
                      void *start);
/* Child side, first thing in a trampoline. */
void lw_child_begin(const struct lw_start_common *c);
/* Records that the calling thread joined joinee (looked up before the wait). */
void lw_after_join(uint32_t joinee);

/* The calling thread's state if recording is on (no state is created here). */
static inline struct lw_thread *lw_recording_thread(void)
{
    if (atomic_load_explicit(&lw_state, memory_order_relaxed) != LW_STATE_RECORDING)
        return NULL;
    return lw_thread_peek();
}

/* After a non-blocking attempt failed with `busy` (EBUSY/EAGAIN): publishes that the thread is
 * about to block in `kind` on obj and returns its state for lw_block_end (NULL: nothing to end). */
static inline struct lw_thread *lw_block_begin(bool busy, uint32_t kind, uintptr_t obj, bool timed,
                                               void *ret)
{
    struct lw_thread *t = busy ? lw_recording_thread() : NULL;
    if (t)
        lw_wait_begin(t, kind, (uint64_t)obj, timed, 0, (uintptr_t)ret);
    return t;
}

static inline void lw_block_end(struct lw_thread *t)
{
    if (t)
        lw_wait_end(t);
}

/* lw_after_acquire for a thread that has no state yet (its first recorded call). */
void lw_after_acquire_first(uintptr_t obj, uint16_t kind, uint32_t type_flags, uint32_t acq_flags,
                            void *ret, void *frame);

/* Records a successful acquisition of the lock at obj (enters the shim itself). Every call
 * out of here is the last thing it does, so the inlined body needs no callee-saved register. */
static inline __attribute__((always_inline)) void lw_after_acquire(uintptr_t obj, uint16_t kind,
                                                                   uint32_t type_flags,
                                                                   uint32_t acq_flags, void *ret,
                                                                   void *frame)
{
    if (LW_UNLIKELY(atomic_load_explicit(&lw_state, memory_order_relaxed) != LW_STATE_RECORDING) ||
        lw_tls.depth)
        return;
    struct lw_thread *t = lw_tls.thread;
    if (LW_UNLIKELY(!t)) {
        lw_after_acquire_first(obj, kind, type_flags, acq_flags, ret, frame);
        return;
    }
    lw_tls.depth = 1;
    lw_on_acquire(t, obj, kind, type_flags, acq_flags, (uintptr_t)ret, (uintptr_t)frame);
}

/* Records a release of the lock at obj. */
static inline __attribute__((always_inline)) void lw_after_release(uintptr_t obj)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    lw_on_release(t, obj);
    lw_leave();
}

/* Records a misuse of the object at obj by the calling thread. */
static inline void lw_report_misuse(uint32_t misuse, uintptr_t obj, uint16_t kind,
                                    uint32_t other_thread, void *ret)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    struct lw_misuse_info mi = {.misuse = misuse,
                                .lock_id = kind ? lw_lock_id(obj, kind, 0) : 0,
                                .lock_kind = kind,
                                .other_thread = other_thread,
                                .address = obj};
    lw_misuse(t, &mi, (uintptr_t)ret);
    lw_leave();
}

/* A lock init: starts a new lifetime at obj. */
static inline void lw_after_init(uintptr_t obj, uint16_t kind, uint32_t type_flags, void *ret)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    int saved = errno;
    lw_lock_init(obj, kind, type_flags, (uintptr_t)ret);
    errno = saved;
    lw_leave();
}

/* A lock destroy (or a named semaphore's sem_close): ends the lifetime at obj; the calling
 * thread no longer holds it. `object_ends`: the object itself is gone (a destroy), so its race-mode
 * clocks go too and a lock initialised there later starts with no history; not for sem_close,
 * since another sem_open of the same name in the process may still use the object. */
static inline void lw_after_destroy_or_close(uintptr_t obj, bool object_ends)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    lw_lock_destroy(obj);
    lw_held_forget(t, obj);
    if (object_ends && lw_race_on())
        lw_race_destroyed(obj);
    lw_leave();
}

/* A lock destroy: lw_after_destroy_or_close for an object that ends. */
static inline void lw_after_destroy(uintptr_t obj)
{
    lw_after_destroy_or_close(obj, true);
}

/* Records a successful acquisition of mutex m (enters the shim itself). */
static inline __attribute__((always_inline)) void
lw_after_mutex_acquire(pthread_mutex_t *m, uint32_t acq_flags, void *ret, void *frame)
{
    lw_after_acquire((uintptr_t)m, LW_LOCK_MUTEX, LW_TYPE_FROM_OBJECT, acq_flags, ret, frame);
}

/* Records a release of mutex m. */
static inline __attribute__((always_inline)) void lw_after_mutex_release(pthread_mutex_t *m)
{
    lw_after_release((uintptr_t)m);
}

#endif /* LOCKWATCH_INTERCEPT_H */
