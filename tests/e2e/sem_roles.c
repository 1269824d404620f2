/*
 * Semaphores whose role lockwatch must get right (shim/intercept_sem.c), one case per run:
 *
 *   any-releaser  binary semaphores that any thread may release, as CPython's locks are: a
 *                 condition-variable "waiter" (the waiting thread takes it, blocks on it a second
 *                 time until the notifier posts it, posts it itself and destroys it) and a baton
 *                 (a worker takes it, is woken from a second wait by main's post, passes it on by
 *                 posting it, and ends still "holding" its first take while other workers pass it
 *                 on); and a semaphore used as a lock, once inside mutex a, that a thread takes
 *                 once more and destroys before it locks a and ends (a semaphore has no owner:
 *                 its lifetime is over, nothing is held, so there is no guard -> a edge).
 *                 Nothing here can deadlock and no lock is held at an exit: no finding.
 *   reused        a semaphore destroyed and initialised again at the same address: a post made on
 *                 the old one, never consumed, must not order anything after a wait on the new
 *                 one. Thread 1 takes a then b before that post; thread 2 takes b then a after the
 *                 wait: a real inversion, reported once (it was hidden as "ordered by a semaphore
 *                 handoff" when the stale post counted).
 *
 * Threads are staggered with e2e_util.h's step counter, which orders nothing lockwatch knows.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include "e2e_util.h"

#define WORKERS 3

static sem_t baton;
static sem_t notified;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static sem_t reused;

/* The notifier side of a condition-variable wait: releases the waiter's semaphore. */
static void *notifier(void *arg)
{
    (void)arg;
    e2e_wait_steps(1); /* the waiter holds `notified` and is about to wait on it again */
    sem_post(&notified);
    return NULL;
}

/* CPython's Condition.wait, in a thread that ends afterwards: take the waiter lock, wait on it
 * until notified, release it, free it. */
static void *condition_waiter(void *arg)
{
    (void)arg;
    sem_init(&notified, 0, 1);
    pthread_t n;
    pthread_create(&n, NULL, notifier, NULL);
    sem_trywait(&notified);
    e2e_step_done();     /* step 1 */
    sem_wait(&notified); /* woken by the notifier's post */
    sem_post(&notified); /* released by its "holder" before it is freed */
    sem_destroy(&notified);
    pthread_join(n, NULL);
    return NULL;
}

/* A worker: takes the baton, waits for main's post, passes the baton on, ends holding its first
 * take. */
static void *baton_worker(void *arg)
{
    long i = (long)arg;
    if (i == 0) {
        sem_trywait(&baton); /* count 1 -> 0 */
        e2e_step_done();     /* step 2: main may post */
    } else {
        e2e_wait_steps(2 + (int)i); /* the previous worker has passed the baton on */
    }
    sem_wait(&baton);
    sem_post(&baton); /* the next worker's turn */
    e2e_step_done();  /* steps 3.. */
    return NULL;
}

static sem_t guard;

/* Takes `guard` as a lock inside mutex a: the edge a -> guard. */
static void *guard_user(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a);
    sem_wait(&guard);
    sem_post(&guard);
    pthread_mutex_unlock(&a);
    e2e_step_done(); /* step 1 */
    return NULL;
}

/* Takes `guard` for good and destroys it, then locks a and ends. */
static void *teardown(void *arg)
{
    (void)arg;
    e2e_wait_steps(1);
    sem_wait(&guard);
    sem_destroy(&guard);
    pthread_mutex_lock(&a); /* nothing is held any more: no edge from the destroyed guard */
    pthread_mutex_unlock(&a);
    return NULL;
}

static int any_releaser(void)
{
    sem_init(&guard, 0, 1);
    pthread_t u, g;
    pthread_create(&u, NULL, guard_user, NULL);
    pthread_create(&g, NULL, teardown, NULL);
    pthread_join(u, NULL);
    pthread_join(g, NULL);
    atomic_store(&e2e_step, 0);

    pthread_t c;
    pthread_create(&c, NULL, condition_waiter, NULL);
    pthread_join(c, NULL);
    sem_init(&baton, 0, 1);
    pthread_t w[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        pthread_create(&w[i], NULL, baton_worker, (void *)i);
    e2e_wait_steps(2);
    sem_post(&baton); /* wakes worker 0 from its second wait */
    for (int i = 0; i < WORKERS; i++)
        pthread_join(w[i], NULL);
    sem_destroy(&baton);
    return 0;
}

static void *first_owner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a); /* LINE:t1_lock_a */
    pthread_mutex_lock(&b); /* LINE:t1_lock_b */
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    sem_post(&reused); /* nobody waits on this lifetime of `reused` */
    e2e_step_done();
    return NULL;
}

static void *second_owner(void *arg)
{
    (void)arg;
    sem_wait(&reused);      /* the new lifetime's own count: no handoff */
    pthread_mutex_lock(&b); /* LINE:t2_lock_b */
    pthread_mutex_lock(&a); /* LINE:t2_lock_a */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return NULL;
}

static int reused_address(void)
{
    sem_init(&reused, 0, 0);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, first_owner, NULL);
    e2e_wait_steps(1);
    sem_destroy(&reused);
    sem_init(&reused, 0, 1);
    pthread_create(&t2, NULL, second_owner, NULL);
    pthread_join(t2, NULL);
    pthread_join(t1, NULL);
    sem_destroy(&reused);
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "any-releaser") == 0)
        return any_releaser();
    if (strcmp(what, "reused") == 0)
        return reused_address();
    fprintf(stderr, "usage: %s any-releaser|reused\n", argv[0]);
    return 2;
}
