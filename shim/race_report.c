/*
 * RACE records (race mode). A racy loop finds the same race on every iteration; the log must
 * grow with distinct races, so each is written once per (unordered pair of access pcs, 8-byte
 * granule, predictive or not, whether the earlier access had its full stack). The last bit lets
 * a race first seen against a one-frame stack be written once more when the full stack of the
 * earlier access becomes known; the analyzer folds the two. The seen-set is a fixed lock-free
 * table; when a probe run is full the race is not written again (thousands of distinct races
 * are in the log by then).
 */
#include <errno.h>
#include <string.h>

#include "race_internal.h"

#define SEEN_BITS 16u
#define SEEN_SLOTS (1u << SEEN_BITS)

static _Atomic uint64_t *seen;
static _Atomic int seen_ready;

/* True the first time key is offered. */
static bool first_time(uint64_t key)
{
    if (!atomic_load_explicit(&seen_ready, memory_order_acquire)) {
        _Atomic uint64_t *fresh = lw_mmap_zero(SEEN_SLOTS * sizeof *fresh);
        _Atomic uint64_t *expected = NULL;
        if (!fresh)
            return false;
        if (!__atomic_compare_exchange_n(&seen, &expected, fresh, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            lw_munmap(fresh, SEEN_SLOTS * sizeof *fresh);
        atomic_store_explicit(&seen_ready, 1, memory_order_release);
    }
    key |= 1; /* never 0 */
    uint32_t i = (uint32_t)(key >> (64 - SEEN_BITS));
    for (uint32_t p = 0; p < 256; p++, i = (i + 1) & (SEEN_SLOTS - 1)) {
        uint64_t k = atomic_load_explicit(&seen[i], memory_order_relaxed);
        if (k == key)
            return false;
        if (k == 0) {
            if (atomic_compare_exchange_strong(&seen[i], &k, key))
                return true;
            if (k == key)
                return false;
        }
    }
    return false;
}

static void fill_side(struct lw_thread *t, struct lw_race_access *a, const struct lw_race_side *s)
{
    a->thread_id = s->thread_id;
    a->stack_id = s->stack_id;
    a->flags = s->flags;
    a->address = s->address;
    a->size = s->size;
    lw_stack_ensure_written(t, s->stack_id);
    uint64_t keys[LW_RACE_MAX_LOCKS];
    uint32_t n = lw_race_lockset_keys(s->lockset, keys, LW_RACE_MAX_LOCKS);
    a->n_locks = n;
    for (uint32_t i = 0; i < n && i < LW_RACE_MAX_LOCKS; i++) {
        uint32_t id = lw_lock_id((uintptr_t)keys[i], LW_LOCK_MUTEX, 0);
        a->locks[i] = id;
        if (id)
            lw_lock_describe(t, (uintptr_t)keys[i], id, 0);
    }
}

void lw_race_report(const struct lw_race_side *cur, const struct lw_race_side *prev,
                    uint64_t address, uint32_t size, bool predictive)
{
    uint64_t a = cur->pc < prev->pc ? cur->pc : prev->pc;
    uint64_t b = cur->pc < prev->pc ? prev->pc : cur->pc;
    /* A lost update (both wrote, one read first) is its own record even after a plain race of
     * the same two sites: Clang's compound read-modify-write hook reads and writes at one pc. */
    bool lost_update = ((cur->flags | prev->flags) & LW_RACE_ACC_RMW) &&
                       (cur->flags & prev->flags & LW_RACE_ACC_WRITE);
    uint64_t key = lw_mix(lw_mix(a * 31 + b) ^ (address >> 3)) ^
                   ((predictive ? 2u : 0u) | ((prev->flags & LW_RACE_ACC_TOP_ONLY) ? 4u : 0u) |
                    (lost_update ? 8u : 0u));
    if (!first_time(key))
        return;
    int saved = errno;
    struct lw_thread *t = lw_enter();
    if (!t) {
        errno = saved;
        return;
    }
    struct lw_rec_race *r = NULL;
    struct lw_rec_race body;
    memset(&body, 0, sizeof body);
    body.address = address;
    body.size = size;
    fill_side(t, &body.cur, cur);
    fill_side(t, &body.prev, prev);
    r = lw_log_reserve(t, sizeof *r);
    if (r) {
        memcpy((char *)r + sizeof r->h, (char *)&body + sizeof body.h, sizeof body - sizeof body.h);
        lw_log_publish(t, r, LW_REC_RACE, predictive ? LW_RACE_PREDICTIVE : 0, sizeof *r);
    }
    lw_leave();
    errno = saved;
}
