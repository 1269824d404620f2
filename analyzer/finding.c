/*
 * Findings: kind names and the small container every analysis appends to and every renderer
 * reads (see finding.h). Allocation failures abort, as everywhere in the analyzer: a report
 * with silently missing findings would be worse than no report.
 */
#include "finding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by lw_finding_kind; the names are public (docs/report-schema.md): never rename. */
static const char *const kind_names[LW_KIND_COUNT] = {
    [LW_KIND_LOCK_ORDER_INVERSION] = "lock-order-inversion",
    [LW_KIND_DEADLOCK] = "deadlock",
    [LW_KIND_DATA_RACE] = "data-race",
    [LW_KIND_UNPROTECTED_INCREMENT] = "unprotected-increment",
    [LW_KIND_TLS_MISUSE] = "tls-misuse",
    [LW_KIND_API_MISUSE] = "api-misuse",
};

/* The JSON/SARIF name of k, or "unknown" for a value outside the enum. */
const char *lw_kind_name(lw_finding_kind k)
{
    if ((unsigned)k >= LW_KIND_COUNT)
        return "unknown";
    return kind_names[k];
}

/* Parses a kind name (exact match); -1 if unknown or NULL. */
int lw_kind_parse(const char *name)
{
    if (!name)
        return -1;
    for (int k = 0; k < LW_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

/* Appends a zeroed finding and returns it; aborts on out-of-memory. */
lw_finding *lw_findings_add(lw_findings *fs)
{
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 16;
        lw_finding *items = reallocarray(fs->items, cap, sizeof *items);
        if (!items) {
            fputs("lockwatch: out of memory\n", stderr);
            abort();
        }
        fs->items = items;
        fs->cap = cap;
    }
    lw_finding *f = &fs->items[fs->n++];
    memset(f, 0, sizeof *f);
    return f;
}

/* Frees what one finding owns and leaves it zeroed (proc is borrowed, not freed). */
void lw_finding_free(lw_finding *f)
{
    if (!f)
        return;
    free(f->subkind);
    free(f->reason);
    free(f->locks);
    for (size_t i = 0; f->edges && i < f->n_edges; i++)
        free(f->edges[i].gates);
    free(f->edges);
    free(f->threads);
    for (size_t i = 0; f->waits && i < f->n_waits; i++)
        free(f->waits[i].held);
    free(f->waits);
    free(f->logs);
    if (f->tls)
        free(f->tls->variable);
    free(f->tls);
    free(f->race);
    memset(f, 0, sizeof *f);
}

/* Frees every finding and the array; leaves fs empty and reusable. */
void lw_findings_free(lw_findings *fs)
{
    if (!fs)
        return;
    for (size_t i = 0; i < fs->n; i++)
        lw_finding_free(&fs->items[i]);
    free(fs->items);
    fs->items = NULL;
    fs->n = fs->cap = 0;
}

/* Number of findings not judged harmless (what the CI gate counts). */
size_t lw_findings_count_real(const lw_findings *fs)
{
    size_t n = 0;
    for (size_t i = 0; fs && i < fs->n; i++)
        if (!fs->items[i].harmless)
            n++;
    return n;
}
