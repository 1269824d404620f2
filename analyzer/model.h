/*
 * The analyzer's in-memory model of what one or more logs recorded. The log reader
 * (log_reader.c) fills it; analyses read it and never change it. Ids are the recorder's ids and
 * are only meaningful inside one process (lw_process).
 */
#ifndef LOCKWATCH_MODEL_H
#define LOCKWATCH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockwatch/log_format.h"

typedef struct lw_module {
    uint32_t id;
    uint64_t base, lo, hi;
    char *path;
    uint8_t build_id[64];
    size_t build_id_len;
} lw_module;

typedef struct lw_stack {
    uint32_t id;
    uint32_t flags; /* LW_STACK_* */
    uint32_t nframes;
    uint64_t *frames; /* innermost first */
} lw_stack;

typedef struct lw_thread {
    uint32_t id;
    uint32_t parent_id;
    uint32_t parent_seq;
    uint32_t create_stack;
    uint64_t os_tid;
    uint64_t start_ns;
    char name[16];
    bool exited;
    uint32_t final_seq; /* valid if exited */
    uint32_t held_at_exit;
} lw_thread;

typedef struct lw_join {
    uint32_t joiner_id;
    uint32_t joiner_seq;
    uint32_t joinee_id;
    uint32_t stack_id;
} lw_join;

typedef struct lw_lock {
    uint32_t id;
    uint16_t kind; /* enum lw_lock_kind */
    uint32_t flags;
    uint32_t init_stack;
    uint64_t address;
    uint64_t class_pc;
} lw_lock;

typedef struct lw_held {
    uint32_t lock_id;
    uint32_t stack_id;
    uint32_t flags;
} lw_held;

typedef struct lw_context {
    uint32_t thread_id;
    uint32_t seq;
    uint32_t lock_id;
    uint32_t acq_flags;
    uint32_t stack_id;
    uint32_t flags; /* LW_CTX_* */
    uint32_t n_held;
    /* How many identical CONTEXT records (every field above and every held entry equal) the
     * reader collapsed into this one, saturating at UINT32_MAX; 0 in a hand-built context
     * means 1. Analyses need distinct contexts only; the count is for statistics. */
    uint32_t count;
    lw_held *held; /* outermost first */
} lw_context;

/* One blocked thread of a deadlock record (struct lw_deadlock_entry, decoded). */
typedef struct lw_deadlock_wait {
    uint32_t thread_id;
    uint32_t wait_kind;     /* enum lw_wait_kind; a value this analyzer does not know is kept */
    uint32_t lock_id;       /* the lock waited for, 0 if none */
    uint32_t target_thread; /* the thread it waits for (lock owner, joinee), 0 if unknown */
    uint32_t stack_id;      /* the blocking call, 0 if not captured */
    uint32_t n_held;        /* locks held in all; only the first n_listed are in held[] */
    uint32_t n_listed;      /* min(n_held, LW_DEADLOCK_MAX_HELD) */
    uint32_t held[LW_DEADLOCK_MAX_HELD];
    uint64_t wait_addr; /* the mutex or condvar waited on; the pthread_t for a join */
    uint64_t wait_ns;   /* how long it had been waiting when reported */
} lw_deadlock_wait;

/* A deadlock the recorder saw happen (LW_REC_DEADLOCK). */
typedef struct lw_deadlock {
    uint32_t detector; /* enum lw_deadlock_detector */
    uint64_t monotonic_ns;
    lw_deadlock_wait *waits; /* for LW_DETECT_WAIT_CYCLE each waits for the next, cyclically */
    size_t n_waits;
} lw_deadlock;

/* A thread's last wait (LW_REC_WAIT_STATE, the last stable version the log holds). */
typedef struct lw_wait_state {
    uint32_t thread_id;
    uint32_t wait_kind; /* enum lw_wait_kind; LW_WAIT_NONE: it was running */
    uint32_t lock_id;
    uint32_t target_thread;
    bool timed;
    uint64_t wait_addr;
    uint64_t owner_tid;
    uint64_t since_ns;
    uint64_t call_pc;
} lw_wait_state;

/* A pthread API misuse the recorder saw (LW_REC_MISUSE, decoded; see analyzer/misuse.h). */
typedef struct lw_misuse_rec {
    uint32_t misuse;        /* enum lw_misuse_kind; a value this analyzer does not know is kept */
    uint32_t thread_id;     /* the thread that made the call */
    uint32_t lock_id;       /* the lock, condvar or semaphore concerned, 0 if unknown */
    uint32_t stack_id;      /* the call */
    uint32_t other_thread;  /* the owner (unlock by non-owner, fork-held), else 0 */
    uint32_t other_lock_id; /* the first mutex (condvar with two mutexes), else 0 */
    uint16_t lock_kind;     /* enum lw_lock_kind, 0 for a condvar */
    uint64_t address, other_address;
} lw_misuse_rec;

/* A data race the recorder found (LW_REC_RACE, decoded): cur found it, prev was earlier. */
typedef struct lw_race_rec {
    bool predictive; /* ordered only through a lock that protects neither access */
    uint64_t address;
    uint32_t size;
    struct lw_race_access cur, prev;
} lw_race_rec;

/* An access to another thread's TLS, or to an ended thread's TLS or stack (LW_REC_TLS_ACCESS,
 * decoded; see analyzer/tls_misuse.h). */
