/*
 * deadlock_seed: the seed tutorial's deadlock example exactly as written, in C. Each thread takes
 * its first lock, sleeps 100 ms so the other thread surely takes its own first lock, then waits
 * for the second lock forever: this program REALLY DEADLOCKS and never exits. It is here for
 * live-deadlock work; never run it without a timeout, e.g.
 *     timeout 5 build/bin/lockwatch run -- build/demo/deadlock_seed
 * deadlock_abba.c is the staggered version that completes and still shows the bug.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void *thread_0(void *arg)
{
    (void)arg;
    printf("Thread 0 locking a\n");
    pthread_mutex_lock(&a);
    sleep_ms(100);
    printf("Thread 0 locking b\n");
    pthread_mutex_lock(&b); /* LINE:seed_t0_wait */
    printf("Thread 0 everything locked\n");
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    printf("Thread 1 locking b\n");
    pthread_mutex_lock(&b);
    sleep_ms(100);
    printf("Thread 1 locking a\n");
    pthread_mutex_lock(&a); /* LINE:seed_t1_wait */
    printf("Thread 1 everything locked\n");
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return NULL;
}

int main(void)
{
    pthread_t t0, t1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    printf("done (unreachable: the threads deadlock)\n");
    return 0;
}
