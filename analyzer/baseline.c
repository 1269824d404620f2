/*
 * Baseline files (baseline.h): writing them from findings and reading them back, strictly: a
 * baseline that silently fails to parse would let every known finding through or, worse, hide
 * new ones, so any unexpected line is an error naming the file and line.
 */
#include "baseline.h"
#include "text_file.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char header_word[] = "lockwatch-baseline";

static bool is_hex_fp(const char *s, size_t len)
{
    if (len != LW_FINGERPRINT_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789abcdef", s[i]) || !s[i])
            return false;
    return true;
}

/* Validates and records one entry line; returns NULL or what was expected. */
static const char *parse_entry(lw_baseline *b, const char *line)
{
    size_t fl = strcspn(line, " \t");
    if (!is_hex_fp(line, fl))
        return "a fingerprint of 16 lower-case hex digits";
    const char *kind = line + fl + strspn(line + fl, " \t");
    size_t kl = strcspn(kind, " \t/");
    char name[64];
    if (kl == 0 || kl >= sizeof name)
        return "FINGERPRINT KIND[/SUBKIND] [DESCRIPTION]";
    memcpy(name, kind, kl);
    name[kl] = '\0';
    if (lw_kind_parse(name) < 0)
        return "a finding kind after the fingerprint";
    if (lw_baseline_contains(b, line))
        return NULL; /* a repeated entry is harmless */
    char(*grown)[LW_FINGERPRINT_LEN + 1] = xreallocarray(b->fps, b->n + 1, sizeof *grown);
    b->fps = grown;
    memcpy(b->fps[b->n], line, LW_FINGERPRINT_LEN);
    b->fps[b->n][LW_FINGERPRINT_LEN] = '\0';
    b->n++;
    return NULL;
}

/* Checks the header line "lockwatch-baseline 1 lockwatch/v1"; returns NULL or what was
 * expected. */
static const char *parse_header(const char *line)
{
    char word[32], recipe[64] = "";
    int version = 0;
    int got = sscanf(line, "%31s %d %63s", word, &version, recipe);
    if (got < 2 || strcmp(word, header_word) != 0)
        return "the header 'lockwatch-baseline 1' (is this a baseline file?)";
    if (version != LW_BASELINE_VERSION)
        return "baseline format version 1";
    if (got == 3 && strcmp(recipe, LW_FINGERPRINT_KEY) != 0)
        return "fingerprints of recipe " LW_FINGERPRINT_KEY " (regenerate the baseline with "
               "`lockwatch baseline`)";
    return NULL;
}

int lw_baseline_parse(lw_baseline *b, const char *text, const char *name, char *err, size_t errlen)
{
    unsigned lineno = 0;
    bool have_header = false;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char *line = xstrndup(p, len);
        p = nl ? nl + 1 : p + len;
        char *s = line + strspn(line, " \t");
        size_t sl = strlen(s);
        while (sl && (s[sl - 1] == '\r' || s[sl - 1] == ' ' || s[sl - 1] == '\t'))
            s[--sl] = '\0';
        const char *expected = NULL;
        if (*s && *s != '#') {
            expected = have_header ? parse_entry(b, s) : parse_header(s);
            have_header = true;
        }
        if (expected) {
            if (sl > 80)
                s[80] = '\0';
            lw_text_sanitize(s);
            snprintf(err, errlen, "%s:%u: expected %s, got '%s'", name, lineno, expected, s);
            free(line);
            return -1;
        }
        free(line);
    }
    if (!have_header) {
        snprintf(err, errlen, "%s: expected the header 'lockwatch-baseline 1', got an empty file",
                 name);
        return -1;
    }
    return 0;
}

int lw_baseline_load(lw_baseline *b, const char *path, char *err, size_t errlen)
{
    char *text = lw_text_file_read(path, "--baseline", "a text baseline file", err, errlen);
    if (!text)
        return -1;
    int rc = lw_baseline_parse(b, text, path, err, errlen);
    free(text);
    return rc;
}

void lw_baseline_free(lw_baseline *b)
{
    free(b->fps);
    b->fps = NULL;
    b->n = 0;
}

bool lw_baseline_contains(const lw_baseline *b, const char *fp)
{
    for (size_t i = 0; b && i < b->n; i++)
        if (strncmp(b->fps[i], fp, LW_FINGERPRINT_LEN) == 0)
            return true;
    return false;
}

static int cmp_fp(const void *a, const void *b)
{
    const lw_finding *x = *(const lw_finding *const *)a, *y = *(const lw_finding *const *)b;
    return strcmp(x->fingerprint, y->fingerprint);
}

int lw_baseline_write(FILE *out, lw_namer *n, const lw_findings *fs)
{
    const lw_finding **sorted = xcalloc(fs->n, sizeof *sorted);
    size_t k = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (!fs->items[i].harmless)
            sorted[k++] = &fs->items[i];
    qsort(sorted, k, sizeof *sorted, cmp_fp);
    fputs("# lockwatch baseline: findings accepted for now. `lockwatch check --baseline FILE`\n"
          "# fails only on findings not listed here. Written by `lockwatch baseline`; one\n"
          "# finding per line: FINGERPRINT KIND[/SUBKIND] DESCRIPTION (see docs/ci.md).\n",
          out);
    fprintf(out, "%s %d %s\n", header_word, LW_BASELINE_VERSION, LW_FINGERPRINT_KEY);
    for (size_t i = 0; i < k; i++) {
        const lw_finding *f = sorted[i];
        if (i > 0 && strcmp(f->fingerprint, sorted[i - 1]->fingerprint) == 0)
            continue;
        char *text = lw_fingerprint_text(n, f);
        lw_text_sanitize(text);
        /* The canonical text starts with the kind: print "FP KIND[/SUB] rest". */
        const char *colon = strchr(text, ':');
        fprintf(out, "%s %.*s%s\n", f->fingerprint, colon ? (int)(colon - text) : (int)strlen(text),
                text, colon ? colon + 1 : "");
        free(text);
    }
    free(sorted);
    fflush(out);
    return ferror(out) ? -1 : 0;
}
