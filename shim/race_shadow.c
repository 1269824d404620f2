/*
 * Shadow memory and the access check (race mode), the FastTrack-style heart of the detector.
 * Every 8-byte granule of application memory has a cell of four entries; an entry remembers one
 * access (or a read and a write merged) by one thread in one epoch: slot, clock, read/write,
 * which bytes, the locks held (an interned lockset) and where (a stack id). The table has two
 * levels: a first level reserved with MAP_NORESERVE and indexed by addr >> 20, and blocks of
 * cells mapped on first use, so only touched memory costs shadow pages.
 *
 * tsan_abi.c's fast path returns when an entry of this thread and epoch already covers the
 * access. Everything else comes here: compare with the other threads' entries (a conflict is a
 * race unless the other access happened before this one), then store this access, replacing an
 * entry it supersedes. Stacks: a granule only this thread has touched stores just the access pc
 * (a cached one-frame stack); once another thread's entry is present the full shadow call
 * stack is interned, so the costly part is paid only for shared memory.
 */
#include <errno.h>
#include <string.h>

#include "race_internal.h"

_Atomic(struct lw_shadow_cell *) *lw_shadow_l1;

bool lw_race_shadow_init(void)
{
    if (!lw_shadow_l1)
        lw_shadow_l1 = lw_mmap_zero(LW_SHADOW_L1_ENTRIES * sizeof *lw_shadow_l1);
    return lw_shadow_l1 != NULL;
}

static struct lw_shadow_cell *cell_of(uintptr_t addr, bool create)
{
    if (!lw_shadow_l1 || (addr >> LW_SHADOW_ADDR_BITS))
        return NULL;
    _Atomic(struct lw_shadow_cell *) *slot = &lw_shadow_l1[addr >> LW_SHADOW_BLOCK_SHIFT];
    struct lw_shadow_cell *b = atomic_load_explicit(slot, memory_order_acquire);
    if (!b) {
        if (!create)
            return NULL;
        struct lw_shadow_cell *fresh = lw_mmap_zero(LW_SHADOW_CELLS * sizeof *fresh);
        if (!fresh)
            return NULL;
        if (atomic_compare_exchange_strong(slot, &b, fresh))
            b = fresh;
        else
            lw_munmap(fresh, LW_SHADOW_CELLS * sizeof *fresh);
    }
    return &b[(addr >> 3) & (LW_SHADOW_CELLS - 1)];
}

uint32_t lw_race_pc_stack(struct lw_race_thread *rt, uintptr_t pc)
{
    uint32_t i = (uint32_t)(pc >> 1) & (LW_RACE_PC_CACHE - 1);
    if (rt->pc_cache_pc[i] == pc && rt->pc_cache_id[i])
        return rt->pc_cache_id[i];
    uint64_t frame = pc;
    uint32_t id = lw_stack_intern(&frame, 1, 0);
    rt->pc_cache_pc[i] = pc;
    rt->pc_cache_id[i] = id;
    return id;
}

uint32_t lw_race_full_stack(struct lw_race_thread *rt, uintptr_t pc)
{
    uint64_t frames[LW_MAX_FRAMES];
    uint32_t n = 0, flags = 0;
    frames[n++] = pc;
    uint32_t depth = rt->depth < LW_RACE_SHADOW_DEPTH ? rt->depth : LW_RACE_SHADOW_DEPTH;
    if (rt->depth > LW_RACE_SHADOW_DEPTH)
        flags |= LW_STACK_TRUNCATED;
    for (uint32_t d = depth; d-- > 0;) {
        uint64_t f = rt->shadow_stack[d];
        if (!f || lw_stack_is_internal(f))
            continue;
        if (n == LW_MAX_FRAMES) {
            flags |= LW_STACK_TRUNCATED;
            break;
        }
        frames[n++] = f;
    }
    return lw_stack_intern(frames, n, flags);
}

/* The parts of a conflicting entry, decoded. */
struct conflict {
    uint64_t word, aux;
    bool predictive;
};

