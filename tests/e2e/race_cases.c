/*
 * Race-mode end-to-end cases (e2e.race.*, tests/e2e/race.cmake): one small program, one case
 * per argv[1], built with -fsanitize=thread by gcc and by clang and linked against
 * liblockwatch. Cases named *_ok must report nothing; the others exactly what race.cmake says.
 * No case depends on timing: races are found through happens-before, which holds whatever the
 * schedule, and the one ordering that must be forced (predictive) spins on a relaxed flag.
 */
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "lockwatch.h"

#define N 5000

static int counter;
static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static _Atomic int acounter;
static int data, ready, inited, shared_value, config;
int x; /* global, read in main: the compiler may neither drop nor move its stores */
static struct {
    int a;
    int b;
    char c, d;
} fields;
static int phase[4], neighbour[4];
static int kept; /* written, then only read in later epochs by the same thread */
struct {
    int a;
    int b;
} pair; /* one granule: three entries of one thread must stay (global, like x) */
static pthread_mutex_t private_lock = PTHREAD_MUTEX_INITIALIZER;
#define SLOTS 64
static int slot_value[SLOTS]; /* slot_value[i] under slot_lock[i]: neighbours share a granule */
static pthread_mutex_t slot_lock[SLOTS] = {[0 ... SLOTS - 1] = PTHREAD_MUTEX_INITIALIZER};
static atomic_int step;
static sem_t sem;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int go;

static void *racy_increment(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) /* race: racy_increment (gcc -O1 may put the accesses here) */
        counter++;              /* race: racy_increment */
    return NULL;
}

static void *locked_increment(void *arg)
{
    pthread_mutex_t *m = arg;
    for (int i = 0; i < N; i++) {
        pthread_mutex_lock(m);
        counter = counter + 1; /* race: two_mutexes */
        pthread_mutex_unlock(m);
    }
    return NULL;
}

static void *atomic_increment(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++)
        atomic_fetch_add_explicit(&acounter, 1, memory_order_relaxed);
    return NULL;
}

static void *child_of_createjoin(void *arg)
{
    (void)arg;
    data = data + 1; /* ordered after the parent's write by create, before its read by join */
    return NULL;
}

static void *sem_poster(void *arg)
{
    (void)arg;
    data = 42;
    sem_post(&sem);
    return NULL;
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    sem_wait(&sem);
    return (void *)(long)data;
}

static void *cond_producer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m1);
    data = 42;
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m1);
    return NULL;
}

static void *cond_consumer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m1);
    while (!ready)
        pthread_cond_wait(&cv, &m1);
    pthread_mutex_unlock(&m1);
    return (void *)(long)data; /* after the handoff, outside the lock */
}

static void *barrier_phases(void *arg)
{
    long me = (long)arg;
    phase[me] = (int)me + 1; /* phase 1: each writes its own slot */
    pthread_barrier_wait(&barrier);
    neighbour[me] = phase[(me + 1) % 4]; /* phase 2: reads the others' phase-1 values */
    pthread_barrier_wait(&barrier);
    phase[me] = neighbour[me] + neighbour[(me + 3) % 4]; /* phase 3: after every phase-2 read */
    return NULL;
}

static void init_config(void)
{
    config = 42;
}

static void *once_user(void *arg)
{
    (void)arg;
    pthread_once(&once, init_config);
    return (void *)(long)config;
}

static void *field_a(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        fields.a++;
        fields.c++;
    }
    return NULL;
}

static void *field_b(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        fields.b++;
        fields.d++;
    }
    return NULL;
}

static void *locked_writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m1);
    shared_value = 42; /* race: locked_write */
    pthread_mutex_unlock(&m1);
    return NULL;
}

static void *unlocked_reader(void *arg)
{
    (void)arg;
    return (void *)(long)shared_value; /* race: unlocked_read */
}

