/*
 * Clocks of synchronisation objects (race mode). Every object the hooks name (a lock's address,
 * a semaphore, a barrier, a once control, an atomic variable, a thread's create or exit key)
 * has up to three vector clocks: `full` (joined at every release), `hard` (the releasers'
 * knowledge through edges other than lock ordering) and `rfull` (read unlocks of an rwlock, kept
 * apart so that readers never order each other). Objects live in an open-addressing table keyed
 * by address (insert by CAS, never removed); each object has its own spin lock, taken only by
 * synchronisation operations, never by plain memory accesses. Clock storage comes from a bump
 * arena with per-size free lists. When the table is full, every new object shares one overflow
 * object: that can only add orderings (missed races), never invent races; each release on it is
 * counted in a DROPPED record, so that the report says the analysis was incomplete. Memory given
 * back frees the clocks of the objects in it (found through key_map); their slots stay.
 */
#include <string.h>

#include "race_internal.h"

#define SYNC_BITS 20u
#define SYNC_SLOTS (1u << SYNC_BITS)
#define SYNC_PROBES 64u
#define VC_ARENA_SIZE (1ull << 32)
#define VC_CLASSES 10u /* capacities 8 << class, up to 4096 */

struct vclock {
    uint32_t len, cap;
    struct vclock *next_free;
    uint32_t c[];
};

struct sync_obj {
    _Atomic uint64_t key;
    _Atomic int lock;
    int reserved;
    struct vclock *full, *hard, *rfull;
};

static struct sync_obj *table;
static struct sync_obj overflow;

/* Which 4-byte granules of memory ever held a synchronisation object: one bit per granule,
 * direct-mapped (addresses 256 MiB apart share a bit), so that memory given back finds its
 * objects with a load per 256 bytes instead of a table probe per address. Bits are never cleared:
 * a stale one costs a few probes, never a missed object. */
#define KEY_MAP_BITS (1u << 26)
#define KEY_MAP_REACH ((uintptr_t)KEY_MAP_BITS * 4)
static _Atomic uint64_t *key_map;
static char *arena;
static _Atomic uint64_t arena_used;
static struct vclock *free_vc[VC_CLASSES];
static _Atomic int free_lock;

void lw_race_sync_init(void)
{
    if (!table)
        table = lw_mmap_zero((size_t)SYNC_SLOTS * sizeof *table);
    if (!arena)
        arena = lw_mmap_zero(VC_ARENA_SIZE);
    if (!key_map)
        key_map = lw_mmap_zero(KEY_MAP_BITS / 8);
}

/* The key map's bit for the granule of memory address key. */
static inline uint32_t key_bit(uint64_t key)
{
    return (uint32_t)(key >> 2) & (KEY_MAP_BITS - 1);
}

/* Marks the granule of a new object's key, if the key is a memory address (thread keys are
 * not: they never lie in memory given back). */
static void key_map_mark(uint64_t key)
{
    if (!key_map || key >> 48)
        return;
    uint32_t b = key_bit(key);
    _Atomic uint64_t *w = &key_map[b / 64];
    uint64_t bit = 1ull << (b % 64);
    if (!(atomic_load_explicit(w, memory_order_relaxed) & bit))
        atomic_fetch_or_explicit(w, bit, memory_order_relaxed);
}

/* The value of a held object lock in this process: a forked child counts up, so that a lock a
 * thread of the parent held at the fork (that thread does not exist here to release it) reads
 * as free, without a pass over the table. */
static _Atomic int fork_gen = 1;

void lw_race_sync_after_fork(void)
{
    atomic_store_explicit(&free_lock, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
}

static unsigned vc_class(uint32_t need)
{
    unsigned c = 0;
    while ((8u << c) < need && c + 1 < VC_CLASSES)
        c++;
    return c;
}

static struct vclock *vc_alloc(uint32_t need)
{
    unsigned cls = vc_class(need);
    uint32_t cap = 8u << cls;
    lw_spin_acquire(&free_lock);
    struct vclock *v = free_vc[cls];
    if (v)
        free_vc[cls] = v->next_free;
    atomic_store_explicit(&free_lock, 0, memory_order_release);
    if (!v) {
        size_t bytes = sizeof *v + cap * sizeof(uint32_t);
        uint64_t off = atomic_fetch_add(&arena_used, (bytes + 15) & ~(size_t)15);
        if (!arena || off + bytes > VC_ARENA_SIZE)
            return NULL;
        v = (struct vclock *)(arena + off);
    }
    memset(v->c, 0, cap * sizeof(uint32_t));
    v->len = 0;
    v->cap = cap;
    v->next_free = NULL;
    return v;
}

static void vc_free(struct vclock *v)
{
    if (!v)
        return;
    unsigned cls = vc_class(v->cap);
    lw_spin_acquire(&free_lock);
    v->next_free = free_vc[cls];
    free_vc[cls] = v;
    atomic_store_explicit(&free_lock, 0, memory_order_release);
}

/* Makes *pv able to hold len entries; false if out of memory (the join is then lost). */
static bool vc_reserve(struct vclock **pv, uint32_t len)
{
    struct vclock *v = *pv;
    if (v && v->cap >= len)
        return true;
    struct vclock *n = vc_alloc(len);
    if (!n) {
        lw_log_drop(LW_DROP_CLOCK_MEMORY_FULL);
        return false;
    }
    if (v) {
        memcpy(n->c, v->c, v->len * sizeof(uint32_t));
        n->len = v->len;
        vc_free(v);
    }
    *pv = n;
    return true;
}

static void vc_join_from(struct vclock **pv, const uint32_t *src, uint32_t len)
{
    while (len > 1 && src[len - 1] == 0)
        len--;
    if (!vc_reserve(pv, len))
        return;
    struct vclock *v = *pv;
    for (uint32_t i = 0; i < len; i++)
        if (src[i] > v->c[i])
            v->c[i] = src[i];
    if (len > v->len)
        v->len = len;
}

static struct sync_obj *sync_find(uint64_t key, bool insert)
{
    if (!table)
        return &overflow;
    uint32_t i = (uint32_t)(lw_mix(key) >> (64 - SYNC_BITS));
    for (uint32_t p = 0; p < SYNC_PROBES; p++, i = (i + 1) & (SYNC_SLOTS - 1)) {
        struct sync_obj *s = &table[i];
        uint64_t k = atomic_load_explicit(&s->key, memory_order_acquire);
        if (k == key)
            return s;
        if (k == 0) {
            if (!insert)
                return NULL;
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong(&s->key, &expected, key)) {
                key_map_mark(key);
                return s;
            }
            if (expected == key)
                return s;
        }
    }
    if (insert) /* not for lookups: an acquire of an object never released adds nothing */
        lw_log_drop(LW_DROP_SYNC_TABLE_FULL);
    return &overflow; /* the key may have been put there when its probe run was full */
}

