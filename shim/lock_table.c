/*
 * Lock identities: address -> id of the lock's current lifetime. A lock-free open-addressing
 * table (linear probing) reserved with mmap and touched lazily. init gives a new id even at an
 * address seen before, destroy ends the lifetime (id 0), and the next use starts a new one:
 * memory reuse never merges two locks into one (no false cycles). A slot, once given an
 * address, is never emptied, so probing stays correct without tombstones; a destroyed slot is
 * taken over by a new address only when the probe reaches it during an insert. Full table:
 * new locks are not tracked (counted in a DROPPED record), the program is unaffected.
 */
#include <errno.h>
#include <string.h>

#include "annotate.h"
#include "shim.h"

#define LT_BITS 21
#define LT_SLOTS (1u << LT_BITS)
#define LT_MAX_PROBE 4096u
#define LT_DESCRIBED_NONE 0u

struct lt_slot {
    _Atomic uint64_t addr;
    _Atomic uint64_t ident; /* lock id (low 32) | init stack id (high 32); 0 = no lifetime */
    _Atomic uint64_t class_pc;
    _Atomic uint32_t meta; /* kind (low 16) | LW_LOCKF_* (high 16) */
    _Atomic uint32_t described_gen;
};

static struct lt_slot *lt_table;
static _Atomic uint32_t next_lock_id = 1;

/* The filter's two levels: a word covers a span of 64 granules. */
#define LF_COARSE_GRANULE_SHIFT 16 /* 64 KiB per bit, 4 MiB per word */
#define LF_COARSE_BITS 12          /* 4096 words: 32 KiB */
#define LF_FINE_GRANULE_SHIFT 2    /* 4 bytes per bit (a spinlock is 4-byte aligned) */
#define LF_FINE_BITS 18            /* 262144 words: 2 MiB, touched lazily */

struct lf_level {
    unsigned granule_shift, bits;
};
static const struct lf_level lf_coarse = {LF_COARSE_GRANULE_SHIFT, LF_COARSE_BITS};
static const struct lf_level lf_fine = {LF_FINE_GRANULE_SHIFT, LF_FINE_BITS};
static _Atomic uint64_t *lf_coarse_words, *lf_fine_words;

/* The word of the filter level that covers addr. */
static _Atomic uint64_t *lf_word(_Atomic uint64_t *words, struct lf_level l, uintptr_t addr)
{
    uint64_t span = (uint64_t)addr >> (l.granule_shift + 6);
    return &words[(span * 0x9e3779b97f4a7c15ULL) >> (64 - l.bits)];
}

/* addr's bit in its word of level l. */
static uint64_t lf_bit(struct lf_level l, uintptr_t addr)
{
    return 1ULL << ((addr >> l.granule_shift) & 63);
}

/* A lock now lives at addr (its address was just given a slot). */
static void lf_note(uintptr_t addr)
{
    if (!lf_fine_words)
        return;
    atomic_fetch_or_explicit(lf_word(lf_fine_words, lf_fine, addr), lf_bit(lf_fine, addr),
                             memory_order_relaxed);
    atomic_fetch_or_explicit(lf_word(lf_coarse_words, lf_coarse, addr), lf_bit(lf_coarse, addr),
                             memory_order_relaxed);
}

/* The bits of level l's word at span_lo (the start of its span) that cover [lo, hi). */
static uint64_t lf_mask(struct lf_level l, uintptr_t span_lo, uintptr_t lo, uintptr_t hi)
{
    uintptr_t span_hi = span_lo + ((uintptr_t)64 << l.granule_shift);
    unsigned first = lo > span_lo ? (unsigned)((lo - span_lo) >> l.granule_shift) : 0;
    unsigned end =
        hi < span_hi
            ? (unsigned)((hi - span_lo + ((uintptr_t)1 << l.granule_shift) - 1) >> l.granule_shift)
            : 64;
    uint64_t upto = end >= 64 ? ~0ULL : (1ULL << end) - 1;
    return upto & ~((1ULL << first) - 1);
}