static int *get_data(void)
{
    if (!inited) { /* race: dcl_check */
        pthread_mutex_lock(&m1);
        if (!inited) {
            data = 42;
            inited = 1; /* race: dcl_set */
        }
        pthread_mutex_unlock(&m1);
    }
    return &data;
}

static void *dcl_user(void *arg)
{
    (void)arg;
    return get_data();
}

static void *read_locked_writer(void *arg)
{
    pthread_rwlock_rdlock(&rw);
    shared_value = (int)(long)arg; /* race: write_under_rdlock */
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static void *rw_reader(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&rw);
    long v = shared_value;
    pthread_rwlock_unlock(&rw);
    return (void *)v;
}

static void *rw_writer(void *arg)
{
    pthread_rwlock_wrlock(&rw);
    shared_value = (int)(long)arg;
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static void *predictive_first(void *arg)
{
    (void)arg;
    x = 1; /* race: predictive_first */
    pthread_mutex_lock(&m2);
    pthread_mutex_unlock(&m2);
    atomic_store_explicit(&go, 1, memory_order_relaxed); /* no happens-before */
    return NULL;
}

static void *predictive_second(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&go, memory_order_relaxed))
        ;
    pthread_mutex_lock(&m2);
    pthread_mutex_unlock(&m2);
    x = 2; /* race: predictive_second */
    return NULL;
}

/* Each element under its own lock, elements picked at random: two neighbours in one granule
 * are written under different locks by the same thread in consecutive epochs, while the other
 * thread reads the shadow. Nothing races; a report here means a lockset was paired with the
 * wrong access. */
static void *slot_user(void *arg)
{
    unsigned s = (unsigned)(long)arg * 7919u + 1;
    for (int k = 0; k < 20 * N; k++) {
        s = s * 1103515245u + 12345u;
        unsigned i = (s >> 8) % SLOTS;
        pthread_mutex_lock(&slot_lock[i]);
        slot_value[i] += 1;
        pthread_mutex_unlock(&slot_lock[i]);
    }
    return NULL;
}

/* Two functions 512 bytes apart with the same code: their accesses' pcs share a line of the
 * per-thread pc cache (indexed by pc bits 1-8), so the second must not inherit the first's site. */
int collide_a, collide_b;
__attribute__((noinline, aligned(512))) void collide_set_a(void)
{
    collide_a = 1;
}
__attribute__((noinline, aligned(512))) void collide_set_b(void)
{
    collide_b = 1; /* race: collide_write */
}

static void *collide_owner(void *arg)
{
    (void)arg;
    collide_set_a();
    collide_set_b();
    atomic_store_explicit(&step, 1, memory_order_relaxed);
    return NULL;
}

static void *collide_intruder(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&step, memory_order_relaxed))
        ;
    collide_b = 2; /* race: collide_write */
    return NULL;
}

/* A new epoch for the calling thread only: a lock nobody else takes. */
static void new_epoch(void)
{
    pthread_mutex_lock(&private_lock);
    pthread_mutex_unlock(&private_lock);
}

/* The write stays in the shadow after this thread's later reads of the same bytes: the other
 * thread's read, after all of them (no happens-before: a relaxed flag), races with it. */
static void *kept_writer(void *arg)
{
    (void)arg;
    kept = 1; /* race: kept_write */
    for (int i = 0; i < 3; i++) {
        new_epoch();
        if (kept != 1)
            return NULL;
    }
    atomic_store_explicit(&step, 1, memory_order_relaxed);
    return NULL;
}

static void *kept_reader(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&step, memory_order_relaxed))
        ;
    return (void *)(long)kept; /* race: kept_read */
}

/* Three accesses of one thread in three epochs to one granule, none superseding another: the
 * granule's cell must keep all three, so the other thread's write to b races with the write to
 * b two epochs before the last access. */
static void *pair_owner(void *arg)
{
    (void)arg;
    pair.a = 1;
    new_epoch();
    pair.b = 2; /* race: pair_write */
    new_epoch();
    int a = pair.a;
    atomic_store_explicit(&step, 1, memory_order_relaxed);
    return (void *)(long)a;
}

