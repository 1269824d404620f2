/*
 * Shim transparency, error paths and interruptions: every error a pthread or semaphore call can
 * return must come back unchanged under LD_PRELOAD=liblockwatch.so (EBUSY, ETIMEDOUT, EDEADLK,
 * EPERM, EOWNERDEAD and pthread_mutex_consistent, EINVAL for bad attributes and timeouts, EINTR
 * from sem_wait when a handler without SA_RESTART runs), cancellation must act exactly at the
 * POSIX cancellation points (pthread_cond_wait, sem_wait, pthread_join; not at
 * pthread_mutex_lock/timedlock, which are not cancellation points) with cleanup handlers that
 * unlock, signals during waits must not change results, and errno must be preserved. ctest runs
 * it natively and preloaded (tests/CMakeLists.txt). Helper threads never call cmocka asserts;
 * they hand results to the main thread. alarm() turns a hang into a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static struct timespec after_ms(clockid_t clk, long ms)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static void init_mutex(pthread_mutex_t *m, int type, int robust)
{
    pthread_mutexattr_t a;
    assert_int_equal(pthread_mutexattr_init(&a), 0);
    assert_int_equal(pthread_mutexattr_settype(&a, type), 0);
    if (robust)
        assert_int_equal(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
    assert_int_equal(pthread_mutex_init(m, &a), 0);
    assert_int_equal(pthread_mutexattr_destroy(&a), 0);
}

static pthread_mutex_t shared_m;

static void *trylock_fn(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_mutex_trylock(&shared_m);
}

static void *timedlock_fn(void *arg)
{
    (void)arg;
    struct timespec ts = after_ms(CLOCK_REALTIME, 30);
    return (void *)(intptr_t)pthread_mutex_timedlock(&shared_m, &ts);
}

static void *unlock_fn(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_mutex_unlock(&shared_m);
}

static void *lock_and_die(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_mutex_lock(&shared_m);
}

static int in_thread(void *(*fn)(void *))
{
    pthread_t t;
    void *r = NULL;
    assert_int_equal(pthread_create(&t, NULL, fn, NULL), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    return (int)(intptr_t)r;
}

static void test_error_returns(void **state)
{
    (void)state;
    for (int type = 0; type < 3; type++) {
        int kind[] = {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_RECURSIVE};
        init_mutex(&shared_m, kind[type], 0);
        errno = 4242;
        assert_int_equal(pthread_mutex_lock(&shared_m), 0);
        assert_int_equal(in_thread(trylock_fn), EBUSY);
        assert_int_equal(in_thread(timedlock_fn), ETIMEDOUT);
        assert_int_equal(pthread_mutex_destroy(&shared_m), EBUSY); /* locked: not destroyed */
        if (kind[type] != PTHREAD_MUTEX_NORMAL)
            assert_int_equal(in_thread(unlock_fn), EPERM);
        if (kind[type] == PTHREAD_MUTEX_ERRORCHECK) {
            assert_int_equal(pthread_mutex_lock(&shared_m), EDEADLK);
            struct timespec ts = after_ms(CLOCK_REALTIME, 30);
            assert_int_equal(pthread_mutex_timedlock(&shared_m, &ts), EDEADLK);
        }
        struct timespec bad = {0, 2000000000L};
        assert_int_equal(in_thread(timedlock_fn), ETIMEDOUT);
        if (kind[type] != PTHREAD_MUTEX_RECURSIVE)
            assert_int_equal(pthread_mutex_timedlock(&shared_m, &bad),
                             kind[type] == PTHREAD_MUTEX_ERRORCHECK ? EDEADLK : EINVAL);
        assert_int_equal(pthread_mutex_unlock(&shared_m), 0);
        if (kind[type] != PTHREAD_MUTEX_NORMAL)
            assert_int_equal(pthread_mutex_unlock(&shared_m), EPERM);
        assert_int_equal(errno, 4242);
        assert_int_equal(pthread_mutex_destroy(&shared_m), 0);
    }
}

