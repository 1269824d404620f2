/*
 * Thread memory ranges, for tls-misuse in race mode: which thread a stack or static-TLS address
 * belongs to, and whether that thread has ended. Each thread registers its stack range and its
 * static TLS block when it starts (lw_thread_ranges_start, from the thread-creation path); the
 * ranges stay in the table, marked dead, after the thread ends, until a new thread's ranges
 * overlap them (glibc reuses cached stacks, and the static TLS block lives in the stack block).
 *
 * lw_tls_check_access is race mode's entry point: called on its slow (shared) path, it records
 * a TLS_ACCESS when a thread touches another live thread's TLS block (TLS is never meant to be
 * shared) or any memory of a thread that has ended. A live thread's stack touched by another
 * thread is not reported: that is the ordinary handoff to a worker the owner is joining.
 *
 * Static TLS block (x86_64, TLS variant II): the blocks of the modules loaded at start lie just
 * below the thread pointer (pthread_self() on glibc), at the same offset in every thread. The
 * offsets and sizes are read once with dl_iterate_phdr (dlpi_tls_data of the calling thread
 * gives the offset; PT_TLS p_memsz the size). Approximation, documented in docs/design.md:
 * modules dlopen'ed later (dynamic TLS, allocated elsewhere) are not covered, and the block is
 * taken as [tp - largest module offset, tp).
 */
#include <link.h>
#include <pthread.h>
#include <string.h>

#include "race.h"
#include "shim.h"
#include "spin.h"

#define RANGES_MAX 4096u           /* live and dead threads remembered */
#define TLS_MODS_MAX 64u           /* modules with static TLS */
#define TLS_STATIC_MAX (16u << 20) /* larger "offsets" are not static TLS (dynamic blocks) */
#define TLS_KEY_SALT 0x746c736d69737573ULL

/*
 * One thread's ranges. Written by the owner (start) or the exiting thread, read by any thread:
 * a seqlock (seq odd while written) with relaxed atomic fields, so readers never block.
 */
struct range_slot {
    _Atomic uint32_t seq;
    _Atomic uint32_t owner; /* thread id; 0: free */
    _Atomic uint32_t exit_stack;
    _Atomic uint32_t dead; /* marked by lw_thread_ranges_exit */
    _Atomic(struct lw_thread *) t;
    _Atomic uintptr_t stack_lo, stack_hi;
    _Atomic uintptr_t tls_lo, tp;
};

static struct range_slot slots[RANGES_MAX];
static _Atomic uint32_t slots_high;
static _Atomic int slots_lock; /* writers only: thread start and exit are not hot */

/* Static TLS of one module: its block is [tp - offset, tp - offset + size). */
struct tls_mod {
    uintptr_t offset, size, image;
};
static struct tls_mod tls_mods[TLS_MODS_MAX];
static unsigned n_tls_mods;
static uintptr_t tls_static_size;
static _Atomic int tls_layout_state; /* 0 unknown, 1 being computed, 2 done */

/* The calling thread's registration: 0 not yet, 1..RANGES_MAX its slot + 1, SELF_DONE ended
 * or could not register (so a thread registers at most once). */
#define SELF_DONE (RANGES_MAX + 1u)
static LW_TLS uint32_t self_slot_plus1;
/* The calling thread's own stack block (TLS included): its accesses there are never reported. */
static LW_TLS uintptr_t self_lo, self_hi;
/* Lowest and highest address of any range ever registered: most heap and global accesses are
 * rejected by these two loads alone. Only widened (a forgotten range may leave slack). */
static _Atomic uintptr_t bounds_lo = UINTPTR_MAX, bounds_hi;

static inline uintptr_t thread_pointer(void)
{
    return (uintptr_t)pthread_self(); /* glibc x86_64: the TCB address is the thread pointer */
}

static int tls_layout_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t tp = *(uintptr_t *)arg;
    if (!info->dlpi_tls_data || n_tls_mods >= TLS_MODS_MAX)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_TLS || ph->p_memsz == 0)
            continue;
        uintptr_t block = (uintptr_t)info->dlpi_tls_data;
        if (block >= tp || tp - block > TLS_STATIC_MAX)
            break; /* a dynamically allocated block: not at a fixed offset */
        struct tls_mod *m = &tls_mods[n_tls_mods++];
        m->offset = tp - block;
        m->size = ph->p_memsz;
        m->image = info->dlpi_addr + ph->p_vaddr;
        if (m->offset > tls_static_size)
            tls_static_size = m->offset;
        break;
    }
    return 0;
}

/* Reads the static TLS layout once (the first registering thread does it; others wait). */
static void tls_layout(void)
{
    int st = atomic_load_explicit(&tls_layout_state, memory_order_acquire);
    if (LW_LIKELY(st == 2))
        return;
    int expected = 0;
    if (atomic_compare_exchange_strong(&tls_layout_state, &expected, 1)) {
        uintptr_t tp = thread_pointer();
        dl_iterate_phdr(tls_layout_cb, &tp);
        atomic_store_explicit(&tls_layout_state, 2, memory_order_release);
        return;
    }
    unsigned rounds = 0;
    while (atomic_load_explicit(&tls_layout_state, memory_order_acquire) != 2)
        lw_spin_wait(&rounds);
}

