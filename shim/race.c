/*
 * Race detection (race mode): per-thread race state, thread slots and the synchronisation hooks
 * the interceptors call. Each thread owns a slot, its index in every vector clock; slots of
 * ended threads are recycled (oldest first) so that 10,000 threads over a run keep clocks as
 * short as the number of threads alive at once. A slot's new owner continues the slot's clock,
 * so epochs of the old and new owner never collide; the price is that the new owner counts as
 * ordered after the old one (docs/race-mode.md, "Limits").
 *
 * Every hook starts a new epoch, so "the same epoch" means "no synchronisation in between": the
 * shadow check's same-epoch shortcut and its read-modify-write test both rest on that.
 */
#include <errno.h>
#include <string.h>

#include "race_internal.h"

_Atomic int lw_race_enabled;
LW_TLS struct lw_race_thread *lw_race_tls;
static LW_TLS int race_tls_dead;

/* Slot table: owners by start clock, so a report can name the thread of an old epoch. */
#define SLOT_HISTORY 4u
struct slot_info {
    uint32_t next_clock; /* first clock of the next owner */
    uint32_t n_owners;
    struct lw_race_thread *_Atomic live; /* the live owner's state, NULL once it ended */
    uint32_t start[SLOT_HISTORY];
    uint32_t thread[SLOT_HISTORY];
};
static struct slot_info *slots; /* LW_RACE_MAX_SLOTS entries, mmap'd */
static uint32_t free_slots[LW_RACE_MAX_SLOTS];
static uint32_t free_head, free_count;
static _Atomic uint32_t slots_high = 1;
static _Atomic int slot_lock;
static struct lw_race_thread *free_states;

/* Recycle a slot only when a few are free: the most recently ended threads keep theirs a little
 * longer, so their entries stay attributable. */
#define SLOT_QUARANTINE 4u

static void slot_lock_acquire(void)
{
    lw_spin_acquire(&slot_lock);
}

static void slot_lock_release(void)
{
    atomic_store_explicit(&slot_lock, 0, memory_order_release);
}

/* In the child: everything the parent's other threads did before the fork is in the memory the
 * child starts from, and none of them runs here any more, so the forking thread (the child's
 * only thread) is ordered after all of it, as if it had joined them all. Their slots stay taken
 * (their entries stay attributable) but no longer count as live owners here. */
static void join_parent_threads(void)
{
    struct lw_race_thread *me = lw_race_tls;
    if (!me || !slots)
        return;
    uint32_t high = atomic_load_explicit(&slots_high, memory_order_acquire);
    for (uint32_t s = 1; s < high && s < LW_RACE_MAX_SLOTS; s++) {
        if (s == me->slot)
            continue;
        /* A live owner's own clock entry; an ended one's last clock. */
        const struct lw_race_thread *other =
            atomic_load_explicit(&slots[s].live, memory_order_acquire);
        uint32_t c = other ? other->vc[s] : slots[s].next_clock;
        if (c > me->vc[s])
            me->vc[s] = c;
        if (c > me->hvc[s])
            me->hvc[s] = c;
        atomic_store_explicit(&slots[s].live, NULL, memory_order_relaxed);
    }
}

void lw_race_after_fork_child(void)
{
    atomic_store_explicit(&slot_lock, 0, memory_order_relaxed);
    join_parent_threads();
    lw_race_sync_after_fork();
    lw_race_shadow_after_fork();
    lw_race_site_after_fork();
    lw_race_lockset_after_fork();
}

uint32_t lw_race_slots_high(void)
{
    return atomic_load_explicit(&slots_high, memory_order_acquire);
}

uint32_t lw_race_slot_thread(uint32_t slot, uint32_t clock)
{
    if (!slots || slot == 0 || slot >= LW_RACE_MAX_SLOTS)
        return 0;
    struct slot_info *s = &slots[slot];
    uint32_t n = s->n_owners < SLOT_HISTORY ? s->n_owners : SLOT_HISTORY;
    uint32_t best = 0, best_start = 0;
    for (uint32_t i = 0; i < n; i++)
        if (s->start[i] <= clock && s->start[i] >= best_start) {
            best_start = s->start[i];
            best = s->thread[i];
        }
    return best;
}

