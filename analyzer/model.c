/*
 * The model's id lookups and its memory management (model.h). Each process gets a private index
 * built once after reading: for stacks, threads and locks a sorted array of (id, position) pairs
 * searched by bisection; for modules an array sorted by start address plus a running maximum of
 * end addresses, so a pc is found by bisection even when modules overlap. Sorted arrays beat a
 * hash table here: one allocation per kind, no per-element nodes, and trivially testable.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log_reader.h"
#include "model.h"
#include "xalloc.h"

typedef struct lw_id_slot {
    uint32_t id;
    size_t pos; /* index into the process's array */
} lw_id_slot;

typedef struct lw_id_table {
    lw_id_slot *slots;
    size_t n;
    /* dense[id] = 1 + index into slots, 0 if absent, for id < n_dense: the recorder hands out
     * ids from 1 upwards, so this makes the lookups the analyses do per context O(1). Left
     * NULL when ids are too sparse for it (a damaged or hostile log); bisection then. */
    uint32_t *dense;
    size_t n_dense;
} lw_id_table;

struct lw_index {
    lw_id_table stacks, threads, locks;
    size_t *mod_order;   /* module positions sorted by lo */
    uint64_t *mod_maxhi; /* mod_maxhi[i] = max hi of mod_order[0..i] */
    size_t n_mods;
};

static int cmp_slot(const void *a, const void *b)
{
    const lw_id_slot *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Fills t from n ids (fetched through get_id) and returns a keep[] mask: false for the later
 * elements of a duplicated id. t keeps only the first element of each id.
 */
static bool *build_table(lw_id_table *t, const void *arr, size_t n, size_t elem, size_t id_offset,
                         bool *any_dup)
{
    free(t->slots);
    t->slots = xcalloc(n, sizeof *t->slots);
    t->n = 0;
    bool *keep = xcalloc(n, sizeof *keep);
    for (size_t i = 0; i < n; i++) {
        uint32_t id;
        memcpy(&id, (const char *)arr + i * elem + id_offset, sizeof id);
        t->slots[i] = (lw_id_slot){id, i};
    }
    qsort(t->slots, n, sizeof *t->slots, cmp_slot);
    for (size_t i = 0; i < n; i++) {
        if (t->n > 0 && t->slots[t->n - 1].id == t->slots[i].id) {
            *any_dup = true;
            continue;
        }
        keep[t->slots[i].pos] = true;
        t->slots[t->n++] = t->slots[i];
    }
    free(t->dense);
    t->dense = NULL;
    t->n_dense = 0;
    /* Slots are sorted, so the last holds the largest id. A dense table at most a few times
     * the element count (4 bytes an id) costs no more than the slots themselves. */
    uint64_t top = t->n ? (uint64_t)t->slots[t->n - 1].id + 1 : 0;
    if (t->n && top <= 4 * (uint64_t)t->n + 4096 && t->n < UINT32_MAX) {
        t->n_dense = (size_t)top;
        t->dense = xcalloc(t->n_dense, sizeof *t->dense);
        for (size_t i = 0; i < t->n; i++)
            t->dense[t->slots[i].id] = (uint32_t)i + 1;
    }
    return keep;
}

/* Removes the elements keep[] rejects, preserving order; returns the new count. */
static size_t compact(void *arr, size_t n, size_t elem, const bool *keep, void (*drop)(void *))
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        char *e = (char *)arr + i * elem;
        if (!keep[i]) {
            if (drop)
                drop(e);
            continue;
        }
        if (out != i)
            memcpy((char *)arr + out * elem, e, elem);
        out++;
    }
    return out;
}

static void drop_stack(void *e)
{
    free(((lw_stack *)e)->frames);
}
static void drop_module(void *e)
{
    free(((lw_module *)e)->path);
}

