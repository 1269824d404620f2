/*
 * Internal declarations of the race detector (race mode), shared by race.c (per-thread state,
 * thread slots, the synchronisation hooks), race_sync.c (clocks of synchronisation objects),
 * race_lockset.c (interned locksets), race_shadow.c (shadow memory and the access check),
 * race_report.c (RACE records) and the exported ABI (tsan_abi.c, tsan_atomic.c,
 * race_annotate.c). docs/race-mode.md explains the algorithm; this header only fixes the data.
 */
#ifndef LOCKWATCH_RACE_INTERNAL_H
#define LOCKWATCH_RACE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "race.h"
#include "shadow_entry.h"
#include "shim.h"

#define LW_RACE_SHADOW_DEPTH 64u /* frames kept of the shadow call stack */
#define LW_RACE_LOCKSET_MAX 8u   /* locks kept per lockset; more are counted, not listed */
#define LW_RACE_PC_CACHE 256u    /* per-thread pc -> one-frame stack id cache */
#define LW_RACE_LOCKSET_UNKNOWN 0xffffffffu

/* The kind of an access passed to lw_race_access_slow: a write (else a read). */
#define LW_RACE_WRITE 1ull

struct lw_shadow_ent {
    _Atomic uint64_t word;
    _Atomic uint64_t aux;
};

/*
 * Two-tier shadow. Every 8-byte granule has a compact cell of two entries (32 bytes): enough for
 * memory one thread uses, whose cell holds at most this epoch's entry and one older one. When a
 * third entry is needed (another thread's accesses, or two older ones that neither supersedes),
 * the cell is expanded: its first word becomes LW_SH_EXPANDED_WORD(i), i the index of a
 * four-entry cell from race_shadow.c's pool holding copies of the two, and the compact entries
 * are no longer read.
 */
#define LW_SHADOW_ENTS 2u
#define LW_SHADOW_XENTS 4u
struct lw_shadow_cell {
    struct lw_shadow_ent e[LW_SHADOW_ENTS];
};
struct lw_shadow_xcell {
    struct lw_shadow_ent e[LW_SHADOW_XENTS];
};
/* The pool of expanded cells: chunks of LW_XCELL_CHUNK_CELLS, mapped as needed. */
#define LW_XCELL_CHUNK_CELLS (1u << 14)
#define LW_XCELL_CHUNKS (1u << 16)
extern _Atomic(struct lw_shadow_xcell *) lw_xcell_chunks[LW_XCELL_CHUNKS];
/* The expanded cell an LW_SH_EXPANDED_WORD names (the word read with acquire order). */
static inline struct lw_shadow_xcell *lw_sh_xcell(uint64_t w)
{
    uint32_t i = LW_SH_CLOCK(w);
    return atomic_load_explicit(&lw_xcell_chunks[(i / LW_XCELL_CHUNK_CELLS) % LW_XCELL_CHUNKS],
                                memory_order_relaxed) +
           i % LW_XCELL_CHUNK_CELLS;
}

/* Two-level table: l1[addr >> LW_SHADOW_BLOCK_SHIFT] points to a block of compact cells, one
 * per 8-byte granule, mapped on first use. */
#define LW_SHADOW_BLOCK_SHIFT 20u
#define LW_SHADOW_ADDR_BITS 47u
#define LW_SHADOW_L1_ENTRIES (1ull << (LW_SHADOW_ADDR_BITS - LW_SHADOW_BLOCK_SHIFT))
#define LW_SHADOW_CELLS (1u << (LW_SHADOW_BLOCK_SHIFT - 3))
extern _Atomic(struct lw_shadow_cell *) *lw_shadow_l1;

struct lw_race_lock {
    uint64_t key; /* the lock's address */
    bool shared;  /* held in read mode */
};

struct lw_race_thread {
    uint64_t epoch_key; /* LW_SH_KEY(clock, slot), compared by the fast path */
    uint32_t slot;
    uint32_t thread_id;  /* lockwatch thread id */
    uint32_t busy;       /* inside the race runtime (a signal handler's accesses are skipped) */
    uint32_t ignore;     /* lockwatch_ignore_begin depth */
    uint32_t depth;      /* shadow call stack depth (may exceed LW_RACE_SHADOW_DEPTH) */
    uint32_t n_locks;    /* locks held (only LW_RACE_LOCKSET_MAX listed in locks[]) */
    uint32_t lockset_id; /* interned locks[], or 0 = nothing interned since the last change */
    bool lockset_valid;
    uintptr_t stack_base; /* frame address at thread start, for clearing the stack's shadow */
    uintptr_t stack_low;  /* lowest frame address seen by func_entry */
    struct lw_race_lock locks[LW_RACE_LOCKSET_MAX];
    uint64_t shadow_stack[LW_RACE_SHADOW_DEPTH]; /* caller pcs, outermost first */
    uint64_t pc_cache_pc[LW_RACE_PC_CACHE];
    uint32_t pc_cache_id[LW_RACE_PC_CACHE];
    struct lw_race_thread *next_free;
    uint32_t vc[LW_RACE_MAX_SLOTS];  /* happens-before knowledge: every edge */
    uint32_t hvc[LW_RACE_MAX_SLOTS]; /* knowledge through edges other than lock ordering */
    uint64_t via[LW_RACE_MAX_SLOTS]; /* the lock that last raised vc[j] above hvc[j] */
};

