/*
 * `lockwatch run`: run a program under liblockwatch.so in a fresh log directory, then report on
 * the logs it (and any child process) wrote. The pure helpers are exposed for unit tests.
 */
#ifndef LOCKWATCH_CMD_RUN_H
#define LOCKWATCH_CMD_RUN_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* Runs `lockwatch run`; argv[0] is "run". Returns 0, 1 (findings) or 2 (error). */
int lw_cmd_run(int argc, char **argv);
/* Prints the usage of `lockwatch run`. */
void lw_cmd_run_usage(FILE *out);

/* The default log directory for program: lockwatch-logs/<basename>-<yyyymmdd-hhmmss>-<pid>. */
void lw_run_default_log_dir(const char *program, time_t when, long pid, char *buf, size_t len);
/* LD_PRELOAD with shim first, keeping existing entries (malloc'd). */
char *lw_run_preload_value(const char *shim, const char *existing);
/* mkdir -p; returns 0 or -1 with errno set. */
int lw_mkdir_p(const char *path);

#endif /* LOCKWATCH_CMD_RUN_H */
