/*
 * Graphviz DOT output of lock-order graphs (render_dot.h).
 */
#include "render_dot.h"

#include <inttypes.h>
#include <string.h>

void lw_dot_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

bool lw_graph_edge_on_finding(const lw_findings *fs, const lw_process *p, uint32_t from,
                              uint32_t to)
{
    for (size_t i = 0; fs && i < fs->n; i++) {
        const lw_finding *f = &fs->items[i];
        if (f->harmless || f->proc != p)
            continue;
        for (size_t j = 0; j < f->n_edges; j++)
            if (f->edges[j].from_lock == from && f->edges[j].to_lock == to)
                return true;
    }
    return false;
}

static bool shown(const lw_graph *g, const lw_process *p, const lw_lock_edge *e)
{
    return !g->cycles_only || e->in_cycle ||
           lw_graph_edge_on_finding(g->findings, p, e->from_lock, e->to_lock);
}

/* Declares a node for lock id unless an earlier shown edge of this process did. */
static void node(FILE *out, const lw_graph *g, size_t pi, const lw_lock_edges *es, size_t upto,
                 uint32_t id, bool hot)
{
    const lw_process *p = &g->model->procs[pi];
    for (size_t i = 0; i < upto; i++) {
        const lw_lock_edge *e = &es->items[i];
        if (shown(g, p, e) && (e->from_lock == id || e->to_lock == id))
            return;
    }
    lw_lock_name ln;
    lw_namer_lock(g->namer, p, id, &ln);
    fprintf(out, "    p%zul%" PRIu32 " [label=", pi, id);
    lw_dot_quoted(out, ln.name);
    fputs(hot ? ", color=red, penwidth=2];\n" : "];\n", out);
}

/* True if lock id lies on an edge of a non-harmless finding of p. */
static bool lock_hot(const lw_graph *g, const lw_process *p, uint32_t id)
{
    for (size_t i = 0; g->findings && i < g->findings->n; i++) {
        const lw_finding *f = &g->findings->items[i];
        if (f->harmless || f->proc != p)
            continue;
        for (size_t j = 0; j < f->n_locks; j++)
            if (f->locks[j] == id)
                return true;
    }
    return false;
}

static void edge(FILE *out, const lw_graph *g, size_t pi, const lw_lock_edge *e)
{
    const lw_process *p = &g->model->procs[pi];
    bool hot = lw_graph_edge_on_finding(g->findings, p, e->from_lock, e->to_lock);
    char label[2 * LW_NAME_MAX + 64], site[LW_NAME_MAX] = "?";
    lw_frame f;
    if (lw_namer_site(g->namer, p, e->example.to_stack, &f))
        lw_namer_format_site(g->namer, &f, site, sizeof site);
    int k = snprintf(label, sizeof label, "thread #%" PRIu32, e->example.thread_id);
    if (e->n_threads > 1 && k > 0 && (size_t)k < sizeof label)
        k += snprintf(label + k, sizeof label - (size_t)k, " (+%zu more)", e->n_threads - 1);
    if (k > 0 && (size_t)k < sizeof label)
        snprintf(label + k, sizeof label - (size_t)k, "\n%s%s", site,
                 e->only_try ? "\n(try-lock)" : "");
    fprintf(out, "    p%zul%" PRIu32 " -> p%zul%" PRIu32 " [label=", pi, e->from_lock, pi,
            e->to_lock);
    lw_dot_quoted(out, label);
    if (hot)
        fputs(", color=red, fontcolor=red, penwidth=2.5, style=bold", out);
    else if (e->only_try)
        fputs(", style=dashed", out);
    fputs("];\n", out);
}

int lw_render_dot(FILE *out, const lw_graph *g)
{
    fputs("digraph lockwatch {\n"
          "    graph [rankdir=LR, fontname=\"Helvetica\", label=\"lockwatch lock-order graph"
          " (red: edges of reported cycles)\", labelloc=t];\n"
          "    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
          "    edge [fontname=\"Helvetica\", fontsize=10];\n",
          out);
    bool clusters = g->model->n_procs > 1;
    for (size_t pi = 0; pi < g->model->n_procs; pi++) {
        const lw_process *p = &g->model->procs[pi];
        const lw_lock_edges *es = &g->edges[pi];
        if (clusters) {
            char title[LW_NAME_MAX + 64];
            snprintf(title, sizeof title, "process %" PRIu64 " (%s)", p->pid,
                     p->exe ? lw_path_basename(p->exe) : "?");
            lw_text_sanitize(title);
            fprintf(out, "  subgraph cluster_%zu {\n    label=", pi);
            lw_dot_quoted(out, title);
            fputs(";\n", out);
        }
        for (size_t i = 0; i < es->n; i++) {
            const lw_lock_edge *e = &es->items[i];
            if (!shown(g, p, e))
                continue;
            node(out, g, pi, es, i, e->from_lock, lock_hot(g, p, e->from_lock));
            if (e->to_lock != e->from_lock)
                node(out, g, pi, es, i, e->to_lock, lock_hot(g, p, e->to_lock));
            edge(out, g, pi, e);
        }
        if (clusters)
            fputs("  }\n", out);
    }
    fputs("}\n", out);
    if (fflush(out) != 0 || ferror(out))
        return -1;
    return 0;
}
