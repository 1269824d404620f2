/*
 * The ThreadSanitizer instrumentation ABI for plain memory accesses and calls, as GCC 12 and
 * Clang 14 emit it under -fsanitize=thread (checked with nm -u on instrumented objects; see
 * docs/race-mode.md): __tsan_init, __tsan_func_entry/exit, __tsan_{read,write}{1,2,4,8,16},
 * their unaligned and volatile forms, the range forms GCC uses for struct copies, and the vptr
 * hooks. Atomics are in tsan_atomic.c. A program not built with -fsanitize=thread never calls
 * these, so linking or preloading liblockwatch changes nothing for it.
 *
 * The fast path below is the only code on every access: one TLS load, one first-level shadow
 * load, and a look at the granule's compact cell (race_internal.h). It returns when this
 * thread's entry of its current epoch covers the access, or after merging the access into that
 * entry. A cell holding only this thread's entries gets new entries here too (access_new,
 * store_own); anything else goes to race_shadow.c.
 */
#include "race_internal.h"

static _Atomic int tsan_init_done;

LW_EXPORT void __tsan_init(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&tsan_init_done, &expected, 1))
        return;
    if (!lw_race_shadow_init())
        return; /* no address space for the shadow: race mode stays off, atomics still work */
    lw_race_sync_init();
    atomic_store_explicit(&lw_race_enabled, 1, memory_order_release);
}

static inline __attribute__((always_inline)) struct lw_race_thread *race_thread(void)
{
    struct lw_race_thread *rt = lw_race_tls;
    return LW_LIKELY(rt) ? rt : lw_race_thread_slow();
}

/*
 * The same-thread paths, taken when no entry of the cell is another thread's (or a benign one):
 * then no other thread's access can conflict, and check_granule would do nothing but store this
 * access with the one-frame stack of pc and the current lockset. After each synchronisation (a
 * new epoch) that is the fate of every granule of thread-private memory, so doing it here,
 * without the slow path's call chain, errno save and memory fence, is what makes private data
 * cheap. The entry is chosen as check_granule chooses it, and merging follows the same rule
 * (lw_sh_merge), so the byte masks (and with them the read-then-write detection) and the sites
 * are the same. Anything else goes to the slow path, which redoes the whole check: the runtime
 * busy or ignoring, an empty cell (a first touch needs the TLS check), a lockset or pc not yet
 * interned (interning allocates), two older entries to keep (the cell must expand).
 *
 * The entry is written with two plain (relaxed) stores: no CAS, no fence, no reading back. Such
 * a cell is, in the common case, memory no other thread touches; a locked CAS and a re-read of
 * the cell per refresh cost more than everything else this path does, and a plain re-read after
 * our stores would not narrow the window below (x86 lets those loads pass our own buffered
 * stores). What another thread u's concurrent check_granule on the same cell (CAS, full fence,
 * read the cell again) can miss is only a pair of accesses that overlap in time, within the
 * window from our loads of the cell to our stores becoming visible (tens of nanoseconds):
 *  - u stores into another entry: if u re-reads the cell before our store is visible and we
 *    read it before u's store was, neither compares with the other now. Both entries stay in
 *    the cell: the next access of either thread to the granule compares with the other's (ours
 *    then finds u's entry and takes the slow path);
 *  - u stores into the entry we overwrite (it replaced or evicted our older entry): if our
 *    store lands first u's CAS fails and u checks again; if u's lands first ours overwrites it,
 *    and u's re-read (which compares its own entry too, see check_granule) finds ours unless it
 *    is not visible yet: then u's access is forgotten.
 *  - u expands the cell (copies both compact entries, then swaps the first word for the expanded
 *    cell's index): our store into the compact cell after u's copy is lost, and a store into the
 *    first word after u's swap replaces the index, so u's access is forgotten with the expanded
 *    cell (64 bytes, not reused).
 * That is the window TSan's racy shadow stores have on every access; here only a granule private
 * to this thread until then is exposed. Races on shared granules keep check_granule's
 * CAS-and-fence protocol, which never loses one. A signal handler's access between our loads
 * and our store can be overwritten the same way (same thread: only the handler's record is lost).
 */

