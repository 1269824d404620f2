/*
 * counter_race.c fixed with C11 atomics: atomic_fetch_add makes each increment one indivisible
 * operation, so none is lost and lockwatch's race mode reports nothing (atomic accesses never
 * race with each other).
 *
 * Usage: counter_atomic [threads [increments]]   (default 3 threads, 5000 increments each)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

_Atomic int counter = 10;

static int increments = 5000;

static void *increment(void *arg)
{
    (void)arg;
    for (int i = 0; i < increments; i++)
        atomic_fetch_add(&counter, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 3;
    if (argc > 2)
        increments = atoi(argv[2]);
    if (threads < 1 || threads > 64 || increments < 0) {
        fprintf(stderr, "usage: counter_atomic [threads (1-64) [increments]]\n");
        return 2;
    }
    pthread_t t[64];
    printf("Before thread start: %d\n", atomic_load(&counter));
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, increment, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    int total = atomic_load(&counter);
    printf("After thread finish: %d (expected %d)\n", total, 10 + threads * increments);
    return total == 10 + threads * increments ? 0 : 1;
}
