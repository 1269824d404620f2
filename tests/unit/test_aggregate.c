/*
 * Unit tests of the reader's aggregation and streaming (analyzer/log_reader.c): identical
 * CONTEXT records collapse into one model context with a count, without changing what the
 * lock-order analysis finds; a file read in a window (lw_read_log_file) gives the same model,
 * the same damage and the same offsets as the whole file in memory (lw_read_log_buffer),
 * whatever the length it is cut at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "finding_asserts.h"
#include "lock_order.h"
#include "log_builder.h"
#include "log_reader.h"

#define REPEATS 100000u

/*
 * An ABBA log: thread 2 takes B (2) while holding A (1) `repeats` times, identically, and
 * thread 3 takes A while holding B once. Threads 2 and 3 run concurrently: a real inversion.
 */
static lw_log_builder *abba_log(uint32_t repeats, uint32_t chunk_size)
{
    lw_log_builder *b = lw_lb_new_ex(77, chunk_size);
    uint64_t f1[] = {0x401000, 0x402000}, f2[] = {0x403000, 0x404000};
    uint32_t s1 = lw_lb_stack(b, f1, 2), s2 = lw_lb_stack(b, f2, 2);
    lw_lb_lock(b, 1, LW_LOCK_MUTEX, 0x601000, s1);
    lw_lb_lock(b, 2, LW_LOCK_MUTEX, 0x601040, s2);
    lw_lb_thread_start(b, 1, 0, 0, 0);
    lw_lb_thread_start(b, 2, 1, 0, s1);
    lw_lb_thread_start(b, 3, 1, 0, s2);
    struct lw_held_entry ha = {.lock_id = 1, .stack_id = s1};
    struct lw_held_entry hb = {.lock_id = 2, .stack_id = s2};
    for (uint32_t i = 0; i < repeats; i++)
        lw_lb_context(b, 2, 0, 2, 0, s2, &ha, 1);
    lw_lb_context(b, 3, 0, 1, 0, s1, &hb, 1);
    lw_lb_thread_exit(b, 2, 0, 0);
    lw_lb_thread_exit(b, 3, 0, 0);
    lw_lb_end(b, 0);
    return b;
}

static void read_built(lw_log_builder *b, lw_process *p)
{
    size_t len;
    const void *buf = lw_lb_data(b, &len);
    char err[256];
    assert_int_equal(lw_read_log_buffer(buf, len, "t.log", p, err, sizeof err), 0);
}

static void test_identical_contexts_collapse(void **state)
{
    (void)state;
    lw_log_builder *many = abba_log(REPEATS, 1 << 16), *once = abba_log(1, 1 << 16);
    lw_process pm, po;
    read_built(many, &pm);
    read_built(once, &po);

    /* 100,000 records, one model context that remembers how many it stands for. */
    assert_int_equal(pm.n_contexts, 2);
    assert_int_equal(pm.contexts[0].thread_id, 2);
    assert_int_equal(pm.contexts[0].count, REPEATS);
    assert_int_equal(pm.contexts[1].thread_id, 3);
    assert_int_equal(pm.contexts[1].count, 1);
    assert_int_equal(po.n_contexts, 2);
    assert_int_equal(po.contexts[0].count, 1);

    /* The analysis sees the same cycle, with the same witness, either way. */
    lw_findings fm = {0}, fo = {0};
    assert_int_equal(lw_analyze_lock_order(&pm, NULL, &fm, NULL), 1);
    assert_int_equal(lw_analyze_lock_order(&po, NULL, &fo, NULL), 1);
    assert_false(fm.items[0].harmless);
    assert_int_equal(fm.items[0].harmless, fo.items[0].harmless);
    assert_int_equal(fm.items[0].n_edges, 2);
    assert_int_equal(fo.items[0].n_edges, 2);
    for (size_t i = 0; i < 2; i++)
        assert_same_finding_edge(&fm.items[0].edges[i], &fo.items[0].edges[i]);
    assert_int_equal(fm.items[0].n_threads, fo.items[0].n_threads);

    /* The graph's per-edge summary counts every record, as before aggregation. */
    lw_lock_edges em, eo;
    assert_int_equal(lw_lock_order_edges(&pm, &em), 2);
    assert_int_equal(lw_lock_order_edges(&po, &eo), 2);
    assert_int_equal(em.items[0].from_lock, 1);
    assert_int_equal(em.items[0].occurrences, REPEATS);
    assert_int_equal(eo.items[0].occurrences, 1);
    assert_int_equal(em.items[1].occurrences, 1);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(em.items[i].n_threads, 1);
        assert_true(em.items[i].in_cycle);
        assert_same_finding_edge(&em.items[i].example, &eo.items[i].example);
    }

    lw_lock_edges_free(&em);
    lw_lock_edges_free(&eo);
    lw_findings_free(&fm);
    lw_findings_free(&fo);
    lw_process_free(&pm);
    lw_process_free(&po);
    lw_lb_free(many);
    lw_lb_free(once);
}

