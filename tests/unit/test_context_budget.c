/*
 * Unit tests of the reader's context budget (analyzer/log_reader.c, lw_read_options): a log
 * file whose contexts exceed the budget keeps none of them, and the lock-order analysis reads
 * them again from the file (lw_process_each_context). Findings and graph edges must come out
 * exactly as with every context kept, whatever the budget; a file that changed between the two
 * reads must give a warning and a best-effort result, never a crash; an in-memory log keeps
 * every context whatever the budget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "finding_asserts.h"
#include "lock_order.h"
#include "log_builder.h"
#include "log_reader.h"

#define N_LOCKS 15u
#define N_THREADS 6u

static uint32_t rnd_state = 12345;

/* A small deterministic generator (xorshift32), so that every run writes the same log. */
static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state % n;
}

/* A lock for the free-for-all part: few, so that the graph has tens of cycles, not
 * thousands; 7 and 8 are semaphores, 9 a reader-preferring rwlock. */
static uint32_t pick_lock(void)
{
    static const uint32_t ids[] = {1, 2, 3, 7, 8, 9};
    return ids[rnd(6)];
}

/*
 * A log with much for the lock-order analysis to decide: locks of several kinds (a
 * reader-preferring rwlock, a semaphore used only to signal, one proved lock-like), try and
 * read acquisitions, gate locks, nested sets of up to four locks, threads ordered by create and
 * join, identical contexts repeated (some far apart) and contexts that differ only in their
 * stacks, so that which occurrence represents an edge is decided by log order. The LOCK and
 * LOCK_LIKE records come last, in chunks written after every context, as a recorder may leave
 * them: kinds are known only at the end of the file.
 */
static lw_log_builder *rich_log(uint32_t n_contexts, bool end)
{
    rnd_state = 12345;
    lw_log_builder *b = lw_lb_new_ex(4242, 4096);
    uint32_t stacks[16];
    for (uint32_t i = 0; i < 16; i++) {
        uint64_t f[2] = {0x401000 + 0x10 * (uint64_t)i, 0x402000};
        stacks[i] = lw_lb_stack(b, f, 2);
    }
    lw_lb_thread_start(b, 1, 0, 0, 0);
    for (uint32_t t = 2; t <= N_THREADS; t++)
        lw_lb_thread_start(b, t, 1, t == N_THREADS ? 5 : 0, stacks[t]);
    /* Thread 2 is joined by thread 1 at seq 4; thread 6 starts at 1's seq 5: ordered. */
    lw_lb_join(b, 1, 4, 2, stacks[1]);
    for (uint32_t i = 0; i < n_contexts; i++) {
        uint32_t t = 1 + rnd(N_THREADS);
        uint32_t seq = rnd(8);
        uint32_t n = 1 + rnd(4);
        struct lw_held_entry h[5];
        for (uint32_t j = 0; j < n; j++) {
            uint32_t read = rnd(6) == 0 ? LW_ACQ_READ : 0;
            h[j] = (struct lw_held_entry){
                .lock_id = pick_lock(), .stack_id = stacks[rnd(16)], .flags = read};
        }
        uint32_t acq = (rnd(7) == 0 ? LW_ACQ_TRY : 0) | (rnd(6) == 0 ? LW_ACQ_READ : 0);
        uint32_t lock = pick_lock();
        struct lw_held_entry one = {.lock_id = 0, .stack_id = stacks[rnd(16)]};
        switch (rnd(5)) {
        case 0: /* 5 <-> 6, always under gate lock 4: harmless */
            h[0] = (struct lw_held_entry){.lock_id = 4, .stack_id = stacks[rnd(16)]};
            h[1] = (struct lw_held_entry){.lock_id = rnd(2) ? 5 : 6, .stack_id = stacks[rnd(16)]};
            lw_lb_context(b, t, seq, h[1].lock_id == 5 ? 6 : 5, 0, stacks[rnd(16)], h, 2);
            break;
        case 1: /* 10 -> 11 blocking, 11 -> 10 only by try-lock: harmless */
            one.lock_id = rnd(2) ? 10 : 11;
            lw_lb_context(b, t, seq, one.lock_id == 10 ? 11 : 10,
                          one.lock_id == 11 ? LW_ACQ_TRY : 0, stacks[rnd(16)], &one, 1);
            break;
        case 2: /* 12 <-> 13 by thread 1 only: single-thread */
            one.lock_id = rnd(2) ? 12 : 13;
            lw_lb_context(b, 1, seq, one.lock_id == 12 ? 13 : 12, 0, stacks[rnd(16)], &one, 1);
            break;
        case 3: /* 14 -> 15 by thread 2 before its join, 15 -> 14 by thread 6, created after */
            one.lock_id = rnd(2) ? 14 : 15;
            lw_lb_context(b, one.lock_id == 14 ? 2 : 6, 0, one.lock_id == 14 ? 15 : 14, 0,
                          stacks[rnd(16)], &one, 1);
            break;
        default: /* any of pick_lock's, semaphores and the rwlock included */
            lw_lb_context(b, t, seq, lock, acq, stacks[rnd(16)], h, n);
            break;
        }
        if (rnd(5) == 0) /* an identical repeat, now or much later */
            lw_lb_context(b, t, seq, h[0].lock_id == 1 ? 2 : 1, 0, stacks[0], h, 1);
    }
    for (uint32_t l = 1; l <= N_LOCKS; l++) {
        uint16_t kind = l == 7 || l == 8 ? LW_LOCK_SEMAPHORE : LW_LOCK_MUTEX;
        uint32_t flags = 0;
        if (l == 9) {
            kind = LW_LOCK_RWLOCK;
            flags = 1; /* reader-preferring (LW_RWLOCK_PREFER_READER) */
        }
        lw_lb_lock_ex(b, l, kind, flags, 0x601000 + 0x40 * (uint64_t)l, stacks[l],
                      0x10000 + 16 * (uint64_t)l);
    }
    lw_lb_lock_like(b, 8); /* 8 is a lock, 7 only signals */
    for (uint32_t t = 2; t <= N_THREADS; t++)
        lw_lb_thread_exit(b, t, 8, 0);
    if (end)
        lw_lb_end(b, 0);
    return b;
}

