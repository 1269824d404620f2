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
#include "render_text_common.h"
#include "xalloc.h"

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
        if (f->freed_block)
            fprintf(out,
                    "thread #%" PRIu32 " frees %s (in the block at 0x%" PRIx64
                    ") while it is locked",
                    t, a, f->freed_block);
        else
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

void lw_render_text_misuse_body(FILE *out, const lw_report *r, const lw_finding *f)
{
    uint32_t misuse = lw_misuse_parse(f->subkind);
    fprintf(out, "thread #%" PRIu32 " %s at:\n", caller(f),
            misuse == LW_MISUSE_EXIT_HOLDING ? "ended" : "made the call");
    lw_text_stack(out, r, f->proc, f->stack_id, LW_TEXT_STACK_TRUNCATED);
    const char *w = why(misuse);
    if (w)
        fprintf(out, "\n%s\n", w);
    if (f->n_locks) {
        fputs("\nLocks:\n", out);
        for (size_t i = 0; i < f->n_locks; i++)
            lw_text_lock_line(out, r, f->proc, f->locks[i]);
    }
    if (f->n_threads) {
        fputs("Threads:\n", out);
        for (size_t i = 0; i < f->n_threads; i++) {
            const char *role = f->threads[i] == f->other_thread
                                   ? (misuse == LW_MISUSE_FORK_HELD ? " (in the parent)" : "")
                                   : "";
            lw_text_thread_line(out, r, f->proc, f->threads[i], role);
        }
    }
    lw_text_summary_at_site(out, r, f);
}
