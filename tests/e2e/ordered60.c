/*
 * e2e program: 60 mutexes, always taken nested in one global (ascending index) order by three
 * concurrent threads with different subsets: no lock-order inversion may be reported, even
 * though up to 59 locks are held at once. With the argument "invert", a fourth thread, once the
 * workers are done, takes
 * lock 1 and then lock 0, which must then be reported as exactly one inversion (the control that
 * shows the clean run is clean because of the order, not because nothing was recorded).
 */
#include <pthread.h>
#include <string.h>

#include "e2e_util.h"

#define NLOCKS 60

static pthread_mutex_t locks[NLOCKS];

/* Locks every `step`-th lock from `first` upwards, nested, then unlocks in reverse order. */
static void nest(int first, int step)
{
    for (int i = first; i < NLOCKS; i += step)
        pthread_mutex_lock(&locks[i]);
    for (int i = first + (NLOCKS - 1 - first) / step * step; i >= first; i -= step)
        pthread_mutex_unlock(&locks[i]);
}

static void *worker(void *arg)
{
    int k = (int)(long)arg;
    for (int round = 0; round < 3; round++) {
        nest(0, 1);
        nest(k, k + 1);
    }
    e2e_step_done();
    return NULL;
}

static void *inverter(void *arg)
{
    (void)arg;
    e2e_wait_steps(3);             /* all workers are done */
    pthread_mutex_lock(&locks[1]); /* LINE:inv_first */
    pthread_mutex_lock(&locks[0]); /* LINE:inv_second */
    pthread_mutex_unlock(&locks[0]);
    pthread_mutex_unlock(&locks[1]);
    return NULL;
}

int main(int argc, char **argv)
{
    int invert = argc > 1 && strcmp(argv[1], "invert") == 0;
    pthread_t t[4];
    int n = 0;
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);
    for (int k = 0; k < 3; k++)
        pthread_create(&t[n++], NULL, worker, (void *)(long)k);
    if (invert)
        pthread_create(&t[n++], NULL, inverter, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_destroy(&locks[i]);
    return 0;
}
