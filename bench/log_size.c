/*
 * log_size benchmark: 10 million lock/unlock pairs over the same two nested mutexes (lock a;
 * lock b; unlock b; unlock a), split over 2 threads. The lock-order edge a -> b is the same every
 * time, so under lockwatch the log must stay small (the e2e.log_size test asserts < 1 MiB):
 * the log grows with distinct edges and stacks, not with lock operations. Prints the number of
 * pair operations and the elapsed wall time. Usage: log_size [TOTAL_PAIRS].
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N_THREADS 2
#define DEFAULT_PAIRS 10000000L

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    long n = *(const long *)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&a);
        pthread_mutex_lock(&b);
        pthread_mutex_unlock(&b);
        pthread_mutex_unlock(&a);
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : DEFAULT_PAIRS;
    long share[N_THREADS];
    pthread_t t[N_THREADS];
    if (total <= 0) {
        fprintf(stderr, "usage: log_size [TOTAL_PAIRS > 0]\n");
        return 2;
    }
    for (int i = 0; i < N_THREADS; i++)
        share[i] = total / N_THREADS + (i < total % N_THREADS ? 1 : 0);
    double start = now_s();
    for (int i = 0; i < N_THREADS; i++) {
        if (pthread_create(&t[i], NULL, worker, &share[i]) != 0) {
            fprintf(stderr, "log_size: pthread_create failed\n");
            return 1;
        }
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(t[i], NULL);
    double elapsed = now_s() - start;
    printf("log_size: %ld ops (nested lock pairs) on %d threads in %.3f s (%.1f ns/op)\n", total,
           N_THREADS, elapsed, elapsed * 1e9 / (double)total);
    return 0;
}
