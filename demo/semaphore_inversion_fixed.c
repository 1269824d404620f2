/*
 * semaphore_inversion_fixed: the same two lock-like semaphores taken in opposite orders, but the
 * threads are ordered by a third semaphore used as a *signal*: thread_0 takes s1 then s2, lets
 * both go and posts `done`; thread_1 waits for `done` before it takes s2 then s1. thread_1's
 * inverted order can only start after thread_0 has released everything, so this cannot deadlock.
 * lockwatch sees the handoff (a post consumed by another thread's wait orders the two) and
 * reports nothing; `--all` shows the cycle as harmless, "ordered by a semaphore handoff".
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t s1, s2, done;

static void *thread_0(void *arg)
{
    (void)arg;
    sem_wait(&s1); /* LINE:t0_wait_s1 */
    sem_wait(&s2); /* LINE:t0_wait_s2 */
    sem_post(&s2);
    sem_post(&s1);
    sem_post(&done); /* the handoff: everything above happens before thread_1's locks */
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    sem_wait(&done);
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
    sem_init(&done, 0, 0);
    pthread_t t0, t1;
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    sem_destroy(&done);
    sem_destroy(&s2);
    sem_destroy(&s1);
    puts("semaphore_inversion_fixed: done");
    return 0;
}
