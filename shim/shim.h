/*
 * Internal declarations shared by the files of liblockwatch.so (the recorder). Nothing here is
 * exported: only the interposed functions carry LW_EXPORT. See docs/design.md ("The recorder")
 * for the rules every function reachable from a wrapper must follow: no malloc, no stdio, no
 * global lock and no syscall on the hot path; errno preserved; safe to re-enter.
 */
#ifndef LOCKWATCH_SHIM_H
#define LOCKWATCH_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockwatch/log_format.h"

#define LW_EXPORT __attribute__((visibility("default")))
#define LW_HIDDEN __attribute__((visibility("hidden")))
#define LW_LIKELY(x) __builtin_expect(!!(x), 1)
#define LW_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LW_TLS __thread __attribute__((tls_model("initial-exec")))
#define LW_KEYS_MAX 1024u /* PTHREAD_KEYS_MAX on glibc */

/* ---- global state (lifecycle.c) ---- */

/* 0: not initialised (pass everything through), 1: recording, 2: disabled for good. */
extern _Atomic int lw_state;
#define LW_STATE_RECORDING 1

enum lw_deadlock_action { LW_ON_DEADLOCK_ABORT, LW_ON_DEADLOCK_EXIT, LW_ON_DEADLOCK_CONTINUE };

struct lw_options {
    char log_dir[LW_PATH_MAX];
    unsigned stack_depth;
    unsigned verbose;
    unsigned deadlock_action; /* enum lw_deadlock_action */
    unsigned deadlock_exit_code;
    unsigned deadlock_timeout_ms;
    char watch[LW_PATH_MAX]; /* watch.c: "name,name@module", empty = no watches */
    bool mutex_fast_path;    /* glibc_mutex_fast.h may be used */
};
extern struct lw_options lw_opts;

/* Parses a LOCKWATCH_OPTIONS string into opts (defaults first). On error returns -1 and writes
 * a one-line message into err. No malloc: safe in the constructor. */
int lw_options_parse(const char *text, struct lw_options *opts, char *err, size_t errlen);

/* Writes a message to stderr with raw write(2) (no stdio in the shim). */
void lw_say(const char *a, const char *b, const char *c);

/* Formats v in decimal into buf (at least 21 bytes; no stdio); returns the length. */
size_t lw_fmt_u64(char *buf, uint64_t v);

/* Monotonic time in ns (vDSO clock_gettime: no syscall on Linux). */
uint64_t lw_now_ns(void);

/* ---- per-thread state (thread_state.c) ---- */

/* The part of a held entry that the per-thread lock-id cache already knows: copied as one
 * 64-bit word on every push. */
struct lw_held_meta {
    uint32_t lock_id;
    uint16_t flags;      /* LW_ACQ_* (0 in a cache entry) */
    uint8_t kind;        /* LW_LOCK_* */
    uint8_t fast_unlock; /* pthread_mutex_unlock may pop it before the real call (see below) */
};
/* hot_path.h sets the flags by OR-ing them into bits 32..47 of the copied word. */
_Static_assert(sizeof(struct lw_held_meta) == 8 && offsetof(struct lw_held_meta, flags) == 4,
               "lw_held_meta is copied as one little-endian 64-bit word");

/* One lock the thread holds. fast_unlock is set for mutexes whose unlock cannot fail and has
 * nothing to record (normal or adaptive type, not robust, priority-inherit or -protect, race
 * mode off): their unlock wrapper pops the entry and tail-calls glibc. A recursive relock never
 * has it (recursive type), so recursion > 0 implies fast_unlock == 0. */
struct lw_held {
    uintptr_t addr;
    union {
        struct lw_held_meta meta;
        struct {
            uint32_t lock_id;
            uint16_t flags;
            uint8_t kind;
            uint8_t fast_unlock;
        };
    };
    uintptr_t ret_pc;   /* return address of the acquiring call */
    uintptr_t frame;    /* the wrapper's frame address, to rebuild the stack later */
    uint32_t stack_id;  /* 0 until the first context that needs it */
    uint32_t recursion; /* extra relocks of a recursive mutex (or read relocks) */
};

