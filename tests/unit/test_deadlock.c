/*
 * Unit tests of live-deadlock reporting: DEADLOCK records read into the model (log_reader.c),
 * turned into findings (analyzer/deadlock.c: subkinds, locks, threads, duplicates folded, empty
 * records skipped), rendered as text (render_text_deadlock.c: headline, per-thread lines,
 * scenario table, SUMMARY) and JSON (the "waits" member), and odd records (unknown kinds, ids the
 * log never defined) that must render without crashing. Logs come from the log builder; symbols
 * from an invented symbol source so the expected text does not depend on any binary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deadlock.h"
#include "finding.h"
#include "log_builder.h"
#include "log_reader.h"
#include "render.h"
#include "text_fixture.h"

#define NAME "dl.log"
#define SRC "/src/proj/seed.c"

/* ---- invented symbols: pc 0x1000 + line -> thread_fn at seed.c:line; 'a', 'b' globals ---- */

static size_t fake_pc(void *h, uint64_t pc, bool is_ret, lw_frame *out, size_t max)
{
    (void)h;
    (void)is_ret;
    if (max < 1)
        return 0;
    if (pc >= 0x1000 && pc < 0x2000)
        out[0] = (lw_frame){.pc = pc,
                            .function = "thread_fn",
                            .file = SRC,
                            .line = (int)(pc - 0x1000),
                            .module = "/src/proj/seed"};
    else
        out[0] = (lw_frame){.pc = pc};
    return 1;
}

static bool fake_data(void *h, uint64_t addr, lw_data_symbol *out)
{
    (void)h;
    if (addr == 0xa000) {
        *out = (lw_data_symbol){.name = "a", .start = 0xa000, .size = 40, .file = SRC, .line = 3};
        return true;
    }
    if (addr == 0xb000) {
        *out = (lw_data_symbol){.name = "b", .start = 0xb000, .size = 40, .file = SRC, .line = 4};
        return true;
    }
    return false;
}

static const lw_symbol_source fake_source = {fake_open, fake_close, fake_pc, fake_data, NULL};

/* ---- logs ---- */

/* Threads 1..3, locks 1 ('a') and 2 ('b'), stacks 1 (line 30) and 2 (line 44). */
static lw_log_builder *base_log(void)
{
    lw_log_builder *b = lw_lb_new_ex(77, 4096);
    lw_lb_process(b, 1, "/src/proj/seed");
    uint64_t f1[] = {0x1000 + 30, 0x1000 + 60};
    uint64_t f2[] = {0x1000 + 44, 0x1000 + 60};
    lw_lb_stack(b, f1, 2);
    lw_lb_stack(b, f2, 2);
    lw_lb_thread_start(b, 1, 0, 0, 0);
    lw_lb_thread_start(b, 2, 1, 0, 0);
    lw_lb_thread_start(b, 3, 1, 1, 0);
    lw_lb_lock(b, 1, LW_LOCK_MUTEX, 0xa000, 1);
    lw_lb_lock(b, 2, LW_LOCK_MUTEX, 0xb000, 2);
    return b;
}

/* The seed's cycle: #2 holds 'a' and waits for 'b' (held by #3), #3 the other way round. */
static void abba_entries(struct lw_deadlock_entry e[2])
{
    memset(e, 0, 2 * sizeof *e);
    e[0] = (struct lw_deadlock_entry){.thread_id = 2,
                                      .wait_kind = LW_WAIT_MUTEX,
                                      .lock_id = 2,
                                      .target_thread = 3,
                                      .stack_id = 1,
                                      .n_held = 1,
                                      .wait_addr = 0xb000,
                                      .wait_ns = 812000000,
                                      .held = {1}};
    e[1] = (struct lw_deadlock_entry){.thread_id = 3,
                                      .wait_kind = LW_WAIT_MUTEX,
                                      .lock_id = 1,
                                      .target_thread = 2,
                                      .stack_id = 2,
                                      .n_held = 1,
                                      .wait_addr = 0xa000,
                                      .wait_ns = 811000000,
                                      .held = {2}};
}

