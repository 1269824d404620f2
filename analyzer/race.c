/*
 * Race findings (race mode). The recorder writes one RACE record per (pair of access pcs,
 * granule) — so one `counter++` racing with itself leaves up to three records: its write against
 * the other thread's write, its read against that write, and the same again once the earlier
 * access's full stack is known. People think in source lines and variables, so records are
 * grouped here by (location, unordered pair of functions of the two accesses): each group is
 * one finding. The group is an unprotected-increment when any of its records is a lost update (see
 * lw_race_is_increment), else a data-race; it is predictive only when every record is.
 *
 * The finding shows the most informative record (see score()).
 */
#include "race.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "naming.h"
#include "xalloc.h"

typedef struct group {
    char *key;
    size_t best; /* index in p->races */
    int best_score;
    bool increment, direct;
    unsigned records;
} group;

bool lw_race_is_increment(const struct lw_race_access *a, const struct lw_race_access *b)
{
    bool rmw = (a->flags & LW_RACE_ACC_RMW) || (b->flags & LW_RACE_ACC_RMW);
    return rmw && (a->flags & LW_RACE_ACC_WRITE) && (b->flags & LW_RACE_ACC_WRITE);
}

/* The function of an access's top frame: the unit of grouping. Clang's instrumentation calls
 * sometimes have no line (line 0), so lines cannot be relied on to pair a read with its write. */
static void site_text(lw_namer *n, const lw_process *p, uint32_t stack_id, char *buf, size_t len)
{
    lw_frame f;
    if (stack_id && lw_namer_site(n, p, stack_id, &f) && f.function) {
        snprintf(buf, len, "%s", f.function);
        return;
    }
    const lw_stack *s = lw_process_stack(p, stack_id);
    snprintf(buf, len, "0x%" PRIx64, s && s->nframes ? s->frames[0] : 0);
}

/* True if the access's top frame has a source line (the SUMMARY line wants one). */
static bool has_line(lw_namer *n, const lw_process *p, uint32_t stack_id)
{
    lw_frame f;
    return stack_id && lw_namer_site(n, p, stack_id, &f) && f.file && f.line > 0;
}

static char *group_key(lw_namer *n, const lw_process *p, const lw_race_rec *r)
{
    char loc[LW_NAME_MAX], a[LW_NAME_MAX], b[LW_NAME_MAX];
    lw_data_symbol sym;
    if (lw_namer_data(n, p, r->address, &sym))
        snprintf(loc, sizeof loc, "%s+%" PRIu64, sym.name, r->address - sym.start);
    else
        snprintf(loc, sizeof loc, "0x%" PRIx64, r->address & ~(uint64_t)7);
    site_text(n, p, r->cur.stack_id, a, sizeof a);
    site_text(n, p, r->prev.stack_id, b, sizeof b);
    return strcmp(a, b) < 0 ? xasprintf("%s|%s|%s", loc, a, b) : xasprintf("%s|%s|%s", loc, b, a);
}

/* How informative a record is: a direct race, then write/write (the lost update itself), then
 * sites with a source line, then the earlier access's full stack. */
static int score(lw_namer *n, const lw_process *p, const lw_race_rec *r)
{
    return (r->predictive ? 0 : 16) + ((r->cur.flags & r->prev.flags & LW_RACE_ACC_WRITE) ? 8 : 0) +
           (has_line(n, p, r->cur.stack_id) ? 2 : 0) + (has_line(n, p, r->prev.stack_id) ? 2 : 0) +
           ((r->prev.flags & LW_RACE_ACC_TOP_ONLY) ? 0 : 1);
}

static void to_access(lw_finding_access *out, const struct lw_race_access *a)
{
    out->thread_id = a->thread_id;
    out->stack_id = a->stack_id;
    out->flags = a->flags;
    out->n_locks = a->n_locks;
    memcpy(out->locks, a->locks, sizeof out->locks);
    out->address = a->address;
    out->size = a->size;
}

static void add_finding(lw_namer *n, const lw_process *p, const group *g, lw_findings *out)
{
    const lw_race_rec *r = &p->races[g->best];
    lw_finding *f = lw_findings_add(out);
    f->kind = g->increment ? LW_KIND_UNPROTECTED_INCREMENT : LW_KIND_DATA_RACE;
    if (!g->direct) {
        f->subkind = xstrdup(LW_RACE_SUB_PREDICTIVE);
    }
    f->proc = p;
    f->occurrences = 1;
    f->race = xcalloc(1, sizeof *f->race);
    f->race->address = r->address;
    f->race->size = r->size;
    f->race->records = g->records;
    to_access(&f->race->access[0], &r->prev);
    to_access(&f->race->access[1], &r->cur);
    f->address = r->address;
    /* The finding's site (SUMMARY): the later access, unless only the earlier has a line. */
    f->stack_id = !has_line(n, p, r->cur.stack_id) && has_line(n, p, r->prev.stack_id)
                      ? r->prev.stack_id
                      : r->cur.stack_id;
    f->other_thread = r->prev.thread_id;
    size_t nt = r->prev.thread_id == r->cur.thread_id ? 1 : 2;
    f->threads = xcalloc(nt, sizeof *f->threads);
    f->threads[0] = r->prev.thread_id;
    if (nt == 2)
        f->threads[1] = r->cur.thread_id;
    f->n_threads = nt;
}

void lw_analyze_races(const lw_process *p, lw_findings *out)
{
    if (!p->n_races)
        return;
    lw_namer *n = lw_namer_new(NULL, NULL);
    group *groups = xcalloc(p->n_races, sizeof *groups);
    size_t n_groups = 0;
    for (size_t i = 0; i < p->n_races; i++) {
        const lw_race_rec *r = &p->races[i];
        char *key = group_key(n, p, r);
        group *g = NULL;
        for (size_t k = 0; k < n_groups && !g; k++)
            if (strcmp(groups[k].key, key) == 0)
                g = &groups[k];
        if (g) {
            free(key);
        } else {
            g = &groups[n_groups++];
            g->key = key;
            g->best = i;
            g->best_score = -1;
        }
        g->records++;
        g->increment |= lw_race_is_increment(&r->cur, &r->prev);
        g->direct |= !r->predictive;
        int s = score(n, p, r);
        if (s > g->best_score) {
            g->best = i;
            g->best_score = s;
        }
    }
    for (size_t k = 0; k < n_groups; k++) {
        add_finding(n, p, &groups[k], out);
        free(groups[k].key);
    }
    free(groups);
    lw_namer_free(n);
}
