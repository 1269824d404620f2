/*
 * Per-thread state of the recorder: identity (id, synchronisation seq), the held-lock list,
 * the set of contexts already recorded, and the thread's current log chunk. It lives in
 * mmap'd memory reached through one initial-exec TLS pointer, so the hot path costs a TLS load.
 * A pthread key's destructor writes the thread's exit and releases the state; after that the
 * thread passes straight through (destructors of other keys may still lock).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "annotate.h"
#include "glibc_mutex.h"
#include "hot_path.h"
#include "real.h"
#include "shim.h"
#include "spin.h"

LW_TLS struct lw_tls lw_tls;
static LW_TLS int tls_dead;

static _Atomic uint32_t next_thread_id = 1;
static _Atomic uint32_t threads_seen;
static pthread_key_t state_key;
static _Atomic int state_key_ok;

#define LW_CTX_INITIAL 256u

/* Live thread states, for the watchdog; and ended ones, kept for reuse (never unmapped, so the
 * watchdog can read a stale pointer safely). */
static _Atomic(struct lw_thread *) registry[LW_REGISTRY_SLOTS];
static _Atomic int registry_high;
/* Lock acquisitions of threads that have ended (live threads keep their own count). */
static _Atomic uint64_t ended_lock_ops;
static struct lw_thread *free_states;
static _Atomic int free_lock;

struct lw_thread *lw_registry_at(int slot)
{
    struct lw_thread *t = atomic_load_explicit(&registry[slot], memory_order_acquire);
    if (t)
        LW_ANN_CONSUME(t);
    return t;
}

int lw_registry_high(void)
{
    return atomic_load_explicit(&registry_high, memory_order_acquire);
}

static void registry_add(struct lw_thread *t)
{
    LW_ANN_PUBLISH(t); /* the state is filled: readers of the registry see it whole */
    t->registry_slot = -1;
    for (int i = 0; i < LW_REGISTRY_SLOTS; i++) {
        struct lw_thread *expected = NULL;
        if (atomic_load_explicit(&registry[i], memory_order_relaxed) == NULL &&
            atomic_compare_exchange_strong(&registry[i], &expected, t)) {
            t->registry_slot = i;
            int high = atomic_load(&registry_high);
            while (i + 1 > high && !atomic_compare_exchange_weak(&registry_high, &high, i + 1))
                ;
            return;
        }
    }
}

static void registry_remove(struct lw_thread *t)
{
    if (t->registry_slot >= 0)
        atomic_store_explicit(&registry[t->registry_slot], NULL, memory_order_release);
}

/* A zeroed state, recycled or fresh. Thread creation is not a hot path: a spin lock is fine. */
static struct lw_thread *state_alloc(void)
{
    lw_spin_lock(&free_lock);
    struct lw_thread *t = free_states;
    if (t)
        free_states = t->next_free;
    lw_spin_unlock(&free_lock);
    if (!t)
        return lw_mmap_zero(sizeof *t);
    uint64_t seq = atomic_load(&t->wait_seq); /* keep it increasing across owners */
    memset(t, 0, sizeof *t);
    atomic_store(&t->wait_seq, seq + 1);
    return t;
}

static void state_free(struct lw_thread *t)
{
    atomic_store(&t->wait_kind, LW_WAIT_NONE);
    lw_spin_lock(&free_lock);
    t->next_free = free_states;
    free_states = t;
    lw_spin_unlock(&free_lock);
}

/* The thread's WAIT_STATE record in the log (written at thread start, updated in place). */
static void wait_record_create(struct lw_thread *t)
{
    struct lw_rec_wait_state *r = lw_log_reserve(t, sizeof *r);
    if (!r)
        return;
    r->thread_id = t->id;
    lw_log_publish(t, r, LW_REC_WAIT_STATE, 0, sizeof *r);
    t->wait_rec = r;
}

/* The id of the lock at addr: from the thread's lock-id cache when it has it (a contended lock
 * was usually taken before), else from the global table. */
static uint32_t lock_id_of(struct lw_thread *t, uint64_t addr)
{
    const struct lw_lock_cache *c = lw_lock_cache_slot(t, (uintptr_t)addr);
    return lw_lock_cache_hit(c, (uintptr_t)addr) ? c->meta.lock_id : lw_lock_peek_id(addr);
}

/* Adds 1 to a counter only the calling thread writes (readers are other threads): a load and a
 * store, not a locked read-modify-write, since no other writer can interleave. This runs
 * several times on every contended acquisition. */
static inline void bump_u32(_Atomic uint32_t *x)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline void bump_u64(_Atomic uint64_t *x)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* Rewrites the on-disk wait state for a wait that begins; `version` is odd while the fields
 * change. */
