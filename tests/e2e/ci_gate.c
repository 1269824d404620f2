/*
 * e2e program for the CI gate tests (gate.cmake): the ABBA inversion between old_a and old_b,
 * always; built with -DNEW_INVERSION it also inverts new_c and new_d, a second, "new" finding
 * that `lockwatch check --baseline` must name alone. Threads are staggered with the step
 * counter of e2e_util.h so the run never really deadlocks.
 */
#include <pthread.h>

#include "e2e_util.h"

static pthread_mutex_t old_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t old_b = PTHREAD_MUTEX_INITIALIZER;
#ifdef NEW_INVERSION
static pthread_mutex_t new_c = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t new_d = PTHREAD_MUTEX_INITIALIZER;
#endif

static void *first(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&old_a);
    pthread_mutex_lock(&old_b);
    pthread_mutex_unlock(&old_b);
    pthread_mutex_unlock(&old_a);
#ifdef NEW_INVERSION
    pthread_mutex_lock(&new_c);
    pthread_mutex_lock(&new_d);
    pthread_mutex_unlock(&new_d);
    pthread_mutex_unlock(&new_c);
#endif
    e2e_step_done();
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    pthread_mutex_lock(&old_b);
    pthread_mutex_lock(&old_a);
    pthread_mutex_unlock(&old_a);
    pthread_mutex_unlock(&old_b);
#ifdef NEW_INVERSION
    pthread_mutex_lock(&new_d);
    pthread_mutex_lock(&new_c);
    pthread_mutex_unlock(&new_c);
    pthread_mutex_unlock(&new_d);
#endif
    return NULL;
}

int main(void)
{
    pthread_t t0, t1;
    pthread_create(&t0, NULL, first, NULL);
    pthread_create(&t1, NULL, second, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    return 0;
}
