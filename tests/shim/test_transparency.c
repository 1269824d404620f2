/*
 * Shim transparency: the pthread functions lockwatch interposes must behave exactly as glibc's,
 * return values, errno and all. ctest runs this program twice, natively and under
 * LD_PRELOAD=liblockwatch.so, and both runs must pass. Helper threads never call cmocka asserts
 * (they are not thread-safe); they report results back to the main thread, which checks them.
 * An alarm() watchdog turns a hang into a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define TIMEOUT_NS (50 * 1000000L)

/* Runs fn(arg) in a new thread and returns what it returned, as an int. */
static int in_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    void *ret = NULL;
    assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    return (int)(intptr_t)ret;
}

static struct timespec deadline_after(clockid_t clock, long ns)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_nsec += ns;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static void *trylock_fn(void *arg)
{
    return (void *)(intptr_t)pthread_mutex_trylock(arg);
}

static void *unlock_fn(void *arg)
{
    return (void *)(intptr_t)pthread_mutex_unlock(arg);
}

/* Trylock, and unlock again when that succeeded: tells whether the mutex was free. */
static void *trylock_unlock_fn(void *arg)
{
    int rc = pthread_mutex_trylock(arg);
    if (rc == 0)
        pthread_mutex_unlock(arg);
    return (void *)(intptr_t)rc;
}

static void *timedlock_fn(void *arg)
{
    struct timespec ts = deadline_after(CLOCK_REALTIME, TIMEOUT_NS);
    return (void *)(intptr_t)pthread_mutex_timedlock(arg, &ts);
}

static void test_trylock_busy(void **state)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    (void)state;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(pthread_mutex_trylock(&m), EBUSY);
    assert_int_equal(in_thread(trylock_fn, &m), EBUSY);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    /* Free again: trylock succeeds. */
    assert_int_equal(pthread_mutex_trylock(&m), 0);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(pthread_mutex_destroy(&m), 0);
}

static void test_timedlock_timeout(void **state)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    (void)state;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(in_thread(timedlock_fn, &m), ETIMEDOUT);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    struct timespec ts = deadline_after(CLOCK_REALTIME, TIMEOUT_NS);
    assert_int_equal(pthread_mutex_timedlock(&m, &ts), 0);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
}

static void init_typed(pthread_mutex_t *m, int type)
{
    pthread_mutexattr_t attr;
    assert_int_equal(pthread_mutexattr_init(&attr), 0);
    assert_int_equal(pthread_mutexattr_settype(&attr, type), 0);
    assert_int_equal(pthread_mutex_init(m, &attr), 0);
    assert_int_equal(pthread_mutexattr_destroy(&attr), 0);
}

static void test_errorcheck(void **state)
{
    pthread_mutex_t m;
    (void)state;
    init_typed(&m, PTHREAD_MUTEX_ERRORCHECK);
    assert_int_equal(pthread_mutex_unlock(&m), EPERM); /* not locked */
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(pthread_mutex_lock(&m), EDEADLK); /* relock by the owner */
    assert_int_equal(in_thread(unlock_fn, &m), EPERM); /* unlock by a non-owner */
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(pthread_mutex_unlock(&m), EPERM); /* unlocked again */
    assert_int_equal(pthread_mutex_destroy(&m), 0);
}

static void test_recursive(void **state)
{
    pthread_mutex_t m;
    (void)state;
    init_typed(&m, PTHREAD_MUTEX_RECURSIVE);
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(pthread_mutex_trylock(&m), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(in_thread(trylock_fn, &m), EBUSY); /* still held */
        assert_int_equal(pthread_mutex_unlock(&m), 0);
    }
    assert_int_equal(pthread_mutex_unlock(&m), EPERM); /* one unlock too many */
    /* Now really free: a trylock in another thread succeeds. */
    assert_int_equal(in_thread(trylock_unlock_fn, &m), 0);
    assert_int_equal(pthread_mutex_destroy(&m), 0);
}

static void *errno_thread(void *arg)
{
    (void)arg;
    errno = 777;
    return (void *)(intptr_t)errno;
}

