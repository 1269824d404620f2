/*
 * dining_philosophers_fixed: the fix for dining_philosophers.c by resource ordering. The forks
 * are numbered and every philosopher picks up the lower-numbered of its two forks first, so all
 * acquisitions follow one global order and no cycle can form: `lockwatch run --
 * build/demo/dining_philosophers_fixed` reports nothing (exit status 0).
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
    /* The fix (resource ordering): always pick up the lower-numbered fork first. Philosopher 4
     * now takes fork 0 before fork 4, which breaks the cycle. */
    int left = i;
    int right = (i + 1) % N_PHILOSOPHERS;
    int first = left < right ? left : right;
    int second = left < right ? right : left;
    for (int meal = 0; meal < MEALS; meal++) {
        /* The stagger: each meal has its own time slot, so no two philosophers ever compete. */
        wait_for_slot(meal * N_PHILOSOPHERS + i);
        pthread_mutex_lock(&forks[first]);
        pthread_mutex_lock(&forks[second]);
        printf("Philosopher %d eats with forks %d and %d\n", i, left, right);
        pthread_mutex_unlock(&forks[second]);
        pthread_mutex_unlock(&forks[first]);
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
    printf("done: everybody ate, forks always taken in ascending order\n");
    return 0;
}
