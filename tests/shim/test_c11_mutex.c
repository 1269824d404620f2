/*
 * C11 mutexes under the shim's inline fast path: mtx_init(mtx_plain) gives glibc's normal type
 * with elision ruled out (__kind 512), which the shim takes inline like a default pthread mutex
 * (shim/glibc_mutex_fast.h). The fields after each operation, the wake of a blocked waiter and
 * what it owns then, mutual exclusion mixed with glibc's own paths (blocking, timed locks,
 * condition waits), a recursive mutex (glibc's path), and glibc's assertion on a corrupted mutex
 * must all be as without the shim. ctest runs this program natively and under LD_PRELOAD; both
 * must pass. Helper threads never call cmocka asserts; an alarm() turns a hang into a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mutex_test_util.h"

/* glibc's mtx_t is a pthread_mutex_t. */
static pthread_mutex_t *fields(mtx_t *m)
{
    return (pthread_mutex_t *)(void *)m;
}

static int lock_word(mtx_t *m)
{
    return __atomic_load_n(&fields(m)->__data.__lock, __ATOMIC_ACQUIRE);
}

static int trylock_fn(void *arg)
{
    return mtx_trylock(arg);
}

static void test_fields(void **state)
{
    (void)state;
    mtx_t m;
    assert_int_equal(mtx_init(&m, mtx_plain), thrd_success);
    assert_int_equal(mtx_lock(&m), thrd_success);
    assert_int_equal(fields(&m)->__data.__lock, 1);
    assert_int_equal(fields(&m)->__data.__owner, gettid());
    assert_int_equal(fields(&m)->__data.__nusers, 1);
    thrd_t t;
    int rc;
    assert_int_equal(thrd_create(&t, trylock_fn, &m), thrd_success);
    assert_int_equal(thrd_join(t, &rc), thrd_success);
    assert_int_equal(rc, thrd_busy);
    assert_int_equal(mtx_unlock(&m), thrd_success);
    assert_int_equal(fields(&m)->__data.__lock, 0);
    assert_int_equal(fields(&m)->__data.__owner, 0);
    assert_int_equal(fields(&m)->__data.__nusers, 0);
    assert_int_equal(mtx_trylock(&m), thrd_success);
    assert_int_equal(fields(&m)->__data.__owner, gettid());
    assert_int_equal(mtx_trylock(&m), thrd_busy); /* not recursive: no relock */
    assert_int_equal(mtx_unlock(&m), thrd_success);
    assert_int_equal(lock_word(&m), 0);
    mtx_destroy(&m);
}

/* What a thread saw right after its blocking mtx_lock of `m` returned. */
struct waiter {
    mtx_t *m;
    int rc, word, owner, nusers, errno_after, tid;
};

static int waiter_fn(void *arg)
{
    struct waiter *w = arg;
    w->tid = gettid();
    errno = 4321;
    w->rc = mtx_lock(w->m);
    w->errno_after = errno;
    w->word = lock_word(w->m);
    w->owner = fields(w->m)->__data.__owner;
    w->nusers = (int)fields(w->m)->__data.__nusers;
    if (w->rc == thrd_success)
        w->rc = mtx_unlock(w->m);
    return 0;
}

/* The owner's unlock must wake a thread that blocked in mtx_lock (lock word 2), which then owns
 * the mutex as glibc's wait leaves it: word 2, itself the owner, one user, errno untouched. */
static void test_unlock_wakes_waiter(void **state)
{
    (void)state;
    static mtx_t m;
    assert_int_equal(mtx_init(&m, mtx_plain), thrd_success);
    assert_int_equal(mtx_lock(&m), thrd_success);
    thrd_t t;
    struct waiter w = {.m = &m, .rc = -1};
    assert_int_equal(thrd_create(&t, waiter_fn, &w), thrd_success);
    for (int i = 0; i < 2000 && lock_word(&m) != 2; i++)
        sleep_ms(1);
    assert_int_equal(lock_word(&m), 2); /* the waiter is in the futex wait */
    sleep_ms(20);
    assert_int_equal(mtx_unlock(&m), thrd_success);
    assert_int_equal(thrd_join(t, NULL), thrd_success);
    assert_int_equal(w.rc, thrd_success);
    assert_int_equal(w.word, 2);
    assert_int_equal(w.owner, w.tid);
    assert_int_equal(w.nusers, 1);
    assert_int_equal(w.errno_after, 4321);
    assert_int_equal(lock_word(&m), 0);
    assert_int_equal(fields(&m)->__data.__nusers, 0);
    mtx_destroy(&m);
}

