/*
 * dining_philosophers: five philosophers around a table, one fork (mutex) between each pair.
 * Every philosopher picks up the left fork, then the right one. If all five pick up their left
 * fork at the same moment, each waits forever for a right fork: a five-lock cycle
 * fork0 -> fork1 -> fork2 -> fork3 -> fork4 -> fork0. Here the philosophers are staggered in
 * time (every meal has its own 20 ms slot), so the run completes,
 * but the cyclic order is recorded and `lockwatch run -- build/demo/dining_philosophers` reports
 * one lock-order inversion over the five forks. dining_philosophers_fixed.c is the fix.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define N_PHILOSOPHERS 5
#define MEALS 2
#define SLOT_MS 20

static pthread_mutex_t forks[N_PHILOSOPHERS];
static struct timespec start;

/* Sleeps until `slot` * SLOT_MS after the common start time. */
static void wait_for_slot(int slot)
{
    struct timespec t = start;
    long ns = t.tv_nsec + (long)slot * SLOT_MS * 1000000L;
    t.tv_sec += ns / 1000000000L;
    t.tv_nsec = ns % 1000000000L;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) != 0) {
    }
}

static void *philosopher(void *arg)
{
    int i = (int)(long)arg;
    int left = i;
    int right = (i + 1) % N_PHILOSOPHERS;
    for (int meal = 0; meal < MEALS; meal++) {
        /* The stagger: each meal has its own time slot, so no two philosophers ever compete. */
        wait_for_slot(meal * N_PHILOSOPHERS + i);
        pthread_mutex_lock(&forks[left]);
        pthread_mutex_lock(&forks[right]);
        printf("Philosopher %d eats with forks %d and %d\n", i, left, right);
        pthread_mutex_unlock(&forks[right]);
        pthread_mutex_unlock(&forks[left]);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[N_PHILOSOPHERS];
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < N_PHILOSOPHERS; i++)
        pthread_mutex_init(&forks[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < N_PHILOSOPHERS; i++)
        pthread_create(&t[i], NULL, philosopher, (void *)(long)i);
    for (int i = 0; i < N_PHILOSOPHERS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N_PHILOSOPHERS; i++)
        pthread_mutex_destroy(&forks[i]);
    printf("done: everybody ate, but the fork order forms a cycle\n");
    return 0;
}
