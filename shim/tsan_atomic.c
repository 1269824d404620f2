/*
 * The ThreadSanitizer atomic ABI: __tsan_atomic{8,16,32,64,128}_{load,store,exchange,fetch_*,
 * compare_exchange_*} and the fences. Instrumented code calls these instead of issuing its
 * atomic instructions, so each one MUST perform the operation, with the memory order asked for
 * (TSan's morder 0..5 are relaxed, consume, acquire, release, acq_rel, seq_cst: the order of
 * __ATOMIC_*), whether race mode is on or not.
 *
 * For race detection an atomic access is never itself a racy access (it leaves the shadow
 * alone), and its order creates happens-before through the variable's own clock: the release
 * half joins the thread's clocks into the location's before the operation, the acquire half
 * takes them after it, so a reader that saw a released value also sees the clock. Relaxed
 * operations cost nothing more than the call. Fences are performed but create no ordering
 * (docs/race-mode.md, "Limits").
 */
#include "race_internal.h"

enum { MO_RELAXED, MO_CONSUME, MO_ACQUIRE, MO_RELEASE, MO_ACQ_REL, MO_SEQ_CST };

static inline bool has_release(int mo)
{
    return mo == MO_RELEASE || mo == MO_ACQ_REL || mo == MO_SEQ_CST;
}

static inline bool has_acquire(int mo)
{
    return mo == MO_CONSUME || mo == MO_ACQUIRE || mo == MO_ACQ_REL || mo == MO_SEQ_CST;
}

static inline __attribute__((always_inline)) struct lw_race_thread *sync_thread(int mo)
{
    if (mo == MO_RELAXED || !lw_race_on())
        return NULL;
    struct lw_race_thread *rt = lw_race_tls;
    return LW_LIKELY(rt) ? rt : lw_race_thread_slow();
}

static inline void before(const volatile void *a, int mo, struct lw_race_thread *rt)
{
    if (rt && has_release(mo) && !rt->busy)
        lw_race_release_rt(rt, (uint64_t)(uintptr_t)a, false, false);
}

static inline void after(const volatile void *a, int mo, struct lw_race_thread *rt)
{
    if (rt && has_acquire(mo) && !rt->busy)
        lw_race_acquire_rt(rt, (uint64_t)(uintptr_t)a, false, false);
}

/* Expands to a switch calling `lhs f(args..., ORDER)` with the literal __ATOMIC_* constant for
 * mo: the builtins need a constant to emit the right instruction at every optimisation level.
 * Orders invalid for an operation (a release load, an acquire store) become seq_cst, as the
 * compilers themselves do. */
#define LW_CASE_(lhs, f, ord, ...)                                                                 \
    lhs f(__VA_ARGS__, ord);                                                                       \
    break
#define LW_WITH_ORDER(mo, lhs, f, ...)                                                             \
    switch (mo) {                                                                                  \
    case MO_RELAXED:                                                                               \
        LW_CASE_(lhs, f, __ATOMIC_RELAXED, __VA_ARGS__);                                           \
    case MO_CONSUME:                                                                               \
    case MO_ACQUIRE:                                                                               \
        LW_CASE_(lhs, f, __ATOMIC_ACQUIRE, __VA_ARGS__);                                           \
    case MO_RELEASE:                                                                               \
        LW_CASE_(lhs, f, __ATOMIC_RELEASE, __VA_ARGS__);                                           \
    case MO_ACQ_REL:                                                                               \
        LW_CASE_(lhs, f, __ATOMIC_ACQ_REL, __VA_ARGS__);                                           \
    default:                                                                                       \
        LW_CASE_(lhs, f, __ATOMIC_SEQ_CST, __VA_ARGS__);                                           \
    }
#define LW_WITH_LOAD_ORDER(mo, lhs, f, ...)                                                        \
    switch (mo) {                                                                                  \
    case MO_RELAXED:                                                                               \
        LW_CASE_(lhs, f, __ATOMIC_RELAXED, __VA_ARGS__);                                           \
    case MO_CONSUME:                                                                               \
    case MO_ACQUIRE:                                                                               \
        LW_CASE_(lhs, f, __ATOMIC_ACQUIRE, __VA_ARGS__);                                           \
    default:                                                                                       \
        LW_CASE_(lhs, f, __ATOMIC_SEQ_CST, __VA_ARGS__);                                           \
    }
#define LW_WITH_STORE_ORDER(mo, lhs, f, ...)                                                       \
    switch (mo) {                                                                                  \
    case MO_RELAXED:                                                                               \
        LW_CASE_(lhs, f, __ATOMIC_RELAXED, __VA_ARGS__);                                           \
    case MO_RELEASE:                                                                               \
        LW_CASE_(lhs, f, __ATOMIC_RELEASE, __VA_ARGS__);                                           \
    default:                                                                                       \
        LW_CASE_(lhs, f, __ATOMIC_SEQ_CST, __VA_ARGS__);                                           \
    }

