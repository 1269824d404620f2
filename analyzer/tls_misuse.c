/*
 * Thread-local misuse findings (tls_misuse.h). Key misuses come from MISUSE records (the
 * recorder checks every pthread_key_* and get/setspecific call); accesses come from race mode's
 * TLS_ACCESS records. Both are grouped per process so that the same mistake made by several
 * threads at one call site is one finding seen several times. Like api-misuse, each finding is
 * something that happened, so none is ever harmless.
 *
 * The variable of a TLS access is named here, from the ELF symbol table of the module whose TLS
 * block holds it (lw_symbolize_tls): renderers and fingerprints then only read the name.
 */
#include "tls_misuse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misuse.h"
#include "symbolize.h"
#include "xalloc.h"

const char *lw_tls_access_subkind(uint32_t kind)
{
    switch (kind) {
    case LW_TLS_CROSS_THREAD:
        return LW_TLS_SUB_CROSS_THREAD;
    case LW_TLS_AFTER_EXIT:
        return LW_TLS_SUB_AFTER_EXIT;
    default:
        return "unknown";
    }
}

/* The caller and the other thread, without duplicates or zeros. */
static void set_threads(lw_finding *f, uint32_t a, uint32_t b)
{
    f->threads = xcalloc(2, sizeof *f->threads);
    if (a)
        f->threads[f->n_threads++] = a;
    if (b && b != a)
        f->threads[f->n_threads++] = b;
}

static unsigned clamp(size_t n)
{
    return n > (unsigned)-1 ? (unsigned)-1 : (unsigned)n;
}

/* Same key finding: what was done, to which key, where. The thread is not part of it. */
static bool same_key_misuse(const lw_misuse_rec *a, const lw_misuse_rec *b)
{
    return a->misuse == b->misuse && a->address == b->address && a->stack_id == b->stack_id;
}

static size_t analyze_keys(const lw_process *p, lw_findings *out)
{
    size_t n = p->n_misuses, added = 0;
    bool *done = xcalloc(n, sizeof *done);
    for (size_t i = 0; i < n; i++) {
        const lw_misuse_rec *m = &p->misuses[i];
        if (done[i] || !lw_misuse_is_tls(m->misuse))
            continue;
        size_t count = 0;
        for (size_t j = i; j < n; j++) /* records are few: deduplicated per thread and site */
            if (!done[j] && same_key_misuse(m, &p->misuses[j])) {
                done[j] = true;
                count++;
            }
        lw_finding *f = lw_findings_add(out);
        f->kind = LW_KIND_TLS_MISUSE;
        f->proc = p;
        f->subkind = xstrdup(lw_misuse_subkind(m->misuse));
        f->stack_id = m->stack_id;
        f->other_thread = m->other_thread;
        set_threads(f, m->thread_id, m->other_thread);
        f->tls = xcalloc(1, sizeof *f->tls);
        f->tls->has_key = true;
        f->tls->key = m->address;
        f->occurrences = clamp(count);
        added++;
    }
    free(done);
    return added;
}

static bool same_access(const lw_tls_access *a, const lw_tls_access *b)
{
    return a->kind == b->kind && a->region == b->region && a->stack_id == b->stack_id &&
           a->tls_image == b->tls_image && a->tls_offset == b->tls_offset;
}

static size_t analyze_accesses(const lw_process *p, lw_findings *out)
{
    size_t n = p->n_tls_accesses, added = 0;
    if (!n)
        return 0;
    lw_symbolizer *sym = NULL; /* opened on the first TLS variable to name */
    bool *done = xcalloc(n, sizeof *done);
    for (size_t i = 0; i < n; i++) {
        const lw_tls_access *a = &p->tls_accesses[i];
        if (done[i])
            continue;
        size_t count = 0;
        bool wrote = false; /* `x += 1` reads then writes at one site: say it writes */
        for (size_t j = i; j < n; j++)
            if (!done[j] && same_access(a, &p->tls_accesses[j])) {
                done[j] = true;
                wrote |= p->tls_accesses[j].is_write;
                count++;
            }
        lw_finding *f = lw_findings_add(out);
        f->kind = LW_KIND_TLS_MISUSE;
        f->proc = p;
        f->subkind = xstrdup(lw_tls_access_subkind(a->kind));
        f->stack_id = a->stack_id;
        f->other_thread = a->owner_thread;
        f->address = a->address;
        set_threads(f, a->thread_id, a->owner_thread);
        lw_finding_tls *t = f->tls = xcalloc(1, sizeof *f->tls);
        t->owner_thread = a->owner_thread;
        t->region = a->region;
        t->tls_offset = a->tls_offset;
        t->size = a->size;
        t->is_write = wrote;
        t->exit_stack = a->owner_exit_stack;
        /* The owner created the accessing thread: its pthread_create is where a pointer passed
         * as the start argument reached the other thread (the likely handoff). */
        const lw_thread *acc = lw_process_thread(p, a->thread_id);
        if (acc && acc->parent_id && acc->parent_id == a->owner_thread)
            t->handoff_stack = acc->create_stack;
        if (a->region == LW_TLS_REGION_TLS && a->tls_image) {
            if (!sym)
                sym = lw_symbolizer_new(p);
            lw_data_symbol ds;
            if (lw_symbolize_tls(sym, a->tls_image, a->tls_offset, &ds)) {
                char buf[512];
                uint64_t off = a->tls_offset - ds.start;
                if (off)
                    snprintf(buf, sizeof buf, "%s+0x%llx", ds.name, (unsigned long long)off);
                else
                    snprintf(buf, sizeof buf, "%s", ds.name);
                t->variable = xstrdup(buf);
            }
        }
        f->occurrences = clamp(count);
        added++;
    }
    free(done);
    if (sym)
        lw_symbolizer_free(sym);
    return added;
}

size_t lw_analyze_tls_misuse(const lw_process *p, lw_findings *out)
{
    if (!p || !out)
        return 0;
    return analyze_keys(p, out) + analyze_accesses(p, out);
}
