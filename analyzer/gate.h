/*
 * The CI gate: which findings make `lockwatch check` (and `report`, `run`) exit 1. Filters act
 * on findings before any renderer sees them: suppressed findings and findings in the baseline
 * are removed (and counted), then the gate counts the remaining findings that are not harmless
 * and whose kind is listed in --fail-on.
 */
#ifndef LOCKWATCH_GATE_H
#define LOCKWATCH_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "baseline.h"
#include "finding.h"
#include "naming.h"
#include "suppressions.h"

/* Every kind: the default of --fail-on. */
#define LW_FAIL_ON_ALL ((1u << LW_KIND_COUNT) - 1)

/*
 * Parses a --fail-on value: comma-separated kind names (finding.h) or "all". Returns 0 with the
 * kinds as a bit mask (1u << kind), or -1 with err set to what was expected.
 */
int lw_fail_on_parse(const char *s, unsigned *mask, char *err, size_t errlen);

/*
 * Removes from fs every finding matched by supp (may be NULL) or whose fingerprint is in base
 * (may be NULL); fingerprints must be set (lw_findings_merge). Adds what it removed to
 * *n_suppressed / *n_baselined.
 */
void lw_gate_filter(lw_findings *fs, lw_namer *n, lw_suppressions *supp, const lw_baseline *base,
                    size_t *n_suppressed, size_t *n_baselined);

/* Findings of fs at the gate: not harmless and of a kind in mask. */
size_t lw_gate_count(const lw_findings *fs, unsigned mask);

/* Writes the one-line verdict of `check`: "lockwatch check: FAILED: 2 findings at the gate
 * (...)" or "lockwatch check: passed (...)". */
void lw_gate_print_verdict(FILE *out, const char *cmd, const lw_findings *fs, unsigned mask,
                           size_t n_suppressed, size_t n_baselined);

#endif /* LOCKWATCH_GATE_H */
