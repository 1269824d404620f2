/*
 * Create/join order between thread segments (see thread_order.h for the rules).
 *
 * A query "does (T1, s1) precede (T2, s2)?" walks backward from (T2, s2): a state (X, v)
 * means "segments 0..v of X all precede the target". From it, X's creator P contributes
 * (P, parent_seq), and every join X made that ended at or before segment v contributes
 * (joinee, all segments). The walk keeps, per thread, the largest v reached; the answer is
 * best[T1] >= s1. Each thread's parent and joins are expanded once per query (joins sorted
 * by position), so a query costs O(threads + joins it can reach). Answers are memoized per
 * (T1, T2, s2) because the lock-order witness search asks the same questions many times.
 *
 * Thread ids come from an untrusted log: unknown ids, self-parents, parent loops and
 * self-joins must not crash or loop; the "largest v" rule guarantees termination because v
 * only grows and takes finitely many values.
 */
#include "thread_order.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#define NONE UINT32_MAX
#define SEQ_ALL UINT32_MAX  /* "every segment": a joined thread has ended */
#define MEMO_MAX (1u << 20) /* cached answers kept before the cache is dropped */

typedef struct tnode {
    uint32_t id;
    uint32_t parent; /* node index of the creator, or NONE */
    uint32_t parent_seq;
    size_t joins_first, joins_n; /* this thread's joins, in o->joins, sorted by `at` */
} tnode;

/* A join, or a sync record used like one: joinee's segments 0..upto precede joiner's `at`. */
typedef struct tjoin {
    uint32_t joiner; /* node index */
    uint32_t at;     /* first joiner segment after the join: joiner_seq + 1 */
    uint32_t joinee; /* node index */
    uint32_t upto;   /* SEQ_ALL for a join (the joinee ended); from_seq for a sync */
    uint32_t lock;   /* a sync's semaphore (for the explanation); 0 for a join */
} tjoin;

enum via { VIA_START, VIA_CREATED, VIA_JOINED, VIA_SYNC };

/* One improvement found by a walk: thread reached with value, and from which record. */
typedef struct walk_rec {
    uint32_t node, value;
    uint32_t from; /* record index, or NONE for the start */
    enum via
        via; /* VIA_CREATED: node created from's thread; VIA_JOINED: from's thread joined node */
    uint32_t lock; /* VIA_SYNC: the semaphore node posted and from's thread waited for */
} walk_rec;

typedef struct memo_key {
    uint32_t earlier, later, later_seq;
} memo_key;

typedef struct memo {
    memo_key key;
    bool reached;  /* the walk from (later, later_seq) reached earlier... */
    uint32_t best; /* ...with this largest segment */
    UT_hash_handle hh;
} memo;

struct lw_thread_order {
    tnode *nodes; /* sorted by id */
    size_t n;
    tjoin *joins;
    size_t n_joins;
    /* walk scratch, valid for node x when stamp_of[x] == stamp */
    uint32_t *stamp_of, stamp;
    uint32_t *best, *best_rec, *joins_done;
    bool *parent_done;
    walk_rec *recs;
    size_t n_recs, cap_recs;
    uint32_t *queue;
    size_t cap_queue;
    memo *memo;
    size_t n_memo;
};

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int join_cmp(const void *a, const void *b)
{
    const tjoin *x = a, *y = b;
    if (x->joiner != y->joiner)
        return x->joiner < y->joiner ? -1 : 1;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->joinee != y->joinee)
        return x->joinee < y->joinee ? -1 : 1;
    return u32_cmp(&x->upto, &y->upto);
}

