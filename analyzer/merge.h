/*
 * Merging findings across logs: the processes of one run, or many runs, give one deduplicated
 * list. Findings with the same fingerprint (fingerprint.h) and the same harmlessness become one
 * finding that counts every occurrence and lists every log it was seen in; the first one found
 * (in log order) is kept as the representative whose stacks are shown.
 */
#ifndef LOCKWATCH_MERGE_H
#define LOCKWATCH_MERGE_H

#include "finding.h"
#include "naming.h"

/*
 * Fingerprints every finding of fs (lw_finding.fingerprint), then merges duplicates in place:
 * occurrences are summed and logs (lw_finding.logs) collected, without repeats. Keeps the order
 * of first appearance. Returns the number of findings removed.
 */
size_t lw_findings_merge(lw_findings *fs, lw_namer *n);

/* Adds path to f's logs unless it is already there (pure; used by the merge and by tests). */
void lw_finding_add_log(lw_finding *f, const char *path);

/* Removes fs->items[i] (freed) keeping the order of the rest. */
void lw_findings_remove(lw_findings *fs, size_t i);

#endif /* LOCKWATCH_MERGE_H */
