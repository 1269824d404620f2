/*
 * Lock-order analysis of one process (lock_order.h): recorded contexts -> occurrences of
 * lock-order edges -> graph over lock ids -> elementary cycles (cycles.c) -> one finding per
 * cycle, real or harmless with the reason.
 *
 * A cycle L0 -> L1 -> ... -> L0 can deadlock only if one occurrence per edge can be chosen so
 * that, together, they could all be blocked at once (a "witness"):
 *   (a) the threads are pairwise distinct (one thread cannot wait on itself this way);
 *   (b) no acquisition is a try-lock (it would fail instead of blocking: lockdep's rule);
 *   (c) no lock is held as a gate in every chosen occurrence (that gate serialises them);
 *   (d) no two occurrences lie in segments ordered by create/join or a semaphore handoff
 *       (thread_order.h);
 *   (e) each acquisition can block on the hold of the next thread in the cycle: a read
 *       acquisition of a reader-preferring rwlock cannot block on a read hold (lock_rules.h).
 * Semaphores not proved lock-like give no edges, and read holds are never gates (lock_rules.h).
 * The witness search is a bounded backtracking over *classes* of occurrences: occurrences
 * with the same thread, seq, try flag and gate set are interchangeable for (a)-(d), so a
 * million identical contexts cost one candidate. Candidates are tried ungated and non-try
 * first, so a witness, when it exists, is usually the first combination tried. When no witness
 * exists, relaxed searches (one rule dropped at a time) find the rule to blame for the reason
 * text. A search that runs out of budget proves nothing, so such a cycle is reported as real:
 * a false alarm is cheaper than a missed deadlock.
 *
 * Gate sets are not materialised per occurrence (a context holding h locks gives h edges of
 * h-1 gates each: quadratic in an untrusted count). Each context's held locks are stored once,
 * sorted; an occurrence's gates are that set minus its own from/to locks.
 */
#include "lock_order.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycles.h"
#include "lock_rules.h"
#include "log_reader.h"
#include "thread_order.h"
#include "xalloc.h"

#define DEFAULT_MAX_CYCLES 10000
#define CYCLE_MAX_STEPS ((size_t)200000000) /* arc visits allowed to Johnson's enumeration */
#define WITNESS_BUDGET ((size_t)1000000)    /* candidate checks per witness search */
#define PROCESS_BUDGET ((size_t)300000000)  /* candidate checks for all cycles of a process */
#define FLOOR_BUDGET ((size_t)10000)        /* per search once PROCESS_BUDGET is spent */

/*
 * One occurrence of an edge: context ctx's held entry `held` -> the context's lock. It carries
 * what a finding shows of its context (the stacks, the flags), because the context itself may
 * be gone: a log over the reader's context budget is walked again from the file
 * (lw_process_each_context), one context at a time.
 */
typedef struct occ {
    uint32_t from, to;
    uint32_t thread, seq;
    uint32_t n_gates;
    uint8_t is_try;
    uint8_t from_read;     /* the held lock was taken for reading (LW_ACQ_READ) */
    uint8_t to_read;       /* the lock was acquired for reading */
    uint8_t readers_share; /* lock_rules.h: `to` is a reader-preferring rwlock */
    uint32_t from_stack;   /* the held entry's acquisition stack */
    uint32_t to_stack;     /* the context's acquisition stack */
    uint32_t acq_flags;    /* the context's acquisition flags */
    uint32_t held;
    uint32_t set_n; /* the context's distinct held locks: pool[set_off .. set_off + set_n) */
    size_t ctx;     /* the context's ordinal in the walk */
    size_t set_off;
} occ;

/* Occurrences equivalent for feasibility; rep is the first in sort order. */
typedef struct oclass {
    size_t rep;
    size_t count;   /* occurrences in the class, each context counted as often as it was logged */
    size_t run_end; /* index, in its edge, of the next class with another (try, n_gates, thread) */
} oclass;

/*
 * One distinct edge. Its classes, classes[first .. first + n), are only made for edges on a
 * reported cycle (lo_classes): the graph and the renderers need the per-edge summary alone.
 */
typedef struct ledge {
    uint32_t from, to;
    size_t first, n;
    size_t n_occ;     /* occurrences, each context counted as often as it was logged */
    size_t n_threads; /* distinct threads (counted when lo_build is asked to) */
    occ best;         /* the occurrence first in class order: what class 0's rep would be */
    bool wanted;      /* lies on a cycle: lo_classes makes its classes */
} ledge;

/*
 * Open-addressing hash table from a 64-bit key to a 32-bit value, linear probing, at most half
 * full. For a composite key (a gate set, a class) the stored key is its hash and the caller
 * compares the candidates a probe finds; for a key that fits in 64 bits it is the key itself.
 */
typedef struct hslot {
    uint64_t key;
    uint32_t val;
    uint32_t used;
} hslot;

typedef struct htab {
    hslot *s;
    size_t mask, n; /* slots - 1 (0: no table yet), entries */
} htab;

/* The grouped occurrences of one process. */
typedef struct lo_graph {
    const lw_process *p;
    uint32_t *pool; /* distinct gate sets, back to back */
    size_t pool_n, pool_cap;
    htab sets; /* gate set hash -> its offset in pool (the length is at pool[off - 1]) */
    occ *occs; /* one per class: its representative */
    size_t n_occs, occs_cap;
    oclass *classes;
    size_t n_classes;
    ledge *edges; /* sorted by (from, to) */
    size_t n_edges, edges_cap;
    htab edge_ix;         /* (from << 32 | to) -> index in edges */
    struct held_ref *tmp; /* scratch for one context */
    size_t tmp_cap;
    occ *ctx_occs; /* the occurrences of one context */
    size_t ctx_occs_cap;
    /* Per lock id below n_props: the LP_* answers of lock_rules.h for that id, worked out once
     * (each context asks them of every lock it names); ids at or past n_props ask lock_rules.h
     * directly. single[id] is the pool offset of the interned gate set {id}, 0 until made. */
    uint8_t *props;
    uint32_t *single;
    size_t n_props;
    size_t empty_off; /* pool offset of the interned empty gate set, 0 until made */
} lo_graph;

#define MATRIX_MAX_LOCKS ((size_t)1024)

#define LP_COUNTS 1u /* lw_lock_counts_for_order */
#define LP_SHARE 2u  /* lw_rwlock_readers_share */
#define LP_WANTED 4u /* the lock ends an edge lo_classes wants (set by lo_classes only) */

/* --- gate sets ---------------------------------------------------------------------------- */

static bool set_has(const uint32_t *ids, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] == id)
            return true;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static const uint32_t *occ_set(const lo_graph *g, const occ *o)
{
    return g->pool + o->set_off;
}

static bool is_gate_id(const occ *o, uint32_t id)
{
    return id != o->from && id != o->to;
}

/* Is lock id one of o's gates? */
static bool gate_has(const lo_graph *g, const occ *o, uint32_t id)
{
    return is_gate_id(o, id) && set_has(occ_set(g, o), o->set_n, id);
}

