/*
 * `lockwatch graph`: draws the lock-order graph of logs as Graphviz DOT, SVG or PNG (the
 * latter two by running Graphviz's `dot`).
 */
#ifndef LOCKWATCH_CMD_GRAPH_H
#define LOCKWATCH_CMD_GRAPH_H

#include <stdio.h>

/* Runs `lockwatch graph`; argv[0] is "graph". Returns 0 or 2. */
int lw_cmd_graph(int argc, char **argv);
/* Prints the usage of `lockwatch graph`. */
void lw_cmd_graph_usage(FILE *out);

/*
 * Runs `dot -T<format>` (searched in PATH; fork/exec, no shell) with dot_text on its stdin and
 * its stdout going to output (NULL: our stdout). Returns 0, or -1 after printing a one-line
 * error prefixed with cmd (dot missing, failed, or output not writable).
 */
int lw_run_dot(const char *cmd, const char *format, const char *dot_text, size_t len,
               const char *output);

#endif /* LOCKWATCH_CMD_GRAPH_H */
