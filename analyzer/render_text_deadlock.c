/*
 * Text rendering of a live deadlock (render_text_deadlock.h). It reads like the kernel's lockdep
 * report of a real deadlock: a headline, one paragraph per blocked thread ("thread #2 holds 'a',
 * waits for 'b' held by thread #3") with its stack at the blocking call, the locks and threads
 * involved, a "Deadlock:" table that replays the waits column by column, and one grep-able
 * SUMMARY line at the first thread's blocking call. Everything comes from the finding; a value
 * the log did not define (a thread, a lock, a stack) is printed as unknown, never guessed.
 */
#include "render_text_deadlock.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "deadlock.h"
#include "render_text_common.h"
#include "xalloc.h"

#define CELL_MAX (LW_NAME_MAX + 64)

/* The short name of a lock ("'a'", "mutex #5"), into buf. */
static const char *lock_short(const lw_report *r, const lw_finding *f, uint32_t id, char *buf,
                              size_t len)
{
    lw_lock_name *ln = xcalloc(1, sizeof *ln);
    lw_namer_lock(r->namer, f->proc, id, ln);
    snprintf(buf, len, "%s", ln->short_name);
    free(ln);
    return buf;
}

/* Prints "threads #2 and #3" (or "thread #2") for the waiting threads. */
static void waiter_list(FILE *out, const lw_finding *f)
{
    fputs(f->n_waits == 1 ? "thread " : "threads ", out);
    for (size_t i = 0; i < f->n_waits; i++) {
        if (i > 0)
            fputs(i + 1 == f->n_waits ? " and " : ", ", out);
        fprintf(out, "#%" PRIu32, f->waits[i].thread_id);
    }
}

void lw_render_text_deadlock_headline(FILE *out, const lw_report *r, const lw_finding *f)
{
    const lw_finding_wait *w = f->n_waits ? &f->waits[0] : NULL;
    if (w && f->subkind && strcmp(f->subkind, "self-relock") == 0) {
        char name[LW_NAME_MAX];
        fprintf(out, "ERROR: deadlock: thread #%" PRIu32 " relocks %s, which it already holds\n",
                w->thread_id, lock_short(r, f, w->lock_id, name, sizeof name));
        return;
    }
    fputs("ERROR: deadlock: ", out);
    waiter_list(out, f);
    fputs(f->n_waits == 1 ? " is blocked for good\n" : " are blocked for good\n", out);
    if (f->reason) /* a deadlock rebuilt post mortem says how it was found */
        fprintf(out, "(%s)\n", f->reason);
}

/* "holds 'a'", "holds 'a' and 'c'", "holds 'a', 'c' and 3 more", "holds no lock". */
static void print_held(FILE *out, const lw_report *r, const lw_finding *f, const lw_finding_wait *w)
{
    if (w->n_held == 0 && w->n_held_total == 0) {
        fputs("holds no lock", out);
        return;
    }
    fputs("holds ", out);
    size_t more = w->n_held_total > w->n_held ? w->n_held_total - w->n_held : 0;
    for (size_t i = 0; i < w->n_held; i++) {
        char name[LW_NAME_MAX];
        if (i > 0)
            fputs(i + 1 == w->n_held && !more ? " and " : ", ", out);
        fputs(lock_short(r, f, w->held[i], name, sizeof name), out);
    }
    if (more)
        fprintf(out, "%s%zu more", w->n_held ? " and " : "", more);
}

/* What the thread waits for, e.g. "waits for 'b' held by thread #3". */
static void print_wait(FILE *out, const lw_report *r, const lw_finding *f, const lw_finding_wait *w)
{
    char name[LW_NAME_MAX];
    if (lw_wait_kind_is_lock(w->wait_kind)) {
        if (w->lock_id)
            fprintf(out, "waits for %s", lock_short(r, f, w->lock_id, name, sizeof name));
        else
            fprintf(out, "waits for the %s at 0x%" PRIx64, lw_wait_kind_name(w->wait_kind),
                    w->wait_addr);
        if (w->target_thread == w->thread_id)
            fputs(", which it already holds itself", out);
        else if (w->target_thread)
            fprintf(out, " held by thread #%" PRIu32, w->target_thread);
        else
            fputs(" (holder unknown)", out);
        return;
    }
    switch (w->wait_kind) {
    case LW_WAIT_JOIN:
        if (w->target_thread)
            fprintf(out, "waits for thread #%" PRIu32 " to end", w->target_thread);
        else
            fprintf(out, "waits for thread 0x%" PRIx64 " to end", w->wait_addr);
        break;
    case LW_WAIT_COND:
        fprintf(out, "waits on condition variable 0x%" PRIx64, w->wait_addr);
        break;
    case LW_WAIT_BARRIER:
        fprintf(out, "waits at barrier 0x%" PRIx64, w->wait_addr);
        break;
    default:
        fprintf(out, "waits (unknown wait kind %" PRIu32 ")", w->wait_kind);
        break;
    }
}

