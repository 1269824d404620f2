/*
 * Unit tests for lock_order.c: lock-order processes built in memory (no log files) and the
 * findings they must produce: real inversions (ABBA, 3 threads, dining philosophers, a
 * million repeated occurrences), single-thread cycles, and cycles judged harmless (gate lock,
 * try-lock, create/join order) with their reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "finding.h"
#include "lock_order.h"
#include "lock_rules.h"
#include "log_reader.h"

/* A process under construction; contexts own their held arrays. */
typedef struct builder {
    lw_process p;
    size_t ctx_cap;
} builder;

/* Adds a context: thread t in segment seq acquires lock with flags while holding held[0..n). */
static void ctx(builder *b, uint32_t t, uint32_t seq, uint32_t lock, uint32_t flags, size_t n,
                const uint32_t *held)
{
    if (b->p.n_contexts == b->ctx_cap) {
        b->ctx_cap = b->ctx_cap ? b->ctx_cap * 2 : 16;
        b->p.contexts = realloc(b->p.contexts, b->ctx_cap * sizeof *b->p.contexts);
    }
    lw_context *c = &b->p.contexts[b->p.n_contexts++];
    memset(c, 0, sizeof *c);
    c->thread_id = t;
    c->seq = seq;
    c->lock_id = lock;
    c->acq_flags = flags;
    c->stack_id = 100 + lock;
    c->n_held = (uint32_t)n;
    c->held = calloc(n ? n : 1, sizeof *c->held);
    for (size_t i = 0; i < n; i++)
        c->held[i] = (lw_held){.lock_id = held[i], .stack_id = 200 + held[i]};
}

#define HELD(...)                                                                                  \
    (sizeof((uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)), (uint32_t[])                           \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static void builder_free(builder *b)
{
    for (size_t i = 0; i < b->p.n_contexts; i++)
        free(b->p.contexts[i].held);
    free(b->p.contexts);
}

/* Main (1) creates threads 2..n+1 in segment 0; they are concurrent with each other. */
static lw_thread siblings[16];
static void with_siblings(builder *b, uint32_t n)
{
    siblings[0] = (lw_thread){.id = 1};
    for (uint32_t i = 0; i < n; i++)
        siblings[i + 1] = (lw_thread){.id = i + 2, .parent_id = 1};
    b->p.threads = siblings;
    b->p.n_threads = n + 1;
}

static void analyze(builder *b, lw_findings *fs)
{
    memset(fs, 0, sizeof *fs);
    bool truncated = true;
    lw_analyze_lock_order(&b->p, NULL, fs, &truncated);
    assert_false(truncated);
}

static void test_abba_two_threads(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 2);
    ctx(&b, 2, 0, 2, 0, HELD(1)); /* thread 2: A(1) then B(2) */
    ctx(&b, 3, 0, 1, 0, HELD(2)); /* thread 3: B then A */
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    assert_int_equal(lw_findings_count_real(&fs), 1);
    lw_finding *f = &fs.items[0];
    assert_int_equal(f->kind, LW_KIND_LOCK_ORDER_INVERSION);
    assert_null(f->subkind);
    assert_null(f->reason);
    assert_ptr_equal(f->proc, &b.p);
    assert_int_equal(f->n_locks, 2);
    assert_int_equal(f->locks[0], 1);
    assert_int_equal(f->locks[1], 2);
    assert_int_equal(f->n_edges, 2);
    assert_int_equal(f->edges[0].from_lock, 1);
    assert_int_equal(f->edges[0].to_lock, 2);
    assert_int_equal(f->edges[0].thread_id, 2);
    assert_int_equal(f->edges[0].from_stack, 201);
    assert_int_equal(f->edges[0].to_stack, 102);
    assert_int_equal(f->edges[1].from_lock, 2);
    assert_int_equal(f->edges[1].to_lock, 1);
    assert_int_equal(f->edges[1].thread_id, 3);
    assert_int_equal(f->n_threads, 2);
    assert_int_equal(f->threads[0], 2);
    assert_int_equal(f->threads[1], 3);
    assert_int_equal(f->occurrences, 1);
    lw_findings_free(&fs);
    builder_free(&b);
}

static void test_three_locks_three_threads(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 3);
    ctx(&b, 2, 0, 2, 0, HELD(1));
    ctx(&b, 3, 0, 3, 0, HELD(2));
    ctx(&b, 4, 0, 1, 0, HELD(3));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    assert_false(fs.items[0].harmless);
    assert_int_equal(fs.items[0].n_locks, 3);
    assert_int_equal(fs.items[0].n_threads, 3);
    lw_findings_free(&fs);
    builder_free(&b);
}

