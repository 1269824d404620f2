/*
 * e2e deadlock test: nested-monitor lockout. Thread 1 holds `outer` and waits on `cv` (whose
 * mutex is `inner`); thread 2 would signal `cv`, but first needs `outer`, which thread 1 keeps
 * while it waits. Main joins thread 1. Every thread is in an untimed wait and nobody is left to
 * signal: lockwatch's all-blocked detector must report it.
 */
#include <pthread.h>
#include <stdio.h>

#include "e2e_util.h"

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(&inner);
    e2e_step_done();
    while (!ready)
        pthread_cond_wait(&cv, &inner); /* LINE:cond_wait */
    pthread_mutex_unlock(&inner);
    pthread_mutex_unlock(&outer);
    return NULL;
}

static void *signaller(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    pthread_mutex_lock(&outer); /* LINE:signaller_wait */
    pthread_mutex_lock(&inner);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&inner);
    pthread_mutex_unlock(&outer);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, waiter, NULL);
    pthread_create(&t2, NULL, signaller, NULL);
    pthread_join(t1, NULL); /* LINE:main_join */
    pthread_join(t2, NULL);
    puts("unreachable: the signaller is locked out");
    return 0;
}
