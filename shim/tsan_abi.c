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
 * thread's entries is refreshed here too (access_own); anything else goes to race_shadow.c.
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
 * The same-thread path, tried when the fast path misses: every non-empty entry of the cell is
 * this thread's. Then no other thread's access can conflict, and check_granule would do nothing
 * but store this access with the one-frame stack of pc and the current lockset; after each
 * synchronisation (a new epoch) that is the fate of every granule of thread-private memory, so
 * doing it here, without the slow path's call chain, errno save and memory fence, is what makes
 * private data cheap. The entry is chosen exactly as check_granule chooses it, so the read/write
 * flags (and with them the read-then-write detection) and the sites are the same. Anything else
 * returns false and goes to the slow path, which then redoes the whole check: the runtime busy
 * or ignoring, an empty cell (a first touch needs the TLS check), another thread's or a benign
 * entry, a lockset or pc not yet interned (interning allocates), a lost CAS.
 */
static __attribute__((noinline)) bool access_own(struct lw_race_thread *rt,
                                                 struct lw_shadow_cell *c, uintptr_t addr,
                                                 uintptr_t size, uint64_t wflag, uintptr_t pc)
{
    if (rt->busy || rt->ignore || !rt->lockset_valid)
        return false;
    uint32_t pci = (uint32_t)(pc >> 1) & (LW_RACE_PC_CACHE - 1);
    if (rt->pc_cache_pc[pci] != pc || !rt->pc_cache_id[pci])
        return false;
    const uint64_t mask = ((((uint64_t)1 << size) - 1) << (addr & 7));
    const uint32_t slot = rt->slot, clock = rt->vc[slot];
    const bool write = wflag != 0;
    int own = -1, replace = -1, empty = -1, own_old = -1;
    bool any = false;
    uint64_t seen[LW_SHADOW_ENTS];
    for (unsigned i = 0; i < LW_SHADOW_ENTS; i++) {
        uint64_t w = atomic_load_explicit(&c->e[i].word, memory_order_relaxed);
        seen[i] = w;
        if (!w) {
            if (empty < 0)
                empty = (int)i;
            continue;
        }
        if (((uint32_t)(w >> 16) & 0xffff) != slot)
            return false;
        any = true;
        uint64_t em = w & 0xff;
        if ((uint32_t)(w >> 32) == clock) {
            if (em == mask)
                own = (int)i;
        } else if ((em & ~mask) == 0 && (write || !(w & LW_SH_WRITE)) && replace < 0) {
            replace = (int)i;
        } else if (own_old < 0) {
            own_old = (int)i;
        }
    }
    if (!any)
        return false; /* nothing recorded here yet */
    /* The same choice as check_granule's (no other thread's entry, so nothing to evict first). */
    uint64_t flags = write ? LW_SH_WRITE : LW_SH_READ;
    int idx;
    if (own >= 0) {
        if (!write)
            return true; /* a read merged into this epoch's write: keep the write's site */
        idx = own;
        flags |= seen[idx] & (LW_SH_WRITE | LW_SH_READ);
    } else if (replace >= 0) {
        idx = replace;
    } else if (empty >= 0) {
        idx = empty;
    } else if (own_old >= 0) {
        idx = own_old;
    } else {
        idx = (int)((clock ^ (addr >> 3)) & (LW_SHADOW_ENTS - 1));
    }
    uint64_t word = ((uint64_t)clock << 32) | ((uint64_t)slot << 16) | flags | mask;
    uint64_t expected = seen[idx];
    if (!atomic_compare_exchange_strong(&c->e[idx].word, &expected, word))
        return false;
    atomic_store_explicit(&c->e[idx].aux, ((uint64_t)rt->pc_cache_id[pci] << 32) | rt->lockset_id,
                          memory_order_relaxed);
    /* Another thread may have stored into another entry meanwhile. check_granule pairs its CAS
     * with a seq_cst fence before reading the cell again; here the CAS and the loads are
     * seq_cst themselves, which gives the same guarantee against a concurrent check_granule or
     * access_own (of two stores into different entries, at least one thread sees the other's)
     * without the cost of a fence. A new entry of another thread: let the slow path check the
     * access again, against it (our entry is then this epoch's own one and is merged). */
    for (unsigned i = 0; i < LW_SHADOW_ENTS; i++) {
        uint64_t w = atomic_load_explicit(&c->e[i].word, memory_order_seq_cst);
        if ((int)i != idx && w != seen[i] && w && ((uint32_t)(w >> 16) & 0xffff) != slot) {
            lw_race_access_slow(rt, addr, size, wflag, pc);
            break;
        }
    }
    return true;
}

static inline __attribute__((always_inline)) void access(uintptr_t addr, uintptr_t size,
                                                         uint64_t wflag, uintptr_t pc)
{
    struct lw_race_thread *rt = race_thread();
    if (LW_UNLIKELY(!rt))
        return;
    if (LW_LIKELY((addr & 7) + size <= 8 && !(addr >> LW_SHADOW_ADDR_BITS))) {
        struct lw_shadow_cell *b = atomic_load_explicit(
            &lw_shadow_l1[addr >> LW_SHADOW_BLOCK_SHIFT], memory_order_acquire);
        if (LW_LIKELY(b != NULL)) {
            struct lw_shadow_cell *c = &b[(addr >> 3) & (LW_SHADOW_CELLS - 1)];
            uint64_t need = ((((uint64_t)1 << size) - 1) << (addr & 7)) | wflag;
            uint64_t key = rt->epoch_key;
            for (unsigned i = 0; i < LW_SHADOW_ENTS; i++) {
                uint64_t w = atomic_load_explicit(&c->e[i].word, memory_order_relaxed);
                if ((w & LW_SH_EPOCH_MASK) == key && (w & need) == need)
                    return;
            }
            if (access_own(rt, c, addr, size, wflag, pc))
                return;
        }
    }
    lw_race_access_slow(rt, addr, size, wflag, pc);
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
