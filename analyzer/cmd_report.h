/*
 * `lockwatch report`: load logs, run the analyses, render the findings. The pipeline part
 * (lw_report_paths) is shared with `lockwatch run`, which calls it on the logs its program wrote.
 */
#ifndef LOCKWATCH_CMD_REPORT_H
#define LOCKWATCH_CMD_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "render.h"

typedef enum lw_format { LW_FORMAT_TEXT, LW_FORMAT_JSON } lw_format;

typedef struct lw_report_opts {
    lw_format format;
    const char *output;      /* file for the report; NULL: stdout */
    bool all;                /* also show findings judged harmless */
    const char *source_root; /* paths are shown relative to it; NULL: current directory */
} lw_report_opts;

/* Parses a --format value ("text" or "json"); returns 0, or -1 if unknown. */
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
