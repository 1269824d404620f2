/*
 * Text rendering of an API misuse (render_text_misuse.h): a headline that says what was done
 * wrong to which lock by which thread, the stack of the offending call, why it is wrong in one
 * sentence, the locks and threads involved, and one grep-able SUMMARY line at the call. The
 * misuse happened, so the headline says ERROR, as for a live deadlock.
 */
#include "render_text_misuse.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "misuse.h"

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort(); /* analyzer policy: out of memory is fatal */
    return p;
}

/* The first lock's short name ("'m'"), or the object's address when it has no lock id (a
 * condition variable), into buf. */
static const char *object_name(const lw_report *r, const lw_finding *f, size_t i, char *buf,
                               size_t len)
{
    if (i < f->n_locks) {
        lw_lock_name *ln = xcalloc(1, sizeof *ln);
        lw_namer_lock(r->namer, f->proc, f->locks[i], ln);
        snprintf(buf, len, "%s", ln->short_name);
        free(ln);
    } else if (i == 0 && f->address) {
        snprintf(buf, len, "condition variable at 0x%" PRIx64, f->address);
    } else {
        snprintf(buf, len, "an unknown object");
    }
    return buf;
}

static uint32_t caller(const lw_finding *f)
{
    return f->n_threads ? f->threads[0] : 0;
}

void lw_render_text_misuse_headline(FILE *out, const lw_report *r, const lw_finding *f)
{
    char a[LW_NAME_MAX], b[LW_NAME_MAX];
    object_name(r, f, 0, a, sizeof a);
    uint32_t t = caller(f), o = f->other_thread;
    fputs("ERROR: api-misuse: ", out);
    switch (lw_misuse_parse(f->subkind)) {
    case LW_MISUSE_UNLOCK_UNLOCKED:
        fprintf(out, "thread #%" PRIu32 " unlocks %s, which no thread holds\n", t, a);
        break;
    case LW_MISUSE_UNLOCK_OTHER:
        fprintf(out, "unlock of %s held by thread #%" PRIu32 " (by thread #%" PRIu32 ")\n", a, o,
                t);
        break;
    case LW_MISUSE_RELOCK:
        fprintf(out, "thread #%" PRIu32 " relocks %s, which it already holds\n", t, a);
        break;
    case LW_MISUSE_DESTROY_LOCKED:
        fprintf(out, "thread #%" PRIu32 " destroys %s while it is locked", t, a);
        if (o == t)
            fputs(" (by itself)", out);
        else if (o)
            fprintf(out, " (by thread #%" PRIu32 ")", o);
        fputc('\n', out);
        break;
    case LW_MISUSE_DESTROY_WAITERS:
        fprintf(out, "thread #%" PRIu32 " destroys %s while threads wait on it\n", t, a);
        break;
    case LW_MISUSE_USE_AFTER_DESTROY:
        fprintf(out, "thread #%" PRIu32 " uses %s after it was destroyed\n", t, a);
        break;
    case LW_MISUSE_EXIT_HOLDING:
        fprintf(out, "thread #%" PRIu32 " ended holding %s\n", t, a);
        break;
    case LW_MISUSE_COND_UNHELD:
        fprintf(out, "thread #%" PRIu32 " waits on a condition with %s, which it does not hold\n",
                t, a);
        break;
    case LW_MISUSE_COND_TWO_MUTEXES:
        fprintf(out,
                "thread #%" PRIu32 " waits on a condition variable with %s while another "
                "thread waits on it with %s\n",
                t, a, object_name(r, f, 1, b, sizeof b));
        break;
    case LW_MISUSE_SEM_OVERFLOW:
        fprintf(out, "thread #%" PRIu32 " posts %s beyond SEM_VALUE_MAX\n", t, a);
        break;
    case LW_MISUSE_FORK_HELD:
        fprintf(out,
                "the child process locks %s, held by thread #%" PRIu32 " of its parent at "
                "fork()\n",
                a, o);
        break;
    default:
        fprintf(out, "%s by thread #%" PRIu32 "\n", f->subkind ? f->subkind : "unknown", t);
        break;
    }
}