/* Free: 0, or held in an ancestor process (before a fork). Held here: fork_gen. */
static void obj_lock(struct sync_obj *s)
{
    int gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
    unsigned rounds = 0;
    for (;;) {
        int v = atomic_load_explicit(&s->lock, memory_order_relaxed);
        if (v != gen && atomic_compare_exchange_weak_explicit(
                            &s->lock, &v, gen, memory_order_acquire, memory_order_relaxed))
            return;
        lw_spin_wait(&rounds);
    }
}

static void obj_unlock(struct sync_obj *s)
{
    atomic_store_explicit(&s->lock, 0, memory_order_release);
}

void lw_race_sync_release(struct lw_race_thread *rt, uint64_t key, bool lock, bool shared)
{
    struct sync_obj *s = sync_find(key, true);
    uint32_t len = lw_race_slots_high();
    obj_lock(s);
    if (shared) {
        vc_join_from(&s->rfull, rt->vc, len);
    } else {
        vc_join_from(&s->full, rt->vc, len);
        if (!lock) /* a lock release publishes no hard knowledge: the lock is the edge */
            vc_join_from(&s->hard, rt->hvc, len);
    }
    obj_unlock(s);
}

static void join_into(struct lw_race_thread *rt, const struct vclock *v, bool lock, uint64_t key)
{
    if (!v)
        return;
    for (uint32_t j = 0; j < v->len; j++) {
        uint32_t c = v->c[j];
        if (c > rt->vc[j]) {
            rt->vc[j] = c;
            if (lock && c > rt->hvc[j])
                rt->via[j] = key;
        }
    }
}

static void join_hard(struct lw_race_thread *rt, const struct vclock *v)
{
    if (!v)
        return;
    for (uint32_t j = 0; j < v->len; j++)
        if (v->c[j] > rt->hvc[j])
            rt->hvc[j] = v->c[j];
}

void lw_race_sync_acquire(struct lw_race_thread *rt, uint64_t key, bool lock, bool shared,
                          bool hard_full)
{
    struct sync_obj *s = sync_find(key, false);
    if (!s)
        return;
    obj_lock(s);
    join_into(rt, s->full, lock, key);
    if (!shared)
        join_into(rt, s->rfull, lock, key);
    join_hard(rt, s->hard);
    if (hard_full)
        join_hard(rt, s->full);
    obj_unlock(s);
}

void lw_race_sync_drop(uint64_t key)
{
    struct sync_obj *s = sync_find(key, false);
    if (!s || s == &overflow)
        return;
    obj_lock(s);
    struct vclock *f = s->full, *h = s->hard, *r = s->rfull;
    s->full = s->hard = s->rfull = NULL;
    obj_unlock(s);
    vc_free(f);
    vc_free(h);
    vc_free(r);
}

void lw_race_sync_forget(uintptr_t lo, uintptr_t hi)
{
    if (!key_map || hi <= lo || hi - lo > KEY_MAP_REACH)
        return;
    for (uintptr_t g = lo & ~(uintptr_t)3; g < hi && g >= (lo & ~(uintptr_t)3);) {
        uint32_t b = key_bit(g);
        /* The rest of b's word covers granules g, g + 4, ... (at most 64). */
        uint32_t n = 64 - b % 64;
        uint64_t w = atomic_load_explicit(&key_map[b / 64], memory_order_relaxed) >> (b % 64);
        for (; w; w &= w - 1) {
            uintptr_t granule = g + 4 * (uintptr_t)__builtin_ctzll(w);
            for (uintptr_t key = granule; key < granule + 4; key++)
                if (key >= lo && key < hi)
                    lw_race_sync_drop(key);
        }
        g += 4 * (uintptr_t)n;
    }
}
