/*
 * `lockwatch report`: load logs, run the analyses, render the findings. The pipeline part
 * (lw_report_paths) is shared with `lockwatch run`, which calls it on the logs its program wrote.
 */
#ifndef LOCKWATCH_CMD_REPORT_H
#define LOCKWATCH_CMD_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "render.h"

typedef enum lw_format {
    LW_FORMAT_TEXT,
    LW_FORMAT_JSON,
    LW_FORMAT_SARIF,
    LW_FORMAT_JUNIT,
    LW_FORMAT_BASELINE /* `lockwatch baseline` only: a baseline file (baseline.h) */
} lw_format;

typedef struct lw_report_opts {
    lw_format format;
    const char *output;      /* file for the report; NULL: stdout */
    bool all;                /* also show findings judged harmless */
    const char *source_root; /* paths are shown relative to it; NULL: current directory */
    /* The CI gate and presentation (report_args.h, gate.h, term.h). */
    const char *suppressions; /* suppressions file, or NULL */
    const char *baseline;     /* baseline file, or NULL */
    unsigned fail_on;         /* kinds (1u << kind) that make the exit status 1; 0: every kind */
    bool print_suppressions;  /* write suppression entries for the findings on stderr */
    bool verdict;             /* print the gate verdict on stderr (check, run --check) */
    int color;                /* lw_color_mode */
} lw_report_opts;

/* Parses a --format value (text, json, sarif or junit); returns 0, or -1 if unknown. */
int lw_format_parse(const char *s, lw_format *out);

/*
 * Loads the logs (files or directories) in paths, analyses each process, and writes the
 * report. program is NULL except for `lockwatch run`. Messages go to stderr prefixed with
 * `cmd` ("lockwatch report"). Returns the exit status: 0 no findings, 1 findings, 2 input or
 * output error.
 */
int lw_report_paths(const char *cmd, const lw_report_opts *o, char *const *paths, size_t n,
                    const lw_program_info *program);

/* Runs `lockwatch report`; argv[0] is "report". Returns the exit status. */
int lw_cmd_report(int argc, char **argv);
/* Prints the usage of `lockwatch report`. */
void lw_cmd_report_usage(FILE *out);

#endif /* LOCKWATCH_CMD_REPORT_H */
