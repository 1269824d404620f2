/*
 * Thread-local misuse findings (kind LW_KIND_TLS_MISUSE). Two sources: the pthread-key misuses
 * the recorder finds without recompilation (MISUSE records of kinds LW_MISUSE_KEY_*), and, in
 * race mode, TLS_ACCESS records (another thread's TLS touched, or an ended thread's TLS or stack).
 * One finding per distinct (subkind, key or variable, call stack) of a process; repeats raise
 * its occurrences. The subkind names are public (docs/report-schema.md): see lw_tls_subkind.
 */
#ifndef LOCKWATCH_TLS_MISUSE_H
#define LOCKWATCH_TLS_MISUSE_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "model.h"

/* Public subkind names of tls-misuse findings. */
#define LW_TLS_SUB_KEY_NEVER_CREATED "key-never-created"
#define LW_TLS_SUB_KEY_DELETED "key-deleted"
#define LW_TLS_SUB_KEY_DELETE_LIVE "key-deleted-with-values"
#define LW_TLS_SUB_KEY_LEAK "key-value-leak"
#define LW_TLS_SUB_CROSS_THREAD "cross-thread-access"
#define LW_TLS_SUB_AFTER_EXIT "use-after-exit"

/* Appends one finding per distinct key misuse and TLS access of p to out; returns how many. */
size_t lw_analyze_tls_misuse(const lw_process *p, lw_findings *out);

/* The subkind of a TLS_ACCESS kind (enum lw_tls_access_kind); "unknown" for other values. */
const char *lw_tls_access_subkind(uint32_t kind);

#endif /* LOCKWATCH_TLS_MISUSE_H */