static void test_errno_preserved(void **state)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_t t;
    void *ret;
    (void)state;
    errno = 12345;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(errno, 12345);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(errno, 12345);
    assert_int_equal(pthread_mutex_trylock(&m), 0);
    assert_int_equal(errno, 12345);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(pthread_create(&t, NULL, errno_thread, NULL), 0);
    assert_int_equal(errno, 12345);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_int_equal(errno, 12345);
    assert_int_equal((int)(intptr_t)ret, 777); /* the thread's own errno was its own */
}

static void *return_arg(void *arg)
{
    return arg;
}

static void *exit_with_arg(void *arg)
{
    pthread_exit(arg);
    return NULL;
}

static void test_create_join_values(void **state)
{
    pthread_t t;
    void *ret = NULL;
    int token;
    (void)state;
    assert_int_equal(pthread_create(&t, NULL, return_arg, &token), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_ptr_equal(ret, &token);
    assert_int_equal(pthread_create(&t, NULL, exit_with_arg, (void *)(intptr_t)0x5eed), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_ptr_equal(ret, (void *)(intptr_t)0x5eed);
    /* Error returns pass through too. */
    assert_int_equal(pthread_join(pthread_self(), NULL), EDEADLK);
    pthread_attr_t attr;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED), 0);
    assert_int_equal(pthread_create(&t, &attr, return_arg, NULL), 0);
    assert_int_equal(pthread_attr_destroy(&attr), 0);
    /* (joining a detached thread is undefined, so it is not tried) */
}

static atomic_int detached_done;

static void *detached_fn(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    pthread_mutex_unlock(m);
    atomic_fetch_add(&detached_done, 1);
    return NULL;
}

static void test_detach(void **state)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_t t[4];
    (void)state;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, detached_fn, &m), 0);
        assert_int_equal(pthread_detach(t[i]), 0);
    }
    while (atomic_load(&detached_done) < 4) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(atomic_load(&detached_done), 4);
}

static void test_reinit_same_address(void **state)
{
    pthread_mutex_t m;
    (void)state;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(pthread_mutex_init(&m, NULL), 0);
        assert_int_equal(pthread_mutex_lock(&m), 0);
        assert_int_equal(pthread_mutex_unlock(&m), 0);
        assert_int_equal(pthread_mutex_destroy(&m), 0);
        /* Same address, new type: the new lifetime must behave as an errorcheck mutex. */
        init_typed(&m, PTHREAD_MUTEX_ERRORCHECK);
        assert_int_equal(pthread_mutex_lock(&m), 0);
        assert_int_equal(pthread_mutex_lock(&m), EDEADLK);
        assert_int_equal(pthread_mutex_unlock(&m), 0);
        assert_int_equal(pthread_mutex_destroy(&m), 0);
    }
}

#define MANY_THREADS 200
static atomic_int many_count;

static void *many_fn(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    atomic_fetch_add(&many_count, 1);
    pthread_mutex_unlock(m);
    return (void *)(intptr_t)1;
}

static void test_many_threads(void **state)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static pthread_t t[MANY_THREADS];
    pthread_attr_t attr;
    int joined = 0;
    (void)state;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
    for (int i = 0; i < MANY_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], &attr, many_fn, &m), 0);
    for (int i = 0; i < MANY_THREADS; i++) {
        void *ret = NULL;
        assert_int_equal(pthread_join(t[i], &ret), 0);
        joined += (int)(intptr_t)ret;
    }
    assert_int_equal(pthread_attr_destroy(&attr), 0);
    assert_int_equal(joined, MANY_THREADS);
    assert_int_equal(atomic_load(&many_count), MANY_THREADS);
}

static pthread_mutex_t handler_mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t handler_runs;

static void lock_in_handler(int sig)
{
    (void)sig;
    int saved = errno;
    pthread_mutex_lock(&handler_mutex);
    handler_runs++;
    pthread_mutex_unlock(&handler_mutex);
    errno = saved;
}

static atomic_int spinner_stop;

static void *lock_spinner(void *arg)
{
    pthread_mutex_t *m = arg;
    while (!atomic_load(&spinner_stop)) {
        pthread_mutex_lock(m);
        pthread_mutex_unlock(m);
    }
    return NULL;
}

