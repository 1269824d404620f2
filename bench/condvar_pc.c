/*
 * Condition-variable producer/consumer: PRODUCERS threads push ITEMS items in total through a
 * bounded queue (64 slots) guarded by one mutex and two condition variables (not_full,
 * not_empty) to as many consumer threads, the textbook pattern of worker pools. Prints one line
 * of key=value fields; ns_per_op is wall time per item moved through the queue.
 * Usage: condvar_pc PRODUCERS ITEMS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define QCAP 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long queue[QCAP];
static unsigned head, count;
static long per_thread;

static void *producer(void *arg)
{
    (void)arg;
    for (long i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&mu);
        while (count == QCAP)
            pthread_cond_wait(&not_full, &mu);
        queue[(head + count++) % QCAP] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long sum = 0;
    for (long i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&mu);
        while (count == 0)
            pthread_cond_wait(&not_empty, &mu);
        sum += queue[head];
        head = (head + 1) % QCAP;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&mu);
    }
    *(long *)arg = sum;
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
    int n = argc == 3 ? atoi(argv[1]) : 0;
    long items = argc == 3 ? atol(argv[2]) : 0;
    if (n < 1 || n > 64 || items < n) {
        fprintf(stderr, "usage: condvar_pc PRODUCERS(1-64) ITEMS\n");
        return 2;
    }
    per_thread = items / n;
    pthread_t p[64], c[64];
    long sums[64];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (pthread_create(&c[i], NULL, consumer, &sums[i]) != 0 ||
            pthread_create(&p[i], NULL, producer, NULL) != 0)
            return 1;
    }
    for (int i = 0; i < n; i++) {
        pthread_join(p[i], NULL);
        pthread_join(c[i], NULL);
    }
    double wall = now_s() - t0;
    long moved = per_thread * n;
    printf("condvar_pc producers=%d consumers=%d items=%ld wall_s=%.4f ns_per_op=%.1f\n", n, n,
           moved, wall, wall * 1e9 / (double)moved);
    return 0;
}
