/*
 * e2e program for crash survival: records an ABBA inversion between two threads, then writes
 * "ready" to stdout and blocks in pause() forever. The driver SIGKILLs it and checks that the log
 * left behind (no clean end record) still yields the inversion.
 */
#include <pthread.h>
#include <unistd.h>

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
    e2e_wait_steps(1);
    pthread_mutex_lock(&b); /* LINE:t1_lock_b */
    pthread_mutex_lock(&a); /* LINE:t1_lock_a */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return NULL;
}

int main(void)
{
    pthread_t t0, t1;
    static const char ready[] = "ready\n";
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    if (write(STDOUT_FILENO, ready, sizeof ready - 1) != (ssize_t)(sizeof ready - 1))
        return 1;
    for (;;)
        pause();
}
