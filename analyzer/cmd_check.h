/*
 * `lockwatch check` (the CI gate) and `lockwatch baseline` (accept the current findings):
 * thin command-line fronts on the report pipeline (cmd_report.h) with the gate (gate.h) and
 * baseline (baseline.h) options.
 */
#ifndef LOCKWATCH_CMD_CHECK_H
#define LOCKWATCH_CMD_CHECK_H

#include <stdio.h>

/* Runs `lockwatch check`; argv[0] is "check". Returns 0 (gate passed), 1 or 2. */
int lw_cmd_check(int argc, char **argv);
/* Prints the usage of `lockwatch check`. */
void lw_cmd_check_usage(FILE *out);

/* Runs `lockwatch baseline`; argv[0] is "baseline". Returns 0 or 2. */
int lw_cmd_baseline(int argc, char **argv);
/* Prints the usage of `lockwatch baseline`. */
void lw_cmd_baseline_usage(FILE *out);

#endif /* LOCKWATCH_CMD_CHECK_H */
