/*
 * API-misuse findings: turns the MISUSE records the recorder wrote (lw_process.misuses) into
 * findings of kind LW_KIND_API_MISUSE, one per distinct (misuse, lock, call stack) of a process;
 * repeats of the same record (several threads, several runs of a loop) raise its occurrences.
 * A misuse happened, so such a finding is never harmless. The subkind names are public
 * (docs/report-schema.md): see lw_misuse_subkind.
 */
#ifndef LOCKWATCH_MISUSE_H
#define LOCKWATCH_MISUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "model.h"

/* Appends one finding per distinct misuse record of p to out; returns the number added. */
size_t lw_analyze_misuse(const lw_process *p, lw_findings *out);

/* The subkind name of a misuse (enum lw_misuse_kind), e.g. "unlock-by-non-owner"; "unknown"
 * for a value this analyzer does not know. */
const char *lw_misuse_subkind(uint32_t misuse);

/* True for the pthread-key misuses (LW_MISUSE_KEY_*), reported as tls-misuse (tls_misuse.h)
 * rather than api-misuse. */
static inline bool lw_misuse_is_tls(uint32_t misuse)
{
    return misuse >= LW_MISUSE_KEY_NEVER_CREATED && misuse <= LW_MISUSE_KEY_LEAK;
}

/* Parses a subkind name back to its enum lw_misuse_kind value; 0 if unknown. */
uint32_t lw_misuse_parse(const char *name);

#endif /* LOCKWATCH_MISUSE_H */