static void test_bad_attributes(void **state)
{
    pthread_mutexattr_t a;
    (void)state;
    assert_int_equal(pthread_mutexattr_init(&a), 0);
    assert_int_equal(pthread_mutexattr_settype(&a, 999), EINVAL);
    assert_int_equal(pthread_mutexattr_setrobust(&a, 999), EINVAL);
    assert_int_equal(pthread_mutexattr_setprotocol(&a, 999), EINVAL);
    assert_int_equal(pthread_mutexattr_destroy(&a), 0);
    pthread_condattr_t ca;
    assert_int_equal(pthread_condattr_init(&ca), 0);
    assert_int_equal(pthread_condattr_setclock(&ca, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
    assert_int_equal(pthread_condattr_destroy(&ca), 0);
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec ts = after_ms(CLOCK_MONOTONIC, 10);
    assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    assert_int_equal(pthread_mutex_trylock(&m), 0); /* the failed call left it free */
    assert_int_equal(pthread_mutex_unlock(&m), 0);
}

static void test_robust_owner_dead(void **state)
{
    (void)state;
    init_mutex(&shared_m, PTHREAD_MUTEX_NORMAL, 1);
    assert_int_equal(in_thread(lock_and_die), 0);
    assert_int_equal(pthread_mutex_lock(&shared_m), EOWNERDEAD);
    assert_int_equal(pthread_mutex_consistent(&shared_m), 0);
    assert_int_equal(pthread_mutex_unlock(&shared_m), 0);
    assert_int_equal(pthread_mutex_lock(&shared_m), 0);
    assert_int_equal(pthread_mutex_unlock(&shared_m), 0);
    /* Owner dies again; trylock and timedlock see it too. */
    assert_int_equal(in_thread(lock_and_die), 0);
    assert_int_equal(pthread_mutex_trylock(&shared_m), EOWNERDEAD);
    assert_int_equal(pthread_mutex_consistent(&shared_m), 0);
    assert_int_equal(pthread_mutex_unlock(&shared_m), 0);
    assert_int_equal(in_thread(lock_and_die), 0);
    struct timespec ts = after_ms(CLOCK_REALTIME, 100);
    assert_int_equal(pthread_mutex_timedlock(&shared_m, &ts), EOWNERDEAD);
    assert_int_equal(pthread_mutex_consistent(&shared_m), 0);
    assert_int_equal(pthread_mutex_unlock(&shared_m), 0);
    assert_int_equal(pthread_mutex_destroy(&shared_m), 0);
}

/* ---- signals ---- */

static atomic_int handler_runs;

static void counting_handler(int sig)
{
    (void)sig;
    int saved = errno;
    static pthread_mutex_t hm = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&hm);
    atomic_fetch_add(&handler_runs, 1);
    pthread_mutex_unlock(&hm);
    errno = 999; /* a sloppy handler: the interrupted call must still report its own result */
    errno = saved;
}

static void install(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = counting_handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(sig, &sa, NULL), 0);
}

static sem_t sem;
static atomic_int waiter_started;
static atomic_int waiter_result, waiter_errno;

static void *sem_waiter(void *arg)
{
    (void)arg;
    atomic_store(&waiter_started, 1);
    int rc = sem_wait(&sem);
    atomic_store(&waiter_errno, rc ? errno : 0);
    atomic_store(&waiter_result, rc);
    return NULL;
}

static void test_sem_wait_eintr(void **state)
{
    pthread_t t;
    (void)state;
    install(SIGUSR2, 0); /* no SA_RESTART: sem_wait fails with EINTR */
    assert_int_equal(sem_init(&sem, 0, 0), 0);
    atomic_store(&waiter_result, 1);
    assert_int_equal(pthread_create(&t, NULL, sem_waiter, NULL), 0);
    while (!atomic_load(&waiter_started))
        sleep_ms(1);
    /* Keep signalling until the waiter has returned (a signal that lands before it blocks is
     * simply handled, and the next one interrupts the wait). */
    for (int i = 0; i < 5000 && atomic_load(&waiter_result) == 1; i++) {
        pthread_kill(t, SIGUSR2);
        sleep_ms(2);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&waiter_result), -1);
    assert_int_equal(atomic_load(&waiter_errno), EINTR);
    assert_int_equal(sem_destroy(&sem), 0);
}

static atomic_int locker_result;

static void *blocking_locker(void *arg)
{
    (void)arg;
    atomic_store(&waiter_started, 1);
    int rc = pthread_mutex_lock(&shared_m);
    if (rc == 0)
        rc = pthread_mutex_unlock(&shared_m);
    atomic_store(&locker_result, rc);
    return NULL;
}

/* A signal handler (which itself locks) runs while a thread is blocked in pthread_mutex_lock:
 * the lock call resumes and succeeds, never EINTR, with or without SA_RESTART. */
