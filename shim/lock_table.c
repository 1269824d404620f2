/*
 * Lock identities: address -> id of the lock's current lifetime. A lock-free open-addressing
 * table (linear probing) reserved with mmap and touched lazily. init gives a new id even at an
 * address seen before, destroy ends the lifetime (id 0), and the next use starts a new one:
 * memory reuse never merges two locks into one (no false cycles). A slot, once given an
 * address, is never emptied, so probing stays correct without tombstones; a destroyed slot is
 * taken over by a new address only when the probe reaches it during an insert. Full table:
 * new locks are not tracked (counted in a DROPPED record), the program is unaffected.
 */
#include <errno.h>
#include <string.h>

#include "annotate.h"
#include "shim.h"

#define LT_BITS 21
#define LT_SLOTS (1u << LT_BITS)
#define LT_MAX_PROBE 4096u
#define LT_DESCRIBED_NONE 0u

struct lt_slot {
    _Atomic uint64_t addr;
    _Atomic uint64_t ident; /* lock id (low 32) | init stack id (high 32); 0 = no lifetime */
    _Atomic uint64_t class_pc;
    _Atomic uint32_t meta; /* kind (low 16) | LW_LOCKF_* (high 16) */
    _Atomic uint32_t described_gen;
};

static struct lt_slot *lt_table;
static _Atomic uint32_t next_lock_id = 1;

void lw_lock_table_init(void)
{
    /* Called once from the constructor, before recording starts: no race. */
    if (!lt_table)
        lt_table = lw_mmap_zero((size_t)LT_SLOTS * sizeof(struct lt_slot));
    if (lt_table)
        LW_ANN_ATOMIC_RANGE(lt_table, (size_t)LT_SLOTS * sizeof(struct lt_slot));
}

/* Finds the slot of addr; with insert, claims an empty (or dead) slot for it. */
static struct lt_slot *lt_find(uintptr_t addr, bool insert)
{
    if (LW_UNLIKELY(!lt_table))
        return NULL;
    /* Fibonacci hashing: one multiply spreads 8-byte aligned addresses well enough. */
    uint32_t i = (uint32_t)(((uint64_t)addr * 0x9e3779b97f4a7c15ULL) >> (64 - LT_BITS));
    struct lt_slot *dead = NULL;
    for (uint32_t n = 0; n < LT_MAX_PROBE; n++, i = (i + 1) & (LT_SLOTS - 1)) {
        struct lt_slot *s = &lt_table[i];
        uint64_t a = atomic_load_explicit(&s->addr, memory_order_acquire);
        if (a == addr)
            return s;
        if (a == 0) {
            if (!insert)
                return NULL;
            if (dead) {
                /* Reuse a destroyed lock's slot nearer the home position. */
                uint64_t old = atomic_load(&dead->addr);
                if (atomic_load(&dead->ident) == 0 &&
                    atomic_compare_exchange_strong(&dead->addr, &old, addr))
                    return dead;
            }
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&s->addr, &zero, addr) || zero == addr)
                return s;
            continue;
        }
        if (insert && !dead && atomic_load_explicit(&s->ident, memory_order_relaxed) == 0)
            dead = s;
    }
    lw_log_drop(LW_DROP_LOCK_TABLE_FULL);
    return NULL;
}

/* Starts a lifetime in slot s unless one exists (start_new: always). Returns the id. */
static uint32_t lt_begin(struct lt_slot *s, uint16_t kind, uint32_t type_flags, bool start_new,
                         uintptr_t ret_pc)
{
    uint64_t cur = atomic_load_explicit(&s->ident, memory_order_acquire);
    if (cur && !start_new)
        return (uint32_t)cur;
    /* The call site alone names a lock's birth: unwinding for every new lock would dominate
     * programs that create millions of them (docs/performance.md). Without a call site
     * (internal callers), the full stack. */
    uint64_t site = ret_pc;
    uint32_t stack = ret_pc ? lw_stack_intern(&site, 1, 0) : lw_stack_capture();
    uint32_t id = atomic_fetch_add_explicit(&next_lock_id, 1, memory_order_relaxed);
    atomic_store_explicit(&s->meta, (uint32_t)kind | (type_flags << 16), memory_order_relaxed);
    atomic_store_explicit(&s->described_gen, LT_DESCRIBED_NONE, memory_order_relaxed);
    atomic_store_explicit(&s->class_pc, lw_stack_top(stack), memory_order_relaxed);
    uint64_t ident = (uint64_t)id | ((uint64_t)stack << 32);
    if (start_new) {
        LW_ANN_PUBLISH(s);
        atomic_store_explicit(&s->ident, ident, memory_order_release);
        return id;
    }
    LW_ANN_PUBLISH(s);
    if (atomic_compare_exchange_strong(&s->ident, &cur, ident))
        return id;
    return (uint32_t)cur; /* another thread started it first */
}

