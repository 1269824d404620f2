/*
 * counter_race.c fixed with a mutex: every read-modify-write of 'counter' happens while
 * holding 'counter_lock', so no increment is lost and lockwatch's race mode reports nothing.
 *
 * Usage: counter_mutex [threads [increments]]   (default 3 threads, 5000 increments each)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

int counter = 10;
pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static int increments = 5000;

static void *increment(void *arg)
{
    (void)arg;
    for (int i = 0; i < increments; i++) {
        pthread_mutex_lock(&counter_lock);
        int current_value = counter;
        counter = current_value + 1;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 3;
    if (argc > 2)
        increments = atoi(argv[2]);
    if (threads < 1 || threads > 64 || increments < 0) {
        fprintf(stderr, "usage: counter_mutex [threads (1-64) [increments]]\n");
        return 2;
    }
    pthread_t t[64];
    printf("Before thread start: %d\n", counter);
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, increment, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("After thread finish: %d (expected %d)\n", counter, 10 + threads * increments);
    return counter == 10 + threads * increments ? 0 : 1;
}
