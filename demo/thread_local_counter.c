/*
 * thread_local_counter: correct per-thread use of thread-local data, lockwatch's version of the
 * threading.local example in the tutorial (seed, "Thread-local variables"). Every thread has its
 * own `counter`: the main thread sets its copy to 10, each pool worker runs init_counter() for
 * its own copy before taking tasks, and increment() only ever touches the copy of the thread
 * running it. The main thread's copy is still 10 at the end. lockwatch reports nothing:
 * `lockwatch run -- build/demo/thread_local_counter`.
 *
 * Nothing is shared but the task queue (a mutex-protected index), so the output of two workers
 * interleaves, but each worker's values go up by one from 10 without gaps.
 */
#include <pthread.h>
#include <stdio.h>

#define N_TASKS 5
#define N_WORKERS 2

static _Thread_local int counter; /* one copy per thread, like context.counter */

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static int next_task;

static void init_counter(void)
{
    counter = 10;
}

static void increment(int name)
{
    int current_value = counter;
    printf("%d value before increment: %d\n", name, current_value);
    counter = current_value + 1;
    printf("%d value after increment: %d\n", name, counter);
}

/* A pool worker: initialise this thread's copy (the pool's initializer), then run tasks. */
static void *worker(void *arg)
{
    (void)arg;
    init_counter();
    for (;;) {
        pthread_mutex_lock(&queue_lock);
        int task = next_task < N_TASKS ? next_task++ : -1;
        if (task >= 0)
            increment(task); /* printed under the lock so each task's two lines stay together */
        pthread_mutex_unlock(&queue_lock);
        if (task < 0)
            return NULL;
    }
}

int main(void)
{
    init_counter();
    printf("Before thread start: %d\n", counter);
    pthread_t pool[N_WORKERS];
    for (int i = 0; i < N_WORKERS; i++)
        pthread_create(&pool[i], NULL, worker, NULL);
    for (int i = 0; i < N_WORKERS; i++)
        pthread_join(pool[i], NULL);
    printf("After thread finish: %d\n", counter);
    return counter == 10 ? 0 : 1;
}
