/*
 * Tarjan's strongly connected components and Johnson's elementary-cycle enumeration (1975),
 * both with explicit stacks instead of recursion (see cycles.h for why).
 *
 * Johnson's algorithm, as driven here: take a non-trivial SCC S, let s be its smallest node,
 * list every elementary cycle through s inside S (a DFS that "blocks" nodes from which s is
 * currently unreachable, so each cycle costs O(arcs) to find), then remove s, split S \ {s}
 * into SCCs again and repeat on each. A cycle is found exactly when its smallest node is the
 * start, so each is reported once and already in canonical rotation.
 *
 * The length bound is not part of Johnson's original algorithm: a node whose search was cut by
 * the bound is treated as if it had reached s (it is unblocked on the way back). That only
 * blocks less, so no short cycle is missed; it costs speed, which max_steps bounds.
 */
#include "cycles.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNVISITED UINT32_MAX

static int arc_cmp(const void *a, const void *b)
{
    const lw_arc *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return 0;
}

/* Builds the compressed adjacency of the valid, distinct, non-loop arcs. */
void lw_digraph_build(lw_digraph *g, uint32_t n_nodes, const lw_arc *arcs, size_t n_arcs)
{
    memset(g, 0, sizeof *g);
    g->n_nodes = n_nodes;
    lw_arc *sorted = xreallocarray(NULL, n_arcs, sizeof *sorted);
    size_t n = 0;
    for (size_t i = 0; i < n_arcs; i++)
        if (arcs[i].from < n_nodes && arcs[i].to < n_nodes && arcs[i].from != arcs[i].to)
            sorted[n++] = arcs[i];
    qsort(sorted, n, sizeof *sorted, arc_cmp);
    g->first = xreallocarray(NULL, (size_t)n_nodes + 1, sizeof *g->first);
    g->dst = xreallocarray(NULL, n, sizeof *g->dst);
    memset(g->first, 0, ((size_t)n_nodes + 1) * sizeof *g->first);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && arc_cmp(&sorted[i], &sorted[i - 1]) == 0)
            continue;
        g->dst[m++] = sorted[i].to;
        g->first[sorted[i].from + 1]++;
    }
    for (uint32_t v = 0; v < n_nodes; v++)
        g->first[v + 1] += g->first[v];
    g->n_arcs = m;
    free(sorted);
}

/* Frees g's arrays. */
void lw_digraph_free(lw_digraph *g)
{
    if (!g)
        return;
    free(g->first);
    free(g->dst);
    memset(g, 0, sizeof *g);
}

/* Working memory for Tarjan, sized once per graph and reused for every sub-graph. */
typedef struct tarjan_ws {
    uint32_t *index, *low;
    bool *on_stack;
    uint32_t *stack; /* Tarjan's component stack */
    size_t stack_n;
    uint32_t *call_node; /* the DFS "call stack": node and next arc position */
    size_t *call_pos;
    size_t call_n;
} tarjan_ws;

static void tarjan_ws_init(tarjan_ws *ws, uint32_t n)
{
    ws->index = xreallocarray(NULL, n, sizeof *ws->index);
    ws->low = xreallocarray(NULL, n, sizeof *ws->low);
    ws->on_stack = xreallocarray(NULL, n, sizeof *ws->on_stack);
    ws->stack = xreallocarray(NULL, n, sizeof *ws->stack);
    ws->call_node = xreallocarray(NULL, n, sizeof *ws->call_node);
    ws->call_pos = xreallocarray(NULL, n, sizeof *ws->call_pos);
    for (uint32_t v = 0; v < n; v++) {
        ws->index[v] = UNVISITED;
        ws->on_stack[v] = false;
    }
    ws->stack_n = ws->call_n = 0;
}

static void tarjan_ws_free(tarjan_ws *ws)
{
    free(ws->index);
    free(ws->low);
    free(ws->on_stack);
    free(ws->stack);
    free(ws->call_node);
    free(ws->call_pos);
}

/*
 * Called for each component as Tarjan completes it, with its nodes (in stack order). The
 * callback may reorder the array but must not keep it.
 */
typedef void (*component_fn)(void *arg, uint32_t *nodes, size_t n);

/*
 * Tarjan over the sub-graph induced by roots[0..n_roots) (all nodes if roots is NULL); a
 * node w belongs to the sub-graph iff mark is NULL or mark[w] == stamp. Index entries of the
 * sub-graph's nodes must be UNVISITED on entry; they are left visited. Adds arc visits to
 * *steps.
 */
