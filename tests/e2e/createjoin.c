/*
 * e2e program: an inversion between threads ordered by create/join. t1 takes a then b and is
 * joined before t2 is even created; t2 takes b then a. The two can never overlap, so lockwatch
 * must report nothing by default and show the cycle as harmless under --all. With the argument
 * "overlap" both threads are created before either is joined (t2 still starts after t1 is done,
 * through an atomic step), which makes the inversion real: the control.
 */
#include <pthread.h>
#include <string.h>

#include "e2e_util.h"

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *t1_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a); /* LINE:t1_lock_a */
    pthread_mutex_lock(&b); /* LINE:t1_lock_b */
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    e2e_step_done();
    return NULL;
}

static void *t2_main(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    pthread_mutex_lock(&b); /* LINE:t2_lock_b */
    pthread_mutex_lock(&a); /* LINE:t2_lock_a */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t1, t2;
    if (argc > 1 && strcmp(argv[1], "overlap") == 0) {
        pthread_create(&t1, NULL, t1_main, NULL);
        pthread_create(&t2, NULL, t2_main, NULL);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
    } else {
        pthread_create(&t1, NULL, t1_main, NULL);
        pthread_join(t1, NULL);
        pthread_create(&t2, NULL, t2_main, NULL);
        pthread_join(t2, NULL);
    }
    return 0;
}
