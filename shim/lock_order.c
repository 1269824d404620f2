/*
 * The recorder's half of lock-order analysis. Every successful acquisition pushes the lock on
 * the thread's held list; when other locks are held, the combination (held set, acquired lock,
 * acquisition flags, thread seq) is looked up in the thread's context set — one hash probe,
 * the common case — and only a combination never seen before costs a stack capture and a
 * CONTEXT record. So the log grows with distinct contexts, not with lock operations.
 * Everything here runs inside lw_enter()/lw_leave() on the calling thread's own state.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "race.h"
#include "shim.h"

#define LW_ACQ_HASHED (LW_ACQ_TRY | LW_ACQ_READ)
#define LW_CTX_MAX_HELD 4096u
#define LW_TYPE_RECURSIVE (PTHREAD_MUTEX_RECURSIVE + 1u) /* LW_LOCKF_TYPE_MASK encoding */

static inline uint64_t held_key(uint32_t id, uint32_t flags)
{
    /* A multiplicative hash is enough here: the context key mixes the XOR of these again. */
    return (((uint64_t)id << 8) | (flags & LW_ACQ_HASHED)) * 0x9e3779b97f4a7c15ULL;
}

static inline uint64_t context_key(const struct lw_thread *t, uint32_t id, uint32_t flags)
{
    uint64_t k = lw_mix(t->held_hash ^ held_key(id, flags) * 3 ^ ((uint64_t)t->seq << 44));
    return k ? k : 1;
}

/* Returns true if key was already in the set; otherwise inserts it. */
bool lw_ctx_test_and_set(struct lw_thread *t, uint64_t key)
{
    uint32_t mask = t->ctx_cap - 1;
    uint32_t i = (uint32_t)key & mask;
    for (;; i = (i + 1) & mask) {
        uint64_t k = t->ctx_keys[i];
        if (k == key)
            return true;
        if (k == 0)
            break;
    }
    if ((t->ctx_count + 1) * 2 > t->ctx_cap) {
        uint32_t ncap = t->ctx_cap * 2;
        uint64_t *nk = lw_mmap_zero((size_t)ncap * sizeof(uint64_t));
        if (!nk) {
            lw_log_drop(LW_DROP_CONTEXT_SET_FULL);
            return false; /* record it anyway: a duplicate is harmless, a loss is not */
        }
        for (uint32_t j = 0; j < t->ctx_cap; j++) {
            uint64_t k = t->ctx_keys[j];
            if (!k)
                continue;
            uint32_t p = (uint32_t)k & (ncap - 1);
            while (nk[p])
                p = (p + 1) & (ncap - 1);
            nk[p] = k;
        }
        lw_munmap(t->ctx_keys, (size_t)t->ctx_cap * sizeof(uint64_t));
        t->ctx_keys = nk;
        t->ctx_cap = ncap;
        mask = ncap - 1;
        i = (uint32_t)key & mask;
        while (nk[i])
            i = (i + 1) & mask;
    }
    t->ctx_keys[i] = key;
    t->ctx_count++;
    return false;
}

static bool held_grow(struct lw_thread *t)
{
    uint32_t ncap = t->cap_held * 2;
    struct lw_held *nh = lw_mmap_zero((size_t)ncap * sizeof *nh);
    if (!nh)
        return false;
    memcpy(nh, t->held, (size_t)t->n_held * sizeof *nh);
    if (t->held != t->held_inline)
        lw_munmap(t->held, (size_t)t->cap_held * sizeof *nh);
    t->held = nh;
    t->cap_held = ncap;
    return true;
}

