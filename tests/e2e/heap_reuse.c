/*
 * Locks in heap objects that are never initialised or destroyed by a call (a struct copied from
 * PTHREAD_MUTEX_INITIALIZER, as std::mutex is): when an object is freed and the next one lands
 * at its address, the two locks are different locks and must not share an id (e2e.heap.*).
 *
 *   reuse    main takes G then a->m, frees a, allocates b at the same address and hands it to a
 *            thread that takes b->m then G: no cycle (a->m and b->m are different locks).
 *   realloc  the same, but a's block is moved away by realloc and its old address reused.
 *   kept     a real inversion between two heap locks, both objects freed afterwards: still
 *            reported (what was recorded before the free stays).
 *   held     a thread frees an object whose lock it holds, then unlocks it: one destroy-locked
 *            misuse at the free, and no other report (the unlock finds no entry).
 *   held_far the same with a spin lock at a 4-byte aligned offset 700 KiB into a 1 MiB block
 *            (the search for locks in a freed block covers all of it, at 4-byte granularity).
 *
 * The second thread waits on a relaxed atomic, which orders nothing for lockwatch, so the threads
 * count as concurrent. The program checks that the address really was reused (exit 3 if not).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct obj {
    pthread_mutex_t m;
    int value;
};

static pthread_mutex_t G = PTHREAD_MUTEX_INITIALIZER;
static struct obj *_Atomic handoff;

/* A heap object whose lock is never passed to pthread_mutex_init. */
static struct obj *obj_new(void)
{
    static const pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
    struct obj *o = malloc(sizeof *o);
    if (!o)
        exit(2);
    memcpy(&o->m, &init, sizeof init);
    o->value = 0;
    return o;
}

static void lock_pair(pthread_mutex_t *first, pthread_mutex_t *second, int *value)
{
    pthread_mutex_lock(first);
    pthread_mutex_lock(second);
    ++*value;
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
}

/* Takes the handed-off object's lock, then G. */
static void *second_user(void *arg)
{
    (void)arg;
    struct obj *b;
    while (!(b = atomic_load_explicit(&handoff, memory_order_relaxed)))
        ;
    lock_pair(&b->m, &G, &b->value); /* LINE:obj_then_g */
    return NULL;
}

/* Takes G then a's lock, gives a's block back (free, or realloc that moves it), and hands the
 * next object, allocated at a's old address, to the other thread. */
static int reuse(int by_realloc)
{
    pthread_t t;
    pthread_create(&t, NULL, second_user, NULL);
    struct obj *a = obj_new();
    lock_pair(&G, &a->m, &a->value); /* LINE:g_then_obj */
    void *old = a;
    if (by_realloc) {
        /* Growing far past the block makes glibc move it (the new size is mmap'd). */
        void *moved = realloc(a, 1 << 20);
        if (!moved || moved == old)
            return 3;
        free(moved);
    } else {
        free(a);
    }
    struct obj *b = obj_new();
    if ((void *)b != old) {
        fprintf(stderr, "heap_reuse: address not reused\n");
        return 3;
    }
    atomic_store_explicit(&handoff, b, memory_order_relaxed);
    pthread_join(t, NULL);
    free(b);
    return 0;
}

static struct obj *_Atomic first_done;

static void *kept_first(void *arg)
{
    struct obj **o = arg;
    lock_pair(&o[0]->m, &o[1]->m, &o[0]->value); /* LINE:kept_first */
    atomic_store_explicit(&first_done, o[0], memory_order_relaxed);
    return NULL;
}

static void *kept_second(void *arg)
{
    struct obj **o = arg;
    while (!atomic_load_explicit(&first_done, memory_order_relaxed))
        ;
    lock_pair(&o[1]->m, &o[0]->m, &o[1]->value); /* LINE:kept_second */
    return NULL;
}

/* Two objects locked in both orders by two threads, then freed. */
static int kept(void)
{
    struct obj *o[2] = {obj_new(), obj_new()};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, kept_first, o);
    pthread_create(&t2, NULL, kept_second, o);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    free(o[0]);
    free(o[1]);
    return 0;
}

/* Frees an object with its lock held, then unlocks the freed lock (the bug a unique_lock that
 * outlives its object makes). The lock sits past the bytes glibc's free writes its free-list
 * links into, and nothing is allocated after the free, so the unlock itself stays harmless. */
static int held(void)
{
    struct {
        char links[64];
        pthread_mutex_t m;
    } *o = malloc(sizeof *o);
    if (!o)
        return 2;
    pthread_mutex_init(&o->m, NULL);
    pthread_mutex_lock(&o->m);
    pthread_mutex_t *m = &o->m;
    free(o); /* LINE:free_held */
    pthread_mutex_unlock(m);
    return 0;
}

/* Frees a 1 MiB block holding a spin lock, locked, far from its start, and an unlocked mutex
 * nearer (the spin lock is not unlocked: the free unmaps the block). */
static int held_far(void)
{
    char *block = malloc(1 << 20);
    if (!block)
        return 2;
    /* A lock nearer the start, not held: the search goes on past it. */
    pthread_mutex_t *near = (pthread_mutex_t *)(void *)(block + 100 * 1024);
    pthread_mutex_init(near, NULL);
    pthread_mutex_lock(near);
    pthread_mutex_unlock(near);
    pthread_spinlock_t *s = (pthread_spinlock_t *)(void *)(block + 700 * 1024 + 4);
    pthread_spin_init(s, PTHREAD_PROCESS_PRIVATE);
    pthread_spin_lock(s);
    free(block); /* LINE:free_far */
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "reuse";
    if (!strcmp(mode, "reuse"))
        return reuse(0);
    if (!strcmp(mode, "realloc"))
        return reuse(1);
    if (!strcmp(mode, "kept"))
        return kept();
    if (!strcmp(mode, "held"))
        return held();
    if (!strcmp(mode, "held_far"))
        return held_far();
    fprintf(stderr, "usage: heap_reuse [reuse|realloc|kept|held|held_far]\n");
    return 2;
}