static void print_explanation(FILE *out, const lw_finding *f)
{
    const char *s = f->subkind ? f->subkind : "";
    if (strcmp(s, "wait-cycle") == 0)
        fputs("The threads wait for each other in a cycle; none of them can go on:\n", out);
    else if (strcmp(s, "self-relock") == 0)
        fputs("A normal mutex is not recursive: the thread waits for itself:\n", out);
    else if (strcmp(s, "all-blocked") == 0)
        fputs("Every thread is in an untimed wait, and no running thread is left to signal the\n"
              "condition variable one of them waits on:\n",
              out);
    else
        fputs("These threads were blocked for good when lockwatch looked:\n", out);
}

static void print_waits(FILE *out, const lw_report *r, const lw_finding *f)
{
    for (size_t i = 0; i < f->n_waits; i++) {
        const lw_finding_wait *w = &f->waits[i];
        lw_thread_name *tn = xcalloc(1, sizeof *tn);
        lw_namer_thread(r->namer, f->proc, w->thread_id, tn);
        fprintf(out, "\n%s ", tn->name);
        free(tn);
        if (!f->reason) { /* rebuilt post mortem: the held locks are not known */
            print_held(out, r, f, w);
            fputs(", ", out);
        }
        print_wait(out, r, f, w);
        if (w->wait_ns)
            fprintf(out, "\n  blocked for %" PRIu64 " ms at:\n", w->wait_ns / 1000000u);
        else
            fputs("\n  blocked at:\n", out);
        lw_text_stack(out, r, f->proc, w->stack_id, LW_TEXT_STACK_TRUNCATED);
    }
}

static void print_locks_and_threads(FILE *out, const lw_report *r, const lw_finding *f)
{
    if (f->n_locks)
        fputs("\nLocks:\n", out);
    for (size_t i = 0; i < f->n_locks; i++)
        lw_text_lock_line(out, r, f->proc, f->locks[i]);
    fputs("Threads:\n", out);
    for (size_t i = 0; i < f->n_threads; i++)
        lw_text_thread_line(out, r, f->proc, f->threads[i], "");
}

/* The blocking call of a wait as a scenario step: "lock('b');", "pthread_join(thread #3);". */
static void blocking_step(const lw_report *r, const lw_finding *f, const lw_finding_wait *w,
                          char *buf, size_t len)
{
    char name[LW_NAME_MAX];
    if (lw_wait_kind_is_lock(w->wait_kind) && w->lock_id)
        snprintf(buf, len, "lock(%s);", lock_short(r, f, w->lock_id, name, sizeof name));
    else if (lw_wait_kind_is_lock(w->wait_kind))
        snprintf(buf, len, "lock(0x%" PRIx64 ");", w->wait_addr);
    else if (w->wait_kind == LW_WAIT_JOIN && w->target_thread)
        snprintf(buf, len, "pthread_join(thread #%" PRIu32 ");", w->target_thread);
    else if (w->wait_kind == LW_WAIT_JOIN)
        snprintf(buf, len, "pthread_join(0x%" PRIx64 ");", w->wait_addr);
    else if (w->wait_kind == LW_WAIT_COND)
        snprintf(buf, len, "pthread_cond_wait(0x%" PRIx64 ");", w->wait_addr);
    else if (w->wait_kind == LW_WAIT_BARRIER)
        snprintf(buf, len, "pthread_barrier_wait(0x%" PRIx64 ");", w->wait_addr);
    else
        snprintf(buf, len, "wait();");
}

