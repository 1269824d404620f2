/*
 * The ThreadSanitizer instrumentation ABI for plain memory accesses and calls, as GCC 12 and
 * Clang 14 emit it under -fsanitize=thread (checked with nm -u on instrumented objects; see
 * docs/race-mode.md): __tsan_init, __tsan_func_entry/exit, __tsan_{read,write}{1,2,4,8,16},
 * their unaligned and volatile forms, the range forms GCC uses for struct copies, and the vptr
 * hooks. Atomics are in tsan_atomic.c. A program not built with -fsanitize=thread never calls
 * these, so linking or preloading liblockwatch changes nothing for it.
 *
 * The fast path below is the only code on every access: one TLS load, one first-level shadow
 * load, and a look at the word of the granule's compact cell (race_internal.h). It returns when
 * that is this thread's entry of its current epoch and covers the access, or after merging the
 * access into it. A new epoch's first access to a cell of this thread is recorded here too
 * (access_new); anything else goes to race_shadow.c.
 */
#include <stdlib.h>

#include "race_internal.h"

static _Atomic int tsan_init_done;

LW_EXPORT void __tsan_init(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&tsan_init_done, &expected, 1))
        return;
    if (!lw_race_shadow_init())
        return; /* no address space for the shadow: race mode stays off, atomics still work */
    /* LOCKWATCH_RACE_CELL_CAS=1 takes the path of CPUs without AVX (the tests use it). */
    const char *cas = getenv("LOCKWATCH_RACE_CELL_CAS");
    __builtin_cpu_init();
    lw_cell_sse_atomic = __builtin_cpu_supports("avx") && !(cas && *cas == '1');
    lw_race_sync_init();
    atomic_store_explicit(&lw_race_enabled, 1, memory_order_release);
}

static inline __attribute__((always_inline)) struct lw_race_thread *race_thread(void)
{
    struct lw_race_thread *rt = lw_race_tls;
    return LW_LIKELY(rt) ? rt : lw_race_thread_slow();
}

/*
 * The same-thread paths. A compact cell holds the entries of one thread, its owner; no other
 * thread's access can conflict with them, and check_granule would do nothing but store the
 * owner's access with the one-frame stack of pc and the current lockset (a site). After each
 * synchronisation (a new epoch) that is the fate of every granule of thread-private memory, so
 * doing it here, without the slow path's call chain, errno save and CAS, is what makes private
 * data cheap. The entries kept and the merging are check_compact's (lw_sh_compact_next,
 * lw_sh_merge), so the byte masks (and with them the read-then-write detection) and the sites are
 * the same. Anything else goes to the slow path, which redoes the whole check: the runtime busy or
 * ignoring, an empty cell (a first touch needs the TLS check and a CAS), another thread's cell,
 * a site not yet interned for this pc and lockset (interning allocates), two older entries to
 * keep, an age that does not fit (the cell must expand), a CPU without atomic SSE stores.
 *
 * The owner stores its cell with one plain 16-byte store (or an 8-byte store of the word): no
 * CAS, no fence. Other threads never store into a compact cell: they replace it, by a 16-byte
 * CAS, with an expanded cell holding copies of the owner's entries, and check and record their
 * access there. So a reader never sees half of an update, and what can go wrong is only an
 * expansion landing between the owner's load of the cell and its store (a few nanoseconds):
 * the owner's store then puts its compact cell back, and the other thread's access, compared
 * with the owner's entries already, is forgotten with the expanded cell (64 bytes, not reused).
 * That is the window TSan's racy shadow stores have on every access; here only a granule private
 * to one thread until then is exposed, and only at its first sharing. Expanded cells are checked
 * by check_expanded's CAS-and-fence protocol, which never loses a race. A signal handler's
 * access between the owner's load and store can be overwritten the same way (same thread: only
 * the handler's record is lost).
 */

/* The site id of an access at pc with this thread's current lockset, if cached and this thread
 * may record here (not busy, not ignoring, and the CPU has atomic 16-byte SSE stores for the
 * compact cell: without them everything takes the slow path); else 0. */
