/*
 * e2e program: a cycle closed only through a try-lock. thread_0 takes a then b; thread_1 later
 * holds b and *tries* a. A try-lock cannot block, so no deadlock is possible: no finding by
 * default, one harmless finding under --all. With the argument "block" thread_1 uses
 * pthread_mutex_lock instead and the inversion is real (the control).
 */
#include <pthread.h>
#include <string.h>

#include "e2e_util.h"

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static int blocking;

static void *thread_0(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    e2e_step_done();
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    pthread_mutex_lock(&b);
    if (blocking) {
        pthread_mutex_lock(&a);
        pthread_mutex_unlock(&a);
    } else if (pthread_mutex_trylock(&a) == 0) {
        pthread_mutex_unlock(&a);
    }
    pthread_mutex_unlock(&b);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t0, t1;
    blocking = argc > 1 && strcmp(argv[1], "block") == 0;
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    return 0;
}