static void test_dining_philosophers(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 5);
    for (uint32_t i = 0; i < 5; i++)
        ctx(&b, i + 2, 0, (i + 1) % 5 + 1, 0, HELD(i + 1));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    lw_finding *f = &fs.items[0];
    assert_false(f->harmless);
    assert_int_equal(f->n_locks, 5);
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(f->locks[i], i + 1);
        assert_int_equal(f->edges[i].thread_id, i + 2);
    }
    assert_int_equal(f->n_threads, 5);
    lw_findings_free(&fs);
    builder_free(&b);
}

static void test_single_thread_abba(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 1);
    ctx(&b, 2, 0, 2, 0, HELD(1));
    ctx(&b, 2, 0, 1, 0, HELD(2));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    lw_finding *f = &fs.items[0];
    assert_false(f->harmless);
    assert_non_null(f->subkind);
    assert_string_equal(f->subkind, "single-thread");
    assert_int_equal(f->n_threads, 1);
    assert_int_equal(f->threads[0], 2);
    assert_int_equal(f->edges[0].thread_id, 2);
    assert_int_equal(f->edges[1].thread_id, 2);
    lw_findings_free(&fs);
    builder_free(&b);
}

static void test_gate_lock(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 2);
    /* Both threads take G (9) first: A/B inverted under G cannot deadlock. */
    ctx(&b, 2, 0, 1, 0, HELD(9));
    ctx(&b, 2, 0, 2, 0, HELD(9, 1));
    ctx(&b, 3, 0, 2, 0, HELD(9));
    ctx(&b, 3, 0, 1, 0, HELD(9, 2));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    lw_finding *f = &fs.items[0];
    assert_true(f->harmless);
    assert_int_equal(lw_findings_count_real(&fs), 0);
    assert_non_null(f->reason);
    assert_non_null(strstr(f->reason, "gate lock #9"));
    assert_int_equal(f->edges[0].n_gates, 1);
    assert_int_equal(f->edges[0].gates[0], 9);
    assert_int_equal(f->edges[1].gates[0], 9);
    lw_findings_free(&fs);
    builder_free(&b);
}

static void test_trylock_closed(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 2);
    ctx(&b, 2, 0, 2, 0, HELD(1));
    ctx(&b, 3, 0, 1, LW_ACQ_TRY, HELD(2)); /* B then trylock(A): backs off instead of waiting */
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    lw_finding *f = &fs.items[0];
    assert_true(f->harmless);
    assert_non_null(strstr(f->reason, "try-lock"));
    assert_int_equal(f->edges[1].acq_flags & LW_ACQ_TRY, LW_ACQ_TRY);
    lw_findings_free(&fs);
    builder_free(&b);
}

static void test_create_join_ordered(void **state)
{
    (void)state;
    builder b = {0};
    /* Main creates #2, joins it, then creates #3. */
    lw_thread t[] = {{.id = 1},
                     {.id = 2, .parent_id = 1, .parent_seq = 0},
                     {.id = 3, .parent_id = 1, .parent_seq = 2}};
    lw_join j[] = {{.joiner_id = 1, .joiner_seq = 1, .joinee_id = 2}};
    b.p.threads = t;
    b.p.n_threads = 3;
    b.p.joins = j;
    b.p.n_joins = 1;
    ctx(&b, 2, 0, 2, 0, HELD(1));
    ctx(&b, 3, 0, 1, 0, HELD(2));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    lw_finding *f = &fs.items[0];
    assert_true(f->harmless);
    assert_non_null(strstr(f->reason, "threads #2 and #3 never run at the same time"));
    assert_non_null(strstr(f->reason, "thread #2 was joined by thread #1"));
    lw_findings_free(&fs);
    builder_free(&b);
}

static void test_gated_and_ungated_mix(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 2);
    ctx(&b, 2, 0, 2, 0, HELD(9, 1)); /* A -> B under G ... */
    ctx(&b, 2, 1, 2, 0, HELD(1));    /* ... and once without G */
    ctx(&b, 3, 0, 1, 0, HELD(9, 2)); /* B -> A always under G */
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    lw_finding *f = &fs.items[0];
    assert_false(f->harmless);
    assert_int_equal(f->edges[0].from_lock, 1);
    assert_int_equal(f->edges[0].n_gates, 0); /* the witness uses the ungated occurrence */
    assert_null(f->edges[0].gates);
    assert_int_equal(f->edges[0].seq, 1);
    assert_int_equal(f->edges[1].n_gates, 1);
    assert_int_equal(f->occurrences, 1);
    lw_findings_free(&fs);
    builder_free(&b);
}