static void test_signal_during_mutex_wait(void **state)
{
    pthread_t t;
    (void)state;
    for (int restart = 0; restart < 2; restart++) {
        install(SIGUSR2, restart ? SA_RESTART : 0);
        pthread_mutex_init(&shared_m, NULL);
        atomic_store(&waiter_started, 0);
        atomic_store(&locker_result, -1);
        int before = atomic_load(&handler_runs);
        assert_int_equal(pthread_mutex_lock(&shared_m), 0);
        assert_int_equal(pthread_create(&t, NULL, blocking_locker, NULL), 0);
        while (!atomic_load(&waiter_started))
            sleep_ms(1);
        for (int i = 0; i < 20; i++) {
            pthread_kill(t, SIGUSR2);
            sleep_ms(1);
        }
        while (atomic_load(&handler_runs) == before)
            sleep_ms(1);
        assert_int_equal(atomic_load(&locker_result), -1); /* still blocked */
        assert_int_equal(pthread_mutex_unlock(&shared_m), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(atomic_load(&locker_result), 0);
        assert_int_equal(pthread_mutex_destroy(&shared_m), 0);
    }
}

/* ---- cancellation ---- */

static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_int cleanup_runs;

static void unlock_cleanup(void *m)
{
    atomic_fetch_add(&cleanup_runs, 1);
    pthread_mutex_unlock(m);
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cm);
    pthread_cleanup_push(unlock_cleanup, &cm);
    atomic_store(&waiter_started, 1);
    for (;;)
        pthread_cond_wait(&cv, &cm); /* a cancellation point; the mutex is held again first */
    pthread_cleanup_pop(1);
    return NULL;
}

static void *sem_cancel_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cm);
    pthread_cleanup_push(unlock_cleanup, &cm);
    atomic_store(&waiter_started, 1);
    for (;;)
        sem_wait(&sem);
    pthread_cleanup_pop(1);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    while (sem_wait(&sem) != 0)
        ;
    return (void *)5;
}

static void *joiner(void *arg)
{
    pthread_t target = *(pthread_t *)arg;
    pthread_mutex_lock(&cm);
    pthread_cleanup_push(unlock_cleanup, &cm);
    atomic_store(&waiter_started, 1);
    pthread_join(target, NULL);
    pthread_cleanup_pop(1);
    return NULL;
}

