/*
 * Shadow memory and the access check (race mode), the FastTrack-style heart of the detector.
 * Every 8-byte granule of application memory has a shadow cell; an entry remembers what one
 * thread did to the granule in one epoch: slot, clock, the bytes read and the bytes written, the
 * locks held (an interned lockset) and where (a stack id). A granule's cell is compact
 * (16 bytes: one thread's current entry and one older one, race_internal.h) while that is
 * enough, and expanded to four full entries when more must be kept, which happens for memory
 * that several threads touch. The table has two levels: a first level reserved with
 * MAP_NORESERVE and indexed by addr >> 20, and blocks of compact cells mapped on first use, so
 * only touched memory costs shadow pages; expanded cells come from a pool.
 *
 * tsan_abi.c's fast path returns when this thread's entry of its current epoch covers the access,
 * and records accesses to cells that are this thread's. Everything else comes here: compare with
 * the other threads' entries (a conflict is a race unless the other access happened before this
 * one), then store this access, replacing an entry it supersedes. Stacks: a granule only this
 * thread has touched stores just the access pc (a cached one-frame stack); once another thread's
 * entry is present the full shadow call stack is interned, so the costly part is paid only for
 * shared memory.
 */
#include <errno.h>
#include <string.h>

#include "race_internal.h"
#include "spin.h"

_Atomic(struct lw_shadow_cell *) *lw_shadow_l1;
bool lw_cell_sse_atomic;

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
    rt->pc_cache_site[i] = 0; /* the line's site was the previous pc's */
    return id;
}

uint32_t lw_race_pc_site(struct lw_race_thread *rt, uintptr_t pc)
{
    uint32_t stack = lw_race_pc_stack(rt, pc), lockset = lw_race_lockset_id(rt);
    uint32_t i = (uint32_t)(pc >> 1) & (LW_RACE_PC_CACHE - 1);
    uint16_t ls16 = (uint16_t)lockset;
    if (rt->pc_cache_pc[i] == pc && rt->pc_cache_site_ls[i] == ls16 && rt->pc_cache_site[i])
        return rt->pc_cache_site[i];
    uint32_t site = lw_race_site(stack, lockset);
    if (rt->pc_cache_pc[i] == pc) { /* lw_race_pc_stack filled this line */
        rt->pc_cache_site[i] = (uint16_t)site;
        rt->pc_cache_site_ls[i] = ls16;
    }
    return site;
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

/* Reads entry e as one (word, aux) pair: a word whose aux is still the replaced entry's (its
 * writer is between its two stores) is read again, and so is a word that changed meanwhile. Only
 * when the writer stays between its stores for long (descheduled there) are the site and locks
 * unknown (an unknown lockset never makes a predictive report). */
static uint64_t read_entry(struct lw_shadow_ent *e, uint64_t *aux)
{
    for (int spin = 0;; spin++) {
        uint64_t w = atomic_load_explicit(&e->word, memory_order_acquire);
        uint64_t a = atomic_load_explicit(&e->aux, memory_order_acquire);
        if (!w || lw_sh_aux_matches(a, w)) {
            *aux = a;
            return w;
        }
        if (atomic_load_explicit(&e->word, memory_order_relaxed) != w)
            continue; /* replaced meanwhile: read the new entry */
        if (spin == 4096) {
            *aux = lw_sh_aux(0, LW_RACE_LOCKSET_UNKNOWN, w);
            return w;
        }
        __builtin_ia32_pause();
    }
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
    uint32_t es = LW_SH_SLOT(w), ec = LW_SH_CLOCK(w);
    uint32_t prev_lockset = lw_sh_aux_lockset(k->aux), prev_stack = lw_sh_aux_stack(k->aux);
    if (k->predictive) {
        uint64_t via = rt->via[es];
        if (lw_race_lockset_common(prev_lockset, cur_lockset) ||
            lw_race_lockset_has(prev_lockset, via) || lw_race_lockset_has(cur_lockset, via))
            return; /* the ordering lock protects one of them: not a race in any schedule */
    }
    uintptr_t gran = addr & ~(uintptr_t)7;
    uint64_t both = lw_sh_conflicting_bytes(w, mask, write);
    /* The earlier side is described by what it did to the racing bytes: a write if it wrote
     * one of them (read first: a read-modify-write), else a read. */
    uint64_t pw = LW_SH_WMASK(w) & both;
    uint64_t pbytes = pw ? pw : both;
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
        .flags = (pw ? LW_RACE_ACC_WRITE : 0) | ((pw & LW_SH_RMASK(w)) ? LW_RACE_ACC_RMW : 0) |
                 ((w & LW_SH_FULLSTACK) ? 0 : LW_RACE_ACC_TOP_ONLY),
        .lockset = prev_lockset,
        .address = gran + (uintptr_t)__builtin_ctzll(pbytes),
        .size = (uint32_t)__builtin_popcountll(pbytes),
        .pc = lw_stack_top(prev_stack),
    };
    lw_race_report(&cur, &prev, gran + (uintptr_t)__builtin_ctzll(both),
                   (uint32_t)__builtin_popcountll(both), k->predictive);
}

