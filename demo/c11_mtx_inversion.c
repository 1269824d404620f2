/*
 * c11_mtx_inversion: the ABBA inversion written with C11 <threads.h>: thrd_create and two mtx_t
 * taken in opposite orders (thread_1 starts 100 ms late so the run finishes); lockwatch reports
 * one lock-order inversion. With the argument "recursive", both locks are mtx_recursive and
 * thread_0 relocks `a` while it holds `b`; thread_1 takes a then b. The relock cannot block (the
 * thread already owns `a`), so it is no b -> a order and lockwatch stays silent.
 */
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>

static mtx_t a, b;
static int recursive;

static void *no_arg;

static int thread_0(void *arg)
{
    (void)arg;
    mtx_lock(&a); /* LINE:t0_lock_a */
    mtx_lock(&b); /* LINE:t0_lock_b */
    if (recursive) {
        mtx_lock(&a); /* LINE:t0_relock_a */
        mtx_unlock(&a);
    }
    mtx_unlock(&b);
    mtx_unlock(&a);
    return 0;
}

static int thread_1(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 100 * 1000000L};
    thrd_sleep(&ts, NULL);
    if (recursive) {
        mtx_lock(&a);
        mtx_lock(&b);
        mtx_unlock(&b);
        mtx_unlock(&a);
        return 0;
    }
    mtx_lock(&b); /* LINE:t1_lock_b */
    mtx_lock(&a); /* LINE:t1_lock_a */
    mtx_unlock(&a);
    mtx_unlock(&b);
    return 0;
}

int main(int argc, char **argv)
{
    recursive = argc > 1 && strcmp(argv[1], "recursive") == 0;
    int type = recursive ? mtx_plain | mtx_recursive : mtx_plain;
    if (mtx_init(&a, type) != thrd_success || mtx_init(&b, type) != thrd_success)
        return 1;
    thrd_t t0, t1;
    thrd_create(&t0, thread_0, no_arg);
    thrd_create(&t1, thread_1, no_arg);
    thrd_join(t0, NULL);
    thrd_join(t1, NULL);
    mtx_destroy(&b);
    mtx_destroy(&a);
    puts("c11_mtx_inversion: done");
    return 0;
}