static void tarjan(const lw_digraph *g, tarjan_ws *ws, const uint32_t *roots, size_t n_roots,
                   const uint32_t *mark, uint32_t stamp, component_fn fn, void *arg, size_t *steps)
{
    uint32_t counter = 0;
    for (size_t r = 0; r < n_roots; r++) {
        uint32_t root = roots ? roots[r] : (uint32_t)r;
        if (ws->index[root] != UNVISITED)
            continue;
        ws->index[root] = ws->low[root] = counter++;
        ws->stack[ws->stack_n++] = root;
        ws->on_stack[root] = true;
        ws->call_node[0] = root;
        ws->call_pos[0] = g->first[root];
        ws->call_n = 1;
        while (ws->call_n > 0) {
            size_t top = ws->call_n - 1;
            uint32_t v = ws->call_node[top];
            if (ws->call_pos[top] < g->first[v + 1]) {
                uint32_t w = g->dst[ws->call_pos[top]++];
                (*steps)++;
                if (mark && mark[w] != stamp)
                    continue;
                if (ws->index[w] == UNVISITED) {
                    ws->index[w] = ws->low[w] = counter++;
                    ws->stack[ws->stack_n++] = w;
                    ws->on_stack[w] = true;
                    ws->call_node[ws->call_n] = w;
                    ws->call_pos[ws->call_n] = g->first[w];
                    ws->call_n++;
                } else if (ws->on_stack[w] && ws->index[w] < ws->low[v]) {
                    ws->low[v] = ws->index[w];
                }
                continue;
            }
            ws->call_n--;
            if (ws->call_n > 0) {
                uint32_t u = ws->call_node[ws->call_n - 1];
                if (ws->low[v] < ws->low[u])
                    ws->low[u] = ws->low[v];
            }
            if (ws->low[v] == ws->index[v]) {
                size_t end = ws->stack_n;
                do {
                    ws->stack_n--;
                    ws->on_stack[ws->stack[ws->stack_n]] = false;
                } while (ws->stack[ws->stack_n] != v);
                fn(arg, &ws->stack[ws->stack_n], end - ws->stack_n);
            }
        }
    }
}

struct scc_label {
    uint32_t *comp;
    uint32_t count;
};

static void label_component(void *arg, uint32_t *nodes, size_t n)
{
    struct scc_label *l = arg;
    for (size_t i = 0; i < n; i++)
        l->comp[nodes[i]] = l->count;
    l->count++;
}

/* Labels every node with its component number; returns the number of components. */
uint32_t lw_digraph_scc(const lw_digraph *g, uint32_t *comp)
{
    if (g->n_nodes == 0)
        return 0;
    tarjan_ws ws;
    tarjan_ws_init(&ws, g->n_nodes);
    struct scc_label l = {comp, 0};
    size_t steps = 0;
    tarjan(g, &ws, NULL, g->n_nodes, NULL, 0, label_component, &l, &steps);
    tarjan_ws_free(&ws);
    return l.count;
}

/* A set of nodes (sorted ascending) waiting for Johnson's search. */
typedef struct node_set {
    uint32_t *v;
    size_t n;
} node_set;

typedef struct set_stack {
    node_set *items;
    size_t n, cap;
} set_stack;

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Component callback for Johnson: keeps components that can hold a cycle (2+ nodes). */
static void push_component(void *arg, uint32_t *nodes, size_t n)
{
    set_stack *ss = arg;
    if (n < 2)
        return;
    if (ss->n == ss->cap) {
        ss->cap = ss->cap ? ss->cap * 2 : 16;
        ss->items = xreallocarray(ss->items, ss->cap, sizeof *ss->items);
    }
    node_set *s = &ss->items[ss->n++];
    s->v = xreallocarray(NULL, n, sizeof *s->v);
    memcpy(s->v, nodes, n * sizeof *nodes);
    s->n = n;
    qsort(s->v, n, sizeof *s->v, u32_cmp);
}

/* A list of nodes: Johnson's B sets ("unblock w when v is unblocked"). */
typedef struct u32_list {
    uint32_t *v;
    size_t n, cap;
} u32_list;

static void u32_list_push(u32_list *l, uint32_t x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
    }
    l->v[l->n++] = x;
}

