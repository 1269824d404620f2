/*
 * Locks in heap objects that are never initialised or destroyed by a call (a struct copied from
 * PTHREAD_MUTEX_INITIALIZER, as std::mutex is): when an object is freed and the next one lands
 * at its address, the two locks are different locks and must not share an id (e2e.heap.*).
 *
 *   reuse    main takes G then a->m, frees a, allocates b at the same address and hands it to a
 *            thread that takes b->m then G: no cycle (a->m and b->m are different locks).
 *   realloc  the same, but a's block is moved away by realloc and its old address reused.
 *   pool     the same with objects from the program's own pool, which annotates a block it hands
 *            out again (LOCKWATCH_MEMORY_REUSED; the program is not linked with liblockwatch).
 *   pool_plain  the same pool without the annotation: one (false) inversion, since nothing told
 *            lockwatch that the lock is a new one.
 *   munmap   the objects carved from mappings: a's mapping is unmapped, the next one lands at the
 *            same address.
 *   mremap   a's mapping is moved away by mremap, a new mapping takes its old address.
 *   kept     a real inversion between two heap locks, both objects freed afterwards: still
 *            reported (what was recorded before the free stays).
 *   held     a thread frees an object whose lock it holds, then unlocks it: one destroy-locked
 *            misuse at the free, and no other report (the unlock finds no entry).
 *   held_far the same with a spin lock at a 4-byte aligned offset 700 KiB into a 1 MiB block
 *            (the search for locks in a freed block covers all of it, at 4-byte granularity).
 *   unmap_held  a thread unmaps the page of a mutex it holds: one destroy-locked misuse at the
 *            munmap.
 *
 * The second thread waits on a relaxed atomic, which orders nothing for lockwatch, so the threads
 * count as concurrent. The program checks that the address really was reused (exit 3 if not).
 */
#define _GNU_SOURCE /* mremap */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lockwatch.h"

struct obj {
    pthread_mutex_t m;
    int value;
};

static pthread_mutex_t G = PTHREAD_MUTEX_INITIALIZER;
static struct obj *_Atomic handoff;
static atomic_int second_started;

/* How objects are allocated and given back. */
enum source { FROM_MALLOC, FROM_REALLOC, FROM_POOL, FROM_POOL_PLAIN, FROM_MMAP, FROM_MREMAP };

/* The objects' lock is never passed to pthread_mutex_init: it is copied in. */
static void obj_fill(struct obj *o)
{
    static const pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&o->m, &init, sizeof init);
    o->value = 0;
}

static struct obj *obj_new(void)
{
    struct obj *o = malloc(sizeof *o);
    if (!o)
        exit(2);
    obj_fill(o);
    return o;
}

/* A pool of one object, as a program's own allocator would keep them. */
static struct obj pool_slot;
static struct obj *obj_from_pool(int annotated)
{
    if (annotated)
        LOCKWATCH_MEMORY_REUSED(&pool_slot, sizeof pool_slot);
    obj_fill(&pool_slot);
    return &pool_slot;
}

/* An object at the start of a fresh page mapping, at `hint` if the kernel agrees. */
static struct obj *obj_mapped(void *hint)
{
    void *p = mmap(hint, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        exit(2);
    obj_fill(p);
    return p;
}

/* Gives a back the way `src` says; returns the next object, meant to land at a's address. */
static struct obj *obj_replace(struct obj *a, enum source src)
{
    switch (src) {
    case FROM_MALLOC:
        free(a);
        return obj_new();
    case FROM_REALLOC: {
        /* Growing far past the block makes glibc move it (the new size is mmap'd). */
        void *moved = realloc(a, 1 << 20);
        if (!moved || moved == (void *)a)
            exit(3);
        free(moved);
        return obj_new();
    }
    case FROM_POOL:
    case FROM_POOL_PLAIN:
        return obj_from_pool(src == FROM_POOL);
    case FROM_MMAP:
        munmap(a, 4096);
        return obj_mapped(a);
    case FROM_MREMAP: {
        /* Moves a's page to a reserved place, then maps a new page at a's old address. */
        void *to = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (to == MAP_FAILED || mremap(a, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
            exit(2);
        return obj_mapped(a);
    }
    }
    return NULL;
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
    atomic_store_explicit(&second_started, 1, memory_order_relaxed);
    struct obj *b;
    while (!(b = atomic_load_explicit(&handoff, memory_order_relaxed)))
        ;
    lock_pair(&b->m, &G, &b->value); /* LINE:obj_then_g */
    return NULL;
}

/* Takes G then a's lock, gives a back (free, realloc that moves it, the pool, munmap, mremap),
 * and hands the next object, at a's old address, to the other thread. */
static int reuse(enum source src)
{
    pthread_t t;
    pthread_create(&t, NULL, second_user, NULL);
    /* Its start (lockwatch maps its thread state) must not take the address a mapping frees. */
    while (!atomic_load_explicit(&second_started, memory_order_relaxed))
        ;
    struct obj *a = src == FROM_POOL || src == FROM_POOL_PLAIN ? obj_from_pool(0)
                    : src == FROM_MMAP || src == FROM_MREMAP   ? obj_mapped(NULL)
                                                               : obj_new();
    lock_pair(&G, &a->m, &a->value); /* LINE:g_then_obj */
    void *old = a;
    struct obj *b = obj_replace(a, src);
    if ((void *)b != old) {
        fprintf(stderr, "heap_reuse: address not reused\n");
        return 3;
    }
    atomic_store_explicit(&handoff, b, memory_order_relaxed);
    pthread_join(t, NULL);
    if (src == FROM_MALLOC || src == FROM_REALLOC)
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

/* Unmaps the page of a mutex the thread holds (not unlocked afterwards: the page is gone). */
static int unmap_held(void)
{
    struct obj *o = obj_mapped(NULL);
    pthread_mutex_lock(&o->m);
    munmap(o, 4096); /* LINE:unmap_held */
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "reuse";
    static const struct {
        const char *name;
        enum source src;
    } sources[] = {{"reuse", FROM_MALLOC}, {"realloc", FROM_REALLOC},
                   {"pool", FROM_POOL},    {"pool_plain", FROM_POOL_PLAIN},
                   {"munmap", FROM_MMAP},  {"mremap", FROM_MREMAP}};
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (!strcmp(mode, sources[i].name))
            return reuse(sources[i].src);
    if (!strcmp(mode, "kept"))
        return kept();
    if (!strcmp(mode, "held"))
        return held();
    if (!strcmp(mode, "held_far"))
        return held_far();
    if (!strcmp(mode, "unmap_held"))
        return unmap_held();
    fprintf(stderr,
            "usage: heap_reuse "
            "[reuse|realloc|pool|pool_plain|munmap|mremap|kept|held|held_far|unmap_held]\n");
    return 2;
}