void lw_lock_table_init(void)
{
    /* Called once from the constructor, before recording starts: no race. */
    if (!lt_table)
        lt_table = lw_mmap_zero((size_t)LT_SLOTS * sizeof(struct lt_slot));
    if (lt_table)
        LW_ANN_ATOMIC_RANGE(lt_table, (size_t)LT_SLOTS * sizeof(struct lt_slot));
    if (!lf_fine_words) {
        lf_coarse_words = lw_mmap_zero(sizeof(uint64_t) << LF_COARSE_BITS);
        _Atomic uint64_t *fine = lw_mmap_zero(sizeof(uint64_t) << LF_FINE_BITS);
        if (lf_coarse_words && fine) {
            LW_ANN_ATOMIC_RANGE(lf_coarse_words, sizeof(uint64_t) << LF_COARSE_BITS);
            LW_ANN_ATOMIC_RANGE(fine, sizeof(uint64_t) << LF_FINE_BITS);
            lf_fine_words = fine; /* last: lf_note and the range walk test it */
        }
    }
}

/* Finds the slot of addr; with insert, claims an empty (or dead) slot for it. */
static struct lt_slot *lt_find(uintptr_t addr, bool insert)
{
    if (LW_UNLIKELY(!lt_table))
        return NULL;
    /* Fibonacci hashing: one multiply spreads 8-byte aligned addresses well enough. */
    uint32_t i = (uint32_t)(((uint64_t)addr * 0x9e3779b97f4a7c15ULL) >> (64 - LT_BITS));
    struct lt_slot *dead = NULL;
    for (uint32_t n = 0; n < LT_MAX_PROBE; n++, i = (i + 1) & (LT_SLOTS - 1)) {
        struct lt_slot *s = &lt_table[i];
        uint64_t a = atomic_load_explicit(&s->addr, memory_order_acquire);
        if (a == addr)
            return s;
        if (a == 0) {
            if (!insert)
                return NULL;
            if (dead) {
                /* Reuse a destroyed lock's slot nearer the home position. */
                uint64_t old = atomic_load(&dead->addr);
                if (atomic_load(&dead->ident) == 0 &&
                    atomic_compare_exchange_strong(&dead->addr, &old, addr)) {
                    lf_note(addr);
                    return dead;
                }
            }
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&s->addr, &zero, addr)) {
                lf_note(addr);
                return s;
            }
            if (zero == addr)
                return s;
            continue;
        }
        if (insert && !dead && atomic_load_explicit(&s->ident, memory_order_relaxed) == 0)
            dead = s;
    }
    lw_log_drop(LW_DROP_LOCK_TABLE_FULL);
    return NULL;
}

/* Lock ids come from one counter, one at a time, so that they follow the order in which locks
 * appear. A thread that has started many lifetimes (a program allocating objects with a lock in
 * each: every free ends one) takes them LT_ID_BATCH at a time instead: the counter's contended
 * cache line was most of the cost of a new lifetime there (docs/performance.md, "Heap"). */
#define LT_ID_SINGLE 1024u
#define LT_ID_BATCH 64u
static LW_TLS uint32_t ids_taken, id_next, id_end;

static uint32_t lock_id_new(void)
{
    if (id_next != id_end)
        return id_next++;
    if (ids_taken < LT_ID_SINGLE) {
        ids_taken++;
        return atomic_fetch_add_explicit(&next_lock_id, 1, memory_order_relaxed);
    }
    uint32_t first = atomic_fetch_add_explicit(&next_lock_id, LT_ID_BATCH, memory_order_relaxed);
    id_next = first + 1;
    id_end = first + LT_ID_BATCH;
    return first;
}

/* The stack id of a one-frame stack at pc, with a per-thread memo of the last one: objects
 * allocated in a loop start their locks' lifetimes at one call site. */
static uint32_t site_stack(uintptr_t pc)
{
    static LW_TLS uintptr_t memo_pc;
    static LW_TLS uint32_t memo_stack;
    if (pc == memo_pc && memo_stack)
        return memo_stack;
    uint64_t site = pc;
    uint32_t stack = lw_stack_intern(&site, 1, 0);
    memo_pc = pc;
    memo_stack = stack;
    return stack;
}

