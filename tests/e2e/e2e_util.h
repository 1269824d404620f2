/*
 * Helpers shared by the e2e programs. Threads that must not really deadlock are staggered with
 * an atomic step counter instead of a bare sleep: a thread waits (polling, 1 ms naps) until the
 * step it depends on is done. Plain C11 atomics create no create/join or lock ordering that
 * lockwatch's lock-order analysis knows of, so the inversions stay "feasible" for the analyzer
 * while the runs can never hang, however loaded the machine is.
 */
#ifndef LW_E2E_UTIL_H
#define LW_E2E_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int e2e_step __attribute__((unused));

static inline void e2e_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Waits until at least `n` steps are done. */
static inline void e2e_wait_steps(int n)
{
    while (atomic_load(&e2e_step) < n)
        e2e_sleep_ms(1);
}

static inline void e2e_step_done(void)
{
    atomic_fetch_add(&e2e_step, 1);
}

/* Starts fn(arg) in a detached thread and waits until *done reads `want` (a relaxed load, which
 * orders nothing for lockwatch, in either mode), then 50 ms for the thread to finish leaving, so
 * that glibc has its stack back for the next thread. Exits with status 2 if the thread cannot
 * start. */
static inline void e2e_run_detached(void *(*fn)(void *), void *arg, atomic_int *done, int want)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    if (pthread_create(&t, &attr, fn, arg) != 0)
        exit(2);
    pthread_attr_destroy(&attr);
    while (atomic_load_explicit(done, memory_order_relaxed) != want)
        ;
    usleep(50000);
}

#endif /* LW_E2E_UTIL_H */
