/*
 * Writes a large, well-formed lockwatch log for benchmarking the analyzer (`lockwatch report`):
 * CONTEXTS context records over a fixed set of 64 threads, 258 locks and 1024 stacks, built
 * with analyzer/log_builder.h. Worker threads acquire one of locks 129..256 while holding one of
 * locks 1..128 (16,384 distinct edges, all in one direction, so no cycle); each thread's seq
 * advances every 16,384 records, so no two records of a thread are the same context, as the
 * recorder would write them. Threads 2 and 3 also take locks 257 and 258 in opposite orders:
 * one lock-order inversion, so the report has one finding to symbolize and render.
 * With DISTINCT, record r repeats record r % DISTINCT exactly (same thread, seq, lock, stack,
 * held entry): the same DISTINCT contexts logged over and over, which is what the analyzer's
 * memory must not grow with (the reader collapses identical contexts).
 * Usage: analyzer_log OUTPUT [CONTEXTS [DISTINCT]]   (default 10,000,000, all distinct)
 */
#include <stdio.h>
#include <stdlib.h>

#include "log_builder.h"

#define THREADS 64
#define LOW_LOCKS 128
#define STACKS 1024
#define FRAMES 8
#define DISTINCT (LOW_LOCKS * LOW_LOCKS)

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: analyzer_log OUTPUT [CONTEXTS [DISTINCT]]\n");
        return 2;
    }
    long long n = argc >= 3 ? atoll(argv[2]) : 10000000LL;
    long long distinct = argc == 4 ? atoll(argv[3]) : 0;
    lw_log_builder *b = lw_lb_new(4242);
    lw_lb_process(b, 1, "/bench/analyzer_log_program");
    for (uint32_t s = 0; s < STACKS; s++) {
        uint64_t f[FRAMES];
        for (uint32_t i = 0; i < FRAMES; i++)
            f[i] = 0x401000 + 0x40 * ((s * 7 + i * 131) % 4096);
        lw_lb_stack(b, f, FRAMES);
    }
    for (uint32_t l = 1; l <= 2 * LOW_LOCKS + 2; l++)
        lw_lb_lock(b, l, LW_LOCK_MUTEX, 0x601000 + 64 * l, 1 + l % STACKS);
    lw_lb_thread_start(b, 1, 0, 0, 0);
    for (uint32_t t = 2; t <= THREADS; t++)
        lw_lb_thread_start(b, t, 1, t - 2, 1 + t % STACKS);
    const uint32_t workers = THREADS - 1;
    for (long long i = 0; i < n; i++) {
        long long r = distinct > 0 ? i % distinct : i;
        uint32_t t = 2 + (uint32_t)(r % workers);
        long long k = r / workers;
        uint32_t held = 1 + (uint32_t)(k % LOW_LOCKS);
        uint32_t lock = LOW_LOCKS + 1 + (uint32_t)((k / LOW_LOCKS) % LOW_LOCKS);
        uint32_t seq = (uint32_t)(k / DISTINCT);
        struct lw_held_entry h = {.lock_id = held,
                                  .stack_id = 1 + (uint32_t)((k * 7 + t) % STACKS)};
        lw_lb_context(b, t, seq, lock, 0, 1 + (uint32_t)((k * 13 + t) % STACKS), &h, 1);
    }
    struct lw_held_entry h1 = {.lock_id = 257, .stack_id = 10};
    struct lw_held_entry h2 = {.lock_id = 258, .stack_id = 20};
    lw_lb_context(b, 2, 0, 258, 0, 11, &h1, 1);
    lw_lb_context(b, 3, 0, 257, 0, 21, &h2, 1);
    for (uint32_t t = 2; t <= THREADS; t++) {
        lw_lb_thread_exit(b, t, (uint32_t)(n / workers / DISTINCT), 0);
        lw_lb_join(b, 1, THREADS - 1 + t - 2, t, 2);
    }
    lw_lb_thread_exit(b, 1, 2 * (THREADS - 1), 0);
    lw_lb_end(b, 0);
    if (lw_lb_write_file(b, argv[1]) != 0) {
        perror(argv[1]);
        return 1;
    }
    lw_lb_free(b);
    printf("analyzer_log contexts=%lld distinct=%lld threads=%d locks=%d stacks=%d\n", n + 2,
           (distinct > 0 && distinct < n ? distinct : n) + 2, THREADS, 2 * LOW_LOCKS + 2, STACKS);
    return 0;
}