static void report_conflict(struct lw_race_thread *rt, const struct conflict *k, uintptr_t addr,
                            uint64_t mask, bool write, bool cur_rmw, uint32_t cur_stack,
                            uint32_t cur_lockset, uintptr_t pc)
{
    uint64_t w = k->word;
    uint32_t es = (uint32_t)(w >> 16) & 0xffff, ec = (uint32_t)(w >> 32);
    uint64_t em = w & 0xff;
    uint32_t prev_lockset = (uint32_t)k->aux, prev_stack = (uint32_t)(k->aux >> 32);
    if (k->predictive) {
        uint64_t via = rt->via[es];
        if (lw_race_lockset_common(prev_lockset, cur_lockset) ||
            lw_race_lockset_has(prev_lockset, via) || lw_race_lockset_has(cur_lockset, via))
            return; /* the ordering lock protects one of them: not a race in any schedule */
    }
    uintptr_t gran = addr & ~(uintptr_t)7;
    uint64_t both = em & mask;
    struct lw_race_side cur = {
        .thread_id = rt->thread_id,
        .stack_id = cur_stack,
        .flags = (write ? LW_RACE_ACC_WRITE : 0) | (cur_rmw ? LW_RACE_ACC_RMW : 0),
        .lockset = cur_lockset,
        .address = addr,
        .size = (uint32_t)__builtin_popcountll(mask),
        .pc = pc,
    };
    struct lw_race_side prev = {
        .thread_id = lw_race_slot_thread(es, ec),
        .stack_id = prev_stack,
        .flags = ((w & LW_SH_WRITE) ? LW_RACE_ACC_WRITE : 0) |
                 ((w & LW_SH_WRITE) && (w & LW_SH_READ) ? LW_RACE_ACC_RMW : 0) |
                 ((w & LW_SH_FULLSTACK) ? 0 : LW_RACE_ACC_TOP_ONLY),
        .lockset = prev_lockset,
        .address = gran + (uintptr_t)__builtin_ctzll(em),
        .size = (uint32_t)__builtin_popcountll(em),
        .pc = lw_stack_top(prev_stack),
    };
    lw_race_report(&cur, &prev, gran + (uintptr_t)__builtin_ctzll(both),
                   (uint32_t)__builtin_popcountll(both), k->predictive);
}

/* Checks and records one access inside one granule. False: the cell changed under us, check
 * again. */
