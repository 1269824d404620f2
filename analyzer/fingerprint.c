/*
 * Finding fingerprints (fingerprint.h). The recipe is versioned (LW_FINGERPRINT_KEY): a change
 * to what goes into the canonical text changes every fingerprint, which invalidates every
 * baseline, so it needs a new key and a note in docs/ci.md.
 */
#include "fingerprint.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t lw_fingerprint_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* "func(file.c)" for the site of stack_id: function and file basename, no line (lines move). */
static void site_key(lw_namer *n, const lw_process *p, uint32_t stack_id, char *buf, size_t len)
{
    lw_frame f;
    if (!lw_namer_site(n, p, stack_id, &f)) {
        snprintf(buf, len, "?");
        return;
    }
    const char *where = f.file     ? lw_path_basename(f.file)
                        : f.module ? lw_path_basename(f.module)
                                   : "?";
    snprintf(buf, len, "%s(%s)", f.function ? f.function : "?", where);
}

void lw_fingerprint_lock(lw_namer *n, const lw_process *p, uint32_t lock_id, char *buf, size_t len)
{
    lw_lock_name ln;
    lw_namer_lock(n, p, lock_id, &ln);
    if (ln.symbol) {
        /* short_name is "'sym'" or "'sym+0x28'": both independent of the load address. */
        snprintf(buf, len, "%s", ln.short_name);
        return;
    }
    if (ln.lock && ln.lock->init_stack) {
        /* A heap or stack lock: name it by its class, the site that created it. */
        char site[LW_NAME_MAX];
        site_key(n, p, ln.lock->init_stack, site, sizeof site);
        snprintf(buf, len, "%s@%s", lw_lock_kind_name(ln.lock->kind), site);
        return;
    }
    snprintf(buf, len, "%s", ln.lock ? lw_lock_kind_name(ln.lock->kind) : "lock?");
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *lw_fingerprint_text(lw_namer *n, const lw_finding *f)
{
    size_t k = f->n_edges ? f->n_edges : f->n_locks;
    char **parts = xcalloc(k, sizeof *parts);
    for (size_t i = 0; i < k; i++) {
        char from[LW_NAME_MAX], to[LW_NAME_MAX], held[LW_NAME_MAX], acq[LW_NAME_MAX];
        int rc;
        if (f->n_edges) {
            const lw_finding_edge *e = &f->edges[i];
            lw_fingerprint_lock(n, f->proc, e->from_lock, from, sizeof from);
            lw_fingerprint_lock(n, f->proc, e->to_lock, to, sizeof to);
            site_key(n, f->proc, e->from_stack, held, sizeof held);
            site_key(n, f->proc, e->to_stack, acq, sizeof acq);
            rc = asprintf(&parts[i], "%s>%s held %s acquired %s", from, to, held, acq);
        } else {
            lw_fingerprint_lock(n, f->proc, f->locks[i], from, sizeof from);
            rc = asprintf(&parts[i], "%s", from);
        }
        if (rc < 0)
            abort();
    }
    /* Sorting makes the text independent of the cycle's rotation and of lock ids. */
    qsort(parts, k, sizeof *parts, cmp_strp);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        abort();
    fprintf(m, "%s%s%s:", lw_kind_name(f->kind), f->subkind ? "/" : "",
            f->subkind ? f->subkind : "");
    for (size_t i = 0; i < k; i++) {
        fprintf(m, "%s %s", i ? ";" : "", parts[i]);
        free(parts[i]);
    }
    free(parts);
    if (f->kind == LW_KIND_TLS_MISUSE && f->tls) {
        /* No lock to name: the key (or the variable, or "stack") and the site tell findings
         * apart. Thread ids and addresses stay out, as everywhere. */
        char site[LW_NAME_MAX];
        site_key(n, f->proc, f->stack_id, site, sizeof site);
        if (f->tls->has_key)
            fprintf(m, " key %" PRIu64, f->tls->key);
        else if (f->tls->region == LW_TLS_REGION_STACK)
            fputs(" stack", m);
        else
            fprintf(m, " var %s", f->tls->variable ? f->tls->variable : "?");
        fprintf(m, " at %s", site);
    }
    if (f->race) {
        /* The variable (or "heap") and the two sites, sorted: stable across runs and threads. */
        char a[LW_NAME_MAX], b[LW_NAME_MAX];
        lw_data_symbol sym;
        if (lw_namer_data(n, f->proc, f->race->address, &sym))
            fprintf(m, " var %s+%" PRIu64, sym.name, f->race->address - sym.start);
        else
            fputs(" var heap", m);
        site_key(n, f->proc, f->race->access[0].stack_id, a, sizeof a);
        site_key(n, f->proc, f->race->access[1].stack_id, b, sizeof b);
        fprintf(m, " at %s & %s", strcmp(a, b) < 0 ? a : b, strcmp(a, b) < 0 ? b : a);
    }
    if (fclose(m) != 0 || !text)
        abort();
    return text;
}

void lw_fingerprint(lw_namer *n, const lw_finding *f, char hex[LW_FINGERPRINT_LEN + 1])
{
    char *text = lw_fingerprint_text(n, f);
    snprintf(hex, LW_FINGERPRINT_LEN + 1, "%016" PRIx64, lw_fingerprint_hash(text));
    free(text);
}