/* Lexicographic order of two gate sets (sorted lock ids, own from/to skipped). */
static int gate_cmp(const lo_graph *g, const occ *a, const occ *b)
{
    const uint32_t *x = occ_set(g, a), *y = occ_set(g, b);
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a->set_n && !is_gate_id(a, x[i]))
            i++;
        while (j < b->set_n && !is_gate_id(b, y[j]))
            j++;
        if (i == a->set_n || j == b->set_n)
            return (i < a->set_n) - (j < b->set_n);
        if (x[i] != y[j])
            return x[i] < y[j] ? -1 : 1;
        i++, j++;
    }
}

/* Copies o's gates into a new array (NULL when there are none). */
static uint32_t *gates_copy(const lo_graph *g, const occ *o, size_t *n)
{
    *n = 0;
    if (o->n_gates == 0)
        return NULL;
    uint32_t *out = xreallocarray(NULL, o->n_gates, sizeof *out);
    const uint32_t *s = occ_set(g, o);
    for (size_t i = 0; i < o->set_n; i++)
        if (is_gate_id(o, s[i]))
            out[(*n)++] = s[i];
    return out;
}

/* --- grouping ----------------------------------------------------------------------------- */

#define CMP(a, b)                                                                                  \
    do {                                                                                           \
        if ((a) != (b))                                                                            \
            return (a) < (b) ? -1 : 1;                                                             \
    } while (0)

/* Class order: same class iff this returns 0 before the ctx/held tie-break. */
static int class_cmp(const lo_graph *g, const occ *a, const occ *b)
{
    CMP(a->from, b->from);
    CMP(a->to, b->to);
    CMP(a->is_try, b->is_try);   /* blocking acquisitions first: they can form witnesses */
    CMP(a->n_gates, b->n_gates); /* fewer gates first: less likely to share one */
    CMP(a->thread, b->thread);
    CMP(a->seq, b->seq);
    CMP(a->from_read, b->from_read);
    CMP(a->to_read, b->to_read);
    return gate_cmp(g, a, b);
}

static int occ_cmp(const void *x, const void *y, void *arg)
{
    const occ *a = x, *b = y;
    int c = class_cmp(arg, a, b);
    if (c)
        return c;
    CMP(a->ctx, b->ctx);
    CMP(a->held, b->held);
    return 0;
}

struct held_ref {
    uint32_t lock, idx;
};

static int held_ref_cmp(const void *x, const void *y)
{
    const struct held_ref *a = x, *b = y;
    CMP(a->lock, b->lock);
    CMP(a->idx, b->idx);
    return 0;
}

/* --- hash tables -------------------------------------------------------------------------- */

static uint64_t hmix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

/*
 * The slot for key: used and matching (eq, if given, confirms a candidate's value against the
 * caller's probe), or the empty slot where it would go.
 */
/* Slot index of a key: murmur3's fmix64, so that every key bit reaches the low bits. */
static size_t h_home(const htab *t, uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ull;
    return (size_t)(key ^ (key >> 33)) & t->mask;
}

static hslot *h_find(const htab *t, uint64_t key, bool (*eq)(const void *, uint32_t),
                     const void *probe)
{
    for (size_t i = h_home(t, key);; i = (i + 1) & t->mask) {
        hslot *s = &t->s[i];
        if (!s->used)
            return s;
        if (s->key == key && (!eq || eq(probe, s->val)))
            return s;
    }
}

/* Makes room for one more entry; call before h_find when an insertion may follow. */
static void h_reserve(htab *t)
{
    if (t->mask && (t->n + 1) * 2 <= t->mask + 1)
        return;
    size_t n = t->mask ? 2 * (t->mask + 1) : 256;
    hslot *old = t->s;
    size_t old_n = t->mask ? t->mask + 1 : 0;
    t->s = xreallocarray(NULL, n, sizeof *t->s);
    memset(t->s, 0, n * sizeof *t->s);
    t->mask = n - 1;
    /* Stored keys are distinct per entry or already hashes: re-place them by key alone. */
    for (size_t i = 0; i < old_n; i++) {
        if (!old[i].used)
            continue;
        size_t j = h_home(t, old[i].key);
        while (t->s[j].used)
            j = (j + 1) & t->mask;
        t->s[j] = old[i];
    }
    free(old);
}

static void h_put(htab *t, hslot *s, uint64_t key, uint32_t val)
{
    *s = (hslot){key, val, 1};
    t->n++;
}

