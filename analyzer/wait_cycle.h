/*
 * Post-mortem deadlock reconstruction: a process killed while its threads were deadlocked (a CI
 * timeout's SIGKILL before the watchdog could report) still left each thread's last wait in its
 * WAIT_STATE record. If the log has no clean end and no DEADLOCK record, a cycle in those waits
 * is turned into a deadlock the analyzer reports like one the watchdog found.
 */
#ifndef LOCKWATCH_WAIT_CYCLE_H
#define LOCKWATCH_WAIT_CYCLE_H

#include "model.h"

/* Appends one lw_deadlock (detector LW_DETECT_POSTMORTEM) to p when p's last wait states form a
 * wait-for cycle of untimed mutex or join waits, p did not end cleanly and the recorder wrote
 * no deadlock. The blocking stacks are the recorded call sites (one frame each), added to p's
 * stacks under fresh ids. */
void lw_rebuild_killed_deadlock(lw_process *p);

#endif /* LOCKWATCH_WAIT_CYCLE_H */
