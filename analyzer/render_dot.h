/*
 * The lock graph as Graphviz DOT: locks are nodes (named as in reports, naming.h), lock-order
 * edges (lock_order.h) are arrows labelled with the thread(s) and the code site that took
 * them, and the edges of every reported cycle are drawn red and bold. Several processes become
 * one cluster each. Like every renderer it only prints: the edges and findings are computed by
 * the caller (cmd_graph.c).
 */
#ifndef LOCKWATCH_RENDER_DOT_H
#define LOCKWATCH_RENDER_DOT_H

#include <stdbool.h>
#include <stdio.h>

#include "finding.h"
#include "lock_order.h"
#include "model.h"
#include "naming.h"

typedef struct lw_graph {
    const lw_model *model;
    const lw_lock_edges *edges;  /* one per model->procs entry */
    const lw_findings *findings; /* cycles to highlight (harmless ones are not) */
    bool cycles_only;            /* only edges on some cycle (same strongly connected component) */
    lw_namer *namer;
} lw_graph;

/* Writes the graph as a DOT digraph. Returns 0, or -1 if writing failed. */
int lw_render_dot(FILE *out, const lw_graph *g);

/* True if from -> to of process p is an edge of a finding of fs that is not harmless (pure). */
bool lw_graph_edge_on_finding(const lw_findings *fs, const lw_process *p, uint32_t from,
                              uint32_t to);

/* Writes s as a DOT quoted string ("..." with '"', '\\' and newlines escaped). */
void lw_dot_quoted(FILE *out, const char *s);

#endif /* LOCKWATCH_RENDER_DOT_H */