/*
 * Expanded cells come from a pool of 1 MiB chunks and are never freed: a thread may still be
 * reading one it found in a cell that another thread has since cleared (a dead thread's stack).
 * A cell taken but never published (the expanding CAS lost) goes back to a free list.
 */
_Atomic(struct lw_shadow_xcell *) lw_xcell_chunks[LW_XCELL_CHUNKS];
static _Atomic int xpool_lock;
static uint32_t xpool_used;                       /* cells handed out; the next index */
static uint32_t xpool_free[64], xpool_free_count; /* returned, never published */

/* A zeroed expanded cell and its index; NULL when the pool is out of memory or indices. */
static struct lw_shadow_xcell *xcell_take(uint32_t *index)
{
    struct lw_shadow_xcell *x = NULL;
    lw_spin_lock(&xpool_lock);
    if (xpool_free_count) {
        *index = xpool_free[--xpool_free_count];
        x = lw_sh_xcell(LW_SH_EXPANDED_WORD(*index));
        memset((void *)x, 0, sizeof *x);
    } else if (xpool_used < LW_XCELL_CHUNKS * LW_XCELL_CHUNK_CELLS) {
        uint32_t chunk = xpool_used / LW_XCELL_CHUNK_CELLS;
        struct lw_shadow_xcell *base =
            atomic_load_explicit(&lw_xcell_chunks[chunk], memory_order_relaxed);
        if (!base) {
            base = lw_mmap_zero(LW_XCELL_CHUNK_CELLS * sizeof *base);
            /* Release: a thread that reads the index from a cell (acquire) finds the chunk. */
            atomic_store_explicit(&lw_xcell_chunks[chunk], base, memory_order_release);
        }
        if (base) {
            *index = xpool_used++;
            x = base + *index % LW_XCELL_CHUNK_CELLS;
        }
    }
    lw_spin_unlock(&xpool_lock);
    return x;
}

void lw_race_shadow_after_fork(void)
{
    atomic_store_explicit(&xpool_lock, 0, memory_order_relaxed); /* at worst a cell is leaked */
}

static void xcell_return(uint32_t index)
{
    lw_spin_lock(&xpool_lock);
    if (xpool_free_count < sizeof xpool_free / sizeof *xpool_free)
        xpool_free[xpool_free_count++] = index;
    lw_spin_unlock(&xpool_lock);
}

__attribute__((target("cx16"))) struct lw_cell_snap lw_cell_load_locked(struct lw_shadow_cell *c)
{
    unsigned __int128 v = __sync_val_compare_and_swap((unsigned __int128 *)(void *)c, 0, 0);
    return (struct lw_cell_snap){(uint64_t)v, (uint64_t)(v >> 64)};
}

__attribute__((target("cx16"))) bool lw_cell_cas(struct lw_shadow_cell *c, struct lw_cell_snap old,
                                                 uint64_t word, uint64_t more)
{
    unsigned __int128 o = ((unsigned __int128)old.more << 64) | old.word;
    unsigned __int128 n = ((unsigned __int128)more << 64) | word;
    return __sync_bool_compare_and_swap((unsigned __int128 *)(void *)c, o, n);
}