/* Per-thread cache of lock ids (hot_path.h): 32 bytes, so an index is one shift. */
#define LW_LCACHE_SIZE 64
struct lw_lock_cache {
    uintptr_t addr;
    const _Atomic uint64_t *ident; /* the lock table slot's identity word */
    struct lw_held_meta meta;      /* lock id (checked against ident), kind, fast_unlock */
    uint64_t reserved;
};

struct lw_thread {
    uint32_t id;
    uint32_t seq;
    uint64_t os_tid;
    /* held locks, outermost first */
    struct lw_held *held;
    uint32_t n_held, cap_held;
    /* set of recorded contexts (open addressing over 64-bit keys, 0 = empty) */
    uint64_t *ctx_keys;
    uint32_t ctx_cap, ctx_count;
    /* current log chunk */
    char *chunk;
    uint32_t chunk_pos, chunk_size, chunk_seq;
    uint64_t lock_ops;
    bool exited;
    /* What the thread is blocked in right now, for the deadlock watchdog (watchdog.c). Written
     * by the thread itself just before it blocks, read by the watchdog. wait_seq changes at
     * every new wait, so two scans that see the same value saw one uninterrupted wait. */
    _Atomic uint32_t wait_kind; /* enum lw_wait_kind */
    _Atomic uint32_t wait_timed;
    _Atomic uint64_t wait_obj;
    _Atomic uint64_t wait_seq;
    _Atomic uint32_t wait_target;   /* joinee thread id for LW_WAIT_JOIN */
    _Atomic uint32_t blocked_stack; /* set by the watchdog's stack request */
    int registry_slot;
    uint64_t pthread;                    /* pthread_self() of the thread */
    uint32_t sync_bumps;                 /* seq advances caused by semaphore handoffs (capped) */
    uint32_t dtor_rounds;                /* calls of the state key's destructor (thread_state.c) */
    uint64_t key_bits[LW_KEYS_MAX / 64]; /* pthread keys this thread set non-NULL */
    struct lw_thread *next_free;         /* free list of recycled states (thread_state.c) */
    struct lw_rec_wait_state *wait_rec;  /* this thread's WAIT_STATE record in the log */
    struct lw_lock_cache lcache[LW_LCACHE_SIZE];
    /* The last one-lock-held context, as (held id | acquired id << 32) and (seq | flags << 32):
     * a loop that nests the same two locks skips the context hash and probe (hot_path.h). 0 is
     * never a valid memo (lock ids are not 0). */
    uint64_t memo_ids, memo_seq_flags;
    struct lw_held held_inline[32];
};

/* The calling thread's state, creating it if needed; NULL if it cannot be created (then the
 * caller passes through). */
struct lw_thread *lw_thread_get(void);
/* The shim's thread-local words, in one variable so that a wrapper computes one TLS address. */
struct lw_tls {
    struct lw_thread *thread; /* this thread's state, NULL until created and after its end */
    int depth;                /* 1 while the thread runs inside the shim (re-entrancy guard) */
};
extern LW_TLS struct lw_tls lw_tls;
/* Slow half of lw_enter: creates the thread's state (resets the depth on failure). */
struct lw_thread *lw_enter_slow(void);

/* The calling thread's state if it exists. */
static inline struct lw_thread *lw_thread_peek(void)
{
    return lw_tls.thread;
}

/* Re-entrancy guard: returns the thread state if the caller may record now and marks the
 * thread as inside the shim; NULL means "pass straight through". Pair with lw_leave(). Inline:
 * it is on every lock and unlock. */
static inline struct lw_thread *lw_enter(void)
{
    if (LW_UNLIKELY(atomic_load_explicit(&lw_state, memory_order_relaxed) != LW_STATE_RECORDING))
        return NULL;
    if (lw_tls.depth)
        return NULL;
    lw_tls.depth = 1;
    struct lw_thread *t = lw_tls.thread;
    return LW_LIKELY(t) ? t : lw_enter_slow();
}

static inline void lw_leave(void)
{
    lw_tls.depth = 0;
}

/* A thread is ending (return, pthread_exit, thrd_exit): one misuse per lock it still holds
 * (unless that lock has been destroyed since). */
