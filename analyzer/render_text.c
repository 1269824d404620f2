/*
 * The text report, modelled on the Linux kernel's lockdep splat: a headline, the cycle in
 * words, one section per edge with the two stacks that made it (where the held lock was taken,
 * where the next one was taken), the locks and threads involved, a "possible unsafe locking
 * scenario" table, and one grep-able SUMMARY line per finding. A footer counts findings and
 * repeats every warning about the logs themselves (damage, drops), since a report built from
 * an incomplete log must say so where people look last.
 */
#include "render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render_text_deadlock.h"
#include "render_text_misuse.h"
#include "render_text_race.h"
#include "render_text_tls.h"
#include "term.h"
#include "render_text_common.h"
#include "xalloc.h"

static const char rule_heavy[] =
    "==================================================================";
static const char rule_light[] =
    "------------------------------------------------------------------";

/*
 * A printable copy of s (or "?" for NULL) in a rotating set of buffers, so several can appear in
 * one fprintf. Log strings (paths, names) are untrusted bytes and must not reach a terminal raw.
 */
static const char *clean(const char *s)
{
    static char bufs[4][LW_NAME_MAX * 2];
    static unsigned next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s", s ? s : "?");
    lw_text_sanitize(b);
    return b;
}

/* Starts (or, with LW_SGR_RESET, ends) a colour span when the report is coloured. */
static void sgr(FILE *out, const lw_report *r, const char *seq)
{
    if (r->color)
        fputs(seq, out);
}

/* "threads #2 and #3", "threads #2, #3 and #4", "thread #2". */
static void thread_list(FILE *out, const lw_finding *f)
{
    fputs(f->n_threads == 1 ? "thread " : "threads ", out);
    for (size_t i = 0; i < f->n_threads; i++) {
        if (i > 0)
            fputs(i + 1 == f->n_threads ? " and " : ", ", out);
        fprintf(out, "#%" PRIu32, f->threads[i]);
    }
}

static void headline(FILE *out, const lw_finding *f)
{
    if (f->harmless) {
        fprintf(out, "note: cycle judged harmless: %s\n",
                f->reason ? f->reason : "(no reason given)");
        return;
    }
    if (f->kind != LW_KIND_LOCK_ORDER_INVERSION) {
        fprintf(out, "WARNING: %s%s%s\n", lw_kind_name(f->kind), f->subkind ? " " : "",
                f->subkind ? f->subkind : "");
        return;
    }
    if (f->subkind && strcmp(f->subkind, "single-thread") == 0) {
        fputs("WARNING: inconsistent lock order in one thread (latent deadlock)\n", out);
        return;
    }
    fprintf(out, "WARNING: possible deadlock: lock-order inversion between %zu lock%s (",
            f->n_locks, f->n_locks == 1 ? "" : "s");
    thread_list(out, f);
    fputs(")\n", out);
}

static void print_chain(FILE *out, const lw_report *r, const lw_finding *f)
{
    for (size_t i = 0; i < f->n_edges; i++) {
        const lw_finding_edge *e = &f->edges[i];
        lw_lock_name from, to;
        lw_namer_lock(r->namer, f->proc, e->from_lock, &from);
        lw_namer_lock(r->namer, f->proc, e->to_lock, &to);
        fprintf(out, "thread #%" PRIu32 " acquired %s while holding %s%s", e->thread_id,
                to.short_name, from.short_name, i + 1 == f->n_edges ? ".\n" : ";\n");
    }
}

static void print_edges(FILE *out, const lw_report *r, const lw_finding *f)
{
    for (size_t i = 0; i < f->n_edges; i++) {
        const lw_finding_edge *e = &f->edges[i];
        lw_lock_name from, to;
        lw_namer_lock(r->namer, f->proc, e->from_lock, &from);
        lw_namer_lock(r->namer, f->proc, e->to_lock, &to);
        fputc('\n', out);
        sgr(out, r, LW_SGR_BOLD);
        fprintf(out, "%s -> %s by thread #%" PRIu32 ":", from.short_name, to.short_name,
                e->thread_id);
        sgr(out, r, LW_SGR_RESET);
        fputc('\n', out);
        fprintf(out, "  holding %s, acquired at:\n", from.short_name);
        lw_text_stack(out, r, f->proc, e->from_stack,
                      LW_TEXT_STACK_TRUNCATED | LW_TEXT_STACK_SOURCE);
        fprintf(out, "  then acquired %s at:\n", to.short_name);
        lw_text_stack(out, r, f->proc, e->to_stack, LW_TEXT_STACK_TRUNCATED | LW_TEXT_STACK_SOURCE);
        if (e->n_gates > 0) {
            fputs("  also holding: ", out);
            for (size_t g = 0; g < e->n_gates; g++) {
                lw_lock_name gate;
                lw_namer_lock(r->namer, f->proc, e->gates[g], &gate);
                fprintf(out, "%s%s", g ? ", " : "", gate.short_name);
            }
            fputc('\n', out);
        }
        if (e->acq_flags & LW_ACQ_TRY)
            fprintf(out, "  (%s was taken by a try-lock: that acquisition could not block)\n",
                    to.short_name);
        if (e->acq_flags & LW_ACQ_READ)
            fprintf(out, "  (%s was taken for reading)\n", to.short_name);
    }
}

