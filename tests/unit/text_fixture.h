/*
 * Shared by the unit tests that check report text (test_deadlock.c, test_race.c): the
 * open/close halves of an invented symbol source (the tests supply their own pc and data
 * lookups), rendering a set of findings to a string, and an assertion on a substring that prints
 * the whole text when it fails, since a report is read as a whole.
 */
#ifndef LW_TEST_TEXT_FIXTURE_H
#define LW_TEST_TEXT_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "naming.h"
#include "render.h"

static inline void *fake_open(const lw_process *p, void *user)
{
    (void)p;
    return user;
}

static inline void fake_close(void *h, void *user)
{
    (void)h;
    (void)user;
}

/* The text (or JSON) report of fs on process p, named through src with paths under root; the
 * caller frees it. */
static inline char *render_report(const lw_process *p, const lw_findings *fs,
                                  const lw_symbol_source *src, const char *root, bool json)
{
    lw_model m = {.procs = (lw_process *)p, .n_procs = 1};
    lw_report r = {.model = &m, .findings = fs, .namer = lw_namer_new(src, root)};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(json ? lw_render_json(f, &r) : lw_render_text(f, &r), 0);
    fclose(f);
    lw_namer_free(r.namer);
    return buf;
}

#define assert_has(text, needle)                                                                   \
    do {                                                                                           \
        if (!strstr((text), (needle))) {                                                           \
            print_error("missing: %s\nin:\n%s\n", (needle), (text));                               \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#endif /* LW_TEST_TEXT_FIXTURE_H */
