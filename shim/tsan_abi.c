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
 * thread already recorded a covering access in its current epoch; anything else goes to
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
            const struct lw_shadow_cell *c = &b[(addr >> 3) & (LW_SHADOW_CELLS - 1)];
            uint64_t need = ((((uint64_t)1 << size) - 1) << (addr & 7)) | wflag;
            uint64_t key = rt->epoch_key;
            for (unsigned i = 0; i < LW_SHADOW_ENTS; i++) {
                uint64_t w = atomic_load_explicit(&c->e[i].word, memory_order_relaxed);
                if ((w & LW_SH_EPOCH_MASK) == key && (w & need) == need)
                    return;
            }
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