static void print_locks_and_threads(FILE *out, const lw_report *r, const lw_finding *f)
{
    fputs("\nLocks:\n", out);
    for (size_t i = 0; i < f->n_locks; i++)
        lw_text_lock_line(out, r, f->proc, f->locks[i]);
    fputs("Threads:\n", out);
    for (size_t i = 0; i < f->n_threads; i++)
        lw_text_thread_line(out, r, f->proc, f->threads[i], "");
}

/* One scenario step: column col of ncols locks lock_name. Column 0 starts at 2, others at
 * 7 + col * width, as in lockdep's table. */
static void scenario_step(FILE *out, size_t col, size_t width, const char *lock_name)
{
    lw_text_pad(out, col == 0 ? 2 : 7 + col * width);
    fprintf(out, "lock(%s);\n", lock_name);
}

static void print_scenario(FILE *out, const lw_report *r, const lw_finding *f)
{
    size_t k = f->n_edges;
    if (k == 0)
        return;
    lw_lock_name *held = xcalloc(k, sizeof *held);
    lw_lock_name *want = xcalloc(k, sizeof *want);
    bool distinct = true;
    for (size_t i = 0; i < k; i++) {
        lw_namer_lock(r->namer, f->proc, f->edges[i].from_lock, &held[i]);
        lw_namer_lock(r->namer, f->proc, f->edges[i].to_lock, &want[i]);
        for (size_t j = 0; j < i; j++)
            if (f->edges[j].thread_id == f->edges[i].thread_id)
                distinct = false;
    }
    fputs("\nPossible unsafe locking scenario:\n\n", out);
    if (!distinct)
        fputs("  (one thread took these locks in different orders on different paths; threads\n"
              "   running those paths at the same time would deadlock like this)\n\n",
              out);
    if (k <= 3) {
        char(*head)[96] = xcalloc(k, sizeof *head);
        size_t width = 25;
        for (size_t i = 0; i < k; i++) {
            if (distinct)
                snprintf(head[i], sizeof head[i], "Thread #%" PRIu32, f->edges[i].thread_id);
            else
                snprintf(head[i], sizeof head[i], "Thread #%" PRIu32 " (path %zu)",
                         f->edges[i].thread_id, i + 1);
            size_t need = strlen(head[i]) + 5;
            if (need > width)
                width = need;
            need = strlen(held[i].short_name) + 12;
            if (need > width)
                width = need;
            need = strlen(want[i].short_name) + 12;
            if (need > width)
                width = need;
        }
        const char *heads[3];
        for (size_t i = 0; i < k; i++)
            heads[i] = head[i];
        lw_text_scenario_heads(out, heads, k, width);
        /* Every thread first takes the lock it holds, then each waits for the next one, last
         * column first: the same interleaving lockdep prints. */
        for (size_t i = 0; i < k; i++)
            scenario_step(out, i, width, held[i].short_name);
        for (size_t i = k; i-- > 0;)
            scenario_step(out, i, width, want[i].short_name);
        free(head);
    } else {
        for (size_t i = 0; i < k; i++)
            fprintf(out, "  thread #%" PRIu32 ": holds %s, waits for %s\n", f->edges[i].thread_id,
                    held[i].short_name, want[i].short_name);
    }
    fputs("\n *** DEADLOCK ***\n", out);
    free(held);
    free(want);
}

/* "SUMMARY: lockwatch: lock-order-inversion demo/x.c:20 in thread_0": the closing acquisition
 * of the first edge is where the cycle was seen to close. */
static void print_summary_line(FILE *out, const lw_report *r, const lw_finding *f)
{
    fputc('\n', out);
    sgr(out, r, LW_SGR_BOLD);
    fprintf(out, "SUMMARY: lockwatch: %s", lw_kind_name(f->kind));
    lw_frame site;
    if (f->n_edges > 0 && lw_namer_site(r->namer, f->proc, f->edges[0].to_stack, &site)) {
        char path[LW_NAME_MAX];
        if (site.file && site.line > 0)
            fprintf(out, " %s:%d", lw_namer_path(r->namer, site.file, path, sizeof path),
                    site.line);
        else if (site.file)
            fprintf(out, " %s", lw_namer_path(r->namer, site.file, path, sizeof path));
        else if (site.module)
            fprintf(out, " %s+0x%" PRIx64, clean(lw_path_basename(site.module)),
                    site.module_offset);
        else
            fprintf(out, " 0x%" PRIx64, site.pc);
        if (site.function)
            fprintf(out, " in %s", clean(site.function));
    } else if (f->proc) {
        fprintf(out, " in process %" PRIu64, f->proc->pid);
    }
    sgr(out, r, LW_SGR_RESET);
    fputc('\n', out);
}

