/*
 * tls_escape: a pointer to a thread-local variable escapes to another thread, which writes
 * through it. The main thread's `requests` is its own copy; the helper thread it starts gets
 * &requests as its argument and bumps the main thread's copy, not its own: tls-misuse
 * cross-thread-access, naming `requests`, the owner (thread #1), the writer, the write (the line
 * marked escape_write) and the pthread_create where the pointer was handed over.
 *
 * Only race mode sees accesses: build with -fsanitize=thread and link against liblockwatch (see
 * docs/design.md, "Thread-local misuse"). Built natively, it runs and reports nothing.
 */
#include <pthread.h>
#include <stdio.h>

static __thread int requests; /* per-thread request count */

static void *helper(void *arg)
{
    int *count = arg; /* the creator's copy, not ours */
    *count += 1;      /* LINE:escape_write */
    return NULL;
}

int main(void)
{
    requests = 1;
    pthread_t t;
    pthread_create(&t, NULL, helper, &requests); /* LINE:escape_handoff */
    pthread_join(t, NULL);
    printf("requests = %d\n", requests);
    return 0;
}
