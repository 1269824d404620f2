/*
 * Default mutexes (PTHREAD_MUTEX_INITIALIZER, NULL attributes) under the shim's inline fast path
 * (shim/glibc_mutex_fast.h) must be glibc's to the last field: the lock word, owner and user
 * count after each operation, the wake of a blocked waiter and what it owns then, a signal
 * handled during the wait, mutual exclusion mixed with glibc's own paths (blocking waits,
 * condvar waits, timed locks), glibc's assertion on a corrupted mutex (before or after a wait)
 * and EINVAL after destroy. ctest runs this program natively and under LD_PRELOAD, and both runs
 * must pass. Helper threads never call cmocka asserts; an alarm() turns a hang into a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mutex_test_util.h"

/* The fields glibc keeps, read as glibc would. */
static int lock_word(pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE);
}

static void *trylock_fn(void *arg)
{
    return (void *)(intptr_t)pthread_mutex_trylock(arg);
}

static void test_fields(void **state)
{
    (void)state;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(m.__data.__lock, 1);
    assert_int_equal(m.__data.__owner, gettid());
    assert_int_equal(m.__data.__nusers, 1);
    pthread_t t;
    void *rc;
    assert_int_equal(pthread_create(&t, NULL, trylock_fn, &m), 0);
    assert_int_equal(pthread_join(t, &rc), 0);
    assert_int_equal((intptr_t)rc, EBUSY);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(m.__data.__lock, 0);
    assert_int_equal(m.__data.__owner, 0);
    assert_int_equal(m.__data.__nusers, 0);

    pthread_mutex_t n;
    assert_int_equal(pthread_mutex_init(&n, NULL), 0);
    assert_int_equal(pthread_mutex_trylock(&n), 0);
    assert_int_equal(n.__data.__owner, gettid());
    assert_int_equal(n.__data.__nusers, 1);
    assert_int_equal(pthread_mutex_trylock(&n), EBUSY); /* a normal mutex: no relock */
    assert_int_equal(pthread_mutex_unlock(&n), 0);
    assert_int_equal(n.__data.__lock, 0);
    assert_int_equal(pthread_mutex_destroy(&n), 0);
}

/* What a thread saw right after its blocking lock of `m` returned. */
struct waiter {
    pthread_mutex_t *m;
    int rc, word, owner, nusers, errno_after, tid;
};

static void *waiter_fn(void *arg)
{
    struct waiter *w = arg;
    w->tid = gettid();
    errno = 4321;
    w->rc = pthread_mutex_lock(w->m);
    w->errno_after = errno;
    w->word = lock_word(w->m);
    w->owner = w->m->__data.__owner;
    w->nusers = (int)w->m->__data.__nusers;
    if (w->rc == 0)
        w->rc = pthread_mutex_unlock(w->m);
    return NULL;
}

/* Starts a waiter on m (which the caller holds) and returns once it sleeps in the futex wait. */
static void start_waiter(pthread_t *t, struct waiter *w, pthread_mutex_t *m)
{
    *w = (struct waiter){.m = m, .rc = -1};
    assert_int_equal(pthread_create(t, NULL, waiter_fn, w), 0);
    for (int i = 0; i < 2000 && lock_word(m) != 2; i++)
        sleep_ms(1);
    assert_int_equal(lock_word(m), 2); /* the waiter is in the futex wait */
    sleep_ms(20);                      /* and asleep there, most likely */
}

/* The owner's unlock must wake a thread that blocked in the lock (lock word 2), which then owns
 * the mutex as glibc's wait leaves it: word 2 (it cannot know that nobody else waits), itself
 * the owner, one user, errno untouched. */
static void test_unlock_wakes_waiter(void **state)
{
    (void)state;
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    pthread_t t;
    struct waiter w;
    start_waiter(&t, &w, &m);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.word, 2);
    assert_int_equal(w.owner, w.tid);
    assert_int_equal(w.nusers, 1);
    assert_int_equal(w.errno_after, 4321);
    assert_int_equal(lock_word(&m), 0);
    assert_int_equal(m.__data.__owner, 0);
    assert_int_equal(m.__data.__nusers, 0);
}

static atomic_int signals_seen;

static void count_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals_seen, 1);
}

/* A signal to a thread blocked in the lock runs its handler (no SA_RESTART: the futex wait
 * returns EINTR inside) and the thread goes back to waiting: the lock returns 0, only once the
 * owner lets go. */
static void test_signal_during_wait(void **state)
{
    (void)state;
    struct sigaction sa = {.sa_handler = count_signal}, old;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    pthread_t t;
    struct waiter w;
    start_waiter(&t, &w, &m);
    for (int i = 0; i < 3; i++) {
        int before = atomic_load(&signals_seen);
        assert_int_equal(pthread_kill(t, SIGUSR1), 0);
        for (int j = 0; j < 2000 && atomic_load(&signals_seen) == before; j++)
            sleep_ms(1);
        assert_int_equal(atomic_load(&signals_seen), before + 1);
        sleep_ms(5);
        assert_int_equal(w.rc, -1); /* still waiting */
        assert_int_equal(lock_word(&m), 2);
    }
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.owner, w.tid);
    assert_int_equal(lock_word(&m), 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
}

