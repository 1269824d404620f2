/*
 * What the shim reads from glibc's pthread_mutex_t: the type bits of __kind (which also covers
 * statically initialised mutexes, whose type no init call told us) and the owner's kernel tid
 * (__owner), which the deadlock checks use to find who holds a mutex without any bookkeeping
 * on the hot path. glibc-specific by design: lockwatch targets glibc.
 */
#ifndef LOCKWATCH_GLIBC_MUTEX_H
#define LOCKWATCH_GLIBC_MUTEX_H

#include <pthread.h>
#include <stdint.h>

#include "annotate.h"
#include "lockwatch/log_format.h"

#define LW_GLIBC_MUTEX_ROBUST 16 /* __kind bit: PTHREAD_MUTEX_ROBUST_NORMAL_NP */

/* Asks for m's cache line in the exclusive state before the wrapper reads the mutex's type: on
 * a contended mutex that read would fetch the line shared and the try's atomic right after it
 * would have to fetch it again (a second transfer from the core that holds the lock). PREFETCHW
 * is written out because GCC's __builtin_prefetch(p, 1) emits a read prefetch for baseline
 * x86-64; CPUs without it execute it as a no-op. */
static inline void lw_prefetch_for_write(const void *m)
{
#if defined(__x86_64__)
    __asm__ volatile("prefetchw %0" : : "m"(*(const char *)m));
#else
    __builtin_prefetch(m, 1);
#endif
}

/* LW_LOCKF_* flags for m: type + 1 in the low bits, robust and priority-inherit bits. */
static inline uint32_t lw_mutex_type_flags(const pthread_mutex_t *m)
{
    int k = m->__data.__kind;
    uint32_t f = ((uint32_t)k & 3u) + 1u;
    if (k & 16)
        f |= LW_LOCKF_ROBUST;
    if (k & 32)
        f |= LW_LOCKF_PI;
    return f;
}

/* The type part of lw_mutex_type_flags only, for the hot path (robust and priority-inherit
 * mutexes are always initialised through pthread_mutex_init, which records the full flags). */
static inline uint32_t lw_mutex_type_fast(const pthread_mutex_t *m)
{
    return ((uint32_t)m->__data.__kind & 3u) + 1u;
}

/* True for mutex types whose relock by the owner blocks forever: normal and adaptive, not
 * robust (glibc handles an owner's relock of those itself), not priority-inherit/protect. */
static inline int lw_mutex_relock_hangs(const pthread_mutex_t *m)
{
    int kind = m->__data.__kind;
    int k = kind & 3;
    return (k == PTHREAD_MUTEX_NORMAL || k == PTHREAD_MUTEX_ADAPTIVE_NP) && !(kind & 0x70);
}

/* True for mutexes whose unlock by the owner always succeeds and does nothing but release:
 * normal and adaptive types, not robust, priority-inherit or -protect (glibc's unlock of those
 * checks the owner or talks to the kernel and can fail). Errorcheck and recursive types can
 * return EPERM. */
static inline int lw_mutex_unlock_cannot_fail(const pthread_mutex_t *m)
{
    return lw_mutex_relock_hangs(m);
}

/* Kernel tid of the owner, 0 if unlocked (or unknown). */
static inline uint64_t lw_mutex_owner(const pthread_mutex_t *m)
{
    LW_ANN_ATOMIC_WORD(&m->__data.__owner); /* read racily by design, off the fast path */
    return (uint64_t)(unsigned)__atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
}

#endif /* LOCKWATCH_GLIBC_MUTEX_H */
