/*
 * e2e program: the two-thread ABBA inversion. thread_0 takes a then b; thread_1, once thread_0 is
 * done, takes b then a (an atomic counter staggers them; see e2e_util.h). Nothing orders the
 * threads (both are created before either is joined), so the inversion is a real potential
 * deadlock. The LINE markers let the checker find where each acquisition is and compare with the
 * stacks in the report. Built at -O0, -O1 and -O2.
 */
#include <pthread.h>

#include "e2e_util.h"

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *thread_0(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a); /* LINE:t0_lock_a */
    pthread_mutex_lock(&b); /* LINE:t0_lock_b */
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    e2e_step_done();
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);      /* thread_0 has released both locks */
    pthread_mutex_lock(&b); /* LINE:t1_lock_b */
    pthread_mutex_lock(&a); /* LINE:t1_lock_a */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return NULL;
}

int main(void)
{
    pthread_t t0, t1;
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    return 0;
}