static bool check_granule(struct lw_race_thread *rt, struct lw_shadow_cell *c, uintptr_t addr,
                          unsigned n, uint64_t wflag, uintptr_t pc)
{
    const uint64_t mask = (((uint64_t)1 << n) - 1) << (addr & 7);
    const uint32_t slot = rt->slot, clock = rt->vc[slot];
    const bool write = wflag != 0;
    int own = -1, replace = -1, empty = -1, evict = -1, own_old = -1;
    bool shared = false, cur_rmw = false, own_seen = false;
    struct conflict conflicts[LW_SHADOW_ENTS];
    unsigned n_conflicts = 0;

    uint64_t seen[LW_SHADOW_ENTS];
    for (unsigned i = 0; i < LW_SHADOW_ENTS; i++) {
        uint64_t w = atomic_load_explicit(&c->e[i].word, memory_order_relaxed);
        seen[i] = w;
        if (!w) {
            if (empty < 0)
                empty = (int)i;
            continue;
        }
        uint32_t es = (uint32_t)(w >> 16) & 0xffff, ec = (uint32_t)(w >> 32);
        uint64_t em = w & 0xff;
        bool ew = (w & LW_SH_WRITE) != 0;
        bool dominated = (em & ~mask) == 0 && (write || !ew); /* this access supersedes it */
        if (es == LW_RACE_SLOT_BENIGN) {
            if (em & mask)
                return true;
            continue;
        }
        if (es == slot) {
            own_seen = true;
            if (ec == clock) {
                if (write && (w & LW_SH_READ) && (em & mask) == mask)
                    cur_rmw = true; /* read, then write, no synchronisation between */
                if (em == mask)
                    own = (int)i;
            } else if (dominated && replace < 0) {
                replace = (int)i;
            } else if (own_old < 0) {
                own_old = (int)i;
            }
            continue;
        }
        shared = true;
        bool ordered = es < LW_RACE_MAX_SLOTS && ec <= rt->vc[es];
        bool hard = ordered && ec <= rt->hvc[es];
        if (hard && evict < 0)
            evict = (int)i; /* happened before this access: the first to go if space runs out */
        if (!(em & mask) || (!write && !ew)) {
            /* Other bytes of the granule, or two reads. An earlier read that happened before
             * this one, on bytes this one covers, is superseded: whatever races with it races
             * with this read too (happens-before is transitive). */
            if (hard && dominated && replace < 0)
                replace = (int)i;
            continue;
        }
        if (ordered) {
            if (!hard) /* ordered only through lock ordering */
                conflicts[n_conflicts++] = (struct conflict){
                    w, atomic_load_explicit(&c->e[i].aux, memory_order_relaxed), true};
            else if (dominated && replace < 0)
                replace = (int)i;
            continue;
        }
        conflicts[n_conflicts++] =
            (struct conflict){w, atomic_load_explicit(&c->e[i].aux, memory_order_relaxed), false};
    }

    uint32_t lockset = lw_race_lockset_id(rt);
    uint32_t stack = shared ? lw_race_full_stack(rt, pc) : lw_race_pc_stack(rt, pc);
    for (unsigned k = 0; k < n_conflicts; k++)
        report_conflict(rt, &conflicts[k], addr, mask, write, cur_rmw, stack, lockset, pc);
    if (!own_seen) /* this thread's first touch here: another thread's TLS or dead stack? */
        lw_tls_check_access(lw_thread_peek(), addr, n, write, stack);

    uint64_t flags = write ? LW_SH_WRITE : LW_SH_READ;
    if (shared)
        flags |= LW_SH_FULLSTACK;
    int idx;
    if (own >= 0) {
        idx = own;
        flags |= seen[idx] & (LW_SH_WRITE | LW_SH_READ);
        if (!write)
            return true; /* a read merged into this epoch's write: keep the write's site */
    } else if (replace >= 0) {
        idx = replace;
    } else if (empty >= 0) {
        idx = empty;
    } else if (evict >= 0) {
        idx = evict;
    } else if (own_old >= 0) {
        idx = own_old; /* this thread's older access: a race with it is likely found again */
    } else {
        idx = (int)((clock ^ (addr >> 3)) & (LW_SHADOW_ENTS - 1)); /* evict one */
    }
    uint64_t word = ((uint64_t)clock << 32) | ((uint64_t)slot << 16) | flags | mask;
    /* Another thread may store its access into this cell while we check (the window is the
     * whole slow path: stack and lockset interning). The entry is claimed by CAS against what
     * the scan saw, so of two threads choosing the same entry one fails and checks again; then
     * the cell is read again after a full fence, so of two threads storing into different
     * entries at least one sees the other's (Dekker-style). Either way the race is not lost
     * between two checks made here. The same-thread paths in tsan_abi.c store without CAS (the
     * window that leaves is described there): when one overwrote our entry, the re-read finds
     * its word there instead of ours and checks against it. */
    uint64_t expected = seen[idx];
    if (!atomic_compare_exchange_strong(&c->e[idx].word, &expected, word))
        return false;
    atomic_store_explicit(&c->e[idx].aux, ((uint64_t)stack << 32) | lockset, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    for (unsigned i = 0; i < LW_SHADOW_ENTS; i++) {
        uint64_t w = atomic_load_explicit(&c->e[i].word, memory_order_relaxed);
        if (!w || w == ((int)i == idx ? word : seen[i]))
            continue;
        uint32_t es = (uint32_t)(w >> 16) & 0xffff, ec = (uint32_t)(w >> 32);
        if (es == slot || es == LW_RACE_SLOT_BENIGN || !(w & mask) ||
            (!write && !(w & LW_SH_WRITE)))
            continue;
        bool ordered = es < LW_RACE_MAX_SLOTS && ec <= rt->vc[es];
        if (ordered && ec <= rt->hvc[es])
            continue;
        struct conflict k = {w, atomic_load_explicit(&c->e[i].aux, memory_order_relaxed), ordered};
        report_conflict(rt, &k, addr, mask, write, cur_rmw, stack, lockset, pc);
    }
    return true;
}

void lw_race_access_slow(struct lw_race_thread *rt, uintptr_t addr, uintptr_t size, uint64_t flags,
                         uintptr_t pc)
{
    if (rt->busy || rt->ignore || size == 0)
        return;
    rt->busy = 1;
    int saved = errno;
    while (size) {
        unsigned n = 8 - (unsigned)(addr & 7);
        if (n > size)
            n = (unsigned)size;
        struct lw_shadow_cell *c = cell_of(addr, true);
        if (!c)
            break;
        for (int attempt = 0; attempt < 4 && !check_granule(rt, c, addr, n, flags, pc); attempt++)
            ; /* the cell changed while we checked: again (races found twice are deduplicated) */
        addr += n;
        size -= n;
    }
    errno = saved;
    rt->busy = 0;
}

void lw_race_shadow_benign(uintptr_t addr, uintptr_t size)
{
    while (size) {
        unsigned n = 8 - (unsigned)(addr & 7);
        if (n > size)
            n = (unsigned)size;
        struct lw_shadow_cell *c = cell_of(addr, true);
        if (!c)
            return;
        uint64_t mask = (((uint64_t)1 << n) - 1) << (addr & 7);
        for (unsigned i = 1; i < LW_SHADOW_ENTS; i++)
            atomic_store_explicit(&c->e[i].word, 0, memory_order_relaxed);
        uint64_t old = atomic_load_explicit(&c->e[0].word, memory_order_relaxed);
        if (((old >> 16) & 0xffff) != LW_RACE_SLOT_BENIGN)
            old = 0;
        atomic_store_explicit(&c->e[0].word,
                              ((uint64_t)LW_RACE_SLOT_BENIGN << 16) | (old & 0xff) | mask,
                              memory_order_relaxed);
        addr += n;
        size -= n;
    }
}

void lw_race_shadow_clear(uintptr_t lo, uintptr_t hi)
{
    lo &= ~(uintptr_t)7;
    while (lo < hi) {
        uintptr_t block_end = (lo | (((uintptr_t)1 << LW_SHADOW_BLOCK_SHIFT) - 1)) + 1;
        uintptr_t end = block_end < hi ? block_end : hi;
        struct lw_shadow_cell *c = cell_of(lo, false);
        if (c) {
            size_t cells = (end - lo + 7) >> 3;
            memset((void *)c, 0, cells * sizeof *c);
        }
        lo = end;
    }
}
