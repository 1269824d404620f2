/*
 * Unit tests for the CI-facing renderers and their helpers, on hand-built findings
 * (gate_fixture.h): SARIF (render_sarif.c: version, rules, ruleId per kind/subkind, SRCROOT
 * URIs, partialFingerprints, threadFlows with stacks), JUnit (render_junit.c: one failing
 * testcase per finding, a passing one for a clean run, XML escaping), DOT (render_dot.c:
 * cycle edges red and bold, --cycles-only, quoting), the text report's new parts (logs a merged
 * finding was seen in, the summary block, colour), and uri.c, xml.c, term.c, source_line.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lock_order.h"
#include "merge.h"
#include "render.h"
#include "render_dot.h"
#include "source_line.h"
#include "term.h"
#include "uri.h"
#include "xml.h"

#include "gate_fixture.h"

static void expect(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("expected to find\n%s\nin\n%s", needle, text);
}

static void expect_not(const char *text, const char *needle)
{
    if (strstr(text, needle))
        fail_msg("did not expect\n%s\nin\n%s", needle, text);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

typedef int (*render_fn)(FILE *, const lw_report *);

static char *render(fixture *fx, render_fn fn, bool color)
{
    lw_process procs[2];
    memcpy(&procs[0], &fx->p1, sizeof procs[0]);
    memcpy(&procs[1], &fx->p2, sizeof procs[1]);
    lw_model m = {.procs = procs, .n_procs = 2};
    lw_report r = {.model = &m,
                   .findings = &fx->fs,
                   .namer = fx->namer,
                   .color = color,
                   .n_suppressed = 2,
                   .n_baselined = 1};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(fn(f, &r), 0);
    fclose(f);
    return buf;
}

static void sarif_result(void **state)
{
    fixture *fx = *state;
    add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    add_abba(&fx->fs, &fx->p1, 1, 3, 0, 2, 3, false)->subkind = strdup("single-thread");
    add_abba(&fx->fs, &fx->p2, 7, 8, 40, 5, 9, true);
    lw_findings_merge(&fx->fs, fx->namer);
    char *s = render(fx, lw_render_sarif, false);
    expect(s, "\"version\": \"2.1.0\"");
    expect(s, "\"$schema\": \"https://docs.oasis-open.org/sarif/sarif/v2.1.0/");
    expect(s, "\"ruleId\": \"lock-order-inversion\"");
    expect(s, "\"ruleId\": \"lock-order-inversion/single-thread\"");
    assert_int_equal(count(s, "\"ruleId\""), 2); /* merged: two results, not three */
    expect(s, "\"uri\": \"app/abba.c\"");
    expect(s, "\"uriBaseId\": \"SRCROOT\"");
    expect(s, "\"uri\": \"file:///src/proj/\"");
    expect(s, "\"startLine\": 21");
    char fp[80];
    snprintf(fp, sizeof fp, "\"lockwatch/v1\": \"%s\"", fx->fs.items[0].fingerprint);
    expect(s, fp);
    expect(s, "\"threadFlows\"");
    expect(s, "\"stack\"");
    expect(s, "thread #2 acquired 'b' while holding 'a'");
    expect(s, "\"level\": \"error\"");
    expect(s, "\"run2/lockwatch.200.log\"");
    expect_not(s, "0x5555");
    free(s);
}

