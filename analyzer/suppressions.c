/*
 * Suppression files (suppressions.h): parsing with line-accurate errors, the facts a finding
 * can be matched on, matching with fnmatch(3), and printing entries for --print-suppressions.
 */
#include "suppressions.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "text_file.h"
#include "xalloc.h"

static const char *const key_names[LW_SUPP_KEY_COUNT] = {
    [LW_SUPP_FUNCTION] = "function",
    [LW_SUPP_FILE] = "file",
    [LW_SUPP_LOCK] = "lock",
    [LW_SUPP_MODULE] = "module",
    [LW_SUPP_FINGERPRINT] = "fingerprint",
};

const char *lw_supp_key_name(lw_supp_key k)
{
    return (unsigned)k < LW_SUPP_KEY_COUNT ? key_names[k] : "?";
}

/* s without leading and trailing blanks, as [*start, *start + *len). */
static void trim(const char **start, size_t *len)
{
    const char *s = *start;
    size_t n = *len;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    *start = s;
    *len = n;
}

/* Parses one non-blank, non-comment line into e; returns NULL or a static "what was expected". */
static const char *parse_entry(const char *line, size_t len, lw_suppression *e)
{
    const char *eq = memchr(line, '=', len);
    if (!eq)
        return "KIND:KEY=GLOB or KEY=GLOB";
    const char *left = line;
    size_t left_len = (size_t)(eq - line);
    const char *colon = memchr(left, ':', left_len);
    e->kind = -1;
    if (colon) {
        const char *k = left;
        size_t klen = (size_t)(colon - left);
        trim(&k, &klen);
        char *kind = xstrndup(k, klen);
        char *slash = strchr(kind, '/');
        if (slash)
            *slash = '\0';
        if (strcmp(kind, "*") != 0) {
            e->kind = lw_kind_parse(kind);
            if (e->kind < 0) {
                free(kind);
                return "a finding kind (lock-order-inversion, deadlock, data-race, "
                       "unprotected-increment, tls-misuse, api-misuse) or '*' before ':'";
            }
        }
        if (slash) {
            if (!slash[1]) {
                free(kind);
                return "a subkind after '/'";
            }
            e->subkind = xstrdup(slash + 1);
        }
        free(kind);
        left = colon + 1;
        left_len = (size_t)(eq - left);
    }
    trim(&left, &left_len);
    e->key = LW_SUPP_KEY_COUNT;
    for (int k = 0; k < LW_SUPP_KEY_COUNT; k++)
        if (strlen(key_names[k]) == left_len && strncmp(left, key_names[k], left_len) == 0)
            e->key = (lw_supp_key)k;
    if (e->key == LW_SUPP_KEY_COUNT)
        return "KEY one of function, file, lock, module, fingerprint";
    const char *glob = eq + 1;
    size_t glen = len - (size_t)(glob - line);
    trim(&glob, &glen);
    if (glen == 0)
        return "a non-empty GLOB after '='";
    e->glob = xstrndup(glob, glen);
    return NULL;
}

int lw_suppressions_parse(lw_suppressions *s, const char *text, const char *name, char *err,
                          size_t errlen)
{
    unsigned lineno = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        const char *line = p;
        size_t llen = len;
        p = nl ? nl + 1 : p + len;
        trim(&line, &llen);
        if (llen == 0 || line[0] == '#')
            continue;
        lw_suppression e = {.line = lineno};
        const char *expected = parse_entry(line, llen, &e);
        if (expected) {
            char *shown = xstrndup(line, llen > 80 ? 80 : llen);
            lw_text_sanitize(shown);
            snprintf(err, errlen, "%s:%u: expected %s, got '%s'", name, lineno, expected, shown);
            free(shown);
            free(e.subkind);
            free(e.glob);
            return -1;
        }
        lw_suppression *grown = xreallocarray(s->items, s->n + 1, sizeof *grown);
        s->items = grown;
        s->items[s->n++] = e;
    }
    return 0;
}

