/*
 * Finding fingerprints: a short, stable identity for "the same bug" across runs, processes and
 * machines, used by baselines, suppressions (fingerprint=), cross-log deduplication and SARIF
 * partialFingerprints. A fingerprint is built only from names that survive a rebuild and a
 * rerun: the finding kind and subkind, lock names (global symbol, or the function and file that
 * created a heap lock: its class) and, per lock-order edge, the functions (with file basenames)
 * that took the held and the acquired lock. Addresses, pids, thread ids, line numbers and the
 * order in which a cycle was found are left out, so ASLR, reruns and code motion elsewhere in a
 * file keep the fingerprint; renaming a lock or a locking function changes it (docs/ci.md).
 */
#ifndef LOCKWATCH_FINGERPRINT_H
#define LOCKWATCH_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "naming.h"

/* Length of a fingerprint in hex digits (the string needs one more byte). */
#define LW_FINGERPRINT_LEN 16

/* The version tag of the fingerprint recipe (SARIF partialFingerprints key, baseline header). */
#define LW_FINGERPRINT_KEY "lockwatch/v1"

/* 64-bit FNV-1a of s (pure; the hash behind every fingerprint). */
uint64_t lw_fingerprint_hash(const char *s);

/*
 * The canonical text a fingerprint hashes, malloc'd, e.g.
 * "lock-order-inversion: 'a'>'b' held thread_0(abba.c) acquired thread_0(abba.c); ...".
 * Edge keys are sorted, so the rotation a cycle was found in does not matter.
 */
char *lw_fingerprint_text(lw_namer *n, const lw_finding *f);

/* The stable name of a lock for fingerprints: "'a'", "'forks+0x28'", or "mutex@new_acct(x.c)". */
void lw_fingerprint_lock(lw_namer *n, const lw_process *p, uint32_t lock_id, char *buf, size_t len);

/* Writes f's fingerprint (LW_FINGERPRINT_LEN hex digits and a NUL) to hex. */
void lw_fingerprint(lw_namer *n, const lw_finding *f, char hex[LW_FINGERPRINT_LEN + 1]);

#endif /* LOCKWATCH_FINGERPRINT_H */