void lw_render_text_headline(FILE *out, const lw_report *r, const lw_finding *f)
{
    if (f->kind == LW_KIND_DEADLOCK)
        lw_render_text_deadlock_headline(out, r, f);
    else if (f->kind == LW_KIND_API_MISUSE)
        lw_render_text_misuse_headline(out, r, f);
    else if (f->kind == LW_KIND_TLS_MISUSE && f->tls)
        lw_render_text_tls_headline(out, r, f);
    else if (f->race)
        lw_render_text_race_headline(out, r, f);
    else
        headline(out, f);
}

static void print_finding(FILE *out, const lw_report *r, const lw_finding *f)
{
    fprintf(out, "\n%s\n", rule_heavy);
    sgr(out, r, f->harmless ? LW_SGR_DIM : LW_SGR_RED);
    lw_render_text_headline(out, r, f);
    sgr(out, r, LW_SGR_RESET);
    fprintf(out, "%s\n", rule_light);
    if (f->proc)
        fprintf(out, "process %" PRIu64 " (%s), log %s\n", f->proc->pid, clean(f->proc->exe),
                clean(f->proc->log_path));
    if (f->occurrences > 1)
        fprintf(out, "seen %u times\n", f->occurrences);
    if (f->n_logs > 1) {
        /* Merged across processes or runs (merge.h): say where, so each can be looked at. */
        fprintf(out, "seen in %zu logs:", f->n_logs);
        for (size_t i = 0; i < f->n_logs; i++)
            fprintf(out, " %s", clean(f->logs[i]));
        fputc('\n', out);
    }
    fputc('\n', out);
    if (f->kind == LW_KIND_DEADLOCK) { /* threads blocked for good: render_text_deadlock.c */
        lw_render_text_deadlock_body(out, r, f);
        return;
    }
    if (f->kind == LW_KIND_API_MISUSE) { /* one call that broke the API: render_text_misuse.c */
        lw_render_text_misuse_body(out, r, f);
        return;
    }
    if (f->kind == LW_KIND_TLS_MISUSE && f->tls) { /* a key or TLS misuse: render_text_tls.c */
        lw_render_text_tls_body(out, r, f);
        return;
    }
    if (f->race) { /* a data race or unprotected increment: render_text_race.c */
        lw_render_text_race_body(out, r, f);
        return;
    }
    print_chain(out, r, f);
    print_edges(out, r, f);
    print_locks_and_threads(out, r, f);
    if (!f->harmless) {
        print_scenario(out, r, f);
        print_summary_line(out, r, f);
    }
}

void lw_render_text_finding(FILE *out, const lw_report *r, const lw_finding *f)
{
    print_finding(out, r, f);
}

/* Distinct (process, id) pairs among the shown findings' threads or locks. */
static size_t count_distinct(const lw_report *r, bool threads)
{
    size_t n = 0, cap = 0;
    struct {
        const lw_process *p;
        uint32_t id;
    } *seen = NULL;
    for (size_t i = 0; i < r->findings->n; i++) {
        const lw_finding *f = &r->findings->items[i];
        if (f->harmless)
            continue;
        size_t k = threads ? f->n_threads : f->n_locks;
        for (size_t j = 0; j < k; j++) {
            uint32_t id = threads ? f->threads[j] : f->locks[j];
            bool dup = false;
            for (size_t m = 0; m < n && !dup; m++)
                dup = seen[m].p == f->proc && seen[m].id == id;
            if (dup)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                void *grown = xreallocarray(seen, cap, sizeof *seen);
                seen = grown;
            }
            seen[n].p = f->proc;
            seen[n++].id = id;
        }
    }
    free(seen);
    return n;
}

