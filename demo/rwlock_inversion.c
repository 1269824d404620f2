/*
 * rwlock_inversion: two rwlocks taken in opposite orders by two threads (thread_1 starts 100 ms
 * late so the run finishes). The argument picks the acquisition modes:
 *   write   (default) both threads take both locks for writing: one lock-order inversion;
 *   mixed   each thread takes its first lock for reading and its second for writing: a writer
 *           waits for the other thread's reader, so this deadlocks too: one inversion;
 *   read    everything is taken for reading, on glibc's default (reader-preferring) rwlocks:
 *           readers never wait for readers, so it cannot deadlock and lockwatch stays silent
 *           (`--all` shows the cycle as harmless: "only readers ... meet in this cycle");
 *   read-writer-pref  the same reads on writer-preferring rwlocks: a writer queued on one of
 *           them would block the second reader, so lockwatch reports an inversion.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_rwlock_t a, b;
static int read_first, read_second;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* A macro, not a function, so each acquisition's stack shows the line of its TAKE. */
#define TAKE(l, for_reading) ((for_reading) ? pthread_rwlock_rdlock(l) : pthread_rwlock_wrlock(l))

static void *thread_0(void *arg)
{
    (void)arg;
    TAKE(&a, read_first);  /* LINE:t0_take_a */
    TAKE(&b, read_second); /* LINE:t0_take_b */
    pthread_rwlock_unlock(&b);
    pthread_rwlock_unlock(&a);
    return NULL;
}

static void *thread_1(void *arg)
{
    (void)arg;
    sleep_ms(100);
    TAKE(&b, read_first);  /* LINE:t1_take_b */
    TAKE(&a, read_second); /* LINE:t1_take_a */
    pthread_rwlock_unlock(&a);
    pthread_rwlock_unlock(&b);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "write";
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    if (strcmp(mode, "mixed") == 0) {
        read_first = 1;
    } else if (strcmp(mode, "read") == 0) {
        read_first = read_second = 1;
    } else if (strcmp(mode, "read-writer-pref") == 0) {
        read_first = read_second = 1;
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    } else if (strcmp(mode, "write") != 0) {
        fprintf(stderr, "usage: rwlock_inversion [write|mixed|read|read-writer-pref]\n");
        return 2;
    }
    pthread_rwlock_init(&a, &attr);
    pthread_rwlock_init(&b, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_t t0, t1;
    pthread_create(&t0, NULL, thread_0, NULL);
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    pthread_rwlock_destroy(&b);
    pthread_rwlock_destroy(&a);
    printf("rwlock_inversion %s: done\n", mode);
    return 0;
}
