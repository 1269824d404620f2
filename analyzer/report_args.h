/*
 * The report options shared by `lockwatch report`, `check` and `run` (--format, --output, --all,
 * --source-root, --suppressions, --baseline, --fail-on, --print-suppressions, --color, and
 * run's --check): one table of getopt_long entries, one handler and one help text, so the three
 * commands cannot drift apart.
 */
#ifndef LOCKWATCH_REPORT_ARGS_H
#define LOCKWATCH_REPORT_ARGS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "cmd_report.h"

/* getopt_long codes of the shared options (above any character and below cmd_run's). */
enum {
    LW_RA_FORMAT = 0x100,
    LW_RA_OUTPUT,
    LW_RA_ALL,
    LW_RA_SOURCE_ROOT,
    LW_RA_SUPPRESSIONS,
    LW_RA_BASELINE,
    LW_RA_FAIL_ON,
    LW_RA_PRINT_SUPPRESSIONS,
    LW_RA_COLOR,
    LW_RA_CHECK,
    LW_RA_END
};

/* Which optional options a command accepts. */
#define LW_RA_WITH_FAIL_ON 1u /* --fail-on (check, run) */
#define LW_RA_WITH_CHECK 2u   /* --check (run) */

/* Most entries lw_report_longopts writes. */
#define LW_RA_MAX_OPTS (LW_RA_END - LW_RA_FORMAT)

/* Writes the shared getopt_long entries for a command to out; returns how many. */
size_t lw_report_longopts(struct option *out, unsigned with);

/* True if code is one of the shared options. */
static inline int lw_report_is_opt(int code)
{
    return code >= LW_RA_FORMAT && code < LW_RA_END;
}

/* Applies one shared option to o. Returns 0, or 2 after printing a one-line error naming the
 * option and what was expected (messages are prefixed with cmd). */
int lw_report_opt(const char *cmd, int code, const char *arg, lw_report_opts *o);

/* Checks combinations after parsing (run: --fail-on needs --check). Returns 0 or 2. */
int lw_report_opts_finish(const char *cmd, const lw_report_opts *o, unsigned with);

/* Reads the --suppressions and --baseline files once to validate them. Returns 0, or 2 after
 * printing the error (file:line and what was expected). */
int lw_report_opts_check_files(const char *cmd, const lw_report_opts *o);

/* Prints the help lines of the shared options. */
void lw_report_opts_usage(FILE *out, unsigned with);

/*
 * Parses `lockwatch CMD [options] LOG|DIR...` (report, check): the shared options plus --help
 * (which prints usage to stdout). Returns 0 with *first set to the index of the first LOG|DIR,
 * -1 when help was printed (exit 0), or 2 after printing a one-line error.
 */
int lw_report_parse_cmdline(const char *cmd, int argc, char **argv, unsigned with,
                            lw_report_opts *o, void (*usage)(FILE *), int *first);

#endif /* LOCKWATCH_REPORT_ARGS_H */