static void *pair_intruder(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&step, memory_order_relaxed))
        ;
    pair.b = 3; /* race: pair_write */
    return NULL;
}

/* Heap reuse: the first owner writes a block and frees it; the second allocates the same bytes
 * (one arena, a block too large for the per-thread cache) and writes them. Only the allocator's
 * own lock orders the two, which lockwatch does not see: the shadow must be forgotten at free. */
#define HEAP_BLOCK 4096
static long *_Atomic heap_freed;
static atomic_int heap_reused;

static atomic_int heap_second_ready;

static void *heap_first_owner(void *arg)
{
    (void)arg;
    /* Not before the second thread has made its own first allocation (glibc then sets up its
     * per-thread cache, carving it from whatever is free: the block, if it were free already). */
    while (!atomic_load_explicit(&heap_second_ready, memory_order_relaxed))
        ;
    long *p = malloc(HEAP_BLOCK);
    for (size_t i = 0; p && i < HEAP_BLOCK / sizeof *p; i++)
        p[i] = (long)i;
    free(p);
    atomic_store_explicit(&heap_freed, p, memory_order_relaxed);
    /* Stay alive until the block is reused: this thread's exit gives its cached chunks back. */
    while (!atomic_load_explicit(&heap_reused, memory_order_relaxed))
        ;
    return NULL;
}

static void *heap_second_owner(void *arg)
{
    (void)arg;
    free(malloc(1));
    atomic_store_explicit(&heap_second_ready, 1, memory_order_relaxed);
    long *old;
    while (!(old = atomic_load_explicit(&heap_freed, memory_order_relaxed)))
        ;
    long *q = malloc(HEAP_BLOCK);
    for (size_t i = 0; q && i < HEAP_BLOCK / sizeof *q; i++)
        q[i] = -(long)i;
    atomic_store_explicit(&heap_reused, q == old ? 1 : 2, memory_order_relaxed);
    free(q);
    return NULL;
}

/* A lock's history ends with its memory: the first owner of a heap block writes `after_free`
 * under the block's mutex and frees the block; the second allocates the same bytes, takes the
 * new mutex there (copied from PTHREAD_MUTEX_INITIALIZER, as a std::mutex is) and writes
 * `after_free`. Nothing orders the two threads (a relaxed flag), so the writes race; a clock left
 * at the old mutex's address would order them and hide it. */
struct locked_block {
    pthread_mutex_t m;
    char pad[HEAP_BLOCK - sizeof(pthread_mutex_t)];
};
static int after_free;
static struct locked_block *_Atomic sync_freed;
static atomic_int sync_round_done, sync_second_ready;

static void *sync_first_owner(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&sync_second_ready, memory_order_relaxed))
        ;
    struct locked_block *b = malloc(sizeof *b);
    if (!b)
        exit(2);
    static const pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&b->m, &init, sizeof init);
    pthread_mutex_lock(&b->m);
    after_free = 1; /* race: after_free_first */
    pthread_mutex_unlock(&b->m);
    free(b);
    atomic_store_explicit(&sync_freed, b, memory_order_relaxed);
    while (!atomic_load_explicit(&sync_round_done, memory_order_relaxed))
        ;
    return NULL;
}

/* Writes after_free only when the block came back at the same address; *reused says so. */
static void *sync_second_owner(void *reused)
{
    free(malloc(1)); /* the thread's malloc cache, set up before the block is freed */
    atomic_store_explicit(&sync_second_ready, 1, memory_order_relaxed);
    struct locked_block *old;
    while (!(old = atomic_load_explicit(&sync_freed, memory_order_relaxed)))
        ;
    struct locked_block *b = malloc(sizeof *b);
    if (b == old) {
        static const pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
        memcpy(&b->m, &init, sizeof init);
        pthread_mutex_lock(&b->m);
        after_free = 2; /* race: after_free_second */
        pthread_mutex_unlock(&b->m);
        *(int *)reused = 1;
    }
    free(b);
    atomic_store_explicit(&sync_round_done, 1, memory_order_relaxed);
    return NULL;
}

