/*
 * Unit tests for the CI gate pieces: fingerprints (fingerprint.c: stable across ASLR, pids,
 * thread and lock ids and cycle rotation; different for different locks or functions),
 * cross-log merging (merge.c), suppression files (suppressions.c: parsing, bad lines with
 * file:line, matching by kind/function/file/lock/module/fingerprint), baselines (baseline.c:
 * round trip, bad files), --fail-on parsing and the gate count (gate.c). Processes are built by
 * hand with an invented symbol source whose results depend on the pc relative to a per-process
 * load address, as real symbolization does under ASLR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baseline.h"
#include "finding.h"
#include "fingerprint.h"
#include "gate.h"
#include "log_reader.h"
#include "merge.h"
#include "model.h"
#include "naming.h"
#include "suppressions.h"

#include "gate_fixture.h"

/* ---- fingerprints ---- */

static void fingerprint_stable_across_runs(void **state)
{
    fixture *fx = *state;
    lw_finding *f1 = add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    lw_finding *f2 = add_abba(&fx->fs, &fx->p2, 7, 8, 40, 5, 9, true);
    char h1[LW_FINGERPRINT_LEN + 1], h2[LW_FINGERPRINT_LEN + 1];
    lw_fingerprint(fx->namer, f1, h1);
    lw_fingerprint(fx->namer, f2, h2);
    assert_int_equal(strlen(h1), LW_FINGERPRINT_LEN);
    assert_string_equal(h1, h2);
    char *text = lw_fingerprint_text(fx->namer, f1);
    /* Names, not addresses or lines. */
    assert_non_null(strstr(text, "'a'>'b' held worker_a(abba.c) acquired worker_a(abba.c)"));
    assert_null(strstr(text, "0x"));
    assert_null(strstr(text, ":20"));
    free(text);
}

static void fingerprint_differs_for_other_locks(void **state)
{
    fixture *fx = *state;
    lw_finding *f1 = add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    lw_finding *f2 = add_abba(&fx->fs, &fx->p1, 1, 3, 0, 2, 3, false); /* 'a' / legacy_lock */
    lw_finding *f3 = add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    f3->subkind = strdup("single-thread");
    char h1[LW_FINGERPRINT_LEN + 1], h2[LW_FINGERPRINT_LEN + 1], h3[LW_FINGERPRINT_LEN + 1];
    lw_fingerprint(fx->namer, f1, h1);
    lw_fingerprint(fx->namer, f2, h2);
    lw_fingerprint(fx->namer, f3, h3);
    assert_string_not_equal(h1, h2);
    assert_string_not_equal(h1, h3);
}

static void fingerprint_heap_lock_by_class(void **state)
{
    fixture *fx = *state;
    char n1[256], n2[256];
    lw_fingerprint_lock(fx->namer, &fx->p1, 4, n1, sizeof n1);
    lw_fingerprint_lock(fx->namer, &fx->p2, 10, n2, sizeof n2);
    assert_string_equal(n1, "mutex@tp_lock(tp.c)");
    assert_string_equal(n1, n2);
    assert_int_equal(lw_fingerprint_hash(""), 0xcbf29ce484222325ull);
}

/* ---- merging ---- */

static void merge_across_logs(void **state)
{
    fixture *fx = *state;
    add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    add_abba(&fx->fs, &fx->p1, 1, 3, 0, 2, 3, false);
    lw_finding *dup = add_abba(&fx->fs, &fx->p2, 7, 8, 40, 5, 9, true);
    dup->occurrences = 4;
    size_t removed = lw_findings_merge(&fx->fs, fx->namer);
    assert_int_equal(removed, 1);
    assert_int_equal(fx->fs.n, 2);
    const lw_finding *f = &fx->fs.items[0];
    assert_int_equal(f->occurrences, 5);
    assert_int_equal(f->n_logs, 2);
    assert_string_equal(f->logs[0], "run1/lockwatch.100.log");
    assert_string_equal(f->logs[1], "run2/lockwatch.200.log");
    assert_int_equal(fx->fs.items[1].n_logs, 1);
    assert_ptr_equal(f->proc, &fx->p1); /* the first one stays the representative */
}

static void merge_keeps_harmless_apart(void **state)
{
    fixture *fx = *state;
    add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    add_abba(&fx->fs, &fx->p2, 7, 8, 40, 5, 9, false)->harmless = true;
    assert_int_equal(lw_findings_merge(&fx->fs, fx->namer), 0);
    assert_int_equal(fx->fs.n, 2);
}

/* ---- suppressions ---- */

