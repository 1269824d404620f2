/*
 * Race-mode benchmark: the "instrumented compute loop over thread-private arrays with a
 * few mutex-protected shared counters". Two threads each own an array of KIB KiB of uint32_t;
 * each pass reads and rewrites every element of its own array (a read and a write per element,
 * so the instrumented build checks both) and then adds its pass sum to shared counters under
 * one mutex. The mutex makes every pass a new epoch for the race detector: the whole private
 * array is "new in this epoch" again on each pass, which is the case the fast path must handle.
 * bench/run builds it natively, with -fsanitize=thread against liblockwatch, and with libtsan.
 * Prints one line of key=value fields; ns_per_elem (CPU time of both threads per element
 * update, CLOCK_THREAD_CPUTIME_ID, so independent of how many cores the threads got) is the
 * figure to compare; elapsed_s is the wall time of the threads' work.
 * WORK (default 0) adds that many dependent multiply-adds per element, in registers: the same
 * instrumented accesses with more computation between them (a compute loop rather than a pure
 * rewrite, whose native version the compiler vectorises).
 * Usage: race_loop [PASSES [KIB [WORK]]]   (defaults: 100 passes over 1024 KiB per thread)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long shared_passes;    /* protected by counter_lock */
static uint64_t shared_total; /* protected by counter_lock */

struct worker {
    uint32_t *data;
    size_t n;
    long passes;
    long work;
    double cpu_s;
};

static double clock_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    const long extra = w->work; /* a local: the inner loop adds no instrumented access */
    double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (long p = 0; p < w->passes; p++) {
        uint64_t sum = 0;
        for (size_t i = 0; i < w->n; i++) {
            /* A cheap LCG step per element: a load and a store the compiler cannot drop. */
            uint32_t v = w->data[i] * 1664525u + 1013904223u + (uint32_t)i;
            for (long k = 0; k < extra; k++)
                v = (v ^ (v >> 13)) * 2654435761u + (uint32_t)k;
            w->data[i] = v;
            sum += v;
        }
        pthread_mutex_lock(&counter_lock);
        shared_passes++;
        shared_total += sum;
        pthread_mutex_unlock(&counter_lock);
    }
    w->cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    return NULL;
}

int main(int argc, char **argv)
{
    long passes = argc > 1 ? atol(argv[1]) : 100;
    long kib = argc > 2 ? atol(argv[2]) : 1024;
    long extra = argc > 3 ? atol(argv[3]) : 0;
    if (passes <= 0 || kib <= 0 || extra < 0) {
        fprintf(stderr, "usage: race_loop [PASSES [KIB [WORK]]]\n");
        return 2;
    }
    enum { THREADS = 2 };
    struct worker w[THREADS];
    pthread_t t[THREADS];
    size_t n = (size_t)kib * 1024 / sizeof(uint32_t);
    for (int i = 0; i < THREADS; i++) {
        /* Each thread's array is its own heap block, as in a real program. */
        w[i] = (struct worker){
            .data = calloc(n, sizeof(uint32_t)), .n = n, .passes = passes, .work = extra};
        if (!w[i].data) {
            perror("calloc");
            return 1;
        }
    }
    double t0 = clock_s(CLOCK_MONOTONIC);
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    double elapsed = clock_s(CLOCK_MONOTONIC) - t0;
    double cpu = w[0].cpu_s + w[1].cpu_s;
    double elems = (double)n * (double)passes * THREADS;
    printf("threads=%d passes=%ld kib=%ld work=%ld elapsed_s=%.3f cpu_s=%.3f ns_per_elem=%.3f "
           "counter=%ld checksum=%llu\n",
           THREADS, passes, kib, extra, elapsed, cpu, cpu * 1e9 / elems, shared_passes,
           (unsigned long long)shared_total);
    for (int i = 0; i < THREADS; i++)
        free(w[i].data);
    return shared_passes == passes * THREADS ? 0 : 1;
}
