/*
 * Interned locksets (race mode). A shadow entry stores the locks held at its access as one
 * 32-bit id, so comparing "which locks protected each access" costs two lookups at the moment a
 * conflict is found, never on the access path. A thread interns its set lazily: only the first
 * recorded access after a lock operation pays one hash probe. Sets are sorted lock addresses
 * (bit 0 = held shared); the table is append-only and lock-free (CAS on the index slot). A full
 * table answers LW_RACE_LOCKSET_UNKNOWN, which never counts as "protected" nor "unprotected".
 */
#include <string.h>

#include "race_internal.h"

#define LS_BITS 16u
#define LS_SLOTS (1u << LS_BITS)
#define LS_MAX_SETS (LS_SLOTS / 2)
_Static_assert(LS_MAX_SETS <= LW_SH_LOCKSET_UNKNOWN16, "shadow entries keep 16-bit lockset ids");

struct lockset {
    uint64_t hash;
    uint32_t n;      /* locks in the set (only LW_RACE_LOCKSET_MAX listed) */
    uint32_t listed; /* entries of keys[] used */
    uint64_t keys[LW_RACE_LOCKSET_MAX];
};

static _Atomic uint32_t *index_table; /* LS_SLOTS ids, 0 = empty */
static struct lockset *sets;          /* LS_MAX_SETS, id 0 unused */
static _Atomic uint32_t next_set = 1;
static _Atomic int ls_ready;
static _Atomic int ls_init_lock;

void lw_race_lockset_after_fork(void)
{
    /* A thread that does not exist in the child may have held it: an unfinished init is redone. */
    atomic_store_explicit(&ls_init_lock, 0, memory_order_relaxed);
}

static bool ls_init(void)
{
    if (atomic_load_explicit(&ls_ready, memory_order_acquire))
        return true;
    lw_spin_acquire(&ls_init_lock);
    if (!atomic_load(&ls_ready)) {
        index_table = lw_mmap_zero(LS_SLOTS * sizeof *index_table);
        sets = lw_mmap_zero(LS_MAX_SETS * sizeof *sets);
        if (index_table && sets)
            atomic_store_explicit(&ls_ready, 1, memory_order_release);
    }
    atomic_store_explicit(&ls_init_lock, 0, memory_order_release);
    return atomic_load(&ls_ready);
}

static uint32_t intern(const uint64_t *keys, uint32_t listed, uint32_t n)
{
    if (!ls_init())
        return LW_RACE_LOCKSET_UNKNOWN;
    uint64_t h = 0x51ed27u ^ n;
    for (uint32_t i = 0; i < listed; i++)
        h = lw_mix(h ^ keys[i]);
    uint32_t slot = (uint32_t)(h >> (64 - LS_BITS));
    uint32_t mine = 0;
    for (uint32_t p = 0; p < LS_SLOTS; p++, slot = (slot + 1) & (LS_SLOTS - 1)) {
        uint32_t id = atomic_load_explicit(&index_table[slot], memory_order_acquire);
        while (id == 0) {
            if (!mine) {
                mine = atomic_fetch_add(&next_set, 1);
                if (mine >= LS_MAX_SETS)
                    return LW_RACE_LOCKSET_UNKNOWN;
                sets[mine].hash = h;
                sets[mine].n = n;
                sets[mine].listed = listed;
                memcpy(sets[mine].keys, keys, listed * sizeof *keys);
            }
            if (atomic_compare_exchange_strong(&index_table[slot], &id, mine))
                return mine;
        }
        struct lockset *s = &sets[id];
        if (s->hash == h && s->n == n && s->listed == listed &&
            memcmp(s->keys, keys, listed * sizeof *keys) == 0)
            return id; /* an unused `mine` is lost: a race between two interns, harmless */
    }
    return LW_RACE_LOCKSET_UNKNOWN;
}

uint32_t lw_race_lockset_id(struct lw_race_thread *rt)
{
    if (rt->lockset_valid)
        return rt->lockset_id;
    uint32_t id = 0;
    if (rt->n_locks) {
        uint32_t listed = rt->n_locks < LW_RACE_LOCKSET_MAX ? rt->n_locks : LW_RACE_LOCKSET_MAX;
        uint64_t keys[LW_RACE_LOCKSET_MAX];
        for (uint32_t i = 0; i < listed; i++) { /* insertion sort: order of acquisition does
                                                   not matter, only the set */
            uint64_t k = rt->locks[i].key | (rt->locks[i].shared ? 1u : 0u);
            uint32_t j = i;
            while (j > 0 && keys[j - 1] > k) {
                keys[j] = keys[j - 1];
                j--;
            }
            keys[j] = k;
        }
        id = intern(keys, listed, rt->n_locks);
    }
    rt->lockset_id = id;
    rt->lockset_valid = true;
    return id;
}

static const struct lockset *get(uint32_t id)
{
    if (id == 0 || id == LW_RACE_LOCKSET_UNKNOWN || id >= LS_MAX_SETS || !sets)
        return NULL;
    return &sets[id];
}

bool lw_race_lockset_common(uint32_t a, uint32_t b)
{
    const struct lockset *x = get(a), *y = get(b);
    if (!x || !y)
        return a == LW_RACE_LOCKSET_UNKNOWN || b == LW_RACE_LOCKSET_UNKNOWN;
    for (uint32_t i = 0; i < x->listed; i++)
        for (uint32_t j = 0; j < y->listed; j++) {
            uint64_t kx = x->keys[i], ky = y->keys[j];
            if ((kx & ~1ull) == (ky & ~1ull) && !((kx & 1) && (ky & 1)))
                return true; /* held by both, exclusively by at least one */
        }
    return false;
}

bool lw_race_lockset_has(uint32_t id, uint64_t key)
{
    const struct lockset *x = get(id);
    if (!x)
        return id == LW_RACE_LOCKSET_UNKNOWN;
    for (uint32_t i = 0; i < x->listed; i++)
        if ((x->keys[i] & ~1ull) == key)
            return true;
    return false;
}

uint32_t lw_race_lockset_keys(uint32_t id, uint64_t *keys, uint32_t max)
{
    const struct lockset *x = get(id);
    if (!x)
        return 0;
    for (uint32_t i = 0; i < x->listed && i < max; i++)
        keys[i] = x->keys[i] & ~1ull;
    return x->n;
}
