/*
 * glibc's own fast path for default mutexes, done inside the wrappers instead of calling glibc.
 *
 * A default mutex (PTHREAD_MUTEX_INITIALIZER or a NULL attribute: __kind == 0, i.e. normal,
 * process-private, not robust, no priority protocol, no lock elision; or __kind == 512, the same
 * with elision ruled out, which an explicit normal type and C11's mtx_plain give) is taken by
 * glibc with one compare-and-swap of its lock word from 0 to 1, then __owner = the caller's
 * kernel tid and ++__nusers; it is released by __owner = 0, --__nusers and an exchange of the lock
 * word with 0, followed by a FUTEX_WAKE of one waiter when the old value said "waiters" (2).
 * glibc's slow path
 * (__lll_lock_wait: exchange with 2, FUTEX_WAIT while it stays 2) and its condvars speak the same
 * protocol on the same words, so a mutex taken here can be released by glibc and the other way
 * round. Doing those few instructions here saves a call into glibc per lock and unlock, which is
 * most of what an interposer costs (docs/performance.md: below the do-nothing interposer). The
 * blocking wait on a busy word is glibc's too (lw_mutex_fast_swap_in and on): calling glibc there
 * would make a waiter swap the contended word once more before it sleeps, which stretches the
 * holder's critical section (docs/performance.md, "The waiter's second compare-and-swap").
 *
 * Everything else goes to glibc itself: another __kind, and a free lock word with a non-zero
 * owner (a corrupted or copied mutex, on which glibc's assertion is the program's behaviour). The
 * constructor (lifecycle.c) turns the path on only for a glibc whose protocol this is
 * (lw_mutex_fast_allowed), not under Valgrind, when the next pthread_mutex_* and mtx_* definitions
 * are glibc's own, and with the option mutex_fast_path on; before the constructor every call goes
 * to glibc.
 */
#ifndef LOCKWATCH_GLIBC_MUTEX_FAST_H
#define LOCKWATCH_GLIBC_MUTEX_FAST_H

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

/* The glibc range in which default mutexes follow this protocol (NPTL's lowlevellock; checked
 * against the disassembly of Debian 12's 2.36). A newer glibc is not assumed to keep it: it gets
 * the calls into glibc until someone checks it and moves the bound. */
#define LW_MUTEX_FAST_GLIBC_MIN 17 /* 2.17 */
#define LW_MUTEX_FAST_GLIBC_MAX 42 /* 2.42 */

/* True once the constructor allowed the fast path (see lw_mutex_fast_allowed). Atomic because a
 * shim loaded late (dlopen) may set it while other threads lock; relaxed loads cost nothing. */
extern _Atomic bool lw_mutex_fast_on;

/* True if glibc `version` (gnu_get_libc_version(), "2.36") and GLIBC_TUNABLES `tunables` (NULL if
 * unset) allow the fast path: x86-64 (the futex call below), a 2.x version in the checked range,
 * and lock elision not requested (glibc.elision.enable=1 makes glibc elide default mutexes in
 * hardware transactions, which never write the lock word and so would not exclude ours). */
static inline bool lw_mutex_fast_allowed(const char *version, const char *tunables)
{
#if !defined(__x86_64__)
    (void)version;
    (void)tunables;
    return false;
#else
    if (!version || version[0] != '2' || version[1] != '.')
        return false;
    unsigned minor = 0;
    const char *p = version + 2;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9' && minor < 1000)
        minor = minor * 10 + (unsigned)(*p++ - '0');
    if (*p != '\0' && *p != '.')
        return false;
    if (minor < LW_MUTEX_FAST_GLIBC_MIN || minor > LW_MUTEX_FAST_GLIBC_MAX)
        return false;
    return !tunables || !strstr(tunables, "glibc.elision.enable=1");
#endif
}

/* __kind bit glibc (2.18 and later) sets when a program asks for the normal type explicitly
 * (pthread_mutexattr_settype(PTHREAD_MUTEX_NORMAL), mtx_init(mtx_plain)): it only keeps lock
 * elision away. glibc masks it out of the type, so such a mutex takes the same path. */
#define LW_GLIBC_MUTEX_NO_ELISION 512

/* True if m is a default mutex (or a normal one with elision kept away) and the fast path is
 * on. */
static inline __attribute__((always_inline)) bool lw_mutex_fast_applies(const pthread_mutex_t *m)
{
    return atomic_load_explicit(&lw_mutex_fast_on, memory_order_relaxed) &&
           (m->__data.__kind & ~LW_GLIBC_MUTEX_NO_ELISION) == 0;
}