/* Contexts that differ in any field stay apart. */
static void test_different_contexts_stay_apart(void **state)
{
    (void)state;
    lw_log_builder *b = lw_lb_new(5);
    struct lw_held_entry h = {.lock_id = 1, .stack_id = 1};
    struct lw_held_entry h_other_stack = {.lock_id = 1, .stack_id = 2};
    struct lw_held_entry h_read = {.lock_id = 1, .stack_id = 1, .flags = LW_ACQ_READ};
    lw_lb_context(b, 1, 0, 2, 0, 1, &h, 1);
    lw_lb_context(b, 1, 1, 2, 0, 1, &h, 1);                           /* seq */
    lw_lb_context(b, 2, 0, 2, 0, 1, &h, 1);                           /* thread */
    lw_lb_context(b, 1, 0, 3, 0, 1, &h, 1);                           /* lock */
    lw_lb_context(b, 1, 0, 2, LW_ACQ_TRY, 1, &h, 1);                  /* acquisition flags */
    lw_lb_context(b, 1, 0, 2, 0, 2, &h, 1);                           /* stack */
    lw_lb_context(b, 1, 0, 2, 0, 1, &h_other_stack, 1);               /* held entry's stack */
    lw_lb_context(b, 1, 0, 2, 0, 1, &h_read, 1);                      /* held entry's flags */
    lw_lb_context_ex(b, LW_CTX_HELD_TRUNCATED, 1, 0, 2, 0, 1, &h, 1); /* record flags */
    lw_lb_context(b, 1, 0, 2, 0, 1, NULL, 0);                         /* held count */
    lw_lb_context(b, 1, 0, 2, 0, 1, &h, 1);                           /* a repeat of the first */
    lw_process p;
    read_built(b, &p);
    assert_int_equal(p.n_contexts, 10);
    assert_int_equal(p.contexts[0].count, 2);
    for (size_t i = 1; i < p.n_contexts; i++)
        assert_int_equal(p.contexts[i].count, 1);
    lw_process_free(&p);
    lw_lb_free(b);
}

static void write_prefix(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void assert_same_process(const lw_process *a, const lw_process *b)
{
    assert_int_equal(a->truncated, b->truncated);
    assert_int_equal(a->clean_end, b->clean_end);
    assert_int_equal(a->n_threads, b->n_threads);
    assert_int_equal(a->n_locks, b->n_locks);
    assert_int_equal(a->n_stacks, b->n_stacks);
    assert_int_equal(a->n_contexts, b->n_contexts);
    for (size_t i = 0; i < a->n_contexts; i++)
        assert_int_equal(a->contexts[i].count, b->contexts[i].count);
    if (a->damage || b->damage) {
        assert_non_null(a->damage);
        assert_non_null(b->damage);
        /* Same text, so the same file offsets: the window's positions are translated back. */
        assert_string_equal(a->damage, b->damage);
    }
}

/*
 * The streamed read agrees with the in-memory read at many cut lengths (file truncated, as by
 * a crash or a recorder trimming it), across chunks of several units and unused units.
 */
static void test_stream_matches_buffer(void **state)
{
    (void)state;
    mkdir(LW_TEST_TMPDIR, 0777);
    const char *path = LW_TEST_TMPDIR "/aggregate_stream.log";
    lw_log_builder *b = lw_lb_new_ex(9, 4096);
    uint64_t frames[600];
    for (int i = 0; i < 600; i++)
        frames[i] = 0x1000 + (uint64_t)i;
    uint32_t big = lw_lb_stack(b, frames, 600); /* a chunk of two units */
    lw_lb_thread_start(b, 1, 0, 0, 0);
    struct lw_held_entry h = {.lock_id = 1, .stack_id = big};
    for (uint32_t i = 0; i < 3000; i++)
        lw_lb_context(b, 1, i % 700, 2, 0, big, &h, 1);
    lw_lb_end(b, 0);
    size_t len;
    const uint8_t *buf = lw_lb_data(b, &len);
    /* Unused (zero) units after the data, as a killed recorder leaves them. */
    size_t padded = len + 3 * 4096;
    uint8_t *full = calloc(1, padded);
    assert_non_null(full);
    memcpy(full, buf, len);

    size_t cuts[] = {0,         8,        72,   4095,       4096,    4096 + 16,
                     4096 + 17, 8192 - 8, 8192, 12288 + 40, len / 2, len / 2 + 1,
                     len - 8,   len - 1,  len,  len + 4096, padded};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t n = cuts[i];
        write_prefix(path, full, n);
        lw_process pf, pb;
        char ef[256] = "", eb[256] = "";
        int rf = lw_read_log_file(path, &pf, ef, sizeof ef);
        int rb = lw_read_log_buffer(full, n, path, &pb, eb, sizeof eb);
        assert_int_equal(rf, rb);
        if (rf == 0) {
            assert_same_process(&pf, &pb);
            assert_int_equal(pf.n_contexts > 0, n >= len / 2);
        } else {
            assert_string_equal(ef, eb);
        }
        lw_process_free(&pf);
        lw_process_free(&pb);
    }
    lw_process pf;
    char err[256];
    write_prefix(path, full, padded);
    assert_int_equal(lw_read_log_file(path, &pf, err, sizeof err), 0);
    assert_false(pf.truncated);
    assert_int_equal(pf.n_contexts, 700); /* 3,000 records of 700 distinct contexts */
    size_t total = 0;
    for (size_t i = 0; i < pf.n_contexts; i++)
        total += pf.contexts[i].count;
    assert_int_equal(total, 3000);
    lw_process_free(&pf);
    unlink(path);
    free(full);
    lw_lb_free(b);
}