/* Starts a lifetime in slot s unless one exists (start_new: always). Returns the id. */
static uint32_t lt_begin(struct lt_slot *s, uint16_t kind, uint32_t type_flags, bool start_new,
                         uintptr_t ret_pc)
{
    uint64_t cur = atomic_load_explicit(&s->ident, memory_order_acquire);
    if (cur && !start_new)
        return (uint32_t)cur;
    /* The call site alone names a lock's birth: unwinding for every new lock would dominate
     * programs that create millions of them (docs/performance.md). Without a call site
     * (internal callers), the full stack. */
    uint32_t stack = ret_pc ? site_stack(ret_pc) : lw_stack_capture();
    uint32_t id = lock_id_new();
    atomic_store_explicit(&s->meta, (uint32_t)kind | (type_flags << 16), memory_order_relaxed);
    atomic_store_explicit(&s->described_gen, LT_DESCRIBED_NONE, memory_order_relaxed);
    atomic_store_explicit(&s->class_pc, lw_stack_top(stack), memory_order_relaxed);
    uint64_t ident = (uint64_t)id | ((uint64_t)stack << 32);
    if (start_new) {
        LW_ANN_PUBLISH(s);
        atomic_store_explicit(&s->ident, ident, memory_order_release);
        return id;
    }
    LW_ANN_PUBLISH(s);
    if (atomic_compare_exchange_strong(&s->ident, &cur, ident))
        return id;
    return (uint32_t)cur; /* another thread started it first */
}

uint32_t lw_lock_lookup(uintptr_t addr, uint16_t kind, uint32_t type_flags, uintptr_t ret_pc,
                        const _Atomic uint64_t **ident_out)
{
    struct lt_slot *s = lt_find(addr, true);
    if (!s)
        return 0;
    if (ident_out)
        *ident_out = &s->ident;
    uint64_t cur = atomic_load_explicit(&s->ident, memory_order_acquire);
    if (LW_LIKELY(cur))
        return (uint32_t)cur;
    int saved = errno; /* capturing the first-use stack may touch errno */
    uint32_t id = lt_begin(s, kind, type_flags | LW_LOCKF_STATIC, false, ret_pc);
    errno = saved;
    return id;
}

uint32_t lw_lock_peek_id(uintptr_t addr)
{
    struct lt_slot *s = lt_find(addr, false);
    return s ? (uint32_t)atomic_load_explicit(&s->ident, memory_order_acquire) : 0;
}

uint32_t lw_lock_id(uintptr_t addr, uint16_t kind, uint32_t type_flags)
{
    return lw_lock_lookup(addr, kind, type_flags, 0, NULL);
}

uint32_t lw_lock_init(uintptr_t addr, uint16_t kind, uint32_t type_flags, uintptr_t ret_pc)
{
    struct lt_slot *s = lt_find(addr, true);
    return s ? lt_begin(s, kind, type_flags, true, ret_pc) : 0;
}

void lw_lock_destroy(uintptr_t addr)
{
    struct lt_slot *s = lt_find(addr, false);
    if (s)
        atomic_store_explicit(&s->ident, 0, memory_order_release);
}

/* What lw_lock_forget_range calls for each lock it forgets. */
struct forget_ctx {
    void (*each)(uintptr_t addr, void *arg);
    void *arg;
};

/* Ends the lifetime of the lock at addr if it has one, telling ctx first. */
static void lt_forget(uintptr_t addr, const struct forget_ctx *ctx)
{
    struct lt_slot *s = lt_find(addr, false);
    if (!s || !atomic_load_explicit(&s->ident, memory_order_relaxed))
        return;
    if (ctx->each)
        ctx->each(addr, ctx->arg); /* while the lifetime still names its lock */
    atomic_store_explicit(&s->ident, 0, memory_order_release);
}

/* The fine level of lw_lock_forget_range over [lo, hi), inside one coarse granule. */
static void forget_fine(uintptr_t lo, uintptr_t hi, const struct forget_ctx *ctx)
{
    uintptr_t span_size = (uintptr_t)64 << LF_FINE_GRANULE_SHIFT;
    uintptr_t first = lo & ~(span_size - 1);
    for (uintptr_t span = first; span < hi && span >= first; span += span_size) {
        uint64_t w =
            atomic_load_explicit(lf_word(lf_fine_words, lf_fine, span), memory_order_relaxed);
        w &= lf_mask(lf_fine, span, lo, hi);
        while (w) {
            uintptr_t addr = span + ((uintptr_t)__builtin_ctzll(w) << LF_FINE_GRANULE_SHIFT);
            w &= w - 1;
            lt_forget(addr, ctx);
        }
    }
}

