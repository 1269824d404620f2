/*
 * e2e program: an inversion guarded by a gate lock. Both threads take g first, then a and b in
 * opposite orders; since g is held around both, the two threads can never wait for each other
 * and the cycle a -> b -> a is harmless: no finding by default, one finding with harmless=true
 * under --all. With the argument "nogate" thread_1 skips g and the inversion is real (control).
 */
#include <pthread.h>
#include <string.h>

#include "e2e_util.h"

static pthread_mutex_t g = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static int use_gate = 1;

static void *thread_0(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g);
    pthread_mutex_lock(&a); /* LINE:t0_lock_a */
    pthread_mutex_lock(&b); /* LINE:t0_lock_b */
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&g);
    e2e_step_done();
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    if (use_gate)
        pthread_mutex_lock(&g);
    pthread_mutex_lock(&b); /* LINE:t1_lock_b */
    pthread_mutex_lock(&a); /* LINE:t1_lock_a */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    if (use_gate)
        pthread_mutex_unlock(&g);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t0, t1;
    use_gate = !(argc > 1 && strcmp(argv[1], "nogate") == 0);
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    return 0;
}
