/*
 * Interned sites (race mode): a site is where an access happened (a stack id) with the locks
 * held there (a lockset id), named by a 16-bit id so that a compact shadow cell can keep the
 * sites of two entries in a few bits (race_internal.h). The table is append-only and lock-free:
 * open addressing over 2^16 slots, a slot's index is the site's id, claimed by CAS. It is filled
 * to three quarters at most; then no new id is given out and the access takes the path that
 * keeps full entries (an expanded cell), which needs no site id.
 */
#include "race_internal.h"
#include "spin.h"

#define SITE_BITS 16u
#define SITE_SLOTS (1u << SITE_BITS)
#define SITE_FILL_MAX (SITE_SLOTS / 4 * 3)

static _Atomic(_Atomic uint64_t *) site_table; /* stack:32 | lockset:16 | 1 << 63, 0 = free */
static _Atomic uint32_t site_count;
static _Atomic int site_init_lock;

void lw_race_site_after_fork(void)
{
    atomic_store_explicit(&site_init_lock, 0, memory_order_relaxed);
}

static bool site_init(void)
{
    if (atomic_load_explicit(&site_table, memory_order_acquire))
        return true;
    lw_spin_lock(&site_init_lock);
    if (!atomic_load_explicit(&site_table, memory_order_relaxed)) {
        _Atomic uint64_t *t = lw_mmap_zero(SITE_SLOTS * sizeof *t);
        atomic_store_explicit(&site_table, t, memory_order_release);
    }
    lw_spin_unlock(&site_init_lock);
    return atomic_load_explicit(&site_table, memory_order_acquire) != NULL;
}

static uint64_t site_key(uint32_t stack, uint32_t lockset)
{
    uint64_t ls = lockset < LW_SH_LOCKSET_UNKNOWN16 ? lockset : LW_SH_LOCKSET_UNKNOWN16;
    return (1ull << 63) | ((uint64_t)stack << 16) | ls;
}

uint32_t lw_race_site(uint32_t stack, uint32_t lockset)
{
    if (!stack || !site_init())
        return 0;
    _Atomic uint64_t *t = atomic_load_explicit(&site_table, memory_order_acquire);
    uint64_t key = site_key(stack, lockset);
    uint32_t i = (uint32_t)(lw_mix(key) >> (64 - SITE_BITS));
    for (uint32_t probe = 0; probe < SITE_SLOTS; probe++, i = (i + 1) & (SITE_SLOTS - 1)) {
        if (i == 0)
            continue; /* id 0 means "no site" */
        uint64_t k = atomic_load_explicit(&t[i], memory_order_acquire);
        if (k == key)
            return i;
        if (k)
            continue;
        if (atomic_load_explicit(&site_count, memory_order_relaxed) >= SITE_FILL_MAX)
            return 0;
        if (atomic_compare_exchange_strong(&t[i], &k, key)) {
            atomic_fetch_add_explicit(&site_count, 1, memory_order_relaxed);
            return i;
        }
        if (k == key)
            return i; /* another thread interned it at the same time */
    }
    return 0;
}

bool lw_race_site_get(uint32_t id, uint32_t *stack, uint32_t *lockset)
{
    _Atomic uint64_t *t = atomic_load_explicit(&site_table, memory_order_acquire);
    if (!t || id == 0 || id >= SITE_SLOTS)
        return false;
    uint64_t k = atomic_load_explicit(&t[id], memory_order_acquire);
    if (!k)
        return false;
    *stack = (uint32_t)(k >> 16);
    uint32_t ls = (uint32_t)(k & 0xffffu);
    *lockset = ls == LW_SH_LOCKSET_UNKNOWN16 ? LW_RACE_LOCKSET_UNKNOWN : ls;
    return true;
}
