/*
 * Turns lockwatch logs into the analyzer's model (log_reader.h). The byte-level walk and its
 * bounds checks live in log_iter.c; this file only decodes well-formed records into model
 * elements, notes the first damage, and resolves the records that refer to a thread defined
 * elsewhere (exit, name), since chunks of different threads appear in the file in no time order.
 */
#include "log_reader.h"
#include "wait_cycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "log_iter.h"
#include "naming.h"
#include "xalloc.h"

/*
 * State of one read: the capacities of the process's growing arrays, and the records that update
 * a thread (exit, name), held back until every thread start has been read.
 */
typedef struct reader {
    lw_process *p;
    size_t cap_modules, cap_stacks, cap_threads, cap_joins, cap_locks, cap_contexts;
    size_t cap_deadlocks;
    size_t cap_wait_states;
    size_t cap_misuses, cap_syncs, cap_lock_like, cap_fork_held;
    uint32_t *sem_signal; /* SEM_SIGNAL records' semaphores, until resolve_sem_roles */
    size_t n_sem_signal, cap_sem_signal;
    size_t cap_tls_accesses;
    size_t cap_races;
    struct lw_rec_thread_exit *exits;
    size_t n_exits, cap_exits;
    struct lw_rec_thread_name *names;
    size_t n_names, cap_names;
    /* Open-addressing set of the distinct contexts read since ctx_first, so that identical
     * CONTEXT records collapse into one lw_context with a count: memory then grows with
     * distinct contexts, not with records. Power-of-two size, linear probing, at most 3/4
     * full, and at most CTX_SET_MAX_SLOTS (512 KiB): a set bigger than the caches costs a
     * memory miss per record (measured: 300 ns a record with 10 M distinct contexts, 2.6x
     * slower overall), so a full set is emptied and starts over instead. Repeats are then
     * only merged within about 49,000 distinct contexts of each other; the recorder writes
     * each context once per segment, so repeats, when a log has them, are close together. A
     * context seen again after a reset is kept twice, which changes counts, never results:
     * analyses group equal contexts. */
    struct ctx_slot *ctx_slots;
    size_t ctx_mask;  /* slots - 1; 0 with no table yet */
    size_t ctx_first; /* contexts[ctx_first ..] are in the set */
    /* Records merged into a context of the set since it was last emptied, and how many records
     * still to keep as they come without probing the set (see ctx_grow): in a log of distinct
     * contexts the probe, a cache miss that finds nothing, is a quarter of the read. */
    size_t ctx_hits;
    size_t ctx_skip;
    /* The context budget (lw_read_options): what the kept contexts use (array capacity plus
     * held lists, in bytes), and whether the budget was exceeded, after which no context is
     * kept. SIZE_MAX for an in-memory log, which cannot be read again. */
    size_t ctx_budget;
    size_t ctx_bytes;
    bool ctx_dropped;
    /* For reading the contexts again (struct lw_ctx_source): each walk step that had CONTEXT
     * records, and how many CONTEXT records the read saw. step_ctx_end is the file offset past
     * the current step's last CONTEXT record (0: none yet). Only a file read records steps. */
    bool track_steps;
    struct ctx_step *steps;
    size_t n_steps, cap_steps;
    size_t step_ctx_end;
    uint64_t n_ctx_records;
} reader;

/*
 * Where a read found CONTEXT records: the walk step (chunk) at file offset off, whose CONTEXT
 * records all end by off + len. Reading [off, off + len) again gives exactly those records and
 * any others before them, but none a live recorder appended to the chunk since.
 */
struct ctx_step {
    uint64_t off;
    uint32_t len;
};

/*
 * What it takes to read a log's contexts again (lw_process_each_context): the still open file
 * (not its path: a file renamed or replaced since cannot mislead us), the length the read saw,
 * the header fields the walk depends on, and the steps with CONTEXT records.
 */
struct lw_ctx_source {
    int fd;
    size_t fsize;
    uint32_t header_size, chunk_size;
    struct ctx_step *steps;
    size_t n_steps;
    uint64_t n_records;
    bool warned; /* a walk found the file changed and said so: once per log is enough */
};

#define CTX_SET_MAX_SLOTS ((size_t)1 << 16)
/* A full set that merged fewer than 1 record in CTX_SKIP_RATIO stops the probing for
 * CTX_SKIP_FACTOR times as many records as it saw. */
#define CTX_SKIP_RATIO 8
#define CTX_SKIP_FACTOR 7

/* One slot of the context set: idx is 1 + the position in p->contexts (0: empty); tag is the
 * top half of the context's hash, to skip most unequal contexts without touching them. */
struct ctx_slot {
    uint32_t idx, tag;
};

/* Makes room for one more element in a growing array; returns the new element, zeroed. */
static void *push(void *arrp, size_t *n, size_t *cap, size_t elem)
{
    void **arr = arrp;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *arr = xrealloc(*arr, *cap * elem);
    }
    void *e = (char *)*arr + (*n)++ * elem;
    memset(e, 0, elem);
    return e;
}

static void read_process(reader *r, const lw_iter_item *it)
{
    struct lw_rec_process rec;
    lw_record_copy(it, &rec, sizeof rec);
    if (r->p->exe)
        return; /* keep the first */
    r->p->exe = xstrndup((const char *)it->data + sizeof rec, rec.exe_len);
    if (!r->p->pid)
        r->p->pid = rec.pid;
    if (!r->p->ppid)
        r->p->ppid = rec.ppid;
}

static void read_module(reader *r, const lw_iter_item *it)
{
    struct lw_rec_module rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    lw_module *m = push(&p->modules, &p->n_modules, &r->cap_modules, sizeof *m);
    m->id = rec.module_id;
    m->base = rec.base;
    m->lo = rec.lo;
    m->hi = rec.hi;
    const uint8_t *bid = it->data + sizeof rec;
    /* A build-id longer than the model holds is dropped rather than cut: a cut id would make
     * the symbolizer compare the wrong bytes. */
    if (rec.build_id_len <= sizeof m->build_id) {
        memcpy(m->build_id, bid, rec.build_id_len);
        m->build_id_len = rec.build_id_len;
    }
    m->path = xstrndup((const char *)bid + rec.build_id_len, rec.path_len);
}

