/*
 * deadlock_abba_fixed: the fix for deadlock_abba.c, as the seed tutorial advises ("always lock
 * in a consistent order"). Both threads take a before b, so no lock-order inversion exists and
 * `lockwatch run -- build/demo/deadlock_abba_fixed` reports nothing (exit status 0).
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
    printf("Thread 0 locking b\n");
    pthread_mutex_lock(&b);
    printf("Thread 0 everything locked\n");
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    sleep_ms(100);
    /* The fix: the same order as thread_0 (a, then b). */
    printf("Thread 1 locking a\n");
    pthread_mutex_lock(&a);
    printf("Thread 1 locking b\n");
    pthread_mutex_lock(&b);
    printf("Thread 1 everything locked\n");
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
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
    printf("done: both threads locked a before b\n");
    return 0;
}
