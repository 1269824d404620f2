/*
 * Unit tests of post-mortem deadlock reconstruction (analyzer/wait_cycle.c): a process killed
 * while deadlocked left each thread's last WAIT_STATE; lw_rebuild_deadlock_from_waits turns a cycle
 * in those waits into one LW_DETECT_POSTMORTEM deadlock. The processes are built by hand (the
 * fields the reader would fill), so each case states exactly the waits it is about.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "log_reader.h"
#include "model.h"
#include "wait_cycle.h"

#define PID 500

/* Threads 1..n with kernel tids PID + id - 1 (as on Linux), none exited, no clean end. */
static void make_process(lw_process *p, size_t n_threads)
{
    memset(p, 0, sizeof *p);
    p->pid = PID;
    p->exit_status = -1;
    p->threads = calloc(n_threads, sizeof *p->threads);
    assert_non_null(p->threads);
    for (size_t i = 0; i < n_threads; i++) {
        p->threads[i].id = (uint32_t)i + 1;
        p->threads[i].os_tid = PID + i;
    }
    p->n_threads = n_threads;
    p->wait_states = calloc(n_threads, sizeof *p->wait_states);
    assert_non_null(p->wait_states);
}

static uint64_t tid_of(uint32_t thread)
{
    return PID + thread - 1;
}

/* Appends thread's last wait: for a lock owned (at the start of the wait) by `owner`, or for
 * joining `owner` when kind is LW_WAIT_JOIN. */
static lw_wait_state *add_wait(lw_process *p, uint32_t thread, uint32_t kind, uint32_t lock,
                               uint32_t owner, uint64_t call_pc)
{
    lw_wait_state *w = &p->wait_states[p->n_wait_states++];
    *w = (lw_wait_state){.thread_id = thread,
                         .wait_kind = kind,
                         .lock_id = lock,
                         .wait_addr = lock ? 0xa000 + 0x40 * (uint64_t)lock : 0,
                         .call_pc = call_pc};
    if (kind == LW_WAIT_JOIN)
        w->target_thread = owner;
    else
        w->owner_tid = tid_of(owner);
    return w;
}

/* The seed's deadlock, killed: #2 waits for mutex 2 owned by #3, #3 for mutex 1 owned by #2,
 * and main (#1) waits to join #2 (blocked behind the cycle, not part of it). */
static void abba(lw_process *p)
{
    make_process(p, 3);
    add_wait(p, 1, LW_WAIT_JOIN, 0, 2, 0x4010);
    add_wait(p, 2, LW_WAIT_MUTEX, 2, 3, 0x4020);
    add_wait(p, 3, LW_WAIT_MUTEX, 1, 2, 0x4030);
    lw_process_build_index(p);
}

static const lw_deadlock_wait *wait_of(const lw_deadlock *d, uint32_t thread)
{
    for (size_t i = 0; i < d->n_waits; i++)
        if (d->waits[i].thread_id == thread)
            return &d->waits[i];
    return NULL;
}

/* A two-thread mutex cycle: one deadlock, only the threads on the cycle, each waiting for the
 * other; the waited-for locks and the call sites become model entries reports can name. */
static void test_mutex_cycle(void **state)
{
    (void)state;
    lw_process p;
    abba(&p);
    lw_rebuild_deadlock_from_waits(&p);
    assert_int_equal(p.n_deadlocks, 1);
    const lw_deadlock *d = &p.deadlocks[0];
    assert_int_equal(d->detector, LW_DETECT_POSTMORTEM);
    assert_int_equal(d->n_waits, 2);
    assert_null(wait_of(d, 1));
    const lw_deadlock_wait *w2 = wait_of(d, 2), *w3 = wait_of(d, 3);
    assert_non_null(w2);
    assert_non_null(w3);
    assert_int_equal(w2->wait_kind, LW_WAIT_MUTEX);
    assert_int_equal(w2->lock_id, 2);
    assert_int_equal(w2->target_thread, 3);
    assert_int_equal(w2->wait_addr, 0xa080);
    assert_int_equal(w3->lock_id, 1);
    assert_int_equal(w3->target_thread, 2);

    /* Call sites: fresh one-frame stacks with distinct ids. */
    assert_int_not_equal(w2->stack_id, 0);
    assert_int_not_equal(w2->stack_id, w3->stack_id);
    const lw_stack *s2 = lw_process_stack(&p, w2->stack_id);
    assert_non_null(s2);
    assert_int_equal(s2->nframes, 1);
    assert_int_equal(s2->frames[0], 0x4020);
    const lw_stack *s3 = lw_process_stack(&p, w3->stack_id);
    assert_non_null(s3);
    assert_int_equal(s3->frames[0], 0x4030);

    /* Locks seen only in the waits are added, with their addresses. */
    const lw_lock *l1 = lw_process_lock(&p, 1);
    assert_non_null(l1);
    assert_int_equal(l1->address, 0xa040);
    assert_int_equal(l1->kind, LW_LOCK_MUTEX);
    assert_non_null(lw_process_lock(&p, 2));
    lw_process_free(&p);
}

