/*
 * Scale checks for the recorder: workloads that break tools with fixed caps. Each prints one
 * line of key=value fields and exits 0 when the program itself ran correctly; bench/run runs it
 * natively and under lockwatch and then checks the log (report, dropped records).
 *   scale threads N     N short-lived threads (8 alive at a time), each takes two nested locks
 *   scale live_locks N  N mutexes initialised and alive together, each locked once while an
 *                       anchor mutex is held (N distinct lock-order edges)
 *   scale held N        one thread holds N mutexes at once, then acquires one more
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAVE 8

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *short_lived(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return NULL;
}

static int many_threads(long n)
{
    pthread_t t[WAVE];
    for (long done = 0; done < n;) {
        int k = n - done < WAVE ? (int)(n - done) : WAVE;
        for (int i = 0; i < k; i++)
            if (pthread_create(&t[i], NULL, short_lived, NULL) != 0)
                return 1;
        for (int i = 0; i < k; i++)
            pthread_join(t[i], NULL);
        done += k;
    }
    return 0;
}

static int live_locks(long n)
{
    pthread_mutex_t anchor = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t *m = calloc((size_t)n, sizeof *m);
    if (!m)
        return 1;
    for (long i = 0; i < n; i++)
        if (pthread_mutex_init(&m[i], NULL) != 0)
            return 1;
    pthread_mutex_lock(&anchor);
    for (long i = 0; i < n; i++) {
        if (pthread_mutex_lock(&m[i]) != 0)
            return 1;
        pthread_mutex_unlock(&m[i]);
    }
    pthread_mutex_unlock(&anchor);
    for (long i = 0; i < n; i++)
        pthread_mutex_destroy(&m[i]);
    free(m);
    return 0;
}

static int held(long n)
{
    pthread_mutex_t *m = calloc((size_t)n + 1, sizeof *m);
    if (!m)
        return 1;
    for (long i = 0; i <= n; i++)
        pthread_mutex_init(&m[i], NULL);
    for (long i = 0; i < n; i++)
        if (pthread_mutex_lock(&m[i]) != 0)
            return 1;
    if (pthread_mutex_lock(&m[n]) != 0) /* the one more */
        return 1;
    for (long i = n + 1; i-- > 0;)
        pthread_mutex_unlock(&m[i]);
    for (long i = 0; i <= n; i++)
        pthread_mutex_destroy(&m[i]);
    free(m);
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc == 3 ? atol(argv[2]) : 0;
    int (*check)(long) = NULL;
    if (n > 0 && strcmp(argv[1], "threads") == 0)
        check = many_threads;
    else if (n > 0 && strcmp(argv[1], "live_locks") == 0)
        check = live_locks;
    else if (n > 0 && strcmp(argv[1], "held") == 0)
        check = held;
    if (!check) {
        fprintf(stderr, "usage: scale threads|live_locks|held N\n");
        return 2;
    }
    double t0 = now_s();
    int rc = check(n);
    printf("scale check=%s n=%ld wall_s=%.3f result=%s\n", argv[1], n, now_s() - t0,
           rc ? "failed" : "ok");
    return rc;
}
