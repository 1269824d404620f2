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

#include "glibc_mutex.h"
#include "hot_path.h"
#include "intercept.h"
#include "race.h"
#include "shim.h"

#define LW_CTX_MAX_HELD 4096u
#define LW_TYPE_RECURSIVE (PTHREAD_MUTEX_RECURSIVE + 1u) /* LW_LOCKF_TYPE_MASK encoding */

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
        lw_lock_describe(t, held[i].addr, held[i].lock_id, held[i].kind);
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

/* Looks the lock at addr up in the global table and fills the cache entry c; false if the
 * table is full (then nothing is recorded for this lock). */
static bool lock_id_refill(struct lw_lock_cache *c, uintptr_t addr, uint16_t kind,
                           uint32_t type_flags, uintptr_t ret_pc, struct lw_held_meta *meta)
{
    const _Atomic uint64_t *ident = NULL;
    uint32_t id = lw_lock_lookup(addr, kind, type_flags, ret_pc, &ident);
    if (!id)
        return false;
    *meta = (struct lw_held_meta){
        .lock_id = id,
        .kind = (uint8_t)kind,
        /* Read from the mutex itself: a statically initialised one had no init call. */
        .fast_unlock = (kind == LW_LOCK_MUTEX || kind == LW_LOCK_C11_MTX) &&
                       lw_mutex_unlock_cannot_fail((void *)addr)};
    if (ident) {
        c->addr = addr;
        c->ident = ident;
        c->meta = *meta;
    }
    return true;
}

/* A nested acquisition (t holds other locks) that is not the memo: a relock, or a context to
 * look up in the thread's set and record if new. */
static void acquire_nested(struct lw_thread *t, uintptr_t addr, struct lw_held_meta meta,
                           uint32_t type_flags, uintptr_t ret_pc, uintptr_t frame)
{
    uint32_t id = meta.lock_id;
    /* A recursive mutex relocked by its owner (or a read lock taken twice) adds no edge. */
    if ((type_flags & LW_LOCKF_TYPE_MASK) == LW_TYPE_RECURSIVE || meta.kind != LW_LOCK_MUTEX) {
        for (uint32_t i = t->n_held; i-- > 0;)
            if (t->held[i].lock_id == id) {
                t->held[i].recursion++;
                return;
            }
    }
    uint64_t key = lw_context_key(t, id, meta.flags);
    if (LW_UNLIKELY(!lw_ctx_test_and_set(t, key))) {
        int saved = errno; /* unwinding and log growth may touch errno */
        record_context(t, addr, id, meta.kind, meta.flags);
        errno = saved;
    }
    if (t->n_held == 1 && t->held[0].lock_id != id) {
        /* Recorded now: the next identical nesting skips all of this (hot_path.h). */
        t->memo_ids = (uint64_t)t->held[0].lock_id | (uint64_t)id << 32;
        t->memo_seq_flags = (uint64_t)t->seq | (uint64_t)meta.flags << 32;
    }
    if (LW_UNLIKELY(t->n_held == t->cap_held) && !held_grow(t))
        return;
    lw_held_push(t, addr, meta, ret_pc, frame);
}

void lw_on_acquire_slow(struct lw_thread *t, uintptr_t addr, uint16_t kind, uint32_t type_flags,
                        uint32_t acq_flags, uintptr_t ret_pc, uintptr_t frame)
{
    t->lock_ops++;
    if (type_flags == LW_TYPE_FROM_OBJECT && (kind == LW_LOCK_MUTEX || kind == LW_LOCK_C11_MTX))
        type_flags = lw_mutex_type_fast((const pthread_mutex_t *)addr);
    bool race = lw_race_on();
    if (race)
        lw_race_acquire(t, addr, acq_flags | (kind == LW_LOCK_SEMAPHORE ? LW_RACE_NOT_LOCK : 0));
    struct lw_lock_cache *c = lw_lock_cache_slot(t, addr);
    struct lw_held_meta meta;
    if (lw_lock_cache_hit(c, addr))
        meta = c->meta;
    else if (!lock_id_refill(c, addr, kind, type_flags, ret_pc, &meta)) {
        lw_leave();
        return;
    }
    meta.flags = (uint16_t)acq_flags;
    if (race)
        meta.fast_unlock = 0; /* the release must reach lw_race_release */
    if (t->n_held)
        acquire_nested(t, addr, meta, type_flags, ret_pc, frame);
    else
        lw_held_push(t, addr, meta, ret_pc, frame);
    lw_leave();
}

void lw_on_release_slow(struct lw_thread *t, uintptr_t addr)
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
        if (i + 1 < t->n_held) /* out-of-order unlock */
            memmove(h, h + 1, (size_t)(t->n_held - i - 1) * sizeof *h);
        t->n_held--;
        return;
    }
    /* Not held: taken before recording started, or an unlock the program should not do. */
}

void lw_held_forget(struct lw_thread *t, uintptr_t addr)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < t->n_held; i++) {
        if (t->held[i].addr != addr)
            t->held[kept++] = t->held[i];
        else if (lw_race_on())
            lw_race_release(t, addr, t->held[i].flags);
    }
    t->n_held = kept;
}

void lw_after_acquire_first(uintptr_t obj, uint16_t kind, uint32_t type_flags, uint32_t acq_flags,
                            void *ret, void *frame)
{
    struct lw_thread *t = lw_enter(); /* creates the thread's state */
    if (t)
        lw_on_acquire_slow(t, obj, kind, type_flags, acq_flags, (uintptr_t)ret, (uintptr_t)frame);
}