static void wait_record_begin(struct lw_thread *t, uint32_t kind, uint64_t obj, bool timed,
                              uint32_t target, uintptr_t call_pc)
{
    struct lw_rec_wait_state *r = t->wait_rec;
    if (!r)
        return;
    _Atomic uint32_t *version = (_Atomic uint32_t *)&r->version;
    bump_u32(version);
    atomic_thread_fence(memory_order_release);
    r->wait_kind = kind;
    r->wait_addr = obj;
    r->timed = timed;
    r->target_thread = target;
    r->since_ns = 0; /* not measured on this path; see lw_wait_begin */
    r->call_pc = call_pc;
    r->lock_id = kind == LW_WAIT_JOIN || kind == LW_WAIT_COND ? 0 : lock_id_of(t, obj);
    r->owner_tid = kind == LW_WAIT_MUTEX ? lw_mutex_owner((const pthread_mutex_t *)obj) : 0;
    atomic_thread_fence(memory_order_release);
    bump_u32(version);
}

void lw_wait_begin(struct lw_thread *t, uint32_t kind, uint64_t obj, bool timed, uint32_t target,
                   uintptr_t call_pc)
{
    /* No clock read here (this runs on every contended acquisition): the watchdog times a wait
     * from the scan that first saw it. */
    atomic_store_explicit(&t->wait_obj, obj, memory_order_relaxed);
    atomic_store_explicit(&t->wait_timed, timed, memory_order_relaxed);
    atomic_store_explicit(&t->wait_target, target, memory_order_relaxed);
    bump_u64(&t->wait_seq);
    atomic_store_explicit(&t->wait_kind, kind, memory_order_release);
    wait_record_begin(t, kind, obj, timed, target, call_pc);
}

void lw_wait_end(struct lw_thread *t)
{
    atomic_store_explicit(&t->wait_kind, LW_WAIT_NONE, memory_order_release);
    bump_u64(&t->wait_seq);
    /* One 4-byte store: the record goes from "waiting as described" to "running", both stable
     * states for a reader, so the version dance of wait_record_begin is not needed. This runs
     * while the thread holds the lock it waited for: every instruction here lengthens the
     * critical sections other threads queue behind. */
    if (t->wait_rec)
        atomic_store_explicit((_Atomic uint32_t *)&t->wait_rec->wait_kind, LW_WAIT_NONE,
                              memory_order_release);
}

uint32_t lw_thread_new_id(void)
{
    return atomic_fetch_add_explicit(&next_thread_id, 1, memory_order_relaxed);
}

uint32_t lw_threads_seen(void)
{
    return atomic_load_explicit(&threads_seen, memory_order_relaxed);
}

static void write_thread_start(struct lw_thread *t, uint32_t parent, uint32_t parent_seq,
                               uint32_t create_stack)
{
    if (create_stack)
        lw_stack_ensure_written(t, create_stack);
    struct lw_rec_thread_start *r = lw_log_reserve(t, sizeof *r);
    if (!r)
        return;
    r->thread_id = t->id;
    r->parent_id = parent;
    r->parent_seq = parent_seq;
    r->create_stack = create_stack;
    r->os_tid = t->os_tid;
    r->pthread_self = (uint64_t)pthread_self();
    r->monotonic_ns = lw_now_ns();
    lw_log_publish(t, r, LW_REC_THREAD_START, 0, sizeof *r);
}

/* Allocates and registers the state of the calling thread. */
static struct lw_thread *thread_create(uint32_t id, uint32_t parent, uint32_t parent_seq,
                                       uint32_t create_stack)
{
    struct lw_thread *t = state_alloc();
    if (!t)
        return NULL;
    t->ctx_keys = lw_mmap_zero(LW_CTX_INITIAL * sizeof(uint64_t));
    if (!t->ctx_keys) {
        state_free(t);
        return NULL;
    }
    /* Other threads (watchdog, key and fork scans) read parts of a thread's state racily by
     * design, and its wait fields are atomics: Helgrind is told not to check it. */
    LW_ANN_ATOMIC_RANGE(t, sizeof *t);
    t->ctx_cap = LW_CTX_INITIAL;
    t->held = t->held_inline;
    t->cap_held = sizeof t->held_inline / sizeof t->held_inline[0];
    t->id = id ? id : lw_thread_new_id();
    t->os_tid = (uint64_t)syscall(SYS_gettid);
    t->pthread = (uint64_t)pthread_self();
    registry_add(t);
    lw_tls.thread = t;
    atomic_fetch_add_explicit(&threads_seen, 1, memory_order_relaxed);
    if (atomic_load(&state_key_ok))
        lw_real_pthread_setspecific(state_key, t);
    lw_tid_map_put((uint64_t)pthread_self(), t->id);
    write_thread_start(t, parent, parent_seq, create_stack);
    wait_record_create(t);
    lw_thread_ranges_start(t); /* race mode: stack and TLS ranges, for tls-misuse */
    return t;
}

struct lw_thread *lw_enter_slow(void)
{
    struct lw_thread *t = lw_thread_get();
    if (!t)
        lw_tls.depth = 0;
    return t;
}

struct lw_thread *lw_thread_get(void)
{
    struct lw_thread *t = lw_tls.thread;
    if (LW_LIKELY(t))
        return t;
    if (tls_dead)
        return NULL;
    int saved = errno;
    t = thread_create(0, 0, 0, 0);
    errno = saved;
    return t;
}