/*
 * A long run of distinct contexts (as a recorder writes for a program of many segments) stops
 * the reader probing its set for a while: records are then kept as they come, so repeats in
 * that stretch stay apart, and merging resumes after it. Either way every record is counted
 * once and the lock-order analysis finds what it finds on the log without the run and repeats.
 */
#define DISTINCT_RUN 60000u /* more than the set holds (49,152) */
#define REPEAT_RUN 400000u  /* more than the unprobed stretch (7 x 49,152) */
static void test_distinct_run_stops_probing(void **state)
{
    (void)state;
    lw_log_builder *big = abba_log(1, 1u << 20), *small = abba_log(1, 1u << 20);
    /* Thread 2 takes B under A once per segment: one distinct context each. */
    struct lw_held_entry ha = {.lock_id = 1, .stack_id = 1};
    for (uint32_t i = 1; i <= DISTINCT_RUN; i++)
        lw_lb_context(big, 2, i, 2, 0, 2, &ha, 1);
    for (uint32_t i = 0; i < REPEAT_RUN; i++)
        lw_lb_context(big, 2, 7, 2, 0, 2, &ha, 1);
    lw_process pb, ps;
    read_built(big, &pb);
    read_built(small, &ps);
    size_t total = 0;
    for (size_t i = 0; i < pb.n_contexts; i++)
        total += pb.contexts[i].count;
    assert_int_equal(total, 2 + DISTINCT_RUN + REPEAT_RUN);
    /* Some repeats were kept apart (the unprobed stretch), the rest merged again. */
    assert_true(pb.n_contexts > 2 + DISTINCT_RUN + 1000);
    assert_true(pb.n_contexts < 2 + DISTINCT_RUN + REPEAT_RUN);
    assert_true(pb.contexts[pb.n_contexts - 1].count > 1000);

    lw_findings fb = {0}, fsm = {0};
    assert_int_equal(lw_analyze_lock_order(&pb, NULL, &fb, NULL), 1);
    assert_int_equal(lw_analyze_lock_order(&ps, NULL, &fsm, NULL), 1);
    assert_int_equal(fb.items[0].harmless, fsm.items[0].harmless);
    for (size_t i = 0; i < 2; i++)
        assert_same_finding_edge(&fb.items[0].edges[i], &fsm.items[0].edges[i]);
    lw_findings_free(&fb);
    lw_findings_free(&fsm);
    lw_process_free(&pb);
    lw_process_free(&ps);
    lw_lb_free(big);
    lw_lb_free(small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_contexts_collapse),
        cmocka_unit_test(test_different_contexts_stay_apart),
        cmocka_unit_test(test_stream_matches_buffer),
        cmocka_unit_test(test_distinct_run_stops_probing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