/* Node index of thread id, or NONE. */
static uint32_t node_of(const lw_thread_order *o, uint32_t id)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->nodes[mid].id == id)
            return (uint32_t)mid;
        if (o->nodes[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NONE;
}

/* Builds the index (see thread_order.h). */
lw_thread_order *lw_thread_order_build(const lw_process *p)
{
    lw_thread_order *o = xreallocarray(NULL, 1, sizeof *o);
    memset(o, 0, sizeof *o);

    size_t n_ids = p->n_threads * 2 + p->n_joins * 2 + p->n_syncs * 2;
    uint32_t *ids = xreallocarray(NULL, n_ids, sizeof *ids);
    size_t k = 0;
    for (size_t i = 0; i < p->n_threads; i++) {
        ids[k++] = p->threads[i].id;
        if (p->threads[i].parent_id != 0)
            ids[k++] = p->threads[i].parent_id;
    }
    for (size_t i = 0; i < p->n_joins; i++) {
        ids[k++] = p->joins[i].joiner_id;
        ids[k++] = p->joins[i].joinee_id;
    }
    for (size_t i = 0; p->syncs && i < p->n_syncs; i++) {
        ids[k++] = p->syncs[i].from_thread;
        ids[k++] = p->syncs[i].to_thread;
    }
    qsort(ids, k, sizeof *ids, u32_cmp);
    o->nodes = xreallocarray(NULL, k, sizeof *o->nodes);
    for (size_t i = 0; i < k; i++) {
        if (o->n > 0 && o->nodes[o->n - 1].id == ids[i])
            continue;
        o->nodes[o->n++] = (tnode){.id = ids[i], .parent = NONE};
    }
    free(ids);

    for (size_t i = 0; i < p->n_threads; i++) {
        const lw_thread *t = &p->threads[i];
        uint32_t x = node_of(o, t->id);
        uint32_t par = t->parent_id ? node_of(o, t->parent_id) : NONE;
        if (par == x)
            par = NONE; /* a damaged log; a thread cannot create itself */
        o->nodes[x].parent = par;
        o->nodes[x].parent_seq = t->parent_seq;
    }

    o->joins = xreallocarray(NULL, p->n_joins + p->n_syncs, sizeof *o->joins);
    for (size_t i = 0; i < p->n_joins; i++) {
        const lw_join *j = &p->joins[i];
        if (j->joiner_id == j->joinee_id)
            continue;
        uint32_t at = j->joiner_seq == UINT32_MAX ? UINT32_MAX : j->joiner_seq + 1;
        o->joins[o->n_joins++] =
            (tjoin){node_of(o, j->joiner_id), at, node_of(o, j->joinee_id), SEQ_ALL, 0};
    }
    for (size_t i = 0; p->syncs && i < p->n_syncs; i++) {
        const lw_sync *y = &p->syncs[i];
        if (y->from_thread == y->to_thread || y->from_thread == 0 || y->to_thread == 0)
            continue;
        /* A lock-like semaphore's post -> wait is one thread releasing a lock and another
         * taking it: that orders nothing a deadlock needs to care about, so it is ignored. */
        if (lw_process_lock_like(p, y->lock_id))
            continue;
        uint32_t at = y->to_seq == UINT32_MAX ? UINT32_MAX : y->to_seq + 1;
        /* from_seq is capped below SEQ_ALL: a sync never claims the poster's whole life. */
        uint32_t upto = y->from_seq == SEQ_ALL ? SEQ_ALL - 1 : y->from_seq;
        o->joins[o->n_joins++] =
            (tjoin){node_of(o, y->to_thread), at, node_of(o, y->from_thread), upto, y->lock_id};
    }
    qsort(o->joins, o->n_joins, sizeof *o->joins, join_cmp);
    for (size_t i = 0; i < o->n_joins; i++) {
        tnode *t = &o->nodes[o->joins[i].joiner];
        if (t->joins_n == 0)
            t->joins_first = i;
        t->joins_n++;
    }

    size_t n = o->n ? o->n : 1;
    o->stamp_of = xreallocarray(NULL, n, sizeof *o->stamp_of);
    memset(o->stamp_of, 0, n * sizeof *o->stamp_of);
    o->best = xreallocarray(NULL, n, sizeof *o->best);
    o->best_rec = xreallocarray(NULL, n, sizeof *o->best_rec);
    o->joins_done = xreallocarray(NULL, n, sizeof *o->joins_done);
    o->parent_done = xreallocarray(NULL, n, sizeof *o->parent_done);
    return o;
}

static void memo_clear(lw_thread_order *o)
{
    memo *m, *tmp;
    HASH_ITER(hh, o->memo, m, tmp)
    {
        HASH_DEL(o->memo, m);
        free(m);
    }
    o->n_memo = 0;
}

/* Frees o. */
void lw_thread_order_free(lw_thread_order *o)
{
    if (!o)
        return;
    memo_clear(o);
    free(o->nodes);
    free(o->joins);
    free(o->stamp_of);
    free(o->best);
    free(o->best_rec);
    free(o->joins_done);
    free(o->parent_done);
    free(o->recs);
    free(o->queue);
    free(o);
}

/* Records that node x precedes the target up to segment v (if that is news) and queues it. */
static void reach(lw_thread_order *o, uint32_t x, uint32_t v, uint32_t from, enum via via,
                  uint32_t lock, size_t *qn)
{
    if (o->stamp_of[x] != o->stamp) { /* first time this walk reaches x */
        o->stamp_of[x] = o->stamp;
        o->joins_done[x] = 0;
        o->parent_done[x] = false;
    } else if (o->best[x] >= v) {
        return;
    }
    if (o->n_recs == o->cap_recs) {
        o->cap_recs = o->cap_recs ? o->cap_recs * 2 : 64;
        o->recs = xreallocarray(o->recs, o->cap_recs, sizeof *o->recs);
    }
    o->recs[o->n_recs] = (walk_rec){x, v, from, via, lock};
    o->best[x] = v;
    o->best_rec[x] = (uint32_t)o->n_recs;
    if (*qn == o->cap_queue) {
        o->cap_queue = o->cap_queue ? o->cap_queue * 2 : 64;
        o->queue = xreallocarray(o->queue, o->cap_queue, sizeof *o->queue);
    }
    o->queue[(*qn)++] = (uint32_t)o->n_recs;
    o->n_recs++;
}

/* Walks backward from (target node, seq); afterwards x was reached iff stamp_of[x] == stamp. */
static void walk(lw_thread_order *o, uint32_t target, uint32_t seq)
{
    if (++o->stamp == 0) { /* wrapped: clear so old stamps cannot match */
        memset(o->stamp_of, 0, o->n * sizeof *o->stamp_of);
        o->stamp = 1;
    }
    o->n_recs = 0;
    size_t qn = 0;
    reach(o, target, seq, NONE, VIA_START, 0, &qn);
    while (qn > 0) {
        uint32_t r = o->queue[--qn];
        walk_rec rec = o->recs[r];
        uint32_t x = rec.node;
        if (o->best_rec[x] != r)
            continue; /* superseded by a larger value */
        const tnode *t = &o->nodes[x];
        if (!o->parent_done[x] && t->parent != NONE) {
            o->parent_done[x] = true;
            reach(o, t->parent, t->parent_seq, r, VIA_CREATED, 0, &qn);
        }
        while (o->joins_done[x] < t->joins_n) {
            const tjoin *j = &o->joins[t->joins_first + o->joins_done[x]];
            if (j->at > rec.value)
                break;
            o->joins_done[x]++;
            reach(o, j->joinee, j->upto, r, j->upto == SEQ_ALL ? VIA_JOINED : VIA_SYNC, j->lock,
                  &qn);
        }
    }
}

/* (t1, s1) wholly before (t2, s2)? */
bool lw_segment_precedes(lw_thread_order *o, uint32_t t1, uint32_t s1, uint32_t t2, uint32_t s2)
{
    if (!o)
        return false;
    if (t1 == t2)
        return s1 < s2;
    uint32_t a = node_of(o, t1), b = node_of(o, t2);
    if (a == NONE || b == NONE)
        return false;
    memo_key key = {a, b, s2};
    memo *m;
    HASH_FIND(hh, o->memo, &key, sizeof key, m);
    if (!m) {
        walk(o, b, s2);
        if (o->n_memo >= MEMO_MAX)
            memo_clear(o);
        m = xreallocarray(NULL, 1, sizeof *m);
        memset(m, 0, sizeof *m); /* the key is hashed as bytes: no stray padding */
        m->key = key;
        m->reached = o->stamp_of[a] == o->stamp;
        m->best = m->reached ? o->best[a] : 0;
        HASH_ADD(hh, o->memo, key, sizeof key, m);
        o->n_memo++;
    }
    return m->reached && m->best >= s1;
}

/* Either segment wholly before the other? */
bool lw_segments_ordered(lw_thread_order *o, uint32_t t1, uint32_t s1, uint32_t t2, uint32_t s2)
{
    if (t1 == t2)
        return s1 != s2;
    return lw_segment_precedes(o, t1, s1, t2, s2) || lw_segment_precedes(o, t2, s2, t1, s1);
}

typedef struct strbuf {
    char *s;
    size_t n, cap;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return;
        if (b->s && b->n + (size_t)w < b->cap) {
            b->n += (size_t)w;
            return;
        }
        b->cap = (b->cap + (size_t)w + 1) * 2;
        b->s = xreallocarray(b->s, b->cap, 1);
        if (b->n == 0)
            b->s[0] = '\0';
    }
}