/* A stack id the log already uses is not given to a call site again. */
static void test_call_site_ids_are_fresh(void **state)
{
    (void)state;
    lw_process p;
    abba(&p);
    p.stacks = calloc(1, sizeof *p.stacks);
    assert_non_null(p.stacks);
    p.stacks[0].id = 7;
    p.stacks[0].nframes = 1;
    p.stacks[0].frames = calloc(1, sizeof *p.stacks[0].frames);
    assert_non_null(p.stacks[0].frames);
    p.stacks[0].frames[0] = 0x9999;
    p.n_stacks = 1;
    lw_process_build_index(&p);
    lw_rebuild_deadlock_from_waits(&p);
    assert_int_equal(p.n_deadlocks, 1);
    for (size_t i = 0; i < p.deadlocks[0].n_waits; i++)
        assert_true(p.deadlocks[0].waits[i].stack_id > 7);
    assert_int_equal(lw_process_stack(&p, 7)->frames[0], 0x9999);
    lw_process_free(&p);
}

/* A process that left through exit or _exit while two of its threads waited for each other
 * (its own timeout, say) still had a deadlock: the cycle is rebuilt all the same. */
static void test_clean_end(void **state)
{
    (void)state;
    lw_process p;
    abba(&p);
    p.clean_end = true;
    p.exit_status = 4;
    lw_rebuild_deadlock_from_waits(&p);
    assert_int_equal(p.n_deadlocks, 1);
    assert_int_equal(p.deadlocks[0].n_waits, 2);
    lw_process_free(&p);
}

/* A timed wait ends by itself: a cycle through it is no deadlock. */
static void test_timed_wait(void **state)
{
    (void)state;
    lw_process p;
    abba(&p);
    p.wait_states[2].timed = true; /* #3's pthread_mutex_timedlock */
    lw_process_build_index(&p);
    lw_rebuild_deadlock_from_waits(&p);
    assert_int_equal(p.n_deadlocks, 0);
    lw_process_free(&p);
}

/* The recorder's own report wins: no second, rebuilt deadlock. */
static void test_recorder_reported(void **state)
{
    (void)state;
    lw_process p;
    abba(&p);
    p.deadlocks = calloc(1, sizeof *p.deadlocks);
    assert_non_null(p.deadlocks);
    p.deadlocks[0].detector = LW_DETECT_WAIT_CYCLE;
    p.n_deadlocks = 1;
    lw_rebuild_deadlock_from_waits(&p);
    assert_int_equal(p.n_deadlocks, 1);
    assert_int_equal(p.deadlocks[0].detector, LW_DETECT_WAIT_CYCLE);
    lw_process_free(&p);
}

/* An owner that has exited cannot be waited for in a cycle (its tid may be reused). */
static void test_owner_exited(void **state)
{
    (void)state;
    lw_process p;
    abba(&p);
    p.threads[2].exited = true; /* #3 */
    lw_process_build_index(&p);
    lw_rebuild_deadlock_from_waits(&p);
    assert_int_equal(p.n_deadlocks, 0);
    lw_process_free(&p);
}

/* Two threads joining each other: a join cycle, with no locks. */
static void test_join_cycle(void **state)
{
    (void)state;
    lw_process p;
    make_process(&p, 3);
    add_wait(&p, 1, LW_WAIT_NONE, 0, 0, 0);
    p.wait_states[0].owner_tid = 0;
    add_wait(&p, 2, LW_WAIT_JOIN, 0, 3, 0x5020);
    add_wait(&p, 3, LW_WAIT_JOIN, 0, 2, 0x5030);
    lw_process_build_index(&p);
    lw_rebuild_deadlock_from_waits(&p);
    assert_int_equal(p.n_deadlocks, 1);
    const lw_deadlock *d = &p.deadlocks[0];
    assert_int_equal(d->detector, LW_DETECT_POSTMORTEM);
    assert_int_equal(d->n_waits, 2);
    const lw_deadlock_wait *w2 = wait_of(d, 2), *w3 = wait_of(d, 3);
    assert_non_null(w2);
    assert_non_null(w3);
    assert_int_equal(w2->wait_kind, LW_WAIT_JOIN);
    assert_int_equal(w2->target_thread, 3);
    assert_int_equal(w3->target_thread, 2);
    assert_int_equal(w2->lock_id, 0);
    assert_int_equal(p.n_locks, 0);
    lw_process_free(&p);
}

/* A chain that ends in a running thread is no cycle. */
static void test_chain_without_cycle(void **state)
{
    (void)state;
    lw_process p;
    make_process(&p, 3);
    add_wait(&p, 1, LW_WAIT_JOIN, 0, 2, 0x4010);
    add_wait(&p, 2, LW_WAIT_MUTEX, 2, 3, 0x4020);
    add_wait(&p, 3, LW_WAIT_NONE, 0, 0, 0);
    p.wait_states[2].owner_tid = 0;
    lw_process_build_index(&p);
    lw_rebuild_deadlock_from_waits(&p);
    assert_int_equal(p.n_deadlocks, 0);
    lw_process_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutex_cycle),       cmocka_unit_test(test_call_site_ids_are_fresh),
        cmocka_unit_test(test_clean_end),         cmocka_unit_test(test_timed_wait),
        cmocka_unit_test(test_recorder_reported), cmocka_unit_test(test_owner_exited),
        cmocka_unit_test(test_join_cycle),        cmocka_unit_test(test_chain_without_cycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
