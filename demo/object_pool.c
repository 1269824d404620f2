/*
 * object_pool: a program's own allocator hides that an object is new. A request pool recycles its
 * request objects (each with a mutex initialised once, when the pool is made) without freeing
 * them. A worker handles one request: it takes the registry lock, then the request's lock. Later
 * another worker handles a different request that got the same recycled object: it takes the
 * request's lock, then the registry lock. The two requests never exist at the same time, so this
 * can never deadlock — but to lockwatch the recycled mutex is one lock taken in both orders with
 * the registry, and `lockwatch run -- build/demo/object_pool` reports a lock-order inversion.
 *
 * `object_pool annotated` is the fix: the pool says it hands the object out again with
 * LOCKWATCH_MEMORY_REUSED (include/lockwatch.h), and the recycled mutex is a new lock. The program
 * is not linked with liblockwatch: without it the annotation is skipped.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "lockwatch.h"

struct request {
    pthread_mutex_t lock;
    int id;
    int state;
};

/* The pool: requests made once, recycled through a free list. */
#define POOL_SIZE 1
static struct request pool[POOL_SIZE];
static struct request *free_list[POOL_SIZE];
static int n_free;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static int annotate;

static void pool_init(void)
{
    for (int i = 0; i < POOL_SIZE; i++) {
        pthread_mutex_init(&pool[i].lock, NULL);
        free_list[n_free++] = &pool[i];
    }
}

static struct request *request_get(int id)
{
    pthread_mutex_lock(&pool_lock);
    struct request *r = n_free ? free_list[--n_free] : NULL;
    pthread_mutex_unlock(&pool_lock);
    if (!r)
        return NULL;
    if (annotate) /* the fix: this object starts a new life */
        LOCKWATCH_MEMORY_REUSED(r, sizeof *r);
    r->id = id;
    r->state = 0;
    return r;
}

static void request_put(struct request *r)
{
    pthread_mutex_lock(&pool_lock);
    free_list[n_free++] = r;
    pthread_mutex_unlock(&pool_lock);
}

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static int registered;
static atomic_int first_done;

/* Registers a request: the registry, then the request. */
static void *register_request(void *arg)
{
    struct request *r = arg;
    pthread_mutex_lock(&registry);
    pthread_mutex_lock(&r->lock);
    r->state = 1;
    registered++;
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_unlock(&registry);
    printf("request %d registered\n", r->id);
    return NULL;
}

/* Completes a request: the request, then the registry. */
static void *complete_request(void *arg)
{
    struct request *r = arg;
    pthread_mutex_lock(&r->lock);
    r->state = 2;
    pthread_mutex_lock(&registry);
    registered--;
    pthread_mutex_unlock(&registry);
    pthread_mutex_unlock(&r->lock);
    printf("request %d completed\n", r->id);
    return NULL;
}

static void *first_worker(void *arg)
{
    (void)arg;
    struct request *r = request_get(1);
    if (r) {
        register_request(r);
        request_put(r);
    }
    atomic_store(&first_done, 1);
    return NULL;
}

static void *second_worker(void *arg)
{
    (void)arg;
    /* The pool has one object: wait until the first request gave it back. A plain atomic flag,
     * which orders nothing for lockwatch: the two workers count as concurrent. */
    while (!atomic_load(&first_done))
        ;
    struct request *r = request_get(2);
    if (r) {
        complete_request(r);
        request_put(r);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    annotate = argc > 1 && !strcmp(argv[1], "annotated");
    pool_init();
    pthread_t t1, t2;
    pthread_create(&t1, NULL, first_worker, NULL);
    pthread_create(&t2, NULL, second_worker, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("%s pool: %d registered at the end\n", annotate ? "annotated" : "plain", registered);
    return 0;
}