#define MIX_THREADS 4
#define MIX_ITERS 40000

static mtx_t mix_mutex;
static cnd_t mix_cond;
static long mix_counter; /* protected by mix_mutex */
static long mix_turns;   /* protected by mix_mutex */

/* Thread i takes the mutex four ways in turn: lock, trylock until it succeeds, timedlock, and a
 * condition wait (which releases and retakes it inside glibc). A lost update or a hang means
 * the inline path and glibc's disagree about the lock word. */
static int mix_fn(void *arg)
{
    long id = (long)(intptr_t)arg, bad = 0;
    for (long i = 0; i < MIX_ITERS; i++) {
        switch ((i + id) % 4) {
        case 0:
            bad += mtx_lock(&mix_mutex) != thrd_success;
            break;
        case 1:
            while (mtx_trylock(&mix_mutex) == thrd_busy)
                thrd_yield();
            break;
        case 2: {
            struct timespec ts = realtime_in_ns(0); /* TIME_UTC is CLOCK_REALTIME */
            ts.tv_sec += 10;
            bad += mtx_timedlock(&mix_mutex, &ts) != thrd_success;
            break;
        }
        default: {
            bad += mtx_lock(&mix_mutex) != thrd_success;
            struct timespec ts = realtime_in_ns(100000);
            int rc = cnd_timedwait(&mix_cond, &mix_mutex, &ts);
            bad += rc != thrd_success && rc != thrd_timedout;
            mix_turns++;
            break;
        }
        }
        long v = mix_counter;
        mix_counter = v + 1;
        if (i % 64 == 0)
            cnd_signal(&mix_cond);
        bad += mtx_unlock(&mix_mutex) != thrd_success;
    }
    return (int)bad;
}

static void test_exclusion_with_glibc_paths(void **state)
{
    (void)state;
    assert_int_equal(mtx_init(&mix_mutex, mtx_timed), thrd_success);
    assert_int_equal(cnd_init(&mix_cond), thrd_success);
    thrd_t t[MIX_THREADS];
    for (long i = 0; i < MIX_THREADS; i++)
        assert_int_equal(thrd_create(&t[i], mix_fn, (void *)(intptr_t)i), thrd_success);
    long bad = 0;
    for (int i = 0; i < MIX_THREADS; i++) {
        int rc;
        assert_int_equal(thrd_join(t[i], &rc), thrd_success);
        bad += rc;
    }
    assert_int_equal(bad, 0);
    assert_int_equal(mix_counter, (long)MIX_THREADS * MIX_ITERS);
    assert_int_equal(mix_turns, (long)MIX_THREADS * MIX_ITERS / 4);
    assert_int_equal(lock_word(&mix_mutex), 0);
    assert_int_equal(fields(&mix_mutex)->__data.__nusers, 0);
    cnd_destroy(&mix_cond);
    mtx_destroy(&mix_mutex);
}

/* A recursive C11 mutex is not a default one: glibc's own path, relocks and all. */
static void test_recursive(void **state)
{
    (void)state;
    mtx_t m;
    assert_int_equal(mtx_init(&m, mtx_plain | mtx_recursive), thrd_success);
    assert_int_equal(mtx_lock(&m), thrd_success);
    assert_int_equal(mtx_lock(&m), thrd_success);
    assert_int_equal(mtx_trylock(&m), thrd_success);
    assert_int_equal(fields(&m)->__data.__count, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mtx_unlock(&m), thrd_success);
    assert_int_equal(lock_word(&m), 0);
    assert_int_equal(fields(&m)->__data.__owner, 0);
    mtx_destroy(&m);
}

/* A free lock word with an owner: glibc asserts and aborts; so must the program under the
 * shim. */
static void lock_corrupt_mutex(void)
{
    mtx_t m;
    mtx_init(&m, mtx_plain);
    fields(&m)->__data.__owner = 12345;
    mtx_lock(&m);
}

static void test_corrupt_owner_aborts(void **state)
{
    (void)state;
    assert_true(child_aborts(lock_corrupt_mutex));
}

int main(void)
{
    alarm(60);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_unlock_wakes_waiter),
        cmocka_unit_test(test_exclusion_with_glibc_paths),
        cmocka_unit_test(test_recursive),
        cmocka_unit_test(test_corrupt_owner_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
