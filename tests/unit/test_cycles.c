/*
 * Unit tests for cycles.c: SCCs and elementary-cycle enumeration on small hand-made graphs
 * (each cycle once, canonical rotation, sorted output), self-loops, bounds, and graphs large
 * enough that a recursive DFS would overflow the stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cycles.h"

/* Builds a graph from arcs and enumerates its cycles under lim. */
static void run(uint32_t n, const lw_arc *arcs, size_t n_arcs, const lw_cycle_limits *lim,
                lw_cycles *out)
{
    lw_digraph g;
    lw_digraph_build(&g, n, arcs, n_arcs);
    lw_find_cycles(&g, lim, out);
    lw_digraph_free(&g);
}

static void assert_cycle(const lw_cycles *c, size_t i, const uint32_t *want, size_t n)
{
    size_t len;
    const uint32_t *got = lw_cycles_at(c, i, &len);
    assert_int_equal(len, n);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(got[k], want[k]);
}

static void test_two_cycle(void **state)
{
    (void)state;
    lw_arc arcs[] = {{1, 0}, {0, 1}, {0, 1}}; /* the duplicate is merged */
    lw_cycles c;
    run(2, arcs, 3, NULL, &c);
    assert_int_equal(c.n, 1);
    assert_false(c.truncated);
    assert_cycle(&c, 0, (uint32_t[]){0, 1}, 2);
    lw_cycles_free(&c);
}

static void test_three_cycle(void **state)
{
    (void)state;
    lw_arc arcs[] = {{2, 0}, {1, 2}, {0, 1}};
    lw_cycles c;
    run(3, arcs, 3, NULL, &c);
    assert_int_equal(c.n, 1);
    assert_cycle(&c, 0, (uint32_t[]){0, 1, 2}, 3);
    lw_cycles_free(&c);
}

static void test_five_cycle_rotated(void **state)
{
    (void)state;
    /* 4 -> 2 -> 3 -> 0 -> 1 -> 4: reported once, starting at its smallest node. */
    lw_arc arcs[] = {{4, 2}, {2, 3}, {3, 0}, {0, 1}, {1, 4}};
    lw_cycles c;
    run(5, arcs, 5, NULL, &c);
    assert_int_equal(c.n, 1);
    assert_cycle(&c, 0, (uint32_t[]){0, 1, 4, 2, 3}, 5);
    lw_cycles_free(&c);
}

static void test_overlapping_cycles(void **state)
{
    (void)state;
    /* Figure eight through node 0, plus a 2-cycle sharing node 1 and a tail. */
    lw_arc arcs[] = {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {3, 4}, {4, 0}, {1, 5}, {5, 1}, {4, 6}};
    lw_cycles c;
    run(7, arcs, 9, NULL, &c);
    assert_int_equal(c.n, 3);
    /* Sorted by length, then by nodes. */
    assert_cycle(&c, 0, (uint32_t[]){1, 5}, 2);
    assert_cycle(&c, 1, (uint32_t[]){0, 1, 2}, 3);
    assert_cycle(&c, 2, (uint32_t[]){0, 3, 4}, 3);
    lw_cycles_free(&c);
}

static void test_total_order_has_no_cycle(void **state)
{
    (void)state;
    enum { N = 100 };
    lw_arc *arcs = calloc(N * N, sizeof *arcs);
    size_t n = 0;
    for (uint32_t i = 0; i < N; i++)
        for (uint32_t j = i + 1; j < N; j++)
            arcs[n++] = (lw_arc){i, j};
    lw_cycles c;
    run(N, arcs, n, NULL, &c);
    assert_int_equal(c.n, 0);
    assert_false(c.truncated);
    lw_cycles_free(&c);
    free(arcs);
}

static void test_self_loop_ignored(void **state)
{
    (void)state;
    lw_arc arcs[] = {{0, 0}, {0, 1}, {1, 1}, {7, 0}}; /* {7, 0}: node out of range, ignored */
    lw_digraph g;
    lw_digraph_build(&g, 2, arcs, 4);
    assert_int_equal(g.n_arcs, 1);
    lw_cycles c;
    lw_find_cycles(&g, NULL, &c);
    assert_int_equal(c.n, 0);
    lw_cycles_free(&c);
    lw_digraph_free(&g);
}

/* The complete directed graph on n nodes (no self-loops). */
static lw_arc *complete(uint32_t n, size_t *n_arcs)
{
    lw_arc *arcs = calloc((size_t)n * n, sizeof *arcs);
    *n_arcs = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++)
            if (i != j)
                arcs[(*n_arcs)++] = (lw_arc){i, j};
    return arcs;
}

