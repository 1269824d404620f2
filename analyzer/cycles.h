/*
 * Generic directed-graph algorithms over small integer node ids (0 .. n_nodes-1): strongly
 * connected components (Tarjan) and enumeration of elementary cycles (Johnson). Nothing here
 * knows about locks, so the algorithms are unit-testable on their own; lock_order.c maps lock
 * ids to node ids. Everything is iterative (explicit stacks): graphs built from logs can have
 * millions of arcs, and a recursive DFS would overflow the C stack. Every enumeration is
 * bounded (cycles, length, work) and says when a bound stopped it.
 */
#ifndef LOCKWATCH_CYCLES_H
#define LOCKWATCH_CYCLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One arc from -> to, as given to lw_digraph_build. */
typedef struct lw_arc {
    uint32_t from, to;
} lw_arc;

/*
 * A directed graph in compressed adjacency form: the successors of v are
 * dst[first[v] .. first[v+1]), sorted ascending, without duplicates or self-loops.
 */
typedef struct lw_digraph {
    uint32_t n_nodes;
    size_t n_arcs;
    size_t *first; /* n_nodes + 1 entries */
    uint32_t *dst;
} lw_digraph;

/*
 * Builds g from arcs. Duplicate arcs are merged, self-loops (from == to) dropped (a lock
 * re-acquired while held is recursion, not a lock-order cycle) and arcs naming a node >=
 * n_nodes ignored. Aborts on out-of-memory.
 */
void lw_digraph_build(lw_digraph *g, uint32_t n_nodes, const lw_arc *arcs, size_t n_arcs);

/* Frees g's arrays (safe on a zeroed graph). */
void lw_digraph_free(lw_digraph *g);

/*
 * Strongly connected components: writes comp[v] (an array of n_nodes entries) for every node
 * and returns the number of components. Numbering is deterministic (Tarjan's order of
 * completion from node 0 upward), so two nodes share a component iff comp[] is equal.
 */
uint32_t lw_digraph_scc(const lw_digraph *g, uint32_t *comp);

/* Bounds for lw_find_cycles; 0 means "no limit" for each field. */
typedef struct lw_cycle_limits {
    size_t max_cycles; /* stop (and flag truncation) after this many cycles */
    size_t max_len;    /* skip cycles with more nodes than this (not a truncation) */
    size_t max_steps;  /* stop (and flag truncation) after this much work (arc visits) */
} lw_cycle_limits;

/* Elementary cycles: cycle i is nodes[start[i] .. start[i+1]). */
typedef struct lw_cycles {
    uint32_t *nodes;
    size_t *start; /* n + 1 entries when n > 0 */
    size_t n;
    bool truncated; /* max_cycles or max_steps stopped the enumeration */
} lw_cycles;

/*
 * Enumerates the elementary cycles of g (self-loops excluded), each exactly once and rotated
 * so that its smallest node comes first; cycle i's arcs are nodes[k] -> nodes[k+1] and
 * last -> first. Output is sorted by length, then lexicographically, so it does not depend on
 * the search order. lim may be NULL (no limits). out is overwritten; free with lw_cycles_free.
 */
void lw_find_cycles(const lw_digraph *g, const lw_cycle_limits *lim, lw_cycles *out);

/* Cycle i of c and its length in *len. */
const uint32_t *lw_cycles_at(const lw_cycles *c, size_t i, size_t *len);

/* Frees c's arrays (safe on a zeroed value). */
void lw_cycles_free(lw_cycles *c);

#endif /* LOCKWATCH_CYCLES_H */