/* The same through destroy and init: a mutex destroyed by the first thread and initialised again
 * by the second is a new mutex, whose clock orders nothing. */
static pthread_mutex_t reinit_m;
static int after_destroy;
static atomic_int reinit_flag;

static void *destroy_first(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&reinit_m);
    after_destroy = 1; /* race: after_destroy_first */
    pthread_mutex_unlock(&reinit_m);
    pthread_mutex_destroy(&reinit_m);
    atomic_store_explicit(&reinit_flag, 1, memory_order_relaxed);
    return NULL;
}

static void *init_second(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&reinit_flag, memory_order_relaxed))
        ;
    pthread_mutex_init(&reinit_m, NULL);
    pthread_mutex_lock(&reinit_m);
    after_destroy = 2; /* race: after_destroy_second */
    pthread_mutex_unlock(&reinit_m);
    return NULL;
}

/* And through a thread's stack: two detached threads, one after the other, get one stack from
 * glibc; each writes `after_exit` under a function-local mutex, at the same address in both. The
 * first thread's end must take that mutex's clock with it. */
int after_exit; /* global: the compiler may not drop the stores */
static void *_Atomic stack_lock_addr[2];
static atomic_int stack_threads_done;

static void *stack_lock_user(void *arg)
{
    long which = (long)arg;
    pthread_mutex_t local;
    pthread_mutex_init(&local, NULL);
    atomic_store_explicit(&stack_lock_addr[which], &local, memory_order_relaxed);
    pthread_mutex_lock(&local);
    after_exit = (int)which + 1; /* race: after_exit_write */
    pthread_mutex_unlock(&local);
    atomic_store_explicit(&stack_threads_done, (int)which + 1, memory_order_relaxed);
    return NULL;
}

/* Annotations (include/lockwatch.h). Each pair of threads below is ordered only by a relaxed
 * flag, which orders nothing for lockwatch: without its annotation each case reports a race. */
static atomic_int annot_flag;
static int annot_data;

/* Happens-before by hand: write, HAPPENS_BEFORE, flag; flag, HAPPENS_AFTER, read. */
static void *annot_publisher(void *arg)
{
    (void)arg;
    annot_data = 42;
    LOCKWATCH_HAPPENS_BEFORE(&annot_flag);
    atomic_store_explicit(&annot_flag, 1, memory_order_relaxed);
    return NULL;
}

static void *annot_consumer(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&annot_flag, memory_order_relaxed))
        ;
    LOCKWATCH_HAPPENS_AFTER(&annot_flag);
    annot_data++;
    return NULL;
}

/* An intentionally racy statistic: declared benign, or read and written through RACY_*. */
static long benign_hits, racy_hits;
static void *annot_racy_user(void *arg)
{
    for (int i = 0; i < N; i++) {
        if (arg)
            benign_hits++;
        else
            LOCKWATCH_RACY_WRITE(racy_hits, LOCKWATCH_RACY_READ(racy_hits) + 1);
    }
    return NULL;
}

/* A program's own pool: the first user writes a slot and gives it back (a relaxed flag); the
 * second takes it, says the pool hands it out again (MEMORY_REUSED), and writes it. */
static long pool_slot[64];
static void *pool_first_user(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < sizeof pool_slot / sizeof *pool_slot; i++)
        pool_slot[i] = (long)i;
    atomic_store_explicit(&annot_flag, 1, memory_order_relaxed);
    return NULL;
}

static void *pool_second_user(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&annot_flag, memory_order_relaxed))
        ;
    LOCKWATCH_MEMORY_REUSED(pool_slot, sizeof pool_slot);
    for (size_t i = 0; i < sizeof pool_slot / sizeof *pool_slot; i++)
        pool_slot[i] = -(long)i;
    return NULL;
}

