/*
 * Baselines: the findings a project has accepted for now, so that `lockwatch check --baseline
 * FILE` fails only on new ones. A baseline is a small, versioned text file, one finding per
 * line, keyed by fingerprint (fingerprint.h) and readable in review:
 *
 *     # comments
 *     lockwatch-baseline 1 lockwatch/v1
 *     0f3a9c2b5d7e8f10 lock-order-inversion 'a'>'b' held thread_0(abba.c) acquired ...
 *
 * The header names the file format version (1) and the fingerprint recipe; each entry is
 * FINGERPRINT KIND[/SUBKIND] DESCRIPTION, where only the first two fields are read back (the
 * description is the fingerprint's canonical text, for people). docs/ci.md documents it.
 */
#ifndef LOCKWATCH_BASELINE_H
#define LOCKWATCH_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "finding.h"
#include "fingerprint.h"
#include "naming.h"

#define LW_BASELINE_VERSION 1

typedef struct lw_baseline {
    char (*fps)[LW_FINGERPRINT_LEN + 1];
    size_t n;
} lw_baseline;

/* Parses baseline text (the contents of file `name`) into b. Returns 0, or -1 with err set to
 * "NAME:LINE: expected ..., got '...'". */
int lw_baseline_parse(lw_baseline *b, const char *text, const char *name, char *err, size_t errlen);
/* Reads and parses a baseline file; same contract, plus I/O errors naming the file. */
int lw_baseline_load(lw_baseline *b, const char *path, char *err, size_t errlen);
void lw_baseline_free(lw_baseline *b);
/* True if fingerprint fp is in the baseline. */
bool lw_baseline_contains(const lw_baseline *b, const char *fp);

/* Writes a baseline of the findings of fs that are not harmless (their fingerprints must be
 * set), sorted by fingerprint, each once. Returns 0, or -1 if writing failed. */
int lw_baseline_write(FILE *out, lw_namer *n, const lw_findings *fs);

#endif /* LOCKWATCH_BASELINE_H */
