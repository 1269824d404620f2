/*
 * The option table (include/lockwatch/options.inc) for the CLI: lookup, strict validation,
 * LOCKWATCH_OPTIONS parsing/merging, and `lockwatch help options`. Validation is strict on
 * purpose (an unknown key or a bad value is an error, never ignored): a typo in an option that
 * silently does nothing costs users more than an error message.
 */
#include "options.h"

#include "lockwatch/log_format.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const lw_option_desc option_table[] = {
#define LW_OPTION(name, type, def, help) {#name, type, def, help},
#include "lockwatch/options.inc"
#undef LW_OPTION
};
#define N_OPTIONS (sizeof option_table / sizeof option_table[0])

/*
 * Ranges and choices the table's types cannot express. options.inc only carries a type; these
 * mirror the shim's setters (shim/options.c) and the help texts ("1 to 64"), so that `lockwatch
 * run` refuses what the shim would refuse, before starting the program. An option missing here
 * accepts any 32-bit unsigned value / any non-empty string.
 */
static const struct {
    const char *name;
    unsigned long min, max;
} option_ranges[] = {
    {"stack_depth", 1, 64},
    {"verbose", 0, 2},
    {"deadlock_exit_code", 1, 255},
    {"deadlock_timeout_ms", 100, 600000},
};
static const struct {
    const char *name;
    const char *choices[4]; /* NULL-terminated */
} option_choices[] = {
    {"on_deadlock", {"abort", "exit", "continue", NULL}},
};

size_t lw_option_count(void)
{
    return N_OPTIONS;
}

const lw_option_desc *lw_option_at(size_t i)
{
    return i < N_OPTIONS ? &option_table[i] : NULL;
}

const lw_option_desc *lw_option_find(const char *name)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(option_table[i].name, name) == 0)
            return &option_table[i];
    return NULL;
}

const lw_option_desc *lw_option_find_flag(const char *flag)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *a = option_table[i].name, *b = flag;
        while (*a && *b && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return &option_table[i];
    }
    return NULL;
}

const char *lw_option_type_name(lw_opt_type t)
{
    switch (t) {
    case LW_OPT_STR:
        return "string";
    case LW_OPT_UINT:
        return "unsigned";
    case LW_OPT_BOOL:
        return "bool";
    }
    return "?";
}

static size_t option_index(const lw_option_desc *o)
{
    return (size_t)(o - option_table);
}

/* The watch list (shim/watch.c): "name,name@module"; a name is a C identifier (GCC's local
 * statics may carry a ".N" suffix in the symbol table), a module is a file name. */
static bool watch_list_ok(const char *v)
{
    for (const char *item = v;; item++) {
        const char *p = item;
        while (*p && *p != ',' && *p != '@') {
            if (!(*p == '_' || *p == '.' || *p == '$' || (*p >= '0' && *p <= '9') ||
                  (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                return false;
            p++;
        }
        if (p == item)
            return false;
        if (*p == '@') {
            const char *m = ++p;
            while (*p && *p != ',' && *p != '@' && *p != '/')
                p++;
            if (p == m || *p == '@' || *p == '/')
                return false;
        }
        if (!*p)
            return true;
        item = p;
    }
}

int lw_option_validate(const lw_option_desc *o, const char *value, char *err, size_t errlen)
{
    if (strchr(value, ':')) {
        snprintf(err, errlen, "option %s: value '%s' may not contain ':' (the separator)", o->name,
                 value);
        return -1;
    }
    switch (o->type) {
    case LW_OPT_STR:
        for (size_t i = 0; i < sizeof option_choices / sizeof option_choices[0]; i++) {
            if (strcmp(option_choices[i].name, o->name) != 0)
                continue;
            const char *const *c = option_choices[i].choices;
            for (size_t k = 0; c[k]; k++)
                if (strcmp(c[k], value) == 0)
                    return 0;
            char list[128] = "";
            for (size_t k = 0; c[k]; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         k == 0 ? "" : (c[k + 1] ? ", " : " or "), c[k]);
            snprintf(err, errlen, "option %s: expected %s, got '%s'", o->name, list, value);
            return -1;
        }
        if (strcmp(o->name, "watch") == 0 && !*value)
            return 0; /* the default: no watches */
        if (strcmp(o->name, "watch") == 0 && !watch_list_ok(value)) {
            snprintf(err, errlen,
                     "option watch: expected NAME[@MODULE] items separated by ',', got '%s'",
                     value);
            return -1;
        }
        if (!*value || strlen(value) >= LW_PATH_MAX) {
            snprintf(err, errlen, "option %s: expected a non-empty string shorter than %u bytes",
                     o->name, LW_PATH_MAX);
            return -1;
        }
        return 0;
    case LW_OPT_BOOL:
        if (strcmp(value, "0") == 0 || strcmp(value, "1") == 0 || strcmp(value, "true") == 0 ||
            strcmp(value, "false") == 0)
            return 0;
        snprintf(err, errlen, "option %s: expected 0, 1, true or false, got '%s'", o->name, value);
        return -1;
    case LW_OPT_UINT: {
        unsigned long min = 0, max = UINT32_MAX;
        for (size_t i = 0; i < sizeof option_ranges / sizeof option_ranges[0]; i++) {
            if (strcmp(option_ranges[i].name, o->name) == 0) {
                min = option_ranges[i].min;
                max = option_ranges[i].max;
            }
        }
        /* strtoul accepts signs and leading spaces; insist on plain digits. */
        bool digits = *value != '\0';
        for (const char *p = value; *p; p++)
            if (*p < '0' || *p > '9')
                digits = false;
        errno = 0;
        unsigned long v = digits ? strtoul(value, NULL, 10) : 0;
        if (!digits || errno == ERANGE || v < min || v > max) {
            snprintf(err, errlen, "option %s: expected an integer from %lu to %lu, got '%s'",
                     o->name, min, max, value);
            return -1;
        }
        return 0;
    }
    }
    snprintf(err, errlen, "option %s: unknown type", o->name);
    return -1;
}

void lw_option_values_init(lw_option_values *v)
{
    v->values = calloc(N_OPTIONS ? N_OPTIONS : 1, sizeof *v->values);
    if (!v->values)
        abort();
}

void lw_option_values_free(lw_option_values *v)
{
    if (!v->values)
        return;
    for (size_t i = 0; i < N_OPTIONS; i++)
        free(v->values[i]);
    free(v->values);
    v->values = NULL;
}

int lw_option_values_set(lw_option_values *v, const char *name, const char *value, char *err,
                         size_t errlen)
{
    const lw_option_desc *o = lw_option_find(name);
    if (!o) {
        snprintf(err, errlen, "unknown option '%s' (see 'lockwatch help options')", name);
        return -1;
    }
    if (lw_option_validate(o, value, err, errlen) != 0)
        return -1;
    char *copy = strdup(value);
    if (!copy)
        abort();
    size_t i = option_index(o);
    free(v->values[i]);
    v->values[i] = copy;
    return 0;
}

int lw_option_values_parse(lw_option_values *v, const char *str, const char *source, char *err,
                           size_t errlen)
{
    char *copy = strdup(str);
    if (!copy)
        abort();
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ":", &save); item; item = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            snprintf(err, errlen, "%s: expected key=value, got '%s'", source, item);
            rc = -1;
            break;
        }
        *eq = '\0';
        char msg[512];
        if (lw_option_values_set(v, item, eq + 1, msg, sizeof msg) != 0) {
            snprintf(err, errlen, "%s: %s", source, msg);
            rc = -1;
            break;
        }
    }
    free(copy);
    return rc;
}