void lw_thread_ranges_after_fork(void)
{
    /* The lock may have been held, and the TLS layout being computed, by a thread that does not
     * exist in the child: computed again on demand. */
    atomic_store_explicit(&slots_lock, 0, memory_order_relaxed);
    int computing = 1;
    atomic_compare_exchange_strong(&tls_layout_state, &computing, 0);
}

static void slots_lock_acquire(void)
{
    lw_spin_acquire(&slots_lock);
}

static void slots_lock_release(void)
{
    atomic_store_explicit(&slots_lock, 0, memory_order_release);
}

static void write_begin(struct range_slot *s)
{
    atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void write_end(struct range_slot *s)
{
    atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
}

static bool overlaps(uintptr_t lo1, uintptr_t hi1, uintptr_t lo2, uintptr_t hi2)
{
    return lo1 < hi2 && lo2 < hi1;
}

#define LD(f) atomic_load_explicit(&s->f, memory_order_relaxed)
#define ST(f, v) atomic_store_explicit(&s->f, (v), memory_order_relaxed)

void lw_thread_ranges_start(struct lw_thread *t)
{
    if (!lw_race_on() || !t || self_slot_plus1)
        return;
    int depth = lw_tls.depth;
    lw_tls.depth = 1; /* pthread_getattr_np may allocate and lock: never record inside it */
    tls_layout();
    uintptr_t stack_lo = 0, stack_hi = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr = NULL;
        size_t size = 0;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            stack_lo = (uintptr_t)addr;
            stack_hi = stack_lo + size;
        }
        pthread_attr_destroy(&attr);
    }
    uintptr_t tp = thread_pointer(), tls_lo = tp - tls_static_size;
    slots_lock_acquire();
    uint32_t high = atomic_load_explicit(&slots_high, memory_order_relaxed), pick = RANGES_MAX;
    for (uint32_t i = 0; i < high; i++) {
        struct range_slot *s = &slots[i];
        if (!LD(owner)) {
            if (pick == RANGES_MAX)
                pick = i;
            continue;
        }
        /* The memory of an ended thread now belongs to this one: forget the old owner. */
        if (overlaps(LD(stack_lo), LD(stack_hi), stack_lo, stack_hi) ||
            overlaps(LD(tls_lo), LD(tp), tls_lo, tp)) {
            write_begin(s);
            ST(owner, 0);
            write_end(s);
            if (pick == RANGES_MAX)
                pick = i;
        }
    }
    if (pick == RANGES_MAX && high < RANGES_MAX)
        atomic_store_explicit(&slots_high, (pick = high) + 1, memory_order_release);
    if (pick == RANGES_MAX) {
        /* Full: the first dead thread's slot goes (its memory is then simply unknown). */
        for (uint32_t i = 0; i < RANGES_MAX && pick == RANGES_MAX; i++)
            if (atomic_load(&slots[i].dead))
                pick = i;
    }
    if (pick < RANGES_MAX) {
        struct range_slot *s = &slots[pick];
        write_begin(s);
        ST(t, t);
        ST(stack_lo, stack_lo);
        ST(stack_hi, stack_hi);
        ST(tls_lo, tls_lo);
        ST(tp, tp);
        ST(exit_stack, 0);
        ST(dead, 0);
        ST(owner, t->id);
        write_end(s);
    }
    self_slot_plus1 = pick < RANGES_MAX ? pick + 1 : SELF_DONE;
    uintptr_t lo = stack_lo && stack_lo < tls_lo ? stack_lo : tls_lo;
    uintptr_t hi = stack_hi > tp ? stack_hi : tp;
    self_lo = lo;
    self_hi = hi;
    if (lo < atomic_load_explicit(&bounds_lo, memory_order_relaxed))
        atomic_store_explicit(&bounds_lo, lo, memory_order_relaxed);
    if (hi > atomic_load_explicit(&bounds_hi, memory_order_relaxed))
        atomic_store_explicit(&bounds_hi, hi, memory_order_relaxed);
    slots_lock_release();
    lw_tls.depth = depth;
}

void lw_thread_ranges_exit(struct lw_thread *t)
{
    if (!self_slot_plus1 || self_slot_plus1 == SELF_DONE || !t)
        return;
    struct range_slot *s = &slots[self_slot_plus1 - 1];
    uint32_t stack = lw_stack_capture();
    slots_lock_acquire();
    if (LD(owner) == t->id) {
        write_begin(s);
        ST(exit_stack, stack);
        ST(dead, 1);
        write_end(s);
    }
    slots_lock_release();
    self_slot_plus1 = SELF_DONE;
    self_lo = self_hi = 0; /* its destructors' accesses are its own still, but unimportant */
}

/* A consistent copy of slot s, or false if it is free. */
struct range_copy {
    uint32_t owner, exit_stack, dead;
    struct lw_thread *t;
    uintptr_t stack_lo, stack_hi, tls_lo, tp;
};