static const lw_id_slot *find_slot(const lw_id_table *t, uint32_t id)
{
    if (t->dense)
        return id < t->n_dense && t->dense[id] ? &t->slots[t->dense[id] - 1] : NULL;
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->slots[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->slots[lo].id == id ? &t->slots[lo] : NULL;
}

static int cmp_mod(const void *a, const void *b, void *ctx)
{
    const lw_module *mods = ctx;
    const lw_module *x = &mods[*(const size_t *)a];
    const lw_module *y = &mods[*(const size_t *)b];
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void free_index(struct lw_index *ix)
{
    if (!ix)
        return;
    free(ix->stacks.slots);
    free(ix->threads.slots);
    free(ix->locks.slots);
    free(ix->stacks.dense);
    free(ix->threads.dense);
    free(ix->locks.dense);
    free(ix->mod_order);
    free(ix->mod_maxhi);
    free(ix);
}

void lw_process_build_index(lw_process *p)
{
    free_index(p->index);
    struct lw_index *ix = xcalloc(1, sizeof *ix);
    p->index = ix;
    bool dup = false;
    bool *keep;

    keep = build_table(&ix->stacks, p->stacks, p->n_stacks, sizeof *p->stacks,
                       offsetof(lw_stack, id), &dup);
    if (dup)
        p->n_stacks = compact(p->stacks, p->n_stacks, sizeof *p->stacks, keep, drop_stack);
    free(keep);
    bool dup_t = false;
    keep = build_table(&ix->threads, p->threads, p->n_threads, sizeof *p->threads,
                       offsetof(lw_thread, id), &dup_t);
    if (dup_t)
        p->n_threads = compact(p->threads, p->n_threads, sizeof *p->threads, keep, NULL);
    free(keep);
    bool dup_l = false;
    keep = build_table(&ix->locks, p->locks, p->n_locks, sizeof *p->locks, offsetof(lw_lock, id),
                       &dup_l);
    if (dup_l)
        p->n_locks = compact(p->locks, p->n_locks, sizeof *p->locks, keep, NULL);
    free(keep);
    /* Modules are looked up by address, but a duplicated module id is dropped all the same. */
    lw_id_table mods = {0};
    bool dup_m = false;
    keep = build_table(&mods, p->modules, p->n_modules, sizeof *p->modules, offsetof(lw_module, id),
                       &dup_m);
    if (dup_m)
        p->n_modules = compact(p->modules, p->n_modules, sizeof *p->modules, keep, drop_module);
    free(keep);
    free(mods.slots);
    free(mods.dense);

    if (dup || dup_t || dup_l) {
        /* Positions moved: rebuild the tables over the compacted arrays (no duplicates left). */
        free_index(ix);
        p->index = NULL;
        lw_process_build_index(p);
        return;
    }

    ix->n_mods = p->n_modules;
    ix->mod_order = xcalloc(p->n_modules, sizeof *ix->mod_order);
    ix->mod_maxhi = xcalloc(p->n_modules, sizeof *ix->mod_maxhi);
    for (size_t i = 0; i < p->n_modules; i++)
        ix->mod_order[i] = i;
    qsort_r(ix->mod_order, p->n_modules, sizeof *ix->mod_order, cmp_mod, p->modules);
    uint64_t maxhi = 0;
    for (size_t i = 0; i < p->n_modules; i++) {
        const lw_module *m = &p->modules[ix->mod_order[i]];
        if (m->hi > maxhi)
            maxhi = m->hi;
        ix->mod_maxhi[i] = maxhi;
    }
}

const lw_stack *lw_process_stack(const lw_process *p, uint32_t id)
{
    if (!p || !p->index)
        return NULL;
    const lw_id_slot *s = find_slot(&p->index->stacks, id);
    return s ? &p->stacks[s->pos] : NULL;
}

const lw_thread *lw_process_thread(const lw_process *p, uint32_t id)
{
    if (!p || !p->index)
        return NULL;
    const lw_id_slot *s = find_slot(&p->index->threads, id);
    return s ? &p->threads[s->pos] : NULL;
}

const lw_lock *lw_process_lock(const lw_process *p, uint32_t id)
{
    if (!p || !p->index)
        return NULL;
    const lw_id_slot *s = find_slot(&p->index->locks, id);
    return s ? &p->locks[s->pos] : NULL;
}

bool lw_process_lock_like(const lw_process *p, uint32_t lock_id)
{
    if (!p || lock_id == 0)
        return false;
    const lw_lock *l = lw_process_lock(p, lock_id);
    if (l && (l->flags & LW_LOCKF_SEM_SIGNAL))
        return false;
    if (l && (l->flags & LW_LOCKF_LOCK_LIKE))
        return true;
    size_t lo = 0, hi = p->lock_like ? p->n_lock_like : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->lock_like[mid] == lock_id)
            return true;
        if (p->lock_like[mid] < lock_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

const lw_module *lw_process_module_for(const lw_process *p, uint64_t pc)
{
    if (!p || !p->index || p->index->n_mods == 0)
        return NULL;
    const struct lw_index *ix = p->index;
    /* Number of modules with lo <= pc. */
    size_t lo = 0, hi = ix->n_mods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->modules[ix->mod_order[mid]].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Walk back towards lower starts while some earlier module still reaches past pc. */
    for (size_t i = lo; i-- > 0 && ix->mod_maxhi[i] > pc;) {
        const lw_module *m = &p->modules[ix->mod_order[i]];
        if (pc >= m->lo && pc < m->hi)
            return m;
    }
    return NULL;
}

void lw_process_free(lw_process *p)
{
    if (!p)
        return;
    free(p->log_path);
    free(p->exe);
    free(p->damage);
    for (size_t i = 0; i < p->n_modules; i++)
        free(p->modules[i].path);
    free(p->modules);
    for (size_t i = 0; i < p->n_stacks; i++)
        free(p->stacks[i].frames);
    free(p->stacks);
    free(p->threads);
    free(p->joins);
    free(p->locks);
    if (p->held_arena)
        lw_arena_free(p->held_arena);
    else
        for (size_t i = 0; i < p->n_contexts; i++)
            free(p->contexts[i].held);
    free(p->contexts);
    lw_ctx_source_free(p->ctx_source);
    for (size_t i = 0; i < p->n_deadlocks; i++)
        free(p->deadlocks[i].waits);
    free(p->deadlocks);
    free(p->wait_states);
    free(p->misuses);
    free(p->syncs);
    free(p->lock_like);
    for (size_t i = 0; i < p->n_fork_held; i++)
        free(p->fork_held[i].entries);
    free(p->fork_held);
    free(p->tls_accesses);
    free(p->races);
    free_index(p->index);
    memset(p, 0, sizeof *p);
}

void lw_model_free(lw_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_procs; i++)
        lw_process_free(&m->procs[i]);
    free(m->procs);
    memset(m, 0, sizeof *m);
}