static void test_complete_graph_counts(void **state)
{
    (void)state;
    size_t n;
    lw_arc *arcs = complete(5, &n);
    lw_cycles c;
    /* K5 has C(5,2)*1! + C(5,3)*2! + C(5,4)*3! + C(5,5)*4! = 10 + 20 + 30 + 24 cycles. */
    run(5, arcs, n, NULL, &c);
    assert_int_equal(c.n, 84);
    assert_false(c.truncated);
    for (size_t i = 1; i < c.n; i++) { /* distinct and sorted */
        size_t la, lb;
        const uint32_t *a = lw_cycles_at(&c, i - 1, &la), *b = lw_cycles_at(&c, i, &lb);
        assert_true(la < lb || (la == lb && memcmp(a, b, la * sizeof *a) != 0));
        assert_true(la <= lb);
        /* canonical rotation: the first node is the smallest */
        for (size_t k = 1; k < lb; k++)
            assert_true(b[0] < b[k]);
    }
    lw_cycles_free(&c);
    /* Length bound: only the 2- and 3-cycles remain, and that is not a truncation. */
    lw_cycle_limits lim = {.max_len = 3};
    run(5, arcs, n, &lim, &c);
    assert_int_equal(c.n, 30);
    assert_false(c.truncated);
    lw_cycles_free(&c);
    free(arcs);
}

static void test_k12_bounded(void **state)
{
    (void)state;
    size_t n;
    lw_arc *arcs = complete(12, &n);
    lw_cycles c;
    lw_cycle_limits lim = {.max_cycles = 1000};
    run(12, arcs, n, &lim, &c);
    assert_int_equal(c.n, 1000);
    assert_true(c.truncated);
    lw_cycles_free(&c);
    lw_cycle_limits steps = {.max_steps = 5000};
    run(12, arcs, n, &steps, &c);
    assert_true(c.truncated);
    assert_true(c.n > 0);
    lw_cycles_free(&c);
    free(arcs);
}

static void test_exact_limit_is_not_truncation(void **state)
{
    (void)state;
    lw_arc arcs[] = {{0, 1}, {1, 0}, {1, 2}, {2, 1}};
    lw_cycles c;
    lw_cycle_limits lim = {.max_cycles = 2};
    run(3, arcs, 4, &lim, &c);
    assert_int_equal(c.n, 2);
    assert_false(c.truncated);
    lw_cycles_free(&c);
}

static void test_scc(void **state)
{
    (void)state;
    lw_arc arcs[] = {{0, 1}, {1, 0}, {1, 2}, {2, 3}, {3, 4}, {4, 2}, {5, 5}};
    lw_digraph g;
    lw_digraph_build(&g, 6, arcs, 7);
    uint32_t comp[6];
    assert_int_equal(lw_digraph_scc(&g, comp), 3);
    assert_int_equal(comp[0], comp[1]);
    assert_int_equal(comp[2], comp[3]);
    assert_int_equal(comp[3], comp[4]);
    assert_int_not_equal(comp[0], comp[2]);
    assert_int_not_equal(comp[5], comp[0]);
    assert_int_not_equal(comp[5], comp[2]);
    lw_digraph_free(&g);
}

/* A 300,000-node ring: DFS depth 300,000, far beyond what recursion would survive. */
static void test_huge_ring(void **state)
{
    (void)state;
    enum { N = 300000 };
    lw_arc *arcs = calloc(N, sizeof *arcs);
    for (uint32_t i = 0; i < N; i++)
        arcs[i] = (lw_arc){i, (i + 1) % N};
    lw_cycles c;
    run(N, arcs, N, NULL, &c);
    assert_int_equal(c.n, 1);
    size_t len;
    const uint32_t *cyc = lw_cycles_at(&c, 0, &len);
    assert_int_equal(len, N);
    assert_int_equal(cyc[0], 0);
    assert_int_equal(cyc[N - 1], N - 1);
    lw_cycles_free(&c);
    free(arcs);
}

/* A million arcs, acyclic, with a long path: SCC and enumeration stay linear and iterative. */
static void test_million_arc_dag(void **state)
{
    (void)state;
    enum { N = 500000 };
    lw_arc *arcs = calloc(2 * N, sizeof *arcs);
    size_t n = 0;
    for (uint32_t i = 0; i < N; i++) {
        arcs[n++] = (lw_arc){i, (i + 1) % N == 0 ? i : i + 1};
        arcs[n++] = (lw_arc){i, i + 2 < N ? i + 2 : i};
    }
    lw_cycles c;
    run(N, arcs, n, NULL, &c);
    assert_int_equal(c.n, 0);
    lw_cycles_free(&c);
    free(arcs);
}

static void test_empty(void **state)
{
    (void)state;
    lw_cycles c;
    run(0, NULL, 0, NULL, &c);
    assert_int_equal(c.n, 0);
    lw_cycles_free(&c);
    lw_cycles_free(&c); /* idempotent */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_cycle),
        cmocka_unit_test(test_three_cycle),
        cmocka_unit_test(test_five_cycle_rotated),
        cmocka_unit_test(test_overlapping_cycles),
        cmocka_unit_test(test_total_order_has_no_cycle),
        cmocka_unit_test(test_self_loop_ignored),
        cmocka_unit_test(test_complete_graph_counts),
        cmocka_unit_test(test_k12_bounded),
        cmocka_unit_test(test_exact_limit_is_not_truncation),
        cmocka_unit_test(test_scc),
        cmocka_unit_test(test_huge_ring),
        cmocka_unit_test(test_million_arc_dag),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