/* Explains (t1, s1) before (t2, s2) from a walk, or returns NULL if it does not hold. */
static char *explain_one(lw_thread_order *o, uint32_t t1, uint32_t s1, uint32_t t2, uint32_t s2)
{
    uint32_t a = node_of(o, t1), b = node_of(o, t2);
    if (a == NONE || b == NONE)
        return NULL;
    walk(o, b, s2);
    if (o->stamp_of[a] != o->stamp || o->best[a] < s1)
        return NULL;
    strbuf sb = {0};
    /* Records point from the earlier thread back toward the target: forward in time. */
    for (uint32_t r = o->best_rec[a]; o->recs[r].from != NONE; r = o->recs[r].from) {
        const walk_rec *rec = &o->recs[r];
        uint32_t x = o->nodes[rec->node].id, y = o->nodes[o->recs[rec->from].node].id;
        if (sb.n > 0)
            sb_printf(&sb, " before ");
        if (rec->via == VIA_CREATED)
            sb_printf(&sb, "thread #%u created thread #%u", x, y);
        else if (rec->via == VIA_SYNC)
            sb_printf(&sb,
                      "a semaphore handoff (semaphore #%u posted by thread #%u, waited for by "
                      "thread #%u)",
                      rec->lock, x, y);
        else
            sb_printf(&sb, "thread #%u was joined by thread #%u", x, y);
    }
    return sb.s;
}

/* Words for why the segments are ordered (see thread_order.h). */
char *lw_thread_order_explain(lw_thread_order *o, uint32_t t1, uint32_t s1, uint32_t t2,
                              uint32_t s2)
{
    if (!o)
        return NULL;
    if (t1 == t2) {
        if (s1 == s2)
            return NULL;
        strbuf sb = {0};
        sb_printf(&sb, "both are in thread #%u, one after the other", t1);
        return sb.s;
    }
    char *s = explain_one(o, t1, s1, t2, s2);
    return s ? s : explain_one(o, t2, s2, t1, s1);
}
