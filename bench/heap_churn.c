/*
 * Heap churn: THREADS threads each replace a random one of 64 live blocks ITERS times (free the
 * old block, malloc a new one of 48 to 303 bytes), the allocation pattern of programs that build
 * and drop small objects. With `locks`, every block starts with a mutex copied from
 * PTHREAD_MUTEX_INITIALIZER (a C++ object with a std::mutex: no init, no destroy call) that is
 * locked and unlocked once after the malloc, so lockwatch's free finds a lock in every block it
 * is given back. Prints one line of key=value fields; ns_per_pair is the CPU time of all threads
 * per free/malloc pair (locking included in `locks` mode).
 * Usage: heap_churn THREADS plain|locks ITERS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 64

static long iters;
static int with_locks;

/* A new block of 48..303 bytes (from the random word r), its lock used once if with_locks. */
static void *block_new(unsigned r)
{
    static const pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
    char *b = malloc(48 + ((r >> 16) & 255));
    if (!b)
        abort();
    if (with_locks) {
        pthread_mutex_t *m = (pthread_mutex_t *)(void *)b;
        memcpy(m, &init, sizeof init);
        pthread_mutex_lock(m);
        b[sizeof *m] = 1;
        pthread_mutex_unlock(m);
    } else {
        b[0] = 1;
    }
    return b;
}

static void *churn(void *arg)
{
    unsigned r = (unsigned)(unsigned long)arg;
    void *slot[SLOTS] = {0};
    for (long i = 0; i < iters; i++) {
        r = r * 1103515245u + 12345u;
        unsigned k = (r >> 8) % SLOTS;
        free(slot[k]);
        slot[k] = block_new(r);
    }
    for (int k = 0; k < SLOTS; k++)
        free(slot[k]);
    return NULL;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4 || atoi(argv[1]) < 1 || atoi(argv[1]) > 64 ||
        (strcmp(argv[2], "plain") && strcmp(argv[2], "locks")) || atol(argv[3]) < 1) {
        fprintf(stderr, "usage: heap_churn THREADS(1-64) plain|locks ITERS\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    with_locks = !strcmp(argv[2], "locks");
    iters = atol(argv[3]);
    pthread_t t[64];
    double c0 = cpu_seconds();
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, churn, (void *)(unsigned long)(i + 1)) != 0)
            return 1;
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double cpu = cpu_seconds() - c0;
    printf("threads=%d mode=%s iters=%ld ns_per_pair=%.2f\n", threads, argv[2], iters,
           cpu * 1e9 / ((double)iters * threads));
    return 0;
}