/* The one-frame stack id of pc if it is cached and this thread may record with its current
 * lockset (interned); else 0. */
static inline __attribute__((always_inline)) uint32_t own_pc_stack(struct lw_race_thread *rt,
                                                                   uintptr_t pc)
{
    uint32_t pci = (uint32_t)(pc >> 1) & (LW_RACE_PC_CACHE - 1);
    if (LW_UNLIKELY(rt->busy | rt->ignore | !rt->lockset_valid) ||
        LW_UNLIKELY(rt->pc_cache_pc[pci] != pc))
        return 0;
    return rt->pc_cache_id[pci];
}

/* Stores this thread's entry word at index idx of the compact cell c, with the one-frame stack
 * of pc and the current lockset: a new entry (chosen by access_fast as check_granule would choose
 * it), or this epoch's entry with a write merged in (the site kept is the latest write's). */
static inline __attribute__((always_inline)) bool store_own(struct lw_race_thread *rt,
                                                            struct lw_shadow_cell *c, unsigned idx,
                                                            uint64_t word, uintptr_t pc)
{
    uint32_t stack = own_pc_stack(rt, pc);
    if (LW_UNLIKELY(!stack))
        return false;
    atomic_store_explicit(&c->e[idx].word, word, memory_order_relaxed);
    atomic_store_explicit(&c->e[idx].aux, lw_sh_aux(stack, rt->lockset_id, word),
                          memory_order_relaxed);
    return true;
}

/* The granule's compact cell, or NULL when the access needs the slow path (it spans two
 * granules, or no shadow block is mapped there yet). */
static inline __attribute__((always_inline)) struct lw_shadow_cell *compact_cell(uintptr_t addr,
                                                                                 uintptr_t size)
{
    if (LW_UNLIKELY((addr & 7) + size > 8 || (addr >> LW_SHADOW_ADDR_BITS)))
        return NULL;
    struct lw_shadow_cell *b =
        atomic_load_explicit(&lw_shadow_l1[addr >> LW_SHADOW_BLOCK_SHIFT], memory_order_acquire);
    if (LW_UNLIKELY(b == NULL))
        return NULL;
    return &b[(addr >> 3) & (LW_SHADOW_CELLS - 1)];
}

static inline __attribute__((always_inline)) void slow(struct lw_race_thread *rt, uintptr_t addr,
                                                       uintptr_t size, bool write, uintptr_t pc)
{
    lw_race_access_slow(rt, addr, size, write ? LW_RACE_WRITE : 0, pc);
}

/*
 * No entry of this thread's current epoch in the compact cell c (w0: its first word). Records
 * the access here when the cell holds only this thread's entries, in the entry check_granule
 * would choose: one this access or the other entry supersedes, else an empty one. Anything else
 * (another thread's entry, a first touch, two older entries to keep, an expanded cell: a hit
 * there returns) takes the slow path. Out of line and entered by a tail call, so that the inlined
 * part keeps no values across a call; a new epoch's first access to a granule comes here once.
 */
static __attribute__((noinline)) void access_new(struct lw_race_thread *rt,
                                                 struct lw_shadow_cell *c, uintptr_t addr,
                                                 uintptr_t size, bool write, uintptr_t pc,
                                                 uint64_t w0)
{
    const uint64_t mask = (((uint64_t)1 << size) - 1) << (addr & 7);
    const uint64_t key = rt->epoch_key;
    if (LW_SH_IS_EXPANDED(w0)) {
        atomic_thread_fence(memory_order_acquire); /* w0 was read relaxed: see its cell */
        struct lw_shadow_xcell *x = lw_sh_xcell(w0);
        for (unsigned i = 0; i < LW_SHADOW_XENTS; i++)
            if (lw_sh_covers(atomic_load_explicit(&x->e[i].word, memory_order_relaxed), key, mask,
                             write))
                return;
        slow(rt, addr, size, write, pc);
        return;
    }
    uint64_t w1 = atomic_load_explicit(&c->e[1].word, memory_order_relaxed);
    if (LW_UNLIKELY((((w0 ^ key) & LW_SH_SLOT_MASK) && w0) ||
                    (((w1 ^ key) & LW_SH_SLOT_MASK) && w1) || !(w0 | w1))) {
        slow(rt, addr, size, write, pc); /* another thread's or a benign entry; a first touch */
        return;
    }
    /* Both entries this thread's older ones, or one empty (which counts as superseded). */
    unsigned idx;
    if (lw_sh_access_supersedes(mask, write, w1))
        idx = 1;
    else if (lw_sh_access_supersedes(mask, write, w0) || lw_sh_supersedes(w1, w0))
        idx = 0;
    else if (lw_sh_supersedes(w0, w1))
        idx = 1;
    else
        idx = LW_SHADOW_ENTS; /* two older entries to keep: the slow path expands the cell */
    if (idx == LW_SHADOW_ENTS || !store_own(rt, c, idx, key | (write ? mask << 8 : mask), pc))
        slow(rt, addr, size, write, pc);
}