void lw_thread_report_held_at_exit(struct lw_thread *t);
/* Writes THREAD_EXIT for t once. */
void lw_thread_exit_record(struct lw_thread *t);
/* Allocates a new thread id. */
uint32_t lw_thread_new_id(void);
/* Sets up the calling thread (started by our pthread_create trampoline) as id with its parent. */
struct lw_thread *lw_thread_start(uint32_t id, uint32_t parent, uint32_t parent_seq,
                                  uint32_t create_stack);
/* Forget all contexts recorded (after fork: the child's log starts empty). */
void lw_thread_reset_for_child(struct lw_thread *t);
/* The shim's own pthread key (keys below it were created before lockwatch started). */
unsigned lw_thread_own_key(void);
/* Last destructor round of thread t: tls-misuse for values that will never be destroyed. */
void lw_key_check_leaks(struct lw_thread *t);
/* Creates the pthread key whose destructor releases a thread's state. */
void lw_thread_init_key(void);
uint32_t lw_threads_seen(void);
/* Lock acquisitions observed so far, all threads (approximate; for the END record). */
uint64_t lw_lock_ops_total(void);

/* Marks t as about to block in `kind` on obj (timed: the wait has a timeout) / as running. */
void lw_wait_begin(struct lw_thread *t, uint32_t kind, uint64_t obj, bool timed, uint32_t target,
                   uintptr_t call_pc);
void lw_wait_end(struct lw_thread *t);
/* The registry of live thread states, for the watchdog. States are never unmapped (they are
 * recycled), so reading a stale pointer is memory-safe; callers validate what they read. */
#define LW_REGISTRY_SLOTS 65536
struct lw_thread *lw_registry_at(int slot);
int lw_registry_high(void);

/* ---- deadlock watchdog (watchdog.c) ---- */
/* Starts the watchdog thread once (the program has a second thread now). */
void lw_watchdog_start(void);
/* The calling thread is about to relock a non-recursive mutex it owns: report it now. */
void lw_report_self_relock(struct lw_thread *t, uintptr_t addr, uint32_t lock_id);
/* Same for a spin lock the thread holds (not inside the shim on entry). */
void lw_report_self_spin(struct lw_thread *t, uintptr_t addr);
void lw_report_self_relock_kind(struct lw_thread *t, uintptr_t addr, uint32_t lock_id,
                                uint16_t kind);
/* After fork, in the child: the watchdog thread does not exist there. */
void lw_watchdog_after_fork(void);

/* Maps pthread_t values to thread ids (for join). */
void lw_tid_map_init(void);
void lw_tid_map_put(uint64_t pthread, uint32_t id);
uint32_t lw_tid_map_get(uint64_t pthread);
void lw_tid_map_del(uint64_t pthread);

/* ---- memory (mem.c): mmap-backed, never malloc ---- */
void *lw_mmap_zero(size_t size);
void lw_munmap(void *p, size_t size);

/* ---- heap (intercept_free.c) ---- */

/* Resolves the allocator's free, realloc and malloc_usable_size (constructor; the wrappers also
 * resolve lazily). */
void lw_heap_resolve(void);

/* ---- lock table (lock_table.c) ---- */

/* Returns the id of the current lifetime of the lock at addr, creating one (with a first-use
 * stack captured from the caller) if the address has none. 0 if the table is full. */
uint32_t lw_lock_id(uintptr_t addr, uint16_t kind, uint32_t type_flags);
/* Starts a new lifetime at addr (init): new id, init stack from the caller. */
uint32_t lw_lock_init(uintptr_t addr, uint16_t kind, uint32_t type_flags, uintptr_t ret_pc);
/* lw_lock_id for the acquisition path: a new lifetime is named by ret_pc (no unwinding), and
 * *ident_out (if given) receives the slot's identity word, which the per-thread cache checks. */
uint32_t lw_lock_lookup(uintptr_t addr, uint16_t kind, uint32_t type_flags, uintptr_t ret_pc,
                        const _Atomic uint64_t **ident_out);
/* Ends the lifetime at addr (destroy). */
void lw_lock_destroy(uintptr_t addr);
/* Ends the lifetimes of all locks in [lo, hi) (heap memory given back), calling each(addr, arg)
 * (if not NULL) for every lock just before its lifetime ends. */
void lw_lock_forget_range(uintptr_t lo, uintptr_t hi, void (*each)(uintptr_t addr, void *arg),
                          void *arg);