extern LW_TLS struct lw_race_thread *lw_race_tls;

/* ---- race.c ---- */
/* The calling thread's race state, created when missing; NULL when it cannot record. */
struct lw_race_thread *lw_race_thread_slow(void);
/* Starts a new epoch (after any synchronisation). */
static inline void lw_race_tick(struct lw_race_thread *rt)
{
    uint32_t c = ++rt->vc[rt->slot];
    rt->hvc[rt->slot] = c;
    rt->epoch_key = LW_SH_KEY(c, rt->slot);
}
/* Highest slot in use + 1: the length of every vector clock. */
uint32_t lw_race_slots_high(void);
/* The lockwatch thread id that owned slot at clock, 0 if forgotten. */
uint32_t lw_race_slot_thread(uint32_t slot, uint32_t clock);
/* Release/acquire on key by rt (atomics, annotations: never locks). */
void lw_race_release_rt(struct lw_race_thread *rt, uint64_t key, bool lock, bool shared);
void lw_race_acquire_rt(struct lw_race_thread *rt, uint64_t key, bool lock, bool shared);

/* ---- race_sync.c ---- */
void lw_race_sync_init(void);
/* Joins rt's clocks into key's (lock: a lock release, only the full clock; shared: a read
 * unlock, kept apart so that readers do not order each other). */
void lw_race_sync_release(struct lw_race_thread *rt, uint64_t key, bool lock, bool shared);
/* Joins key's clocks into rt's (lock: a lock acquisition, remembered in via[]; shared: a read
 * lock, which does not see other readers' releases; hard_full: take the full clock as hard). */
void lw_race_sync_acquire(struct lw_race_thread *rt, uint64_t key, bool lock, bool shared,
                          bool hard_full);
/* Frees key's clocks (a thread-create or exit key used once). */
void lw_race_sync_drop(uint64_t key);
/* In a forked child: frees the clock allocator's lock. */
void lw_race_sync_after_fork(void);

/* ---- race_lockset.c ---- */
/* Interns rt's current lockset (0 when empty). */
uint32_t lw_race_lockset_id(struct lw_race_thread *rt);
/* True if the two locksets share a lock held exclusively by at least one of them. */
bool lw_race_lockset_common(uint32_t a, uint32_t b);
bool lw_race_lockset_has(uint32_t id, uint64_t key);
/* Copies up to max lock addresses of set id; returns the number of locks in the set. */
uint32_t lw_race_lockset_keys(uint32_t id, uint64_t *keys, uint32_t max);

/* ---- race_shadow.c ---- */
bool lw_race_shadow_init(void);
/* The access path after the fast path missed (see tsan_abi.c). flags: LW_RACE_WRITE or 0. */
void lw_race_access_slow(struct lw_race_thread *rt, uintptr_t addr, uintptr_t size, uint64_t flags,
                         uintptr_t pc);
/* In a forked child: frees the expanded-cell pool's lock. */
void lw_race_shadow_after_fork(void);
/* Marks [addr, addr+size) as intentionally racy. */
void lw_race_shadow_benign(uintptr_t addr, uintptr_t size);
/* Forgets every access to [lo, hi) (a dead thread's stack about to be reused). */
void lw_race_shadow_clear(uintptr_t lo, uintptr_t hi);
/* The one-frame stack id of pc (cached per thread). */
uint32_t lw_race_pc_stack(struct lw_race_thread *rt, uintptr_t pc);
/* The full stack of an access at pc (pc + shadow call stack), interned. */
uint32_t lw_race_full_stack(struct lw_race_thread *rt, uintptr_t pc);

/* ---- race_report.c ---- */
struct lw_race_side {
    uint32_t thread_id;
    uint32_t stack_id;
    uint32_t flags; /* LW_RACE_ACC_* */
    uint32_t lockset;
    uint64_t address;
    uint32_t size;
    uint64_t pc; /* top frame, for deduplication */
};
/* Writes one RACE record unless this (site pair, granule, kind) was reported before. */
void lw_race_report(const struct lw_race_side *cur, const struct lw_race_side *prev,
                    uint64_t address, uint32_t size, bool predictive);

#endif /* LOCKWATCH_RACE_INTERNAL_H */
