/*
 * e2e program: five dining philosophers, each taking the left fork then the right one, staggered
 * (e2e_util.h) so the run completes. Expected: exactly one lock-order inversion over the five
 * forks, whose five edges are all "held left fork, acquiring right fork" at the LINE markers.
 */
#include <pthread.h>

#include "e2e_util.h"

#define N 5

static pthread_mutex_t forks[N];

static void *philosopher(void *arg)
{
    int i = (int)(long)arg;
    e2e_wait_steps(i);                       /* philosophers eat one after the other */
    pthread_mutex_lock(&forks[i]);           /* LINE:left */
    pthread_mutex_lock(&forks[(i + 1) % N]); /* LINE:right */
    pthread_mutex_unlock(&forks[(i + 1) % N]);
    pthread_mutex_unlock(&forks[i]);
    e2e_step_done();
    return NULL;
}

int main(void)
{
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        pthread_mutex_init(&forks[i], NULL);
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, philosopher, (void *)(long)i);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    return 0;
}