void lw_cell_store_locked(struct lw_shadow_cell *c, uint64_t word, uint64_t more)
{
    struct lw_cell_snap old = lw_cell_load_locked(c);
    while (!lw_cell_cas(c, old, word, more))
        old = lw_cell_load_locked(c);
}

/* The full entries (word, aux) of compact cell content s: N and O, as many as it has (a benign
 * entry has no aux). */
static unsigned compact_entries(struct lw_cell_snap s, uint64_t words[2], uint64_t auxes[2])
{
    unsigned k = 0;
    if (!s.word)
        return 0;
    uint64_t o = lw_sh_older(s.word, s.more);
    uint32_t sites[2] = {LW_SH_MORE_SITE_N(s.more), LW_SH_MORE_SITE_O(s.more)};
    uint64_t ws[2] = {s.word, LW_SH_SLOT(s.word) == LW_RACE_SLOT_BENIGN ? 0 : o};
    for (unsigned i = 0; i < 2; i++) {
        if (!ws[i])
            continue;
        uint32_t stack = 0, lockset = LW_RACE_LOCKSET_UNKNOWN;
        if (!lw_race_site_get(sites[i], &stack, &lockset)) {
            stack = 0;
            lockset = LW_RACE_LOCKSET_UNKNOWN;
        }
        words[k] = ws[i];
        auxes[k++] = lw_sh_aux(stack, lockset, ws[i]);
    }
    return k;
}

/* Replaces compact cell c, seen as s, by an expanded cell holding its entries. False if c changed
 * meanwhile or no memory is left. */
static bool expand(struct lw_shadow_cell *c, struct lw_cell_snap s)
{
    uint32_t index;
    struct lw_shadow_xcell *x = xcell_take(&index);
    if (!x)
        return false;
    uint64_t words[2], auxes[2];
    unsigned k = compact_entries(s, words, auxes);
    for (unsigned i = 0; i < k; i++) {
        atomic_store_explicit(&x->e[i].word, words[i], memory_order_relaxed);
        atomic_store_explicit(&x->e[i].aux, auxes[i], memory_order_relaxed);
    }
    /* The CAS is a full barrier: a thread that finds the index finds the copies. */
    if (lw_cell_cas(c, s, LW_SH_EXPANDED_WORD(index), 0))
        return true;
    xcell_return(index);
    return false;
}

/* Expands c (seen as s) so that the access is checked on the expanded cell: false (check
 * again), unless no memory is left for it, when the access goes unrecorded (true). */
static bool expand_for_check(struct lw_shadow_cell *c, struct lw_cell_snap s)
{
    if (expand(c, s))
        return false;
    struct lw_cell_snap now = lw_cell_load(c);
    return now.word == s.word && now.more == s.more;
}

/*
 * An access to a compact cell, seen as s. Another thread's cell (or a benign one) is expanded
 * first: the access is then checked on the expanded cell. In this thread's own (or an empty)
 * cell nothing can conflict: the access is merged into this epoch's entry N, or becomes the new
 * N with one older entry kept as O (lw_sh_compact_next, as in tsan_abi.c's access_new); a third
 * entry to keep, or an age or site that does not fit, expands the cell. False: check again.
 */
static bool check_compact(struct lw_race_thread *rt, struct lw_shadow_cell *c,
                          struct lw_cell_snap s, uintptr_t addr, unsigned n, bool write,
                          uintptr_t pc)
{
    const uint64_t mask = (((uint64_t)1 << n) - 1) << (addr & 7);
    const uint32_t slot = rt->slot, clock = rt->vc[slot];
    uint64_t nw = s.word;
    if (nw && LW_SH_SLOT(nw) != slot) {
        if (LW_SH_SLOT(nw) == LW_RACE_SLOT_BENIGN && (LW_SH_BYTES(nw) & mask))
            return true; /* annotated as racy */
        return expand_for_check(c, s);
    }
    uint32_t stack = lw_race_pc_stack(rt, pc);
    if (!nw) /* this thread's first touch here: another thread's TLS or dead stack? */
        lw_tls_check_access(lw_thread_peek(), addr, n, write, stack);
    uint32_t site = lw_race_pc_site(rt, pc);
    uint64_t word, more;
    if (nw && LW_SH_CLOCK(nw) == clock) {
        word = lw_sh_merge(nw, mask, write);
        if (word == nw)
            return true; /* already covered */
        more = s.more;
        if (write) { /* a read keeps the entry's site, a write brings its own */
            if (!site)
                return expand_for_check(c, s);
            more = lw_sh_more_with_site_n(more, site);
        }
    } else {
        if (!site || !lw_sh_compact_next(nw, s.more, clock, mask, write, site, &more))
            return expand_for_check(c, s);
        word = LW_SH_KEY(clock, slot) | (write ? mask << 8 : mask);
    }
    /* By CAS, unlike the fast path's plain stores: a first touch racing with another thread's
     * first touch, or with an expansion, is checked again. */
    return lw_cell_cas(c, s, word, more);
}