static void test_lock_in_signal_handler(void **state)
{
    static pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
    struct sigaction sa, old;
    pthread_t t;
    (void)state;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = lock_in_handler;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);

    /* In this thread, while holding another mutex. */
    assert_int_equal(pthread_mutex_lock(&other), 0);
    assert_int_equal(raise(SIGUSR1), 0);
    assert_int_equal(pthread_mutex_unlock(&other), 0);
    assert_int_equal(handler_runs, 1);

    /* In a thread busy locking and unlocking another mutex (the handler lands anywhere in it). */
    atomic_store(&spinner_stop, 0);
    assert_int_equal(pthread_create(&t, NULL, lock_spinner, &other), 0);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(pthread_kill(t, SIGUSR1), 0);
        struct timespec ts = {0, 100000L};
        nanosleep(&ts, NULL);
    }
    atomic_store(&spinner_stop, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(handler_runs >= 2); /* signals may merge while pending, but some landed */
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
}

static void *fork_child_thread(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    pthread_mutex_unlock(m);
    return (void *)(intptr_t)7;
}

static void test_fork_in_threaded_process(void **state)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static pthread_mutex_t spin = PTHREAD_MUTEX_INITIALIZER;
    pthread_t t;
    int status = 0;
    (void)state;
    atomic_store(&spinner_stop, 0);
    assert_int_equal(pthread_create(&t, NULL, lock_spinner, &spin), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Child: only this thread survives. Any hang becomes SIGALRM, i.e. a failure. */
        alarm(10);
        pthread_t ct;
        void *ret = NULL;
        if (pthread_mutex_lock(&m) != 0 || pthread_mutex_unlock(&m) != 0)
            _exit(3);
        if (pthread_create(&ct, NULL, fork_child_thread, &m) != 0)
            _exit(4);
        if (pthread_join(ct, &ret) != 0 || ret != (void *)(intptr_t)7)
            _exit(5);
        exit(42); /* the normal exit path, atexit handlers and all */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    atomic_store(&spinner_stop, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
    /* The parent still works too. */
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
}

#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 30)
static void *clocklock_fn(void *arg)
{
    struct timespec ts = deadline_after(CLOCK_MONOTONIC, TIMEOUT_NS);
    return (void *)(intptr_t)pthread_mutex_clocklock(arg, CLOCK_MONOTONIC, &ts);
}

static void test_clocklock_timeout(void **state)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    (void)state;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(in_thread(clocklock_fn, &m), ETIMEDOUT);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    struct timespec ts = deadline_after(CLOCK_MONOTONIC, TIMEOUT_NS);
    assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts), 0);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
}
#else
static void test_clocklock_timeout(void **state)
{
    (void)state;
    skip();
}
#endif

struct cond_ctx {
    pthread_mutex_t m;
    pthread_cond_t c;
    int ready;
};

static void *cond_signaller(void *arg)
{
    struct cond_ctx *x = arg;
    pthread_mutex_lock(&x->m);
    x->ready = 1;
    pthread_cond_signal(&x->c);
    pthread_mutex_unlock(&x->m);
    return NULL;
}