static void record_context(struct lw_thread *t, uintptr_t addr, uint32_t id, uint16_t kind,
                           uint32_t acq_flags)
{
    uint32_t n = t->n_held;
    uint32_t flags = 0;
    if (n > LW_CTX_MAX_HELD) {
        n = LW_CTX_MAX_HELD; /* keep the innermost ones: they are the most recent edges */
        flags |= LW_CTX_HELD_TRUNCATED;
    }
    struct lw_held *held = t->held + (t->n_held - n);
    uint32_t stack = lw_stack_capture_with_held(held, n);
    lw_stack_ensure_written(t, stack);
    lw_lock_describe(t, addr, id, kind);
    for (uint32_t i = 0; i < n; i++) {
        lw_stack_ensure_written(t, held[i].stack_id);
        lw_lock_describe(t, held[i].addr, held[i].lock_id, (uint16_t)held[i].kind);
    }
    uint32_t size = (uint32_t)(sizeof(struct lw_rec_context) + n * sizeof(struct lw_held_entry));
    struct lw_rec_context *r = lw_log_reserve(t, size);
    if (!r)
        return;
    r->thread_id = t->id;
    r->seq = t->seq;
    r->lock_id = id;
    r->acq_flags = acq_flags;
    r->stack_id = stack;
    r->n_held = n;
    struct lw_held_entry *e = (struct lw_held_entry *)(r + 1);
    for (uint32_t i = 0; i < n; i++) {
        e[i].lock_id = held[i].lock_id;
        e[i].stack_id = held[i].stack_id;
        e[i].flags = held[i].flags | LW_ACQ_SPLICED;
        e[i].reserved = 0;
    }
    lw_log_publish(t, r, LW_REC_CONTEXT, (uint8_t)flags, size);
    atomic_fetch_add_explicit(&lw_contexts_written, 1, memory_order_relaxed);
}

void lw_on_acquire(struct lw_thread *t, uintptr_t addr, uint16_t kind, uint32_t type_flags,
                   uint32_t acq_flags, uintptr_t ret_pc, uintptr_t frame)
{
    t->lock_ops++;
    if (lw_race_on())
        lw_race_acquire(t, addr, acq_flags);
    uint32_t id = lw_lock_id(addr, kind, type_flags);
    if (LW_UNLIKELY(!id))
        return;
    /* A recursive mutex relocked by its owner (or a read lock taken twice) adds no edge. */
    if ((type_flags & LW_LOCKF_TYPE_MASK) == LW_TYPE_RECURSIVE || kind != LW_LOCK_MUTEX) {
        for (uint32_t i = t->n_held; i-- > 0;)
            if (t->held[i].lock_id == id) {
                t->held[i].recursion++;
                return;
            }
    }
    if (t->n_held) {
        uint64_t key = context_key(t, id, acq_flags);
        if (!lw_ctx_test_and_set(t, key))
            record_context(t, addr, id, kind, acq_flags);
    }
    if (LW_UNLIKELY(t->n_held == t->cap_held) && !held_grow(t))
        return;
    struct lw_held *h = &t->held[t->n_held++];
    h->addr = addr;
    h->lock_id = id;
    h->flags = acq_flags;
    h->recursion = 0;
    h->kind = kind;
    h->ret_pc = ret_pc;
    h->frame = frame;
    h->stack_id = 0;
    t->held_hash ^= held_key(id, acq_flags);
}

int lw_held_find(const struct lw_thread *t, uintptr_t addr)
{
    for (uint32_t i = t->n_held; i-- > 0;)
        if (t->held[i].addr == addr)
            return (int)i;
    return -1;
}

void lw_on_release(struct lw_thread *t, uintptr_t addr)
{
    for (uint32_t i = t->n_held; i-- > 0;) {
        struct lw_held *h = &t->held[i];
        if (h->addr != addr)
            continue;
        if (lw_race_on())
            lw_race_release(t, addr, h->flags);
        if (h->recursion) {
            h->recursion--;
            return;
        }
        t->held_hash ^= held_key(h->lock_id, h->flags);
        if (i + 1 < t->n_held) /* out-of-order unlock; LIFO needs no move */
            memmove(h, h + 1, (size_t)(t->n_held - i - 1) * sizeof *h);
        t->n_held--;
        return;
    }
    /* Not held: taken before recording started, or an unlock the program should not do. */
}
