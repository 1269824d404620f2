/*
 * tls_key_misuse: one misuse of pthread keys (thread-specific data) per run, chosen by the first
 * argument, which is the name lockwatch reports it under (its "tls-misuse" subkind):
 *   key-never-created        pthread_setspecific with a key nobody created
 *   key-deleted              pthread_getspecific after pthread_key_delete
 *   key-deleted-with-values  pthread_key_delete while another thread still holds a value (its
 *                            destructor will never run)
 *   key-value-leak           a destructor that sets the value again: it is still set after the
 *                            last destructor round, so it is never destroyed
 * and `fine`, the same calls without a misuse (nothing to report): keys deleted while only the
 * deleting thread holds a value (it can still reach it: CPython deletes its thread-state key so
 * at exit), while another thread holds a value no destructor was registered for (nothing would
 * have destroyed it anyway), after the other thread cleared its value, and from an atexit
 * handler while another thread still holds a value (the process is ending: no thread's
 * destructors run any more; OpenSSL cleans up so, in node for one).
 * Each misuse is made exactly once, on a line marked LINE:<name> (for key-value-leak, the
 * pthread_create of the thread that leaks: the leak is found as that thread ends, after all of
 * its own frames are gone). These need no recompilation:
 * `lockwatch run -- build/demo/tls_key_misuse key-deleted`.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_key_t key;
static sem_t value_set, may_end;
static int value = 42;

static int never_created(void)
{
    pthread_key_t bogus = 700;                      /* never returned by pthread_key_create */
    return pthread_setspecific(bogus, &value) == 0; /* LINE:key_never_created */
}

static int deleted(void)
{
    pthread_key_create(&key, NULL);
    pthread_setspecific(key, &value);
    pthread_setspecific(key, NULL); /* no value left: the delete itself is fine */
    pthread_key_delete(key);
    return pthread_getspecific(key) != NULL; /* LINE:key_deleted */
}

/* Holds a value for `key` until main has deleted the key. */
static void *holder(void *arg)
{
    (void)arg;
    pthread_setspecific(key, &value);
    sem_post(&value_set);
    sem_wait(&may_end);
    return NULL;
}

static void release_value(void *v)
{
    (void)v;
}

static int deleted_with_values(void)
{
    pthread_key_create(&key, release_value);
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    sem_wait(&value_set);
    pthread_key_delete(key); /* LINE:key_deleted_with_values */
    sem_post(&may_end);
    pthread_join(t, NULL);
    return 0;
}

/* The bug: "cleaning up" by storing the value again, so every destructor round finds it set. */
static void stubborn_destructor(void *v)
{
    pthread_setspecific(key, v);
}

static void *leaker(void *arg)
{
    (void)arg;
    pthread_setspecific(key, &value);
    return NULL;
}

static int value_leak(void)
{
    pthread_key_create(&key, stubborn_destructor);
    pthread_t t;
    pthread_create(&t, NULL, leaker, NULL); /* LINE:key_value_leak */
    pthread_join(t, NULL);
    return 0;
}

/* Sets a value for `key` and clears it again, then waits until main has deleted the key. */
static void *clearer(void *arg)
{
    (void)arg;
    pthread_setspecific(key, &value);
    pthread_setspecific(key, NULL);
    sem_post(&value_set);
    sem_wait(&may_end);
    return NULL;
}

/* Deletes `key` while thread `start` is between setting (or clearing) its value and ending. */
static void delete_while_running(void *(*start)(void *))
{
    pthread_t t;
    pthread_create(&t, NULL, start, NULL);
    sem_wait(&value_set);
    pthread_key_delete(key);
    sem_post(&may_end);
    pthread_join(t, NULL);
}

static void delete_key(void)
{
    pthread_key_delete(key);
}

static int fine(void)
{
    pthread_key_create(&key, NULL);
    pthread_setspecific(key, &value);
    pthread_key_delete(key); /* main's own value, no destructor */
    pthread_key_create(&key, release_value);
    pthread_setspecific(key, &value);
    void *own = pthread_getspecific(key);
    pthread_key_delete(key); /* main's own value, destroyed by main itself */
    release_value(own);
    pthread_key_create(&key, NULL);
    delete_while_running(holder); /* another thread's value, no destructor */
    pthread_key_create(&key, release_value);
    delete_while_running(clearer); /* a destructor, but the other thread cleared its value */
    pthread_key_create(&key, release_value);
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL); /* never told to end: it holds its value at exit */
    sem_wait(&value_set);
    atexit(delete_key); /* runs when main returns */
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    sem_init(&value_set, 0, 0);
    sem_init(&may_end, 0, 0);
    if (strcmp(what, "key-never-created") == 0)
        never_created();
    else if (strcmp(what, "key-deleted") == 0)
        deleted();
    else if (strcmp(what, "key-deleted-with-values") == 0)
        deleted_with_values();
    else if (strcmp(what, "key-value-leak") == 0)
        value_leak();
    else if (strcmp(what, "fine") == 0)
        fine();
    else {
        fprintf(stderr,
                "usage: %s key-never-created|key-deleted|key-deleted-with-values|"
                "key-value-leak|fine\n",
                argv[0]);
        return 2;
    }
    puts("done");
    return 0;
}