/* Compare-and-swap: the failure order follows the success order (C11: never stronger, never a
 * release). */
#define LW_CAS_(ok, a, c, v, weak, mo)                                                             \
    switch (mo) {                                                                                  \
    case MO_RELAXED:                                                                               \
        ok = __atomic_compare_exchange_n(a, c, v, weak, __ATOMIC_RELAXED, __ATOMIC_RELAXED);       \
        break;                                                                                     \
    case MO_CONSUME:                                                                               \
    case MO_ACQUIRE:                                                                               \
        ok = __atomic_compare_exchange_n(a, c, v, weak, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);       \
        break;                                                                                     \
    case MO_RELEASE:                                                                               \
        ok = __atomic_compare_exchange_n(a, c, v, weak, __ATOMIC_RELEASE, __ATOMIC_RELAXED);       \
        break;                                                                                     \
    case MO_ACQ_REL:                                                                               \
        ok = __atomic_compare_exchange_n(a, c, v, weak, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);       \
        break;                                                                                     \
    default:                                                                                       \
        ok = __atomic_compare_exchange_n(a, c, v, weak, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);       \
        break;                                                                                     \
    }

#define LW_RMW(bits, T, name, builtin)                                                             \
    LW_EXPORT T __tsan_atomic##bits##_##name(volatile T *a, T v, int mo)                           \
    {                                                                                              \
        struct lw_race_thread *rt = sync_thread(mo);                                               \
        before(a, mo, rt);                                                                         \
        T r;                                                                                       \
        LW_WITH_ORDER(mo, r =, builtin, a, v)                                                      \
        after(a, mo, rt);                                                                          \
        return r;                                                                                  \
    }

#define LW_ATOMICS(bits, T)                                                                        \
    LW_EXPORT T __tsan_atomic##bits##_load(const volatile T *a, int mo)                            \
    {                                                                                              \
        struct lw_race_thread *rt = sync_thread(mo);                                               \
        T r;                                                                                       \
        LW_WITH_LOAD_ORDER(mo, r =, __atomic_load_n, a)                                            \
        after(a, mo, rt);                                                                          \
        return r;                                                                                  \
    }                                                                                              \
    LW_EXPORT void __tsan_atomic##bits##_store(volatile T *a, T v, int mo)                         \
    {                                                                                              \
        struct lw_race_thread *rt = sync_thread(mo);                                               \
        before(a, mo, rt);                                                                         \
        LW_WITH_STORE_ORDER(mo, , __atomic_store_n, a, v)                                          \
    }                                                                                              \
    LW_RMW(bits, T, exchange, __atomic_exchange_n)                                                 \
    LW_RMW(bits, T, fetch_add, __atomic_fetch_add)                                                 \
    LW_RMW(bits, T, fetch_sub, __atomic_fetch_sub)                                                 \
    LW_RMW(bits, T, fetch_and, __atomic_fetch_and)                                                 \
    LW_RMW(bits, T, fetch_or, __atomic_fetch_or)                                                   \
    LW_RMW(bits, T, fetch_xor, __atomic_fetch_xor)                                                 \
    LW_RMW(bits, T, fetch_nand, __atomic_fetch_nand)                                               \
    static inline int cas##bits(volatile T *a, T *c, T v, bool weak, int mo, int fmo)              \
    {                                                                                              \
        struct lw_race_thread *rt = sync_thread(mo > fmo ? mo : fmo);                              \
        before(a, mo, rt);                                                                         \
        bool ok;                                                                                   \
        if (weak) {                                                                                \
            LW_CAS_(ok, a, c, v, true, mo)                                                         \
        } else {                                                                                   \
            LW_CAS_(ok, a, c, v, false, mo)                                                        \
        }                                                                                          \
        after(a, ok ? mo : fmo, rt);                                                               \
        return ok;                                                                                 \
    }                                                                                              \
    LW_EXPORT int __tsan_atomic##bits##_compare_exchange_strong(volatile T *a, T *c, T v, int mo,  \
                                                                int fmo)                           \
    {                                                                                              \
        return cas##bits(a, c, v, false, mo, fmo);                                                 \
    }                                                                                              \
    LW_EXPORT int __tsan_atomic##bits##_compare_exchange_weak(volatile T *a, T *c, T v, int mo,    \
                                                              int fmo)                             \
    {                                                                                              \
        return cas##bits(a, c, v, true, mo, fmo);                                                  \
    }                                                                                              \
    LW_EXPORT T __tsan_atomic##bits##_compare_exchange_val(volatile T *a, T c, T v, int mo,        \
                                                           int fmo)                                \
    {                                                                                              \
        cas##bits(a, &c, v, false, mo, fmo);                                                       \
        return c;                                                                                  \
    }

