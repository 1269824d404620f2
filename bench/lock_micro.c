/*
 * Lock microbenchmark: THREADS threads each run ITERS iterations of two nested lock/unlock pairs
 * (lock outer; lock inner; unlock inner; unlock outer). "uncontended": every thread has its own
 * two mutexes (on their own cache lines); "contended": all threads share the same two. The
 * lock-order edge outer -> inner is the same every time, so under lockwatch new edges are rare
 * (one per thread). Prints one line of key=value fields; ns_per_pair is the figure to compare:
 *   uncontended: CPU time per lock/unlock pair, summed over the threads (CLOCK_THREAD_CPUTIME_ID),
 *                so it does not depend on how many cores the threads got;
 *   contended:   wall time per lock/unlock pair of the shared locks (their throughput).
 * WORK (optional, default 0) gives the inner critical section some work on the data the locks
 * protect: WORK dependent multiply-adds, so that a pair costs what it costs in programs whose
 * critical sections do something (WORK=0: empty critical sections, the harshest case).
 * PAD (optional, default 0) adds PAD dependent multiply-adds on a private value right after the
 * outer lock is taken: a known extra cost inside the outer critical section, run natively, shows
 * how much the contended rows amplify whatever a tool adds there (bench/run's "+pad" column).
 * Usage: lock_micro THREADS uncontended|contended ITERS_PER_THREAD [WORK [PAD]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct lock_pair {
    pthread_mutex_t outer;
    pthread_mutex_t inner;
    unsigned long data; /* protected by inner */
} __attribute__((aligned(128)));

struct worker {
    struct lock_pair *locks;
    long iters;
    long work;
    long pad;
    unsigned long pad_sink; /* keeps the pad's result alive (private to the thread) */
    double cpu_s;
    pthread_barrier_t *start;
} __attribute__((aligned(128)));

static double clock_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    pthread_mutex_t *outer = &w->locks->outer, *inner = &w->locks->inner;
    pthread_barrier_wait(w->start);
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < w->iters; i++) {
        pthread_mutex_lock(outer);
        if (w->pad) {
            unsigned long p = (unsigned long)i;
            for (long k = 0; k < w->pad; k++)
                p = p * 2862933555777941757ul + 3037000493ul;
            w->pad_sink += p;
        }
        pthread_mutex_lock(inner);
        unsigned long d = w->locks->data;
        for (long k = 0; k < w->work; k++)
            d = d * 6364136223846793005ul + 1442695040888963407ul;
        w->locks->data = d;
        pthread_mutex_unlock(inner);
        pthread_mutex_unlock(outer);
    }
    w->cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6 || atoi(argv[1]) < 1 || atol(argv[3]) < 1 ||
        (argc >= 5 && atol(argv[4]) < 0) || (argc == 6 && atol(argv[5]) < 0) ||
        (strcmp(argv[2], "uncontended") != 0 && strcmp(argv[2], "contended") != 0)) {
        fprintf(stderr,
                "usage: lock_micro THREADS uncontended|contended ITERS_PER_THREAD [WORK [PAD]]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    int contended = strcmp(argv[2], "contended") == 0;
    long iters = atol(argv[3]);
    long work = argc >= 5 ? atol(argv[4]) : 0;
    long pad = argc == 6 ? atol(argv[5]) : 0;
    struct lock_pair *locks = aligned_alloc(128, sizeof *locks * (size_t)n);
    struct worker *w = aligned_alloc(128, sizeof *w * (size_t)n);
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    pthread_barrier_t start;
    if (!locks || !w || !tid)
        return 1;
    pthread_barrier_init(&start, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) {
        pthread_mutex_init(&locks[i].outer, NULL);
        pthread_mutex_init(&locks[i].inner, NULL);
        w[i] = (struct worker){.locks = &locks[contended ? 0 : i],
                               .iters = iters,
                               .work = work,
                               .pad = pad,
                               .start = &start};
        if (pthread_create(&tid[i], NULL, run, &w[i]) != 0) {
            fprintf(stderr, "lock_micro: pthread_create failed\n");
            return 1;
        }
    }
    pthread_barrier_wait(&start);
    double t0 = clock_s(CLOCK_MONOTONIC);
    double cpu = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        cpu += w[i].cpu_s;
    }
    double wall = clock_s(CLOCK_MONOTONIC) - t0;
    double pairs = 2.0 * (double)iters * n;
    printf("lock_micro threads=%d mode=%s work=%ld pad=%ld pairs=%.0f wall_s=%.4f cpu_s=%.4f "
           "ns_per_pair=%.2f\n",
           n, argv[2], work, pad, pairs, wall, cpu, (contended ? wall : cpu) * 1e9 / pairs);
    return 0;
}