static inline __attribute__((always_inline)) uint32_t own_site(struct lw_race_thread *rt,
                                                               uintptr_t pc)
{
    uint32_t pci = (uint32_t)(pc >> 1) & (LW_RACE_PC_CACHE - 1);
    if (LW_UNLIKELY(rt->busy | rt->ignore | !rt->lockset_valid | !lw_cell_sse_atomic) ||
        LW_UNLIKELY(rt->pc_cache_pc[pci] != pc) ||
        LW_UNLIKELY(rt->pc_cache_site_ls[pci] != (uint16_t)rt->lockset_id))
        return 0;
    return rt->pc_cache_site[pci];
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
 * No entry of this thread's current epoch in the compact cell c. When c is this thread's (its
 * latest entry N from an earlier epoch), the access becomes the new N and the cell keeps, as O,
 * whichever of the old N and O the other and the access do not supersede (lw_sh_compact_next,
 * as in check_compact). Anything else takes the slow path: an empty cell (a first touch needs
 * the TLS check), another thread's or a benign entry, an expanded cell (a hit there returns),
 * two older entries to keep, an age or site that does not fit. Out of line and entered by a tail
 * call, so that the inlined part keeps no values across a call; a new epoch's first access to a
 * granule comes here once.
 */
/* Not this thread's compact cell: an expanded cell (a hit there returns) or the slow path. */
static __attribute__((noinline)) void access_other(struct lw_race_thread *rt,
                                                   struct lw_shadow_cell *c, uintptr_t addr,
                                                   uintptr_t size, bool write, uintptr_t pc)
{
    uint64_t n = __atomic_load_n(&c->word, __ATOMIC_ACQUIRE);
    if (LW_SH_IS_EXPANDED(n)) {
        const uint64_t mask = (((uint64_t)1 << size) - 1) << (addr & 7);
        struct lw_shadow_xcell *x = lw_sh_xcell(n);
        for (unsigned i = 0; i < LW_SHADOW_XENTS; i++)
            if (lw_sh_covers(atomic_load_explicit(&x->e[i].word, memory_order_relaxed),
                             rt->epoch_key, mask, write))
                return;
    }
    slow(rt, addr, size, write, pc);
}

static __attribute__((noinline)) void access_new(struct lw_race_thread *rt,
                                                 struct lw_shadow_cell *c, uintptr_t addr,
                                                 uintptr_t size, bool write, uintptr_t pc)
{
    const uint64_t key = rt->epoch_key;
    uint32_t site = own_site(rt, pc);
    struct lw_cell_snap s = lw_cell_load_sse(c);
    uint64_t n = s.word;
    if (LW_UNLIKELY(((n ^ key) & LW_SH_SLOT_MASK) || !n || !site)) {
        access_other(rt, c, addr, size, write, pc);
        return;
    }
    const uint64_t mask = (((uint64_t)1 << size) - 1) << (addr & 7);
    uint64_t more;
    if (!lw_sh_compact_next(n, s.more, LW_SH_CLOCK(key), mask, write, site, &more)) {
        slow(rt, addr, size, write, pc); /* the slow path expands the cell */
        return;
    }
    lw_cell_store_sse(c, key | (write ? mask << 8 : mask), more);
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
 * and a look at the word of the granule's compact cell. It returns when that is this thread's
 * entry of the current epoch and covers the access (bytes and, for a write, written bytes), or
 * after merging the access into it: a read keeps the entry's site (an 8-byte store), a write
 * brings its own (a 16-byte store of the cell). Everything else goes to access_new.
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
    uint64_t w = __atomic_load_n(&c->word, __ATOMIC_RELAXED);
    if (LW_UNLIKELY((w ^ key) & LW_SH_EPOCH_MASK)) {
        access_new(rt, c, addr, size, write, pc);
        return;
    }
    uint64_t have = write ? LW_SH_WMASK(w) : LW_SH_BYTES(w);
    if (LW_LIKELY((have & mask) == mask))
        return;
    uint64_t word = lw_sh_merge(w, mask, write);
    if (!write) {
        if (LW_UNLIKELY(rt->busy | rt->ignore))
            access_slow(rt, addr, size, write, pc);
        else
            __atomic_store_n(&c->word, word, __ATOMIC_RELAXED);
        return;
    }
    uint32_t site = own_site(rt, pc);
    if (LW_UNLIKELY(!site)) {
        access_slow(rt, addr, size, write, pc);
        return;
    }
    uint64_t more = __atomic_load_n(&c->more, __ATOMIC_RELAXED);
    lw_cell_store_sse(c, word, lw_sh_more_with_site_n(more, site));
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

/* Clang's compound read-modify-write hooks (-mllvm -tsan-compound-read-before-write=1): without
 * that flag Clang instruments only the write of `x++` (the read is in the same block), so a
 * lost update is a plain data-race; with it, the read is seen and the race classified as an
 * unprotected-increment. */
#define LW_DEFINE_READ_WRITE(n)                                                                    \
    LW_EXPORT void __tsan_read_write##n(void *a)                                                   \
    {                                                                                              \
        access((uintptr_t)a, n, false, LW_PC());                                                   \
        access((uintptr_t)a, n, true, LW_PC());                                                    \
    }                                                                                              \
    LW_EXPORT void __tsan_unaligned_read_write##n(void *a)                                         \
    {                                                                                              \
        access((uintptr_t)a, n, false, LW_PC());                                                   \
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

LW_EXPORT void __tsan_read_write1(void *a)
{
    access((uintptr_t)a, 1, false, LW_PC());
    access((uintptr_t)a, 1, true, LW_PC());
}

LW_DEFINE_READ_WRITE(2)
LW_DEFINE_READ_WRITE(4)
LW_DEFINE_READ_WRITE(8)

LW_EXPORT void __tsan_read_write16(void *a)
{
    access16((uintptr_t)a, false, LW_PC());
    access16((uintptr_t)a, true, LW_PC());
}

LW_EXPORT void __tsan_unaligned_read_write16(void *a)
{
    access((uintptr_t)a, 16, false, LW_PC());
    access((uintptr_t)a, 16, true, LW_PC());
}

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