typedef struct step {
    size_t col;
    char text[CELL_MAX];
} step;

/*
 * The "Deadlock:" table, lockdep's layout: one column per blocked thread; first every thread
 * takes the locks it holds, then each makes the call it is blocked in. More than three threads
 * do not fit side by side and get one line each.
 */
static void print_scenario(FILE *out, const lw_report *r, const lw_finding *f)
{
    size_t k = f->n_waits;
    if (k == 0)
        return;
    fputs("\nDeadlock:\n\n", out);
    if (k > 3) {
        for (size_t i = 0; i < k; i++) {
            char cell[CELL_MAX];
            blocking_step(r, f, &f->waits[i], cell, sizeof cell);
            fprintf(out, "  thread #%" PRIu32 ": ", f->waits[i].thread_id);
            print_held(out, r, f, &f->waits[i]);
            fprintf(out, "; blocks in %s\n", cell);
        }
        fputs("\n *** DEADLOCK ***\n", out);
        return;
    }
    step *steps = xcalloc(k * (LW_DEADLOCK_MAX_HELD + 1), sizeof *steps);
    size_t n = 0;
    char name[LW_NAME_MAX];
    for (size_t i = 0; i < k; i++)
        for (size_t h = 0; h < f->waits[i].n_held && h < LW_DEADLOCK_MAX_HELD; h++) {
            steps[n].col = i;
            snprintf(steps[n].text, sizeof steps[n].text, "lock(%s);",
                     lock_short(r, f, f->waits[i].held[h], name, sizeof name));
            n++;
        }
    for (size_t i = 0; i < k; i++) {
        steps[n].col = i;
        blocking_step(r, f, &f->waits[i], steps[n].text, sizeof steps[n].text);
        n++;
    }
    size_t width = 25;
    char head[3][64];
    for (size_t i = 0; i < k; i++) {
        snprintf(head[i], sizeof head[i], "Thread #%" PRIu32, f->waits[i].thread_id);
        if (strlen(head[i]) + 5 > width)
            width = strlen(head[i]) + 5;
    }
    for (size_t s = 0; s < n; s++)
        if (strlen(steps[s].text) + 5 > width)
            width = strlen(steps[s].text) + 5;
    const char *heads[3] = {head[0], head[1], head[2]};
    lw_text_scenario_heads(out, heads, k, width);
    for (size_t s = 0; s < n; s++) {
        lw_text_pad(out, steps[s].col == 0 ? 2 : 7 + steps[s].col * width);
        fprintf(out, "%s\n", steps[s].text);
    }
    fputs("\n *** DEADLOCK ***\n", out);
    free(steps);
}

/* "SUMMARY: lockwatch: deadlock demo/x.c:30 in thread_0", at the first blocked call. */
static void print_summary_line(FILE *out, const lw_report *r, const lw_finding *f)
{
    fprintf(out, "\nSUMMARY: lockwatch: %s", lw_kind_name(f->kind));
    lw_frame site;
    uint32_t stack = 0;
    for (size_t i = 0; i < f->n_waits && !stack; i++)
        stack = f->waits[i].stack_id;
    if (stack && lw_namer_site(r->namer, f->proc, stack, &site)) {
        char path[LW_NAME_MAX];
        char fn[LW_NAME_MAX];
        if (site.file && site.line > 0)
            fprintf(out, " %s:%d", lw_namer_path(r->namer, site.file, path, sizeof path),
                    site.line);
        else if (site.file)
            fprintf(out, " %s", lw_namer_path(r->namer, site.file, path, sizeof path));
        else
            fprintf(out, " 0x%" PRIx64, site.pc);
        if (site.function) {
            snprintf(fn, sizeof fn, "%s", site.function);
            lw_text_sanitize(fn);
            fprintf(out, " in %s", fn);
        }
    } else if (f->proc) {
        fprintf(out, " in process %" PRIu64, f->proc->pid);
    }
    fputc('\n', out);
}

void lw_render_text_deadlock_body(FILE *out, const lw_report *r, const lw_finding *f)
{
    print_explanation(out, f);
    print_waits(out, r, f);
    print_locks_and_threads(out, r, f);
    print_scenario(out, r, f);
    print_summary_line(out, r, f);
}
