/*
 * Lock-order analysis: builds the lock-order graph of one process from its recorded contexts,
 * enumerates every elementary cycle (any length, each once: not per rotation, not per
 * repetition), and classifies each cycle as a feasible deadlock or as harmless with a reason
 * (single thread, common gate lock, closed by try-locks, threads ordered by create/join).
 */
#ifndef LOCKWATCH_LOCK_ORDER_H
#define LOCKWATCH_LOCK_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "model.h"

typedef struct lw_lock_order_options {
    size_t max_cycles; /* stop enumerating after this many cycles per process (0: default 10000) */
    size_t max_cycle_len; /* ignore longer cycles (0: no limit) */
} lw_lock_order_options;

/*
 * Appends one lw_finding of kind LW_KIND_LOCK_ORDER_INVERSION per elementary cycle of p's
 * lock-order graph to out. Cycles judged unable to deadlock are appended with harmless = true
 * and a reason; a cycle whose edges were all taken by one thread gets subkind "single-thread"
 * (reported: an inconsistent order is a latent bug). Returns the number of findings appended.
 * Sets *truncated (if non-NULL) when max_cycles stopped the enumeration.
 */
size_t lw_analyze_lock_order(const lw_process *p, const lw_lock_order_options *opt,
                             lw_findings *out, bool *truncated);

/*
 * Added for lock-graph renderers (DOT/SVG): one distinct lock-order edge of a process with a
 * summary of its occurrences and one representative occurrence.
 */
typedef struct lw_lock_edge {
    uint32_t from_lock, to_lock;
    size_t occurrences; /* (context, held entry) pairs that gave this edge */
    size_t n_threads;   /* distinct threads that took it */
    bool only_try;      /* every occurrence acquired to_lock with a try-lock */
    bool in_cycle;      /* from_lock and to_lock lie on a common cycle (same SCC) */
    /* One occurrence: blocking before try, fewest gates, lowest thread and seq. Owns gates. */
    lw_finding_edge example;
} lw_lock_edge;

typedef struct lw_lock_edges {
    lw_lock_edge *items; /* sorted by (from_lock, to_lock) */
    size_t n;
} lw_lock_edges;

/* Fills out with the distinct edges of p's lock-order graph (self-loops left out); returns n. */
size_t lw_lock_order_edges(const lw_process *p, lw_lock_edges *out);

/* Frees what lw_lock_order_edges filled (safe on a zeroed value). */
void lw_lock_edges_free(lw_lock_edges *e);

#endif /* LOCKWATCH_LOCK_ORDER_H */
