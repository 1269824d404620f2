/*
 * The ThreadSanitizer instrumentation ABI for plain memory accesses and calls, as GCC 12 and
 * Clang 14 emit it under -fsanitize=thread (checked with nm -u on instrumented objects; see
 * docs/race-mode.md): __tsan_init, __tsan_func_entry/exit, __tsan_{read,write}{1,2,4,8,16},
 * their unaligned and volatile forms, the range forms GCC uses for struct copies, and the vptr
 * hooks. Atomics are in tsan_atomic.c. A program not built with -fsanitize=thread never calls
 * these, so linking or preloading liblockwatch changes nothing for it.
 *
 * The fast path below is the only code on every access: one TLS load, one first-level shadow
 * load, and a compare against the four entries of the granule's cell. It returns when this
 * thread already recorded a covering access in its current epoch. A cell holding only this
 * thread's entries is updated here too (store_own); anything else goes to
 * race_shadow.c.
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
 * The same-thread paths, taken when the fast path misses and no entry of the cell is another
 * thread's (or a benign one): then no other thread's access can conflict, and check_granule
 * would do nothing but store this access with the one-frame stack of pc and the current lockset.
 * After each synchronisation (a new epoch) that is the fate of every granule of thread-private
 * memory, so doing it inline, without the slow path's call chain, errno save and memory fence,
 * is what makes private data cheap. The entry is chosen as check_granule chooses it, so the
 * read/write flags (and with them the read-then-write detection) and the sites are the same.
 * Anything else goes to the slow path, which redoes the whole check: the runtime busy or
 * ignoring, an empty cell (a first touch needs the TLS check), a lockset or pc not yet interned
 * (interning allocates).
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

/* Stores this thread's entry word at index idx of c (chosen by access_fast as check_granule
 * would), with the one-frame stack of pc and the current lockset: a new entry for an access not
 * covered by one of this epoch, or the upgrade of this epoch's read of the same bytes to a
 * read-then-write one (x = f(x)), as check_granule's "own" case does. The upgrade keeps the
 * read's lockset: it changes only with a lock operation, which starts a new epoch. */
static inline __attribute__((always_inline)) bool store_own(struct lw_race_thread *rt,
                                                            struct lw_shadow_cell *c, unsigned idx,
                                                            uint64_t word, uintptr_t pc)
{
    uint32_t stack = own_pc_stack(rt, pc);
    if (LW_UNLIKELY(!stack))
        return false;
    atomic_store_explicit(&c->e[idx].word, word, memory_order_relaxed);
    atomic_store_explicit(&c->e[idx].aux, ((uint64_t)stack << 32) | rt->lockset_id,
                          memory_order_relaxed);
    return true;
}

/*
 * The access hook, inlined into every __tsan_* function. The fast path is a TLS load, the
 * first-level shadow load and one pass over the granule's four entries: it returns when an entry
 * of this thread and epoch covers the access (bytes and, for a write, the write flag). The same
 * pass classifies the entries for the same-thread paths above (another thread's present? the
 * read this write upgrades? empty, older, superseded ones?). False: take the slow path.
 */
static inline __attribute__((always_inline)) bool
access_fast(struct lw_race_thread *rt, uintptr_t addr, uintptr_t size, uint64_t wflag, uintptr_t pc)
{
    if (LW_LIKELY((addr & 7) + size <= 8 && !(addr >> LW_SHADOW_ADDR_BITS))) {
        struct lw_shadow_cell *b = atomic_load_explicit(
            &lw_shadow_l1[addr >> LW_SHADOW_BLOCK_SHIFT], memory_order_acquire);
        if (LW_LIKELY(b != NULL)) {
            struct lw_shadow_cell *c = &b[(addr >> 3) & (LW_SHADOW_CELLS - 1)];
            uint64_t mask = (((uint64_t)1 << size) - 1) << (addr & 7), need = mask | wflag;
            const uint64_t key = rt->epoch_key;
            /* An older entry with a bit here is not superseded: other bytes, or (for a read) a
             * write. */
            const uint64_t rmask = (0xff & ~mask) | (wflag ? 0 : LW_SH_WRITE);
            /* One bit per entry: empty, ours from an older epoch, and of those the ones this
             * access supersedes (same or fewer bytes; a read supersedes only a read). */
            unsigned empty = 0, old = 0, repl = 0, same = LW_SHADOW_ENTS;
            bool foreign = false;
            uint64_t same_w = 0;
#pragma GCC unroll 4
            for (unsigned i = 0; i < LW_SHADOW_ENTS; i++) {
                uint64_t w = atomic_load_explicit(&c->e[i].word, memory_order_relaxed);
                uint64_t t = w ^ key;
                if (!(t & LW_SH_EPOCH_MASK)) {
                    if ((w & need) == need)
                        return true;
                    if (wflag && (w & 0xff) == mask) {
                        same = i; /* this epoch's read of these bytes; this is a write */
                        same_w = w;
                    }
                } else if (!w) {
                    empty |= 1u << i;
                } else if (t & 0xffff0000u) {
                    foreign = true; /* another thread's or a benign entry */
                } else {
                    old |= 1u << i;
                    if (!(w & rmask))
                        repl |= 1u << i;
                }
            }
            if (foreign || empty == (1u << LW_SHADOW_ENTS) - 1)
                return false; /* the slow path: compare, or a first touch (TLS check) */
            if (same < LW_SHADOW_ENTS)
                return store_own(rt, c, same, (same_w & ~LW_SH_FULLSTACK) | LW_SH_WRITE, pc);
            /* check_granule's choice with no other thread's entry: one this access supersedes,
             * an empty one, any older one of ours, else (four of this epoch) evict one. */
            unsigned pick = repl ? repl : empty ? empty : old;
            unsigned idx = pick ? (unsigned)__builtin_ctz(pick)
                                : (unsigned)(((key >> 32) ^ (addr >> 3)) & (LW_SHADOW_ENTS - 1));
            return store_own(rt, c, idx, key | (wflag ? LW_SH_WRITE : LW_SH_READ) | mask, pc);
        }
    }
    return false;
}