/* The same pair recorded a million times: one edge, one finding, found quickly. */
static void test_million_occurrences(void **state)
{
    (void)state;
    builder b = {0};
    for (uint32_t i = 0; i < 1000000; i++)
        ctx(&b, 2 + i % 1000, i / 1000, 2, 0, HELD(1));
    ctx(&b, 5000, 0, 1, 0, HELD(2));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    assert_false(fs.items[0].harmless);
    assert_int_equal(fs.items[0].occurrences, 1); /* one cycle, however many contexts */
    lw_findings_free(&fs);

    /* Renderer view: two distinct edges. */
    lw_lock_edges le;
    assert_int_equal(lw_lock_order_edges(&b.p, &le), 2);
    assert_int_equal(le.items[0].from_lock, 1);
    assert_int_equal(le.items[0].occurrences, 1000000);
    assert_int_equal(le.items[0].n_threads, 1000);
    assert_true(le.items[0].in_cycle);
    assert_false(le.items[0].only_try);
    lw_lock_edges_free(&le);
    builder_free(&b);
}

/* A million occurrences by the thread that also closes the cycle: still single-thread. */
static void test_million_same_thread(void **state)
{
    (void)state;
    builder b = {0};
    for (uint32_t i = 0; i < 1000000; i++)
        ctx(&b, 2, i, 2, 0, HELD(1));
    ctx(&b, 2, 0, 1, 0, HELD(2));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    assert_false(fs.items[0].harmless);
    assert_string_equal(fs.items[0].subkind, "single-thread");
    lw_findings_free(&fs);
    builder_free(&b);
}

/* Recursion (held == acquired), an acyclic order and empty/undefined input give nothing. */
static void test_no_cycle(void **state)
{
    (void)state;
    builder b = {0};
    ctx(&b, 2, 0, 1, 0, HELD(1));    /* recursive re-lock */
    ctx(&b, 2, 0, 2, 0, HELD(1, 1)); /* held twice */
    ctx(&b, 3, 0, 3, 0, HELD(1, 2));
    ctx(&b, 3, 0, 4, 0, 0, NULL);
    b.p.contexts[b.p.n_contexts - 1].n_held = 5; /* a lying count with no array must not crash */
    free(b.p.contexts[b.p.n_contexts - 1].held);
    b.p.contexts[b.p.n_contexts - 1].held = NULL;
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 0);
    lw_lock_edges le;
    assert_int_equal(lw_lock_order_edges(&b.p, &le), 3); /* 1->2, 1->3, 2->3 */
    assert_false(le.items[0].in_cycle);
    lw_lock_edges_free(&le);
    builder_free(&b);

    lw_process empty = {0};
    memset(&fs, 0, sizeof fs);
    assert_int_equal(lw_analyze_lock_order(&empty, NULL, &fs, NULL), 0);
    lw_findings_free(&fs);
}

/* Two cycles sharing a lock; options bound the enumeration. */
static void test_two_cycles_and_limits(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 4);
    ctx(&b, 2, 0, 2, 0, HELD(1));
    ctx(&b, 3, 0, 1, 0, HELD(2));
    ctx(&b, 4, 0, 3, 0, HELD(2));
    ctx(&b, 5, 0, 2, 0, HELD(3));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 2);
    assert_int_equal(fs.items[0].locks[0], 1);
    assert_int_equal(fs.items[1].locks[0], 2);
    lw_findings_free(&fs);

    memset(&fs, 0, sizeof fs);
    bool truncated = false;
    lw_lock_order_options opt = {.max_cycles = 1};
    assert_int_equal(lw_analyze_lock_order(&b.p, &opt, &fs, &truncated), 1);
    assert_true(truncated);
    lw_findings_free(&fs);
    builder_free(&b);
}

/* One thread takes A->B and B->C, another C->A: a 3-lock cycle with only 2 threads. */
static void test_too_few_threads(void **state)
{
    (void)state;
    builder b = {0};
    with_siblings(&b, 2);
    ctx(&b, 2, 0, 2, 0, HELD(1));
    ctx(&b, 2, 0, 3, 0, HELD(2));
    ctx(&b, 3, 0, 1, 0, HELD(3));
    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 1);
    assert_true(fs.items[0].harmless);
    assert_non_null(strstr(fs.items[0].reason, "needs 3 threads"));
    lw_findings_free(&fs);
    builder_free(&b);
}

/*
 * Lock kinds read through the per-lock table (ids dense and below 1024: also the edge matrix),
 * through the table alone (dense ids past 1024) and through lock_rules.h (sparse ids): the same
 * findings each way. A/B is a real inversion; B/C is gated by G; A/R closes only through a
 * read acquisition meeting a read hold of a reader-preferring rwlock (cannot block); the
 * signalling semaphore S gives no edge, so S/C is no cycle at all.
 */