/* The closing summary: what was found, how much of the program it involves, what was read. */
static void print_summary_block(FILE *out, const lw_report *r)
{
    size_t real = lw_findings_count_real(r->findings);
    size_t procs = 0;
    for (size_t i = 0; i < r->model->n_procs; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = r->model->procs[j].pid == r->model->procs[i].pid;
        procs += !dup;
    }
    fputc('\n', out);
    sgr(out, r, LW_SGR_BOLD);
    fputs("Summary:", out);
    sgr(out, r, LW_SGR_RESET);
    fputc('\n', out);
    for (int k = 0; k < LW_KIND_COUNT; k++) {
        size_t c = lw_report_count_kind(r, (lw_finding_kind)k);
        if (c)
            fprintf(out, "  %-24s %zu\n", lw_kind_name((lw_finding_kind)k), c);
    }
    if (real == 0)
        fputs("  no findings\n", out);
    fprintf(out, "  %-24s %zu\n", "threads involved", count_distinct(r, true));
    fprintf(out, "  %-24s %zu\n", "locks involved", count_distinct(r, false));
    fprintf(out, "  %-24s %zu (%zu log%s)\n", "processes", procs, r->model->n_procs,
            r->model->n_procs == 1 ? "" : "s");
    if (r->n_suppressed)
        fprintf(out, "  %-24s %zu\n", "suppressed", r->n_suppressed);
    if (r->n_baselined)
        fprintf(out, "  %-24s %zu\n", "in the baseline", r->n_baselined);
}

static void print_banner(FILE *out, const lw_report *r)
{
    const lw_program_info *pi = r->program;
    fprintf(out, "\n%s\nlockwatch report: %s", rule_heavy, clean(pi->path));
    for (size_t i = 1; i < pi->argc; i++)
        fprintf(out, " %s", clean(pi->argv[i]));
    if (pi->exited)
        fprintf(out, "\n  exited with status %d", pi->exit_status);
    else
        fprintf(out, "\n  killed by signal %d (%s)", pi->signal,
                sigabbrev_np(pi->signal) ? sigabbrev_np(pi->signal) : "?");
    fprintf(out, "; %zu log%s in %s\n%s\n", r->model->n_procs, r->model->n_procs == 1 ? "" : "s",
            clean(pi->log_dir), rule_heavy);
}

static void print_footer(FILE *out, const lw_report *r)
{
    size_t real = lw_findings_count_real(r->findings);
    size_t harmless = lw_report_count_harmless(r);
    fprintf(out, "\nlockwatch: %zu finding%s", real, real == 1 ? "" : "s");
    if (real > 0) {
        fputs(" (", out);
        bool first = true;
        for (int k = 0; k < LW_KIND_COUNT; k++) {
            size_t c = lw_report_count_kind(r, (lw_finding_kind)k);
            if (c == 0)
                continue;
            fprintf(out, "%s%zu %s", first ? "" : ", ", c, lw_kind_name((lw_finding_kind)k));
            first = false;
        }
        fputc(')', out);
    }
    if (harmless > 0)
        fprintf(out, ", %zu harmless cycle%s %s", harmless, harmless == 1 ? "" : "s",
                r->show_all ? "shown" : "not shown");
    fputc('\n', out);
    if (harmless > 0 && !r->show_all)
        fprintf(out, "lockwatch: %zu cycle%s judged harmless; --all shows them\n", harmless,
                harmless == 1 ? "" : "s");
    for (size_t i = 0; i < r->model->n_procs; i++) {
        const lw_process *p = &r->model->procs[i];
        char path[LW_NAME_MAX * 2];
        snprintf(path, sizeof path, "%s", clean(p->log_path));
        if (p->damage || p->truncated)
            fprintf(out,
                    "lockwatch: warning: damaged log %s: %s; the report covers what was read "
                    "before the damage\n",
                    path, clean(lw_damage_text(p)));
        else if (!p->clean_end && !p->exec_end)
            fprintf(out,
                    "lockwatch: note: log %s has no end record: process %" PRIu64
                    " did not end through exit(), _exit() or exec (killed or crashed); the report "
                    "covers "
                    "what it recorded\n",
                    path, p->pid);
        for (size_t d = 0; d < sizeof p->dropped / sizeof p->dropped[0]; d++)
            if (p->dropped[d])
                fprintf(out,
                        "lockwatch: warning: log %s: the recorder dropped %" PRIu64
                        " item%s (%s); findings may be missing\n",
                        path, p->dropped[d], p->dropped[d] == 1 ? "" : "s", lw_drop_reason_text(d));
        if (r->analysis_truncated && r->analysis_truncated[i])
            fprintf(out,
                    "lockwatch: warning: log %s: too many lock-order cycles; only the first "
                    "ones were analysed\n",
                    path);
    }
}

int lw_render_text(FILE *out, const lw_report *r)
{
    if (r->program)
        print_banner(out, r);
    for (size_t i = 0; i < r->findings->n; i++) {
        const lw_finding *f = &r->findings->items[i];
        if (f->harmless && !r->show_all)
            continue;
        print_finding(out, r, f);
    }
    print_summary_block(out, r);
    print_footer(out, r);
    if (fflush(out) != 0 || ferror(out))
        return -1;
    return 0;
}
