/*
 * Race findings (race mode): turns the RACE records of a process into data-race and
 * unprotected-increment findings, one per (location, pair of source sites).
 */
#ifndef LOCKWATCH_RACE_H
#define LOCKWATCH_RACE_H

#include "finding.h"
#include "model.h"

#define LW_RACE_SUB_PREDICTIVE "predictive"

/* Appends the race findings of p to out. */
void lw_analyze_races(const lw_process *p, lw_findings *out);

/* True if the race is a lost update: one side read and wrote the bytes with no synchronisation
 * in between (counter++) and both sides write. */
bool lw_race_is_increment(const struct lw_race_access *a, const struct lw_race_access *b);

#endif /* LOCKWATCH_RACE_H */