static void kinds_scenario(uint32_t base, uint32_t stride)
{
    enum { A, B, C, G, S, R, N };
    uint32_t id[N];
    for (int i = 0; i < N; i++)
        id[i] = base + (uint32_t)i * stride;
    builder b = {0};
    with_siblings(&b, 2);
    b.p.locks = calloc(N, sizeof *b.p.locks);
    b.p.n_locks = N;
    for (int i = 0; i < N; i++)
        b.p.locks[i] = (lw_lock){.id = id[i], .kind = LW_LOCK_MUTEX};
    b.p.locks[S].kind = LW_LOCK_SEMAPHORE;
    b.p.locks[R].kind = LW_LOCK_RWLOCK;
    b.p.locks[R].flags = LW_RWLOCK_PREFER_READER;
    lw_process_build_index(&b.p);
    ctx(&b, 2, 0, id[B], 0, HELD(id[A]));
    ctx(&b, 3, 0, id[A], 0, HELD(id[B]));
    ctx(&b, 2, 0, id[C], 0, HELD(id[G], id[B]));
    ctx(&b, 3, 0, id[B], 0, HELD(id[G], id[C]));
    ctx(&b, 2, 0, id[C], 0, HELD(id[S]));
    ctx(&b, 3, 0, id[S], 0, HELD(id[C]));
    ctx(&b, 2, 0, id[R], LW_ACQ_READ, HELD(id[A]));
    ctx(&b, 3, 0, id[A], 0, HELD(id[R]));
    b.p.contexts[b.p.n_contexts - 1].held[0].flags = LW_ACQ_READ;

    lw_findings fs;
    analyze(&b, &fs);
    assert_int_equal(fs.n, 3);
    assert_int_equal(lw_findings_count_real(&fs), 1);
    for (size_t i = 0; i < fs.n; i++) {
        const lw_finding *f = &fs.items[i];
        assert_int_equal(f->n_locks, 2);
        bool ab = f->locks[0] == id[A] && f->locks[1] == id[B];
        bool bc = f->locks[0] == id[B] && f->locks[1] == id[C];
        bool ar = f->locks[0] == id[A] && f->locks[1] == id[R];
        assert_true(ab || bc || ar);
        assert_int_equal(f->harmless, !ab);
        if (bc) {
            assert_int_equal(f->edges[0].n_gates, 1);
            assert_int_equal(f->edges[0].gates[0], id[G]);
        }
    }
    lw_findings_free(&fs);

    lw_lock_edges es;
    lw_lock_order_edges(&b.p, &es);
    assert_int_equal(es.n, 8); /* A>B B>A G>B G>C B>C C>B A>R R>A; none with S */
    lw_lock_edges_free(&es);

    b.p.threads = NULL; /* static */
    b.p.n_threads = 0;
    lw_process_free(&b.p); /* hand-built: frees each held array */
}

static void test_lock_kinds_any_ids(void **state)
{
    (void)state;
    kinds_scenario(1, 1);        /* dense and small: kind table and edge matrix */
    kinds_scenario(2001, 1);     /* dense, past the matrix: kind table alone */
    kinds_scenario(1u << 30, 7); /* sparse: lock_rules.h for every question */
}

static void test_kind_names(void **state)
{
    (void)state;
    for (int k = 0; k < LW_KIND_COUNT; k++)
        assert_int_equal(lw_kind_parse(lw_kind_name((lw_finding_kind)k)), k);
    assert_string_equal(lw_kind_name(LW_KIND_LOCK_ORDER_INVERSION), "lock-order-inversion");
    assert_string_equal(lw_kind_name(LW_KIND_UNPROTECTED_INCREMENT), "unprotected-increment");
    assert_int_equal(lw_kind_parse("nope"), -1);
    assert_int_equal(lw_kind_parse(NULL), -1);
    assert_string_equal(lw_kind_name((lw_finding_kind)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abba_two_threads),
        cmocka_unit_test(test_three_locks_three_threads),
        cmocka_unit_test(test_dining_philosophers),
        cmocka_unit_test(test_single_thread_abba),
        cmocka_unit_test(test_gate_lock),
        cmocka_unit_test(test_trylock_closed),
        cmocka_unit_test(test_create_join_ordered),
        cmocka_unit_test(test_gated_and_ungated_mix),
        cmocka_unit_test(test_million_occurrences),
        cmocka_unit_test(test_million_same_thread),
        cmocka_unit_test(test_no_cycle),
        cmocka_unit_test(test_two_cycles_and_limits),
        cmocka_unit_test(test_too_few_threads),
        cmocka_unit_test(test_lock_kinds_any_ids),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
