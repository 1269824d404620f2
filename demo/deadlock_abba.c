/*
 * deadlock_abba: the seed tutorial's two-lock deadlock, ported to C and staggered so that it
 * finishes. thread_0 takes a then b; thread_1 takes b then a. Both threads are alive at the same
 * time and nothing orders them, but thread_1 first sleeps 100 ms, so thread_0 has released both
 * locks before thread_1 starts: the run completes, yet the inverted order a -> b / b -> a is on
 * record and `lockwatch run -- build/demo/deadlock_abba` reports it as a potential deadlock.
 * See deadlock_abba_fixed.c for the fix and deadlock_seed.c for the version that really hangs.
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
    /* The stagger: without it the two threads could really deadlock (see deadlock_seed.c). */
    sleep_ms(100);
    printf("Thread 1 locking b\n");
    pthread_mutex_lock(&b);
    printf("Thread 1 locking a\n");
    pthread_mutex_lock(&a);
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
    printf("done: no deadlock this time, but the lock order was inverted\n");
    return 0;
}
