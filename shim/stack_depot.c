/*
 * Stack capture (libunwind, local unwinding) and the stack depot: each distinct stack is stored
 * once, named by a 32-bit id, and written to a log once (the first time a record refers to it).
 * The depot is a lock-free hash set over an append-only arena; capture happens only on slow
 * paths (a new context, a new lock, a new thread), never per lock operation.
 *
 * The acquisition stack of a lock that is already held is not captured when it is taken (that
 * would cost an unwind per lock operation). Instead each held entry keeps its call site and the
 * acquiring wrapper's frame address; when a new context needs that stack, it is rebuilt from
 * the call site plus the caller frames of the current stack that are older than that frame,
 * which are still live in the usual nested-locking case (docs/design.md, "Held-lock stacks").
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <string.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "annotate.h"
#include "shim.h"

#define SD_TABLE_BITS 20
#define SD_TABLE_SLOTS (1u << SD_TABLE_BITS)
#define SD_MAX_STACKS (1u << 20)
#define SD_ARENA_SIZE (256ull << 20)
#define SD_SCAN (LW_MAX_FRAMES + 24)

struct sd_entry {
    uint64_t hash;
    uint32_t n;
    uint32_t flags;
    _Atomic uint32_t written_gen;
    uint32_t reserved;
    uint64_t frames[];
};

_Atomic uint64_t lw_stacks_written;

static _Atomic uint32_t sd_table[SD_TABLE_SLOTS];  /* stack ids, 0 = empty */
static _Atomic uint64_t sd_offsets[SD_MAX_STACKS]; /* id -> arena offset + 1 */
static char *sd_arena;
static _Atomic uint64_t sd_arena_used;
static _Atomic uint32_t sd_next_id = 1;
static uintptr_t self_lo, self_hi, unw_lo, unw_hi;

/* Finds the executable range of the object containing `addr`. */
struct range_query {
    uintptr_t addr, lo, hi;
};

static int range_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct range_query *q = data;
    uintptr_t lo, hi;
    lw_object_range(info, &lo, &hi);
    if (q->addr >= lo && q->addr < hi) {
        q->lo = lo;
        q->hi = hi;
        return 1;
    }
    return 0;
}

static void object_range(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
    struct range_query q = {addr, 0, 0};
    dl_iterate_phdr(range_cb, &q);
    *lo = q.lo;
    *hi = q.hi;
}

void lw_stack_init(void)
{
    if (!sd_arena)
        sd_arena = lw_mmap_zero(SD_ARENA_SIZE);
    LW_ANN_ATOMIC_RANGE(sd_table, sizeof sd_table);
    LW_ANN_ATOMIC_RANGE(sd_offsets, sizeof sd_offsets);
    object_range((uintptr_t)&lw_stack_init, &self_lo, &self_hi);
    object_range((uintptr_t)&unw_backtrace, &unw_lo, &unw_hi);
    /* Per-thread caches avoid libunwind's global cache lock. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

bool lw_stack_is_internal(uintptr_t pc)
{
    return (pc >= self_lo && pc < self_hi) || (pc >= unw_lo && pc < unw_hi);
}

static struct sd_entry *sd_get(uint32_t id)
{
    if (id == 0 || id >= SD_MAX_STACKS)
        return NULL;
    uint64_t off = atomic_load_explicit(&sd_offsets[id], memory_order_acquire);
    if (!off)
        return NULL;
    struct sd_entry *e = (struct sd_entry *)(sd_arena + off - 1);
    LW_ANN_CONSUME(e);
    return e;
}

uint64_t lw_stack_top(uint32_t id)
{
    struct sd_entry *e = sd_get(id);
    return e && e->n ? e->frames[0] : 0;
}

uint32_t lw_stack_intern(const uint64_t *frames, uint32_t n, uint32_t flags)
{
    if (!sd_arena || n == 0)
        return 0;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n ^ ((uint64_t)flags << 40);
    for (uint32_t i = 0; i < n; i++)
        h = lw_mix(h ^ frames[i]);
    uint32_t slot = (uint32_t)(h >> (64 - SD_TABLE_BITS));
    struct sd_entry *mine = NULL;
    uint32_t mine_id = 0;
    for (uint32_t probe = 0; probe < SD_TABLE_SLOTS; probe++) {
        _Atomic uint32_t *cell = &sd_table[(slot + probe) & (SD_TABLE_SLOTS - 1)];
        uint32_t id = atomic_load_explicit(cell, memory_order_acquire);
        while (id == 0) {
            if (!mine) {
                size_t bytes = sizeof(struct sd_entry) + n * sizeof(uint64_t);
                uint64_t off = atomic_fetch_add(&sd_arena_used, (bytes + 15) & ~(size_t)15);
                mine_id = atomic_fetch_add(&sd_next_id, 1);
                if (off + bytes > SD_ARENA_SIZE || mine_id >= SD_MAX_STACKS) {
                    lw_log_drop(LW_DROP_STACK_DEPOT_FULL);
                    return 0;
                }
                mine = (struct sd_entry *)(sd_arena + off);
                mine->hash = h;
                mine->n = n;
                mine->flags = flags;
                memcpy(mine->frames, frames, n * sizeof(uint64_t));
                LW_ANN_PUBLISH(mine);
                atomic_store_explicit(&sd_offsets[mine_id], off + 1, memory_order_release);
            }
            if (atomic_compare_exchange_strong(cell, &id, mine_id))
                return mine_id;
            /* lost the race: id now holds the winner, compare with it below */
        }
        struct sd_entry *e = sd_get(id);
        if (e && e->hash == h && e->n == n && e->flags == flags &&
            memcmp(e->frames, frames, n * sizeof(uint64_t)) == 0)
            return id;
    }
    lw_log_drop(LW_DROP_STACK_DEPOT_FULL);
    return 0;
}

