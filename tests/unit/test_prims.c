/*
 * Unit tests for the synchronisation-primitive support of the analyzer: the v1.1 records
 * (MISUSE, SYNC, LOCK_LIKE, FORK_HELD) written by the log builder and read back by the reader;
 * the lock rules (lock_rules.h); the lock-order consequences (signalling semaphores give no
 * edges, lock-like ones do; readers of a reader-preferring rwlock never close a cycle, those of
 * a writer-preferring one can; a read hold is no gate); semaphore handoffs in thread order (and
 * lock-like handoffs ignored); and the api-misuse findings (grouping, noise filter, names).
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
#include "log_builder.h"
#include "log_reader.h"
#include "misuse.h"
#include "thread_order.h"

/* Main (1) creates threads 2 and 3 at seq 0: they run concurrently. */
static lw_log_builder *two_threads(void)
{
    lw_log_builder *b = lw_lb_new_ex(4242, 4096);
    uint64_t f[] = {0x401000};
    lw_lb_stack(b, f, 1);
    lw_lb_thread_start(b, 1, 0, 0, 0);
    lw_lb_thread_start(b, 2, 1, 0, 1);
    lw_lb_thread_start(b, 3, 1, 0, 1);
    return b;
}

static void read_back(lw_log_builder *b, lw_process *p)
{
    size_t len;
    const void *data = lw_lb_data(b, &len);
    char err[256];
    assert_int_equal(lw_read_log_buffer(data, len, "test.log", p, err, sizeof err), 0);
    assert_null(p->damage);
}

/* Edge `held` -> `lock` by thread t at seq, with acquisition and held flags. */
static void edge(lw_log_builder *b, uint32_t t, uint32_t seq, uint32_t held, uint32_t hflags,
                 uint32_t lock, uint32_t aflags)
{
    struct lw_held_entry h = {.lock_id = held, .stack_id = 1, .flags = hflags};
    lw_lb_context(b, t, seq, lock, aflags, 1, &h, 1);
}

/* Findings of lock-order analysis on p: *real and *harmless counts; returns the findings. */
static lw_findings analyze(const lw_process *p, size_t *real, size_t *harmless)
{
    lw_findings fs = {0};
    lw_analyze_lock_order(p, NULL, &fs, NULL);
    *real = lw_findings_count_real(&fs);
    *harmless = fs.n - *real;
    return fs;
}

