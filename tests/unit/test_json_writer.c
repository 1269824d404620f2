/*
 * Unit tests for the streaming JSON writer (analyzer/json_writer.c): string escaping (quotes,
 * backslashes, control characters, UTF-8 passthrough, invalid bytes), separators and nesting,
 * and detection of misuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_writer.h"

/* Escapes s with lw_json_write_escaped and returns the text (caller frees). */
static char *escape(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    lw_json_write_escaped(f, s);
    fclose(f);
    return buf;
}

static void check_escape(const char *in, const char *want)
{
    char *got = escape(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_plain(void **state)
{
    (void)state;
    check_escape("", "\"\"");
    check_escape("thread_0", "\"thread_0\"");
}

static void test_quotes_and_backslashes(void **state)
{
    (void)state;
    check_escape("say \"hi\"", "\"say \\\"hi\\\"\"");
    check_escape("C:\\dir\\", "\"C:\\\\dir\\\\\"");
    check_escape("/a/b", "\"/a/b\""); /* '/' needs no escape */
}

static void test_control_chars(void **state)
{
    (void)state;
    check_escape("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"");
    check_escape("\b\f", "\"\\b\\f\"");
    check_escape("\x01\x1f", "\"\\u0001\\u001f\"");
    check_escape("\x7f", "\"\\u007f\"");
}

static void test_utf8(void **state)
{
    (void)state;
    /* Valid multi-byte sequences pass through unchanged. */
    check_escape("caf\xc3\xa9", "\"caf\xc3\xa9\"");
    check_escape("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"");
    check_escape("\xf0\x9f\x94\x92", "\"\xf0\x9f\x94\x92\"");
    /* Invalid bytes become U+FFFD: a lone continuation byte, a truncated sequence, an overlong
     * encoding, a surrogate, and a truncated sequence at the end of the string. */
    check_escape("a\x80z", "\"a\\ufffdz\"");
    check_escape("\xc3(", "\"\\ufffd(\"");
    check_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"");
    check_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
    check_escape("\xe2\x82", "\"\\ufffd\\ufffd\"");
}

/* Runs fn against a compact writer and returns the output. */
static char *compact(void (*fn)(lw_json *), int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    lw_json w;
    lw_json_init(&w, f, false);
    fn(&w);
    *rc = lw_json_finish(&w);
    fclose(f);
    return buf;
}

static void write_nested(lw_json *w)
{
    lw_json_begin_object(w);
    lw_json_key(w, "a");
    lw_json_begin_array(w);
    lw_json_int(w, -1);
    lw_json_uint(w, 18446744073709551615u);
    lw_json_begin_object(w);
    lw_json_end_object(w);
    lw_json_begin_array(w);
    lw_json_end_array(w);
    lw_json_null(w);
    lw_json_bool(w, true);
    lw_json_end_array(w);
    lw_json_key(w, "k\"ey");
    lw_json_string(w, NULL);
    lw_json_key(w, "pc");
    lw_json_hex(w, 0x7ffd1234);
    lw_json_end_object(w);
}

static void test_nesting(void **state)
{
    (void)state;
    int rc;
    char *out = compact(write_nested, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "{\"a\":[-1,18446744073709551615,{},[],null,true],\"k\\\"ey\":null,"
                             "\"pc\":\"0x7ffd1234\"}\n");
    free(out);
}

static void test_pretty(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    lw_json w;
    lw_json_init(&w, f, true);
    lw_json_begin_object(&w);
    lw_json_key(&w, "x");
    lw_json_begin_array(&w);
    lw_json_int(&w, 1);
    lw_json_int(&w, 2);
    lw_json_end_array(&w);
    lw_json_key(&w, "e");
    lw_json_begin_array(&w);
    lw_json_end_array(&w);
    lw_json_end_object(&w);
    assert_int_equal(lw_json_finish(&w), 0);
    fclose(f);
    assert_string_equal(buf, "{\n  \"x\": [\n    1,\n    2\n  ],\n  \"e\": []\n}\n");
    free(buf);
}

static void write_value_without_key(lw_json *w)
{
    lw_json_begin_object(w);
    lw_json_int(w, 1);
    lw_json_end_object(w);
}

static void write_unclosed(lw_json *w)
{
    lw_json_begin_array(w);
    lw_json_int(w, 1);
}

static void write_mismatched(lw_json *w)
{
    lw_json_begin_array(w);
    lw_json_end_object(w);
}

static void write_too_deep(lw_json *w)
{
    for (int i = 0; i < LW_JSON_MAX_DEPTH + 1; i++)
        lw_json_begin_array(w);
}

static void test_misuse(void **state)
{
    (void)state;
    void (*cases[])(lw_json *) = {write_value_without_key, write_unclosed, write_mismatched,
                                  write_too_deep};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        char *out = compact(cases[i], &rc);
        assert_int_equal(rc, -1);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),         cmocka_unit_test(test_quotes_and_backslashes),
        cmocka_unit_test(test_control_chars), cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_nesting),       cmocka_unit_test(test_pretty),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
