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

#include "finding.h"
#include "model.h"

typedef struct lw_lock_order_options {
    size_t max_cycles;    /* stop enumerating after this many cycles per process (0: default 10000) */
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

#endif /* LOCKWATCH_LOCK_ORDER_H */