/* More release stores to distinct atomics than race mode's synchronisation table has slots
 * (2^20): the objects past it share one clock, which the log must say (a DROPPED record). */
#define SYNC_OBJECTS ((1u << 20) + (1u << 18))
static _Atomic int *sync_flags; /* global, so that the compiler keeps the stores */
static int sync_overflow(void)
{
    sync_flags = calloc(SYNC_OBJECTS, sizeof *sync_flags);
    if (!sync_flags)
        exit(2);
    for (size_t i = 0; i < SYNC_OBJECTS; i++)
        atomic_store_explicit(&sync_flags[i], 1, memory_order_release);
    return atomic_load_explicit(&sync_flags[SYNC_OBJECTS - 1], memory_order_acquire);
}

/* More threads alive at once than race mode has clock slots (4094): the ones past it are not
 * watched, which the log must say. They only wait at a barrier. */
#define LIVE_THREADS 4100
static pthread_barrier_t live_barrier;
static void *live_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&live_barrier);
    return NULL;
}

static int many_live_threads(void)
{
    static pthread_t t[LIVE_THREADS];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_barrier_init(&live_barrier, NULL, LIVE_THREADS + 1);
    for (int i = 0; i < LIVE_THREADS; i++)
        if (pthread_create(&t[i], &attr, live_thread, NULL) != 0)
            exit(2);
    pthread_barrier_wait(&live_barrier);
    for (int i = 0; i < LIVE_THREADS; i++)
        pthread_join(t[i], NULL);
    return LIVE_THREADS;
}

