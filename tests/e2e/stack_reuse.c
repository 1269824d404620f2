/*
 * Locks on the stack of a thread that has ended (e2e.stack.*): glibc gives a finished thread's
 * stack to the next thread, so two detached threads, one after the other, have their
 * function-local mutex (copied from PTHREAD_MUTEX_INITIALIZER: no init or destroy call) at the
 * same address. They take it in opposite orders with G; they are different locks and the threads
 * never overlap: no cycle.
 *
 *   return  each thread's start routine holds the local mutex and returns.
 *   exit    the local mutex lives in a helper that has returned before the thread calls
 *           pthread_exit.
 *
 * The threads are detached and ordered only by a relaxed flag, which orders nothing for lockwatch,
 * so a cycle would count as real. Exit status 3 if the address was not reused.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "e2e_util.h"

static pthread_mutex_t G = PTHREAD_MUTEX_INITIALIZER;
static atomic_int finished;
static void *local_address[2];
static int use_exit;

/* Takes G and a local mutex, in the order `second` says. */
static __attribute__((noinline)) void use_local_lock(long second)
{
    pthread_mutex_t local;
    static const pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&local, &init, sizeof init);
    local_address[second] = &local;
    pthread_mutex_t *first_lock = second ? &local : &G, *then = second ? &G : &local;
    pthread_mutex_lock(first_lock); /* LINE:first */
    pthread_mutex_lock(then);       /* LINE:then */
    pthread_mutex_unlock(then);
    pthread_mutex_unlock(first_lock);
}

static void *worker(void *arg)
{
    use_local_lock((long)arg);
    atomic_store_explicit(&finished, (int)(long)arg + 1, memory_order_relaxed);
    if (use_exit)
        pthread_exit(NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "return";
    if (strcmp(mode, "return") && strcmp(mode, "exit")) {
        fprintf(stderr, "usage: stack_reuse [return|exit]\n");
        return 2;
    }
    use_exit = !strcmp(mode, "exit");
    e2e_run_detached(worker, (void *)0L, &finished, 1);
    e2e_run_detached(worker, (void *)1L, &finished, 2);
    if (local_address[0] != local_address[1]) {
        fprintf(stderr, "stack_reuse: address not reused\n");
        return 3;
    }
    return 0;
}