static void h_free(htab *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

/* --- occurrences -------------------------------------------------------------------------- */

/* Probe of the gate-set table: the candidate set pool[off .. off + n). */
struct set_probe {
    const lo_graph *g;
    const uint32_t *ids;
    uint32_t n;
};

static bool set_eq(const void *probe, uint32_t off)
{
    const struct set_probe *q = probe;
    return q->g->pool[off - 1] == q->n &&
           memcmp(q->g->pool + off, q->ids, q->n * sizeof *q->ids) == 0;
}

/*
 * Interns the set just appended to the pool at [off, pool_n) (its length already stored at
 * off - 1): if the same set is there already, the copy is dropped and the old offset returned.
 * Each distinct held-lock set is then stored once however many contexts share it.
 */
static size_t intern_set(lo_graph *g, size_t off)
{
    uint32_t n = (uint32_t)(g->pool_n - off);
    uint64_t h = hmix(0x5e7, n);
    for (size_t i = off; i < g->pool_n; i++)
        h = hmix(h, g->pool[i]);
    h_reserve(&g->sets);
    struct set_probe q = {g, g->pool + off, n};
    hslot *s = h_find(&g->sets, h, set_eq, &q);
    if (s->used) {
        g->pool_n = off - 1;
        return s->val;
    }
    if (off > UINT32_MAX) {
        fputs("lockwatch: gate-set pool over 4 G entries\n", stderr);
        abort();
    }
    h_put(&g->sets, s, h, (uint32_t)off);
    return off;
}

static void pool_push(lo_graph *g, uint32_t v)
{
    if (g->pool_n == g->pool_cap) {
        g->pool_cap = g->pool_cap ? g->pool_cap * 2 : 1024;
        g->pool = xreallocarray(g->pool, g->pool_cap, sizeof *g->pool);
    }
    g->pool[g->pool_n++] = v;
}

/*
 * Fills the per-lock property table over ids [0, top), top the largest lock id defined plus 1,
 * when ids are dense enough that the table is no bigger than a few bytes per lock (the recorder
 * numbers locks from 1 upwards); otherwise leaves it empty and every question goes to
 * lock_rules.h. The answers are the same either way: the table only caches them.
 */
static void lo_props(lo_graph *g)
{
    uint64_t top = 0;
    for (size_t i = 0; i < g->p->n_locks; i++)
        if (g->p->locks[i].id >= top)
            top = (uint64_t)g->p->locks[i].id + 1;
    if (top == 0 || top > 4 * (uint64_t)g->p->n_locks + 4096)
        return;
    g->n_props = (size_t)top;
    g->props = xcalloc(g->n_props, sizeof *g->props);
    g->single = xcalloc(g->n_props, sizeof *g->single);
    for (size_t id = 0; id < g->n_props; id++) {
        uint32_t l = (uint32_t)id;
        g->props[id] =
            (uint8_t)((lw_lock_counts_for_order(g->p, l) ? LP_COUNTS : 0) |
                      (lw_rwlock_readers_share(lw_process_lock(g->p, l)) ? LP_SHARE : 0));
    }
}

static bool lock_counts(const lo_graph *g, uint32_t id)
{
    if (id < g->n_props)
        return (g->props[id] & LP_COUNTS) != 0;
    return lw_lock_counts_for_order(g->p, id);
}

static uint32_t lock_share(const lo_graph *g, uint32_t id)
{
    if (id < g->n_props)
        return (g->props[id] & LP_SHARE) != 0;
    return lw_rwlock_readers_share(lw_process_lock(g->p, id));
}

/* Pool offset of the interned gate set {id} (n == 1) or {} (n == 0), made on first use. The
 * cache returns what intern_set would: the first interning of a set fixes its offset. */
static size_t small_set(lo_graph *g, uint32_t n, uint32_t id)
{
    size_t *cached = n == 0 ? &g->empty_off : NULL;
    if (n == 1 && id < g->n_props && g->single[id])
        return g->single[id];
    if (cached && *cached)
        return *cached;
    pool_push(g, n);
    size_t off = g->pool_n;
    if (n == 1)
        pool_push(g, id);
    off = intern_set(g, off);
    if (cached)
        *cached = off;
    else if (id < g->n_props)
        g->single[id] = (uint32_t)off; /* intern_set keeps offsets below 4 G */
    return off;
}

/* Sorts a context's held references; held lists are short, so insertion sort beats qsort. */
static void sort_refs(struct held_ref *r, uint32_t n)
{
    if (n > 16) {
        qsort(r, n, sizeof *r, held_ref_cmp);
        return;
    }
    for (uint32_t i = 1; i < n; i++) {
        struct held_ref x = r[i];
        uint32_t j = i;
        for (; j > 0 && held_ref_cmp(&r[j - 1], &x) > 0; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

/* The occurrences of context c, the ci-th of the walk, into g->ctx_occs; returns how many. */
static size_t context_occs(lo_graph *g, const lw_context *c, size_t ci)
{
    if (c->n_held == 0 || !c->held)
        return 0;
    /* A signalling semaphore gives no edges, neither acquired nor held (lock_rules.h). */
    if (!lock_counts(g, c->lock_id))
        return 0;
    if (c->n_held > g->tmp_cap) {
        g->tmp_cap = c->n_held;
        g->tmp = xreallocarray(g->tmp, g->tmp_cap, sizeof *g->tmp);
        g->ctx_occs = xreallocarray(g->ctx_occs, g->tmp_cap, sizeof *g->ctx_occs);
    }
    struct held_ref *r = g->tmp;
    uint32_t n_r = 0;
    for (uint32_t i = 0; i < c->n_held; i++)
        if (lock_counts(g, c->held[i].lock_id))
            r[n_r++] = (struct held_ref){c->held[i].lock_id, i};
    if (n_r == 0)
        return 0;

    /* The gate set: distinct held locks some entry of which holds them exclusively (a read
     * hold excludes no other reader, so it serialises nothing). Stored as [n, ids...]. */
    size_t off;
    uint32_t set_n = 0;
    bool to_held = false;
    if (n_r == 1) {
        /* The common case (one lock held): a set of at most one lock, interned once. */
        set_n = lw_held_can_gate(c->held[r[0].idx].flags) ? 1 : 0;
        to_held = set_n && r[0].lock == c->lock_id;
        off = small_set(g, set_n, r[0].lock);
    } else {
        sort_refs(r, n_r);
        pool_push(g, 0);
        off = g->pool_n;
        for (uint32_t i = 0; i < n_r;) {
            uint32_t j = i;
            bool gates = false;
            for (; j < n_r && r[j].lock == r[i].lock; j++)
                gates = gates || lw_held_can_gate(c->held[r[j].idx].flags);
            if (gates) {
                pool_push(g, r[i].lock);
                set_n++;
                if (r[i].lock == c->lock_id)
                    to_held = true;
            }
            i = j;
        }
        g->pool[off - 1] = set_n;
        off = intern_set(g, off);
    }
    uint32_t to_read = (c->acq_flags & LW_ACQ_READ) != 0;
    uint32_t share = lock_share(g, c->lock_id);
    /* One occurrence per distinct held lock, from its outermost (first) acquisition. */
    size_t n = 0;
    for (uint32_t i = 0; i < n_r; i++) {
        if (i > 0 && r[i].lock == r[i - 1].lock)
            continue;
        if (r[i].lock == c->lock_id)
            continue; /* recursion: a self-loop, not an order */
        bool from_gates = set_has(g->pool + off, set_n, r[i].lock);
        g->ctx_occs[n++] = (occ){
            .from = r[i].lock,
            .to = c->lock_id,
            .thread = c->thread_id,
            .seq = c->seq,
            .is_try = (c->acq_flags & LW_ACQ_TRY) != 0,
            .n_gates = set_n - (from_gates ? 1 : 0) - (to_held ? 1 : 0),
            .from_read = (c->held[r[i].idx].flags & LW_ACQ_READ) != 0,
            .to_read = to_read,
            .readers_share = (uint8_t)share,
            .from_stack = c->held[r[i].idx].stack_id,
            .to_stack = c->stack_id,
            .acq_flags = c->acq_flags,
            .ctx = ci,
            .held = r[i].idx,
            .set_n = set_n,
            .set_off = off,
        };
    }
    return n;
}

/* How many records a context stands for (0 in a hand-built one means 1). */
static size_t ctx_weight(const lw_context *c)
{
    return c->count ? c->count : 1;
}

/* --- grouping ----------------------------------------------------------------------------- */

static int ledge_cmp(const void *x, const void *y)
{
    const ledge *a = x, *b = y;
    CMP(a->from, b->from);
    CMP(a->to, b->to);
    return 0;
}

static uint64_t edge_key(uint32_t from, uint32_t to)
{
    return (uint64_t)from << 32 | to;
}

/* (Re)builds the (from, to) -> edge index table over g->edges. */
static void index_edges(lo_graph *g)
{
    h_free(&g->edge_ix);
    for (size_t i = 0; i < g->n_edges; i++) {
        h_reserve(&g->edge_ix);
        uint64_t k = edge_key(g->edges[i].from, g->edges[i].to);
        h_put(&g->edge_ix, h_find(&g->edge_ix, k, NULL, NULL), k, (uint32_t)i);
    }
}

/* State of lo_build's walk over the contexts. */
struct build_walk {
    lo_graph *g;
    bool count_threads;
    htab seen; /* (edge index << 32 | thread): pairs already counted */
    uint32_t *mat;
    size_t n_mat;
};

/* Adds context c (the ci-th of the walk) to the edges. */
static void build_add(struct build_walk *b, const lw_context *c, size_t ci)
{
    lo_graph *g = b->g;
    size_t n = context_occs(g, c, ci);
    size_t w = ctx_weight(c);
    size_t n_mat = b->n_mat;
    for (size_t i = 0; i < n; i++) {
        const occ *o = &g->ctx_occs[i];
        uint32_t *cell = o->from < n_mat && o->to < n_mat ? &b->mat[o->from * n_mat + o->to] : NULL;
        hslot *s = NULL;
        if (!cell) {
            uint64_t k = edge_key(o->from, o->to);
            h_reserve(&g->edge_ix);
            s = h_find(&g->edge_ix, k, NULL, NULL);
        }
        if (cell ? *cell == 0 : !s->used) {
            if (g->n_edges == g->edges_cap) {
                g->edges_cap = g->edges_cap ? g->edges_cap * 2 : 256;
                g->edges = xreallocarray(g->edges, g->edges_cap, sizeof *g->edges);
            }
            if (g->n_edges >= UINT32_MAX - 1)
                abort(); /* more edges than lock-id pairs */
            if (cell)
                *cell = (uint32_t)g->n_edges + 1;
            else
                h_put(&g->edge_ix, s, edge_key(o->from, o->to), (uint32_t)g->n_edges);
            g->edges[g->n_edges++] = (ledge){.from = o->from, .to = o->to, .best = *o};
        }
        size_t ei = cell ? *cell - 1 : s->val;
        ledge *e = &g->edges[ei];
        e->n_occ += w;
        /* Strictly smaller only: among equals the earliest context stays, as the first in
         * (class, context) order would. A walk of every record (a log read again) meets the
         * same earliest context first: a repeat comes after the record it repeats. */
        if (class_cmp(g, o, &e->best) < 0)
            e->best = *o;
        if (b->count_threads) {
            uint64_t tk = (uint64_t)ei << 32 | o->thread;
            h_reserve(&b->seen);
            hslot *t = h_find(&b->seen, tk, NULL, NULL);
            if (!t->used) {
                h_put(&b->seen, t, tk, 0);
                e->n_threads++;
            }
        }
    }
}

static void build_cb(const lw_context *c, size_t ci, void *arg)
{
    build_add(arg, c, ci);
}

/*
 * Reads p's contexts into the distinct edges, each with its occurrence count and its best
 * occurrence, in one pass over the (distinct) contexts with hash lookups: no per-occurrence
 * memory. count_threads: also count each edge's distinct threads (for renderers).
 */
static void lo_build(lo_graph *g, const lw_process *p, bool count_threads)
{
    memset(g, 0, sizeof *g);
    g->p = p;
    lo_props(g);
    struct build_walk b = {.g = g, .count_threads = count_threads};
    /* With few locks (ids below MATRIX_MAX_LOCKS, a table of at most 4 MiB), edges are found
     * through a from x to matrix of 1 + edge index (0: none yet) rather than the hash table;
     * an edge with a larger id, possible only when ids are sparse or many, takes the table.
     * Either way each edge is found the same way every time, so both give the same edges. */
    b.n_mat = g->n_props <= MATRIX_MAX_LOCKS ? g->n_props : 0;
    b.mat = b.n_mat ? xcalloc(b.n_mat * b.n_mat, sizeof *b.mat) : NULL;
    if (p->ctx_source)
        lw_process_each_context(p, NULL, build_cb, &b); /* a changed file: it warned, go on */
    else
        for (size_t ci = 0; p->contexts && ci < p->n_contexts; ci++)
            build_add(&b, &p->contexts[ci], ci);
    h_free(&b.seen);
    free(b.mat);
    if (g->n_edges)
        qsort(g->edges, g->n_edges, sizeof *g->edges, ledge_cmp);
    index_edges(g);
}

/* Probe of the class table: an occurrence, equal to a class when class_cmp says so. */
struct class_probe {
    const lo_graph *g;
    const occ *o;
};

static bool class_eq(const void *probe, uint32_t rep)
{
    const struct class_probe *q = probe;
    return class_cmp(q->g, q->o, &q->g->occs[rep]) == 0;
}

static uint64_t class_hash(const lo_graph *g, const occ *o)
{
    uint64_t h = hmix(edge_key(o->from, o->to), (uint64_t)o->thread << 32 | o->seq);
    h = hmix(h, (uint64_t)o->is_try | (uint64_t)o->from_read << 1 | (uint64_t)o->to_read << 2 |
                    (uint64_t)o->n_gates << 3);
    const uint32_t *s = occ_set(g, o);
    for (uint32_t i = 0; i < o->set_n; i++)
        if (is_gate_id(o, s[i]))
            h = hmix(h, s[i]);
    return h;
}

/* occ_cmp over indices into g->occs (qsort_r's argument is the graph). */
static int occ_index_cmp(const void *x, const void *y, void *arg)
{
    const lo_graph *g = arg;
    return occ_cmp(&g->occs[*(const size_t *)x], &g->occs[*(const size_t *)y], arg);
}

/* State of lo_classes's walk over the contexts. */
struct class_walk {
    lo_graph *g;
    htab ix; /* class hash -> index in g->occs */
    size_t *counts, counts_cap;
};

/* Adds the occurrences of context c (the ci-th of the walk) on wanted edges to their classes. */
static void class_add(struct class_walk *cw, const lw_context *c, size_t ci)
{
    lo_graph *g = cw->g;
    size_t n = context_occs(g, c, ci);
    size_t w = ctx_weight(c);
    for (size_t i = 0; i < n; i++) {
        const occ *o = &g->ctx_occs[i];
        hslot *es = h_find(&g->edge_ix, edge_key(o->from, o->to), NULL, NULL);
        if (!es->used || !g->edges[es->val].wanted)
            continue;
        uint64_t h = class_hash(g, o);
        h_reserve(&cw->ix);
        struct class_probe q = {g, o};
        hslot *s = h_find(&cw->ix, h, class_eq, &q);
        if (!s->used) {
            if (g->n_occs == g->occs_cap) {
                g->occs_cap = g->occs_cap ? g->occs_cap * 2 : 256;
                g->occs = xreallocarray(g->occs, g->occs_cap, sizeof *g->occs);
            }
            if (g->n_occs >= cw->counts_cap) {
                cw->counts_cap = g->occs_cap;
                cw->counts = xreallocarray(cw->counts, cw->counts_cap, sizeof *cw->counts);
            }
            if (g->n_occs >= UINT32_MAX)
                abort();
            h_put(&cw->ix, s, h, (uint32_t)g->n_occs);
            cw->counts[g->n_occs] = 0;
            g->occs[g->n_occs++] = *o;
        }
        cw->counts[s->val] += w;
    }
}

static void class_cb(const lw_context *c, size_t ci, void *arg)
{
    class_add(arg, c, ci);
}

/* A context gives occurrences ending at its own lock only: one whose lock ends no wanted edge
 * needs no look at its held list. */
static bool class_want(uint32_t to, void *arg)
{
    const lo_graph *g = ((const struct class_walk *)arg)->g;
    return to >= g->n_props || (g->props[to] & LP_WANTED);
}

/*
 * Groups the occurrences of the wanted edges into classes (hash by class, first context kept as
 * the representative), then orders each edge's classes by class_cmp, as the search expects.
 * Only edges on a cycle are wanted, so this pass stores nothing for the rest of the graph.
 */
static void lo_classes(lo_graph *g)
{
    struct class_walk cw = {.g = g};
    for (size_t e = 0; e < g->n_edges; e++)
        if (g->edges[e].wanted && g->edges[e].to < g->n_props)
            g->props[g->edges[e].to] |= LP_WANTED;
    if (g->p->ctx_source) {
        lw_process_each_context(g->p, class_want, class_cb, &cw); /* changed: it warned */
    } else {
        for (size_t ci = 0; g->p->contexts && ci < g->p->n_contexts; ci++)
            if (class_want(g->p->contexts[ci].lock_id, &cw))
                class_add(&cw, &g->p->contexts[ci], ci);
    }
    size_t *counts = cw.counts;
    h_free(&cw.ix);
    if (g->n_occs == 0) {
        free(counts);
        return;
    }
    /* Sort the representatives (by index, so that their counts follow). */
    size_t *order = xreallocarray(NULL, g->n_occs, sizeof *order);
    for (size_t i = 0; i < g->n_occs; i++)
        order[i] = i;
    qsort_r(order, g->n_occs, sizeof *order, occ_index_cmp, g);
    occ *sorted = xreallocarray(NULL, g->n_occs, sizeof *sorted);
    g->classes = xreallocarray(NULL, g->n_occs, sizeof *g->classes);
    for (size_t i = 0; i < g->n_occs; i++) {
        sorted[i] = g->occs[order[i]];
        g->classes[i] = (oclass){i, counts[order[i]], 0};
    }
    free(order);
    free(counts);
    free(g->occs);
    g->occs = sorted;
    g->n_classes = g->n_occs;
    for (size_t i = 0; i < g->n_classes;) {
        const occ *o = &g->occs[i];
        ledge *e = &g->edges[h_find(&g->edge_ix, edge_key(o->from, o->to), NULL, NULL)->val];
        e->first = i;
        e->n = 0;
        while (i < g->n_classes && g->occs[i].from == o->from && g->occs[i].to == o->to)
            i++, e->n++;
    }
    /* Runs of one thread let the search skip a whole run when the thread is what failed. */
    for (size_t e = 0; e < g->n_edges; e++) {
        const ledge *ed = &g->edges[e];
        if (!ed->n)
            continue;
        oclass *cl = g->classes + ed->first;
        for (size_t i = ed->n; i-- > 0;) {
            const occ *o = &g->occs[cl[i].rep];
            const occ *next = i + 1 < ed->n ? &g->occs[cl[i + 1].rep] : NULL;
            bool same = next && next->thread == o->thread && next->is_try == o->is_try &&
                        next->n_gates == o->n_gates;
            cl[i].run_end = same ? cl[i + 1].run_end : i + 1;
        }
    }
}

static void lo_free(lo_graph *g)
{
    free(g->pool);
    h_free(&g->sets);
    free(g->occs);
    free(g->classes);
    free(g->edges);
    h_free(&g->edge_ix);
    free(g->tmp);
    free(g->ctx_occs);
    free(g->props);
    free(g->single);
    memset(g, 0, sizeof *g);
}

static const ledge *find_edge(const lo_graph *g, uint32_t from, uint32_t to)
{
    size_t lo = 0, hi = g->n_edges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ledge *e = &g->edges[mid];
        if (e->from == from && e->to == to)
            return e;
        if (e->from < from || (e->from == from && e->to < to))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const occ *class_occ(const lo_graph *g, const ledge *e, size_t i)
{
    return &g->occs[g->classes[e->first + i].rep];
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorted distinct lock ids of g's edges (the graph's nodes, in id order). */
static uint32_t *lo_locks(const lo_graph *g, size_t *n)
{
    uint32_t *ids = xreallocarray(NULL, g->n_edges * 2, sizeof *ids);
    for (size_t i = 0; i < g->n_edges; i++) {
        ids[2 * i] = g->edges[i].from;
        ids[2 * i + 1] = g->edges[i].to;
    }
    qsort(ids, g->n_edges * 2, sizeof *ids, u32_cmp);
    size_t m = 0;
    for (size_t i = 0; i < g->n_edges * 2; i++)
        if (m == 0 || ids[i] != ids[m - 1])
            ids[m++] = ids[i];
    *n = m;
    return ids;
}

static uint32_t node_index(const uint32_t *ids, size_t n, uint32_t id)
{
    const uint32_t *hit = bsearch(&id, ids, n, sizeof *ids, u32_cmp);
    return (uint32_t)(hit - ids);
}

/* The lock graph over dense node ids (node i is lock ids[i]). */
static void lo_digraph(const lo_graph *g, const uint32_t *ids, size_t n_ids, lw_digraph *dg)
{
    lw_arc *arcs = xreallocarray(NULL, g->n_edges, sizeof *arcs);
    for (size_t i = 0; i < g->n_edges; i++)
        arcs[i] = (lw_arc){node_index(ids, n_ids, g->edges[i].from),
                           node_index(ids, n_ids, g->edges[i].to)};
    lw_digraph_build(dg, (uint32_t)n_ids, arcs, g->n_edges);
    free(arcs);
}

/* --- witness search ----------------------------------------------------------------------- */

typedef struct u32_vec {
    uint32_t *v;
    size_t n, cap;
    bool all; /* stands for "every lock" (an intersection over nothing) */
} u32_vec;

static void vec_push(u32_vec *a, uint32_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        a->v = xreallocarray(a->v, a->cap, sizeof *a->v);
    }
    a->v[a->n++] = x;
}

/* Which rules a search enforces. */
typedef struct rules {
    bool distinct;   /* (a) */
    bool no_try;     /* (b) */
    bool no_gate;    /* (c) */
    bool unordered;  /* (d) */
    bool can_block;  /* (e) each acquisition can block on the next thread's hold (rwlock modes) */
    bool one_thread; /* only occurrences of `thread` (the single-thread check) */
    uint32_t thread;
} rules;

/* One cycle's search state; positions are cycle positions (edge[i] = locks[i] -> locks[i+1]). */
typedef struct wsearch {
    const lo_graph *g;
    lw_thread_order *order;
    size_t k;
    const ledge **edge;
    size_t *perm;       /* search depth -> cycle position, fewest classes first */
    u32_vec *must_gate; /* per position: gates present in every class of that edge */
    u32_vec *suffix;    /* per depth d: gates in every class of every position deeper than d */
    u32_vec *inter;     /* per depth: gates common to the choices so far */
    size_t *idx;        /* per depth: next class to try */
    const occ **at;     /* per depth: the choice */
    const occ **chosen; /* per position: the witness, when found */
    rules r;
    size_t budget, steps;
    bool exhausted;
} wsearch;

static bool vec_intersects(const u32_vec *a, const u32_vec *b)
{
    if (a->n == 0 || b->all)
        return a->n > 0;
    for (size_t i = 0; i < a->n; i++)
        if (set_has(b->v, b->n, a->v[i]))
            return true;
    return false;
}

/* Fills must_gate and suffix: gate locks that no choice can avoid. */
static void wsearch_gate_tables(wsearch *w)
{
    for (size_t p = 0; p < w->k; p++) {
        const ledge *e = w->edge[p];
        u32_vec *m = &w->must_gate[p];
        m->n = 0;
        m->all = false;
        const occ *o0 = class_occ(w->g, e, 0);
        const uint32_t *s = occ_set(w->g, o0);
        for (size_t i = 0; i < o0->set_n; i++) {
            if (!is_gate_id(o0, s[i]))
                continue;
            bool everywhere = true;
            for (size_t c = 1; c < e->n && everywhere; c++)
                everywhere = gate_has(w->g, class_occ(w->g, e, c), s[i]);
            if (everywhere)
                vec_push(m, s[i]);
        }
    }
    for (size_t d = w->k; d-- > 0;) {
        u32_vec *sf = &w->suffix[d];
        sf->n = 0;
        if (d + 1 == w->k) {
            sf->all = true;
            continue;
        }
        sf->all = false;
        const u32_vec *next = &w->suffix[d + 1];
        const u32_vec *m = &w->must_gate[w->perm[d + 1]];
        for (size_t i = 0; i < m->n; i++)
            if (next->all || set_has(next->v, next->n, m->v[i]))
                vec_push(sf, m->v[i]);
    }
}

static int perm_cmp(const void *a, const void *b, void *arg)
{
    const size_t *counts = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    CMP(counts[x], counts[y]);
    CMP(x, y);
    return 0;
}

static void wsearch_init(wsearch *w, const lo_graph *g, lw_thread_order *order, const ledge **edges,
                         size_t k)
{
    memset(w, 0, sizeof *w);
    w->g = g;
    w->order = order;
    w->k = k;
    w->edge = edges;
    w->perm = xreallocarray(NULL, k, sizeof *w->perm);
    size_t *counts = xreallocarray(NULL, k, sizeof *counts);
    for (size_t i = 0; i < k; i++) {
        w->perm[i] = i;
        counts[i] = edges[i]->n;
    }
    qsort_r(w->perm, k, sizeof *w->perm, perm_cmp, counts);
    free(counts);
    w->must_gate = xreallocarray(NULL, k, sizeof *w->must_gate);
    w->suffix = xreallocarray(NULL, k, sizeof *w->suffix);
    w->inter = xreallocarray(NULL, k, sizeof *w->inter);
    memset(w->must_gate, 0, k * sizeof *w->must_gate);
    memset(w->suffix, 0, k * sizeof *w->suffix);
    memset(w->inter, 0, k * sizeof *w->inter);
    w->idx = xreallocarray(NULL, k, sizeof *w->idx);
    w->at = xreallocarray(NULL, k, sizeof *w->at);
    w->chosen = xreallocarray(NULL, k, sizeof *w->chosen);
    wsearch_gate_tables(w);
}

static void wsearch_free(wsearch *w)
{
    for (size_t i = 0; i < w->k; i++) {
        free(w->must_gate[i].v);
        free(w->suffix[i].v);
        free(w->inter[i].v);
    }
    free(w->must_gate);
    free(w->suffix);
    free(w->inter);
    free(w->perm);
    free(w->idx);
    free(w->at);
    free(w->chosen);
}

/* What candidate_ok decided; the REJECT_* values also tell how many candidates to skip. */
enum verdict {
    ACCEPT,
    REJECT,        /* this class only */
    REJECT_THREAD, /* the rest of its run: same thread, try flag and gate count */
    REJECT_REST,   /* every later class of the edge (they are all try-locks) */
};

/*
 * Rule (e): in a cycle the thread of position i waits for locks[i+1], held by the thread of
 * position i+1 (its held entry). Can occurrence `acq` (position i) block on `holder`'s hold
 * (position i+1)? Only readers of a reader-preferring rwlock fail this (lock_rules.h).
 */
static bool blocks_on(const occ *acq, const occ *holder)
{
    return lw_acq_blocks_on_hold(acq->readers_share, acq->to_read ? LW_ACQ_READ : 0,
                                 holder->from_read ? LW_ACQ_READ : 0);
}

/* Rule (e) between c at cycle position pc and o at position po (either order). */
static bool modes_ok(size_t k, size_t pc, const occ *c, size_t po, const occ *o)
{
    if ((pc + 1) % k == po && !blocks_on(c, o))
        return false;
    if ((po + 1) % k == pc && !blocks_on(o, c))
        return false;
    return true;
}

/* Can c be chosen at depth d, given the choices at depths < d? */
static enum verdict candidate_ok(wsearch *w, size_t d, const occ *c)
{
    const rules *r = &w->r;
    if (r->no_try && c->is_try)
        return REJECT_REST;
    if (r->one_thread && c->thread != r->thread)
        return REJECT_THREAD;
    for (size_t j = 0; j < d; j++) {
        const occ *o = w->at[j];
        w->steps++;
        if (r->can_block && !modes_ok(w->k, w->perm[d], c, w->perm[j], o))
            return REJECT;
        if (o->thread == c->thread) {
            if (r->distinct)
                return REJECT_THREAD;
        } else if (r->unordered &&
                   lw_segments_ordered(w->order, o->thread, o->seq, c->thread, c->seq)) {
            return REJECT;
        }
    }
    if (!r->no_gate)
        return ACCEPT;
    u32_vec *in = &w->inter[d];
    in->n = 0;
    if (d == 0) {
        const uint32_t *s = occ_set(w->g, c);
        for (size_t i = 0; i < c->set_n; i++)
            if (is_gate_id(c, s[i]))
                vec_push(in, s[i]);
    } else {
        const u32_vec *prev = &w->inter[d - 1];
        for (size_t i = 0; i < prev->n; i++)
            if (gate_has(w->g, c, prev->v[i]))
                vec_push(in, prev->v[i]);
        w->steps += prev->n;
    }
    /* A gate common so far that every deeper edge must also hold cannot be escaped. */
    return vec_intersects(in, &w->suffix[d]) ? REJECT : ACCEPT;
}

/* Backtracking search under w->r; true with w->chosen filled when a witness exists. */
static bool wsearch_run(wsearch *w, const rules *r, size_t budget)
{
    w->r = *r;
    w->budget = budget;
    w->steps = 0;
    w->exhausted = false;
    size_t d = 0;
    w->idx[0] = 0;
    for (;;) {
        const ledge *e = w->edge[w->perm[d]];
        if (w->idx[d] >= e->n) {
            if (d == 0)
                return false;
            d--;
            continue;
        }
        size_t ci = w->idx[d]++;
        const occ *c = class_occ(w->g, e, ci);
        if (++w->steps > w->budget) {
            w->exhausted = true;
            return false;
        }
        enum verdict v = candidate_ok(w, d, c);
        if (v == REJECT_THREAD)
            w->idx[d] = w->g->classes[e->first + ci].run_end;
        if (v == REJECT_REST)
            w->idx[d] = e->n;
        if (v != ACCEPT)
            continue;
        w->at[d] = c;
        if (d + 1 == w->k) {
            for (size_t j = 0; j < w->k; j++)
                w->chosen[w->perm[j]] = w->at[j];
            return true;
        }
        d++;
        w->idx[d] = 0;
    }
}

/* --- findings ----------------------------------------------------------------------------- */

static void fill_edge(const lo_graph *g, const occ *o, lw_finding_edge *fe)
{
    fe->from_lock = o->from;
    fe->to_lock = o->to;
    fe->thread_id = o->thread;
    fe->seq = o->seq;
    fe->from_stack = o->from_stack;
    fe->to_stack = o->to_stack;
    fe->acq_flags = o->acq_flags;
    fe->gates = gates_copy(g, o, &fe->n_gates);
}

/* Fills f's cycle from the chosen occurrences (one per position). */
static void fill_finding(lw_finding *f, const lo_graph *g, const ledge **edges, const occ **pick,
                         size_t k)
{
    f->kind = LW_KIND_LOCK_ORDER_INVERSION;
    f->proc = g->p;
    f->n_locks = f->n_edges = k;
    f->locks = xreallocarray(NULL, k, sizeof *f->locks);
    f->edges = xreallocarray(NULL, k, sizeof *f->edges);
    f->threads = xreallocarray(NULL, k, sizeof *f->threads);
    for (size_t i = 0; i < k; i++) {
        f->locks[i] = edges[i]->from;
        fill_edge(g, pick[i], &f->edges[i]);
        f->threads[i] = pick[i]->thread;
    }
    /* One cycle found in one process: merging logs (merge.c) counts repeats. How many
     * contexts fed each edge says nothing a reader can act on. */
    f->occurrences = 1;
    qsort(f->threads, k, sizeof *f->threads, u32_cmp);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (m == 0 || f->threads[i] != f->threads[m - 1])
            f->threads[m++] = f->threads[i];
    f->n_threads = m;
}

/* Threads that took every edge of the cycle (candidates for a single-thread cycle). */
static uint32_t *common_threads(const lo_graph *g, const ledge **edges, size_t k, size_t *n)
{
    uint32_t *ts = NULL;
    *n = 0;
    for (size_t p = 0; p < k; p++) {
        const ledge *e = edges[p];
        uint32_t *mine = xreallocarray(NULL, e->n, sizeof *mine);
        for (size_t i = 0; i < e->n; i++)
            mine[i] = class_occ(g, e, i)->thread;
        qsort(mine, e->n, sizeof *mine, u32_cmp);
        size_t m = 0;
        if (p == 0) {
            for (size_t i = 0; i < e->n; i++)
                if (m == 0 || mine[i] != mine[m - 1])
                    mine[m++] = mine[i];
            ts = mine;
        } else {
            for (size_t i = 0; i < *n; i++)
                if (set_has(mine, e->n, ts[i]))
                    ts[m++] = ts[i];
            free(mine);
        }
        *n = m;
        if (m == 0)
            break;
    }
    return ts;
}

/* Reason text for a relaxed witness that breaks only the (d) rule. */
static char *ordered_reason(wsearch *w)
{
    for (size_t i = 0; i < w->k; i++)
        for (size_t j = i + 1; j < w->k; j++) {
            const occ *a = w->chosen[i], *b = w->chosen[j];
            if (a->thread == b->thread)
                continue;
            char *why = lw_thread_order_explain(w->order, a->thread, a->seq, b->thread, b->seq);
            if (!why)
                continue;
            uint32_t x = a->thread < b->thread ? a->thread : b->thread;
            uint32_t y = a->thread < b->thread ? b->thread : a->thread;
            /* A chain with a handoff says so itself ("a semaphore handoff (...)"). */
            const char *by = strstr(why, "semaphore handoff") ? "" : "create/join: ";
            char *s = xasprintf("threads #%u and #%u never run at the same time (ordered by "
                                "%s%s)",
                                x, y, by, why);
            free(why);
            return s;
        }
    return xasprintf("the threads never run at the same time (ordered by create/join)");
}

/* Reason text for a relaxed witness that breaks only rule (e): readers meet on an rwlock. */
static char *readers_reason(const wsearch *w)
{
    for (size_t i = 0; i < w->k; i++)
        if (!blocks_on(w->chosen[i], w->chosen[(i + 1) % w->k]))
            return xasprintf("only readers of reader-preferring rwlock #%u meet in this cycle "
                             "(thread #%u takes it for reading while thread #%u holds it for "
                             "reading; readers never wait for readers)",
                             w->chosen[i]->to, w->chosen[i]->thread,
                             w->chosen[(i + 1) % w->k]->thread);
    return xasprintf("only readers of a reader-preferring rwlock meet in this cycle");
}

/* Reason text for a relaxed witness whose threads are not distinct. */
static char *few_threads_reason(const wsearch *w)
{
    uint32_t *ts = xreallocarray(NULL, w->k, sizeof *ts);
    for (size_t i = 0; i < w->k; i++)
        ts[i] = w->chosen[i]->thread;
    qsort(ts, w->k, sizeof *ts, u32_cmp);
    char *list = xasprintf("#%u", ts[0]);
    size_t n = 1;
    for (size_t i = 1; i < w->k; i++) {
        if (ts[i] == ts[i - 1])
            continue;
        char *more = xasprintf("%s, #%u", list, ts[i]);
        free(list);
        list = more;
        n++;
    }
    char *s = xasprintf("closing this %zu-lock cycle needs %zu threads at once, but only %zu "
                        "thread%s (%s) took its edges in ways that could block",
                        w->k, w->k, n, n == 1 ? "" : "s", list);
    free(list);
    free(ts);
    return s;
}

/* Budget of one search: WITNESS_BUDGET while the process-wide budget lasts, then a floor. */
static size_t budget_of(const size_t *spent)
{
    size_t left = *spent >= PROCESS_BUDGET ? 0 : PROCESS_BUDGET - *spent;
    return left < FLOOR_BUDGET ? FLOOR_BUDGET : left < WITNESS_BUDGET ? left : WITNESS_BUDGET;
}

/* Runs one search, charging its work to *spent. */
static bool run_charged(wsearch *w, const rules *r, size_t budget, size_t *spent)
{
    bool ok = wsearch_run(w, r, budget);
    *spent += w->steps;
    return ok;
}

/*
 * Classifies one cycle and appends its finding. *spent accumulates the search work of the
 * whole process so that thousands of hard cycles still finish (later ones with less budget).
 */
static void classify_cycle(const lo_graph *g, lw_thread_order *order, const ledge **edges, size_t k,
                           lw_findings *out, size_t *spent)
{
    wsearch w;
    wsearch_init(&w, g, order, edges, k);
    lw_finding *f = lw_findings_add(out);
    const occ **reps = xreallocarray(NULL, k, sizeof *reps);
    for (size_t i = 0; i < k; i++)
        reps[i] = class_occ(g, edges[i], 0);

    rules all = {
        .distinct = true, .no_try = true, .no_gate = true, .unordered = true, .can_block = true};
    if (run_charged(&w, &all, budget_of(spent), spent) || w.exhausted) {
        /* Exhausted: nothing proven either way; report rather than risk hiding a deadlock. */
        fill_finding(f, g, edges, w.exhausted ? reps : w.chosen, k);
        goto done;
    }

    /* Single thread: a consistent-looking witness except that one thread took every edge. */
    size_t n_ts;
    uint32_t *ts = common_threads(g, edges, k, &n_ts);
    size_t shared = budget_of(spent);
    for (size_t i = 0; i < n_ts && shared > 0; i++) {
        rules one = {.no_try = true,
                     .no_gate = true,
                     .can_block = true,
                     .one_thread = true,
                     .thread = ts[i]};
        bool ok = run_charged(&w, &one, shared, spent);
        shared = w.steps >= shared ? 0 : shared - w.steps;
        if (ok) {
            fill_finding(f, g, edges, w.chosen, k);
            f->subkind = xasprintf("single-thread");
            free(ts);
            goto done;
        }
    }
    free(ts);

    f->harmless = true;
    /* A lock held around every occurrence of every edge: the clearest possible reason. */
    {
        const u32_vec *first = &w.must_gate[w.perm[0]];
        for (size_t i = 0; i < first->n; i++) {
            if (w.suffix[0].all || set_has(w.suffix[0].v, w.suffix[0].n, first->v[i])) {
                fill_finding(f, g, edges, reps, k);
                f->reason =
                    xasprintf("every edge was taken while holding gate lock #%u", first->v[i]);
                goto done;
            }
        }
    }
    /* An edge only ever taken by try-lock (classes sort blocking ones first). */
    for (size_t i = 0; i < k; i++) {
        if (reps[i]->is_try) {
            fill_finding(f, g, edges, reps, k);
            f->reason = xasprintf("closed only through try-lock acquisitions: #%u -> #%u was "
                                  "only ever taken with a try-lock",
                                  edges[i]->from, edges[i]->to);
            goto done;
        }
    }

    rules no_gate = all, no_try = all, no_order = all, no_distinct = all, no_block = all;
    no_block.can_block = false;
    no_gate.no_gate = false;
    no_try.no_try = false;
    no_order.unordered = false;
    no_distinct.distinct = false;
    if (run_charged(&w, &no_block, budget_of(spent), spent)) {
        fill_finding(f, g, edges, w.chosen, k);
        f->reason = readers_reason(&w);
    } else if (run_charged(&w, &no_gate, budget_of(spent), spent)) {
        fill_finding(f, g, edges, w.chosen, k);
        uint32_t gate = 0;
        for (size_t i = 0; i < f->edges[0].n_gates && gate == 0; i++) {
            uint32_t cand = f->edges[0].gates[i];
            bool everywhere = true;
            for (size_t j = 1; j < k && everywhere; j++)
                everywhere = gate_has(g, w.chosen[j], cand);
            if (everywhere)
                gate = cand;
        }
        f->reason = xasprintf("every combination of edges that could close the cycle holds gate "
                              "lock #%u in common",
                              gate);
    } else if (run_charged(&w, &no_try, budget_of(spent), spent)) {
        fill_finding(f, g, edges, w.chosen, k);
        size_t t = 0;
        while (t + 1 < k && !w.chosen[t]->is_try)
            t++;
        f->reason = xasprintf("closed only through try-lock acquisitions (thread #%u took #%u -> "
                              "#%u with a try-lock)",
                              w.chosen[t]->thread, edges[t]->from, edges[t]->to);
    } else if (run_charged(&w, &no_order, budget_of(spent), spent)) {
        fill_finding(f, g, edges, w.chosen, k);
        f->reason = ordered_reason(&w);
    } else if (run_charged(&w, &no_distinct, budget_of(spent), spent)) {
        fill_finding(f, g, edges, w.chosen, k);
        f->reason = few_threads_reason(&w);
    } else {
        fill_finding(f, g, edges, reps, k);
        f->reason = xasprintf("no combination of the recorded acquisitions can close the cycle: "
                              "gate locks, try-locks and create/join order together exclude "
                              "each one");
    }
done:
    free(reps);
    wsearch_free(&w);
}

/* Appends one finding per elementary cycle (see lock_order.h). */
size_t lw_analyze_lock_order(const lw_process *p, const lw_lock_order_options *opt,
                             lw_findings *out, bool *truncated)
{
    if (truncated)
        *truncated = false;
    if (!p || !out)
        return 0;
    lo_graph g;
    lo_build(&g, p, false);
    size_t n_ids;
    uint32_t *ids = lo_locks(&g, &n_ids);
    lw_digraph dg;
    lo_digraph(&g, ids, n_ids, &dg);

    lw_cycle_limits lim = {.max_cycles = DEFAULT_MAX_CYCLES, .max_steps = CYCLE_MAX_STEPS};
    if (opt && opt->max_cycles)
        lim.max_cycles = opt->max_cycles;
    if (opt)
        lim.max_len = opt->max_cycle_len;
    lw_cycles cy;
    lw_find_cycles(&dg, &lim, &cy);
    if (truncated)
        *truncated = cy.truncated;

    size_t before = out->n;
    lw_thread_order *order = cy.n ? lw_thread_order_build(p) : NULL;
    const ledge **edges = NULL;
    size_t edges_cap = 0, spent = 0;
    /* Only the edges of found cycles need their occurrences grouped into classes. */
    for (size_t i = 0; i < cy.n; i++) {
        size_t k;
        const uint32_t *nodes = lw_cycles_at(&cy, i, &k);
        for (size_t j = 0; j < k; j++) {
            const ledge *e = find_edge(&g, ids[nodes[j]], ids[nodes[(j + 1) % k]]);
            if (e)
                g.edges[e - g.edges].wanted = true;
        }
    }
    if (cy.n)
        lo_classes(&g);
    for (size_t i = 0; i < cy.n; i++) {
        size_t k;
        const uint32_t *nodes = lw_cycles_at(&cy, i, &k);
        if (k > edges_cap) {
            edges_cap = k;
            edges = xreallocarray(edges, edges_cap, sizeof *edges);
        }
        for (size_t j = 0; j < k; j++)
            edges[j] = find_edge(&g, ids[nodes[j]], ids[nodes[(j + 1) % k]]);
        classify_cycle(&g, order, edges, k, out, &spent);
    }
    free(edges);
    lw_thread_order_free(order);
    lw_cycles_free(&cy);
    lw_digraph_free(&dg);
    free(ids);
    lo_free(&g);
    return out->n - before;
}

/* Distinct edges for renderers (see lock_order.h). */
size_t lw_lock_order_edges(const lw_process *p, lw_lock_edges *out)
{
    memset(out, 0, sizeof *out);
    if (!p)
        return 0;
    lo_graph g;
    lo_build(&g, p, true);
    size_t n_ids;
    uint32_t *ids = lo_locks(&g, &n_ids);
    lw_digraph dg;
    lo_digraph(&g, ids, n_ids, &dg);
    uint32_t *comp = xreallocarray(NULL, n_ids, sizeof *comp);
    lw_digraph_scc(&dg, comp);

    out->items = xreallocarray(NULL, g.n_edges, sizeof *out->items);
    out->n = g.n_edges;
    for (size_t i = 0; i < g.n_edges; i++) {
        const ledge *e = &g.edges[i];
        lw_lock_edge *le = &out->items[i];
        memset(le, 0, sizeof *le);
        le->from_lock = e->from;
        le->to_lock = e->to;
        le->occurrences = e->n_occ;
        le->only_try = e->best.is_try; /* blocking acquisitions sort first */
        le->in_cycle = comp[node_index(ids, n_ids, e->from)] == comp[node_index(ids, n_ids, e->to)];
        le->n_threads = e->n_threads;
        fill_edge(&g, &e->best, &le->example);
    }
    free(comp);
    lw_digraph_free(&dg);
    free(ids);
    lo_free(&g);
    return out->n;
}

/* Frees what lw_lock_order_edges filled. */
void lw_lock_edges_free(lw_lock_edges *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        free(e->items[i].example.gates);
    free(e->items);
    memset(e, 0, sizeof *e);
}