/* False if no lock ever lived in [lo, hi) (a filter: true may be a false alarm). Cheap: a load
 * per 64 KiB. */
bool lw_lock_maybe_in(uintptr_t lo, uintptr_t hi);
/* Writes the LOCK record for id (found at addr) into the log unless already written. */
void lw_lock_describe(struct lw_thread *t, uintptr_t addr, uint32_t id, uint16_t kind);
/* The id of the current lifetime at addr, 0 if none; never creates one (safe anywhere). */
uint32_t lw_lock_peek_id(uintptr_t addr);
/* Sets the LW_LOCKF_* flag (LOCK_LIKE, SEM_SIGNAL) on the lifetime id at addr, which its LOCK
 * record will carry; true the first time. */
bool lw_lock_mark(uintptr_t addr, uint32_t id, uint32_t flag);
/* Reserves the table (constructor). */
void lw_lock_table_init(void);

/* ---- stacks (stack_depot.c) ---- */

/* Captures the caller's stack (frames outside the shim only) and interns it. 0 on failure. */
uint32_t lw_stack_capture(void);
/* Captures the current stack and, for each held entry lacking a stack id, rebuilds the stack
 * of its acquisition from its call site and the caller frames still live. Returns the current
 * stack's id. */
uint32_t lw_stack_capture_with_held(struct lw_held *held, uint32_t n_held);
/* Interns frames; returns the id (>= 1) or 0 when the depot is full. */
uint32_t lw_stack_intern(const uint64_t *frames, uint32_t n, uint32_t flags);
/* Writes the STACK record for id into the log unless it is already in this log. */
void lw_stack_ensure_written(struct lw_thread *t, uint32_t id);
/* The innermost frame of stack id (its class pc for locks), 0 if none. */
uint64_t lw_stack_top(uint32_t id);
/* True if pc is in the shim's own code (or libunwind's). */
bool lw_stack_is_internal(uintptr_t pc);
/* True if the calling thread's stack has a return address in one of the n code ranges
 * [lo[k], hi[k]): is it running inside those functions? (Unwinds: for rare calls only.) */
bool lw_stack_passes_through(const uintptr_t *lo, const uintptr_t *hi, int n);
/* True if the calling thread is inside exit() or quick_exit() (their handlers, static
 * destructors): the process is ending, and no thread's destructors will run any more. Call it
 * inside the shim (lw_enter): it unwinds, and the unwinder's locks must not be recorded. */
bool lw_process_exiting(void);
/* Address range of the shim's own code, so captured stacks can drop its frames. */
void lw_stack_init(void);
extern _Atomic uint64_t lw_stacks_written;

/* ---- log (log_writer.c) ---- */

/* Opens the log file for this process; returns 0 or -1 (message already printed). */
int lw_log_open(void);
/* Reserves `size` bytes (a multiple of 8, header included) in t's chunk and returns a pointer
 * to the record; fill the body then call lw_log_publish. NULL if the log is full or closed. */
void *lw_log_reserve(struct lw_thread *t, uint32_t size);
/* Publishes a record filled after lw_log_reserve: stores its header last, with release. */
void lw_log_publish(struct lw_thread *t, void *rec, uint16_t type, uint8_t flags, uint32_t size);
/* Gives the unused tail of t's chunk to later threads (t is ending). */
void lw_log_release_chunk(struct lw_thread *t);
/* Writes the END record, marks the file clean and trims it; once per log (later calls return). */
void lw_log_close(int exit_status);
/* True if the open log is this process's own: false in a vfork child (or a raw clone), which
 * shares the parent's mapping and must never write into it. Makes a getpid system call. */
bool lw_log_is_this_process(void);
/* Marks the log as ending by exec (pending: just before the call) or not (the call failed).
 * Nothing in a process that does not own the log (a vfork child: its exec is its own). */
void lw_log_mark_exec(bool pending);
/* Ends the process now with status, without an END record (the watchdog after a deadlock
 * report with on_deadlock=exit: the log stays as a deadlocked process leaves it). */