static void read_log(lw_log_builder *b, lw_process *p)
{
    size_t len;
    const void *buf = lw_lb_data(b, &len);
    char err[256];
    assert_int_equal(lw_read_log_buffer(buf, len, NAME, p, err, sizeof err), 0);
    assert_false(p->truncated);
}

static char *render(const lw_process *p, const lw_findings *fs, bool json)
{
    return render_report(p, fs, &fake_source, "/src/proj", json);
}

/* ---- tests ---- */

/* Every field of a DEADLOCK record reaches the model; held lists are cut to what was listed. */
static void test_reader_round_trip(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    struct lw_deadlock_entry e[2];
    abba_entries(e);
    e[1].n_held = 11; /* more than LW_DEADLOCK_MAX_HELD: only 8 listed */
    for (uint32_t i = 0; i < LW_DEADLOCK_MAX_HELD; i++)
        e[1].held[i] = 100 + i;
    lw_lb_deadlock(b, LW_DETECT_WAIT_CYCLE, e, 2);
    lw_lb_deadlock(b, LW_DETECT_ALL_BLOCKED, e, 0);
    lw_process p;
    read_log(b, &p);
    assert_int_equal(p.n_deadlocks, 2);
    const lw_deadlock *d = &p.deadlocks[0];
    assert_int_equal(d->detector, LW_DETECT_WAIT_CYCLE);
    assert_true(d->monotonic_ns > 0);
    assert_int_equal(d->n_waits, 2);
    const lw_deadlock_wait *w = &d->waits[0];
    assert_int_equal(w->thread_id, 2);
    assert_int_equal(w->wait_kind, LW_WAIT_MUTEX);
    assert_int_equal(w->lock_id, 2);
    assert_int_equal(w->target_thread, 3);
    assert_int_equal(w->stack_id, 1);
    assert_int_equal(w->n_held, 1);
    assert_int_equal(w->n_listed, 1);
    assert_int_equal(w->held[0], 1);
    assert_int_equal(w->wait_addr, 0xb000);
    assert_int_equal(w->wait_ns, 812000000);
    assert_int_equal(d->waits[1].n_held, 11);
    assert_int_equal(d->waits[1].n_listed, LW_DEADLOCK_MAX_HELD);
    assert_int_equal(d->waits[1].held[7], 107);
    assert_int_equal(p.deadlocks[1].detector, LW_DETECT_ALL_BLOCKED);
    assert_int_equal(p.deadlocks[1].n_waits, 0);
    assert_null(p.deadlocks[1].waits);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* One finding per distinct deadlock: repeats fold into occurrences, empty records are skipped. */
static void test_analysis(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    struct lw_deadlock_entry e[2];
    abba_entries(e);
    lw_lb_deadlock(b, LW_DETECT_WAIT_CYCLE, e, 2);
    e[0].wait_ns = 5; /* the same deadlock reported again later: still the same */
    lw_lb_deadlock(b, LW_DETECT_WAIT_CYCLE, e, 2);
    lw_lb_deadlock(b, LW_DETECT_WAIT_CYCLE, e, 0);
    struct lw_deadlock_entry self = e[0];
    self.lock_id = 1;
    self.wait_addr = 0xa000;
    self.target_thread = 2;
    lw_lb_deadlock(b, LW_DETECT_SELF_RELOCK, &self, 1);
    lw_process p;
    read_log(b, &p);
    lw_findings fs = {0};
    assert_int_equal(lw_analyze_deadlocks(&p, &fs), 2);
    assert_int_equal(fs.n, 2);
    const lw_finding *f = &fs.items[0];
    assert_int_equal(f->kind, LW_KIND_DEADLOCK);
    assert_string_equal(f->subkind, "wait-cycle");
    assert_false(f->harmless);
    assert_int_equal(f->occurrences, 2);
    assert_int_equal(f->n_waits, 2);
    assert_int_equal(f->n_locks, 2);
    assert_int_equal(f->locks[0], 2); /* the waited-for locks, in wait order */
    assert_int_equal(f->locks[1], 1);
    assert_int_equal(f->n_threads, 2);
    assert_int_equal(f->threads[0], 2);
    assert_int_equal(f->threads[1], 3);
    assert_int_equal(f->waits[1].n_held, 1);
    assert_int_equal(f->waits[1].held[0], 2);
    assert_string_equal(fs.items[1].subkind, "self-relock");
    assert_int_equal(fs.items[1].n_locks, 1);
    assert_int_equal(lw_findings_count_real(&fs), 2);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);

    assert_string_equal(lw_deadlock_subkind(LW_DETECT_ALL_BLOCKED), "all-blocked");
    assert_string_equal(lw_deadlock_subkind(99), "unknown");
    assert_string_equal(lw_wait_kind_name(LW_WAIT_COND), "condvar");
    assert_string_equal(lw_wait_kind_name(LW_WAIT_JOIN), "join");
    assert_string_equal(lw_wait_kind_name(1234), "unknown");
}