/* Swaps the lock word of the default mutex m from 0 (free) to 1 (locked) and, if that worked,
 * makes the thread with kernel tid `tid` its owner, as glibc does. False: nothing was changed. */
static inline __attribute__((always_inline)) bool lw_mutex_fast_take(pthread_mutex_t *m, int tid)
{
    int expected = 0;
    if (!__atomic_compare_exchange_n(&m->__data.__lock, &expected, 1, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return false;
    m->__data.__owner = tid;
    ++m->__data.__nusers;
    return true;
}

/* pthread_mutex_lock's fast path for the default mutex m: taken if the word is free and m has no
 * owner (a free word with an owner is corruption, left to glibc's assertion). */
static inline __attribute__((always_inline)) bool lw_mutex_fast_lock(pthread_mutex_t *m, int tid)
{
    return __builtin_expect(m->__data.__owner == 0, 1) && lw_mutex_fast_take(m, tid);
}

/* pthread_mutex_trylock of the default mutex m (glibc's: test the word, then swap; no owner
 * check). False: busy, nothing was changed. */
static inline __attribute__((always_inline)) bool lw_mutex_fast_trylock(pthread_mutex_t *m, int tid)
{
    return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0 && lw_mutex_fast_take(m, tid);
}

/* The futex system call on m's lock word, raw so that errno is never touched: FUTEX_WAIT while
 * the word is 2 (wake false) or FUTEX_WAKE of one waiter (wake true). Process-private, as glibc's
 * for a default mutex. */
static inline __attribute__((always_inline)) void lw_mutex_futex(pthread_mutex_t *m, bool wake)
{
#if defined(__x86_64__)
    long ret;
    register long timeout __asm__("r10") = 0; /* FUTEX_WAIT: no timeout */
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_futex), "D"(&m->__data.__lock),
                       "S"((long)((wake ? FUTEX_WAKE : FUTEX_WAIT) | FUTEX_PRIVATE_FLAG)),
                       "d"(wake ? 1L : 2L), "r"(timeout)
                     : "rcx", "r11", "memory");
    (void)ret;
#else /* never called: the fast path is x86-64 only (lw_mutex_fast_allowed) */
    (void)m;
    (void)wake;
#endif
}

/* True if the blocking wait below may take the default mutex m: anything but a free word with
 * an owner (glibc asserts on that; a reading that races with a lock only sends the caller to
 * glibc, which is never wrong). */
static inline bool lw_mutex_fast_can_wait(const pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) != 0 || m->__data.__owner == 0;
}

/* The first step of glibc's blocking wait (__lll_lock_wait) on the busy word of the default
 * mutex m: unless the word already says "locked, with waiters" (2), exchange it with 2; true if
 * that took the word (it had just been released). */
static inline __attribute__((always_inline)) bool lw_mutex_fast_swap_in(pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) != 2 &&
           __atomic_exchange_n(&m->__data.__lock, 2, __ATOMIC_ACQUIRE) == 0;
}

/* The rest of glibc's blocking wait: sleep while the word is 2, exchange it with 2 on every
 * wake-up (an interrupted or spurious one too) until that takes it. */
static inline void lw_mutex_fast_sleep_until_taken(pthread_mutex_t *m)
{
    do
        lw_mutex_futex(m, false);
    while (__atomic_exchange_n(&m->__data.__lock, 2, __ATOMIC_ACQUIRE) != 0);
}

/* After the word of the default mutex m was taken by the wait: make the thread with kernel tid
 * `tid` the owner, as glibc's pthread_mutex_lock does. False, with the word released again: m
 * had an owner already (a corrupted mutex); the caller lets glibc take it and assert, as the
 * program would. */
static inline bool lw_mutex_fast_own(pthread_mutex_t *m, int tid)
{
    if (__builtin_expect(m->__data.__owner != 0, 0)) {
        __atomic_store_n(&m->__data.__lock, 0, __ATOMIC_RELEASE);
        lw_mutex_futex(m, true); /* the word said "waiters": there may be some */
        return false;
    }
    m->__data.__owner = tid;
    ++m->__data.__nusers;
    return true;
}

/* pthread_mutex_unlock of the default mutex m (always succeeds, like glibc's). The futex call is
 * made only when a thread waits, where glibc makes the same one. */
static inline __attribute__((always_inline)) void lw_mutex_fast_unlock(pthread_mutex_t *m)
{
    m->__data.__owner = 0;
    --m->__data.__nusers;
    if (__builtin_expect(__atomic_exchange_n(&m->__data.__lock, 0, __ATOMIC_RELEASE) > 1, 0))
        lw_mutex_futex(m, true);
}

#endif /* LOCKWATCH_GLIBC_MUTEX_FAST_H */
