/*
 * Helpers shared by the e2e programs. Threads that must not really deadlock are staggered with
 * an atomic step counter instead of a bare sleep: a thread waits (polling, 1 ms naps) until the
 * step it depends on is done. Plain C11 atomics create no create/join or lock ordering that
 * lockwatch's lock-order analysis knows of, so the inversions stay "feasible" for the analyzer
 * while the runs can never hang, however loaded the machine is.
 */
#ifndef LW_E2E_UTIL_H
#define LW_E2E_UTIL_H

#include <stdatomic.h>
#include <time.h>

static atomic_int e2e_step;

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

#endif /* LW_E2E_UTIL_H */
