/*
 * Unit tests of race findings (analyzer/race.c): RACE records, written with the log builder and
 * read back, grouped into one finding per (location, unordered pair of access functions); the
 * kind (data-race or unprotected-increment) and the predictive subkind of a group; which record
 * a finding shows; and how the text report names the location (render_text_race.c) from an
 * invented symbol source, so the expected text depends on no binary.
 *
 * The analysis names functions with the real symbolizer; these logs have no modules, so a
 * function is its top frame's pc and a location its 8-byte granule, which is what is grouped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "log_builder.h"
#include "log_reader.h"
#include "race.h"
#include "render.h"
#include "text_fixture.h"

#define SRC "/src/proj/counter.c"

/* ---- invented symbols: pc 0x1000 + line -> worker at counter.c:line; 'counter' global ---- */

static size_t fake_pc(void *h, uint64_t pc, bool is_ret, lw_frame *out, size_t max)
{
    (void)h;
    (void)is_ret;
    if (max < 1)
        return 0;
    if (pc >= 0x1000 && pc < 0x2000)
        out[0] = (lw_frame){.pc = pc,
                            .function = "worker",
                            .file = SRC,
                            .line = (int)(pc - 0x1000),
                            .module = "/src/proj/counter"};
    else
        out[0] = (lw_frame){.pc = pc};
    return 1;
}

static bool fake_data(void *h, uint64_t addr, lw_data_symbol *out)
{
    (void)h;
    if (addr >= 0x5000 && addr < 0x5008) {
        *out =
            (lw_data_symbol){.name = "counter", .start = 0x5000, .size = 8, .file = SRC, .line = 3};
        return true;
    }
    if (addr == 0xa000) {
        *out = (lw_data_symbol){.name = "m", .start = 0xa000, .size = 40, .file = SRC, .line = 4};
        return true;
    }
    return false;
}

static const lw_symbol_source fake_source = {fake_open, fake_close, fake_pc, fake_data, NULL};

/* ---- logs ---- */

/* Stacks (top frame first): 1 at line 20 (the increment), 2 at line 30 (a read), 3 at line 40
 * (a store); threads 1 (main), 2 and 3; lock 1 ('m'). */
static lw_log_builder *base_log(void)
{
    lw_log_builder *b = lw_lb_new_ex(88, 4096);
    lw_lb_process(b, 1, "/src/proj/counter");
    uint64_t f1[] = {0x1000 + 20, 0x1000 + 90};
    uint64_t f2[] = {0x1000 + 30, 0x1000 + 90};
    uint64_t f3[] = {0x1000 + 40, 0x1000 + 90};
    lw_lb_stack(b, f1, 2);
    lw_lb_stack(b, f2, 2);
    lw_lb_stack(b, f3, 2);
    lw_lb_thread_start(b, 1, 0, 0, 0);
    lw_lb_thread_start(b, 2, 1, 0, 0);
    lw_lb_thread_start(b, 3, 1, 1, 0);
    lw_lb_lock(b, 1, LW_LOCK_MUTEX, 0xa000, 1);
    return b;
}

#define RD 0u
#define WR LW_RACE_ACC_WRITE
#define RMW (LW_RACE_ACC_WRITE | LW_RACE_ACC_RMW)

static struct lw_race_access acc(uint32_t thread, uint32_t stack, uint32_t flags, uint64_t addr)
{
    return (struct lw_race_access){
        .thread_id = thread, .stack_id = stack, .flags = flags, .address = addr, .size = 4};
}

/* Writes one RACE record: cur found the race with prev. */
static void race(lw_log_builder *b, uint64_t addr, struct lw_race_access cur,
                 struct lw_race_access prev, bool predictive)
{
    struct lw_rec_race r = {.address = addr, .size = 4, .cur = cur, .prev = prev};
    lw_lb_race(b, &r, predictive ? LW_RACE_PREDICTIVE : 0);
}

static void analyze(lw_log_builder *b, lw_process *p, lw_findings *fs)
{
    size_t len;
    const void *buf = lw_lb_data(b, &len);
    char err[256];
    assert_int_equal(lw_read_log_buffer(buf, len, "race.log", p, err, sizeof err), 0);
    memset(fs, 0, sizeof *fs);
    lw_analyze_races(p, fs);
}

/* The finding whose location is addr and whose later access is at stack cur_stack. */
static const lw_finding *find(const lw_findings *fs, uint64_t addr, uint32_t stack_a,
                              uint32_t stack_b)
{
    for (size_t i = 0; i < fs->n; i++) {
        const lw_finding_race *x = fs->items[i].race;
        if (!x || (x->address & ~(uint64_t)7) != (addr & ~(uint64_t)7))
            continue;
        uint32_t s0 = x->access[0].stack_id, s1 = x->access[1].stack_id;
        if ((s0 == stack_a && s1 == stack_b) || (s0 == stack_b && s1 == stack_a))
            return &fs->items[i];
    }
    return NULL;
}