static void junit_findings_and_escaping(void **state)
{
    fixture *fx = *state;
    add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    lw_findings_merge(&fx->fs, fx->namer);
    char *s = render(fx, lw_render_junit, true);
    expect(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    expect(s, "tests=\"1\" failures=\"1\"");
    expect(s, "<testcase classname=\"lockwatch.lock-order-inversion\"");
    expect(s, "<failure type=\"lock-order-inversion\"");
    expect(s, "&apos;a&apos; -&gt; &apos;b&apos; by thread #2:");
    expect_not(s, "\033["); /* no colour inside XML */
    expect_not(s, "'a' ->");
    free(s);
}

static void junit_clean_run(void **state)
{
    fixture *fx = *state;
    char *s = render(fx, lw_render_junit, false);
    expect(s, "tests=\"1\" failures=\"0\"");
    expect(s, "<testcase classname=\"lockwatch\" name=\"no findings in 2 logs\"/>");
    expect_not(s, "<failure");
    free(s);
}

static void text_logs_summary_color(void **state)
{
    fixture *fx = *state;
    add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    add_abba(&fx->fs, &fx->p2, 7, 8, 40, 5, 9, true);
    lw_findings_merge(&fx->fs, fx->namer);
    char *s = render(fx, lw_render_text, false);
    expect(s, "seen in 2 logs: run1/lockwatch.100.log run2/lockwatch.200.log\n");
    expect(s, "Summary:\n");
    expect(s, "  lock-order-inversion     1\n");
    expect(s, "  threads involved         2\n");
    expect(s, "  locks involved           2\n");
    expect(s, "  processes                2 (2 logs)\n");
    expect(s, "  suppressed               2\n");
    expect(s, "  in the baseline          1\n");
    expect_not(s, "\033[");
    free(s);
    s = render(fx, lw_render_text, true);
    expect(s, LW_SGR_RED "WARNING: possible deadlock");
    free(s);
}

static void dot_highlights_cycle(void **state)
{
    fixture *fx = *state;
    add_abba(&fx->fs, &fx->p1, 1, 2, 0, 2, 3, false);
    lw_lock_edges es[2] = {{0}, {0}};
    lw_lock_edge items[3] = {
        {.from_lock = 1,
         .to_lock = 2,
         .n_threads = 1,
         .in_cycle = true,
         .example = {.thread_id = 2, .to_stack = 2}},
        {.from_lock = 2,
         .to_lock = 1,
         .n_threads = 2,
         .in_cycle = true,
         .example = {.thread_id = 3, .to_stack = 4}},
        {.from_lock = 1, .to_lock = 3, .n_threads = 1, .example = {.thread_id = 2, .to_stack = 2}},
    };
    es[0].items = items;
    es[0].n = 3;
    lw_process procs[2];
    memcpy(&procs[0], &fx->p1, sizeof procs[0]);
    memcpy(&procs[1], &fx->p2, sizeof procs[1]);
    lw_model m = {.procs = procs, .n_procs = 2};
    /* Findings refer to fx->p1; the model copy must be the same process for highlighting. */
    fx->fs.items[0].proc = &procs[0];
    lw_graph g = {.model = &m, .edges = es, .findings = &fx->fs, .namer = fx->namer};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(lw_render_dot(f, &g), 0);
    fclose(f);
    expect(buf, "digraph lockwatch {");
    expect(buf, "subgraph cluster_0");
    expect(buf, "p0l1 [label=\"'a' (app/abba.c:5)\", color=red");
    expect(buf, "p0l1 -> p0l2 [label=\"thread #2\\nworker_a (app/abba.c:21)\", color=red");
    expect(buf, "p0l2 -> p0l1 [label=\"thread #3 (+1 more)\\nworker_b (app/abba.c:31)\", "
                "color=red");
    expect(buf, "p0l1 -> p0l3 [label=\"thread #2\\nworker_a (app/abba.c:21)\"];");
    assert_int_equal(count(buf, "penwidth=2.5"), 2);
    free(buf);

    g.cycles_only = true;
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(lw_render_dot(f, &g), 0);
    fclose(f);
    expect_not(buf, "p0l1 -> p0l3");
    expect_not(buf, "p0l3 [");
    free(buf);
    fx->fs.items[0].proc = &fx->p1;

    buf = NULL;
    f = open_memstream(&buf, &len);
    lw_dot_quoted(f, "a\"b\\c\nd");
    fclose(f);
    assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\"");
    free(buf);
}

static void helpers(void **state)
{
    (void)state;
    char buf[256];
    lw_uri_encode_path("src/my file#1.c", buf, sizeof buf);
    assert_string_equal(buf, "src/my%20file%231.c");
    lw_uri_file_dir("/src/proj", buf, sizeof buf);
    assert_string_equal(buf, "file:///src/proj/");

    char *x = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&x, &len);
    lw_xml_write_escaped(f, "<a href=\"x\">&'\x01\tok\xff");
    fclose(f);
    assert_string_equal(x, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;?\tok?");
    free(x);

    assert_true(lw_color_decide(LW_COLOR_ALWAYS, false, "1"));
    assert_false(lw_color_decide(LW_COLOR_NEVER, true, NULL));
    assert_true(lw_color_decide(LW_COLOR_AUTO, true, NULL));
    assert_true(lw_color_decide(LW_COLOR_AUTO, true, ""));
    assert_false(lw_color_decide(LW_COLOR_AUTO, true, "1"));
    assert_false(lw_color_decide(LW_COLOR_AUTO, false, NULL));
    lw_color_mode m;
    assert_int_equal(lw_color_parse("always", &m), 0);
    assert_int_equal(m, LW_COLOR_ALWAYS);
    assert_int_equal(lw_color_parse("sometimes", &m), -1);

    /* This very file: line 1 is the comment opener. */
    assert_true(
        lw_source_line(LW_SOURCE_DIR "/tests/unit/test_render_ci.c", NULL, 1, buf, sizeof buf));
    assert_string_equal(buf, "/*");
    assert_true(lw_source_line("tests/unit/test_render_ci.c", LW_SOURCE_DIR, 1, buf, sizeof buf));
    assert_false(lw_source_line("/no/such/file.c", NULL, 1, buf, sizeof buf));
    assert_false(lw_source_line(LW_SOURCE_DIR "/tests/unit/test_render_ci.c", NULL, 1000000, buf,
                                sizeof buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sarif_result, setup, teardown),
        cmocka_unit_test_setup_teardown(junit_findings_and_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(junit_clean_run, setup, teardown),
        cmocka_unit_test_setup_teardown(text_logs_summary_color, setup, teardown),
        cmocka_unit_test_setup_teardown(dot_highlights_cycle, setup, teardown),
        cmocka_unit_test(helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
