/*
 * The seed's thread-safety example in C: several threads each read a shared counter and store
 * the value plus one (current_value = counter; counter = current_value + 1). Nothing protects
 * the read-modify-write, so two threads can read the same value and an increment is lost. Built
 * in race mode (build/demo/tsan/counter_race) lockwatch reports one unprotected-increment on
 * 'counter'; counter_mutex.c and counter_atomic.c are the two fixes.
 *
 * Usage: counter_race [threads [increments]]   (default 3 threads, 5000 increments each)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

int counter = 10;

static int increments = 5000;

static void *increment(void *arg)
{
    (void)arg;
    for (int i = 0; i < increments; i++) { /* race: loop (gcc -O1 may put the accesses here) */
        int current_value = counter;       /* race: read */
        counter = current_value + 1;       /* race: write */
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 3;
    if (argc > 2)
        increments = atoi(argv[2]);
    if (threads < 1 || threads > 64 || increments < 0) {
        fprintf(stderr, "usage: counter_race [threads (1-64) [increments]]\n");
        return 2;
    }
    pthread_t t[64];
    printf("Before thread start: %d\n", counter);
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, increment, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("After thread finish: %d (expected %d)\n", counter, 10 + threads * increments);
    return 0;
}
