/*
 * e2e deadlock test: main holds lock `l` and joins a thread that needs `l`. Main waits for the
 * thread to end, the thread waits for main to unlock: a wait-for cycle through a join.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t l = PTHREAD_MUTEX_INITIALIZER;

static void *needs_l(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&l); /* LINE:worker_wait */
    pthread_mutex_unlock(&l);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_lock(&l);
    pthread_create(&t, NULL, needs_l, NULL);
    pthread_join(t, NULL); /* LINE:main_join */
    pthread_mutex_unlock(&l);
    puts("unreachable: main joins a thread that waits for main's lock");
    return 0;
}
