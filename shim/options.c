/*
 * LOCKWATCH_OPTIONS parsing for the recorder, driven by include/lockwatch/options.inc (the one
 * table shared with the CLI). "key=value:key=value"; an unknown key or a bad value is an error:
 * the shim then stays inert (the program runs exactly as without lockwatch) after one line on
 * stderr. No malloc and no stdio: this runs in the constructor of a preloaded library.
 */
#include <string.h>

#include "shim.h"

#define LW_OPT_STR 1
#define LW_OPT_UINT 2
#define LW_OPT_BOOL 3

static size_t bounded_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
    return n;
}

/* Appends src to err (bounded). */
static void err_append(char *err, size_t errlen, const char *src, size_t n)
{
    size_t used = strnlen(err, errlen);
    if (used + 1 >= errlen)
        return;
    bounded_copy(err + used, errlen - used, src, n);
}

static int parse_uint(const char *s, size_t n, unsigned *out)
{
    unsigned long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = (unsigned)v;
    return 0;
}

static int set_log_dir(struct lw_options *o, const char *v, size_t n)
{
    if (n == 0 || n >= sizeof o->log_dir)
        return -1;
    bounded_copy(o->log_dir, sizeof o->log_dir, v, n);
    return 0;
}

static int set_stack_depth(struct lw_options *o, const char *v, size_t n)
{
    unsigned d;
    if (parse_uint(v, n, &d) || d < 1 || d > LW_MAX_FRAMES)
        return -1;
    o->stack_depth = d;
    return 0;
}

static int set_verbose(struct lw_options *o, const char *v, size_t n)
{
    unsigned d;
    if (parse_uint(v, n, &d) || d > 2)
        return -1;
    o->verbose = d;
    return 0;
}

static int set_on_deadlock(struct lw_options *o, const char *v, size_t n)
{
    static const char *const names[] = {"abort", "exit", "continue"};
    for (unsigned i = 0; i < 3; i++)
        if (n == strlen(names[i]) && memcmp(v, names[i], n) == 0) {
            o->deadlock_action = i;
            return 0;
        }
    return -1;
}

static int set_deadlock_exit_code(struct lw_options *o, const char *v, size_t n)
{
    unsigned d;
    if (parse_uint(v, n, &d) || d < 1 || d > 255)
        return -1;
    o->deadlock_exit_code = d;
    return 0;
}

static int set_deadlock_timeout_ms(struct lw_options *o, const char *v, size_t n)
{
    unsigned d;
    if (parse_uint(v, n, &d) || d < 100 || d > 600000)
        return -1;
    o->deadlock_timeout_ms = d;
    return 0;
}

/* Empty is allowed (the default: no watches); watch.c checks the names. */
static int set_watch(struct lw_options *o, const char *v, size_t n)
{
    if (n >= sizeof o->watch)
        return -1;
    bounded_copy(o->watch, sizeof o->watch, v, n);
    return 0;
}

static int set_mutex_fast_path(struct lw_options *o, const char *v, size_t n)
{
    if ((n == 1 && v[0] == '1') || (n == 4 && memcmp(v, "true", 4) == 0))
        o->mutex_fast_path = true;
    else if ((n == 1 && v[0] == '0') || (n == 5 && memcmp(v, "false", 5) == 0))
        o->mutex_fast_path = false;
    else
        return -1;
    return 0;
}

/* Dispatches one key to its setter; -2 for an unknown key. One line per option of options.inc. */
static int apply(struct lw_options *o, const char *key, size_t klen, const char *val, size_t vlen)
{
#define LW_OPTION(name, type, def, help)                                                           \
    if (klen == sizeof(#name) - 1 && memcmp(key, #name, klen) == 0)                                \
        return set_##name(o, val, vlen);
#include "lockwatch/options.inc"
#undef LW_OPTION
    return -2;
}

static void set_defaults(struct lw_options *o)
{
    memset(o, 0, sizeof *o);
#define LW_OPTION(name, type, def, help) set_##name(o, def, sizeof(def) - 1);
#include "lockwatch/options.inc"
#undef LW_OPTION
}

int lw_options_parse(const char *text, struct lw_options *o, char *err, size_t errlen)
{
    set_defaults(o);
    if (errlen)
        err[0] = 0;
    if (!text)
        return 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            if (!eq) {
                err_append(err, errlen, "LOCKWATCH_OPTIONS: expected key=value, got '", 45);
                err_append(err, errlen, p, len);
                err_append(err, errlen, "'", 1);
                return -1;
            }
            size_t klen = (size_t)(eq - p);
            int rc = apply(o, p, klen, eq + 1, len - klen - 1);
            if (rc == -2) {
                err_append(err, errlen, "LOCKWATCH_OPTIONS: unknown option '", 35);
                err_append(err, errlen, p, klen);
                err_append(err, errlen, "' (see 'lockwatch help options')", 32);
                return -1;
            }
            if (rc != 0) {
                err_append(err, errlen, "LOCKWATCH_OPTIONS: bad value for '", 34);
                err_append(err, errlen, p, klen);
                err_append(err, errlen, "': '", 4);
                err_append(err, errlen, eq + 1, len - klen - 1);
                err_append(err, errlen, "'", 1);
                return -1;
            }
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}