LW_ATOMICS(8, uint8_t)
LW_ATOMICS(16, uint16_t)
LW_ATOMICS(32, uint32_t)
LW_ATOMICS(64, uint64_t)

/*
 * 128-bit atomics: x86-64 has no 16-byte atomic load or store without cmpxchg16b (which GCC
 * only uses through libatomic), so these take one of 64 striped spin locks. Every 128-bit
 * atomic of an instrumented program comes through here, so they are atomic with each other.
 */
typedef unsigned __int128 lw_u128;
static _Atomic int stripes[64];

static void stripe_lock(const volatile void *a)
{
    lw_spin_acquire(&stripes[((uintptr_t)a >> 4) & 63]);
}

static void stripe_unlock(const volatile void *a)
{
    atomic_store_explicit(&stripes[((uintptr_t)a >> 4) & 63], 0, memory_order_release);
}

enum op128 { OP_XCHG, OP_ADD, OP_SUB, OP_AND, OP_OR, OP_XOR, OP_NAND };

static lw_u128 rmw128(volatile lw_u128 *a, lw_u128 v, int mo, enum op128 op)
{
    struct lw_race_thread *rt = sync_thread(mo);
    before(a, mo, rt);
    stripe_lock(a);
    lw_u128 old = *a, nv = v;
    switch (op) {
    case OP_XCHG:
        break;
    case OP_ADD:
        nv = old + v;
        break;
    case OP_SUB:
        nv = old - v;
        break;
    case OP_AND:
        nv = old & v;
        break;
    case OP_OR:
        nv = old | v;
        break;
    case OP_XOR:
        nv = old ^ v;
        break;
    case OP_NAND:
        nv = ~(old & v);
        break;
    }
    *a = nv;
    stripe_unlock(a);
    after(a, mo, rt);
    return old;
}

LW_EXPORT lw_u128 __tsan_atomic128_load(const volatile lw_u128 *a, int mo)
{
    struct lw_race_thread *rt = sync_thread(mo);
    stripe_lock(a);
    lw_u128 r = *a;
    stripe_unlock(a);
    after(a, mo, rt);
    return r;
}

LW_EXPORT void __tsan_atomic128_store(volatile lw_u128 *a, lw_u128 v, int mo)
{
    struct lw_race_thread *rt = sync_thread(mo);
    before(a, mo, rt);
    stripe_lock(a);
    *a = v;
    stripe_unlock(a);
}

#define LW_RMW128(name, op)                                                                        \
    LW_EXPORT lw_u128 __tsan_atomic128_##name(volatile lw_u128 *a, lw_u128 v, int mo)              \
    {                                                                                              \
        return rmw128(a, v, mo, op);                                                               \
    }
LW_RMW128(exchange, OP_XCHG)
LW_RMW128(fetch_add, OP_ADD)
LW_RMW128(fetch_sub, OP_SUB)
LW_RMW128(fetch_and, OP_AND)
LW_RMW128(fetch_or, OP_OR)
LW_RMW128(fetch_xor, OP_XOR)
LW_RMW128(fetch_nand, OP_NAND)

static int cas128(volatile lw_u128 *a, lw_u128 *c, lw_u128 v, int mo, int fmo)
{
    struct lw_race_thread *rt = sync_thread(mo > fmo ? mo : fmo);
    before(a, mo, rt);
    stripe_lock(a);
    lw_u128 old = *a;
    bool ok = old == *c;
    if (ok)
        *a = v;
    else
        *c = old;
    stripe_unlock(a);
    after(a, ok ? mo : fmo, rt);
    return ok;
}

LW_EXPORT int __tsan_atomic128_compare_exchange_strong(volatile lw_u128 *a, lw_u128 *c, lw_u128 v,
                                                       int mo, int fmo)
{
    return cas128(a, c, v, mo, fmo);
}

LW_EXPORT int __tsan_atomic128_compare_exchange_weak(volatile lw_u128 *a, lw_u128 *c, lw_u128 v,
                                                     int mo, int fmo)
{
    return cas128(a, c, v, mo, fmo);
}

LW_EXPORT lw_u128 __tsan_atomic128_compare_exchange_val(volatile lw_u128 *a, lw_u128 c, lw_u128 v,
                                                        int mo, int fmo)
{
    cas128(a, &c, v, mo, fmo);
    return c;
}

/* __atomic_thread_fence takes only the order: a dummy first argument keeps the switch macro. */
#define LW_FENCE_(dummy, ord) __atomic_thread_fence(ord)
#define LW_SIGNAL_FENCE_(dummy, ord) __atomic_signal_fence(ord)

LW_EXPORT void __tsan_atomic_thread_fence(int mo){LW_WITH_ORDER(mo, , LW_FENCE_, 0)}

LW_EXPORT void __tsan_atomic_signal_fence(int mo)
{
    LW_WITH_ORDER(mo, , LW_SIGNAL_FENCE_, 0)
}
