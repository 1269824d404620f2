/*
 * e2e deadlock test: a thread locks a normal (non-recursive) mutex it already holds. lockwatch
 * must report it at once, before the thread blocks, as a deadlock with subkind self-relock.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *relocker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_mutex_lock(&m); /* LINE:relock */
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, relocker, NULL);
    pthread_join(t, NULL);
    puts("unreachable: the thread relocks its own mutex");
    return 0;
}
