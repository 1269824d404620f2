/*
 * semaphore_inversion: two binary semaphores used as locks (each thread waits, then posts the
 * semaphore itself), taken in opposite orders by two threads. thread_0 waits s1 then s2;
 * thread_1, 100 ms later, waits s2 then s1. The stagger lets the run finish, but on an unlucky
 * day each thread holds one semaphore and waits for the other for ever. lockwatch learns that
 * s1 and s2 are locks from the post by the waiting thread and reports one lock-order inversion.
 * See semaphore_inversion_fixed.c for a version where a semaphore *handoff* orders the threads.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

static sem_t s1, s2;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void *thread_0(void *arg)
{
    (void)arg;
    sem_wait(&s1); /* LINE:t0_wait_s1 */
    sem_wait(&s2); /* LINE:t0_wait_s2 */
    sem_post(&s2);
    sem_post(&s1);
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    sleep_ms(100); /* the stagger that lets this run finish */
    sem_wait(&s2); /* LINE:t1_wait_s2 */
    sem_wait(&s1); /* LINE:t1_wait_s1 */
    sem_post(&s1);
    sem_post(&s2);
    return NULL;
}

int main(void)
{
    sem_init(&s1, 0, 1);
    sem_init(&s2, 0, 1);
    pthread_t t0, t1;
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    sem_destroy(&s2);
    sem_destroy(&s1);
    puts("semaphore_inversion: done");
    return 0;
}