/* State of one enumeration. */
typedef struct johnson {
    const lw_digraph *g;
    lw_cycle_limits lim;
    uint32_t *mark; /* mark[v] == stamp: v is in the current sub-graph */
    uint32_t stamp;
    bool *blocked;
    u32_list *b; /* Johnson's B lists */
    u32_list work;
    uint32_t *path; /* DFS frames: node, next arc position, "reached s" flag */
    size_t *pos;
    bool *found;
    size_t steps;
    bool stop;
    lw_cycles *out;
    size_t nodes_n, nodes_cap, start_cap;
} johnson;

static uint32_t next_stamp(johnson *j)
{
    if (++j->stamp == 0) { /* wrapped: old marks could collide with new stamps */
        memset(j->mark, 0, (size_t)j->g->n_nodes * sizeof *j->mark);
        j->stamp = 1;
    }
    return j->stamp;
}

static bool over_budget(johnson *j)
{
    if (j->lim.max_steps && j->steps > j->lim.max_steps) {
        j->out->truncated = true;
        j->stop = true;
    }
    return j->stop;
}

/* Records path[0..len) as a cycle, or stops if max_cycles is already reached. */
static void emit_cycle(johnson *j, size_t len)
{
    lw_cycles *c = j->out;
    if (j->lim.max_cycles && c->n >= j->lim.max_cycles) {
        c->truncated = true;
        j->stop = true;
        return;
    }
    if (j->nodes_n + len > j->nodes_cap) {
        while (j->nodes_n + len > j->nodes_cap)
            j->nodes_cap = j->nodes_cap ? j->nodes_cap * 2 : 64;
        c->nodes = xreallocarray(c->nodes, j->nodes_cap, sizeof *c->nodes);
    }
    if (c->n + 2 > j->start_cap) {
        j->start_cap = j->start_cap ? j->start_cap * 2 : 16;
        c->start = xreallocarray(c->start, j->start_cap, sizeof *c->start);
    }
    memcpy(c->nodes + j->nodes_n, j->path, len * sizeof *j->path);
    c->start[c->n] = j->nodes_n;
    j->nodes_n += len;
    c->n++;
    c->start[c->n] = j->nodes_n;
}

/* Johnson's UNBLOCK, with a work list instead of recursion. */
static void unblock(johnson *j, uint32_t u)
{
    j->work.n = 0;
    u32_list_push(&j->work, u);
    while (j->work.n > 0) {
        uint32_t x = j->work.v[--j->work.n];
        if (!j->blocked[x])
            continue;
        j->blocked[x] = false;
        for (size_t i = 0; i < j->b[x].n; i++)
            u32_list_push(&j->work, j->b[x].v[i]);
        j->steps += j->b[x].n;
        j->b[x].n = 0;
    }
}

/* Johnson's CIRCUIT(s) over the marked sub-graph, as an explicit-stack DFS. */
static void circuit(johnson *j, uint32_t s)
{
    const lw_digraph *g = j->g;
    size_t d = 1;
    j->path[0] = s;
    j->pos[0] = g->first[s];
    j->found[0] = false;
    j->blocked[s] = true;
    while (d > 0 && !j->stop) {
        uint32_t v = j->path[d - 1];
        if (j->pos[d - 1] < g->first[v + 1]) {
            uint32_t w = g->dst[j->pos[d - 1]++];
            j->steps++;
            if (over_budget(j))
                return;
            if (j->mark[w] != j->stamp)
                continue;
            if (w == s) {
                emit_cycle(j, d);
                j->found[d - 1] = true;
            } else if (!j->blocked[w]) {
                if (j->lim.max_len && d >= j->lim.max_len) {
                    /* Cut by the length bound: do not let v stay blocked (see file comment). */
                    j->found[d - 1] = true;
                    continue;
                }
                j->path[d] = w;
                j->pos[d] = g->first[w];
                j->found[d] = false;
                j->blocked[w] = true;
                d++;
            }
            continue;
        }
        bool found = j->found[d - 1];
        if (found) {
            unblock(j, v);
        } else {
            for (size_t a = g->first[v]; a < g->first[v + 1]; a++) {
                uint32_t w = g->dst[a];
                if (j->mark[w] != j->stamp)
                    continue;
                u32_list *bw = &j->b[w];
                bool present = false;
                for (size_t i = 0; i < bw->n && !present; i++)
                    present = bw->v[i] == v;
                j->steps += bw->n + 1;
                if (!present)
                    u32_list_push(bw, v);
            }
        }
        d--;
        if (d > 0 && found)
            j->found[d - 1] = true;
    }
}

