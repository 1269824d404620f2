/*
 * The recorder's hot path, inlined into every lock and unlock wrapper: a per-thread cache of
 * lock ids (checked against the lock table's identity word, so a destroy or re-init is seen),
 * a push on the held list when nothing else is held, and a pop of the innermost entry on
 * unlock. Anything else (nested acquisitions, recursion, out-of-order unlocks, cache misses)
 * goes to the out-of-line halves in lock_order.c. See docs/performance.md for the budget.
 */
#ifndef LOCKWATCH_HOT_PATH_H
#define LOCKWATCH_HOT_PATH_H

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

uint32_t lw_lock_id_refill(struct lw_thread *t, struct lw_lock_cache *c, uintptr_t addr,
                           uint16_t kind, uint32_t type_flags, uintptr_t ret_pc);
void lw_on_acquire_nested(struct lw_thread *t, uintptr_t addr, uint32_t id, uint16_t kind,
                          uint32_t type_flags, uint32_t acq_flags, uintptr_t ret_pc,
                          uintptr_t frame);
void lw_on_release_slow(struct lw_thread *t, uintptr_t addr);

/* The id of the current lifetime of the lock at addr (0 if the table is full). */
static inline __attribute__((always_inline)) uint32_t lw_lock_id_fast(struct lw_thread *t,
                                                                      uintptr_t addr, uint16_t kind,
                                                                      uint32_t type_flags,
                                                                      uintptr_t ret_pc)
{
    struct lw_lock_cache *c = &t->lcache[((addr >> 3) ^ (addr >> 11)) & (LW_LCACHE_SIZE - 1)];
    if (LW_LIKELY(c->addr == addr) &&
        LW_LIKELY((uint32_t)atomic_load_explicit(c->ident, memory_order_relaxed) == c->id))
        return c->id;
    return lw_lock_id_refill(t, c, addr, kind, type_flags, ret_pc);
}

static inline __attribute__((always_inline)) void lw_held_push(struct lw_thread *t, uintptr_t addr,
                                                               uint32_t id, uint16_t kind,
                                                               uint32_t acq_flags, uintptr_t ret_pc,
                                                               uintptr_t frame)
{
    struct lw_held *h = &t->held[t->n_held++];
    h->addr = addr;
    h->lock_id = id;
    h->flags = acq_flags;
    h->recursion = 0;
    h->kind = kind;
    h->ret_pc = ret_pc;
    h->frame = frame;
    h->stack_id = 0;
}

/* After a successful acquisition of the lock at addr: updates the held list and records a
 * new context if this (held set, lock, seq) was not seen by this thread before. */
static inline __attribute__((always_inline)) void lw_on_acquire(struct lw_thread *t, uintptr_t addr,
                                                                uint16_t kind, uint32_t type_flags,
                                                                uint32_t acq_flags,
                                                                uintptr_t ret_pc, uintptr_t frame)
{
    t->lock_ops++;
    if (lw_race_on())
        lw_race_acquire(t, addr, acq_flags | (kind == LW_LOCK_SEMAPHORE ? LW_RACE_NOT_LOCK : 0));
    uint32_t id = lw_lock_id_fast(t, addr, kind, type_flags, ret_pc);
    if (LW_UNLIKELY(!id))
        return;
    if (LW_UNLIKELY(t->n_held)) {
        if (t->n_held == 1 && t->held[0].lock_id == t->memo_held && id == t->memo_id &&
            acq_flags == t->memo_flags && t->seq == t->memo_seq && id != t->memo_held) {
            lw_held_push(t, addr, id, kind, acq_flags, ret_pc, frame);
            return;
        }
        lw_on_acquire_nested(t, addr, id, kind, type_flags, acq_flags, ret_pc, frame);
        return;
    }
    lw_held_push(t, addr, id, kind, acq_flags, ret_pc, frame);
}

/* After a successful release of the lock at addr. */
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