static const char *tmp_path(const char *name)
{
    static char path[512];
    mkdir(LW_TEST_TMPDIR, 0777);
    snprintf(path, sizeof path, "%s/%s", LW_TEST_TMPDIR, name);
    return path;
}

static void read_with(const char *path, size_t budget, lw_process *p)
{
    lw_read_options opt = {.context_budget = budget};
    char err[256];
    assert_int_equal(lw_read_log_file_opts(path, &opt, p, err, sizeof err), 0);
}

static void assert_same_str(const char *a, const char *b)
{
    if (a || b) {
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
    }
}

/* Everything lock-order findings and graph edges say is equal for a and b. */
static void assert_same_lock_order(const lw_process *a, const lw_process *b)
{
    lw_findings fa = {0}, fb = {0};
    bool ta, tb;
    size_t n = lw_analyze_lock_order(a, NULL, &fa, &ta);
    assert_int_equal(lw_analyze_lock_order(b, NULL, &fb, &tb), n);
    assert_int_equal(ta, tb);
    for (size_t i = 0; i < n; i++) {
        const lw_finding *x = &fa.items[i], *y = &fb.items[i];
        assert_int_equal(x->harmless, y->harmless);
        assert_same_str(x->subkind, y->subkind);
        assert_same_str(x->reason, y->reason);
        assert_int_equal(x->n_locks, y->n_locks);
        assert_int_equal(x->n_threads, y->n_threads);
        for (size_t j = 0; j < x->n_threads; j++)
            assert_int_equal(x->threads[j], y->threads[j]);
        for (size_t j = 0; j < x->n_locks; j++) {
            assert_int_equal(x->locks[j], y->locks[j]);
            assert_same_finding_edge(&x->edges[j], &y->edges[j]);
        }
    }
    lw_findings_free(&fa);
    lw_findings_free(&fb);

    lw_lock_edges ea, eb;
    size_t m = lw_lock_order_edges(a, &ea);
    assert_int_equal(lw_lock_order_edges(b, &eb), m);
    for (size_t i = 0; i < m; i++) {
        const lw_lock_edge *x = &ea.items[i], *y = &eb.items[i];
        assert_int_equal(x->from_lock, y->from_lock);
        assert_int_equal(x->to_lock, y->to_lock);
        assert_int_equal(x->occurrences, y->occurrences);
        assert_int_equal(x->n_threads, y->n_threads);
        assert_int_equal(x->only_try, y->only_try);
        assert_int_equal(x->in_cycle, y->in_cycle);
        assert_same_finding_edge(&x->example, &y->example);
    }
    lw_lock_edges_free(&ea);
    lw_lock_edges_free(&eb);
}