_Noreturn void lw_exit_without_end(int status);
/* After fork in the child: drops the parent's mapping and opens the child's own log. */
void lw_log_reopen_in_child(void);
/* Counts a dropped item (reported in a DROPPED record at the end). */
void lw_log_drop(enum lw_drop_reason reason);
extern _Atomic uint64_t lw_contexts_written;
extern _Atomic uint32_t lw_log_generation;

/* ---- modules (modules.c) ---- */
/* Writes MODULE records for every loaded object not yet in this log. */
void lw_modules_record(struct lw_thread *t);
void lw_modules_new_log(void);
struct dl_phdr_info;
/* The address range [lo, hi) covered by an object's PT_LOAD segments (hi <= lo: none). */
void lw_object_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi);
/* Path of the main program (/proc/self/exe). */
const char *lw_exe_path(void);

/* ---- lock order (lock_order.c) ---- */

/* lw_on_acquire / lw_on_release: see hot_path.h. */

/* ---- misuse (misuse.c) ---- */
struct lw_misuse_info {
    uint32_t misuse; /* enum lw_misuse_kind */
    uint32_t lock_id;
    uint16_t lock_kind;
    uint32_t other_thread;
    uint32_t other_lock_id;
    uintptr_t address;
    uintptr_t other_address;
};
/* Records a misuse once per (misuse, object, call site) per thread; t is inside the shim. */
void lw_misuse(struct lw_thread *t, const struct lw_misuse_info *m, uintptr_t ret_pc);
/* lockwatch thread id of the thread with kernel tid os_tid, 0 if unknown. */
uint32_t lw_thread_id_by_tid(uint64_t os_tid);
/* Test-and-set on t's set of recorded keys (contexts, misuses). */
bool lw_ctx_test_and_set(struct lw_thread *t, uint64_t key);

/* ---- thread memory ranges and tls-misuse (thread_ranges.c) ---- */
/* Registers the calling thread's stack and static TLS ranges (race mode only; called at the end
 * of thread_create, inside the shim). */
void lw_thread_ranges_start(struct lw_thread *t);
/* The calling thread t is ending: keeps its ranges marked dead with the exit stack. Race mode
 * calls it from lw_thread_ending. */
void lw_thread_ranges_exit(struct lw_thread *t);
/* In a forked child: releases the ranges' lock, which a thread that is gone may have held. */
void lw_thread_ranges_after_fork(void);
/* Race mode's slow path: t accessed [addr, addr + size) at stack_id (0: captured here); records
 * a TLS_ACCESS if that is another live thread's TLS or an ended thread's TLS or stack. */
void lw_tls_check_access(struct lw_thread *t, uintptr_t addr, uint32_t size, bool is_write,
                         uint32_t stack_id);

/* ---- address maps (addr_map.c) ---- */
struct lw_addr_map;
extern struct lw_addr_map *const lw_sem_posts;    /* sem -> (poster id << 32 | poster seq) */
extern struct lw_addr_map *const lw_cond_mutexes; /* condvar -> (mutex addr) while waited */
void lw_addr_map_init(void);
void lw_addr_map_set(struct lw_addr_map *m, uint64_t key, uint64_t value);
uint64_t lw_addr_map_exchange(struct lw_addr_map *m, uint64_t key, uint64_t value);
/* The value cell of key (inserted if new), for CAS updates; NULL when the map is full. */
_Atomic uint64_t *lw_addr_map_cell(struct lw_addr_map *m, uint64_t key);

/* ---- fork (fork_held.c) ---- */
/* In the child's fork handler, before the registry is reset: locks other threads held. */
void lw_fork_collect_held(struct lw_thread *self);
/* Writes them into the child's new log. */
void lw_fork_write_held(struct lw_thread *t);
/* Before a blocking acquisition of addr by t: reports taking a lock held at fork. */
void lw_check_fork_held(struct lw_thread *t, uintptr_t addr);

/* ---- real functions (real.c) ---- */
/* Resolves `name` in the next object after the shim; NULL if absent. */
void *lw_real_resolve(const char *name);
void lw_real_resolve_all(void);
/* Resolves the versioned condvar functions (intercept_cond.c). */
void lw_cond_resolve(void);

/* 64-bit mixer (splitmix64 finaliser): spreads keys for open addressing. */
static inline uint64_t lw_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

#endif /* LOCKWATCH_SHIM_H */