/* Calls each(part, ctx) for the part of [lo, hi) in every coarse granule whose bit is set;
 * stops at the first true return. True if one returned true. */
static inline bool lf_coarse_each(uintptr_t lo, uintptr_t hi,
                                  bool (*each)(uintptr_t, uintptr_t, const struct forget_ctx *),
                                  const struct forget_ctx *ctx)
{
    uintptr_t granule = (uintptr_t)1 << LF_COARSE_GRANULE_SHIFT;
    uintptr_t first = lo & ~(granule - 1);
    for (uintptr_t g = first; g < hi && g >= first; g += granule) {
        if (atomic_load_explicit(lf_word(lf_coarse_words, lf_coarse, g), memory_order_relaxed) &
            lf_bit(lf_coarse, g)) {
            uintptr_t end = g + granule < hi && g + granule > g ? g + granule : hi;
            if (each(g > lo ? g : lo, end, ctx))
                return true;
        }
    }
    return false;
}

/* lf_coarse_each callback: a lock may be in [lo, hi). */
static bool stop_at_first(uintptr_t lo, uintptr_t hi, const struct forget_ctx *ctx)
{
    (void)lo, (void)hi, (void)ctx;
    return true;
}

/* lf_coarse_each callback: forgets the locks of [lo, hi). */
static bool forget_granule(uintptr_t lo, uintptr_t hi, const struct forget_ctx *ctx)
{
    forget_fine(lo, hi, ctx);
    return false;
}

bool lw_lock_maybe_in(uintptr_t lo, uintptr_t hi)
{
    return lf_fine_words && lf_coarse_each(lo, hi, stop_at_first, NULL);
}

void lw_lock_forget_range(uintptr_t lo, uintptr_t hi, void (*each)(uintptr_t addr, void *arg),
                          void *arg)
{
    struct forget_ctx ctx = {each, arg};
    if (lf_fine_words)
        lf_coarse_each(lo, hi, forget_granule, &ctx);
}

bool lw_lock_mark(uintptr_t addr, uint32_t id, uint32_t flag)
{
    struct lt_slot *s = lt_find(addr, false);
    if (!s || (uint32_t)atomic_load_explicit(&s->ident, memory_order_acquire) != id)
        return false;
    uint32_t bit = flag << 16;
    if (atomic_load_explicit(&s->meta, memory_order_relaxed) & bit)
        return false; /* marked before: no read-modify-write on every wait or post */
    return !(atomic_fetch_or(&s->meta, bit) & bit);
}

void lw_lock_describe(struct lw_thread *t, uintptr_t addr, uint32_t id, uint16_t kind)
{
    struct lt_slot *s = lt_find(addr, false);
    uint32_t gen = atomic_load_explicit(&lw_log_generation, memory_order_relaxed);
    uint64_t ident = s ? atomic_load_explicit(&s->ident, memory_order_acquire) : 0;
    uint32_t stack = 0, flags = 0;
    uint64_t class_pc = 0;
    if (s && (uint32_t)ident == id) {
        if (atomic_load_explicit(&s->described_gen, memory_order_relaxed) == gen ||
            atomic_exchange(&s->described_gen, gen) == gen)
            return;
        stack = (uint32_t)(ident >> 32);
        uint32_t meta = atomic_load_explicit(&s->meta, memory_order_relaxed);
        kind = (uint16_t)meta;
        flags = meta >> 16;
        class_pc = atomic_load_explicit(&s->class_pc, memory_order_relaxed);
    }
    /* else: the lifetime ended while held (destroyed under a lock); describe what we know. */
    if (stack)
        lw_stack_ensure_written(t, stack);
    struct lw_rec_lock *r = lw_log_reserve(t, sizeof *r);
    if (!r)
        return;
    r->lock_id = id;
    r->kind = kind;
    r->flags = flags;
    r->init_stack = stack;
    r->address = addr;
    r->class_pc = class_pc;
    lw_log_publish(t, r, LW_REC_LOCK, 0, sizeof *r);
}
