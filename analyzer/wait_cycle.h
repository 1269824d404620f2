/*
 * Post-mortem deadlock reconstruction: a process killed while its threads were deadlocked (a CI
 * timeout's SIGKILL before the watchdog could report), or one that left through _exit while they
 * were, still left each thread's last wait in its WAIT_STATE record. If the log has no DEADLOCK
 * record, a cycle in those waits is turned into a deadlock the analyzer reports like one the
 * watchdog found.
 */
#ifndef LOCKWATCH_WAIT_CYCLE_H
#define LOCKWATCH_WAIT_CYCLE_H

#include "model.h"

/* Appends one lw_deadlock (detector LW_DETECT_POSTMORTEM) to p when p's last wait states form a
 * wait-for cycle of untimed mutex or join waits and the recorder wrote no deadlock (the process
 * was killed, or left, before the watchdog confirmed it). The blocking stacks are the recorded call
 * sites (one frame each), added to p's stacks under fresh ids. */
void lw_rebuild_deadlock_from_waits(lw_process *p);

#endif /* LOCKWATCH_WAIT_CYCLE_H */
