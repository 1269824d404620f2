/*
 * Live-deadlock analysis (deadlock.h): one finding per distinct DEADLOCK record. The recorder
 * already decided that the threads are blocked for good; this file only copies what it saw into
 * the finding (waits, locks, threads), names the detector, and folds repeated records of the
 * same deadlock (on_deadlock=continue, or a log read twice) into one finding. Everything in a
 * record may be damaged or odd (unknown kinds, ids the log never defined, zero ids): it is kept
 * as it is and the renderers say "unknown".
 */
#include "deadlock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_reader.h"
#include "xalloc.h"

const char *lw_deadlock_subkind(uint32_t detector)
{
    switch (detector) {
    case LW_DETECT_WAIT_CYCLE:
        return "wait-cycle";
    case LW_DETECT_SELF_RELOCK:
        return "self-relock";
    case LW_DETECT_ALL_BLOCKED:
        return "all-blocked";
    case LW_DETECT_POSTMORTEM:
        return "wait-cycle"; /* the same deadlock, rebuilt after a kill (wait_cycle.c) */
    default:
        return "unknown";
    }
}

const char *lw_wait_kind_name(uint32_t wait_kind)
{
    switch (wait_kind) {
    case LW_WAIT_MUTEX:
        return "mutex";
    case LW_WAIT_JOIN:
        return "join";
    case LW_WAIT_COND:
        return "condvar";
    case LW_WAIT_RWLOCK_RD:
        return "rwlock-read";
    case LW_WAIT_RWLOCK_WR:
        return "rwlock-write";
    case LW_WAIT_SPIN:
        return "spinlock";
    case LW_WAIT_SEM:
        return "semaphore";
    case LW_WAIT_BARRIER:
        return "barrier";
    default:
        return "unknown";
    }
}

bool lw_wait_kind_is_lock(uint32_t wait_kind)
{
    return wait_kind == LW_WAIT_MUTEX || wait_kind == LW_WAIT_RWLOCK_RD ||
           wait_kind == LW_WAIT_RWLOCK_WR || wait_kind == LW_WAIT_SPIN || wait_kind == LW_WAIT_SEM;
}

/* Same deadlock: same detector and the same threads waiting for the same things. Stacks and
 * wait times are left out of the comparison: they describe the moment of the report. */
static bool same_deadlock(const lw_deadlock *a, const lw_deadlock *b)
{
    if (a->detector != b->detector || a->n_waits != b->n_waits)
        return false;
    for (size_t i = 0; i < a->n_waits; i++) {
        const lw_deadlock_wait *x = &a->waits[i], *y = &b->waits[i];
        if (x->thread_id != y->thread_id || x->wait_kind != y->wait_kind ||
            x->lock_id != y->lock_id || x->target_thread != y->target_thread ||
            x->wait_addr != y->wait_addr)
            return false;
    }
    return true;
}

/* Appends id to set[0..*n) unless 0 or already there (sets are small: linear is fine). */
static void add_unique(uint32_t *set, size_t *n, uint32_t id)
{
    if (id == 0)
        return;
    for (size_t i = 0; i < *n; i++)
        if (set[i] == id)
            return;
    set[(*n)++] = id;
}

/* Fills f from deadlock d of process p. */
static void fill_finding(lw_finding *f, const lw_process *p, const lw_deadlock *d)
{
    f->kind = LW_KIND_DEADLOCK;
    f->subkind = xstrdup(lw_deadlock_subkind(d->detector));
    f->proc = p;
    f->occurrences = 1;
    if (d->detector == LW_DETECT_POSTMORTEM) {
        /* Not harmless: the reason only says how it was found. */
        f->reason = strdup(p->clean_end || p->exec_end
                               ? "rebuilt from the threads' last waits: the process "
                                 "ended while they waited for each other"
                               : "rebuilt from the threads' last waits: the process "
                                 "was killed while they waited for each other");
        if (!f->reason)
            abort();
    }
    f->waits = xcalloc(d->n_waits, sizeof *f->waits);
    f->n_waits = d->n_waits;
    size_t max_locks = d->n_waits * (1 + LW_DEADLOCK_MAX_HELD);
    f->locks = xcalloc(max_locks, sizeof *f->locks);
    f->threads = xcalloc(2 * d->n_waits, sizeof *f->threads);
    /* Waited-for locks first (the ones the deadlock is about), then the other held ones. */
    for (size_t i = 0; i < d->n_waits; i++) {
        const lw_deadlock_wait *src = &d->waits[i];
        lw_finding_wait *w = &f->waits[i];
        w->thread_id = src->thread_id;
        w->wait_kind = src->wait_kind;
        w->lock_id = src->lock_id;
        w->target_thread = src->target_thread;
        w->stack_id = src->stack_id;
        w->wait_addr = src->wait_addr;
        w->wait_ns = src->wait_ns;
        w->n_held_total = src->n_held;
        size_t listed = src->n_listed <= LW_DEADLOCK_MAX_HELD ? src->n_listed : 0;
        w->held = xcalloc(listed, sizeof *w->held);
        memcpy(w->held, src->held, listed * sizeof *w->held);
        w->n_held = listed;
        add_unique(f->locks, &f->n_locks, src->lock_id);
        add_unique(f->threads, &f->n_threads, src->thread_id);
    }
    for (size_t i = 0; i < d->n_waits; i++) {
        for (size_t h = 0; h < f->waits[i].n_held; h++)
            add_unique(f->locks, &f->n_locks, f->waits[i].held[h]);
        add_unique(f->threads, &f->n_threads, f->waits[i].target_thread);
    }
}

size_t lw_analyze_deadlocks(const lw_process *p, lw_findings *out)
{
    if (!p || !out)
        return 0;
    size_t added = 0;
    /* finding_of[k]: the finding made for deadlock record k; SIZE_MAX for a duplicate or skip. */
    size_t *finding_of = xcalloc(p->n_deadlocks, sizeof *finding_of);
    for (size_t i = 0; i < p->n_deadlocks; i++) {
        const lw_deadlock *d = &p->deadlocks[i];
        finding_of[i] = SIZE_MAX;
        if (d->n_waits == 0 || !d->waits)
            continue;
        size_t dup = SIZE_MAX;
        for (size_t j = 0; j < i && dup == SIZE_MAX; j++)
            if (finding_of[j] != SIZE_MAX && same_deadlock(&p->deadlocks[j], d))
                dup = finding_of[j];
        if (dup != SIZE_MAX) {
            out->items[dup].occurrences++;
            continue;
        }
        finding_of[i] = out->n;
        fill_finding(lw_findings_add(out), p, d);
        added++;
    }
    free(finding_of);
    return added;
}

bool lw_logs_have_deadlock(char *const *paths, size_t n)
{
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        lw_process p;
        char err[256];
        if (lw_read_log_file(paths[i], &p, err, sizeof err) == 0)
            found = p.n_deadlocks > 0;
        lw_process_free(&p);
    }
    return found;
}