/* Called with slot_lock held. Returns 0 when every slot is taken. */
static uint32_t slot_take(uint32_t thread_id, uint32_t *start_clock)
{
    uint32_t slot = 0;
    uint32_t high = atomic_load_explicit(&slots_high, memory_order_relaxed);
    if (free_count > SLOT_QUARANTINE || (high >= LW_RACE_MAX_SLOTS && free_count)) {
        slot = free_slots[free_head];
        free_head = (free_head + 1) % LW_RACE_MAX_SLOTS;
        free_count--;
    } else if (high < LW_RACE_MAX_SLOTS) {
        slot = high;
        atomic_store_explicit(&slots_high, high + 1, memory_order_release);
    } else {
        return 0;
    }
    struct slot_info *s = &slots[slot];
    *start_clock = s->next_clock + 1;
    uint32_t i = s->n_owners++ % SLOT_HISTORY;
    s->start[i] = *start_clock;
    s->thread[i] = thread_id;
    return slot;
}

static struct lw_race_thread *race_thread_create(uint32_t thread_id)
{
    if (!slots) {
        struct slot_info *fresh = lw_mmap_zero(LW_RACE_MAX_SLOTS * sizeof *fresh);
        struct slot_info *expected = NULL;
        if (!fresh)
            return NULL;
        if (!__atomic_compare_exchange_n(&slots, &expected, fresh, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            lw_munmap(fresh, LW_RACE_MAX_SLOTS * sizeof *fresh);
    }
    slot_lock_acquire();
    struct lw_race_thread *rt = free_states;
    if (rt)
        free_states = rt->next_free;
    uint32_t start = 0;
    uint32_t slot = slot_take(thread_id, &start);
    slot_lock_release();
    if (!slot) {
        if (rt) {
            slot_lock_acquire();
            rt->next_free = free_states;
            free_states = rt;
            slot_lock_release();
        }
        lw_log_drop(LW_DROP_THREAD_TABLE_FULL); /* the report says the analysis is partial */
        return NULL; /* more live threads than slots: this one is not watched */
    }
    if (!rt)
        rt = lw_mmap_zero(sizeof *rt);
    else
        memset(rt, 0, sizeof *rt); /* only ended threads are recycled */
    if (!rt)
        return NULL;
    rt->slot = slot;
    rt->thread_id = thread_id;
    rt->vc[slot] = start;
    rt->hvc[slot] = start;
    rt->epoch_key = LW_SH_KEY(start, slot);
    atomic_store_explicit(&slots[slot].live, rt, memory_order_release);
    rt->stack_base = (uintptr_t)__builtin_frame_address(0);
    rt->stack_low = rt->stack_base;
    lw_race_tls = rt;
    return rt;
}

/* The race state of t (the calling thread, inside the shim). */
static struct lw_race_thread *race_of(struct lw_thread *t)
{
    struct lw_race_thread *rt = lw_race_tls;
    if (LW_LIKELY(rt) || race_tls_dead)
        return rt;
    return race_thread_create(t->id);
}

struct lw_race_thread *lw_race_thread_slow(void)
{
    if (!lw_race_on() || race_tls_dead)
        return NULL;
    int saved = errno;
    struct lw_thread *t = lw_enter();
    struct lw_race_thread *rt = NULL;
    if (t) {
        rt = race_of(t);
        lw_leave();
    }
    errno = saved;
    return rt;
}

void lw_race_forget_memory(uintptr_t lo, uintptr_t hi)
{
    lw_race_shadow_clear(lo, hi);
    lw_race_sync_forget(lo, hi);
}

void lw_race_destroyed(uintptr_t obj)
{
    lw_race_sync_drop(obj);
}

/* The thread ended: its slot goes back to the pool, its stack's shadow and the clocks of the
 * synchronisation objects on it are forgotten (glibc reuses the stack for a later thread) and its
 * later accesses (TLS destructors) are ignored. */
static void race_thread_end(struct lw_race_thread *rt)
{
    lw_race_tls = NULL;
    race_tls_dead = 1;
    uintptr_t lo = rt->stack_low > 4096 ? rt->stack_low - 4096 : 0;
    lw_race_forget_memory(lo, rt->stack_base + 256);
    slot_lock_acquire();
    atomic_store_explicit(&slots[rt->slot].live, NULL, memory_order_relaxed);
    slots[rt->slot].next_clock = rt->vc[rt->slot];
    free_slots[(free_head + free_count) % LW_RACE_MAX_SLOTS] = rt->slot;
    free_count++;
    rt->next_free = free_states;
    free_states = rt;
    slot_lock_release();
}

static bool is_thread_key(uint64_t key)
{
    return key >= 0xc000000000000000ull;
}

/* Lockset bookkeeping: a lock joins the set on acquisition, leaves it on release. */
static void lockset_add(struct lw_race_thread *rt, uint64_t key, bool shared)
{
    for (uint32_t i = 0; i < rt->n_locks && i < LW_RACE_LOCKSET_MAX; i++)
        if (rt->locks[i].key == key)
            return; /* a recursive relock */
    if (rt->n_locks < LW_RACE_LOCKSET_MAX)
        rt->locks[rt->n_locks] = (struct lw_race_lock){key, shared};
    rt->n_locks++;
    rt->lockset_valid = false;
}

/* Returns true if key was held (the release is a lock release). */
static bool lockset_remove(struct lw_race_thread *rt, uint64_t key)
{
    uint32_t n = rt->n_locks < LW_RACE_LOCKSET_MAX ? rt->n_locks : LW_RACE_LOCKSET_MAX;
    for (uint32_t i = 0; i < n; i++)
        if (rt->locks[i].key == key) {
            rt->locks[i] = rt->locks[n - 1];
            rt->n_locks--;
            rt->lockset_valid = false;
            return true;
        }
    if (rt->n_locks > LW_RACE_LOCKSET_MAX) { /* an unlisted lock: count it out */
        rt->n_locks--;
        return true;
    }
    return false;
}

void lw_race_release_rt(struct lw_race_thread *rt, uint64_t key, bool lock, bool shared)
{
    rt->busy++;
    lw_race_sync_release(rt, key, lock, shared);
    lw_race_tick(rt);
    rt->busy--;
}

void lw_race_acquire_rt(struct lw_race_thread *rt, uint64_t key, bool lock, bool shared)
{
    rt->busy++;
    lw_race_sync_acquire(rt, key, lock, shared, false);
    lw_race_tick(rt);
    rt->busy--;
}

void lw_race_acquire(struct lw_thread *t, uint64_t key, uint32_t acq_flags)
{
    struct lw_race_thread *rt = race_of(t);
    if (!rt)
        return;
    bool lock = !(acq_flags & LW_RACE_NOT_LOCK) && !is_thread_key(key);
    bool shared = (acq_flags & LW_ACQ_READ) != 0;
    if (lock)
        lockset_add(rt, key, shared);
    lw_race_acquire_rt(rt, key, lock, shared);
    if (is_thread_key(key))
        lw_race_sync_drop(key); /* a thread starts once and is joined once */
}

void lw_race_release(struct lw_thread *t, uint64_t key, uint32_t acq_flags)
{
    struct lw_race_thread *rt = race_of(t);
    if (!rt)
        return;
    bool lock = !(acq_flags & LW_RACE_NOT_LOCK) && !is_thread_key(key) && lockset_remove(rt, key);
    lw_race_release_rt(rt, key, lock, lock && (acq_flags & LW_ACQ_READ));
    if (key == LW_RACE_KEY_EXIT(t->id))
        race_thread_end(rt);
}

void lw_race_cond_wake(struct lw_thread *t, uint64_t key)
{
    struct lw_race_thread *rt = race_of(t);
    if (!rt)
        return;
    rt->busy++;
    lw_race_sync_acquire(rt, key, false, false, true);
    lw_race_tick(rt);
    rt->busy--;
}

void lw_race_pre_release(uintptr_t obj)
{
    int saved = errno;
    struct lw_thread *t = lw_enter();
    if (!t) {
        errno = saved;
        return;
    }
    struct lw_race_thread *rt = race_of(t);
    uint32_t n = rt ? (rt->n_locks < LW_RACE_LOCKSET_MAX ? rt->n_locks : LW_RACE_LOCKSET_MAX) : 0;
    for (uint32_t i = 0; i < n; i++)
        if (rt->locks[i].key == obj) { /* the release hook that follows does the rest */
            rt->busy++;
            lw_race_sync_release(rt, obj, true, rt->locks[i].shared);
            rt->busy--;
            break;
        }
    lw_leave();
    errno = saved;
}