/* Copies the frames of in[] that are not the shim's own (nor libunwind's), up to the
 * configured depth. The pthread_create trampoline sits in the middle of every thread's stack:
 * it is dropped like the leading frames. */
static uint32_t keep_external(const uint64_t *in, uint32_t n, uint64_t *out, uint32_t *flags)
{
    uint32_t m = 0, depth = lw_opts.stack_depth;
    for (uint32_t i = 0; i < n; i++) {
        if (lw_stack_is_internal(in[i]))
            continue;
        if (m == depth) {
            *flags |= LW_STACK_TRUNCATED;
            break;
        }
        out[m++] = in[i];
    }
    return m;
}

/* libunwind may open files (a cancellation point): a pending cancellation must not act inside
 * the shim, where the program did not call one. */
#define NO_CANCEL_BEGIN(old) pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &(old))
#define NO_CANCEL_END(old) pthread_setcancelstate((old), &(old))

uint32_t lw_stack_capture(void)
{
    int cancel_state;
    NO_CANCEL_BEGIN(cancel_state);
    void *buf[SD_SCAN];
    int n = unw_backtrace(buf, SD_SCAN);
    uint64_t pcs[SD_SCAN], frames[LW_MAX_FRAMES];
    for (int i = 0; i < n; i++)
        pcs[i] = (uint64_t)(uintptr_t)buf[i];
    uint32_t flags = 0;
    uint32_t m = keep_external(pcs, n > 0 ? (uint32_t)n : 0, frames, &flags);
    NO_CANCEL_END(cancel_state);
    return lw_stack_intern(frames, m, flags);
}

bool lw_stack_passes_through(const uintptr_t *lo, const uintptr_t *hi, int n)
{
    int cancel_state;
    NO_CANCEL_BEGIN(cancel_state);
    void *buf[SD_SCAN];
    int depth = unw_backtrace(buf, SD_SCAN);
    NO_CANCEL_END(cancel_state);
    for (int i = 0; i < depth; i++) {
        /* A return address: the call is just before it (a noreturn call may end the function). */
        uintptr_t pc = (uintptr_t)buf[i] - 1;
        for (int k = 0; k < n; k++)
            if (pc >= lo[k] && pc < hi[k])
                return true;
    }
    return false;
}

uint32_t lw_stack_capture_with_held(struct lw_held *held, uint32_t n_held)
{
    uint64_t ips[SD_SCAN], sps[SD_SCAN];
    int cancel_state;
    NO_CANCEL_BEGIN(cancel_state);
    unw_context_t uc;
    unw_cursor_t cur;
    uint32_t n = 0;
    if (unw_getcontext(&uc) == 0 && unw_init_local(&cur, &uc) == 0) {
        do {
            unw_word_t ip = 0, sp = 0;
            unw_get_reg(&cur, UNW_REG_IP, &ip);
            unw_get_reg(&cur, UNW_REG_SP, &sp);
            if (ip == 0)
                break;
            ips[n] = ip;
            sps[n] = sp;
            n++;
        } while (n < SD_SCAN && unw_step(&cur) > 0);
    }
    NO_CANCEL_END(cancel_state);
    uint32_t k = 0;
    while (k < n && lw_stack_is_internal(ips[k]))
        k++;
    uint64_t frames[LW_MAX_FRAMES];
    uint32_t flags = 0;
    uint32_t m = keep_external(ips + k, n - k, frames, &flags);
    uint32_t cur_id = lw_stack_intern(frames, m, flags);

    for (uint32_t h = 0; h < n_held; h++) {
        struct lw_held *e = &held[h];
        if (e->stack_id)
            continue;
        uint64_t spliced[SD_SCAN];
        uint32_t fm = 0;
        spliced[fm++] = e->ret_pc;
        uint32_t j = k;
        while (j < n && sps[j] <= e->frame)
            j++;
        /* The frame that called the lock is still live: its current pc is elsewhere now, so
         * its place is taken by the recorded call site. */
        if (j < n && sps[j] == e->frame + 16)
            j++;
        for (; j < n; j++)
            spliced[fm++] = ips[j];
        uint32_t hflags = 0;
        uint32_t hm = keep_external(spliced, fm, frames, &hflags);
        e->stack_id = lw_stack_intern(frames, hm, hflags);
    }
    return cur_id;
}

void lw_stack_ensure_written(struct lw_thread *t, uint32_t id)
{
    struct sd_entry *e = sd_get(id);
    if (!e)
        return;
    uint32_t gen = atomic_load_explicit(&lw_log_generation, memory_order_relaxed);
    if (atomic_load_explicit(&e->written_gen, memory_order_relaxed) == gen ||
        atomic_exchange(&e->written_gen, gen) == gen)
        return;
    lw_modules_record(t); /* the map must cover these frames: catch objects loaded since */
    uint32_t size = (uint32_t)(sizeof(struct lw_rec_stack) + e->n * sizeof(uint64_t));
    struct lw_rec_stack *r = lw_log_reserve(t, size);
    if (!r)
        return;
    r->stack_id = id;
    r->nframes = e->n;
    memcpy(r + 1, e->frames, e->n * sizeof(uint64_t));
    lw_log_publish(t, r, LW_REC_STACK, (uint8_t)e->flags, size);
    atomic_fetch_add_explicit(&lw_stacks_written, 1, memory_order_relaxed);
}
