/*
 * Unit tests for thread_order.c: which thread segments wholly precede which, from create and
 * join records built in memory (no log files): create/join chains, join-then-create, concurrent
 * siblings, the main thread's own segments, damaged input, and 10,000 threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thread_order.h"

static lw_thread thr(uint32_t id, uint32_t parent, uint32_t parent_seq)
{
    return (lw_thread){.id = id, .parent_id = parent, .parent_seq = parent_seq};
}

static lw_join join_rec(uint32_t joiner, uint32_t joiner_seq, uint32_t joinee)
{
    return (lw_join){.joiner_id = joiner, .joiner_seq = joiner_seq, .joinee_id = joinee};
}

/*
 * Main (1) creates #2 in its segment 0 and #3 in segment 1, then joins #2 (segment 2 -> 3) and
 * #3 (segment 3 -> 4).
 */
static void test_main_creates_and_joins(void **state)
{
    (void)state;
    lw_thread t[] = {thr(1, 0, 0), thr(2, 1, 0), thr(3, 1, 1)};
    lw_join j[] = {join_rec(1, 2, 2), join_rec(1, 3, 3)};
    lw_process p = {.threads = t, .n_threads = 3, .joins = j, .n_joins = 2};
    lw_thread_order *o = lw_thread_order_build(&p);

    assert_true(lw_segment_precedes(o, 1, 0, 2, 0));  /* before the create */
    assert_false(lw_segment_precedes(o, 1, 1, 2, 0)); /* after it: concurrent */
    assert_true(lw_segment_precedes(o, 1, 1, 3, 5));
    assert_false(lw_segments_ordered(o, 1, 2, 3, 0));
    assert_true(lw_segment_precedes(o, 2, 7, 1, 3)); /* every segment of a joined thread */
    assert_false(lw_segment_precedes(o, 2, 7, 1, 2));
    assert_true(lw_segment_precedes(o, 3, 0, 1, 4));
    assert_false(lw_segment_precedes(o, 3, 0, 1, 3));
    /* siblings created before either is joined run concurrently */
    assert_false(lw_segments_ordered(o, 2, 0, 3, 0));
    assert_false(lw_segments_ordered(o, 3, 9, 2, 9));
    /* one thread's segments are ordered among themselves */
    assert_true(lw_segments_ordered(o, 1, 0, 1, 1));
    assert_false(lw_segments_ordered(o, 1, 1, 1, 1));
    assert_true(lw_segment_precedes(o, 1, 0, 1, 1));
    assert_false(lw_segment_precedes(o, 1, 1, 1, 0));
    /* memoized answers stay right when asked again */
    assert_true(lw_segment_precedes(o, 2, 7, 1, 3));
    assert_false(lw_segment_precedes(o, 2, 7, 1, 2));
    lw_thread_order_free(o);
}

/* Main creates #2, joins it, then creates #3: all of #2 precedes all of #3. */
static void test_join_then_create(void **state)
{
    (void)state;
    lw_thread t[] = {thr(1, 0, 0), thr(2, 1, 0), thr(3, 1, 2)};
    lw_join j[] = {join_rec(1, 1, 2)};
    lw_process p = {.threads = t, .n_threads = 3, .joins = j, .n_joins = 1};
    lw_thread_order *o = lw_thread_order_build(&p);
    assert_true(lw_segments_ordered(o, 2, 4, 3, 0));
    assert_true(lw_segments_ordered(o, 3, 0, 2, 4));
    assert_true(lw_segment_precedes(o, 2, 4, 3, 0));
    assert_false(lw_segment_precedes(o, 3, 0, 2, 4));
    char *why = lw_thread_order_explain(o, 3, 0, 2, 4);
    assert_non_null(why);
    assert_string_equal(why,
                        "thread #2 was joined by thread #1 before thread #1 created thread #3");
    free(why);
    why = lw_thread_order_explain(o, 1, 0, 2, 0);
    assert_string_equal(why, "thread #1 created thread #2");
    free(why);
    lw_thread_order_free(o);
}

/* Chains: 1 creates 2 creates 3 creates 4; then 3 joins 4, 2 joins 3, 1 joins 2. */
static void test_chains(void **state)
{
    (void)state;
    lw_thread t[] = {thr(1, 0, 0), thr(2, 1, 0), thr(3, 2, 0), thr(4, 3, 0)};
    lw_join j[] = {join_rec(3, 1, 4), join_rec(2, 1, 3), join_rec(1, 1, 2)};
    lw_process p = {.threads = t, .n_threads = 4, .joins = j, .n_joins = 3};
    lw_thread_order *o = lw_thread_order_build(&p);
    assert_true(lw_segment_precedes(o, 1, 0, 4, 0));
    assert_false(lw_segment_precedes(o, 1, 1, 4, 0));
    assert_true(lw_segment_precedes(o, 4, 0, 1, 2));
    assert_false(lw_segment_precedes(o, 4, 0, 1, 1));
    assert_true(lw_segment_precedes(o, 4, 0, 2, 2));
    char *why = lw_thread_order_explain(o, 4, 3, 1, 2);
    assert_string_equal(why, "thread #4 was joined by thread #3 before thread #3 was joined by "
                             "thread #2 before thread #2 was joined by thread #1");
    free(why);
    assert_null(lw_thread_order_explain(o, 4, 0, 1, 1));
    lw_thread_order_free(o);
}