static char *render_text(const lw_process *p, const lw_findings *fs)
{
    return render_report(p, fs, &fake_source, "/src/proj", false);
}

/* ---- tests ---- */

/* Records on the same granule with the same pair of functions (in either order) are one
 * finding; another granule or another pair is another finding. */
static void test_grouping(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    /* counter++ against itself: write/write, then read/write, at the same two sites */
    race(b, 0x5000, acc(2, 1, RMW, 0x5000), acc(3, 1, RMW, 0x5000), false);
    race(b, 0x5000, acc(3, 1, RD, 0x5000), acc(2, 1, RMW, 0x5000), false);
    /* a reader (stack 2) against the store (stack 3), reported once each way round */
    race(b, 0x5000, acc(2, 2, RD, 0x5000), acc(3, 3, WR, 0x5000), false);
    race(b, 0x5004, acc(3, 3, WR, 0x5004), acc(2, 2, RD, 0x5004), false);
    /* the same two sites on another variable */
    race(b, 0x6000, acc(2, 2, RD, 0x6000), acc(3, 3, WR, 0x6000), false);
    lw_process p;
    lw_findings fs;
    analyze(b, &p, &fs);
    assert_int_equal(p.n_races, 5);
    assert_int_equal(fs.n, 3);

    const lw_finding *inc = find(&fs, 0x5000, 1, 1);
    assert_non_null(inc);
    assert_int_equal(inc->race->records, 2);
    const lw_finding *rw = find(&fs, 0x5000, 2, 3);
    assert_non_null(rw);
    assert_int_equal(rw->race->records, 2);
    const lw_finding *other = find(&fs, 0x6000, 2, 3);
    assert_non_null(other);
    assert_int_equal(other->race->records, 1);
    assert_ptr_not_equal(rw, other);
    for (size_t i = 0; i < fs.n; i++) {
        assert_ptr_equal(fs.items[i].proc, &p);
        assert_int_equal(fs.items[i].occurrences, 1);
    }
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* The kind: a lost update (both write, one side read-modify-write) anywhere in the group makes
 * an unprotected-increment; plain write/write or read/write is a data-race. */
static void test_kinds(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    race(b, 0x5000, acc(3, 1, RD, 0x5000), acc(2, 1, RMW, 0x5000), false); /* read vs rmw */
    race(b, 0x5000, acc(2, 1, RMW, 0x5000), acc(3, 1, WR, 0x5000), false); /* the lost update */
    race(b, 0x6000, acc(2, 3, WR, 0x6000), acc(3, 3, WR, 0x6000), false);  /* two stores */
    race(b, 0x7000, acc(2, 2, RD, 0x7000), acc(3, 1, RMW, 0x7000), false); /* rmw vs read */
    lw_process p;
    lw_findings fs;
    analyze(b, &p, &fs);
    assert_int_equal(fs.n, 3);
    assert_int_equal(find(&fs, 0x5000, 1, 1)->kind, LW_KIND_UNPROTECTED_INCREMENT);
    assert_int_equal(find(&fs, 0x6000, 3, 3)->kind, LW_KIND_DATA_RACE);
    assert_int_equal(find(&fs, 0x7000, 2, 1)->kind, LW_KIND_DATA_RACE);

    struct lw_race_access r = acc(1, 1, RD, 0), w = acc(2, 1, WR, 0), m = acc(3, 1, RMW, 0);
    assert_true(lw_race_is_increment(&m, &w));
    assert_true(lw_race_is_increment(&w, &m));
    assert_true(lw_race_is_increment(&m, &m));
    assert_false(lw_race_is_increment(&w, &w));
    assert_false(lw_race_is_increment(&m, &r));
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* Predictive only when every record of the group is: one direct record makes it real. */
static void test_predictive(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    race(b, 0x5000, acc(2, 2, RD, 0x5000), acc(3, 3, WR, 0x5000), true);
    race(b, 0x6000, acc(2, 2, RD, 0x6000), acc(3, 3, WR, 0x6000), true);
    race(b, 0x6000, acc(3, 3, WR, 0x6000), acc(2, 2, RD, 0x6000), false);
    lw_process p;
    lw_findings fs;
    analyze(b, &p, &fs);
    assert_int_equal(fs.n, 2);
    const lw_finding *pred = find(&fs, 0x5000, 2, 3), *direct = find(&fs, 0x6000, 2, 3);
    assert_non_null(pred);
    assert_non_null(direct);
    assert_string_equal(pred->subkind, LW_RACE_SUB_PREDICTIVE);
    assert_null(direct->subkind);
    /* the finding shows the direct record: its later access is thread 3's store */
    assert_int_equal(direct->race->access[1].thread_id, 3);
    assert_int_equal(direct->race->access[1].stack_id, 3);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* What a finding carries: [0] the earlier access, [1] the later, locks and sizes as recorded,
 * the threads (one when a thread races with its own earlier access), the site at the later
 * access. Among a group's records a write/write one is shown. */
static void test_finding_fields(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    struct lw_race_access held = acc(2, 2, RD, 0x5002);
    held.n_locks = 6;
    held.locks[0] = 1;
    held.locks[3] = 9;
    race(b, 0x5002, held, acc(3, 3, WR, 0x5000), false);
    race(b, 0x5002, acc(2, 3, WR, 0x5002), acc(3, 2, WR, 0x5000), false); /* same pair: shown */
    race(b, 0x6000, acc(2, 1, WR, 0x6000), acc(2, 1, RD, 0x6000), false);
    lw_process p;
    lw_findings fs;
    analyze(b, &p, &fs);
    assert_int_equal(fs.n, 2);
    const lw_finding *f = find(&fs, 0x5000, 2, 3);
    assert_non_null(f);
    assert_int_equal(f->race->records, 2);
    assert_int_equal(f->race->access[1].flags & LW_RACE_ACC_WRITE, LW_RACE_ACC_WRITE);
    assert_int_equal(f->race->access[0].flags & LW_RACE_ACC_WRITE, LW_RACE_ACC_WRITE);
    assert_int_equal(f->race->access[1].stack_id, 3);
    assert_int_equal(f->stack_id, 3);
    assert_int_equal(f->other_thread, 3);
    assert_int_equal(f->address, 0x5002);
    assert_int_equal(f->n_threads, 2);
    assert_int_equal(f->threads[0], 3);
    assert_int_equal(f->threads[1], 2);

    const lw_finding *self = find(&fs, 0x6000, 1, 1);
    assert_non_null(self);
    assert_int_equal(self->n_threads, 1);
    assert_int_equal(self->threads[0], 2);
    lw_findings_free(&fs);
    lw_process_free(&p);

    /* locks and sizes come through unchanged when that record is the one shown */
    lw_lb_free(b);
    b = base_log();
    race(b, 0x5002, held, acc(3, 3, WR, 0x5000), false);
    analyze(b, &p, &fs);
    assert_int_equal(fs.n, 1);
    const lw_finding_access *a = &fs.items[0].race->access[1];
    assert_int_equal(a->n_locks, 6);
    assert_int_equal(a->locks[0], 1);
    assert_int_equal(a->locks[3], 9);
    assert_int_equal(a->address, 0x5002);
    assert_int_equal(a->size, 4);
    assert_int_equal(fs.items[0].race->size, 4);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* No RACE records, no findings. */
static void test_none(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    lw_process p;
    lw_findings fs;
    analyze(b, &p, &fs);
    assert_int_equal(fs.n, 0);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* The text report names the variable as a person would: the global and where it is defined,
 * with an offset inside it; memory with no symbol is "heap or stack". */
static void test_naming(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    struct lw_race_access cur = acc(2, 1, RMW, 0x5000);
    cur.n_locks = 1;
    cur.locks[0] = 1;
    race(b, 0x5000, cur, acc(3, 1, RMW, 0x5000), false);
    race(b, 0x5004, acc(2, 2, RD, 0x5004), acc(3, 3, WR, 0x5004), true);
    race(b, 0x7000, acc(2, 2, RD, 0x7000), acc(3, 3, WR, 0x7000), false);
    lw_process p;
    lw_findings fs;
    analyze(b, &p, &fs);
    assert_int_equal(fs.n, 3);
    char *text = render_text(&p, &fs);
    assert_has(text, "WARNING: unprotected-increment on global 'counter' of size 8 at counter.c:3 "
                     "(threads #2 and #3)");
    assert_has(text, "WARNING: data-race (predictive) on global 'counter+4' of size 8");
    assert_has(text, "WARNING: data-race on address 0x7000 (heap or stack)");
    assert_has(text, "Write of size 4 at 0x5000 by thread #2 (read-modify-write), holding 'm':");
    assert_has(text, "Previous write of size 4 at 0x5000 by thread #3 (read-modify-write), "
                     "holding no lock:");
    assert_has(text, "SUMMARY: lockwatch: unprotected-increment counter.c:20 in worker");
    free(text);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping),   cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_predictive), cmocka_unit_test(test_finding_fields),
        cmocka_unit_test(test_none),       cmocka_unit_test(test_naming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
