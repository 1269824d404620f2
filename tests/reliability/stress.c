/*
 * Stress programs for the recorder (tests/reliability/rel.sh, "stress" case), each ending with a
 * known number of lock-order inversions that the driver checks in the report:
 *   churn    threads create, lock and destroy mutexes in malloc'd memory that is freed and
 *            reused at once, so new locks keep landing on addresses of dead ones (one lock-order
 *            direction per lifetime: no inversion may appear), plus one real inversion.
 *   signals  threads take two nested locks in a loop while SIGALRM (setitimer) lands in them and
 *            in the joining main thread; the handler takes two nested locks of its own. No
 *            inversion.
 *   threads  10,000 short-lived threads, 16 at a time, each taking two nested locks in the same
 *            order; two of them (in the same batch) take another pair inverted. One inversion.
 * Prints "done" and exits 0 when everything completed; a hang is caught by the driver's timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "rel_util.h"

static pthread_mutex_t shared_s = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t real_p = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t real_q = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t nest_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t nest_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t handler_h1 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t handler_h2 = PTHREAD_MUTEX_INITIALIZER;
static rel_flag stagger;

static void die(const char *what)
{
    fprintf(stderr, "stress: %s failed\n", what);
    exit(90);
}

static void lock_pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
    if (pthread_mutex_lock(x) || pthread_mutex_lock(y))
        die("lock");
    if (pthread_mutex_unlock(y) || pthread_mutex_unlock(x))
        die("unlock");
}

/* Lock the real pair in one order (first) or, after the first is done, the other. */
static void real_inversion(int second)
{
    if (second) {
        rel_flag_wait(&stagger);
        lock_pair(&real_q, &real_p);
    } else {
        lock_pair(&real_p, &real_q);
        rel_flag_post(&stagger);
    }
}

/* ---- churn ---- */
#define CHURN_THREADS 4
#define CHURN_ROUNDS 4000

static void *churn_fn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    for (int i = 0; i < CHURN_ROUNDS; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t pad = (seed >> 16) % 4 * 16;
        char *mem = malloc(sizeof(pthread_mutex_t) + pad);
        if (!mem)
            die("malloc");
        pthread_mutex_t *m = (pthread_mutex_t *)(mem + pad);
        if (pthread_mutex_init(m, NULL))
            die("init");
        /* Each lifetime sees one direction only; dead and new locks share addresses. */
        if ((i + (int)(uintptr_t)arg) % 2)
            lock_pair(m, &shared_s);
        else
            lock_pair(&shared_s, m);
        if (pthread_mutex_destroy(m))
            die("destroy");
        free(mem);
    }
    if ((uintptr_t)arg < 2)
        real_inversion((int)(uintptr_t)arg);
    return NULL;
}

static int run_churn(void)
{
    pthread_t t[CHURN_THREADS];
    for (uintptr_t i = 0; i < CHURN_THREADS; i++)
        if (pthread_create(&t[i], NULL, churn_fn, (void *)i))
            die("pthread_create");
    for (int i = 0; i < CHURN_THREADS; i++)
        pthread_join(t[i], NULL);
    return 0;
}

/* ---- signals ---- */
#define SIG_THREADS 3
#define SIG_MIN_ROUNDS 20000
#define SIG_WANTED 300
static atomic_int handler_runs;

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    lock_pair(&handler_h1, &handler_h2);
    atomic_fetch_add(&handler_runs, 1);
    errno = saved;
}

static void *signal_fn(void *arg)
{
    (void)arg;
    for (long i = 0; i < SIG_MIN_ROUNDS || atomic_load(&handler_runs) < SIG_WANTED; i++)
        lock_pair(&nest_a, &nest_b);
    return NULL;
}

static int run_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL))
        die("sigaction");
    struct itimerval it = {{0, 200}, {0, 200}};
    if (setitimer(ITIMER_REAL, &it, NULL))
        die("setitimer");
    pthread_t t[SIG_THREADS];
    for (int i = 0; i < SIG_THREADS; i++)
        if (pthread_create(&t[i], NULL, signal_fn, NULL))
            die("pthread_create");
    for (int i = 0; i < SIG_THREADS; i++)
        if (pthread_join(t[i], NULL))
            die("pthread_join");
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("handler runs: %s\n", atomic_load(&handler_runs) >= SIG_WANTED ? "enough" : "few");
    return 0;
}

/* ---- threads ---- */
#define MANY_THREADS 10000
#define BATCH 16

static void *short_fn(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    lock_pair(&nest_a, &nest_b);
    if (i == 5000 || i == 5001)
        real_inversion(i == 5001);
    return NULL;
}

static int run_threads(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    for (uintptr_t base = 0; base < MANY_THREADS; base += BATCH) {
        pthread_t t[BATCH];
        for (uintptr_t k = 0; k < BATCH; k++)
            if (pthread_create(&t[k], &attr, short_fn, (void *)(base + k)))
                die("pthread_create");
        for (int k = 0; k < BATCH; k++)
            if (pthread_join(t[k], NULL))
                die("pthread_join");
    }
    pthread_attr_destroy(&attr);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc == 2 && !strcmp(argv[1], "churn"))
        rc = run_churn();
    else if (argc == 2 && !strcmp(argv[1], "signals"))
        rc = run_signals();
    else if (argc == 2 && !strcmp(argv[1], "threads"))
        rc = run_threads();
    else
        fprintf(stderr, "usage: %s churn|signals|threads\n", argv[0]);
    if (rc == 0)
        printf("done\n");
    return rc;
}