static void test_records_round_trip(void **state)
{
    (void)state;
    lw_log_builder *b = two_threads();
    lw_lb_lock(b, 7, LW_LOCK_SEMAPHORE, 0x6000, 1);
    struct lw_rec_misuse m = {.misuse = LW_MISUSE_UNLOCK_OTHER,
                              .thread_id = 2,
                              .lock_id = 7,
                              .stack_id = 1,
                              .other_thread = 3,
                              .other_lock_id = 9,
                              .lock_kind = LW_LOCK_MUTEX,
                              .address = 0x6000,
                              .other_address = 0x6040};
    lw_lb_misuse(b, &m);
    lw_lb_sync(b, LW_SYNC_SEM_HANDOFF, 2, 5, 3, 1, 7, 0x6000);
    lw_lb_lock_like(b, 7);
    struct lw_fork_held_entry fe[2] = {{11, 2, 0x7000}, {12, 3, 0x7040}};
    lw_lb_fork_held(b, 99, fe, 2);
    lw_process p;
    read_back(b, &p);
    assert_int_equal(p.n_misuses, 1);
    assert_int_equal(p.misuses[0].misuse, LW_MISUSE_UNLOCK_OTHER);
    assert_int_equal(p.misuses[0].other_thread, 3);
    assert_int_equal(p.misuses[0].other_lock_id, 9);
    assert_int_equal(p.misuses[0].other_address, 0x6040);
    assert_int_equal(p.n_syncs, 1);
    assert_int_equal(p.syncs[0].from_seq, 5);
    assert_int_equal(p.syncs[0].to_thread, 3);
    assert_int_equal(p.n_lock_like, 1);
    assert_true(lw_process_lock_like(&p, 7));
    assert_false(lw_process_lock_like(&p, 8));
    assert_true(lw_process_lock(&p, 7)->flags & LW_LOCKF_LOCK_LIKE);
    assert_int_equal(p.n_fork_held, 1);
    assert_int_equal(p.fork_held[0].parent_pid, 99);
    assert_int_equal(p.fork_held[0].n, 2);
    assert_int_equal(p.fork_held[0].entries[1].address, 0x7040);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* A FORK_HELD record whose count does not fit is damage, not a crash. */
static void test_fork_held_count_checked(void **state)
{
    (void)state;
    lw_log_builder *b = two_threads();
    struct lw_rec_fork_held r = {
        .h = {LW_REC_FORK_HELD, LW_RECORD_CHECK(LW_REC_FORK_HELD), 0, sizeof r},
        .parent_pid = 1,
        .n = 1000000};
    lw_lb_raw(b, 0, &r, sizeof r);
    lw_process p;
    size_t len;
    const void *data = lw_lb_data(b, &len);
    assert_int_equal(lw_read_log_buffer(data, len, "bad.log", &p, NULL, 0), 0);
    assert_true(p.truncated);
    assert_int_equal(p.n_fork_held, 0);
    lw_process_free(&p);
    lw_lb_free(b);
}

static void test_rules(void **state)
{
    (void)state;
    lw_lock rw_reader = {.id = 1, .kind = LW_LOCK_RWLOCK, .flags = LW_RWLOCK_PREFER_READER};
    lw_lock rw_writer = {.id = 2, .kind = LW_LOCK_RWLOCK, .flags = LW_RWLOCK_PREFER_WRITER};
    lw_lock rw_unknown = {.id = 3, .kind = LW_LOCK_RWLOCK, .flags = 0};
    lw_lock mutex = {.id = 4, .kind = LW_LOCK_MUTEX, .flags = 1};
    assert_true(lw_rwlock_readers_share(&rw_reader));
    assert_false(lw_rwlock_readers_share(&rw_writer));
    assert_false(lw_rwlock_readers_share(&rw_unknown));
    assert_false(lw_rwlock_readers_share(&mutex));
    assert_false(lw_rwlock_readers_share(NULL));
    /* Only read meets read on a sharing rwlock without blocking. */
    assert_false(lw_acq_blocks_on_hold(true, LW_ACQ_READ, LW_ACQ_READ | LW_ACQ_SPLICED));
    assert_true(lw_acq_blocks_on_hold(true, LW_ACQ_READ, 0));
    assert_true(lw_acq_blocks_on_hold(true, 0, LW_ACQ_READ));
    assert_true(lw_acq_blocks_on_hold(false, LW_ACQ_READ, LW_ACQ_READ));
    assert_false(lw_held_can_gate(LW_ACQ_READ));
    assert_true(lw_held_can_gate(LW_ACQ_TRY));
}

/* Two semaphores waited in opposite orders: nothing until they are proved lock-like, and
 * nothing once semaphore 1 is proved a signal too (a SEM_SIGNAL record before or after the
 * LOCK_LIKE one, or the flag on its LOCK record). */
static void test_semaphore_roles(void **state)
{
    (void)state;
    enum { NONE, LOCK_LIKE, SIGNAL_RECORD_FIRST, SIGNAL_RECORD_LAST, SIGNAL_FLAG, N_ROLES };
    for (int role = NONE; role < N_ROLES; role++) {
        int lock_like = role == LOCK_LIKE;
        lw_log_builder *b = two_threads();
        if (role == SIGNAL_RECORD_FIRST)
            lw_lb_sem_signal(b, 1);
        lw_lb_lock_ex(b, 1, LW_LOCK_SEMAPHORE, 1 | (role == SIGNAL_FLAG ? LW_LOCKF_SEM_SIGNAL : 0),
                      0x6000, 1, 0x10010);
        lw_lb_lock(b, 2, LW_LOCK_SEMAPHORE, 0x6040, 1);
        edge(b, 2, 0, 1, 0, 2, 0);
        edge(b, 3, 0, 2, 0, 1, 0);
        if (role != NONE) {
            lw_lb_lock_like(b, 1);
            lw_lb_lock_like(b, 2);
        }
        if (role == SIGNAL_RECORD_LAST)
            lw_lb_sem_signal(b, 1);
        lw_process p;
        read_back(b, &p);
        assert_int_equal(lw_process_lock_like(&p, 1), lock_like);
        assert_int_equal(lw_process_lock_like(&p, 2), role != NONE);
        assert_int_equal(p.n_lock_like, role == NONE ? 0 : lock_like ? 2 : 1);
        if (role >= SIGNAL_RECORD_FIRST)
            assert_true(lw_process_lock(&p, 1)->flags & LW_LOCKF_SEM_SIGNAL);
        assert_int_equal(lw_lock_counts_for_order(&p, 1), lock_like);
        assert_true(lw_lock_counts_for_order(&p, 77)); /* unknown: a lock */
        size_t real, harmless;
        lw_findings fs = analyze(&p, &real, &harmless);
        assert_int_equal(real, (size_t)lock_like);
        assert_int_equal(harmless, 0);
        lw_findings_free(&fs);
        lw_process_free(&p);
        lw_lb_free(b);
    }
}

/* A signalling semaphore held around both edges is not a gate (it has no edges at all). */
static void test_signal_semaphore_is_no_gate(void **state)
{
    (void)state;
    lw_log_builder *b = two_threads();
    lw_lb_lock(b, 1, LW_LOCK_MUTEX, 0x6000, 1);
    lw_lb_lock(b, 2, LW_LOCK_MUTEX, 0x6040, 1);
    lw_lb_lock(b, 3, LW_LOCK_SEMAPHORE, 0x6080, 1);
    struct lw_held_entry h2[] = {{3, 1, 0, 0}, {1, 1, 0, 0}};
    struct lw_held_entry h3[] = {{3, 1, 0, 0}, {2, 1, 0, 0}};
    lw_lb_context(b, 2, 0, 2, 0, 1, h2, 2);
    lw_lb_context(b, 3, 0, 1, 0, 1, h3, 2);
    lw_process p;
    read_back(b, &p);
    size_t real, harmless;
    lw_findings fs = analyze(&p, &real, &harmless);
    assert_int_equal(real, 1);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* Two rwlocks a, b; thread 2 a -> b, thread 3 b -> a, with the given modes and kind. */
static void rw_cycle(uint32_t kind_flags, uint32_t first, uint32_t second, size_t want_real,
                     const char *want_reason)
{
    lw_log_builder *b = two_threads();
    lw_lb_lock_ex(b, 1, LW_LOCK_RWLOCK, kind_flags, 0x6000, 1, 0x1000);
    lw_lb_lock_ex(b, 2, LW_LOCK_RWLOCK, kind_flags, 0x6040, 1, 0x1010);
    edge(b, 2, 0, 1, first, 2, second);
    edge(b, 3, 0, 2, first, 1, second);
    lw_process p;
    read_back(b, &p);
    size_t real, harmless;
    lw_findings fs = analyze(&p, &real, &harmless);
    assert_int_equal(real, want_real);
    assert_int_equal(real + harmless, 1);
    if (want_reason) {
        assert_non_null(fs.items[0].reason);
        assert_non_null(strstr(fs.items[0].reason, want_reason));
    }
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

static void test_rwlock_modes(void **state)
{
    (void)state;
    const uint32_t R = LW_ACQ_READ;
    rw_cycle(LW_RWLOCK_PREFER_READER, 0, 0, 1, NULL); /* write/write */
    rw_cycle(LW_RWLOCK_PREFER_READER, R, 0, 1, NULL); /* read held, write wanted */
    rw_cycle(LW_RWLOCK_PREFER_READER, 0, R, 1, NULL); /* write held, read wanted */
    rw_cycle(LW_RWLOCK_PREFER_READER, R, R, 0, "only readers of reader-preferring rwlock");
    rw_cycle(LW_RWLOCK_PREFER_WRITER, R, R, 1, NULL); /* a queued writer blocks readers */
    rw_cycle(LW_RWLOCK_PREFER_WRITER_NONRECURSIVE, R, R, 1, NULL);
    rw_cycle(0, R, R, 1, NULL); /* unknown kind: conservative */
}

/* Mixed cycle: rwlock r read by both, mutex m. Thread 2 holds r (read), takes m; thread 3
 * holds m, takes r for reading: it cannot block on thread 2's read hold. */
static void test_rwlock_mutex_cycle(void **state)
{
    (void)state;
    lw_log_builder *b = two_threads();
    lw_lb_lock_ex(b, 1, LW_LOCK_RWLOCK, LW_RWLOCK_PREFER_READER, 0x6000, 1, 0x1000);
    lw_lb_lock(b, 2, LW_LOCK_MUTEX, 0x6040, 1);
    edge(b, 2, 0, 1, LW_ACQ_READ, 2, 0);
    edge(b, 3, 0, 2, 0, 1, LW_ACQ_READ);
    lw_process p;
    read_back(b, &p);
    size_t real, harmless;
    lw_findings fs = analyze(&p, &real, &harmless);
    assert_int_equal(real, 0);
    assert_int_equal(harmless, 1);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* A rwlock both threads hold for reading around an ABBA is no gate: still a deadlock. */
static void test_read_hold_is_no_gate(void **state)
{
    (void)state;
    lw_log_builder *b = two_threads();
    lw_lb_lock(b, 1, LW_LOCK_MUTEX, 0x6000, 1);
    lw_lb_lock(b, 2, LW_LOCK_MUTEX, 0x6040, 1);
    lw_lb_lock_ex(b, 3, LW_LOCK_RWLOCK, LW_RWLOCK_PREFER_READER, 0x6080, 1, 0x1000);
    for (uint32_t mode = 0; mode < 2; mode++) {
        uint32_t gate_flags = mode ? 0 : LW_ACQ_READ;
        struct lw_held_entry h2[] = {{3, 1, gate_flags, 0}, {1, 1, 0, 0}};
        struct lw_held_entry h3[] = {{3, 1, gate_flags, 0}, {2, 1, 0, 0}};
        lw_lb_context(b, 2, mode, 2, 0, 1, h2, 2);
        lw_lb_context(b, 3, mode, 1, 0, 1, h3, 2);
    }
    lw_process p;
    read_back(b, &p);
    size_t real, harmless;
    lw_findings fs = analyze(&p, &real, &harmless);
    assert_int_equal(real, 1); /* the seq 0 occurrences (read gate) form a witness */
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* Thread 2: a -> b at seq 0, posts s (from_seq 0); thread 3 waits s at seq 0, b -> a at 1.
 * proved: 0 nothing else known about s, 1 LOCK_LIKE, 2 LOCK_LIKE and SEM_SIGNAL (a signal). */
static void handoff(int proved, size_t want_real)
{
    int lock_like = proved == 1;
    lw_log_builder *b = two_threads();
    lw_lb_lock(b, 1, LW_LOCK_MUTEX, 0x6000, 1);
    lw_lb_lock(b, 2, LW_LOCK_MUTEX, 0x6040, 1);
    lw_lb_lock(b, 9, LW_LOCK_SEMAPHORE, 0x6080, 1);
    edge(b, 2, 0, 1, 0, 2, 0);
    lw_lb_sync(b, LW_SYNC_SEM_HANDOFF, 2, 0, 3, 0, 9, 0x6080);
    edge(b, 3, 1, 2, 0, 1, 0);
    if (proved)
        lw_lb_lock_like(b, 9);
    if (proved == 2)
        lw_lb_sem_signal(b, 9);
    lw_process p;
    read_back(b, &p);
    lw_thread_order *o = lw_thread_order_build(&p);
    assert_int_equal(lw_segment_precedes(o, 2, 0, 3, 1), !lock_like);
    assert_false(lw_segment_precedes(o, 2, 1, 3, 1)); /* after the post: concurrent */
    assert_false(lw_segment_precedes(o, 2, 0, 3, 0)); /* before the wait: concurrent */
    if (!lock_like) {
        char *why = lw_thread_order_explain(o, 2, 0, 3, 1);
        assert_non_null(why);
        assert_non_null(strstr(why, "semaphore handoff (semaphore #9 posted by thread #2"));
        free(why);
    }
    lw_thread_order_free(o);
    size_t real, harmless;
    lw_findings fs = analyze(&p, &real, &harmless);
    assert_int_equal(real, want_real);
    assert_int_equal(real + harmless, 1);
    if (!lock_like)
        assert_non_null(strstr(fs.items[0].reason, "ordered by a semaphore handoff"));
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

static void test_semaphore_handoff(void **state)
{
    (void)state;
    handoff(0, 0);
    handoff(1, 1); /* a lock's release -> acquire orders nothing */
    handoff(2, 0); /* a signal after all: the post orders the wait */
}

static void test_misuse_findings(void **state)
{
    (void)state;
    lw_log_builder *b = two_threads();
    lw_lb_lock(b, 1, LW_LOCK_MUTEX, 0x6000, 1);
    lw_lb_lock(b, 5, LW_LOCK_SEMAPHORE, 0x6040, 1);
    lw_lb_lock(b, 6, LW_LOCK_SEMAPHORE, 0x6080, 1);
    lw_lb_lock(b, 7, LW_LOCK_SEMAPHORE, 0x60c0, 1);
    lw_lb_lock_like(b, 6);
    lw_lb_lock_like(b, 7);
    lw_lb_sem_signal(b, 7);
    struct lw_rec_misuse m = {.misuse = LW_MISUSE_UNLOCK_OTHER,
                              .thread_id = 2,
                              .lock_id = 1,
                              .stack_id = 1,
                              .other_thread = 3,
                              .lock_kind = LW_LOCK_MUTEX,
                              .address = 0x6000};
    lw_lb_misuse(b, &m);
    m.thread_id = 3; /* same call site, another thread: the same finding, seen twice */
    m.other_thread = 2;
    lw_lb_misuse(b, &m);
    struct lw_rec_misuse e = {.misuse = LW_MISUSE_EXIT_HOLDING,
                              .thread_id = 2,
                              .lock_id = 5,
                              .stack_id = 1,
                              .lock_kind = LW_LOCK_SEMAPHORE,
                              .address = 0x6040};
    lw_lb_misuse(b, &e); /* a consumed signal: not a misuse */
    e.lock_id = 6;
    e.address = 0x6080;
    lw_lb_misuse(b, &e); /* a lock-like semaphore left held: a misuse */
    e.lock_id = 7;
    e.address = 0x60c0;
    lw_lb_misuse(b, &e); /* lock-like, but also a signal any thread may post: not a misuse */
    struct lw_rec_misuse c = {
        .misuse = LW_MISUSE_DESTROY_WAITERS, .thread_id = 1, .stack_id = 1, .address = 0x9000};
    lw_lb_misuse(b, &c); /* a condvar: no lock id */
    lw_process p;
    read_back(b, &p);
    lw_findings fs = {0};
    assert_int_equal(lw_analyze_misuse(&p, &fs), 3);
    assert_int_equal(lw_findings_count_real(&fs), 3);
    size_t seen = 0;
    for (size_t i = 0; i < fs.n; i++) {
        const lw_finding *f = &fs.items[i];
        assert_int_equal(f->kind, LW_KIND_API_MISUSE);
        assert_int_equal(f->stack_id, 1);
        if (strcmp(f->subkind, "unlock-by-non-owner") == 0) {
            assert_int_equal(f->occurrences, 2);
            assert_int_equal(f->n_threads, 2);
            assert_int_equal(f->threads[0], 2);
            assert_int_equal(f->other_thread, 3);
            seen |= 1;
        } else if (strcmp(f->subkind, "exit-holding-lock") == 0) {
            assert_int_equal(f->locks[0], 6);
            seen |= 2;
        } else if (strcmp(f->subkind, "destroy-with-waiters") == 0) {
            assert_int_equal(f->n_locks, 0);
            assert_int_equal(f->address, 0x9000);
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

static void test_misuse_names(void **state)
{
    (void)state;
    for (uint32_t k = LW_MISUSE_UNLOCK_UNLOCKED; k <= LW_MISUSE_FORK_HELD; k++) {
        const char *name = lw_misuse_subkind(k);
        assert_string_not_equal(name, "unknown");
        assert_int_equal(lw_misuse_parse(name), k);
    }
    assert_string_equal(lw_misuse_subkind(0), "unknown");
    assert_string_equal(lw_misuse_subkind(999), "unknown");
    assert_int_equal(lw_misuse_parse("no-such"), 0);
    assert_int_equal(lw_misuse_parse(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_round_trip),
        cmocka_unit_test(test_fork_held_count_checked),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_semaphore_roles),
        cmocka_unit_test(test_signal_semaphore_is_no_gate),
        cmocka_unit_test(test_rwlock_modes),
        cmocka_unit_test(test_rwlock_mutex_cycle),
        cmocka_unit_test(test_read_hold_is_no_gate),
        cmocka_unit_test(test_semaphore_handoff),
        cmocka_unit_test(test_misuse_findings),
        cmocka_unit_test(test_misuse_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