static void read_stack(reader *r, const lw_iter_item *it)
{
    struct lw_rec_stack rec;
    lw_record_copy(it, &rec, sizeof rec);
    if (rec.stack_id == 0)
        return; /* 0 means "no stack" everywhere else */
    lw_process *p = r->p;
    lw_stack *s = push(&p->stacks, &p->n_stacks, &r->cap_stacks, sizeof *s);
    s->id = rec.stack_id;
    s->flags = it->flags;
    s->nframes = rec.nframes;
    if (rec.nframes) {
        /* lw_record_check_body proved nframes * 8 fits in the record. */
        s->frames = xrealloc(NULL, (size_t)rec.nframes * sizeof *s->frames);
        memcpy(s->frames, it->data + sizeof rec, (size_t)rec.nframes * sizeof *s->frames);
    }
}

static void read_thread_start(reader *r, const lw_iter_item *it)
{
    struct lw_rec_thread_start rec;
    lw_record_copy(it, &rec, sizeof rec);
    if (rec.thread_id == 0)
        return;
    lw_process *p = r->p;
    lw_thread *t = push(&p->threads, &p->n_threads, &r->cap_threads, sizeof *t);
    t->id = rec.thread_id;
    t->parent_id = rec.parent_id;
    t->parent_seq = rec.parent_seq;
    t->create_stack = rec.create_stack;
    t->os_tid = rec.os_tid;
    t->start_ns = rec.monotonic_ns;
}

static void read_join(reader *r, const lw_iter_item *it)
{
    struct lw_rec_thread_join rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    lw_join *j = push(&p->joins, &p->n_joins, &r->cap_joins, sizeof *j);
    j->joiner_id = rec.joiner_id;
    j->joiner_seq = rec.joiner_seq;
    j->joinee_id = rec.joinee_id;
    j->stack_id = rec.stack_id;
}

static void read_lock(reader *r, const lw_iter_item *it)
{
    struct lw_rec_lock rec;
    lw_record_copy(it, &rec, sizeof rec);
    if (rec.lock_id == 0)
        return;
    lw_process *p = r->p;
    lw_lock *l = push(&p->locks, &p->n_locks, &r->cap_locks, sizeof *l);
    l->id = rec.lock_id;
    l->kind = rec.kind;
    l->flags = rec.flags;
    l->init_stack = rec.init_stack;
    l->address = rec.address;
    l->class_pc = rec.class_pc;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

/* Hash of everything that makes two contexts identical (the count excluded). */
static uint64_t context_hash(const lw_context *c)
{
    uint64_t h = mix(0, ((uint64_t)c->thread_id << 32) | c->seq);
    h = mix(h, ((uint64_t)c->lock_id << 32) | c->acq_flags);
    h = mix(h, ((uint64_t)c->stack_id << 32) | c->flags);
    h = mix(h, c->n_held);
    for (uint32_t i = 0; i < c->n_held; i++) {
        h = mix(h, ((uint64_t)c->held[i].lock_id << 32) | c->held[i].stack_id);
        h = mix(h, c->held[i].flags);
    }
    /* Final avalanche (murmur3's fmix64): the table indexes by the low bits, which the
     * multiplications alone fill poorly. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static bool context_equal(const lw_context *a, const lw_context *b)
{
    /* lw_held is three uint32_t, no padding: memcmp compares exactly its fields. */
    return a->thread_id == b->thread_id && a->seq == b->seq && a->lock_id == b->lock_id &&
           a->acq_flags == b->acq_flags && a->stack_id == b->stack_id && a->flags == b->flags &&
           a->n_held == b->n_held &&
           (a->n_held == 0 || memcmp(a->held, b->held, a->n_held * sizeof *a->held) == 0);
}

/* Slot of the context set where c is, or the empty slot where it would go. */
static struct ctx_slot *ctx_find(reader *r, const lw_context *c, uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & r->ctx_mask;; i = (i + 1) & r->ctx_mask) {
        struct ctx_slot *s = &r->ctx_slots[i];
        if (s->idx == 0)
            return s;
        if (s->tag == tag && context_equal(&r->p->contexts[s->idx - 1], c))
            return s;
    }
}

/* Doubles the context set (or makes the first one) and re-inserts its contexts; at the size
 * limit, empties it instead. */
static void ctx_grow(reader *r)
{
    if (r->ctx_mask + 1 >= CTX_SET_MAX_SLOTS) {
        /* Few repeats among the last records (a recorder writes a context once per segment,
         * so a log of many segments has none): keep the next records unprobed, a bounded
         * number of them. Merging only saves memory, analyses group equal contexts anyway;
         * what this can cost is at most CTX_SKIP_FACTOR times the contexts the set held, kept
         * twice, before the next full set looks again. */
        size_t distinct = r->p->n_contexts - r->ctx_first;
        if (r->ctx_hits * CTX_SKIP_RATIO < distinct)
            r->ctx_skip = (distinct + r->ctx_hits) * CTX_SKIP_FACTOR;
        r->ctx_hits = 0;
        memset(r->ctx_slots, 0, (r->ctx_mask + 1) * sizeof *r->ctx_slots);
        r->ctx_first = r->p->n_contexts;
        return;
    }
    size_t n = r->ctx_mask ? 2 * (r->ctx_mask + 1) : 1024;
    free(r->ctx_slots);
    r->ctx_slots = xcalloc(n, sizeof *r->ctx_slots);
    r->ctx_mask = n - 1;
    for (size_t i = r->ctx_first; i < r->p->n_contexts; i++) {
        const lw_context *c = &r->p->contexts[i];
        uint64_t h = context_hash(c);
        struct ctx_slot *s = ctx_find(r, c, h);
        *s = (struct ctx_slot){(uint32_t)i + 1, (uint32_t)(h >> 32)};
    }
}