int lw_suppressions_load(lw_suppressions *s, const char *path, char *err, size_t errlen)
{
    char *text =
        lw_text_file_read(path, "--suppressions", "a text file of suppressions", err, errlen);
    if (!text)
        return -1;
    int rc = lw_suppressions_parse(s, text, path, err, errlen);
    free(text);
    return rc;
}

void lw_suppressions_free(lw_suppressions *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].subkind);
        free(s->items[i].glob);
    }
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

void lw_finding_facts_add(lw_finding_facts *ff, lw_supp_key key, const char *value)
{
    if (!value || !*value)
        return;
    for (size_t i = 0; i < ff->n[key]; i++)
        if (strcmp(ff->values[key][i], value) == 0)
            return;
    char **grown = xreallocarray(ff->values[key], ff->n[key] + 1, sizeof *grown);
    ff->values[key] = grown;
    ff->values[key][ff->n[key]] = xstrdup(value);
    ff->n[key]++;
}

void lw_finding_facts_free(lw_finding_facts *ff)
{
    for (int k = 0; k < LW_SUPP_KEY_COUNT; k++) {
        for (size_t i = 0; i < ff->n[k]; i++)
            free(ff->values[k][i]);
        free(ff->values[k]);
        ff->values[k] = NULL;
        ff->n[k] = 0;
    }
}

static void stack_facts(lw_namer *n, const lw_process *p, uint32_t stack_id, lw_finding_facts *ff)
{
    lw_frame *frames = xmalloc(LW_NAMER_MAX_FRAMES * sizeof *frames);
    size_t nf = lw_namer_stack(n, p, stack_id, frames, LW_NAMER_MAX_FRAMES);
    for (size_t i = 0; i < nf; i++) {
        const lw_frame *f = &frames[i];
        lw_finding_facts_add(ff, LW_SUPP_FUNCTION, f->function);
        if (f->file) {
            char shown[LW_NAME_MAX];
            lw_finding_facts_add(ff, LW_SUPP_FILE, lw_namer_path(n, f->file, shown, sizeof shown));
            lw_finding_facts_add(ff, LW_SUPP_FILE, f->file);
            lw_finding_facts_add(ff, LW_SUPP_FILE, lw_path_basename(f->file));
        }
        if (f->module) {
            lw_finding_facts_add(ff, LW_SUPP_MODULE, f->module);
            lw_finding_facts_add(ff, LW_SUPP_MODULE, lw_path_basename(f->module));
        }
    }
    free(frames);
}

/* "'a'" -> "a": lock globs are written without the quotes reports put around names. */
static void add_unquoted(lw_finding_facts *ff, const char *name)
{
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '\'' && name[len - 1] == '\'') {
        char *bare = xstrndup(name + 1, len - 2);
        lw_finding_facts_add(ff, LW_SUPP_LOCK, bare);
        free(bare);
    } else {
        lw_finding_facts_add(ff, LW_SUPP_LOCK, name);
    }
}

void lw_finding_facts_collect(lw_namer *n, const lw_finding *f, lw_finding_facts *out)
{
    memset(out, 0, sizeof *out);
    lw_finding_facts_add(out, LW_SUPP_FINGERPRINT, f->fingerprint);
    if (!f->proc)
        return;
    for (size_t i = 0; i < f->n_edges; i++) {
        stack_facts(n, f->proc, f->edges[i].from_stack, out);
        stack_facts(n, f->proc, f->edges[i].to_stack, out);
    }
    for (size_t i = 0; i < f->n_locks; i++) {
        lw_lock_name ln;
        lw_namer_lock(n, f->proc, f->locks[i], &ln);
        lw_finding_facts_add(out, LW_SUPP_LOCK, ln.symbol);
        add_unquoted(out, ln.short_name);
        char cls[LW_NAME_MAX];
        lw_fingerprint_lock(n, f->proc, f->locks[i], cls, sizeof cls);
        add_unquoted(out, cls);
    }
}