/* Out of line, so that the inlined fast path needs no call setup of its own. */
static __attribute__((noinline, cold)) void
access_slow(struct lw_race_thread *rt, uintptr_t addr, uintptr_t size, uint64_t wflag, uintptr_t pc)
{
    if (rt)
        lw_race_access_slow(rt, addr, size, wflag, pc);
}

static inline __attribute__((always_inline)) void access(uintptr_t addr, uintptr_t size,
                                                         uint64_t wflag, uintptr_t pc)
{
    struct lw_race_thread *rt = race_thread();
    if (LW_LIKELY(rt) && LW_LIKELY(access_fast(rt, addr, size, wflag, pc)))
        return;
    access_slow(rt, addr, size, wflag, pc);
}

#define LW_PC() ((uintptr_t)__builtin_return_address(0))

#define LW_DEFINE_ACCESS(n)                                                                        \
    LW_EXPORT void __tsan_read##n(void *a)                                                         \
    {                                                                                              \
        access((uintptr_t)a, n, 0, LW_PC());                                                       \
    }                                                                                              \
    LW_EXPORT void __tsan_write##n(void *a)                                                        \
    {                                                                                              \
        access((uintptr_t)a, n, LW_SH_WRITE, LW_PC());                                             \
    }                                                                                              \
    LW_EXPORT void __tsan_volatile_read##n(void *a)                                                \
    {                                                                                              \
        access((uintptr_t)a, n, 0, LW_PC());                                                       \
    }                                                                                              \
    LW_EXPORT void __tsan_volatile_write##n(void *a)                                               \
    {                                                                                              \
        access((uintptr_t)a, n, LW_SH_WRITE, LW_PC());                                             \
    }

#define LW_DEFINE_UNALIGNED(n)                                                                     \
    LW_EXPORT void __tsan_unaligned_read##n(void *a)                                               \
    {                                                                                              \
        access((uintptr_t)a, n, 0, LW_PC());                                                       \
    }                                                                                              \
    LW_EXPORT void __tsan_unaligned_write##n(void *a)                                              \
    {                                                                                              \
        access((uintptr_t)a, n, LW_SH_WRITE, LW_PC());                                             \
    }                                                                                              \
    LW_EXPORT void __tsan_unaligned_volatile_read##n(void *a)                                      \
    {                                                                                              \
        access((uintptr_t)a, n, 0, LW_PC());                                                       \
    }                                                                                              \
    LW_EXPORT void __tsan_unaligned_volatile_write##n(void *a)                                     \
    {                                                                                              \
        access((uintptr_t)a, n, LW_SH_WRITE, LW_PC());                                             \
    }

LW_DEFINE_ACCESS(1)
LW_DEFINE_ACCESS(2)
LW_DEFINE_ACCESS(4)
LW_DEFINE_ACCESS(8)
/* An aligned 16-byte access is two granules: two fast-path checks instead of the slow path. */
static inline __attribute__((always_inline)) void access16(uintptr_t a, uint64_t wflag,
                                                           uintptr_t pc)
{
    if (a & 7) {
        struct lw_race_thread *rt = race_thread();
        if (rt)
            lw_race_access_slow(rt, a, 16, wflag, pc);
        return;
    }
    access(a, 8, wflag, pc);
    access(a + 8, 8, wflag, pc);
}

LW_EXPORT void __tsan_read16(void *a)
{
    access16((uintptr_t)a, 0, LW_PC());
}

LW_EXPORT void __tsan_write16(void *a)
{
    access16((uintptr_t)a, LW_SH_WRITE, LW_PC());
}

LW_EXPORT void __tsan_volatile_read16(void *a)
{
    access16((uintptr_t)a, 0, LW_PC());
}

LW_EXPORT void __tsan_volatile_write16(void *a)
{
    access16((uintptr_t)a, LW_SH_WRITE, LW_PC());
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
        lw_race_access_slow(rt, (uintptr_t)a, size, LW_SH_WRITE, LW_PC());
}

/* C++ virtual-table pointer hooks: plain 8-byte accesses here (C code never emits them). */
LW_EXPORT void __tsan_vptr_update(void **vptr, void *new_value)
{
    if (*vptr != new_value)
        access((uintptr_t)vptr, 8, LW_SH_WRITE, LW_PC());
}

LW_EXPORT void __tsan_vptr_read(void **vptr)
{
    access((uintptr_t)vptr, 8, 0, LW_PC());
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
