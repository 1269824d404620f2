/*
 * Suppressions: a small text format that silences findings people have judged acceptable (a
 * third-party library, a legacy lock order). One entry per line, '#' starts a comment:
 *
 *     [KIND[/SUBKIND]:]KEY=GLOB
 *
 * KIND is a finding kind (finding.h) or '*'; without it the entry applies to every kind. KEY is
 * function, file, lock, module or fingerprint. GLOB is an fnmatch(3) pattern ('*' also matches
 * '/'). An entry matches a finding when the kind matches and the glob matches the KEY of any
 * frame of the finding's lock-order stacks (function; file as shown in reports, as recorded,
 * or its basename; module path or basename), any of its locks (symbol, short name, or class
 * name as in fingerprints) or its fingerprint. docs/ci.md documents the format.
 */
#ifndef LOCKWATCH_SUPPRESSIONS_H
#define LOCKWATCH_SUPPRESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "finding.h"
#include "naming.h"

typedef enum lw_supp_key {
    LW_SUPP_FUNCTION,
    LW_SUPP_FILE,
    LW_SUPP_LOCK,
    LW_SUPP_MODULE,
    LW_SUPP_FINGERPRINT,
    LW_SUPP_KEY_COUNT
} lw_supp_key;

typedef struct lw_suppression {
    int kind;      /* lw_finding_kind, or -1 for any */
    char *subkind; /* NULL: any subkind */
    lw_supp_key key;
    char *glob;
    unsigned line; /* line in the file, for messages */
    size_t hits;   /* findings it suppressed */
} lw_suppression;

typedef struct lw_suppressions {
    lw_suppression *items;
    size_t n;
} lw_suppressions;

/* What a finding offers to match against: one list of strings per key. */
typedef struct lw_finding_facts {
    char **values[LW_SUPP_KEY_COUNT];
    size_t n[LW_SUPP_KEY_COUNT];
} lw_finding_facts;

/* The name of a key ("function", ...). */
const char *lw_supp_key_name(lw_supp_key k);

/*
 * Parses suppressions from text (the contents of file `name`) and appends them to s. Returns 0,
 * or -1 with err set to "NAME:LINE: expected ..., got '...'" for the first bad line.
 */
int lw_suppressions_parse(lw_suppressions *s, const char *text, const char *name, char *err,
                          size_t errlen);
/* Reads and parses a suppressions file; same contract, plus I/O errors naming the file. */
int lw_suppressions_load(lw_suppressions *s, const char *path, char *err, size_t errlen);
/* Frees everything s owns and empties it. */
void lw_suppressions_free(lw_suppressions *s);

/* Collects the facts of f (symbolizing through n). Free with lw_finding_facts_free. */
void lw_finding_facts_collect(lw_namer *n, const lw_finding *f, lw_finding_facts *out);
/* Adds one value to a facts list (pure; tests build facts by hand with it). */
void lw_finding_facts_add(lw_finding_facts *ff, lw_supp_key key, const char *value);
void lw_finding_facts_free(lw_finding_facts *ff);

/* True if entry e matches a finding of kind/subkind with the given facts (pure). */
bool lw_suppression_matches(const lw_suppression *e, int kind, const char *subkind,
                            const lw_finding_facts *ff);

/* The first entry of s matching f, or NULL; counts a hit on it. */
lw_suppression *lw_suppressions_match(lw_suppressions *s, lw_namer *n, const lw_finding *f);

/*
 * Writes ready-to-paste suppression entries for f (--print-suppressions): a comment naming the
 * finding, the exact entry (by fingerprint; f->fingerprint must be set) and broader ones,
 * commented out, by lock and function.
 */
void lw_suppressions_print_for(FILE *out, lw_namer *n, const lw_finding *f);

#endif /* LOCKWATCH_SUPPRESSIONS_H */
