/*
 * Post-mortem deadlock reconstruction (wait_cycle.h). The wait-for graph is the same as the
 * shim's watchdog builds live: a thread blocked on a mutex waits for the thread whose kernel tid
 * owned the mutex when the wait began, a joiner waits for the joinee. Each node has at most one
 * successor, so a cycle is found by walking from each node with a visit mark.
 */
#include "wait_cycle.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Index in p->wait_states of the wait node thread `id` is in, or -1. */
static long node_of_thread(const lw_process *p, uint32_t id)
{
    for (size_t i = 0; i < p->n_wait_states; i++)
        if (p->wait_states[i].thread_id == id)
            return (long)i;
    return -1;
}

/* The wait node i waits for, or -1. */
static long successor(const lw_process *p, size_t i)
{
    const lw_wait_state *w = &p->wait_states[i];
    if (w->timed)
        return -1; /* a timed wait ends by itself */
    if (w->wait_kind == LW_WAIT_JOIN)
        return w->target_thread ? node_of_thread(p, w->target_thread) : -1;
    if (w->wait_kind != LW_WAIT_MUTEX || !w->owner_tid)
        return -1;
    for (size_t t = 0; t < p->n_threads; t++)
        if (p->threads[t].os_tid == w->owner_tid && !p->threads[t].exited)
            return node_of_thread(p, p->threads[t].id);
    return -1;
}

/* Largest stack id in p, so that synthetic stacks get ids no record uses. */
static uint32_t max_stack_id(const lw_process *p)
{
    uint32_t m = 0;
    for (size_t i = 0; i < p->n_stacks; i++)
        if (p->stacks[i].id > m)
            m = p->stacks[i].id;
    return m;
}

/* Adds a one-frame stack (a return address) and returns its id, 0 if it cannot. */
static uint32_t add_call_site(lw_process *p, uint64_t pc, uint32_t id)
{
    if (!pc || id == 0)
        return 0;
    lw_stack *grown = xrealloc(p->stacks, (p->n_stacks + 1) * sizeof *grown);
    p->stacks = grown;
    lw_stack *s = &p->stacks[p->n_stacks++];
    memset(s, 0, sizeof *s);
    s->id = id;
    s->nframes = 1;
    s->frames = xcalloc(1, sizeof *s->frames);
    s->frames[0] = pc;
    return id;
}

/* A lock known only from a wait (never part of a recorded context) gets a model entry with its
 * address, so reports can name it (a global mutex by its symbol). */
static void add_lock_if_missing(lw_process *p, uint32_t id, uint64_t addr, uint32_t wait_kind)
{
    if (!id || lw_process_lock(p, id))
        return;
    for (size_t i = 0; i < p->n_locks; i++)
        if (p->locks[i].id == id)
            return; /* added by an earlier wait, index not rebuilt yet */
    lw_lock *grown = xrealloc(p->locks, (p->n_locks + 1) * sizeof *grown);
    p->locks = grown;
    lw_lock *l = &p->locks[p->n_locks++];
    memset(l, 0, sizeof *l);
    l->id = id;
    l->kind = wait_kind == LW_WAIT_MUTEX ? LW_LOCK_MUTEX : 0;
    l->address = addr;
}

void lw_rebuild_deadlock_from_waits(lw_process *p)
{
    /* A clean end does not rule it out: a process may leave (_exit from its own timeout, say)
     * while some of its threads wait for each other, and that wait is a deadlock all the same. */
    if (p->n_deadlocks || p->n_wait_states < 1)
        return;
    size_t n = p->n_wait_states;
    long *succ = xcalloc(n, sizeof *succ);
    unsigned char *mark = xcalloc(n, 1);
    long *path = xcalloc(n, sizeof *path);
    for (size_t i = 0; i < n; i++)
        succ[i] = successor(p, i);
    size_t start = 0, len = 0;
    bool found = false;
    for (size_t s = 0; s < n && !found; s++) {
        if (mark[s])
            continue;
        size_t k = 0;
        long v = (long)s;
        while (v >= 0 && !mark[v]) {
            mark[v] = 1; /* on the current path */
            path[k++] = v;
            v = succ[v];
        }
        if (v >= 0 && mark[v] == 1) {
            for (start = 0; path[start] != v; start++)
                ;
            len = k - start;
            found = true;
        }
        for (size_t i = 0; i < k; i++)
            mark[path[i]] = 2;
    }
    if (found) {
        lw_deadlock *grown = xrealloc(p->deadlocks, (p->n_deadlocks + 1) * sizeof *grown);
        p->deadlocks = grown;
        lw_deadlock *d = &p->deadlocks[p->n_deadlocks++];
        memset(d, 0, sizeof *d);
        d->detector = LW_DETECT_POSTMORTEM;
        d->waits = xcalloc(len, sizeof *d->waits);
        d->n_waits = len;
        uint32_t next_stack = max_stack_id(p) + 1;
        for (size_t i = 0; i < len; i++) {
            const lw_wait_state *w = &p->wait_states[path[start + i]];
            lw_deadlock_wait *dw = &d->waits[i];
            dw->thread_id = w->thread_id;
            dw->wait_kind = w->wait_kind;
            dw->lock_id = w->lock_id;
            dw->wait_addr = w->wait_addr;
            dw->target_thread = p->wait_states[succ[path[start + i]]].thread_id;
            add_lock_if_missing(p, w->lock_id, w->wait_addr, w->wait_kind);
            dw->stack_id = add_call_site(p, w->call_pc, next_stack);
            if (dw->stack_id)
                next_stack++;
        }
        lw_process_build_index(p);
    }
    free(succ);
    free(mark);
    free(path);
}