static bool slot_read(struct range_slot *s, struct range_copy *c)
{
    unsigned rounds = 0;
    for (;;) {
        uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (seq & 1) {
            lw_spin_wait(&rounds);
            continue;
        }
        c->owner = LD(owner);
        c->exit_stack = LD(exit_stack);
        c->dead = LD(dead);
        c->t = LD(t);
        c->stack_lo = LD(stack_lo);
        c->stack_hi = LD(stack_hi);
        c->tls_lo = LD(tls_lo);
        c->tp = LD(tp);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) == seq)
            return c->owner != 0;
    }
}

/* True if the thread of c has ended: marked by the exit hook, or its state (never unmapped,
 * only recycled) is flagged exited or now belongs to another thread. */
static bool copy_dead(const struct range_copy *c)
{
    if (c->dead)
        return true;
    if (!c->t)
        return false;
    return __atomic_load_n(&c->t->id, __ATOMIC_RELAXED) != c->owner ||
           __atomic_load_n(&c->t->exited, __ATOMIC_RELAXED);
}

static bool find_slot(uintptr_t addr, struct range_copy *out, bool *is_tls)
{
    uint32_t high = atomic_load_explicit(&slots_high, memory_order_acquire);
    for (uint32_t i = 0; i < high; i++) {
        struct range_copy c;
        if (!slot_read(&slots[i], &c))
            continue;
        /* TLS first: a thread's static TLS block lies inside its stack block. */
        if (addr >= c.tls_lo && addr < c.tp) {
            *out = c;
            *is_tls = true;
            return true;
        }
        if (addr >= c.stack_lo && addr < c.stack_hi) {
            *out = c;
            *is_tls = false;
            return true;
        }
    }
    return false;
}

/* The module whose static TLS block (for the thread with thread pointer tp) holds addr. */
static const struct tls_mod *tls_module(uintptr_t tp, uintptr_t addr)
{
    for (unsigned i = 0; i < n_tls_mods; i++) {
        uintptr_t lo = tp - tls_mods[i].offset;
        if (addr >= lo && addr < lo + tls_mods[i].size)
            return &tls_mods[i];
    }
    return NULL;
}

void lw_tls_check_access(struct lw_thread *t, uintptr_t addr, uint32_t size, bool is_write,
                         uint32_t stack_id)
{
    if (!t)
        return;
    if (!self_slot_plus1)
        lw_thread_ranges_start(t); /* a thread that existed before race mode was on */
    /* Cheap rejections first: outside every range ever registered, or in the caller's own. */
    if (addr < atomic_load_explicit(&bounds_lo, memory_order_relaxed) ||
        addr >= atomic_load_explicit(&bounds_hi, memory_order_relaxed) ||
        (addr >= self_lo && addr < self_hi))
        return;
    struct range_copy c;
    bool tls = false;
    if (!find_slot(addr, &c, &tls) || c.owner == t->id)
        return;
    bool dead = copy_dead(&c);
    if (!dead && !tls)
        return; /* a live thread's stack: the join-protected handoff, ordered by the race detector
                 */
    uint32_t kind = dead ? LW_TLS_AFTER_EXIT : LW_TLS_CROSS_THREAD;
    int depth = lw_tls.depth;
    lw_tls.depth = 1;
    /* The site deduplicates: the given stack's top, else a stack captured here (this is
     * reached only for memory of another thread, so the unwinding is rare). */
    uint32_t full = stack_id ? 0 : lw_stack_capture();
    uint64_t site = lw_stack_top(stack_id ? stack_id : full);
    uint64_t key =
        lw_mix(TLS_KEY_SALT ^ ((uint64_t)kind << 56) ^ ((uint64_t)c.owner << 24) ^ lw_mix(site));
    if (lw_ctx_test_and_set(t, key ? key : 1)) {
        lw_tls.depth = depth;
        return;
    }
    /* Reported once: worth a full stack (the caller may have passed a one-frame one). */
    if (!full)
        full = lw_stack_capture();
    if (full)
        stack_id = full;
    if (stack_id)
        lw_stack_ensure_written(t, stack_id);
    if (c.exit_stack)
        lw_stack_ensure_written(t, c.exit_stack);
    const struct tls_mod *m = tls ? tls_module(c.tp, addr) : NULL;
    struct lw_rec_tls_access *r = lw_log_reserve(t, sizeof *r);
    if (r) {
        r->kind = kind;
        r->region = tls ? LW_TLS_REGION_TLS : LW_TLS_REGION_STACK;
        r->thread_id = t->id;
        r->owner_thread = c.owner;
        r->stack_id = stack_id;
        r->owner_exit_stack = c.exit_stack;
        r->size = size;
        r->reserved = 0;
        r->address = addr;
        r->tls_image = m ? m->image : 0;
        r->tls_offset = m ? addr - (c.tp - m->offset) : 0;
        lw_log_publish(t, r, LW_REC_TLS_ACCESS, is_write ? LW_TLS_ACCESS_WRITE : 0, sizeof *r);
    }
    lw_tls.depth = depth;
}
