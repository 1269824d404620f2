/*
 * Live deadlocks: turns the DEADLOCK records the recorder's watchdog wrote (lw_process.deadlocks)
 * into findings of kind LW_KIND_DEADLOCK. Unlike a lock-order inversion, which might deadlock
 * some day, these threads were blocked for good when the record was written, so such a finding
 * is never harmless. Subkinds (docs/report-schema.md):
 *   "wait-cycle"   threads wait for each other in a cycle (mutex owner, joinee);
 *   "self-relock"  a thread locks a non-recursive mutex it already holds;
 *   "all-blocked"  every thread is in an untimed wait and one sleeps on a condition variable
 *                  nobody is left to signal (e.g. a nested-monitor lockout).
 */
#ifndef LOCKWATCH_DEADLOCK_H
#define LOCKWATCH_DEADLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "finding.h"
#include "model.h"

/*
 * Appends one finding per distinct deadlock record of p to out. Records that describe the same
 * deadlock (same detector, same threads waiting for the same things) become one finding whose
 * occurrences counts them. Records without threads are ignored. Returns the number added.
 */
size_t lw_analyze_deadlocks(const lw_process *p, lw_findings *out);

/* The subkind name of a detector (enum lw_deadlock_detector), "unknown" for other values. */
const char *lw_deadlock_subkind(uint32_t detector);

/* The JSON name of a wait kind (enum lw_wait_kind): "mutex", "join", "condvar", ...; "unknown"
 * for other values. */
const char *lw_wait_kind_name(uint32_t wait_kind);

/* True for wait kinds that wait for a lock (the wait's lock_id names it). */
bool lw_wait_kind_is_lock(uint32_t wait_kind);

/*
 * True if any of the logs paths[0..n) holds a DEADLOCK record; unreadable logs count as none.
 * `lockwatch run` uses it to explain why its program died.
 */
bool lw_logs_have_deadlock(char *const *paths, size_t n);

#endif /* LOCKWATCH_DEADLOCK_H */