bool lw_suppression_matches(const lw_suppression *e, int kind, const char *subkind,
                            const lw_finding_facts *ff)
{
    if (e->kind >= 0 && e->kind != kind)
        return false;
    if (e->subkind && (!subkind || strcmp(e->subkind, subkind) != 0))
        return false;
    for (size_t i = 0; i < ff->n[e->key]; i++)
        if (fnmatch(e->glob, ff->values[e->key][i], 0) == 0)
            return true;
    return false;
}

lw_suppression *lw_suppressions_match(lw_suppressions *s, lw_namer *n, const lw_finding *f)
{
    if (!s || s->n == 0)
        return NULL;
    lw_finding_facts ff;
    lw_finding_facts_collect(n, f, &ff);
    lw_suppression *hit = NULL;
    for (size_t i = 0; i < s->n && !hit; i++)
        if (lw_suppression_matches(&s->items[i], (int)f->kind, f->subkind, &ff))
            hit = &s->items[i];
    lw_finding_facts_free(&ff);
    if (hit)
        hit->hits++;
    return hit;
}

/* True if the glob characters *?[ and the separators of the format are absent from s, so s can
 * be pasted as a glob that matches only itself. */
static bool literal_glob(const char *s)
{
    return s && *s && !strpbrk(s, "*?[]\\\n#=");
}

void lw_suppressions_print_for(FILE *out, lw_namer *n, const lw_finding *f)
{
    const char *kind = lw_kind_name(f->kind);
    char kindsub[128];
    snprintf(kindsub, sizeof kindsub, "%s%s%s", kind, f->subkind ? "/" : "",
             f->subkind ? f->subkind : "");
    char site[LW_NAME_MAX] = "";
    lw_frame fr;
    if (f->proc && f->n_edges && lw_namer_site(n, f->proc, f->edges[0].to_stack, &fr))
        lw_namer_format_site(n, &fr, site, sizeof site);
    fprintf(out, "# %s%s%s", kindsub, site[0] ? " at " : "", site);
    if (f->proc && f->n_locks) {
        fputs(", locks", out);
        for (size_t i = 0; i < f->n_locks; i++) {
            lw_lock_name ln;
            lw_namer_lock(n, f->proc, f->locks[i], &ln);
            fprintf(out, " %s", ln.short_name);
        }
    }
    fputc('\n', out);
    fprintf(out, "%s:fingerprint=%s\n", kind, f->fingerprint[0] ? f->fingerprint : "?");
    bool header = false;
    /* Broader alternatives: every lock of the cycle, then the functions of the top frames. */
    for (size_t i = 0; f->proc && i < f->n_locks; i++) {
        lw_lock_name ln;
        lw_namer_lock(n, f->proc, f->locks[i], &ln);
        if (!literal_glob(ln.symbol))
            continue;
        if (!header)
            fputs("# broader alternatives (uncomment one):\n", out);
        header = true;
        char sym[LW_NAME_MAX];
        snprintf(sym, sizeof sym, "%s", ln.symbol);
        lw_text_sanitize(sym);
        fprintf(out, "# %s:lock=%s\n", kind, sym);
    }
    for (size_t i = 0; f->proc && i < f->n_edges; i++) {
        if (!lw_namer_site(n, f->proc, f->edges[i].to_stack, &fr) || !literal_glob(fr.function))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i; j++) {
            lw_frame prev;
            if (lw_namer_site(n, f->proc, f->edges[j].to_stack, &prev) && prev.function &&
                strcmp(prev.function, fr.function) == 0)
                seen = true;
        }
        if (seen)
            continue;
        if (!header)
            fputs("# broader alternatives (uncomment one):\n", out);
        header = true;
        char fn[LW_NAME_MAX];
        snprintf(fn, sizeof fn, "%s", fr.function);
        lw_text_sanitize(fn);
        fprintf(out, "# %s:function=%s\n", kind, fn);
    }
}