/* push() for the context array. */
static void *push_contexts(reader *r)
{
    lw_process *p = r->p;
    return push(&p->contexts, &p->n_contexts, &r->cap_contexts, sizeof *p->contexts);
}

_Static_assert(_Alignof(lw_held) <= 4, "held lists come from lw_arena_alloc_u32");

/* Drops every kept context: the read went over its budget (see lw_read_options). */
static void drop_contexts(reader *r)
{
    lw_process *p = r->p;
    lw_arena_free(p->held_arena);
    p->held_arena = NULL;
    free(p->contexts);
    p->contexts = NULL;
    p->n_contexts = 0;
    r->cap_contexts = 0;
    free(r->ctx_slots);
    r->ctx_slots = NULL;
    r->ctx_mask = r->ctx_first = r->ctx_hits = r->ctx_skip = 0;
    r->ctx_bytes = 0;
    r->ctx_dropped = true;
}

/* Would keeping one more context with held_bytes of held entries go over the budget? */
static bool over_budget(const reader *r, size_t held_bytes)
{
    if (r->ctx_budget == SIZE_MAX)
        return false;
    /* The array's next capacity, as push() would grow it: a doubling counts in full. */
    size_t cap = r->cap_contexts;
    if (r->p->n_contexts == cap)
        cap = cap ? cap * 2 : 16;
    size_t need = cap * sizeof(lw_context) + r->ctx_bytes + held_bytes;
    return need > r->ctx_budget;
}

/* The context a CONTEXT record describes, with held (its n_held entries) as its held list. */
static lw_context context_of_record(const struct lw_rec_context *rec, uint8_t flags, lw_held *held)
{
    return (lw_context){
        .thread_id = rec->thread_id,
        .seq = rec->seq,
        .lock_id = rec->lock_id,
        .acq_flags = rec->acq_flags,
        .stack_id = rec->stack_id,
        .flags = flags,
        .n_held = rec->n_held,
        .count = 1,
        .held = rec->n_held ? held : NULL,
    };
}

/* Decodes the n held entries that follow a CONTEXT record's fixed part at src into out. The
 * caller has checked the body (lw_record_check_body proves n entries fit in the record). */
static void decode_held(const uint8_t *src, uint32_t n, lw_held *out)
{
    for (uint32_t i = 0; i < n; i++) {
        struct lw_held_entry e;
        memcpy(&e, src + (size_t)i * sizeof e, sizeof e);
        out[i] = (lw_held){e.lock_id, e.stack_id, e.flags};
    }
}

static void read_context(reader *r, const lw_iter_item *it)
{
    r->n_ctx_records++;
    if (r->track_steps)
        r->step_ctx_end = it->offset + it->size;
    if (r->ctx_dropped)
        return; /* read again when needed (lw_process_each_context) */
    struct lw_rec_context rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    if (!p->held_arena)
        p->held_arena = lw_arena_new();
    lw_context c = context_of_record(&rec, it->flags, NULL);
    /* Decoded straight into the arena; given back below if the context is a repeat. */
    size_t held_bytes = (size_t)rec.n_held * sizeof *c.held;
    /* Checked before the repeat test: a repeat costs nothing, but finding out needs the held
     * list decoded, and a log this large is read again anyway. */
    if (over_budget(r, held_bytes)) {
        drop_contexts(r);
        return;
    }
    if (rec.n_held) {
        c.held = lw_arena_alloc_u32(p->held_arena, held_bytes);
        decode_held(it->data + sizeof rec, rec.n_held, c.held);
    }
    /* Slot indices are 32-bit; past that (a log no recorder writes) contexts are kept as they
     * come, which is still correct, only larger. */
    r->ctx_bytes += held_bytes; /* given back below if the context is a repeat */
    if (p->n_contexts >= UINT32_MAX - 1) {
        *(lw_context *)push_contexts(r) = c;
        return;
    }
    if (!r->ctx_skip &&
        (r->ctx_mask == 0 || (p->n_contexts - r->ctx_first + 1) * 4 > (r->ctx_mask + 1) * 3))
        ctx_grow(r); /* may start an unprobed stretch, with this record */
    if (r->ctx_skip) {
        *(lw_context *)push_contexts(r) = c;
        if (--r->ctx_skip == 0)
            r->ctx_first = p->n_contexts; /* the set, emptied, holds none of these */
        return;
    }
    uint64_t h = context_hash(&c);
    struct ctx_slot *s = ctx_find(r, &c, h);
    if (s->idx) {
        lw_context *old = &p->contexts[s->idx - 1];
        if (old->count < UINT32_MAX)
            old->count++;
        r->ctx_hits++;
        r->ctx_bytes -= held_bytes;
        if (rec.n_held)
            lw_arena_undo(p->held_arena, held_bytes);
        return;
    }
    *(lw_context *)push_contexts(r) = c;
    *s = (struct ctx_slot){(uint32_t)p->n_contexts, (uint32_t)(h >> 32)};
}

static void read_deadlock(reader *r, const lw_iter_item *it)
{
    struct lw_rec_deadlock rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    lw_deadlock *d = push(&p->deadlocks, &p->n_deadlocks, &r->cap_deadlocks, sizeof *d);
    d->detector = rec.detector;
    d->monotonic_ns = rec.monotonic_ns;
    d->n_waits = rec.n_threads;
    if (!rec.n_threads)
        return;
    /* lw_record_check_body proved n_threads entries fit in the record. */
    d->waits = xrealloc(NULL, (size_t)rec.n_threads * sizeof *d->waits);
    const uint8_t *src = it->data + sizeof rec;
    for (uint32_t i = 0; i < rec.n_threads; i++) {
        struct lw_deadlock_entry e;
        memcpy(&e, src + (size_t)i * sizeof e, sizeof e);
        lw_deadlock_wait *w = &d->waits[i];
        memset(w, 0, sizeof *w);
        w->thread_id = e.thread_id;
        w->wait_kind = e.wait_kind;
        w->lock_id = e.lock_id;
        w->target_thread = e.target_thread;
        w->stack_id = e.stack_id;
        w->n_held = e.n_held;
        w->n_listed = e.n_held < LW_DEADLOCK_MAX_HELD ? e.n_held : LW_DEADLOCK_MAX_HELD;
        memcpy(w->held, e.held, w->n_listed * sizeof w->held[0]);
        w->wait_addr = e.wait_addr;
        w->wait_ns = e.wait_ns;
    }
}

