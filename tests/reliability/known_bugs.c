/*
 * Reproducers of shim bugs found by the reliability tests (tests/reliability/rel.sh, cases
 * "cancel" and "condwait"); each prints what it saw, so a native run and a run under the shim
 * can be compared.
 *   cancel    a thread with a pending (deferred) cancellation request takes two nested locks.
 *             pthread_mutex_lock is not a cancellation point, so natively the thread runs on and
 *             returns 42, leaving both mutexes free.
 *   condwait  pthread_cond_wait on an errorcheck mutex the thread does not own fails with EPERM
 *             and leaves the mutex unlocked; another thread then takes the mutexes x, m while
 *             this one takes only x. There is no lock-order inversion to report.
 *   robust    a robust errorcheck mutex whose owner died is unlocked without
 *             pthread_mutex_consistent, so it is not recoverable; pthread_mutex_lock then
 *             returns ENOTRECOVERABLE natively. (glibc 2.36's trylock on such a mutex leaves it
 *             locked by the caller: a wrapper that tries a trylock first changes the result.)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rel_util.h"

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static atomic_int cancel_sent;

static void *cancel_target(void *arg)
{
    (void)arg;
    while (!atomic_load(&cancel_sent))
        ; /* no cancellation point here */
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(&inner); /* a new lock-order context: the recorder's slow path */
    pthread_mutex_unlock(&inner);
    pthread_mutex_unlock(&outer);
    return (void *)42;
}

static int run_cancel(void)
{
    pthread_t t;
    void *ret = NULL;
    if (pthread_create(&t, NULL, cancel_target, NULL))
        return 90;
    pthread_cancel(t);
    atomic_store(&cancel_sent, 1);
    pthread_join(t, &ret);
    printf("join: %s\n", ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED"
                         : ret == (void *)42     ? "42"
                                                 : "?");
    int a = pthread_mutex_trylock(&outer), b = pthread_mutex_trylock(&inner);
    printf("trylock outer: %s, inner: %s\n", a ? strerror(a) : "0", b ? strerror(b) : "0");
    return 0;
}

static pthread_mutex_t m, x = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static rel_flag go;

static void *x_then_m(void *arg)
{
    (void)arg;
    rel_flag_wait(&go);
    pthread_mutex_lock(&x);
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    pthread_mutex_unlock(&x);
    return NULL;
}

static int run_condwait(void)
{
    pthread_mutexattr_t at;
    pthread_t t;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &at);
    if (pthread_create(&t, NULL, x_then_m, NULL))
        return 90;
    int rc = pthread_cond_wait(&cv, &m); /* m is not ours: EPERM, m stays unlocked */
    printf("pthread_cond_wait: %s\n", rc ? strerror(rc) : "0");
    pthread_mutex_lock(&x);
    pthread_mutex_unlock(&x);
    rel_flag_post(&go);
    pthread_join(t, NULL);
    return 0;
}

static pthread_mutex_t robust;

static void *die_holding(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_mutex_lock(&robust);
}

static int run_robust(void)
{
    pthread_mutexattr_t at;
    pthread_t t;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&robust, &at);
    if (pthread_create(&t, NULL, die_holding, NULL))
        return 90;
    pthread_join(t, NULL);
    int a = pthread_mutex_lock(&robust);   /* EOWNERDEAD */
    int b = pthread_mutex_unlock(&robust); /* without consistent: not recoverable */
    int c = pthread_mutex_lock(&robust);
    printf("lock: %s, unlock: %s, lock again: %s\n", strerror(a), b ? strerror(b) : "0",
           c ? strerror(c) : "0");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "cancel"))
        return run_cancel();
    if (argc == 2 && !strcmp(argv[1], "condwait"))
        return run_condwait();
    if (argc == 2 && !strcmp(argv[1], "robust"))
        return run_robust();
    fprintf(stderr, "usage: %s cancel|condwait|robust\n", argv[0]);
    return 2;
}