/* Why the call is wrong, in one sentence (docs/design.md has the longer story). */
static const char *why(uint32_t misuse)
{
    switch (misuse) {
    case LW_MISUSE_UNLOCK_UNLOCKED:
        return "Unlocking a lock nobody holds is undefined behaviour (POSIX); it corrupts the "
               "lock's state or hides an unbalanced lock/unlock pair.";
    case LW_MISUSE_UNLOCK_OTHER:
        return "Only the owner may unlock a mutex; another thread's unlock breaks the mutual "
               "exclusion the owner relies on.";
    case LW_MISUSE_RELOCK:
        return "A non-recursive mutex relocked by its owner deadlocks (or fails with "
               "EDEADLK for an error-checking mutex).";
    case LW_MISUSE_DESTROY_LOCKED:
        return "Destroying a locked lock is undefined behaviour; the holder will unlock freed "
               "or re-initialised memory.";
    case LW_MISUSE_DESTROY_WAITERS:
        return "Destroying an object other threads are blocked on is undefined behaviour; "
               "they may never wake up.";
    case LW_MISUSE_USE_AFTER_DESTROY:
        return "A destroyed lock must be initialised again before any use.";
    case LW_MISUSE_EXIT_HOLDING:
        return "A lock held by a thread that ended can never be released: the next thread to "
               "take it blocks for ever.";
    case LW_MISUSE_COND_UNHELD:
        return "pthread_cond_wait must be called with the mutex locked by the caller; otherwise "
               "a wake-up can be lost.";
    case LW_MISUSE_COND_TWO_MUTEXES:
        return "All concurrent waits on one condition variable must use the same mutex "
               "(undefined behaviour otherwise).";
    case LW_MISUSE_SEM_OVERFLOW:
        return "sem_post failed with EOVERFLOW: the post was lost.";
    case LW_MISUSE_FORK_HELD:
        return "After fork() only the calling thread exists in the child; locks other threads "
               "held stay locked for ever there.";
    default:
        return NULL;
    }
}

/* Prints one symbolized stack, indented, as the other findings print theirs. */
static void print_stack(FILE *out, const lw_report *r, const lw_process *p, uint32_t stack_id)
{
    lw_frame *frames = xcalloc(LW_NAMER_MAX_FRAMES, sizeof *frames);
    size_t n = stack_id ? lw_namer_stack(r->namer, p, stack_id, frames, LW_NAMER_MAX_FRAMES) : 0;
    if (n == 0)
        fputs("    (stack not recorded)\n", out);
    for (size_t i = 0; i < n; i++) {
        char line[3 * LW_NAME_MAX];
        lw_namer_format_frame(r->namer, &frames[i], i, line, sizeof line);
        fprintf(out, "    %s\n", line);
    }
    const lw_stack *st = stack_id ? lw_process_stack(p, stack_id) : NULL;
    if (st && (st->flags & LW_STACK_TRUNCATED))
        fputs("    ... (deeper frames not recorded; see --stack-depth)\n", out);
    free(frames);
}

static void print_summary(FILE *out, const lw_report *r, const lw_finding *f)
{
    fprintf(out, "\nSUMMARY: lockwatch: %s %s", lw_kind_name(f->kind),
            f->subkind ? f->subkind : "unknown");
    lw_frame site;
    if (f->proc && lw_namer_site(r->namer, f->proc, f->stack_id, &site)) {
        char path[LW_NAME_MAX], where[3 * LW_NAME_MAX];
        if (site.file && site.line > 0) {
            fprintf(out, " %s:%d", lw_namer_path(r->namer, site.file, path, sizeof path),
                    site.line);
            if (site.function) {
                snprintf(where, sizeof where, "%s", site.function);
                lw_text_sanitize(where);
                fprintf(out, " in %s", where);
            }
        } else {
            lw_namer_format_site(r->namer, &site, where, sizeof where);
            fprintf(out, " %s", where);
        }
    } else if (f->proc) {
        fprintf(out, " in process %" PRIu64, f->proc->pid);
    }
    fputc('\n', out);
}

void lw_render_text_misuse_body(FILE *out, const lw_report *r, const lw_finding *f)
{
    uint32_t misuse = lw_misuse_parse(f->subkind);
    fprintf(out, "thread #%" PRIu32 " %s at:\n", caller(f),
            misuse == LW_MISUSE_EXIT_HOLDING ? "ended" : "made the call");
    print_stack(out, r, f->proc, f->stack_id);
    const char *w = why(misuse);
    if (w)
        fprintf(out, "\n%s\n", w);
    if (f->n_locks) {
        fputs("\nLocks:\n", out);
        for (size_t i = 0; i < f->n_locks; i++) {
            lw_lock_name *ln = xcalloc(1, sizeof *ln);
            lw_namer_lock(r->namer, f->proc, f->locks[i], ln);
            fprintf(out, "  %s", ln->name);
            if (ln->lock && ln->symbol)
                fprintf(out, ", %s at 0x%" PRIx64, lw_lock_kind_name(ln->lock->kind),
                        ln->lock->address);
            if (ln->origin[0])
                fprintf(out, ", %s", ln->origin);
            fputc('\n', out);
            free(ln);
        }
    }
    if (f->n_threads) {
        fputs("Threads:\n", out);
        for (size_t i = 0; i < f->n_threads; i++) {
            lw_thread_name *tn = xcalloc(1, sizeof *tn);
            lw_namer_thread(r->namer, f->proc, f->threads[i], tn);
            const char *role = f->threads[i] == f->other_thread
                                   ? (misuse == LW_MISUSE_FORK_HELD ? " (in the parent)" : "")
                                   : "";
            fprintf(out, "  %s%s%s%s\n", tn->name, role, tn->created[0] ? ", " : "", tn->created);
            free(tn);
        }
    }
    print_summary(out, r, f);
}