static void expect_cancelled(pthread_t t, int cleanups_before)
{
    void *r = NULL;
    assert_int_equal(pthread_cancel(t), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    assert_ptr_equal(r, PTHREAD_CANCELED);
    assert_int_equal(atomic_load(&cleanup_runs), cleanups_before + 1);
    assert_int_equal(pthread_mutex_trylock(&cm), 0); /* the cleanup handler unlocked it */
    assert_int_equal(pthread_mutex_unlock(&cm), 0);
}

static void wait_started(void)
{
    while (!atomic_load(&waiter_started))
        sleep_ms(1);
    sleep_ms(20); /* most likely blocked by now; the result is the same either way */
}

static void test_cancel_at_cancellation_points(void **state)
{
    pthread_t t, s;
    (void)state;
    atomic_store(&waiter_started, 0);
    assert_int_equal(pthread_create(&t, NULL, cond_waiter, NULL), 0);
    wait_started();
    expect_cancelled(t, atomic_load(&cleanup_runs));

    assert_int_equal(sem_init(&sem, 0, 0), 0);
    atomic_store(&waiter_started, 0);
    assert_int_equal(pthread_create(&t, NULL, sem_cancel_waiter, NULL), 0);
    wait_started();
    expect_cancelled(t, atomic_load(&cleanup_runs));

    /* pthread_join is a cancellation point; the thread it waited for stays joinable. */
    assert_int_equal(pthread_create(&s, NULL, sleeper, NULL), 0);
    atomic_store(&waiter_started, 0);
    assert_int_equal(pthread_create(&t, NULL, joiner, &s), 0);
    wait_started();
    expect_cancelled(t, atomic_load(&cleanup_runs));
    void *r = NULL;
    assert_int_equal(sem_post(&sem), 0);
    assert_int_equal(pthread_join(s, &r), 0);
    assert_ptr_equal(r, (void *)5);
    assert_int_equal(sem_destroy(&sem), 0);
}

static atomic_int lock_returned;

static void *timedlock_then_testcancel(void *arg)
{
    (void)arg;
    pthread_cleanup_push(unlock_cleanup, &shared_m);
    atomic_store(&waiter_started, 1);
    struct timespec ts = after_ms(CLOCK_REALTIME, 20000);
    int rc = pthread_mutex_timedlock(&shared_m, &ts); /* not a cancellation point */
    atomic_store(&lock_returned, rc == 0 ? 1 : 2);
    pthread_testcancel();
    pthread_cleanup_pop(0);
    return (void *)1;
}

static void *lock_then_testcancel(void *arg)
{
    (void)arg;
    pthread_cleanup_push(unlock_cleanup, &shared_m);
    atomic_store(&waiter_started, 1);
    int rc = pthread_mutex_lock(&shared_m); /* not a cancellation point */
    atomic_store(&lock_returned, rc == 0 ? 1 : 2);
    pthread_testcancel();
    pthread_cleanup_pop(0);
    return (void *)1;
}

/* A cancel request sent while a thread blocks in timedlock/lock acts only at the next
 * cancellation point, after the lock call returned successfully. */
static void test_no_cancel_in_mutex_lock(void **state)
{
    void *(*fns[2])(void *) = {timedlock_then_testcancel, lock_then_testcancel};
    (void)state;
    for (int i = 0; i < 2; i++) {
        pthread_t t;
        void *r = NULL;
        pthread_mutex_init(&shared_m, NULL);
        atomic_store(&waiter_started, 0);
        atomic_store(&lock_returned, 0);
        int cleanups = atomic_load(&cleanup_runs);
        assert_int_equal(pthread_mutex_lock(&shared_m), 0);
        assert_int_equal(pthread_create(&t, NULL, fns[i], NULL), 0);
        wait_started();
        assert_int_equal(pthread_cancel(t), 0);
        sleep_ms(20);
        assert_int_equal(atomic_load(&lock_returned), 0); /* still waiting for the lock */
        assert_int_equal(pthread_mutex_unlock(&shared_m), 0);
        assert_int_equal(pthread_join(t, &r), 0);
        assert_ptr_equal(r, PTHREAD_CANCELED);
        assert_int_equal(atomic_load(&lock_returned), 1);
        assert_int_equal(atomic_load(&cleanup_runs), cleanups + 1);
        assert_int_equal(pthread_mutex_trylock(&shared_m), 0);
        assert_int_equal(pthread_mutex_unlock(&shared_m), 0);
        assert_int_equal(pthread_mutex_destroy(&shared_m), 0);
    }
}

/* errno survives the recorder's slow paths: new locks, new contexts, new stacks, threads. */
static void test_errno_on_slow_paths(void **state)
{
    (void)state;
    pthread_mutex_t m[40];
    for (int i = 0; i < 40; i++) {
        errno = 1000 + i;
        assert_int_equal(pthread_mutex_init(&m[i], NULL), 0);
        assert_int_equal(errno, 1000 + i);
    }
    for (int i = 0; i + 1 < 40; i++) {
        errno = 2000 + i;
        assert_int_equal(pthread_mutex_lock(&m[i]), 0);
        assert_int_equal(pthread_mutex_lock(&m[i + 1]), 0); /* a new context each time */
        assert_int_equal(errno, 2000 + i);
        assert_int_equal(pthread_mutex_trylock(&m[(i + 2) % 40]), 0);
        assert_int_equal(pthread_mutex_unlock(&m[(i + 2) % 40]), 0);
        assert_int_equal(pthread_mutex_unlock(&m[i + 1]), 0);
        assert_int_equal(pthread_mutex_unlock(&m[i]), 0);
        assert_int_equal(errno, 2000 + i);
    }
    for (int i = 0; i < 40; i++) {
        errno = 3000 + i;
        assert_int_equal(pthread_mutex_destroy(&m[i]), 0);
        assert_int_equal(errno, 3000 + i);
    }
    errno = 77;
    assert_int_equal(pthread_mutex_unlock(&m[0]), EINVAL); /* destroyed: an error, errno kept */
    assert_int_equal(errno, 77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_returns),
        cmocka_unit_test(test_bad_attributes),
        cmocka_unit_test(test_robust_owner_dead),
        cmocka_unit_test(test_sem_wait_eintr),
        cmocka_unit_test(test_signal_during_mutex_wait),
        cmocka_unit_test(test_cancel_at_cancellation_points),
        cmocka_unit_test(test_no_cancel_in_mutex_lock),
        cmocka_unit_test(test_errno_on_slow_paths),
    };
    alarm(100); /* a hang is a failure, not a stuck test run */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
