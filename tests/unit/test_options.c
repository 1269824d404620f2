/*
 * Unit tests for the option table as the CLI uses it (analyzer/options.c): every option in
 * include/lockwatch/options.inc accepts its default, unknown keys and bad values are errors that
 * name the key, LOCKWATCH_OPTIONS strings parse and merge (later wins), and the pure helpers of
 * `lockwatch run` (LD_PRELOAD value, default log directory) behave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd_run.h"
#include "options.h"

static void test_every_default_parses(void **state)
{
    (void)state;
    size_t n = 0;
#define LW_OPTION(name, type, def, help) n++;
#include "lockwatch/options.inc"
#undef LW_OPTION
    assert_int_equal(lw_option_count(), n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        const lw_option_desc *o = lw_option_at(i);
        char err[256] = "";
        assert_non_null(o);
        assert_ptr_equal(lw_option_find(o->name), o);
        assert_true(strlen(o->help) > 0);
        if (lw_option_validate(o, o->default_text, err, sizeof err) != 0)
            fail_msg("default of %s rejected: %s", o->name, err);
        /* And through a LOCKWATCH_OPTIONS string. */
        lw_option_values v;
        lw_option_values_init(&v);
        char item[256];
        snprintf(item, sizeof item, "%s=%s", o->name, o->default_text);
        assert_int_equal(lw_option_values_parse(&v, item, "LOCKWATCH_OPTIONS", err, sizeof err), 0);
        char *fmt = lw_option_values_format(&v);
        assert_string_equal(fmt, item);
        free(fmt);
        lw_option_values_free(&v);
    }
    assert_null(lw_option_at(n));
}

static void test_flags(void **state)
{
    (void)state;
    assert_ptr_equal(lw_option_find_flag("stack-depth"), lw_option_find("stack_depth"));
    assert_ptr_equal(lw_option_find_flag("log-dir"), lw_option_find("log_dir"));
    assert_null(lw_option_find_flag("stack-dept"));
    assert_null(lw_option_find_flag("stack-depthx"));
}

static void expect_error(const char *str, const char *needle)
{
    lw_option_values v;
    lw_option_values_init(&v);
    char err[512] = "";
    assert_int_equal(lw_option_values_parse(&v, str, "LOCKWATCH_OPTIONS", err, sizeof err), -1);
    if (!strstr(err, needle))
        fail_msg("error for '%s' is '%s', expected it to mention '%s'", str, err, needle);
    assert_non_null(strstr(err, "LOCKWATCH_OPTIONS"));
    assert_null(strchr(err, '\n'));
    lw_option_values_free(&v);
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error("no_such_option=1", "no_such_option");
    expect_error("log_dir=/tmp:stackdepth=3", "stackdepth");
    expect_error("verbose", "verbose"); /* no '=' */
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error("stack_depth=0", "stack_depth");
    expect_error("stack_depth=65", "stack_depth");
    expect_error("stack_depth=abc", "stack_depth");
    expect_error("stack_depth=-1", "stack_depth");
    expect_error("stack_depth= 3", "stack_depth");
    expect_error("stack_depth=", "stack_depth");
    expect_error("verbose=99999999999999999999", "verbose");
    expect_error("log_dir=", "log_dir");
    if (lw_option_find("on_deadlock"))
        expect_error("on_deadlock=explode", "abort, exit or continue");
    if (lw_option_find("deadlock_exit_code"))
        expect_error("deadlock_exit_code=0", "deadlock_exit_code");
    if (lw_option_find("deadlock_timeout_ms"))
        expect_error("deadlock_timeout_ms=99", "deadlock_timeout_ms");
}

static void test_merge(void **state)
{
    (void)state;
    lw_option_values v;
    lw_option_values_init(&v);
    char err[256];
    assert_int_equal(lw_option_values_parse(&v, "stack_depth=8::verbose=1", "env", err, sizeof err),
                     0);
    /* A later value (a command-line flag) overrides the environment. */
    assert_int_equal(lw_option_values_set(&v, "stack_depth", "64", err, sizeof err), 0);
    assert_int_equal(lw_option_values_set(&v, "log_dir", "/tmp/x", err, sizeof err), 0);
    char *fmt = lw_option_values_format(&v);
    assert_string_equal(fmt, "log_dir=/tmp/x:stack_depth=64:verbose=1");
    free(fmt);
    /* A value with the separator in it would be cut by the shim: refused. */
    assert_int_equal(lw_option_values_set(&v, "log_dir", "/a:b", err, sizeof err), -1);
    assert_non_null(strstr(err, "log_dir"));
    lw_option_values_free(&v);

    lw_option_values e;
    lw_option_values_init(&e);
    fmt = lw_option_values_format(&e);
    assert_string_equal(fmt, "");
    free(fmt);
    lw_option_values_free(&e);
}

static void test_help_lists_every_option(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    lw_options_print_help(f);
    fclose(f);
    /* Help texts are word-wrapped: compare with runs of white space folded to one space. */
    size_t n = 0;
    for (size_t i = 0; buf[i]; i++) {
        bool space = buf[i] == ' ' || buf[i] == '\n';
        if (space && n > 0 && buf[n - 1] == ' ')
            continue;
        buf[n++] = space ? ' ' : buf[i];
    }
    buf[n] = '\0';
    for (size_t i = 0; i < lw_option_count(); i++) {
        assert_non_null(strstr(buf, lw_option_at(i)->name));
        assert_non_null(strstr(buf, lw_option_at(i)->help));
    }
    assert_non_null(strstr(buf, "--stack-depth"));
    free(buf);
}

static void test_run_helpers(void **state)
{
    (void)state;
    char *v = lw_run_preload_value("/x/liblockwatch.so", NULL);
    assert_string_equal(v, "/x/liblockwatch.so");
    free(v);
    v = lw_run_preload_value("/x/liblockwatch.so", "");
    assert_string_equal(v, "/x/liblockwatch.so");
    free(v);
    v = lw_run_preload_value("/x/liblockwatch.so", "libfoo.so");
    assert_string_equal(v, "/x/liblockwatch.so:libfoo.so");
    free(v);

    char dir[256];
    lw_run_default_log_dir("./build/demo/deadlock_abba", 0, 4242, dir, sizeof dir);
    assert_true(strncmp(dir, "lockwatch-logs/deadlock_abba-", 29) == 0);
    /* <basename>-yyyymmdd-hhmmss-<pid> */
    assert_int_equal(strlen(dir), strlen("lockwatch-logs/deadlock_abba-19700101-000000-4242"));
    assert_string_equal(dir + strlen(dir) - 5, "-4242");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_default_parses),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_help_lists_every_option),
        cmocka_unit_test(test_run_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
