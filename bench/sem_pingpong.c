/*
 * Semaphore ping-pong: two threads pass a token back and forth through two POSIX semaphores
 * (sem_post(ping); sem_wait(pong) against sem_wait(ping); sem_post(pong)), ROUNDS times. Every
 * round trip is two thread wake-ups, so this measures synchronisation latency, not throughput.
 * Prints one line of key=value fields; ns_per_op is wall time per round trip.
 * Usage: sem_pingpong ROUNDS
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static sem_t ping, pong;
static long rounds;

static void *ponger(void *arg)
{
    (void)arg;
    for (long i = 0; i < rounds; i++) {
        sem_wait(&ping);
        sem_post(&pong);
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 0;
    if (argc != 2 || rounds < 1) {
        fprintf(stderr, "usage: sem_pingpong ROUNDS\n");
        return 2;
    }
    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    pthread_t t;
    double t0 = now_s();
    if (pthread_create(&t, NULL, ponger, NULL) != 0)
        return 1;
    for (long i = 0; i < rounds; i++) {
        sem_post(&ping);
        sem_wait(&pong);
    }
    pthread_join(t, NULL);
    double wall = now_s() - t0;
    printf("sem_pingpong rounds=%ld wall_s=%.4f ns_per_op=%.1f\n", rounds, wall,
           wall * 1e9 / (double)rounds);
    return 0;
}
