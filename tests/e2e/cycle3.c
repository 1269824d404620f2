/*
 * e2e program: a three-lock cycle over three threads. Thread i takes lock i then lock i+1
 * (mod 3): a -> b, b -> c, c -> a. No two threads alone invert an order, only the three together
 * close the cycle. Thread i starts when thread i-1 is done (e2e_util.h), so the run completes.
 */
#include <pthread.h>

#include "e2e_util.h"

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER;

static void *thread_0(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a); /* LINE:t0_first */
    pthread_mutex_lock(&b); /* LINE:t0_second */
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    e2e_step_done();
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    pthread_mutex_lock(&b); /* LINE:t1_first */
    pthread_mutex_lock(&c); /* LINE:t1_second */
    pthread_mutex_unlock(&c);
    pthread_mutex_unlock(&b);
    e2e_step_done();
    return NULL;
}

static void *thread_2(void *arg)
{
    (void)arg;
    e2e_wait_steps(2);
    pthread_mutex_lock(&c); /* LINE:t2_first */
    pthread_mutex_lock(&a); /* LINE:t2_second */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&c);
    return NULL;
}

int main(void)
{
    pthread_t t[3];
    pthread_create(&t[0], NULL, thread_0, NULL);
    pthread_create(&t[1], NULL, thread_1, NULL);
    pthread_create(&t[2], NULL, thread_2, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    return 0;
}
