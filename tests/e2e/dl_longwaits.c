/*
 * e2e deadlock test, the negative case: threads that block legitimately for a long time must
 * never be reported as deadlocked. For about 3 seconds (run with deadlock_timeout_ms=500, so the
 * watchdog looks many times): a thread sleeps inside a critical section while another waits for
 * the lock untimed; two threads poll the same lock with pthread_mutex_timedlock; one waits on a
 * condition variable with pthread_cond_timedwait in a loop; main joins a thread that works
 * (sleeps) for 3 seconds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "e2e_util.h"

#define HOLD_MS 3000

static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;

static struct timespec in_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&busy);
    e2e_step_done();
    e2e_sleep_ms(HOLD_MS); /* a long critical section */
    pthread_mutex_unlock(&busy);
    return NULL;
}

static void *untimed_waiter(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    pthread_mutex_lock(&busy); /* waits ~3 s for a thread that is running */
    pthread_mutex_unlock(&busy);
    return NULL;
}

static void *timed_poller(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    for (;;) {
        struct timespec ts = in_ms(100);
        if (pthread_mutex_timedlock(&busy, &ts) == 0)
            break;
    }
    pthread_mutex_unlock(&busy);
    return NULL;
}

static void *cond_poller(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cm);
    while (!done) {
        struct timespec ts = in_ms(200);
        int rc = pthread_cond_timedwait(&cv, &cm, &ts);
        if (rc != 0 && rc != ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&cm);
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    e2e_sleep_ms(HOLD_MS);
    return NULL;
}

int main(void)
{
    pthread_t th, tu, tp1, tp2, tc, tw;
    pthread_create(&th, NULL, holder, NULL);
    pthread_create(&tu, NULL, untimed_waiter, NULL);
    pthread_create(&tp1, NULL, timed_poller, NULL);
    pthread_create(&tp2, NULL, timed_poller, NULL);
    pthread_create(&tc, NULL, cond_poller, NULL);
    pthread_create(&tw, NULL, worker, NULL);
    pthread_join(tw, NULL); /* main waits ~3 s for a working thread */
    pthread_join(th, NULL);
    pthread_join(tu, NULL);
    pthread_join(tp1, NULL);
    pthread_join(tp2, NULL);
    pthread_mutex_lock(&cm);
    done = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&cm);
    pthread_join(tc, NULL);
    puts("longwaits: done");
    return 0;
}