/* A joined thread's ordering does not extend to its own children that it never joined. */
static void test_grandchild_not_joined(void **state)
{
    (void)state;
    lw_thread t[] = {thr(1, 0, 0), thr(2, 1, 0), thr(3, 2, 0)};
    lw_join j[] = {join_rec(1, 1, 2)};
    lw_process p = {.threads = t, .n_threads = 3, .joins = j, .n_joins = 1};
    lw_thread_order *o = lw_thread_order_build(&p);
    assert_true(lw_segment_precedes(o, 2, 0, 1, 2));
    assert_false(lw_segment_precedes(o, 3, 0, 1, 2)); /* #3 may outlive #2 */
    assert_true(lw_segment_precedes(o, 1, 0, 3, 0));  /* but it started after main's seg 0 */
    lw_thread_order_free(o);
}

/* Damaged input: unknown ids, self-parent, a parent loop, a self-join. Must not hang or crash. */
static void test_damaged(void **state)
{
    (void)state;
    lw_thread t[] = {thr(5, 6, 0), thr(6, 5, 0), thr(7, 7, 0)};
    lw_join j[] = {join_rec(7, 0, 7), join_rec(9, 0, 8)};
    lw_process p = {.threads = t, .n_threads = 3, .joins = j, .n_joins = 2};
    lw_thread_order *o = lw_thread_order_build(&p);
    assert_false(lw_segment_precedes(o, 100, 0, 5, 0));
    assert_false(lw_segment_precedes(o, 5, 0, 100, 0));
    (void)lw_segment_precedes(o, 5, 0, 6, 0);
    (void)lw_segment_precedes(o, 6, 0, 5, 0);
    assert_false(lw_segments_ordered(o, 7, 0, 5, 0));
    assert_true(lw_segment_precedes(o, 8, 3, 9, 1)); /* known only from the join record */
    char *why = lw_thread_order_explain(o, 5, 1, 6, 1);
    free(why);
    lw_thread_order_free(o);

    lw_process empty = {0};
    o = lw_thread_order_build(&empty);
    assert_false(lw_segment_precedes(o, 1, 0, 2, 0));
    assert_null(lw_thread_order_explain(o, 1, 0, 2, 0));
    lw_thread_order_free(o);
    assert_false(lw_segment_precedes(NULL, 1, 0, 2, 0));
}

/*
 * 10,000 threads, each created and joined by main in turn (create at seq 2i, join at 2i+1):
 * every earlier thread precedes every later one through main. Dense clocks would need 10^8
 * entries; the on-demand walk needs none of that.
 */
static void test_ten_thousand_threads(void **state)
{
    (void)state;
    enum { N = 10000 };
    lw_thread *t = calloc(N + 1, sizeof *t);
    lw_join *j = calloc(N, sizeof *j);
    t[0] = thr(1, 0, 0);
    for (uint32_t i = 0; i < N; i++) {
        t[i + 1] = thr(i + 2, 1, 2 * i);
        j[i] = join_rec(1, 2 * i + 1, i + 2);
    }
    lw_process p = {.threads = t, .n_threads = N + 1, .joins = j, .n_joins = N};
    lw_thread_order *o = lw_thread_order_build(&p);
    for (uint32_t i = 2; i < 200; i++) {
        assert_true(lw_segments_ordered(o, i, 0, i + 1, 0));
        assert_true(lw_segments_ordered(o, i + 5000, 0, 2, 0));
    }
    assert_true(lw_segment_precedes(o, 2, 0, N + 1, 0));
    assert_false(lw_segment_precedes(o, N + 1, 0, 2, 0));
    assert_true(lw_segment_precedes(o, N + 1, 0, 1, 2 * N));
    assert_false(lw_segment_precedes(o, N + 1, 0, 1, 2 * N - 1));
    lw_thread_order_free(o);
    free(t);
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_creates_and_joins),
        cmocka_unit_test(test_join_then_create),
        cmocka_unit_test(test_chains),
        cmocka_unit_test(test_grandchild_not_joined),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_ten_thousand_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
