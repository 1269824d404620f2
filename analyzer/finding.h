/*
 * Findings: the one data type every analysis produces and every renderer prints. Renderers never
 * analyse; filters (suppressions, baselines, gates) act on findings. Kinds are a public, closed
 * set (docs/report-schema.md): later work adds producers, not kind names.
 */
#ifndef LOCKWATCH_FINDING_H
#define LOCKWATCH_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef enum lw_finding_kind {
    LW_KIND_LOCK_ORDER_INVERSION = 0,
    LW_KIND_DEADLOCK,
    LW_KIND_DATA_RACE,
    LW_KIND_UNPROTECTED_INCREMENT,
    LW_KIND_TLS_MISUSE,
    LW_KIND_API_MISUSE,
    LW_KIND_COUNT
} lw_finding_kind;

/* The JSON/SARIF name of a kind, e.g. "lock-order-inversion". */
const char *lw_kind_name(lw_finding_kind k);
/* Parses a kind name; returns -1 if unknown. */
int lw_kind_parse(const char *name);

/*
 * One lock-order edge as a finding shows it: thread `thread_id` acquired `to_lock` (at
 * `to_stack`) while holding `from_lock` (acquired at `from_stack`), with `gates` also held.
 */
typedef struct lw_finding_edge {
    uint32_t from_lock, to_lock;
    uint32_t thread_id;
    uint32_t seq;
    uint32_t from_stack, to_stack;
    uint32_t acq_flags; /* LW_ACQ_* of the to_lock acquisition */
    uint32_t *gates;
    size_t n_gates;
} lw_finding_edge;

/*
 * One blocked thread of a deadlock finding: thread_id waits (wait_kind, enum lw_wait_kind) for
 * lock_id (lock waits) or for target_thread (the lock's owner, or the joinee), blocked at
 * stack_id, holding held[0..n_held). wait_addr is the object waited on (the condvar for a
 * condition wait).
 */
typedef struct lw_finding_wait {
    uint32_t thread_id;
    uint32_t wait_kind;
    uint32_t lock_id;       /* 0 when not a lock wait */
    uint32_t target_thread; /* 0 if unknown */
    uint32_t stack_id;      /* 0 if not captured */
    uint64_t wait_addr;
    uint64_t wait_ns;
    uint32_t *held; /* lock ids, outermost first (at most LW_DEADLOCK_MAX_HELD listed) */
    size_t n_held;
    uint32_t n_held_total; /* locks held in all, listed or not */
} lw_finding_wait;

/*
 * What a tls-misuse finding (tls_misuse.h) adds to the single-site fields below. Key subkinds:
 * `key` is the pthread key. Access subkinds: the owner of the memory, the variable (an STT_TLS
 * symbol, NULL if unnamed or a stack address), where the owner ended, and the owner's
 * pthread_create of the accessing thread when the owner created it (a likely handoff point).
 */
typedef struct lw_finding_tls {
    bool has_key;
    uint64_t key;
    uint32_t owner_thread;
    uint32_t region;     /* enum lw_tls_region, 0 for key subkinds */
    char *variable;      /* owned; NULL if unknown */
    uint64_t tls_offset; /* offset of the access in the module's TLS block */
    uint32_t size;
    bool is_write;
    uint32_t exit_stack;    /* owner's exit, 0 if unknown */
    uint32_t handoff_stack; /* the owner's pthread_create of the accessor, 0 if not that */
} lw_finding_tls;

/* One access of a data-race or unprotected-increment finding (race.h). */
typedef struct lw_finding_access {
    uint32_t thread_id; /* 0 if unknown */
    uint32_t stack_id;
    uint32_t flags;   /* LW_RACE_ACC_*: write (else read), rmw, top-only stack */
    uint32_t n_locks; /* locks held in all; locks[] lists min(n_locks, LW_RACE_MAX_LOCKS) */
    uint32_t locks[LW_RACE_MAX_LOCKS];
    uint64_t address;
    uint32_t size;
} lw_finding_access;

/* What a race finding adds: the location and both accesses ([0] earlier, [1] the later one,
 * which found the race). Subkind "predictive" when the run ordered them only through a lock that
 * protects neither. */
typedef struct lw_finding_race {
    uint64_t address; /* first byte both accesses touch */
    uint32_t size;    /* bytes both touch */
    lw_finding_access access[2];
    unsigned records; /* RACE records folded into this finding */
} lw_finding_race;

typedef struct lw_finding {
    lw_finding_kind kind;
    char *subkind; /* NULL when the kind has none; "single-thread" for a one-thread cycle */
    bool harmless; /* judged unable to fail (shown only with --all) */
    char *reason;  /* why harmless, or NULL */
    const lw_process *proc;
    uint32_t *locks; /* the cycle's locks in order: locks[i] -> locks[i+1 mod n] */
    size_t n_locks;
    lw_finding_edge *edges; /* edges[i] is locks[i] -> locks[(i+1) % n_locks] */
    size_t n_edges;
    uint32_t *threads; /* distinct threads involved */
    size_t n_threads;
    unsigned occurrences;   /* how many times merged logs/contexts reproduced this finding */
    lw_finding_wait *waits; /* LW_KIND_DEADLOCK: the blocked threads (deadlock.h) */
    size_t n_waits;
    /* Filled by lw_findings_merge (merge.h); empty before. */
    char fingerprint[17]; /* fingerprint.h: 16 hex digits, stable across runs; "" if unset */
    const char **logs;    /* log paths (borrowed from the model) the finding was seen in */
    size_t n_logs;
    /* Single-site findings (LW_KIND_API_MISUSE, misuse.h): threads[0] made the call at
     * stack_id; other_thread is the lock's owner or holder involved (0 if none). */
    uint32_t stack_id;
    uint32_t other_thread;
    uint64_t address;     /* the object concerned (a condvar has no lock id), 0 if none */
    uint64_t freed_block; /* destroy-locked by a free: the block given back; else 0 */
    lw_finding_tls *tls;  /* LW_KIND_TLS_MISUSE only (owned), else NULL */
    lw_finding_race
        *race; /* LW_KIND_DATA_RACE / LW_KIND_UNPROTECTED_INCREMENT (owned), else NULL */
} lw_finding;

typedef struct lw_findings {
    lw_finding *items;
    size_t n, cap;
} lw_findings;

/* Appends a zeroed finding and returns it (aborts on out-of-memory, like all analyzer allocs). */
lw_finding *lw_findings_add(lw_findings *fs);
/* Frees one finding's contents. */
void lw_finding_free(lw_finding *f);
/* Frees all findings. */
void lw_findings_free(lw_findings *fs);
/* Number of findings that are not harmless. */
size_t lw_findings_count_real(const lw_findings *fs);

#endif /* LOCKWATCH_FINDING_H */
