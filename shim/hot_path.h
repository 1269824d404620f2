/*
 * The recorder's hot path, inlined into every lock and unlock wrapper: a per-thread cache of
 * lock ids (checked against the lock table's identity word, so a destroy or re-init is seen),
 * a push on the held list when nothing else is held, and a pop of the innermost entry on
 * unlock. Anything else (nested acquisitions, recursion, out-of-order unlocks, cache misses)
 * goes to the out-of-line halves in lock_order.c. See docs/performance.md for the budget.
 */
#ifndef LOCKWATCH_HOT_PATH_H
#define LOCKWATCH_HOT_PATH_H

#include <string.h>

#include "race.h"
#include "shim.h"

#define LW_ACQ_HASHED (LW_ACQ_TRY | LW_ACQ_READ)

/* One held lock's contribution to the thread's held-set hash. */
static inline uint64_t lw_held_key(uint32_t id, uint32_t flags)
{
    /* A multiplicative hash is enough here: the context key mixes the XOR of these again. */
    return (((uint64_t)id << 8) | (flags & LW_ACQ_HASHED)) * 0x9e3779b97f4a7c15ULL;
}

/* The key of "acquire id (flags) with the current held set, in the current segment". The held
 * set is hashed here, on the nested path only, rather than kept up to date on every push and
 * pop: most acquisitions hold nothing else. XOR makes it order-independent (a set). */
static inline uint64_t lw_context_key(const struct lw_thread *t, uint32_t id, uint32_t flags)
{
    uint64_t held = 0;
    for (uint32_t i = 0; i < t->n_held; i++)
        held ^= lw_held_key(t->held[i].lock_id, t->held[i].flags);
    uint64_t k = lw_mix(held ^ lw_held_key(id, flags) * 3 ^ ((uint64_t)t->seq << 44));
    return k ? k : 1;
}

/* The cache entry for the lock at addr. The hash spreads both the low bits (locks in one
 * array) and the page bits (locks in different objects). */
static inline struct lw_lock_cache *lw_lock_cache_slot(struct lw_thread *t, uintptr_t addr)
{
    return &t->lcache[((addr >> 3) ^ (addr >> 11)) & (LW_LCACHE_SIZE - 1)];
}

/* True if c is a valid cache entry for the lock at addr: the slot still holds the lifetime the
 * entry was made for (destroy clears the identity word, a re-init changes it). */
static inline __attribute__((always_inline)) bool lw_lock_cache_hit(const struct lw_lock_cache *c,
                                                                    uintptr_t addr)
{
    return LW_LIKELY(c->addr == addr) &&
           LW_LIKELY((uint32_t)atomic_load_explicit(c->ident, memory_order_relaxed) ==
                     c->meta.lock_id);
}

/* type_flags for a mutex or C11 mutex: the slow path reads the type from the (glibc) mutex
 * itself, so that the inline path does not load it for nothing. */
#define LW_TYPE_FROM_OBJECT 0u

/* The out-of-line half of lw_on_acquire: race mode, a lock-id cache miss, a nested acquisition
 * that is not the memo. Ends with lw_leave(), so the caller has nothing left to do. */
void lw_on_acquire_slow(struct lw_thread *t, uintptr_t addr, uint16_t kind, uint32_t type_flags,
                        uint32_t acq_flags, uintptr_t ret_pc, uintptr_t frame);
/* The out-of-line half of lw_on_release (everything but popping the innermost entry). */
void lw_on_release_slow(struct lw_thread *t, uintptr_t addr);
/* Drops every held entry for the lock at addr, recursion included: its lifetime ended (a
 * semaphore may be destroyed by a thread that waited on it; it has no owner). */
void lw_held_forget(struct lw_thread *t, uintptr_t addr);

/* Pushes a held entry (the caller made sure there is room). */
static inline __attribute__((always_inline)) void lw_held_push(struct lw_thread *t, uintptr_t addr,
                                                               struct lw_held_meta meta,
                                                               uintptr_t ret_pc, uintptr_t frame)
{
    struct lw_held *h = &t->held[t->n_held++];
    h->addr = addr;
    h->meta = meta;
    h->ret_pc = ret_pc;
    h->frame = frame;
    h->stack_id = 0;
    h->recursion = 0;
}

/* After a successful acquisition of the lock at addr, inside lw_enter(): updates the held list
 * and records a new context if this (held set, lock, seq) was not seen by this thread before.
 * Leaves the shim (lw_leave) itself. The inline part handles a lock-id cache hit with nothing
 * held, or with one lock held in the same combination as last time; everything else goes to
 * lw_on_acquire_slow as the last call, so that no value has to survive a call here. */
static inline __attribute__((always_inline)) void lw_on_acquire(struct lw_thread *t, uintptr_t addr,
                                                                uint16_t kind, uint32_t type_flags,
                                                                uint32_t acq_flags,
                                                                uintptr_t ret_pc, uintptr_t frame)
{
    struct lw_lock_cache *c = lw_lock_cache_slot(t, addr);
    if (LW_UNLIKELY(lw_race_on()) || !lw_lock_cache_hit(c, addr))
        goto slow;
    /* The cache entry's meta with the acquisition flags, built as one word (flags are 0 there). */
    uint64_t word;
    memcpy(&word, &c->meta, sizeof word);
    word |= (uint64_t)acq_flags << 32;
    uint32_t n = t->n_held;
    if (LW_UNLIKELY(n)) {
        /* The memo never holds a relock (held id == acquired id): that goes the slow way. */
        if (n != 1 || t->memo_ids != ((uint64_t)t->held[0].lock_id | word << 32) ||
            t->memo_seq_flags != ((uint64_t)t->seq | (uint64_t)acq_flags << 32))
            goto slow;
    }
    t->lock_ops++;
    struct lw_held_meta meta;
    memcpy(&meta, &word, sizeof meta);
    lw_held_push(t, addr, meta, ret_pc, frame);
    lw_leave();
    return;
slow: /* one call site, so that the arguments only it needs are computed there */
    lw_on_acquire_slow(t, addr, kind, type_flags, acq_flags, ret_pc, frame);
}

/* After a successful release of the lock at addr, inside lw_enter(). */
static inline __attribute__((always_inline)) void lw_on_release(struct lw_thread *t, uintptr_t addr)
{
    uint32_t n = t->n_held;
    if (LW_LIKELY(n)) {
        struct lw_held *h = &t->held[n - 1];
        if (LW_LIKELY(h->addr == addr && !h->recursion && !lw_race_on())) {
            t->n_held = n - 1;
            return;
        }
    }
    lw_on_release_slow(t, addr);
}

/* Index of the held entry for addr (innermost first), or -1. */
static inline int lw_held_find(const struct lw_thread *t, uintptr_t addr)
{
    for (uint32_t i = t->n_held; i-- > 0;)
        if (t->held[i].addr == addr)
            return (int)i;
    return -1;
}

#endif /* LOCKWATCH_HOT_PATH_H */