/* Out of line, so that the inlined fast path needs no call setup of its own. */
static __attribute__((noinline, cold)) void access_slow(struct lw_race_thread *rt, uintptr_t addr,
                                                        uintptr_t size, bool write, uintptr_t pc)
{
    if (rt)
        slow(rt, addr, size, write, pc);
}

/* The thread's first access: its race state is created first. */
static __attribute__((noinline, cold)) void access_first(uintptr_t addr, uintptr_t size, bool write,
                                                         uintptr_t pc)
{
    access_slow(lw_race_thread_slow(), addr, size, write, pc);
}

/*
 * The access hook, inlined into every __tsan_* function: a TLS load, the first-level shadow load
 * and a look at the granule's compact entries. It returns when this thread's entry of the
 * current epoch covers the access (bytes and, for a write, written bytes), or after merging the
 * access into that entry. Everything else goes to access_new.
 */
static inline __attribute__((always_inline)) void access(uintptr_t addr, uintptr_t size, bool write,
                                                         uintptr_t pc)
{
    struct lw_race_thread *rt = lw_race_tls;
    if (LW_UNLIKELY(!rt)) {
        access_first(addr, size, write, pc);
        return;
    }
    struct lw_shadow_cell *c = compact_cell(addr, size);
    if (LW_UNLIKELY(!c)) {
        access_slow(rt, addr, size, write, pc);
        return;
    }
    const uint64_t mask = (((uint64_t)1 << size) - 1) << (addr & 7);
    const uint64_t key = rt->epoch_key;
    uint64_t w0 = atomic_load_explicit(&c->e[0].word, memory_order_relaxed), w = w0;
    unsigned idx = 0;
    if ((w0 ^ key) & LW_SH_EPOCH_MASK) {
        w = atomic_load_explicit(&c->e[1].word, memory_order_relaxed);
        idx = 1;
        if (LW_UNLIKELY(((w ^ key) & LW_SH_EPOCH_MASK) || LW_SH_IS_EXPANDED(w0))) {
            access_new(rt, c, addr, size, write, pc, w0);
            return;
        }
    }
    uint64_t have = write ? LW_SH_WMASK(w) : LW_SH_BYTES(w);
    if (LW_LIKELY((have & mask) == mask))
        return;
    /* Merged into this epoch's entry: a read keeps the entry's site, a write takes its own. */
    uint64_t word = lw_sh_merge(w, mask, write);
    if (LW_UNLIKELY(rt->busy | rt->ignore))
        access_slow(rt, addr, size, write, pc);
    else if (!write)
        atomic_store_explicit(&c->e[idx].word, word, memory_order_relaxed);
    else if (!store_own(rt, c, idx, word & ~LW_SH_FULLSTACK, pc))
        access_slow(rt, addr, size, write, pc);
}

#define LW_PC() ((uintptr_t)__builtin_return_address(0))

#define LW_DEFINE_ACCESS(n)                                                                        \
    LW_EXPORT void __tsan_read##n(void *a)                                                         \
    {                                                                                              \
        access((uintptr_t)a, n, false, LW_PC());                                                   \
    }                                                                                              \
    LW_EXPORT void __tsan_write##n(void *a)                                                        \
    {                                                                                              \
        access((uintptr_t)a, n, true, LW_PC());                                                    \
    }                                                                                              \
    LW_EXPORT void __tsan_volatile_read##n(void *a)                                                \
    {                                                                                              \
        access((uintptr_t)a, n, false, LW_PC());                                                   \
    }                                                                                              \
    LW_EXPORT void __tsan_volatile_write##n(void *a)                                               \
    {                                                                                              \
        access((uintptr_t)a, n, true, LW_PC());                                                    \
    }

