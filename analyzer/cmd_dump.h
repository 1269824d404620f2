/*
 * `lockwatch dump`: prints every chunk and record of raw lockwatch logs as text, one line each,
 * with file offsets, so a person can see exactly what the recorder wrote (and where a damaged
 * log goes wrong).
 */
#ifndef LOCKWATCH_CMD_DUMP_H
#define LOCKWATCH_CMD_DUMP_H

#include <stdio.h>

/*
 * Runs `lockwatch dump [--help] LOG...`; argv[0] is "dump". Returns the exit status: 0 when all
 * logs were printed (damage after a valid header is printed, not an error), 2 on a usage error
 * or an unreadable log (one line on stderr naming the file).
 */
int lw_cmd_dump(int argc, char **argv);

/* Prints one log already in memory to out; name labels it. Returns 0, or -1 if it is not a log
 * (message, without a "lockwatch: " prefix, in err). */
int lw_dump_buffer(FILE *out, const void *buf, size_t len, const char *name, char *err,
                   size_t errlen);

#endif /* LOCKWATCH_CMD_DUMP_H */
