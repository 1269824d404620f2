/*
 * spinlock_inversion: two spinlocks taken in opposite orders by two threads (thread_1 starts
 * 100 ms late so the run finishes). A spinning thread waits just as surely as a sleeping one, so
 * lockwatch reports one lock-order inversion. With the argument "trylock", thread_1 takes the
 * second lock with pthread_spin_trylock and backs off when it is busy: that cannot deadlock, and
 * lockwatch stays silent (`--all` shows the cycle as closed only through a try-lock).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_spinlock_t a, b;
static int use_trylock;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void *thread_0(void *arg)
{
    (void)arg;
    pthread_spin_lock(&a); /* LINE:t0_lock_a */
    pthread_spin_lock(&b); /* LINE:t0_lock_b */
    pthread_spin_unlock(&b);
    pthread_spin_unlock(&a);
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    sleep_ms(100);
    for (;;) {
        pthread_spin_lock(&b); /* LINE:t1_lock_b */
        if (!use_trylock) {
            pthread_spin_lock(&a); /* LINE:t1_lock_a */
            break;
        }
        if (pthread_spin_trylock(&a) == 0) /* LINE:t1_trylock_a */
            break;
        pthread_spin_unlock(&b); /* busy: back off and retry, so no deadlock */
        sched_yield();
    }
    pthread_spin_unlock(&a);
    pthread_spin_unlock(&b);
    return NULL;
}

int main(int argc, char **argv)
{
    use_trylock = argc > 1 && strcmp(argv[1], "trylock") == 0;
    pthread_spin_init(&a, PTHREAD_PROCESS_PRIVATE);
    pthread_spin_init(&b, PTHREAD_PROCESS_PRIVATE);
    pthread_t t0, t1;
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    pthread_spin_destroy(&b);
    pthread_spin_destroy(&a);
    puts("spinlock_inversion: done");
    return 0;
}