#define LW_DEFINE_UNALIGNED(n)                                                                     \
    LW_EXPORT void __tsan_unaligned_read##n(void *a)                                               \
    {                                                                                              \
        access((uintptr_t)a, n, false, LW_PC());                                                   \
    }                                                                                              \
    LW_EXPORT void __tsan_unaligned_write##n(void *a)                                              \
    {                                                                                              \
        access((uintptr_t)a, n, true, LW_PC());                                                    \
    }                                                                                              \
    LW_EXPORT void __tsan_unaligned_volatile_read##n(void *a)                                      \
    {                                                                                              \
        access((uintptr_t)a, n, false, LW_PC());                                                   \
    }                                                                                              \
    LW_EXPORT void __tsan_unaligned_volatile_write##n(void *a)                                     \
    {                                                                                              \
        access((uintptr_t)a, n, true, LW_PC());                                                    \
    }

LW_DEFINE_ACCESS(1)
LW_DEFINE_ACCESS(2)
LW_DEFINE_ACCESS(4)
LW_DEFINE_ACCESS(8)
/* An aligned 16-byte access is two granules: two fast-path checks instead of the slow path. */
static inline __attribute__((always_inline)) void access16(uintptr_t a, bool write, uintptr_t pc)
{
    if (a & 7) {
        access_slow(race_thread(), a, 16, write, pc);
        return;
    }
    access(a, 8, write, pc);
    access(a + 8, 8, write, pc);
}

LW_EXPORT void __tsan_read16(void *a)
{
    access16((uintptr_t)a, false, LW_PC());
}

LW_EXPORT void __tsan_write16(void *a)
{
    access16((uintptr_t)a, true, LW_PC());
}

LW_EXPORT void __tsan_volatile_read16(void *a)
{
    access16((uintptr_t)a, false, LW_PC());
}

LW_EXPORT void __tsan_volatile_write16(void *a)
{
    access16((uintptr_t)a, true, LW_PC());
}

LW_DEFINE_UNALIGNED(2)
LW_DEFINE_UNALIGNED(4)
LW_DEFINE_UNALIGNED(8)
LW_DEFINE_UNALIGNED(16)

LW_EXPORT void __tsan_read_range(void *a, unsigned long size)
{
    struct lw_race_thread *rt = race_thread();
    if (rt)
        lw_race_access_slow(rt, (uintptr_t)a, size, 0, LW_PC());
}

LW_EXPORT void __tsan_write_range(void *a, unsigned long size)
{
    struct lw_race_thread *rt = race_thread();
    if (rt)
        lw_race_access_slow(rt, (uintptr_t)a, size, LW_RACE_WRITE, LW_PC());
}

/* C++ virtual-table pointer hooks: plain 8-byte accesses here (C code never emits them). */
LW_EXPORT void __tsan_vptr_update(void **vptr, void *new_value)
{
    if (*vptr != new_value)
        access((uintptr_t)vptr, 8, true, LW_PC());
}

LW_EXPORT void __tsan_vptr_read(void **vptr)
{
    access((uintptr_t)vptr, 8, false, LW_PC());
}

LW_EXPORT void __tsan_func_entry(void *caller_pc)
{
    struct lw_race_thread *rt = race_thread();
    if (LW_UNLIKELY(!rt))
        return;
    uint32_t d = rt->depth++;
    if (LW_LIKELY(d < LW_RACE_SHADOW_DEPTH))
        rt->shadow_stack[d] = (uint64_t)(uintptr_t)caller_pc;
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    if (fp < rt->stack_low)
        rt->stack_low = fp; /* how deep the stack went: cleared at thread end */
}

LW_EXPORT void __tsan_func_exit(void)
{
    struct lw_race_thread *rt = lw_race_tls;
    if (LW_LIKELY(rt) && rt->depth) /* longjmp can unbalance entry/exit: never wrap */
        rt->depth--;
}