/* Keeps the last stable wait state of each thread (the record is rewritten in place; an odd
 * version was caught mid-update and is not trusted). */
static void read_wait_state(reader *r, const lw_iter_item *it)
{
    struct lw_rec_wait_state rec;
    lw_record_copy(it, &rec, sizeof rec);
    if ((rec.version & 1) || rec.thread_id == 0)
        return;
    lw_process *p = r->p;
    lw_wait_state *w = NULL;
    for (size_t i = 0; i < p->n_wait_states && !w; i++)
        if (p->wait_states[i].thread_id == rec.thread_id)
            w = &p->wait_states[i];
    if (!w)
        w = push(&p->wait_states, &p->n_wait_states, &r->cap_wait_states, sizeof *w);
    w->thread_id = rec.thread_id;
    w->wait_kind = rec.wait_kind;
    w->lock_id = rec.lock_id;
    w->target_thread = rec.target_thread;
    w->timed = rec.timed != 0;
    w->wait_addr = rec.wait_addr;
    w->owner_tid = rec.owner_tid;
    w->since_ns = rec.since_ns;
    w->call_pc = rec.call_pc;
}

static void read_misuse(reader *r, const lw_iter_item *it)
{
    struct lw_rec_misuse rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    lw_misuse_rec *m = push(&p->misuses, &p->n_misuses, &r->cap_misuses, sizeof *m);
    m->misuse = rec.misuse;
    m->thread_id = rec.thread_id;
    m->lock_id = rec.lock_id;
    m->stack_id = rec.stack_id;
    m->other_thread = rec.other_thread;
    m->other_lock_id = rec.other_lock_id;
    m->lock_kind = rec.lock_kind;
    m->address = rec.address;
    m->other_address = rec.other_address;
}

static void read_sync(reader *r, const lw_iter_item *it)
{
    struct lw_rec_sync rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    lw_sync *y = push(&p->syncs, &p->n_syncs, &r->cap_syncs, sizeof *y);
    *y = (lw_sync){rec.kind,   rec.from_thread, rec.from_seq, rec.to_thread,
                   rec.to_seq, rec.lock_id,     rec.object};
}

static void read_race(reader *r, const lw_iter_item *it)
{
    struct lw_rec_race rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    lw_race_rec *x = push(&p->races, &p->n_races, &r->cap_races, sizeof *x);
    x->predictive = (it->flags & LW_RACE_PREDICTIVE) != 0;
    x->address = rec.address;
    x->size = rec.size;
    x->cur = rec.cur;
    x->prev = rec.prev; /* n_locks may exceed LW_RACE_MAX_LOCKS: only that many are listed */
}

static void read_tls_access(reader *r, const lw_iter_item *it)
{
    struct lw_rec_tls_access rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    lw_tls_access *a = push(&p->tls_accesses, &p->n_tls_accesses, &r->cap_tls_accesses, sizeof *a);
    *a = (lw_tls_access){.kind = rec.kind,
                         .region = rec.region,
                         .thread_id = rec.thread_id,
                         .owner_thread = rec.owner_thread,
                         .stack_id = rec.stack_id,
                         .owner_exit_stack = rec.owner_exit_stack,
                         .size = rec.size,
                         .is_write = (rec.h.flags & LW_TLS_ACCESS_WRITE) != 0,
                         .address = rec.address,
                         .tls_image = rec.tls_image,
                         .tls_offset = rec.tls_offset};
}