/* The owner field is left set while the word is released and the waiter woken (a mutex
 * overwritten by a bad unlock): glibc's waiter takes the word, finds the owner and asserts. */
static void release_word_keeping_owner(void)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m);
    pthread_t t;
    struct waiter w = {.m = &m, .rc = -1};
    pthread_create(&t, NULL, waiter_fn, &w);
    while (lock_word(&m) != 2)
        sleep_ms(1);
    sleep_ms(20);
    __atomic_store_n(&m.__data.__lock, 0, __ATOMIC_RELEASE); /* __owner stays ours */
    syscall(SYS_futex, &m.__data.__lock, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(t, NULL); /* never returns: the waiter's assertion aborts the process */
}

static void test_corrupt_owner_after_wait_aborts(void **state)
{
    (void)state;
    assert_true(child_aborts(release_word_keeping_owner));
}

#define MIX_THREADS 4
#define MIX_ITERS 40000

static pthread_mutex_t mix_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mix_cond = PTHREAD_COND_INITIALIZER;
static long mix_counter; /* protected by mix_mutex */
static long mix_turns;   /* protected by mix_mutex */

/* Thread i takes the mutex four ways in turn: lock, trylock until it succeeds, timedlock, and a
 * condvar wait (which releases and retakes it inside glibc). A lost update or a hang means
 * the inline path and glibc's disagree about the lock word. */
static void *mix_fn(void *arg)
{
    long id = (long)(intptr_t)arg, bad = 0;
    for (long i = 0; i < MIX_ITERS; i++) {
        switch ((i + id) % 4) {
        case 0:
            bad += pthread_mutex_lock(&mix_mutex) != 0;
            break;
        case 1:
            while (pthread_mutex_trylock(&mix_mutex) == EBUSY)
                sched_yield();
            break;
        case 2: {
            struct timespec ts = realtime_in_ns(0);
            ts.tv_sec += 10;
            bad += pthread_mutex_timedlock(&mix_mutex, &ts) != 0;
            break;
        }
        default: {
            bad += pthread_mutex_lock(&mix_mutex) != 0;
            struct timespec ts = realtime_in_ns(100000);
            int rc = pthread_cond_timedwait(&mix_cond, &mix_mutex, &ts);
            bad += rc != 0 && rc != ETIMEDOUT;
            mix_turns++;
            break;
        }
        }
        long v = mix_counter;
        mix_counter = v + 1;
        if (i % 64 == 0)
            pthread_cond_signal(&mix_cond);
        bad += pthread_mutex_unlock(&mix_mutex) != 0;
    }
    return (void *)(intptr_t)bad;
}

static void test_exclusion_with_glibc_paths(void **state)
{
    (void)state;
    pthread_t t[MIX_THREADS];
    for (long i = 0; i < MIX_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, mix_fn, (void *)(intptr_t)i), 0);
    long bad = 0;
    for (int i = 0; i < MIX_THREADS; i++) {
        void *rc;
        assert_int_equal(pthread_join(t[i], &rc), 0);
        bad += (intptr_t)rc;
    }
    assert_int_equal(bad, 0);
    assert_int_equal(mix_counter, (long)MIX_THREADS * MIX_ITERS);
    assert_int_equal(mix_turns, (long)MIX_THREADS * MIX_ITERS / 4);
    assert_int_equal(lock_word(&mix_mutex), 0);
    assert_int_equal(mix_mutex.__data.__nusers, 0);
}

/* A free lock word with an owner (a mutex copied or overwritten while locked): glibc asserts
 * and aborts; so must the program under the shim. */
static void lock_corrupt_mutex(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    m.__data.__owner = 12345;
    pthread_mutex_lock(&m);
}

static void test_corrupt_owner_aborts(void **state)
{
    (void)state;
    assert_true(child_aborts(lock_corrupt_mutex));
}

static void test_destroyed(void **state)
{
    (void)state;
    pthread_mutex_t m;
    assert_int_equal(pthread_mutex_init(&m, NULL), 0);
    assert_int_equal(pthread_mutex_destroy(&m), 0);
    assert_int_equal(pthread_mutex_lock(&m), EINVAL);
    assert_int_equal(pthread_mutex_trylock(&m), EINVAL);
}

int main(void)
{
    alarm(60);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_unlock_wakes_waiter),
        cmocka_unit_test(test_signal_during_wait),
        cmocka_unit_test(test_exclusion_with_glibc_paths),
        cmocka_unit_test(test_corrupt_owner_aborts),
        cmocka_unit_test(test_corrupt_owner_after_wait_aborts),
        cmocka_unit_test(test_destroyed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