static void suppressions_parse_good(void **state)
{
    (void)state;
    lw_suppressions s = {0};
    char err[512] = "";
    const char *text = "# a comment\n"
                       "\n"
                       "lock-order-inversion:function=worker_*\n"
                       "  *:file=third_party/*   \n"
                       "lock-order-inversion/single-thread:lock=legacy_*\n"
                       "module=libfoo.so*\r\n"
                       "deadlock:fingerprint=0123456789abcdef\n";
    assert_int_equal(lw_suppressions_parse(&s, text, "s.supp", err, sizeof err), 0);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.items[0].kind, LW_KIND_LOCK_ORDER_INVERSION);
    assert_int_equal(s.items[0].key, LW_SUPP_FUNCTION);
    assert_string_equal(s.items[0].glob, "worker_*");
    assert_int_equal(s.items[0].line, 3);
    assert_int_equal(s.items[1].kind, -1);
    assert_int_equal(s.items[1].key, LW_SUPP_FILE);
    assert_string_equal(s.items[1].glob, "third_party/*");
    assert_string_equal(s.items[2].subkind, "single-thread");
    assert_int_equal(s.items[3].kind, -1);
    assert_int_equal(s.items[3].key, LW_SUPP_MODULE);
    assert_string_equal(s.items[3].glob, "libfoo.so*");
    assert_int_equal(s.items[4].kind, LW_KIND_DEADLOCK);
    assert_int_equal(s.items[4].key, LW_SUPP_FINGERPRINT);
    lw_suppressions_free(&s);
}

static void expect_bad_suppression(const char *text, const char *needle)
{
    lw_suppressions s = {0};
    char err[512] = "";
    assert_int_equal(lw_suppressions_parse(&s, text, "my.supp", err, sizeof err), -1);
    if (!strstr(err, needle))
        fail_msg("expected '%s' in the error '%s'", needle, err);
    if (strncmp(err, "my.supp:", 8) != 0)
        fail_msg("error does not start with file:line: %s", err);
    lw_suppressions_free(&s);
}

static void suppressions_parse_bad(void **state)
{
    (void)state;
    expect_bad_suppression("# ok\nfunction\n", "my.supp:2: expected KIND:KEY=GLOB");
    expect_bad_suppression("lock-order-inversion:colour=red\n", "my.supp:1: expected KEY one of");
    expect_bad_suppression("deadlocks:function=x\n", "expected a finding kind");
    expect_bad_suppression("\n\nfunction=\n", "my.supp:3: expected a non-empty GLOB");
    expect_bad_suppression("lock-order-inversion/:lock=x\n", "expected a subkind");
}

