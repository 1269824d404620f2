/*
 * Reading lockwatch logs (include/lockwatch/log_format.h) into the model (model.h). Logs are
 * untrusted: every length and count is bounds-checked. A damaged header is an error; damage
 * after a valid header stops reading at the damage and keeps everything read before it
 * (lw_process.truncated / .damage), because a log cut short by a crash is still worth reporting.
 */
#ifndef LOCKWATCH_LOG_READER_H
#define LOCKWATCH_LOG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/*
 * Parses one log held in memory. name is used in messages and stored as log_path.
 * Returns 0 on success (possibly with out->truncated set), -1 if buf is not a usable lockwatch
 * log; then err holds a one-line message naming `name` and the offset. out is always left
 * freeable with lw_process_free().
 */
int lw_read_log_buffer(const void *buf, size_t len, const char *name, lw_process *out, char *err,
                       size_t errlen);

/* Reads one log file; same contract as lw_read_log_buffer (plus I/O errors in err). */
int lw_read_log_file(const char *path, lw_process *out, char *err, size_t errlen);

/* The reader's default context budget (lw_read_options.context_budget). */
#define LW_CONTEXT_BUDGET_DEFAULT ((size_t)64 << 20)

/* How lw_read_log_file_opts reads (zeroed: the defaults). */
typedef struct lw_read_options {
    /*
     * Bytes of decoded contexts (lw_context array and held lists) a log file may keep in
     * memory. Past that the reader drops every context it kept and keeps none of the rest;
     * lw_process_each_context then reads them again from the file, so memory stays bounded
     * however many distinct contexts a log has. 0: LW_CONTEXT_BUDGET_DEFAULT, or the
     * environment variable LOCKWATCH_ANALYZER_CONTEXT_BUDGET (bytes, for tests) when set;
     * SIZE_MAX: no limit. An in-memory log (lw_read_log_buffer) always keeps every context.
     */
    size_t context_budget;
} lw_read_options;

/* lw_read_log_file with options (opt NULL: the defaults). */
int lw_read_log_file_opts(const char *path, const lw_read_options *opt, lw_process *out, char *err,
                          size_t errlen);

/* Called once per context by lw_process_each_context: c is valid during the call only;
 * ordinal is the context's position in the walk (wanted or not), from 0. */
typedef void (*lw_context_fn)(const lw_context *c, size_t ordinal, void *arg);

/* Optional filter of lw_process_each_context: false skips a context whose acquired lock is
 * lock_id before its held list is even decoded. */
typedef bool (*lw_context_want)(uint32_t lock_id, void *arg);

/*
 * Calls fn for every context of p (that want, if not NULL, accepts), in log order: the contexts p
 * holds, or, when the reader dropped them (p->ctx_source), the CONTEXT records its read saw, read
 * again from the file (then each record is its own context, count 1: identical ones are not
 * merged). A file that changed since then gives what can still be read of those records and one
 * warning line on stderr; returns -1 then, 0 otherwise. Analyses need no other access to contexts.
 */
int lw_process_each_context(const lw_process *p, lw_context_want want, lw_context_fn fn, void *arg);

/* Frees what p->ctx_source holds (lw_process_free calls it; safe on NULL). */
void lw_ctx_source_free(struct lw_ctx_source *s);

/*
 * Loads every path into m: a file is read as a log; a directory contributes every file named
 * lockwatch.*.log directly inside it (sorted by name). Returns 0, or -1 on the first unreadable
 * input with err set (m then holds what was loaded before and must still be freed). A directory
 * with no logs is an error too.
 */
int lw_model_load(lw_model *m, char *const *paths, size_t n, char *err, size_t errlen);

/* Frees one process (safe on a zeroed one). */
void lw_process_free(lw_process *p);

#endif /* LOCKWATCH_LOG_READER_H */