struct lw_thread *lw_thread_start(uint32_t id, uint32_t parent, uint32_t parent_seq,
                                  uint32_t create_stack)
{
    if (lw_tls.thread || tls_dead)
        return lw_tls.thread;
    int saved = errno;
    lw_tls.depth = 1;
    struct lw_thread *t = thread_create(id, parent, parent_seq, create_stack);
    lw_tls.depth = 0;
    errno = saved;
    return t;
}

void lw_thread_report_held_at_exit(struct lw_thread *t)
{
    for (uint32_t i = 0; i < t->n_held; i++) {
        struct lw_held *h = &t->held[i];
        if (lw_lock_peek_id(h->addr) != h->lock_id)
            continue; /* destroyed (or re-initialised) since: nobody can wait for it any more */
        struct lw_misuse_info mi = {.misuse = LW_MISUSE_EXIT_HOLDING,
                                    .lock_id = h->lock_id,
                                    .lock_kind = (uint16_t)h->kind,
                                    .address = h->addr};
        lw_misuse(t, &mi, h->ret_pc);
    }
}

void lw_thread_exit_record(struct lw_thread *t)
{
    if (t->exited)
        return;
    t->exited = true;
    struct lw_rec_thread_exit *r = lw_log_reserve(t, sizeof *r);
    if (!r)
        return;
    r->thread_id = t->id;
    r->final_seq = t->seq;
    r->held_count = t->n_held;
    r->monotonic_ns = lw_now_ns();
    lw_log_publish(t, r, LW_REC_THREAD_EXIT, 0, sizeof *r);
}

/* Key destructor: the thread is going away. */
static void thread_state_release(void *p)
{
    struct lw_thread *t = p;
    if (!t || t != lw_tls.thread)
        return;
    int saved = errno;
    /* Stay until glibc's last destructor round, so the values other keys' destructors leave
     * behind can be seen: re-arming only adds rounds in which no destructor of the program
     * runs unless it has a value left. */
    if (++t->dtor_rounds < PTHREAD_DESTRUCTOR_ITERATIONS &&
        lw_real_pthread_setspecific(state_key, t) == 0) {
        errno = saved;
        return;
    }
    lw_tls.depth = 1;
    if (atomic_load(&lw_state) == LW_STATE_RECORDING) {
        lw_key_check_leaks(t);
        if (!t->exited)
            lw_thread_report_held_at_exit(t);
        lw_thread_exit_record(t);
        lw_log_release_chunk(t);
    }
    atomic_fetch_add(&ended_lock_ops, t->lock_ops);
    lw_tls.thread = NULL;
    tls_dead = 1;
    if (t->held != t->held_inline)
        lw_munmap(t->held, t->cap_held * sizeof *t->held);
    lw_munmap(t->ctx_keys, t->ctx_cap * sizeof(uint64_t));
    registry_remove(t);
    state_free(t);
    lw_tls.depth = 0;
    errno = saved;
}

uint64_t lw_lock_ops_total(void)
{
    uint64_t total = atomic_load(&ended_lock_ops);
    int high = lw_registry_high();
    for (int i = 0; i < high; i++) {
        struct lw_thread *t = lw_registry_at(i);
        if (t)
            total += t->lock_ops; /* racy by design: an approximate count */
    }
    return total;
}

unsigned lw_thread_own_key(void)
{
    return atomic_load(&state_key_ok) ? (unsigned)state_key : LW_KEYS_MAX;
}

void lw_thread_init_key(void)
{
    LW_ANN_ATOMIC_RANGE(registry, sizeof registry);
    LW_REAL(pthread_key_create);
    LW_REAL(pthread_setspecific);
    if (lw_real_pthread_key_create(&state_key, thread_state_release) == 0)
        atomic_store(&state_key_ok, 1);
}

void lw_thread_reset_for_child(struct lw_thread *t)
{
    /* Another thread of the parent may have held the free-list lock at the fork: it does not
     * exist here to release it, and the child's next thread would spin for ever. The list is
     * dropped with it (a pop or push half done is not worth the risk; the states leak). */
    atomic_store_explicit(&free_lock, 0, memory_order_relaxed);
    free_states = NULL;
    /* Only the forking thread exists in the child: forget the others (their states leak). */
    for (int i = 0; i < LW_REGISTRY_SLOTS; i++)
        if (atomic_load(&registry[i]) != t)
            atomic_store(&registry[i], NULL);
    memset(t->ctx_keys, 0, t->ctx_cap * sizeof(uint64_t));
    t->ctx_count = 0;
    t->memo_ids = 0; /* the memo stands for "already in the log": not this one */
    t->chunk = NULL;
    t->chunk_pos = t->chunk_size = 0;
    t->exited = false;
    t->os_tid = (uint64_t)syscall(SYS_gettid);
    atomic_store(&threads_seen, 1);
    write_thread_start(t, 0, 0, 0);
    t->wait_rec = NULL; /* it was in the parent's log */
    wait_record_create(t);
}