static void suppressions_match(void **state)
{
    fixture *fx = *state;
    lw_finding *f = add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    lw_findings_merge(&fx->fs, fx->namer);
    f = &fx->fs.items[0];
    static const struct {
        const char *line;
        bool match;
    } cases[] = {
        {"lock-order-inversion:function=worker_*", true},
        {"lock-order-inversion:function=main", false},
        {"deadlock:function=worker_*", false},
        {"*:file=app/*", true},
        {"*:file=third_party/*", false},
        {"file=abba.c", true},
        {"file=/src/proj/app/abba.c", true},
        {"lock=b", true},
        {"lock=legacy_*", false},
        {"module=app", true},
        {"module=libfoo.so*", false},
        {"lock-order-inversion/single-thread:lock=a", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lw_suppressions s = {0};
        char err[256];
        assert_int_equal(lw_suppressions_parse(&s, cases[i].line, "t", err, sizeof err), 0);
        bool got = lw_suppressions_match(&s, fx->namer, f) != NULL;
        if (got != cases[i].match)
            fail_msg("'%s' %s, expected the opposite", cases[i].line,
                     got ? "matched" : "did not match");
        assert_int_equal(s.items[0].hits, got ? 1 : 0);
        lw_suppressions_free(&s);
    }
    char line[64];
    snprintf(line, sizeof line, "lock-order-inversion:fingerprint=%s", f->fingerprint);
    lw_suppressions s = {0};
    char err[256];
    assert_int_equal(lw_suppressions_parse(&s, line, "t", err, sizeof err), 0);
    assert_non_null(lw_suppressions_match(&s, fx->namer, f));
    lw_suppressions_free(&s);
}

static void suppressions_match_facts(void **state)
{
    (void)state;
    lw_finding_facts ff = {0};
    lw_finding_facts_add(&ff, LW_SUPP_MODULE, "/opt/lib/libfoo.so.2");
    lw_finding_facts_add(&ff, LW_SUPP_MODULE, "libfoo.so.2");
    lw_finding_facts_add(&ff, LW_SUPP_MODULE, "libfoo.so.2"); /* kept once */
    assert_int_equal(ff.n[LW_SUPP_MODULE], 2);
    lw_suppression e = {.kind = -1, .key = LW_SUPP_MODULE, .glob = "libfoo.so*"};
    assert_true(lw_suppression_matches(&e, LW_KIND_DATA_RACE, NULL, &ff));
    e.kind = LW_KIND_DEADLOCK;
    assert_false(lw_suppression_matches(&e, LW_KIND_DATA_RACE, NULL, &ff));
    lw_finding_facts_free(&ff);
}

/* ---- baselines ---- */

static void baseline_round_trip(void **state)
{
    fixture *fx = *state;
    add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    add_abba(&fx->fs, &fx->p1, 1, 3, 0, 2, 3, false);
    add_abba(&fx->fs, &fx->p1, 2, 3, 0, 2, 3, false)->harmless = true;
    lw_findings_merge(&fx->fs, fx->namer);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_int_equal(lw_baseline_write(m, fx->namer, &fx->fs), 0);
    fclose(m);
    assert_non_null(strstr(buf, "lockwatch-baseline 1 " LW_FINGERPRINT_KEY "\n"));
    lw_baseline b = {0};
    char err[512] = "";
    if (lw_baseline_parse(&b, buf, "b.txt", err, sizeof err) != 0)
        fail_msg("%s\n%s", err, buf);
    assert_int_equal(b.n, 2); /* the harmless one is not recorded */
    assert_true(lw_baseline_contains(&b, fx->fs.items[0].fingerprint));
    assert_true(lw_baseline_contains(&b, fx->fs.items[1].fingerprint));
    assert_false(lw_baseline_contains(&b, fx->fs.items[2].fingerprint));

    /* The gate then removes exactly those two. */
    size_t ns = 0, nb = 0;
    lw_gate_filter(&fx->fs, fx->namer, NULL, &b, &ns, &nb);
    assert_int_equal(nb, 2);
    assert_int_equal(ns, 0);
    assert_int_equal(fx->fs.n, 1);
    assert_true(fx->fs.items[0].harmless);
    lw_baseline_free(&b);
    free(buf);
}

static void expect_bad_baseline(const char *text, const char *needle)
{
    lw_baseline b = {0};
    char err[512] = "";
    assert_int_equal(lw_baseline_parse(&b, text, "base.txt", err, sizeof err), -1);
    if (!strstr(err, needle))
        fail_msg("expected '%s' in the error '%s'", needle, err);
    lw_baseline_free(&b);
}

static void baseline_bad(void **state)
{
    (void)state;
    expect_bad_baseline("", "expected the header");
    expect_bad_baseline("# only a comment\n", "expected the header");
    expect_bad_baseline("lockwatch-suppressions 1\n", "base.txt:1: expected the header");
    expect_bad_baseline("lockwatch-baseline 2\n", "base.txt:1: expected baseline format version 1");
    expect_bad_baseline("lockwatch-baseline 1 lockwatch/v0\n", "recipe");
    expect_bad_baseline("lockwatch-baseline 1\nxyz lock-order-inversion\n",
                        "base.txt:2: expected a fingerprint");
    expect_bad_baseline("lockwatch-baseline 1\n0123456789abcdef deadlocks x\n",
                        "base.txt:2: expected a finding kind");
    lw_baseline b = {0};
    char err[256];
    assert_int_equal(lw_baseline_parse(&b,
                                       "lockwatch-baseline 1\n"
                                       "0123456789abcdef lock-order-inversion/single-thread x\n"
                                       "0123456789abcdef lock-order-inversion x\n",
                                       "b", err, sizeof err),
                     0);
    assert_int_equal(b.n, 1);
    lw_baseline_free(&b);
}

/* ---- the gate ---- */

static void fail_on_parse(void **state)
{
    (void)state;
    unsigned m = 0;
    char err[512];
    assert_int_equal(lw_fail_on_parse("lock-order-inversion", &m, err, sizeof err), 0);
    assert_int_equal(m, 1u << LW_KIND_LOCK_ORDER_INVERSION);
    assert_int_equal(lw_fail_on_parse("deadlock,data-race", &m, err, sizeof err), 0);
    assert_int_equal(m, (1u << LW_KIND_DEADLOCK) | (1u << LW_KIND_DATA_RACE));
    assert_int_equal(lw_fail_on_parse("all", &m, err, sizeof err), 0);
    assert_int_equal(m, LW_FAIL_ON_ALL);
    assert_int_equal(lw_fail_on_parse("deadlock,races", &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "'races'"));
    assert_int_equal(lw_fail_on_parse(",", &m, err, sizeof err), -1);
}

static void gate_count(void **state)
{
    fixture *fx = *state;
    add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    add_abba(&fx->fs, &fx->p1, 1, 3, 0, 2, 3, false)->harmless = true;
    assert_int_equal(lw_gate_count(&fx->fs, LW_FAIL_ON_ALL), 1);
    assert_int_equal(lw_gate_count(&fx->fs, 1u << LW_KIND_DEADLOCK), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    lw_gate_print_verdict(m, "lockwatch check", &fx->fs, 1u << LW_KIND_DEADLOCK, 2, 3);
    fclose(m);
    assert_non_null(strstr(buf, "passed"));
    assert_non_null(strstr(buf, "1 other finding not gated, 2 suppressed, 3 in the baseline"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fingerprint_stable_across_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(fingerprint_differs_for_other_locks, setup, teardown),
        cmocka_unit_test_setup_teardown(fingerprint_heap_lock_by_class, setup, teardown),
        cmocka_unit_test_setup_teardown(merge_across_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(merge_keeps_harmless_apart, setup, teardown),
        cmocka_unit_test(suppressions_parse_good),
        cmocka_unit_test(suppressions_parse_bad),
        cmocka_unit_test_setup_teardown(suppressions_match, setup, teardown),
        cmocka_unit_test(suppressions_match_facts),
        cmocka_unit_test_setup_teardown(baseline_round_trip, setup, teardown),
        cmocka_unit_test(baseline_bad),
        cmocka_unit_test(fail_on_parse),
        cmocka_unit_test_setup_teardown(gate_count, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
