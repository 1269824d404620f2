/*
 * Internal declarations of the race detector (race mode), shared by race.c (per-thread state,
 * thread slots, the synchronisation hooks), race_sync.c (clocks of synchronisation objects),
 * race_lockset.c (interned locksets), race_shadow.c (shadow memory and the access check),
 * race_report.c (RACE records) and the exported ABI (tsan_abi.c, tsan_atomic.c,
 * race_annotate.c). docs/race-mode.md explains the algorithm; this header only fixes the data.
 */
#ifndef LOCKWATCH_RACE_INTERNAL_H
#define LOCKWATCH_RACE_INTERNAL_H

#include <emmintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "race.h"
#include "shadow_entry.h"
#include "shim.h"
#include "spin.h"

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
 * Two-tier shadow. Every 8-byte granule has a compact cell (16 bytes) that holds entries of one
 * thread only, its owner: the latest entry N (word, an entry word) and, in `more`, one older
 * entry O of the same thread, kept as its byte masks and how many epochs it is older than N,
 * with the interned sites (race_site.c: stack and lockset) of both (shadow_entry.h, LW_SH_MORE).
 * That is all memory one thread uses needs: its current epoch's entry and one older one. When
 * more must be kept (another thread's entry, a third entry of the owner, a site or an age that
 * does not fit), the cell is expanded: word becomes LW_SH_EXPANDED_WORD(i), i the index of a
 * four-entry cell of full entries (word and aux) from race_shadow.c's pool.
 *
 * The owner writes a compact cell with one 16-byte store (or, for a read merged into N, an
 * 8-byte store of word), other threads read it with one 16-byte load and replace it only by a
 * 16-byte CAS: so N, O and their sites are always seen together. lw_cell_* below do that.
 */
#define LW_SHADOW_XENTS 4u
struct lw_shadow_cell {
    uint64_t word; /* N, 0 (empty), a benign entry or LW_SH_EXPANDED_WORD */
    uint64_t more; /* LW_SH_MORE(site of N, site of O, age of O, O's masks) */
} __attribute__((aligned(16)));
struct lw_shadow_xcell {
    struct lw_shadow_ent e[LW_SHADOW_XENTS];
};

/* Set by __tsan_init when aligned 16-byte SSE loads and stores are atomic (CPUs with AVX, as
 * Intel's and AMD's manuals guarantee); otherwise the compact cell is accessed by CMPXCHG16B. */
extern bool lw_cell_sse_atomic;

struct lw_cell_snap {
    uint64_t word, more;
};

/* 16-byte atomic access to a compact cell by CMPXCHG16B (race_shadow.c). */
struct lw_cell_snap lw_cell_load_locked(struct lw_shadow_cell *c);
void lw_cell_store_locked(struct lw_shadow_cell *c, uint64_t word, uint64_t more);
/* Replaces c's content by (word, more) if it is still old. */
bool lw_cell_cas(struct lw_shadow_cell *c, struct lw_cell_snap old, uint64_t word, uint64_t more);

/* The whole compact cell, read at once by one SSE load (only when lw_cell_sse_atomic). */
static inline struct lw_cell_snap lw_cell_load_sse(const struct lw_shadow_cell *c)
{
    __m128i v;
    /* One instruction (the compiler would split a plain vector load into two 8-byte ones). */
    __asm__ volatile("movdqa %1, %0" : "=x"(v) : "m"(*(const __m128i *)(const void *)c));
    return (struct lw_cell_snap){(uint64_t)_mm_cvtsi128_si64(v),
                                 (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v))};
}

/* The owner's store of its whole compact cell by one SSE store (only when lw_cell_sse_atomic). */
static inline void lw_cell_store_sse(struct lw_shadow_cell *c, uint64_t word, uint64_t more)
{
    __m128i v = _mm_set_epi64x((long long)more, (long long)word);
    __asm__ volatile("movdqa %1, %0" : "=m"(*(__m128i *)(void *)c) : "x"(v));
}

/* The whole compact cell, read at once, on any CPU. */
static inline struct lw_cell_snap lw_cell_load(struct lw_shadow_cell *c)
{
    return lw_cell_sse_atomic ? lw_cell_load_sse(c) : lw_cell_load_locked(c);
}

/* A store of the whole compact cell at once, on any CPU. */
static inline void lw_cell_store(struct lw_shadow_cell *c, uint64_t word, uint64_t more)
{
    if (lw_cell_sse_atomic)
        lw_cell_store_sse(c, word, more);
    else
        lw_cell_store_locked(c, word, more);
}

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
    uint16_t pc_cache_site[LW_RACE_PC_CACHE];    /* site of (pc, pc_cache_site_ls[]), 0: none */
    uint16_t pc_cache_site_ls[LW_RACE_PC_CACHE]; /* the 16-bit lockset id it was made with */
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
/* Frees key's clocks (a thread-create or exit key used once, a destroyed lock). */
void lw_race_sync_drop(uint64_t key);
/* Frees the clocks of every object in [lo, hi) (memory given back: the next object there starts
 * with no history). Ranges above 256 MiB are left alone (their objects keep their clocks: races
 * may be missed, never invented). */
void lw_race_sync_forget(uintptr_t lo, uintptr_t hi);
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
/* The site of an access at pc with rt's current lockset (cached per thread); 0 when the site
 * table is full. */
uint32_t lw_race_pc_site(struct lw_race_thread *rt, uintptr_t pc);

/* ---- race_site.c ---- */
/* The 16-bit id of the site (stack, lockset), interned; 0 when the table is full. */
uint32_t lw_race_site(uint32_t stack, uint32_t lockset);
/* The stack and lockset of site id; false if there is no such site. */
bool lw_race_site_get(uint32_t id, uint32_t *stack, uint32_t *lockset);
/* In a forked child: frees the site table's initialisation lock. */
void lw_race_site_after_fork(void);
/* In a forked child: releases the lockset table's init lock (see lw_race_after_fork_child). */
void lw_race_lockset_after_fork(void);
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