/* The text report of the seed's deadlock reads like lockdep's. */
static void test_text(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    struct lw_deadlock_entry e[2];
    abba_entries(e);
    lw_lb_deadlock(b, LW_DETECT_WAIT_CYCLE, e, 2);
    lw_process p;
    read_log(b, &p);
    lw_findings fs = {0};
    lw_analyze_deadlocks(&p, &fs);
    char *t = render(&p, &fs, false);
    assert_has(t, "ERROR: deadlock: threads #2 and #3 are blocked for good\n");
    assert_has(t, "thread #2 (tid 78) holds 'a', waits for 'b' held by thread #3\n"
                  "  blocked for 812 ms at:\n"
                  "    #0 thread_fn seed.c:30");
    assert_has(t, "thread #3 (tid 79) holds 'b', waits for 'a' held by thread #2\n");
    assert_has(t, "Deadlock:\n\n       Thread #2");
    assert_has(t, "\n  lock('a');\n");
    assert_has(t, " *** DEADLOCK ***\n");
    assert_has(t, "SUMMARY: lockwatch: deadlock seed.c:30 in thread_fn\n");
    assert_has(t, "lockwatch: 1 finding (1 deadlock)");
    free(t);
    char *j = render(&p, &fs, true);
    assert_has(j, "\"kind\": \"deadlock\"");
    assert_has(j, "\"subkind\": \"wait-cycle\"");
    assert_has(j, "\"waits\": [");
    assert_has(j, "\"wait\": \"mutex\"");
    assert_has(j, "\"target_thread\": 3");
    assert_has(j, "\"waited_ms\": 812");
    assert_has(j, "\"line\": 44");
    free(j);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* Self-relock, join and condvar waits have their own words. */
static void test_text_other_waits(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    struct lw_deadlock_entry self = {.thread_id = 2,
                                     .wait_kind = LW_WAIT_MUTEX,
                                     .lock_id = 1,
                                     .target_thread = 2,
                                     .stack_id = 1,
                                     .n_held = 1,
                                     .wait_addr = 0xa000,
                                     .held = {1}};
    lw_lb_deadlock(b, LW_DETECT_SELF_RELOCK, &self, 1);
    struct lw_deadlock_entry jc[2] = {
        {.thread_id = 1,
         .wait_kind = LW_WAIT_JOIN,
         .target_thread = 2,
         .stack_id = 2,
         .n_held = 1,
         .held = {1}},
        {.thread_id = 2,
         .wait_kind = LW_WAIT_MUTEX,
         .lock_id = 1,
         .target_thread = 1,
         .stack_id = 1,
         .wait_addr = 0xa000},
    };
    lw_lb_deadlock(b, LW_DETECT_WAIT_CYCLE, jc, 2);
    struct lw_deadlock_entry cv = {
        .thread_id = 3, .wait_kind = LW_WAIT_COND, .wait_addr = 0xc0ffee, .n_held = 1, .held = {2}};
    lw_lb_deadlock(b, LW_DETECT_ALL_BLOCKED, &cv, 1);
    lw_process p;
    read_log(b, &p);
    lw_findings fs = {0};
    assert_int_equal(lw_analyze_deadlocks(&p, &fs), 3);
    char *t = render(&p, &fs, false);
    assert_has(t, "ERROR: deadlock: thread #2 relocks 'a', which it already holds\n");
    assert_has(t, "holds 'a', waits for 'a', which it already holds itself\n");
    assert_has(t, "holds 'a', waits for thread #2 to end\n");
    assert_has(t, "pthread_join(thread #2);");
    assert_has(t, "holds no lock, waits for 'a' held by thread #1\n");
    assert_has(t, "holds 'b', waits on condition variable 0xc0ffee\n");
    assert_has(t, "pthread_cond_wait(0xc0ffee);");
    assert_has(t, "(stack not recorded)");
    assert_has(t, "lockwatch: 3 findings (3 deadlock)");
    free(t);
    char *j = render(&p, &fs, true);
    assert_has(j, "\"wait\": \"join\"");
    assert_has(j, "\"wait\": \"condvar\"");
    assert_has(j, "\"address\": \"0xc0ffee\"");
    assert_has(j, "\"subkind\": \"all-blocked\"");
    free(j);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* Records with nonsense in them (unknown kinds and detectors, undefined ids, many threads)
 * render without crashing. */
static void test_odd_records(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    struct lw_deadlock_entry e[6];
    memset(e, 0, sizeof e);
    for (uint32_t i = 0; i < 6; i++) {
        e[i].thread_id = i * 1000;
        e[i].wait_kind = i == 0 ? 0 : 50 + i;
        e[i].lock_id = 4000000000u + i;
        e[i].target_thread = 0xffffffffu;
        e[i].stack_id = 999 + i;
        e[i].n_held = 0xffffffffu;
        for (uint32_t h = 0; h < LW_DEADLOCK_MAX_HELD; h++)
            e[i].held[h] = h * 7;
        e[i].wait_ns = UINT64_MAX;
    }
    e[2].wait_kind = LW_WAIT_MUTEX;
    e[3].wait_kind = LW_WAIT_JOIN;
    lw_lb_deadlock(b, 77, e, 6);
    lw_process p;
    read_log(b, &p);
    lw_findings fs = {0};
    assert_int_equal(lw_analyze_deadlocks(&p, &fs), 1);
    assert_string_equal(fs.items[0].subkind, "unknown");
    char *t = render(&p, &fs, false);
    assert_has(t, "ERROR: deadlock: threads #0, #1000, #2000, #3000, #4000 and #5000");
    assert_has(t, "waits (unknown wait kind 51)");
    assert_has(t, "thread #0: ");
    free(t);
    char *j = render(&p, &fs, true);
    assert_has(j, "\"wait\": \"unknown\"");
    free(j);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* lw_logs_have_deadlock finds the record in files; missing or garbage files count as none. */
static void test_logs_have_deadlock(void **state)
{
    (void)state;
    mkdir(LW_TEST_TMPDIR, 0777);
    char with[512], without[512], garbage[512];
    snprintf(with, sizeof with, "%s/dl_with.log", LW_TEST_TMPDIR);
    snprintf(without, sizeof without, "%s/dl_without.log", LW_TEST_TMPDIR);
    snprintf(garbage, sizeof garbage, "%s/dl_garbage.log", LW_TEST_TMPDIR);
    lw_log_builder *b = base_log();
    assert_int_equal(lw_lb_write_file(b, without), 0);
    struct lw_deadlock_entry e[2];
    abba_entries(e);
    lw_lb_deadlock(b, LW_DETECT_WAIT_CYCLE, e, 2);
    assert_int_equal(lw_lb_write_file(b, with), 0);
    lw_lb_free(b);
    FILE *g = fopen(garbage, "w");
    assert_non_null(g);
    fputs("not a log", g);
    fclose(g);
    char *none[] = {without, garbage, "/nonexistent/x.log"};
    assert_false(lw_logs_have_deadlock(none, 3));
    char *some[] = {garbage, without, with};
    assert_true(lw_logs_have_deadlock(some, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_round_trip),
        cmocka_unit_test(test_analysis),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_other_waits),
        cmocka_unit_test(test_odd_records),
        cmocka_unit_test(test_logs_have_deadlock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
