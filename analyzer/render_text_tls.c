/*
 * Text rendering of a tls-misuse finding (render_text_tls.h): a headline that names the pthread
 * key or the thread-local variable and the threads, the stack of the offending call or access,
 * the owner's exit and the likely handoff when known, why it is wrong in one sentence, and one
 * grep-able SUMMARY line. The misuse happened, so the headline says ERROR.
 */
#include "render_text_tls.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tls_misuse.h"
#include "render_text_common.h"
#include "xalloc.h"

static bool is(const lw_finding *f, const char *sub)
{
    return f->subkind && strcmp(f->subkind, sub) == 0;
}

static uint32_t caller(const lw_finding *f)
{
    return f->n_threads ? f->threads[0] : 0;
}

/* "the thread-local 'counter'", "a thread-local variable", or "the stack" of the owner. */
static const char *what(const lw_finding *f, char *buf, size_t len)
{
    const lw_finding_tls *t = f->tls;
    if (t && t->region == LW_TLS_REGION_STACK)
        snprintf(buf, len, "the stack");
    else if (t && t->variable)
        snprintf(buf, len, "the thread-local '%s'", t->variable);
    else
        snprintf(buf, len, "a thread-local variable (0x%" PRIx64 ")", f->address);
    lw_text_sanitize(buf);
    return buf;
}

void lw_render_text_tls_headline(FILE *out, const lw_report *r, const lw_finding *f)
{
    (void)r;
    uint64_t key = f->tls ? f->tls->key : 0;
    uint32_t t = caller(f), o = f->other_thread;
    char w[LW_NAME_MAX];
    fputs("ERROR: tls-misuse: ", out);
    if (is(f, LW_TLS_SUB_KEY_NEVER_CREATED))
        fprintf(out, "pthread key %" PRIu64 " used by thread #%" PRIu32 " but never created\n", key,
                t);
    else if (is(f, LW_TLS_SUB_KEY_DELETED))
        fprintf(out,
                "pthread key %" PRIu64 " used after pthread_key_delete (by thread #%" PRIu32 ")\n",
                key, t);
    else if (is(f, LW_TLS_SUB_KEY_DELETE_LIVE))
        fprintf(out,
                "pthread key %" PRIu64 " deleted by thread #%" PRIu32 " while thread #%" PRIu32
                " still holds a value\n",
                key, t, o);
    else if (is(f, LW_TLS_SUB_KEY_LEAK))
        fprintf(out,
                "thread #%" PRIu32 " ended with a value still set for pthread key %" PRIu64
                " after the last destructor round\n",
                t, key);
    else if (is(f, LW_TLS_SUB_CROSS_THREAD))
        fprintf(out, "thread #%" PRIu32 " %s %s of thread #%" PRIu32 "\n", t,
                f->tls && f->tls->is_write ? "writes" : "reads", what(f, w, sizeof w), o);
    else if (is(f, LW_TLS_SUB_AFTER_EXIT))
        fprintf(out, "thread #%" PRIu32 " %s %s of thread #%" PRIu32 " after that thread ended\n",
                t, f->tls && f->tls->is_write ? "writes" : "reads", what(f, w, sizeof w), o);
    else
        fprintf(out, "%s by thread #%" PRIu32 "\n", f->subkind ? f->subkind : "unknown", t);
}

/* Why it is wrong, in one sentence (docs/design.md, "Thread-local misuse", has the story). */
static const char *why(const lw_finding *f)
{
    if (is(f, LW_TLS_SUB_KEY_NEVER_CREATED))
        return "A key not returned by pthread_key_create is invalid: the value goes nowhere or "
               "belongs to a key created later by other code.";
    if (is(f, LW_TLS_SUB_KEY_DELETED))
        return "After pthread_key_delete the key is invalid; its number may already belong to a "
               "new key of other code.";
    if (is(f, LW_TLS_SUB_KEY_DELETE_LIVE))
        return "pthread_key_delete never runs destructors: the values other threads still hold "
               "for the key are never destroyed (or used later through a stale key).";
    if (is(f, LW_TLS_SUB_KEY_LEAK))
        return "A value was still set after glibc's last destructor round "
               "(PTHREAD_DESTRUCTOR_ITERATIONS): a destructor keeps setting it, so it is never "
               "destroyed.";
    if (is(f, LW_TLS_SUB_CROSS_THREAD))
        return "Each thread has its own copy of a thread-local variable; sharing one thread's "
               "copy through a pointer makes it shared data with no protection, and it dies "
               "with its thread.";
    if (is(f, LW_TLS_SUB_AFTER_EXIT))
        return "A thread's thread-local variables and stack are freed (and reused by the next "
               "thread) when it ends: the pointer dangles.";
    return NULL;
}

void lw_render_text_tls_body(FILE *out, const lw_report *r, const lw_finding *f)
{
    const lw_finding_tls *t = f->tls;
    bool access = t && !t->has_key;
    if (access)
        fprintf(out, "thread #%" PRIu32 " %s %" PRIu32 " bytes at 0x%" PRIx64 " at:\n", caller(f),
                t->is_write ? "wrote" : "read", t->size, f->address);
    else
        fprintf(out, "thread #%" PRIu32 " %s at:\n", caller(f),
                is(f, LW_TLS_SUB_KEY_LEAK) ? "ended" : "made the call");
    lw_text_stack(out, r, f->proc, f->stack_id, 0);
    if (access && is(f, LW_TLS_SUB_AFTER_EXIT)) {
        fprintf(out, "\nthread #%" PRIu32 " had ended at:\n", t->owner_thread);
        lw_text_stack(out, r, f->proc, t->exit_stack, 0);
    }
    if (access && t->handoff_stack) {
        fprintf(out,
                "\nthread #%" PRIu32 " was created by thread #%" PRIu32
                " (where a pointer passed as its argument reached it) at:\n",
                caller(f), t->owner_thread);
        lw_text_stack(out, r, f->proc, t->handoff_stack, 0);
    }
    const char *w = why(f);
    if (w)
        fprintf(out, "\n%s\n", w);
    if (f->n_threads) {
        fputs("\nThreads:\n", out);
        for (size_t i = 0; i < f->n_threads; i++) {
            const char *role = i == 0 ? "" : access ? " (owner)" : " (holds a value)";
            lw_text_thread_line(out, r, f->proc, f->threads[i], role);
        }
    }
    lw_text_summary_at_site(out, r, f);
}
