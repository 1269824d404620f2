/*
 * Shared by test_aggregate.c and test_context_budget.c: equality of two finding edges, field by
 * field (cmocka asserts, so a difference names the field). Include after <cmocka.h>.
 */
#ifndef LW_TEST_FINDING_ASSERTS_H
#define LW_TEST_FINDING_ASSERTS_H

#include <stddef.h>

#include "finding.h"

/* a and b name the same edge occurrence: locks, thread and segment, stacks, flags, gates. */
static inline void assert_same_finding_edge(const lw_finding_edge *a, const lw_finding_edge *b)
{
    assert_int_equal(a->from_lock, b->from_lock);
    assert_int_equal(a->to_lock, b->to_lock);
    assert_int_equal(a->thread_id, b->thread_id);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->from_stack, b->from_stack);
    assert_int_equal(a->to_stack, b->to_stack);
    assert_int_equal(a->acq_flags, b->acq_flags);
    assert_int_equal(a->n_gates, b->n_gates);
    for (size_t i = 0; i < a->n_gates; i++)
        assert_int_equal(a->gates[i], b->gates[i]);
}

#endif /* LW_TEST_FINDING_ASSERTS_H */