static size_t count_cb_calls;
static void count_cb(const lw_context *c, size_t ordinal, void *arg)
{
    (void)c;
    (void)ordinal;
    (void)arg;
    count_cb_calls++;
}

/* Contexts walked by lw_process_each_context; *rc gets its return value. */
static size_t walk_count(const lw_process *p, int *rc)
{
    count_cb_calls = 0;
    *rc = lw_process_each_context(p, NULL, count_cb, NULL);
    return count_cb_calls;
}

/*
 * The same findings and edges with every context kept, with none kept (a budget of one
 * byte: the first context overflows it) and with a budget that overflows midway.
 */
static void test_overflow_gives_same_findings(void **state)
{
    (void)state;
    const char *path = tmp_path("budget_rich.log");
    lw_log_builder *b = rich_log(20000, true);
    assert_int_equal(lw_lb_write_file(b, path), 0);

    lw_process all, none, half;
    read_with(path, SIZE_MAX, &all);
    read_with(path, 1, &none);
    read_with(path, 64 << 10, &half);
    assert_null(all.ctx_source);
    assert_true(all.n_contexts > 1000);
    assert_non_null(none.ctx_source);
    assert_int_equal(none.n_contexts, 0);
    assert_non_null(half.ctx_source);
    assert_int_equal(half.n_contexts, 0);

    /* The walk again meets every record: the kept contexts' counts add up to as many. */
    size_t records = 0;
    for (size_t i = 0; i < all.n_contexts; i++)
        records += all.contexts[i].count;
    int rc;
    assert_int_equal(walk_count(&none, &rc), records);
    assert_int_equal(rc, 0);
    assert_int_equal(walk_count(&all, &rc), all.n_contexts);

    lw_findings f = {0};
    assert_true(lw_analyze_lock_order(&all, NULL, &f, NULL) > 3); /* a test worth having */
    size_t harmless = 0;
    for (size_t i = 0; i < f.n; i++)
        harmless += f.items[i].harmless;
    assert_true(harmless > 0 && harmless < f.n);
    lw_findings_free(&f);

    assert_same_lock_order(&all, &none);
    assert_same_lock_order(&all, &half);
    lw_process_free(&all);
    lw_process_free(&none);
    lw_process_free(&half);
    unlink(path);
    lw_lb_free(b);
}

/* A log within the budget keeps its contexts and is never read again. */
static void test_within_budget_keeps_contexts(void **state)
{
    (void)state;
    const char *path = tmp_path("budget_small.log");
    lw_log_builder *b = rich_log(200, true);
    assert_int_equal(lw_lb_write_file(b, path), 0);
    lw_process p, q;
    read_with(path, 0, &p); /* the default budget */
    read_with(path, SIZE_MAX, &q);
    assert_null(p.ctx_source);
    assert_int_equal(p.n_contexts, q.n_contexts);
    /* Gone from the disk: a log that needs no second read does not care. */
    unlink(path);
    assert_same_lock_order(&p, &q);
    lw_process_free(&p);
    lw_process_free(&q);
    lw_lb_free(b);
}

/*
 * LOCKWATCH_ANALYZER_CONTEXT_BUDGET sets the budget of reads without options (the CLI's); a
 * value that is not a plain byte count is ignored. An in-memory log keeps every context.
 */