char *lw_option_values_format(const lw_option_values *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    bool first = true;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (!v->values[i])
            continue;
        fprintf(f, "%s%s=%s", first ? "" : ":", option_table[i].name, v->values[i]);
        first = false;
    }
    if (fclose(f) != 0 || !buf)
        abort();
    return buf;
}

/* The run flag of option o ("stack-depth" for stack_depth). */
static void flag_name(const lw_option_desc *o, char *flag, size_t len)
{
    size_t k = 0;
    for (const char *p = o->name; *p && k + 1 < len; p++)
        flag[k++] = *p == '_' ? '-' : *p;
    flag[k] = '\0';
}

void lw_options_print_flags(FILE *out, const char *skip)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const lw_option_desc *o = &option_table[i];
        if (skip && strcmp(o->name, skip) == 0)
            continue;
        char flag[64], left[96];
        flag_name(o, flag, sizeof flag);
        snprintf(left, sizeof left, "--%s %s", flag,
                 o->type == LW_OPT_STR    ? "VALUE"
                 : o->type == LW_OPT_UINT ? "N"
                                          : "0|1");
        fprintf(out, "  %-19s %s (default %s)\n", left, o->help, o->default_text);
    }
}

/* Prints text word-wrapped at `width` columns, each line indented by `indent` spaces. */
static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
    const char *p = text;
    while (*p) {
        int room = width - indent, n = (int)strlen(p);
        if (n > room) {
            n = room;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0)
                n = room; /* one word longer than the line */
        }
        fprintf(out, "%*s%.*s\n", indent, "", n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

void lw_options_print_help(FILE *out)
{
    fputs(
        "Recorder options. Set them in LOCKWATCH_OPTIONS=\"key=value:key=value\" when preloading\n"
        "liblockwatch.so yourself, or as `lockwatch run` flags (--key-name VALUE, '_' written as\n"
        "'-'); a flag overrides the same key in LOCKWATCH_OPTIONS. Unknown keys and bad values\n"
        "are errors.\n\n",
        out);
    int width = 0;
    for (size_t i = 0; i < N_OPTIONS; i++)
        if ((int)strlen(option_table[i].name) > width)
            width = (int)strlen(option_table[i].name);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const lw_option_desc *o = &option_table[i];
        char flag[64];
        flag_name(o, flag, sizeof flag);
        fprintf(out, "  %-*s %-9s default %-6s (run flag --%s)\n", width, o->name,
                lw_option_type_name(o->type), *o->default_text ? o->default_text : "(none)", flag);
        print_wrapped(out, o->help, 6, 92);
    }
}
