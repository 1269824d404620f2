/*
 * Create/join order between thread segments. A thread's life is cut into segments by its
 * synchronisation seq (log_format.h): pthread_create and pthread_join advance it. Segment
 * (T, s) wholly precedes (U, r) when a chain of program order, "P created C" and "J joined E"
 * leads from the end of the one to the start of the other:
 *   - (T, s) precedes (T, s') for s < s';
 *   - the parent's segments 0 .. parent_seq precede every segment of the child;
 *   - every segment of a joined thread precedes the joiner's segments joiner_seq + 1 onward.
 *   - a semaphore handoff (LW_REC_SYNC: a post consumed by another thread's wait) orders the
 *     poster's segments 0 .. from_seq before the waiter's segments to_seq + 1 onward; handoffs
 *     on a semaphore proved lock-like are ignored (a lock's release -> acquire is no order).
 * Lock-order analysis uses this to discard cycles whose edges can never run at the same time.
 *
 * Queries search backward from the later segment on demand and memoize their answers, so
 * memory stays linear in threads + joins + queries (no threads x threads clock matrix):
 * a program with 10,000 threads is fine.
 */
#ifndef LOCKWATCH_THREAD_ORDER_H
#define LOCKWATCH_THREAD_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef struct lw_thread_order lw_thread_order;

/*
 * Indexes p's threads and joins. Thread ids that appear only in joins (or nowhere) are fine:
 * such a thread is known to have no creator. Never fails (aborts on out-of-memory). The
 * result refers to no memory of p and may outlive it.
 */
lw_thread_order *lw_thread_order_build(const lw_process *p);

/* Frees o (NULL is fine). */
void lw_thread_order_free(lw_thread_order *o);

/* True if segment (t1, s1) ends before segment (t2, s2) begins. Not const: answers are cached. */
bool lw_segment_precedes(lw_thread_order *o, uint32_t t1, uint32_t s1, uint32_t t2, uint32_t s2);

/* True if one of the two segments wholly precedes the other (they can never overlap). */
bool lw_segments_ordered(lw_thread_order *o, uint32_t t1, uint32_t s1, uint32_t t2, uint32_t s2);

/*
 * Why the two segments are ordered, in words, earlier event first, e.g. "thread #2 was joined
 * by thread #1 before thread #1 created thread #3". Returns a malloc'd string, or NULL if the
 * segments are not ordered.
 */
char *lw_thread_order_explain(lw_thread_order *o, uint32_t t1, uint32_t s1, uint32_t t2,
                              uint32_t s2);

#endif /* LOCKWATCH_THREAD_ORDER_H */
