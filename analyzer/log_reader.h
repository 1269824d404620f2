/*
 * Reading lockwatch logs (include/lockwatch/log_format.h) into the model (model.h). Logs are
 * untrusted: every length and count is bounds-checked. A damaged header is an error; damage
 * after a valid header stops reading at the damage and keeps everything read before it
 * (lw_process.truncated / .damage), because a log cut short by a crash is still worth reporting.
 */
#ifndef LOCKWATCH_LOG_READER_H
#define LOCKWATCH_LOG_READER_H

#include <stddef.h>

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