static void read_fork_held(reader *r, const lw_iter_item *it)
{
    struct lw_rec_fork_held rec;
    lw_record_copy(it, &rec, sizeof rec);
    lw_process *p = r->p;
    lw_fork_held *f = push(&p->fork_held, &p->n_fork_held, &r->cap_fork_held, sizeof *f);
    f->parent_pid = rec.parent_pid;
    f->n = rec.n;
    if (rec.n) {
        /* lw_record_check_body proved n entries fit in the record. */
        f->entries = xrealloc(NULL, (size_t)rec.n * sizeof *f->entries);
        memcpy(f->entries, it->data + sizeof rec, (size_t)rec.n * sizeof *f->entries);
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts ids[0..*n) and drops repeats. */
static void sort_unique_u32(uint32_t *ids, size_t *n)
{
    if (!*n)
        return;
    qsort(ids, *n, sizeof *ids, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < *n; i++)
        if (m == 0 || ids[i] != ids[m - 1])
            ids[m++] = ids[i];
    *n = m;
}

static bool contains_u32(const uint32_t *ids, size_t n, uint32_t id)
{
    return n && bsearch(&id, ids, n, sizeof *ids, cmp_u32);
}

/* Settles each semaphore's role once every record is read (a LOCK_LIKE or SEM_SIGNAL record may
 * come before or after the semaphore's LOCK record: chunks are not in time order). A signal
 * (SEM_SIGNAL record or flag) is never lock-like, whatever LOCK_LIKE said; the others with a
 * LOCK_LIKE record get the flag on their lock. p->lock_like ends sorted, without signals. */
static void resolve_sem_roles(reader *r)
{
    lw_process *p = r->p;
    for (size_t i = 0; i < p->n_locks; i++)
        if (p->locks[i].flags & LW_LOCKF_SEM_SIGNAL) {
            uint32_t *id = push(&r->sem_signal, &r->n_sem_signal, &r->cap_sem_signal, sizeof *id);
            *id = p->locks[i].id;
        }
    sort_unique_u32(r->sem_signal, &r->n_sem_signal);
    sort_unique_u32(p->lock_like, &p->n_lock_like);
    size_t m = 0;
    for (size_t i = 0; i < p->n_lock_like; i++)
        if (!contains_u32(r->sem_signal, r->n_sem_signal, p->lock_like[i]))
            p->lock_like[m++] = p->lock_like[i];
    p->n_lock_like = m;
    for (size_t i = 0; i < p->n_locks; i++) {
        lw_lock *l = &p->locks[i];
        if (contains_u32(r->sem_signal, r->n_sem_signal, l->id))
            l->flags = (l->flags & ~LW_LOCKF_LOCK_LIKE) | LW_LOCKF_SEM_SIGNAL;
        else if (contains_u32(p->lock_like, m, l->id))
            l->flags |= LW_LOCKF_LOCK_LIKE;
    }
    free(r->sem_signal);
    r->sem_signal = NULL;
}

static void read_record(reader *r, const lw_iter_item *it)
{
    switch (it->type) {
    case LW_REC_PROCESS:
        read_process(r, it);
        break;
    case LW_REC_MODULE:
        read_module(r, it);
        break;
    case LW_REC_STACK:
        read_stack(r, it);
        break;
    case LW_REC_THREAD_START:
        read_thread_start(r, it);
        break;
    case LW_REC_THREAD_JOIN:
        read_join(r, it);
        break;
    case LW_REC_THREAD_EXIT: {
        struct lw_rec_thread_exit *e = push(&r->exits, &r->n_exits, &r->cap_exits, sizeof *e);
        lw_record_copy(it, e, sizeof *e);
        break;
    }
    case LW_REC_LOCK:
        read_lock(r, it);
        break;
    case LW_REC_CONTEXT:
        read_context(r, it);
        break;
    case LW_REC_THREAD_NAME: {
        struct lw_rec_thread_name *n = push(&r->names, &r->n_names, &r->cap_names, sizeof *n);
        lw_record_copy(it, n, sizeof *n);
        break;
    }
    case LW_REC_DROPPED: {
        struct lw_rec_dropped rec;
        lw_record_copy(it, &rec, sizeof rec);
        size_t n = sizeof r->p->dropped / sizeof r->p->dropped[0];
        if (rec.reason < n) {
            uint64_t *d = &r->p->dropped[rec.reason];
            *d = rec.count > UINT64_MAX - *d ? UINT64_MAX : *d + rec.count;
        }
        break;
    }
    case LW_REC_END: {
        struct lw_rec_end rec;
        lw_record_copy(it, &rec, sizeof rec);
        r->p->clean_end = true;
        r->p->exit_status = rec.exit_status;
        break;
    }
    case LW_REC_DEADLOCK:
        read_deadlock(r, it);
        break;
    case LW_REC_MISUSE:
        read_misuse(r, it);
        break;
    case LW_REC_SYNC:
        read_sync(r, it);
        break;
    case LW_REC_LOCK_LIKE: {
        struct lw_rec_lock_like rec;
        lw_record_copy(it, &rec, sizeof rec);
        if (rec.lock_id == 0)
            break;
        uint32_t *id = push(&r->p->lock_like, &r->p->n_lock_like, &r->cap_lock_like, sizeof *id);
        *id = rec.lock_id;
        break;
    }
    case LW_REC_SEM_SIGNAL: {
        struct lw_rec_sem_signal rec;
        lw_record_copy(it, &rec, sizeof rec);
        if (rec.lock_id == 0)
            break;
        uint32_t *id = push(&r->sem_signal, &r->n_sem_signal, &r->cap_sem_signal, sizeof *id);
        *id = rec.lock_id;
        break;
    }
    case LW_REC_FORK_HELD:
        read_fork_held(r, it);
        break;
    case LW_REC_TLS_ACCESS:
        read_tls_access(r, it);
        break;
    case LW_REC_RACE:
        read_race(r, it);
        break;
    case LW_REC_WAIT_STATE:
        read_wait_state(r, it);
        break;
    default:
        break; /* a newer record type: skipped by design */
    }
}

/* Adds a bare thread for an id known only from exit or name records (its start was lost). */
static void add_missing_thread(reader *r, uint32_t id)
{
    if (id == 0 || lw_process_thread(r->p, id))
        return;
    lw_thread *t = push(&r->p->threads, &r->p->n_threads, &r->cap_threads, sizeof *t);
    t->id = id; /* repeats are fine: indexing keeps the first and drops the rest */
}

/*
 * Applies thread exits and names once every thread start is known. Two passes so that each
 * lookup is a bisection: first create the missing threads and re-index, then apply.
 */
static void resolve_threads(reader *r)
{
    lw_process *p = r->p;
    lw_process_build_index(p);
    size_t before = p->n_threads;
    for (size_t i = 0; i < r->n_exits; i++)
        add_missing_thread(r, r->exits[i].thread_id);
    for (size_t i = 0; i < r->n_names; i++)
        add_missing_thread(r, r->names[i].thread_id);
    if (p->n_threads != before)
        lw_process_build_index(p);

    for (size_t i = 0; i < r->n_exits; i++) {
        const struct lw_rec_thread_exit *e = &r->exits[i];
        const lw_thread *found = lw_process_thread(p, e->thread_id);
        if (!found)
            continue; /* thread id 0 */
        lw_thread *t = &p->threads[found - p->threads];
        if (t->exited)
            continue; /* keep the first */
        t->exited = true;
        t->final_seq = e->final_seq;
        t->held_at_exit = e->held_count;
    }
    for (size_t i = 0; i < r->n_names; i++) {
        const struct lw_rec_thread_name *n = &r->names[i];
        const lw_thread *found = lw_process_thread(p, n->thread_id);
        if (!found)
            continue;
        lw_thread *t = &p->threads[found - p->threads];
        /* The latest name wins (a thread may be renamed); force termination. */
        memcpy(t->name, n->name, sizeof t->name);
        t->name[sizeof t->name - 1] = '\0';
    }
}

static void note_damage(lw_process *p, const char *name, const lw_iter_item *it)
{
    p->truncated = true;
    if (p->damage)
        return; /* the first damage is the one worth reporting */
    int n = snprintf(NULL, 0, "%s: offset %zu: %s", name, it->offset, it->what);
    p->damage = xrealloc(NULL, (size_t)n + 1);
    snprintf(p->damage, (size_t)n + 1, "%s: offset %zu: %s", name, it->offset, it->what);
}

/*
 * Starts a read: out zeroed and named, the file header validated from buf[0, len) (the whole
 * file, or a prefix of it at least as long as any valid header), iter ready to walk it.
 * Returns -1 with err set when the header is unusable.
 */
static int read_begin(reader *r, lw_log_iter *iter, const void *buf, size_t len, const char *name,
                      lw_process *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->exit_status = -1;
    out->log_path = xstrndup(name, strlen(name));
    *r = (reader){.p = out};
    char why[200];
    if (lw_iter_init(iter, buf, len, why, sizeof why) < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", name, why);
        return -1;
    }
    out->pid = iter->hdr.pid;
    out->ppid = iter->hdr.ppid;
    out->start_realtime_ns = iter->hdr.start_realtime_ns;
    if (iter->hdr.flags & LW_FILE_CLEAN_END)
        out->clean_end = true;
    if (iter->hdr.flags & LW_FILE_EXEC)
        out->exec_end = true;
    if ((iter->hdr.flags & LW_FILE_INCOMPLETE) && !out->damage) {
        /* The recorder ran out of room: what is here is true, but not everything is here. */
        out->truncated = true;
        static const char what[] = "recording stopped early: the log could not grow (disk full?)";
        size_t n = strlen(name) + sizeof what + 2;
        out->damage = xrealloc(NULL, n + 16);
        snprintf(out->damage, n + 16, "%s: offset %zu: %s", name,
                 offsetof(struct lw_file_header, flags), what);
    }
    return 0;
}

/* Decodes every item iter still has. */
static void read_items(reader *r, lw_log_iter *iter, const char *name)
{
    lw_iter_item it;
    lw_iter_kind k;
    while ((k = lw_iter_next(iter, &it)) != LW_IT_END) {
        if (k == LW_IT_RECORD)
            read_record(r, &it);
        else if (k == LW_IT_DAMAGE)
            note_damage(r->p, name, &it);
    }
}

/* What needs every record first; frees the read's scratch state. */
static void read_end(reader *r)
{
    free(r->ctx_slots);
    r->ctx_slots = NULL;
    r->ctx_mask = 0;
    r->ctx_skip = 0;
    resolve_threads(r);
    resolve_sem_roles(r);
    lw_rebuild_deadlock_from_waits(r->p);
    free(r->exits);
    free(r->names);
}

int lw_read_log_buffer(const void *buf, size_t len, const char *name, lw_process *out, char *err,
                       size_t errlen)
{
    reader r;
    lw_log_iter iter;
    if (read_begin(&r, &iter, buf, len, name, out, err, errlen) < 0)
        return -1;
    r.ctx_budget = SIZE_MAX; /* the caller's buffer is gone by the time analyses run */
    read_items(&r, &iter, name);
    read_end(&r);
    return 0;
}

/*
 * Streaming a file: a window of the file is read with pread into one reused buffer, and the
 * iterator walks the file one step (one chunk, or one unused or damaged unit) at a time inside
 * it, so memory does not grow with the file. read() rather than mmap, as lw_load_file_bytes: a
 * recorder that trims a live log cannot SIGBUS us, and a file that shrinks while being read
 * just ends earlier, exactly as if it had been that short.
 */
/* At least LW_MAX_HEADER_SIZE, so that the header fits. No bigger: the window is copied into
 * by pread and then parsed, and a window that fits in the L2 cache is parsed from there (8 MiB
 * cost 10 % more time on a log of distinct contexts). A chunk larger than the window gets a
 * window of its own size (window_need). */
#define WINDOW_BYTES ((size_t)1 << 20)
_Static_assert(WINDOW_BYTES >= LW_MAX_HEADER_SIZE, "the first window holds any valid header");

typedef struct window {
    int fd;
    uint8_t *buf;
    size_t cap;
    size_t base, len; /* buf[0, len) holds the file's bytes [base, base + len) */
    size_t fsize;     /* the file's size as far as we know: lowered when a read comes up short */
} window;

/* Fills the window with up to `want` bytes of the file from offset off. */
static int window_fill(window *w, size_t off, size_t want, const char *path, char *err,
                       size_t errlen)
{
    if (want > w->fsize - off)
        want = w->fsize - off;
    if (want > w->cap) {
        w->cap = want;
        free(w->buf);
        w->buf = xrealloc(NULL, w->cap);
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(w->fd, w->buf + got, want - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (err && errlen)
                snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    w->base = off;
    w->len = got;
    if (got < want)
        w->fsize = off + got; /* the file shrank while we read it */
    return 0;
}

/* Makes the file's bytes [off, off + n) (clamped to its end) available in the window. */
static int window_need(window *w, size_t off, size_t n, const char *path, char *err, size_t errlen)
{
    if (n > w->fsize - off)
        n = w->fsize - off;
    if (off >= w->base && off + n <= w->base + w->len)
        return 0;
    return window_fill(w, off, n > WINDOW_BYTES ? n : WINDOW_BYTES, path, err, errlen);
}

/* Records the step at off if it had CONTEXT records (see struct ctx_step). */
static void note_step(reader *r, size_t off)
{
    if (!r->step_ctx_end)
        return;
    struct ctx_step *s = push(&r->steps, &r->n_steps, &r->cap_steps, sizeof *s);
    s->off = off;
    s->len = (uint32_t)(r->step_ctx_end - off); /* within one chunk: below 4 GiB */
    r->step_ctx_end = 0;
}

/*
 * After a read that dropped its contexts: hands the open file and the steps over to
 * out->ctx_source and returns true; otherwise frees the steps and returns false (the caller
 * then closes the file).
 */
static bool keep_source(reader *r, const window *w, const lw_log_iter *iter)
{
    if (!r->ctx_dropped) {
        free(r->steps);
        r->steps = NULL;
        return false;
    }
    struct lw_ctx_source *s = xcalloc(1, sizeof *s);
    s->fd = w->fd;
    s->fsize = w->fsize;
    s->header_size = iter->hdr.header_size;
    s->chunk_size = iter->hdr.chunk_size;
    s->steps = r->steps;
    s->n_steps = r->n_steps;
    s->n_records = r->n_ctx_records;
    r->steps = NULL;
    r->p->ctx_source = s;
    return true;
}

/* Reads a file through w; *kept_fd is set when out->ctx_source took over w->fd. */
static int read_stream(window *w, const char *path, size_t budget, lw_process *out, bool *kept_fd,
                       char *err, size_t errlen)
{
    reader r;
    lw_log_iter iter;
    *kept_fd = false;
    if (window_fill(w, 0, WINDOW_BYTES, path, err, errlen) < 0) {
        memset(out, 0, sizeof *out);
        out->exit_status = -1;
        return -1;
    }
    /* The window holds the whole file or at least as much as any valid header: lw_iter_init's
     * checks against the length come out as they would on the whole file. */
    if (read_begin(&r, &iter, w->buf, w->len, path, out, err, errlen) < 0)
        return -1;
    r.ctx_budget = budget;
    r.track_steps = budget != SIZE_MAX;
    const size_t unit = iter.hdr.chunk_size;
    size_t off = iter.hdr.header_size;
    while (off < w->fsize) {
        /* One step of the walk: a chunk's size is in its header; anything else (an unused or
         * damaged unit) is one unit long, as next_chunk in log_iter.c advances. */
        if (window_need(w, off, sizeof(struct lw_chunk_header), path, err, errlen) < 0)
            goto fail;
        if (off >= w->fsize)
            break;
        size_t span = unit;
        if (w->fsize - off >= sizeof(struct lw_chunk_header)) {
            struct lw_chunk_header ch;
            memcpy(&ch, w->buf + (off - w->base), sizeof ch);
            if (ch.magic == LW_CHUNK_MAGIC && ch.size != 0 && ch.size % unit == 0)
                span = ch.size;
        }
        if (window_need(w, off, span, path, err, errlen) < 0)
            goto fail;
        if (off >= w->fsize)
            break;
        size_t avail = w->fsize - off < span ? w->fsize - off : span;
        /* The iterator sees exactly this step: positions are window-relative, iter.base turns
         * them back into file offsets for messages. */
        iter.buf = w->buf;
        iter.base = w->base;
        iter.next_unit = off - w->base;
        iter.len = off - w->base + avail;
        iter.in_chunk = false;
        read_items(&r, &iter, path);
        note_step(&r, off);
        size_t next = w->base + iter.next_unit;
        off = next > off ? next : off + avail; /* always progress */
    }
    read_end(&r);
    *kept_fd = keep_source(&r, w, &iter);
    return 0;
fail:
    read_end(&r);
    free(r.steps);
    return -1;
}

/* The context budget: opt's, else LOCKWATCH_ANALYZER_CONTEXT_BUDGET, else the default. */
static size_t context_budget(const lw_read_options *opt)
{
    if (opt && opt->context_budget)
        return opt->context_budget;
    /* For tests, which force small logs through the read-again path: a plain decimal byte
     * count; anything else is ignored with one warning (per process). */
    const char *env = getenv("LOCKWATCH_ANALYZER_CONTEXT_BUDGET");
    if (!env)
        return LW_CONTEXT_BUDGET_DEFAULT;
    if (*env >= '0' && *env <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 10);
        if (*end == '\0' && errno == 0 && v > 0 && v <= SIZE_MAX)
            return (size_t)v;
    }
    static bool warned;
    if (!warned) {
        warned = true;
        fprintf(stderr,
                "lockwatch: warning: LOCKWATCH_ANALYZER_CONTEXT_BUDGET='%s' is not a positive "
                "byte count; using the default (%zu bytes)\n",
                env, (size_t)LW_CONTEXT_BUDGET_DEFAULT);
    }
    return LW_CONTEXT_BUDGET_DEFAULT;
}

int lw_read_log_file_opts(const char *path, const lw_read_options *opt, lw_process *out, char *err,
                          size_t errlen)
{
    window w = {.fd = -1};
    if (lw_open_log_file(path, &w.fd, &w.fsize, err, errlen) < 0) {
        memset(out, 0, sizeof *out);
        out->exit_status = -1;
        return -1;
    }
    (void)posix_fadvise(w.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    bool kept_fd;
    int rc = read_stream(&w, path, context_budget(opt), out, &kept_fd, err, errlen);
    free(w.buf);
    if (!kept_fd)
        close(w.fd);
    return rc;
}

int lw_read_log_file(const char *path, lw_process *out, char *err, size_t errlen)
{
    return lw_read_log_file_opts(path, NULL, out, err, errlen);
}

void lw_ctx_source_free(struct lw_ctx_source *s)
{
    if (!s)
        return;
    close(s->fd);
    free(s->steps);
    free(s);
}

/* Warns, once per log, that its contexts could not all be read again: one line, the path
 * sanitised as every message quoting a log's path is. */
static void replay_warn(const lw_process *p, const char *why)
{
    if (p->ctx_source->warned)
        return;
    p->ctx_source->warned = true;
    fputs("lockwatch: warning: ", stderr);
    lw_fputs_sanitized(p->log_path ? p->log_path : "log", stderr);
    fprintf(stderr, ": changed since it was read (%s); its lock-order findings may be incomplete\n",
            why);
}

/* One walk of a log's contexts (replay_contexts). */
struct replay {
    lw_context_want want;
    lw_context_fn fn;
    void *arg;
    lw_held *held; /* the current context's held list */
    size_t held_cap;
    size_t seen; /* CONTEXT records met (wanted or not) */
};

/*
 * Walks the records of one step, b[0, n) holding the chunk header and then records, as far as
 * they are well-formed: the checks of log_iter.c's record walk that a CONTEXT record's decoding
 * relies on (check byte, size, bounds, held count), without its item bookkeeping. On the file
 * the first read saw, the step holds only records that read accepted, so both walks meet the
 * same CONTEXT records; on a changed file this stops at the first record it cannot trust.
 */
static void replay_step(struct replay *rp, const uint8_t *b, size_t n)
{
    struct lw_chunk_header ch;
    if (n < sizeof ch)
        return;
    memcpy(&ch, b, sizeof ch);
    if (ch.magic != LW_CHUNK_MAGIC)
        return;
    for (size_t pos = sizeof ch; n - pos >= sizeof(struct lw_record_header);) {
        struct lw_record_header h;
        memcpy(&h, b + pos, sizeof h);
        /* An unpublished (zero) header fails the check byte too. */
        if (h.check != LW_RECORD_CHECK(h.type) || h.size < sizeof h ||
            h.size % LW_RECORD_ALIGN != 0 || h.size > n - pos)
            return;
        const uint8_t *data = b + pos;
        pos += h.size;
        if (h.type != LW_REC_CONTEXT)
            continue;
        struct lw_rec_context rec;
        if (h.size < sizeof rec || lw_record_check_body(h.type, data, h.size) != NULL)
            return;
        memcpy(&rec, data, sizeof rec);
        rp->seen++;
        if (rp->want && !rp->want(rec.lock_id, rp->arg))
            continue;
        if (rec.n_held > rp->held_cap) {
            rp->held_cap = rec.n_held;
            rp->held = xreallocarray(rp->held, rp->held_cap, sizeof *rp->held);
        }
        decode_held(data + sizeof rec, rec.n_held, rp->held);
        lw_context c = context_of_record(&rec, h.flags, rp->held);
        rp->fn(&c, rp->seen - 1, rp->arg);
    }
}

/*
 * Reads the CONTEXT records of p's log again, step by step as the first read recorded them
 * (see struct ctx_step), up to the length that read saw; returns -1, after one warning line,
 * if what it finds is not what the first read saw.
 */
static int replay_contexts(const lw_process *p, lw_context_want want, lw_context_fn fn, void *arg)
{
    const struct lw_ctx_source *src = p->ctx_source;
    window w = {.fd = src->fd, .fsize = src->fsize};
    lw_log_iter iter;
    char why[200];
    /* The header again, checked as the first read checked it: the walk depends on it. */
    if (window_fill(&w, 0, WINDOW_BYTES, "", why, sizeof why) < 0 ||
        lw_iter_init(&iter, w.buf, w.len, why, sizeof why) < 0 ||
        iter.hdr.header_size != src->header_size || iter.hdr.chunk_size != src->chunk_size) {
        replay_warn(p, "header changed or unreadable");
        free(w.buf);
        return -1;
    }
    struct replay rp = {.want = want, .fn = fn, .arg = arg};
    int rc = 0;
    for (size_t i = 0; i < src->n_steps && rc == 0; i++) {
        const struct ctx_step *st = &src->steps[i];
        /* The file may have shrunk since (fsize then drops): every step must still be whole. */
        if (st->off >= w.fsize || window_need(&w, st->off, st->len, "", why, sizeof why) < 0 ||
            st->off < w.base || st->off + st->len > w.base + w.len) {
            rc = -1;
            break;
        }
        replay_step(&rp, w.buf + (st->off - w.base), st->len);
    }
    if (rc == 0 && rp.seen != src->n_records)
        rc = -1;
    if (rc < 0)
        replay_warn(p, "context records differ");
    free(rp.held);
    free(w.buf);
    return rc;
}

int lw_process_each_context(const lw_process *p, lw_context_want want, lw_context_fn fn, void *arg)
{
    if (p->ctx_source)
        return replay_contexts(p, want, fn, arg);
    size_t n = p->contexts ? p->n_contexts : 0;
    for (size_t i = 0; i < n; i++)
        if (!want || want(p->contexts[i].lock_id, arg))
            fn(&p->contexts[i], i, arg);
    return 0;
}

/* Does a directory entry look like a recorder's log, lockwatch.<something>.log? */
static bool is_log_name(const char *name)
{
    static const char prefix[] = "lockwatch.", suffix[] = ".log";
    size_t n = strlen(name), np = sizeof prefix - 1, ns = sizeof suffix - 1;
    return n >= np + ns && memcmp(name, prefix, np) == 0 && strcmp(name + n - ns, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_one(lw_model *m, size_t *cap, const char *path, char *err, size_t errlen)
{
    lw_process *p = push(&m->procs, &m->n_procs, cap, sizeof *p);
    if (lw_read_log_file(path, p, err, errlen) < 0) {
        lw_process_free(p);
        m->n_procs--;
        return -1;
    }
    return 0;
}

static int load_dir(lw_model *m, size_t *cap, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open directory: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, ncap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_log_name(e->d_name))
            continue;
        char **slot = push(&names, &n, &ncap, sizeof *names);
        size_t len = strlen(dir) + 1 + strlen(e->d_name);
        *slot = xrealloc(NULL, len + 1);
        snprintf(*slot, len + 1, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    size_t loaded = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && !S_ISREG(st.st_mode))
            continue; /* e.g. a subdirectory that happens to match the pattern */
        rc = load_one(m, cap, names[i], err, errlen);
        loaded += rc == 0;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == 0 && loaded == 0) {
        snprintf(err, errlen, "%s: no lockwatch.*.log files in this directory", dir);
        rc = -1;
    }
    return rc;
}

int lw_model_load(lw_model *m, char *const *paths, size_t n, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    size_t cap = m->n_procs; /* m->procs holds exactly n_procs elements on entry */
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) < 0) {
            snprintf(err, errlen, "%s: cannot open: %s", paths[i], strerror(errno));
            return -1;
        }
        int rc = S_ISDIR(st.st_mode) ? load_dir(m, &cap, paths[i], err, errlen)
                                     : load_one(m, &cap, paths[i], err, errlen);
        if (rc < 0)
            return -1;
    }
    return 0;
}