static void test_env_budget(void **state)
{
    (void)state;
    const char *path = tmp_path("budget_env.log");
    lw_log_builder *b = rich_log(300, true);
    assert_int_equal(lw_lb_write_file(b, path), 0);
    char err[256];
    lw_process p;

    setenv("LOCKWATCH_ANALYZER_CONTEXT_BUDGET", "100", 1);
    assert_int_equal(lw_read_log_file(path, &p, err, sizeof err), 0);
    assert_non_null(p.ctx_source);
    lw_process_free(&p);

    size_t len;
    const void *buf = lw_lb_data(b, &len);
    assert_int_equal(lw_read_log_buffer(buf, len, "mem.log", &p, err, sizeof err), 0);
    assert_null(p.ctx_source);
    assert_true(p.n_contexts > 0);
    lw_process_free(&p);

    static const char *const bad[] = {"", "x", "-5", "0", "12k", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("LOCKWATCH_ANALYZER_CONTEXT_BUDGET", bad[i], 1);
        assert_int_equal(lw_read_log_file(path, &p, err, sizeof err), 0);
        assert_null(p.ctx_source);
        lw_process_free(&p);
    }
    unsetenv("LOCKWATCH_ANALYZER_CONTEXT_BUDGET");
    unlink(path);
    lw_lb_free(b);
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/*
 * A live log grows between the reads: records appended to chunks the first read saw, and new
 * chunks. The second read takes only what the first saw, so nothing changes. Written in place
 * (same file, as a recorder does), since the reader holds the file open.
 */
static void test_grown_file_reads_as_first_seen(void **state)
{
    (void)state;
    const char *path = tmp_path("budget_grow.log");
    lw_log_builder *small = rich_log(3000, false), *big = rich_log(3000, false);
    /* More contexts of the same threads: they fill the chunks the threads had open. */
    struct lw_held_entry h = {.lock_id = 3, .stack_id = 1};
    for (uint32_t i = 0; i < 2000; i++)
        lw_lb_context(big, 1 + i % N_THREADS, 9, 4, 0, 1, &h, 1);
    size_t n_small, n_big;
    const uint8_t *s = lw_lb_data(small, &n_small), *g = lw_lb_data(big, &n_big);
    assert_true(n_big > n_small);
    /* The builder lays out the common prefix of records the same way; only chunks' tails
     * and new chunks differ. */
    write_bytes(path, s, n_small);
    lw_process p, q;
    read_with(path, 1, &p);
    read_with(path, SIZE_MAX, &q);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fwrite(g, 1, n_big, f), n_big);
    assert_int_equal(fclose(f), 0);
    int rc;
    walk_count(&p, &rc);
    assert_int_equal(rc, 0);
    assert_same_lock_order(&p, &q);
    lw_process_free(&p);
    lw_process_free(&q);
    unlink(path);
    lw_lb_free(small);
    lw_lb_free(big);
}

/*
 * The file shrinks or is overwritten between the reads: the second read warns (stderr) and
 * returns -1, and the analysis gives a best-effort result without crashing. The reader holds
 * the file open, so the changes are made to the same file.
 */
static void test_changed_file_is_survived(void **state)
{
    (void)state;
    const char *path = tmp_path("budget_changed.log");
    lw_log_builder *b = rich_log(5000, true);
    size_t len;
    const uint8_t *data = lw_lb_data(b, &len);
    uint8_t *junk = malloc(len);
    assert_non_null(junk);
    for (size_t i = 0; i < len; i++)
        junk[i] = (uint8_t)(i * 131 + 7);
    /* Cuts at many places, garbage after the header, garbage everywhere, a zeroed body. */
    for (int kind = 0; kind < 12; kind++) {
        write_bytes(path, data, len);
        lw_process p;
        read_with(path, 1, &p);
        int fd_ok = truncate(path, 0) == 0;
        assert_true(fd_ok);
        if (kind < 8) {
            write_bytes(path, data, len * (size_t)kind / 8 + (kind % 3) * 8);
        } else if (kind == 8) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(data, 1, 4096, f), 4096);
            assert_int_equal(fwrite(junk + 4096, 1, len - 4096, f), len - 4096);
            assert_int_equal(fclose(f), 0);
        } else if (kind == 9) {
            write_bytes(path, junk, len);
        } else {
            uint8_t *z = calloc(1, len);
            assert_non_null(z);
            memcpy(z, data, kind == 10 ? 4096 : len / 2);
            write_bytes(path, z, len);
            free(z);
        }
        int rc;
        walk_count(&p, &rc);
        assert_int_equal(rc, -1);
        lw_findings f = {0};
        lw_analyze_lock_order(&p, NULL, &f, NULL);
        lw_findings_free(&f);
        lw_lock_edges e;
        lw_lock_order_edges(&p, &e);
        lw_lock_edges_free(&e);
        lw_process_free(&p);
    }
    free(junk);
    unlink(path);
    lw_lb_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overflow_gives_same_findings),
        cmocka_unit_test(test_within_budget_keeps_contexts),
        cmocka_unit_test(test_env_budget),
        cmocka_unit_test(test_grown_file_reads_as_first_seen),
        cmocka_unit_test(test_changed_file_is_survived),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
