/*
 * A progress line on stderr while logs are read: shown only on a terminal and only once
 * reading has taken more than a second, so quick runs and CI logs never see it; erased when
 * done. lw_model_load_progress is lw_model_load (log_reader.h) with that line.
 */
#ifndef LOCKWATCH_PROGRESS_H
#define LOCKWATCH_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model.h"

typedef struct lw_progress {
    struct timespec start;
    bool tty;   /* stderr is a terminal */
    bool shown; /* a line was printed and must be erased */
} lw_progress;

void lw_progress_start(lw_progress *pr);
/* Prints "lockwatch: reading logs: done/total" if due. */
void lw_progress_update(lw_progress *pr, size_t done, size_t total);
/* Erases the line if one was printed. */
void lw_progress_end(lw_progress *pr);

/* Loads paths like lw_model_load, one log at a time (directories expanded to their
 * lockwatch.*.log files) so progress can be shown. Same return value and err contract. */
int lw_model_load_progress(lw_model *m, char *const *paths, size_t n, char *err, size_t errlen);

#endif /* LOCKWATCH_PROGRESS_H */