static void run2(void *(*a)(void *), void *aa, void *(*b)(void *), void *ba)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, a, aa);
    pthread_create(&t2, NULL, b, ba);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "racy_counter")) {
        run2(racy_increment, NULL, racy_increment, NULL);
    } else if (!strcmp(c, "two_mutexes")) {
        run2(locked_increment, &m1, locked_increment, &m2);
    } else if (!strcmp(c, "mutex_ok")) {
        run2(locked_increment, &m1, locked_increment, &m1);
    } else if (!strcmp(c, "atomic_ok")) {
        run2(atomic_increment, NULL, atomic_increment, NULL);
    } else if (!strcmp(c, "createjoin_ok")) {
        pthread_t t;
        data = 1;
        pthread_create(&t, NULL, child_of_createjoin, NULL);
        pthread_join(t, NULL);
        printf("%d\n", data);
    } else if (!strcmp(c, "sem_ok")) {
        sem_init(&sem, 0, 0);
        run2(sem_waiter, NULL, sem_poster, NULL);
    } else if (!strcmp(c, "condvar_ok")) {
        run2(cond_consumer, NULL, cond_producer, NULL);
    } else if (!strcmp(c, "barrier_ok")) {
        pthread_t t[4];
        pthread_barrier_init(&barrier, NULL, 4);
        for (long i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, barrier_phases, (void *)i);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    } else if (!strcmp(c, "once_ok")) {
        run2(once_user, NULL, once_user, NULL);
    } else if (!strcmp(c, "fields_ok")) {
        run2(field_a, NULL, field_b, NULL);
    } else if (!strcmp(c, "rwlock_ok")) {
        run2(rw_writer, (void *)1, rw_reader, NULL);
    } else if (!strcmp(c, "locked_write")) {
        run2(locked_writer, NULL, unlocked_reader, NULL);
    } else if (!strcmp(c, "dcl")) {
        run2(dcl_user, NULL, dcl_user, NULL);
    } else if (!strcmp(c, "write_under_rdlock")) {
        run2(read_locked_writer, (void *)1, read_locked_writer, (void *)2);
    } else if (!strcmp(c, "many_locks_ok")) {
        run2(slot_user, (void *)1, slot_user, (void *)2);
        printf("%d\n", slot_value[0]);
    } else if (!strcmp(c, "pc_cache_collision")) {
        run2(collide_owner, NULL, collide_intruder, NULL);
        printf("%d %d\n", collide_a, collide_b);
    } else if (!strcmp(c, "kept_write")) {
        run2(kept_writer, NULL, kept_reader, NULL);
    } else if (!strcmp(c, "three_entries")) {
        run2(pair_owner, NULL, pair_intruder, NULL);
        printf("%d %d\n", pair.a, pair.b);
    } else if (!strcmp(c, "predictive")) {
        run2(predictive_first, NULL, predictive_second, NULL);
        printf("%d\n", x);
    } else if (!strcmp(c, "heap_reuse_ok")) {
        mallopt(M_ARENA_MAX, 1); /* one arena: the second thread gets the first one's block */
        /* The first rounds may not reuse the block (each new thread's first allocations, its
         * tcache and the consolidation of small blocks freed before it, move things around):
         * try again until a round does. */
        for (int round = 0; round < 20 && atomic_load(&heap_reused) != 1; round++) {
            atomic_store(&heap_freed, NULL);
            atomic_store(&heap_reused, 0);
            atomic_store(&heap_second_ready, 0);
            run2(heap_first_owner, NULL, heap_second_owner, NULL);
        }
        if (atomic_load(&heap_reused) != 1) {
            fprintf(stderr, "race_cases: heap block not reused\n");
            return 3;
        }
    } else if (!strcmp(c, "heap_lock_reuse")) {
        mallopt(M_ARENA_MAX, 1);
        int reused = 0;
        for (int round = 0; round < 20 && !reused; round++) {
            atomic_store(&sync_freed, NULL);
            atomic_store(&sync_round_done, 0);
            atomic_store(&sync_second_ready, 0);
            run2(sync_first_owner, NULL, sync_second_owner, &reused);
        }
        if (!reused) {
            fprintf(stderr, "race_cases: heap block not reused\n");
            return 3;
        }
        printf("%d\n", after_free);
    } else if (!strcmp(c, "destroyed_lock_reuse")) {
        pthread_mutex_init(&reinit_m, NULL);
        run2(destroy_first, NULL, init_second, NULL);
        printf("%d\n", after_destroy);
    } else if (!strcmp(c, "stack_lock_reuse")) {
        e2e_run_detached(stack_lock_user, (void *)0L, &stack_threads_done, 1);
        e2e_run_detached(stack_lock_user, (void *)1L, &stack_threads_done, 2);
        if (atomic_load_explicit(&stack_lock_addr[0], memory_order_relaxed) !=
            atomic_load_explicit(&stack_lock_addr[1], memory_order_relaxed)) {
            fprintf(stderr, "race_cases: stack not reused\n");
            return 3;
        }
    } else if (!strcmp(c, "many_live_threads")) {
        printf("%d\n", many_live_threads());
    } else if (!strcmp(c, "sync_overflow")) {
        printf("%d\n", sync_overflow());
    } else if (!strcmp(c, "annot_hb_ok")) {
        run2(annot_publisher, NULL, annot_consumer, NULL);
        printf("%d\n", annot_data);
    } else if (!strcmp(c, "annot_benign_ok")) {
        LOCKWATCH_BENIGN_RACE(&benign_hits, sizeof benign_hits);
        run2(annot_racy_user, &benign_hits, annot_racy_user, &benign_hits);
        printf("%ld\n", benign_hits);
    } else if (!strcmp(c, "annot_racy_ok")) {
        run2(annot_racy_user, NULL, annot_racy_user, NULL);
        printf("%ld\n", racy_hits);
    } else if (!strcmp(c, "pool_reuse_ok")) {
        run2(pool_first_user, NULL, pool_second_user, NULL);
        printf("%ld\n", pool_slot[1]);
    } else {
        fprintf(stderr, "race_cases: unknown case '%s'\n", c);
        return 2;
    }
    return 0;
}