struct cycle_ref {
    const uint32_t *v;
    size_t n;
};

static int cycle_ref_cmp(const void *a, const void *b)
{
    const struct cycle_ref *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    for (size_t i = 0; i < x->n; i++)
        if (x->v[i] != y->v[i])
            return x->v[i] < y->v[i] ? -1 : 1;
    return 0;
}

/* Sorts the cycles of c by (length, nodes) so output order is independent of search order. */
static void sort_cycles(lw_cycles *c)
{
    if (c->n < 2)
        return;
    struct cycle_ref *refs = xreallocarray(NULL, c->n, sizeof *refs);
    for (size_t i = 0; i < c->n; i++)
        refs[i] = (struct cycle_ref){c->nodes + c->start[i], c->start[i + 1] - c->start[i]};
    qsort(refs, c->n, sizeof *refs, cycle_ref_cmp);
    uint32_t *nodes = xreallocarray(NULL, c->start[c->n], sizeof *nodes);
    size_t at = 0;
    for (size_t i = 0; i < c->n; i++) {
        memcpy(nodes + at, refs[i].v, refs[i].n * sizeof *nodes);
        c->start[i] = at;
        at += refs[i].n;
    }
    c->start[c->n] = at;
    free(c->nodes);
    c->nodes = nodes;
    free(refs);
}

/* Enumerates elementary cycles (see cycles.h for the contract). */
void lw_find_cycles(const lw_digraph *g, const lw_cycle_limits *lim, lw_cycles *out)
{
    memset(out, 0, sizeof *out);
    uint32_t n = g->n_nodes;
    if (n == 0 || g->n_arcs == 0)
        return;
    johnson j = {.g = g, .out = out};
    if (lim)
        j.lim = *lim;
    j.mark = xreallocarray(NULL, n, sizeof *j.mark);
    memset(j.mark, 0, (size_t)n * sizeof *j.mark);
    j.blocked = xreallocarray(NULL, n, sizeof *j.blocked);
    j.b = xreallocarray(NULL, n, sizeof *j.b);
    memset(j.b, 0, (size_t)n * sizeof *j.b);
    j.path = xreallocarray(NULL, n, sizeof *j.path);
    j.pos = xreallocarray(NULL, n, sizeof *j.pos);
    j.found = xreallocarray(NULL, n, sizeof *j.found);

    tarjan_ws ws;
    tarjan_ws_init(&ws, n);
    set_stack todo = {0};
    tarjan(g, &ws, NULL, n, NULL, 0, push_component, &todo, &j.steps);

    while (todo.n > 0) {
        node_set s = todo.items[--todo.n];
        uint32_t stamp;
        if (!over_budget(&j)) {
            stamp = next_stamp(&j);
            for (size_t i = 0; i < s.n; i++) {
                j.mark[s.v[i]] = stamp;
                j.blocked[s.v[i]] = false;
                j.b[s.v[i]].n = 0;
            }
            circuit(&j, s.v[0]); /* s.v is sorted: v[0] is the smallest node */
        }
        if (!j.stop) {
            /* Drop the start node and look for cycles among the rest. */
            stamp = next_stamp(&j);
            for (size_t i = 1; i < s.n; i++) {
                j.mark[s.v[i]] = stamp;
                ws.index[s.v[i]] = UNVISITED;
            }
            tarjan(g, &ws, s.v + 1, s.n - 1, j.mark, stamp, push_component, &todo, &j.steps);
        }
        free(s.v);
    }

    for (uint32_t v = 0; v < n; v++)
        free(j.b[v].v);
    free(j.b);
    free(j.work.v);
    free(j.mark);
    free(j.blocked);
    free(j.path);
    free(j.pos);
    free(j.found);
    free(todo.items);
    tarjan_ws_free(&ws);
    sort_cycles(out);
}

/* Cycle i of c (no bounds check beyond i < c->n, which the caller guarantees). */
const uint32_t *lw_cycles_at(const lw_cycles *c, size_t i, size_t *len)
{
    *len = c->start[i + 1] - c->start[i];
    return c->nodes + c->start[i];
}

/* Frees c's arrays. */
void lw_cycles_free(lw_cycles *c)
{
    if (!c)
        return;
    free(c->nodes);
    free(c->start);
    memset(c, 0, sizeof *c);
}
