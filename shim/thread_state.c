/*
 * Per-thread state of the recorder: identity (id, synchronisation seq), the held-lock list,
 * the set of contexts already recorded, and the thread's current log chunk. It lives in
 * mmap'd memory reached through one initial-exec TLS pointer, so the hot path costs a TLS load.
 * A pthread key's destructor writes the thread's exit and releases the state; after that the
 * thread passes straight through (destructors of other keys may still lock).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"
#include "shim.h"

static LW_TLS struct lw_thread *tls_thread;
static LW_TLS int tls_depth;
static LW_TLS int tls_dead;

static _Atomic uint32_t next_thread_id = 1;
static _Atomic uint32_t threads_seen;
static pthread_key_t state_key;
static _Atomic int state_key_ok;

#define LW_CTX_INITIAL 256u

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
    if (create_stack) lw_stack_ensure_written(t, create_stack);
    struct lw_rec_thread_start *r = lw_log_reserve(t, sizeof *r);
    if (!r) return;
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
    struct lw_thread *t = lw_mmap_zero(sizeof *t);
    if (!t) return NULL;
    t->ctx_keys = lw_mmap_zero(LW_CTX_INITIAL * sizeof(uint64_t));
    if (!t->ctx_keys) {
        lw_munmap(t, sizeof *t);
        return NULL;
    }
    t->ctx_cap = LW_CTX_INITIAL;
    t->held = t->held_inline;
    t->cap_held = sizeof t->held_inline / sizeof t->held_inline[0];
    t->id = id ? id : lw_thread_new_id();
    t->os_tid = (uint64_t)syscall(SYS_gettid);
    tls_thread = t;
    atomic_fetch_add_explicit(&threads_seen, 1, memory_order_relaxed);
    if (atomic_load(&state_key_ok)) pthread_setspecific(state_key, t);
    lw_tid_map_put((uint64_t)pthread_self(), t->id);
    write_thread_start(t, parent, parent_seq, create_stack);
    return t;
}

struct lw_thread *lw_thread_peek(void)
{
    return tls_thread;
}

struct lw_thread *lw_thread_get(void)
{
    struct lw_thread *t = tls_thread;
    if (LW_LIKELY(t)) return t;
    if (tls_dead) return NULL;
    int saved = errno;
    t = thread_create(0, 0, 0, 0);
    errno = saved;
    return t;
}

struct lw_thread *lw_enter(void)
{
    if (LW_UNLIKELY(atomic_load_explicit(&lw_state, memory_order_relaxed) != LW_STATE_RECORDING))
        return NULL;
    if (tls_depth) return NULL;
    tls_depth = 1;
    struct lw_thread *t = tls_thread;
    if (LW_UNLIKELY(!t)) {
        t = lw_thread_get();
        if (!t) tls_depth = 0;
    }
    return t;
}

void lw_leave(void)
{
    tls_depth = 0;
}

struct lw_thread *lw_thread_start(uint32_t id, uint32_t parent, uint32_t parent_seq,
                                  uint32_t create_stack)
{
    if (tls_thread || tls_dead) return tls_thread;
    int saved = errno;
    tls_depth = 1;
    struct lw_thread *t = thread_create(id, parent, parent_seq, create_stack);
    tls_depth = 0;
    errno = saved;
    return t;
}

void lw_thread_exit_record(struct lw_thread *t)
{
    if (t->exited) return;
    t->exited = true;
    struct lw_rec_thread_exit *r = lw_log_reserve(t, sizeof *r);
    if (!r) return;
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
    if (!t || t != tls_thread) return;
    int saved = errno;
    tls_depth = 1;
    if (atomic_load(&lw_state) == LW_STATE_RECORDING) {
        lw_thread_exit_record(t);
        lw_log_release_chunk(t);
    }
    tls_thread = NULL;
    tls_dead = 1;
    if (t->held != t->held_inline) lw_munmap(t->held, t->cap_held * sizeof *t->held);
    lw_munmap(t->ctx_keys, t->ctx_cap * sizeof(uint64_t));
    lw_munmap(t, sizeof *t);
    tls_depth = 0;
    errno = saved;
}

void lw_thread_init_key(void)
{
    if (pthread_key_create(&state_key, thread_state_release) == 0) atomic_store(&state_key_ok, 1);
}

void lw_thread_reset_for_child(struct lw_thread *t)
{
    memset(t->ctx_keys, 0, t->ctx_cap * sizeof(uint64_t));
    t->ctx_count = 0;
    t->chunk = NULL;
    t->chunk_pos = t->chunk_size = 0;
    t->exited = false;
    t->os_tid = (uint64_t)syscall(SYS_gettid);
    atomic_store(&threads_seen, 1);
    write_thread_start(t, 0, 0, 0);
}
