/*
 * API-misuse findings (misuse.h). The recorder already deduplicates per thread and call site;
 * here records are grouped per process by (misuse, lock, other lock, stack) so that the same
 * misuse made by several threads at one call site is one finding seen several times. The
 * finding names the calling thread first and the other thread (the owner, the holder at fork)
 * second, the lock first and the other mutex (condvar with two mutexes) second.
 */
#include "misuse.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by enum lw_misuse_kind; public names (docs/report-schema.md): never rename. */
static const char *const subkinds[] = {
    [LW_MISUSE_UNLOCK_UNLOCKED] = "unlock-not-locked",
    [LW_MISUSE_UNLOCK_OTHER] = "unlock-by-non-owner",
    [LW_MISUSE_RELOCK] = "relock",
    [LW_MISUSE_DESTROY_LOCKED] = "destroy-locked",
    [LW_MISUSE_DESTROY_WAITERS] = "destroy-with-waiters",
    [LW_MISUSE_USE_AFTER_DESTROY] = "use-after-destroy",
    [LW_MISUSE_EXIT_HOLDING] = "exit-holding-lock",
    [LW_MISUSE_COND_UNHELD] = "cond-wait-unheld-mutex",
    [LW_MISUSE_COND_TWO_MUTEXES] = "cond-two-mutexes",
    [LW_MISUSE_SEM_OVERFLOW] = "sem-post-overflow",
    [LW_MISUSE_FORK_HELD] = "fork-held-lock",
    /* Reported as tls-misuse (tls_misuse.c), not api-misuse. */
    [LW_MISUSE_KEY_NEVER_CREATED] = "key-never-created",
    [LW_MISUSE_KEY_DELETED] = "key-deleted",
    [LW_MISUSE_KEY_DELETE_LIVE] = "key-deleted-with-values",
    [LW_MISUSE_KEY_LEAK] = "key-value-leak",
};
#define N_SUBKINDS (sizeof subkinds / sizeof subkinds[0])

const char *lw_misuse_subkind(uint32_t misuse)
{
    return misuse < N_SUBKINDS && subkinds[misuse] ? subkinds[misuse] : "unknown";
}

uint32_t lw_misuse_parse(const char *name)
{
    for (uint32_t i = 1; name && i < N_SUBKINDS; i++)
        if (subkinds[i] && strcmp(subkinds[i], name) == 0)
            return i;
    return 0;
}

/* Same finding: what the misuse was, on what, where. The thread is not part of the key. */
static int key_cmp(const lw_misuse_rec *a, const lw_misuse_rec *b)
{
#define KEY(f)                                                                                     \
    if (a->f != b->f)                                                                              \
    return a->f < b->f ? -1 : 1
    KEY(misuse);
    KEY(lock_id);
    KEY(other_lock_id);
    KEY(stack_id);
    KEY(address);
#undef KEY
    return 0;
}

static int idx_cmp(const void *x, const void *y, void *arg)
{
    const lw_misuse_rec *m = arg;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = key_cmp(&m[i], &m[j]);
    if (c)
        return c;
    return i < j ? -1 : i > j; /* log order: the first record represents the group */
}

/* Fills f from record m; count is how many records the group holds. */
static void fill(lw_finding *f, const lw_process *p, const lw_misuse_rec *m, size_t count)
{
    f->kind = LW_KIND_API_MISUSE;
    f->proc = p;
    const char *sub = lw_misuse_subkind(m->misuse);
    f->subkind = xstrdup(sub);
    f->stack_id = m->stack_id;
    f->other_thread = m->other_thread;
    f->address = m->address;
    if (m->misuse == LW_MISUSE_DESTROY_LOCKED)
        f->freed_block = m->other_address;
    f->locks = xcalloc(2, sizeof *f->locks);
    if (m->lock_id)
        f->locks[f->n_locks++] = m->lock_id;
    if (m->other_lock_id && m->other_lock_id != m->lock_id)
        f->locks[f->n_locks++] = m->other_lock_id;
    f->threads = xcalloc(2, sizeof *f->threads);
    if (m->thread_id)
        f->threads[f->n_threads++] = m->thread_id;
    if (m->other_thread && m->other_thread != m->thread_id)
        f->threads[f->n_threads++] = m->other_thread;
    f->occurrences = count > (unsigned)-1 ? (unsigned)-1 : (unsigned)count;
}

/*
 * Records that are not a misuse after all. The recorder counts every successful sem_wait as an
 * acquisition, so a thread that consumed a signal (a semaphore never proved lock-like) "ends
 * holding" it: that is the normal end of a handoff, not a lock left locked.
 */
static bool is_noise(const lw_process *p, const lw_misuse_rec *m)
{
    return m->misuse == LW_MISUSE_EXIT_HOLDING && m->lock_kind == LW_LOCK_SEMAPHORE &&
           !lw_process_lock_like(p, m->lock_id);
}

size_t lw_analyze_misuse(const lw_process *p, lw_findings *out)
{
    if (!p || !out || !p->misuses || p->n_misuses == 0)
        return 0;
    size_t n = p->n_misuses;
    size_t *order = xcalloc(n, sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, idx_cmp, p->misuses);
    /* Emit groups in the log order of their first record, so the report follows the run. */
    bool *first = xcalloc(n, sizeof *first);
    size_t *count = xcalloc(n, sizeof *count);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && key_cmp(&p->misuses[order[i]], &p->misuses[order[j]]) == 0)
            j++;
        first[order[i]] = true;
        count[order[i]] = j - i;
        i = j;
    }
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        if (!first[i] || is_noise(p, &p->misuses[i]) || lw_misuse_is_tls(p->misuses[i].misuse))
            continue;
        fill(lw_findings_add(out), p, &p->misuses[i], count[i]);
        added++;
    }
    free(first);
    free(count);
    free(order);
    return added;
}