static void test_condvar(void **state)
{
    struct cond_ctx x = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t t;
    (void)state;
    assert_int_equal(pthread_mutex_lock(&x.m), 0);
    struct timespec ts = deadline_after(CLOCK_REALTIME, TIMEOUT_NS);
    assert_int_equal(pthread_cond_timedwait(&x.c, &x.m, &ts), ETIMEDOUT);
    assert_int_equal(in_thread(trylock_fn, &x.m), EBUSY); /* re-acquired on return */
    assert_int_equal(pthread_create(&t, NULL, cond_signaller, &x), 0);
    while (!x.ready)
        assert_int_equal(pthread_cond_wait(&x.c, &x.m), 0);
    assert_int_equal(in_thread(trylock_fn, &x.m), EBUSY);
    assert_int_equal(pthread_mutex_unlock(&x.m), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* free, realloc and reallocarray (interposed to forget the locks in freed memory) keep glibc's
 * results: errno untouched by free, realloc's NULL and zero-size cases, contents kept when a
 * block moves, reallocarray's overflow check; a mutex in a freed block and another one at the
 * same address afterwards both work. */
static void test_heap_functions(void **state)
{
    (void)state;
    errno = 1234;
    free(NULL);
    free(malloc(10));
    assert_int_equal(errno, 1234);

    char *p = realloc(NULL, 16); /* realloc(NULL, n) is malloc(n) */
    assert_non_null(p);
    memcpy(p, "lockwatch", 10);
    p = realloc(p, 1 << 20); /* moves (mmap'd): contents kept */
    assert_non_null(p);
    assert_string_equal(p, "lockwatch");
    errno = 0;
    assert_null(realloc(p, 0)); /* glibc frees and returns NULL */

    errno = 0;
    volatile size_t huge = SIZE_MAX / 2; /* not a constant: the compiler would reject the call */
    assert_null(reallocarray(NULL, huge, 3));
    assert_int_equal(errno, ENOMEM);
    int *a = reallocarray(NULL, 4, sizeof *a);
    assert_non_null(a);
    a[3] = 7;
    a = reallocarray(a, 100000, sizeof *a);
    assert_non_null(a);
    assert_int_equal(a[3], 7);
    free(a);

    for (int round = 0; round < 3; round++) {
        pthread_mutex_t *m = malloc(sizeof *m);
        assert_non_null(m);
        static const pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
        memcpy(m, &init, sizeof init);
        assert_int_equal(pthread_mutex_lock(m), 0);
        assert_int_equal(pthread_mutex_trylock(m), EBUSY);
        assert_int_equal(pthread_mutex_unlock(m), 0);
        free(m);
    }
}

/* munmap and mremap (interposed: a mapping given back ends its locks): results and errno. */
static void test_mapping_functions(void **state)
{
    (void)state;
    long page = sysconf(_SC_PAGESIZE);
    char *p =
        mmap(NULL, 4 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    pthread_mutex_t *m = (pthread_mutex_t *)(void *)p;
    pthread_mutex_init(m, NULL);
    assert_int_equal(pthread_mutex_lock(m), 0);
    assert_int_equal(pthread_mutex_unlock(m), 0);
    p[page] = 'x';

    errno = 0;
    assert_int_equal(munmap(p + 1, (size_t)page), -1); /* not page aligned */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_true(mremap(p, (size_t)page, 0, 0) == MAP_FAILED); /* a new size of 0 */
    assert_int_equal(errno, EINVAL);

    /* Shrink in place, grow with a move: contents kept. */
    errno = 1234;
    assert_ptr_equal(mremap(p, 4 * (size_t)page, 2 * (size_t)page, 0), p);
    char *q = mremap(p, 2 * (size_t)page, 64 * (size_t)page, MREMAP_MAYMOVE);
    assert_true(q != MAP_FAILED);
    assert_int_equal(q[page], 'x');
    /* MREMAP_FIXED: the fifth argument reaches the kernel. */
    char *to = mmap(NULL, 64 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(to != MAP_FAILED);
    assert_ptr_equal(
        mremap(q, 64 * (size_t)page, 64 * (size_t)page, MREMAP_MAYMOVE | MREMAP_FIXED, to), to);
    assert_int_equal(to[page], 'x');
    assert_int_equal(munmap(to, 64 * (size_t)page), 0);
    assert_int_equal(errno, 1234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trylock_busy),
        cmocka_unit_test(test_timedlock_timeout),
        cmocka_unit_test(test_errorcheck),
        cmocka_unit_test(test_recursive),
        cmocka_unit_test(test_errno_preserved),
        cmocka_unit_test(test_create_join_values),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_reinit_same_address),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_lock_in_signal_handler),
        cmocka_unit_test(test_fork_in_threaded_process),
        cmocka_unit_test(test_clocklock_timeout),
        cmocka_unit_test(test_condvar),
        cmocka_unit_test(test_heap_functions),
        cmocka_unit_test(test_mapping_functions),
    };
    alarm(60); /* a hang is a failure, not a stuck test run */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