/* Checks and records one access inside one granule whose cell is expanded (x: its four full
 * entries). False: the cell changed under us, check again. */
static bool check_expanded(struct lw_race_thread *rt, struct lw_shadow_xcell *x, uintptr_t addr,
                           unsigned n, bool write, uintptr_t pc)
{
    const uint64_t mask = (((uint64_t)1 << n) - 1) << (addr & 7);
    const uint32_t slot = rt->slot, clock = rt->vc[slot];
    const unsigned n_ents = LW_SHADOW_XENTS;
    struct lw_shadow_ent *e = x->e;
    int own = -1, replace = -1, empty = -1, evict = -1, own_old = -1;
    bool shared = false, cur_rmw = false, own_seen = false;
    struct conflict conflicts[LW_SHADOW_XENTS];
    unsigned n_conflicts = 0;

    uint64_t seen[LW_SHADOW_XENTS], seen_aux[LW_SHADOW_XENTS];
    for (unsigned i = 0; i < n_ents; i++) {
        uint64_t w = read_entry(&e[i], &seen_aux[i]);
        seen[i] = w;
        if (!w) {
            if (empty < 0)
                empty = (int)i;
            continue;
        }
        uint32_t es = LW_SH_SLOT(w), ec = LW_SH_CLOCK(w);
        bool dominated = lw_sh_access_supersedes(mask, write, w);
        if (es == LW_RACE_SLOT_BENIGN) {
            if (LW_SH_BYTES(w) & mask)
                return true;
            continue;
        }
        if (es == slot) {
            own_seen = true;
            if (ec == clock) {
                own = (int)i;
                if (write && (LW_SH_RMASK(w) & mask) == mask)
                    cur_rmw = true; /* read, then write, no synchronisation between */
            } else if (dominated && replace < 0) {
                replace = (int)i;
            }
            continue;
        }
        shared = true;
        bool ordered = es < LW_RACE_MAX_SLOTS && ec <= rt->vc[es];
        bool hard = ordered && ec <= rt->hvc[es];
        if (hard && evict < 0)
            evict = (int)i; /* happened before this access: the first to go if space runs out */
        if (!lw_sh_conflicting_bytes(w, mask, write)) {
            /* Other bytes of the granule, or two reads. An earlier read that happened before
             * this one, on bytes this one covers, is superseded: whatever races with it races
             * with this read too (happens-before is transitive). */
            if (hard && dominated && replace < 0)
                replace = (int)i;
            continue;
        }
        if (ordered) {
            if (!hard) /* ordered only through lock ordering */
                conflicts[n_conflicts++] = (struct conflict){w, seen_aux[i], true};
            else if (dominated && replace < 0)
                replace = (int)i;
            continue;
        }
        conflicts[n_conflicts++] = (struct conflict){w, seen_aux[i], false};
    }
    /* This thread's older entries: one that another of its entries supersedes is free. */
    for (unsigned i = 0; i < n_ents && own_old < 0 && replace < 0; i++) {
        if (!seen[i] || LW_SH_SLOT(seen[i]) != slot || (int)i == own)
            continue;
        for (unsigned j = 0; j < n_ents; j++)
            if (j != i && seen[j] && LW_SH_SLOT(seen[j]) == slot &&
                lw_sh_supersedes(seen[j], seen[i])) {
                own_old = (int)i;
                break;
            }
    }

    uint32_t lockset = lw_race_lockset_id(rt);
    uint32_t stack = shared ? lw_race_full_stack(rt, pc) : lw_race_pc_stack(rt, pc);
    for (unsigned k = 0; k < n_conflicts; k++)
        report_conflict(rt, &conflicts[k], addr, mask, write, cur_rmw, stack, lockset, pc);
    if (!own_seen) /* this thread's first touch here: another thread's TLS or dead stack? */
        lw_tls_check_access(lw_thread_peek(), addr, n, write, stack);

    uint64_t word, aux = 0;
    int idx;
    if (own >= 0) {
        idx = own;
        word = lw_sh_merge(seen[idx], mask, write);
        if (!write) {
            if (word == seen[idx])
                return true; /* already covered */
            /* A read keeps the entry's site. */
            aux = lw_sh_aux(lw_sh_aux_stack(seen_aux[idx]), lockset, word);
        } else {
            word = (word & ~LW_SH_FULLSTACK) | (shared ? LW_SH_FULLSTACK : 0);
            aux = lw_sh_aux(stack, lockset, word);
        }
    } else {
        if (replace >= 0) {
            idx = replace;
        } else if (empty >= 0) {
            idx = empty;
        } else if (own_old >= 0) {
            idx = own_old;
        } else if (evict >= 0) {
            idx = evict;
        } else {
            idx = (int)((clock ^ (addr >> 3)) & (n_ents - 1)); /* evict one */
        }
        word = LW_SH_KEY(clock, slot) | (write ? mask << 8 : mask) | (shared ? LW_SH_FULLSTACK : 0);
        aux = lw_sh_aux(stack, lockset, word);
    }
    /* Another thread may store its access into this cell while we check (the window is the
     * whole slow path: stack and lockset interning). The entry is claimed by CAS against what
     * the scan saw, so of two threads choosing the same entry one fails and checks again; then
     * the cell is read again after a full fence, so of two threads storing into different
     * entries at least one sees the other's (Dekker-style). Either way the race is not lost
     * between two checks made here (tsan_abi.c only reads expanded cells). */
    uint64_t expected = seen[idx];
    if (!atomic_compare_exchange_strong(&e[idx].word, &expected, word))
        return false;
    atomic_store_explicit(&e[idx].aux, aux, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    for (unsigned i = 0; i < n_ents; i++) {
        uint64_t w_aux, w = read_entry(&e[i], &w_aux);
        if (!w || w == ((int)i == idx ? word : seen[i]))
            continue;
        uint32_t es = LW_SH_SLOT(w), ec = LW_SH_CLOCK(w);
        if (es == slot || es == LW_RACE_SLOT_BENIGN || !lw_sh_conflicting_bytes(w, mask, write))
            continue;
        bool ordered = es < LW_RACE_MAX_SLOTS && ec <= rt->vc[es];
        if (ordered && ec <= rt->hvc[es])
            continue;
        struct conflict k = {w, w_aux, ordered};
        report_conflict(rt, &k, addr, mask, write, cur_rmw, stack, lockset, pc);
    }
    return true;
}

/* Checks and records one access inside one granule. False: the cell changed, check again. */
static bool check_granule(struct lw_race_thread *rt, struct lw_shadow_cell *c, uintptr_t addr,
                          unsigned n, bool write, uintptr_t pc)
{
    struct lw_cell_snap s = lw_cell_load(c);
    if (LW_SH_IS_EXPANDED(s.word))
        return check_expanded(rt, lw_sh_xcell(s.word), addr, n, write, pc);
    return check_compact(rt, c, s, addr, n, write, pc);
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
        for (int attempt = 0;
             attempt < 4 && !check_granule(rt, c, addr, n, flags & LW_RACE_WRITE, pc); attempt++)
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
        /* One benign entry (an expanded cell is dropped: benign bytes are never checked). */
        uint64_t old = lw_cell_load(c).word;
        if (LW_SH_IS_EXPANDED(old) || LW_SH_SLOT(old) != LW_RACE_SLOT_BENIGN)
            old = 0;
        lw_cell_store(c, LW_SH_KEY(0, LW_RACE_SLOT_BENIGN) | LW_SH_RMASK(old) | mask, 0);
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