uint32_t lw_lock_lookup(uintptr_t addr, uint16_t kind, uint32_t type_flags, uintptr_t ret_pc,
                        const _Atomic uint64_t **ident_out)
{
    struct lt_slot *s = lt_find(addr, true);
    if (!s)
        return 0;
    if (ident_out)
        *ident_out = &s->ident;
    uint64_t cur = atomic_load_explicit(&s->ident, memory_order_acquire);
    if (LW_LIKELY(cur))
        return (uint32_t)cur;
    int saved = errno; /* capturing the first-use stack may touch errno */
    uint32_t id = lt_begin(s, kind, type_flags | LW_LOCKF_STATIC, false, ret_pc);
    errno = saved;
    return id;
}

uint32_t lw_lock_peek_id(uintptr_t addr)
{
    struct lt_slot *s = lt_find(addr, false);
    return s ? (uint32_t)atomic_load_explicit(&s->ident, memory_order_acquire) : 0;
}

uint32_t lw_lock_id(uintptr_t addr, uint16_t kind, uint32_t type_flags)
{
    return lw_lock_lookup(addr, kind, type_flags, 0, NULL);
}

uint32_t lw_lock_init(uintptr_t addr, uint16_t kind, uint32_t type_flags, uintptr_t ret_pc)
{
    struct lt_slot *s = lt_find(addr, true);
    return s ? lt_begin(s, kind, type_flags, true, ret_pc) : 0;
}

void lw_lock_destroy(uintptr_t addr)
{
    struct lt_slot *s = lt_find(addr, false);
    if (s)
        atomic_store_explicit(&s->ident, 0, memory_order_release);
}

bool lw_lock_mark(uintptr_t addr, uint32_t id, uint32_t flag)
{
    struct lt_slot *s = lt_find(addr, false);
    if (!s || (uint32_t)atomic_load_explicit(&s->ident, memory_order_acquire) != id)
        return false;
    uint32_t bit = flag << 16;
    if (atomic_load_explicit(&s->meta, memory_order_relaxed) & bit)
        return false; /* marked before: no read-modify-write on every wait or post */
    return !(atomic_fetch_or(&s->meta, bit) & bit);
}

void lw_lock_describe(struct lw_thread *t, uintptr_t addr, uint32_t id, uint16_t kind)
{
    struct lt_slot *s = lt_find(addr, false);
    uint32_t gen = atomic_load_explicit(&lw_log_generation, memory_order_relaxed);
    uint64_t ident = s ? atomic_load_explicit(&s->ident, memory_order_acquire) : 0;
    uint32_t stack = 0, flags = 0;
    uint64_t class_pc = 0;
    if (s && (uint32_t)ident == id) {
        if (atomic_load_explicit(&s->described_gen, memory_order_relaxed) == gen ||
            atomic_exchange(&s->described_gen, gen) == gen)
            return;
        stack = (uint32_t)(ident >> 32);
        uint32_t meta = atomic_load_explicit(&s->meta, memory_order_relaxed);
        kind = (uint16_t)meta;
        flags = meta >> 16;
        class_pc = atomic_load_explicit(&s->class_pc, memory_order_relaxed);
    }
    /* else: the lifetime ended while held (destroyed under a lock); describe what we know. */
    if (stack)
        lw_stack_ensure_written(t, stack);
    struct lw_rec_lock *r = lw_log_reserve(t, sizeof *r);
    if (!r)
        return;
    r->lock_id = id;
    r->kind = kind;
    r->flags = flags;
    r->init_stack = stack;
    r->address = addr;
    r->class_pc = class_pc;
    lw_log_publish(t, r, LW_REC_LOCK, 0, sizeof *r);
}
