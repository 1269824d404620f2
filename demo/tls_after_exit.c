/*
 * tls_after_exit: memory of a thread used after the thread ended, chosen by the first argument:
 *   tls      a worker publishes a pointer to its thread-local `last_result`; after joining it,
 *            main reads through the pointer (marked after_exit_tls): tls-misuse use-after-exit
 *   stack    the same with a pointer to a local array on the worker's stack
 *            (marked after_exit_stack)
 *   handoff  the correct pattern: main passes a pointer to its own stack variable to a worker and
 *            joins it while the worker writes the result there; main's stack outlives the
 *            worker, so nothing is reported
 * Only race mode sees accesses: build with -fsanitize=thread and link against liblockwatch (see
 * docs/design.md, "Thread-local misuse"). Built natively, it runs and reports nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static __thread int last_result;
static int *volatile published; /* written by the worker, read by main after the join */

/* Out of line, so that the compiler's dangling-pointer warning does not catch the demo's bug
 * at compile time (real code hides it just as well, through a struct or a callback). */
__attribute__((noinline)) static void publish(int *p)
{
    published = p;
}

static void *publish_tls(void *arg)
{
    (void)arg;
    last_result = 7;
    publish(&last_result);
    return NULL;
}

static void *publish_stack(void *arg)
{
    (void)arg;
    int scratch[4] = {1, 2, 3, 4};
    publish(scratch); /* escapes: dangling once the thread returns */
    return NULL;
}

/* One reader per case, out of line: identical reads in two branches would be merged by the
 * compiler into one instruction with no line of its own. */
__attribute__((noinline)) static int read_dead_tls(void)
{
    return *published; /* LINE:after_exit_tls */
}

__attribute__((noinline)) static int read_dead_stack(void)
{
    return published[1]; /* LINE:after_exit_stack */
}

static void *compute_into(void *arg)
{
    int *out = arg; /* main's stack: main is blocked joining us, so this is fine */
    *out = 6 * 7;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    pthread_t t;
    int v = 0;
    if (strcmp(what, "tls") == 0) {
        pthread_create(&t, NULL, publish_tls, NULL);
        pthread_join(t, NULL);
        v = read_dead_tls();
    } else if (strcmp(what, "stack") == 0) {
        pthread_create(&t, NULL, publish_stack, NULL);
        pthread_join(t, NULL);
        v = read_dead_stack();
    } else if (strcmp(what, "handoff") == 0) {
        int result = 0;
        pthread_create(&t, NULL, compute_into, &result);
        pthread_join(t, NULL);
        v = result;
    } else {
        fprintf(stderr, "usage: %s tls|stack|handoff\n", argv[0]);
        return 2;
    }
    printf("value = %d\n", v);
    return 0;
}