typedef struct lw_tls_access {
    uint32_t kind;   /* enum lw_tls_access_kind; a value this analyzer does not know is kept */
    uint32_t region; /* enum lw_tls_region */
    uint32_t thread_id, owner_thread;
    uint32_t stack_id, owner_exit_stack; /* 0 if unknown */
    uint32_t size;
    bool is_write;
    uint64_t address, tls_image, tls_offset;
} lw_tls_access;

/* A cross-thread ordering other than create/join (LW_REC_SYNC): from_thread's segments
 * <= from_seq happen before to_thread's segment to_seq + 1. */
typedef struct lw_sync {
    uint32_t kind; /* enum lw_sync_kind */
    uint32_t from_thread, from_seq;
    uint32_t to_thread, to_seq;
    uint32_t lock_id; /* the semaphore */
    uint64_t object;
} lw_sync;

/* Locks other threads held when this (child) process was forked (LW_REC_FORK_HELD). */
typedef struct lw_fork_held {
    uint64_t parent_pid;
    struct lw_fork_held_entry *entries;
    size_t n;
} lw_fork_held;

/*
 * Everything one log file said about one process. Arrays are in log order; the *_by_id lookups
 * below are the way to resolve ids (they return NULL for an id the log never defined, which a
 * damaged log can produce: analyses must cope).
 */
typedef struct lw_process {
    char *log_path; /* the file it came from */
    uint64_t pid, ppid;
    char *exe;
    uint64_t start_realtime_ns;
    bool clean_end;  /* an LW_REC_END record was found */
    bool exec_end;   /* the header says the process replaced its image by exec (LW_FILE_EXEC) */
    int exit_status; /* from LW_REC_END, -1 if unknown */
    bool truncated;  /* the reader stopped early on damage; what was read is kept */
    char *damage;    /* one-line description of the first damage found, or NULL */

    lw_module *modules;
    size_t n_modules;
    lw_stack *stacks;
    size_t n_stacks;
    lw_thread *threads;
    size_t n_threads;
    lw_join *joins;
    size_t n_joins;
    lw_lock *locks;
    size_t n_locks;
    /* Distinct contexts, in the order of their first record. Empty when the reader dropped
     * them (ctx_source set, see below): walk contexts with lw_process_each_context
     * (log_reader.h), which serves both cases. */
    lw_context *contexts;
    size_t n_contexts;
    uint64_t dropped[8];        /* indexed by enum lw_drop_reason */
    lw_wait_state *wait_states; /* each thread's last wait, one per thread */
    size_t n_wait_states;
    lw_deadlock *deadlocks; /* live deadlocks the recorder reported, in log order */
    size_t n_deadlocks;
    lw_misuse_rec *misuses; /* API misuses, in log order */
    size_t n_misuses;
    lw_sync *syncs; /* semaphore handoffs and other orderings, in log order */
    size_t n_syncs;
    uint32_t *lock_like; /* semaphores proved to be used as locks (LW_REC_LOCK_LIKE) and not
                          * signals (LW_REC_SEM_SIGNAL), sorted */
    size_t n_lock_like;
    lw_fork_held *fork_held; /* FORK_HELD records (a forked child's log), in log order */
    size_t n_fork_held;
    lw_tls_access *tls_accesses; /* TLS_ACCESS records (race mode), in log order */
    size_t n_tls_accesses;
    lw_race_rec *races; /* RACE records (race mode), in log order */
    size_t n_races;

    struct lw_index *index; /* private: id -> element lookups */
    /* private: when set (the log reader), every contexts[i].held points into this arena and
     * lw_process_free releases them all at once; when NULL (a hand-built process) each held
     * array is its own malloc block. */
    struct lw_arena *held_arena;
    /* private: set when the log file's contexts were over the reader's memory budget: the
     * reader then kept none of them (contexts is empty) and this says how to read them again
     * from the file (log_reader.c). NULL when contexts holds them all. */
    struct lw_ctx_source *ctx_source;
} lw_process;

/* A set of processes read from the logs named on a command line. */
typedef struct lw_model {
    lw_process *procs;
    size_t n_procs;
} lw_model;

/*
 * Builds (or rebuilds) p's id index after its arrays were filled; the log reader calls it, and
 * so may a test that builds a process by hand. Where an id occurs twice, the first element wins.
 */
void lw_process_build_index(lw_process *p);

/* Lookups by recorder id; NULL when the log never defined that id. */
const lw_stack *lw_process_stack(const lw_process *p, uint32_t id);
const lw_thread *lw_process_thread(const lw_process *p, uint32_t id);
const lw_lock *lw_process_lock(const lw_process *p, uint32_t id);
/* True if semaphore lock_id is known to be used as a lock: its lw_lock has LW_LOCKF_LOCK_LIKE
 * or the log had an LW_REC_LOCK_LIKE record for it (p->lock_like must be sorted), and it is not
 * known to be a signal (LW_LOCKF_SEM_SIGNAL). */
bool lw_process_lock_like(const lw_process *p, uint32_t lock_id);
/* The module containing pc, or NULL. */
const lw_module *lw_process_module_for(const lw_process *p, uint64_t pc);

/* Releases everything a model owns (safe on a zeroed model). */
void lw_model_free(lw_model *m);

#endif /* LOCKWATCH_MODEL_H */
