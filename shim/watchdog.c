/*
 * The live-deadlock watchdog: turns a real deadlock into a fast, readable failure instead of a
 * hang. Every thread publishes what it is about to block in (thread_state.c: lw_wait_begin);
 * this thread, started with the program's second thread and with every signal blocked, wakes
 * every deadlock_timeout_ms / 4 and builds the wait-for graph from those states: a thread
 * blocked on a mutex waits for the mutex's owner (glibc keeps the owner's tid in the mutex), a
 * joiner waits for the joinee. A cycle of untimed waits that stays the same across two scans
 * and is older than half the timeout is a deadlock; so is a state where every thread is in an
 * untimed wait and one of them sleeps on a condition variable that nobody is left to signal.
 *
 * On a deadlock it asks each blocked thread for its stack (a signal whose handler unwinds, on
 * a real-time signal installed only for that moment), writes a DEADLOCK record, says so on
 * stderr, then acts as configured: abort (default), _exit(deadlock_exit_code), or continue.
 * Process-shared mutexes and condvars are left out: another process may release them.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "glibc_mutex.h"
#include "real.h"
#include "shim.h"
#include "spin.h"

#define WD_MAX 1024 /* threads considered per scan */
#define WD_STACK_SIGNAL (SIGRTMAX - 7)
#define WD_COND_PSHARED 1u   /* glibc: bit 0 of __wrefs marks a process-shared condvar */
#define WD_MUTEX_PSHARED 128 /* glibc: PTHREAD_MUTEX_PSHARED_BIT in __kind */

static _Atomic int wd_started;
static struct lw_thread *wd_state; /* the watchdog's own log writer (thread id 0) */
static uint64_t last_signature;    /* of the candidate seen in the previous scan */
static uint64_t reported_signature;
static _Atomic int report_lock;

struct wd_node {
    struct lw_thread *t;
    uint32_t id, kind, target;
    uint64_t os_tid, obj, seq, start;
    int succ; /* index of the node it waits for, -1 if none or unknown */
};

/* Reads one thread's wait state consistently (it changes only around waits). */
static bool snapshot(struct lw_thread *t, struct wd_node *n)
{
    uint64_t seq = atomic_load_explicit(&t->wait_seq, memory_order_acquire);
    n->kind = atomic_load_explicit(&t->wait_kind, memory_order_acquire);
    n->obj = atomic_load_explicit(&t->wait_obj, memory_order_relaxed);
    n->target = atomic_load_explicit(&t->wait_target, memory_order_relaxed);
    uint32_t timed = atomic_load_explicit(&t->wait_timed, memory_order_relaxed);
    n->t = t;
    n->id = t->id;
    n->os_tid = t->os_tid;
    n->seq = seq;
    n->succ = -1;
    if (atomic_load_explicit(&t->wait_seq, memory_order_acquire) != seq)
        return false; /* it moved on while we looked */
    if (timed)
        n->kind = LW_WAIT_NONE; /* a timed wait ends by itself: it is never part of a deadlock */
    return true;
}

static int find_by(const struct wd_node *nodes, int n, uint64_t os_tid, uint32_t id)
{
    for (int i = 0; i < n; i++)
        if ((os_tid && nodes[i].os_tid == os_tid) || (id && nodes[i].id == id))
            return i;
    return -1;
}

/* A thread (other than node i) whose held list has obj: the holder of a lock with no owner
 * field (spin lock, rwlock readers, semaphore used as a lock). Only the inline part of a held
 * list is read; it stays mapped whatever the thread does. */
static int holder_of(const struct wd_node *nodes, int n, int i, uint64_t obj)
{
    for (int j = 0; j < n; j++) {
        if (j == i)
            continue;
        const struct lw_thread *t = nodes[j].t;
        uint32_t held = t->n_held;
        const uint32_t cap = sizeof t->held_inline / sizeof t->held_inline[0];
        for (uint32_t k = 0; k < held && k < cap; k++)
            if (t->held_inline[k].addr == obj)
                return j;
    }
    return -1;
}

/* Wait-for successor of node i, or -1. */
static int successor(const struct wd_node *nodes, int n, int i)
{
    const struct wd_node *w = &nodes[i];
    if (w->kind == LW_WAIT_MUTEX) {
        const pthread_mutex_t *m = (const pthread_mutex_t *)(uintptr_t)w->obj;
        if (m->__data.__kind & WD_MUTEX_PSHARED)
            return -1;
        uint64_t owner = lw_mutex_owner(m);
        return owner ? find_by(nodes, n, owner, 0) : -1;
    }
    if (w->kind == LW_WAIT_JOIN)
        return w->target ? find_by(nodes, n, 0, w->target) : -1;
    if (w->kind == LW_WAIT_RWLOCK_RD || w->kind == LW_WAIT_RWLOCK_WR) {
        const pthread_rwlock_t *rw = (const pthread_rwlock_t *)(uintptr_t)w->obj;
        if (rw->__data.__shared)
            return -1;
        int writer = __atomic_load_n(&rw->__data.__cur_writer, __ATOMIC_RELAXED);
        if (writer)
            return find_by(nodes, n, (uint64_t)(unsigned)writer, 0);
        return w->kind == LW_WAIT_RWLOCK_WR ? holder_of(nodes, n, i, w->obj) : -1;
    }
    if (w->kind == LW_WAIT_SPIN || w->kind == LW_WAIT_SEM)
        return holder_of(nodes, n, i, w->obj);
    return -1;
}

static uint64_t signature_of(const struct wd_node *nodes, const int *members, int k)
{
    uint64_t sig = 0x51ed270b27c4a1e3ULL;
    for (int i = 0; i < k; i++)
        sig ^= lw_mix(((uint64_t)nodes[members[i]].id << 32) ^ nodes[members[i]].seq);
    return sig ? sig : 1;
}

/* Finds a wait-for cycle; fills members (in wait order) and returns its length, or 0. */
static int find_cycle(struct wd_node *nodes, int n, int *members)
{
    static int8_t color[WD_MAX];
    memset(color, 0, sizeof color);
    for (int s = 0; s < n; s++) {
        if (color[s])
            continue;
        int path[WD_MAX], len = 0, v = s;
        while (v >= 0 && !color[v] && len < WD_MAX) {
            color[v] = 1; /* on the current path */
            path[len++] = v;
            v = nodes[v].succ;
        }
        if (v >= 0 && color[v] == 1) {
            int k = 0, start = 0;
            while (path[start] != v)
                start++;
            for (int i = start; i < len; i++)
                members[k++] = path[i];
            return k;
        }
        for (int i = 0; i < len; i++)
            color[path[i]] = 2;
    }
    return 0;
}

/* All threads blocked in untimed waits, at least one on a condvar nobody can signal now. */
static int all_blocked(const struct wd_node *nodes, int n, int *members)
{
    bool cond = false;
    for (int i = 0; i < n; i++) {
        if (nodes[i].kind == LW_WAIT_NONE)
            return 0;
        if (nodes[i].kind == LW_WAIT_SEM || nodes[i].kind == LW_WAIT_BARRIER)
            cond = true; /* waits for a post / the other parties, which nobody is left to do */
        if (nodes[i].kind == LW_WAIT_COND) {
            const pthread_cond_t *cv = (const pthread_cond_t *)(uintptr_t)nodes[i].obj;
            if (__atomic_load_n(&cv->__data.__wrefs, __ATOMIC_RELAXED) & WD_COND_PSHARED)
                return 0;
            cond = true;
        }
        if ((nodes[i].kind == LW_WAIT_MUTEX || nodes[i].kind == LW_WAIT_RWLOCK_RD ||
             nodes[i].kind == LW_WAIT_RWLOCK_WR || nodes[i].kind == LW_WAIT_SPIN) &&
            nodes[i].succ < 0)
            return 0; /* holder unknown (not a thread we know): it may still run */
    }
    if (!cond)
        return 0;
    for (int i = 0; i < n; i++)
        members[i] = i;
    return n;
}

/* Signal handler run by a blocked thread on the watchdog's request: record where it blocks.
 * Frames up to and including the shim's wrapper are dropped; what is left is the program's. */
static void stack_request_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    int saved = errno;
    struct lw_thread *t = lw_thread_peek();
    /* libunwind locks its own mutexes: they must pass straight through the shim. The thread
     * is blocked in a wait outside the shim, so its depth is 0 here and restored after. */
    int depth = lw_tls.depth, cancel_state;
    lw_tls.depth = 1;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    if (t) {
        void *buf[LW_MAX_FRAMES + 32];
        int n = unw_backtrace(buf, LW_MAX_FRAMES + 32);
        /* [handler (shim)] [signal return, futex wait, ... (libc)] [our wrapper (shim)]
         * [the program ... the thread trampoline (shim) ...]: start after the wrapper. */
        int i = 0;
        while (i < n && lw_stack_is_internal((uintptr_t)buf[i]))
            i++;
        int first_libc = i;
        while (i < n && !lw_stack_is_internal((uintptr_t)buf[i]))
            i++;
        if (i == n)
            i = first_libc; /* blocked somewhere we did not wrap: keep it all */
        uint64_t frames[LW_MAX_FRAMES];
        uint32_t m = 0;
        for (; i < n && m < lw_opts.stack_depth; i++)
            if (!lw_stack_is_internal((uintptr_t)buf[i]))
                frames[m++] = (uint64_t)(uintptr_t)buf[i];
        atomic_store(&t->blocked_stack, lw_stack_intern(frames, m, 0));
    }
    pthread_setcancelstate(cancel_state, &cancel_state);
    lw_tls.depth = depth;
    errno = saved;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Asks each member for its blocking stack; waits at most 200 ms for the answers. */
static void collect_stacks(struct wd_node *nodes, const int *members, int k)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = stack_request_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(WD_STACK_SIGNAL, &sa, &old) != 0)
        return;
    for (int i = 0; i < k; i++) {
        struct lw_thread *t = nodes[members[i]].t;
        atomic_store(&t->blocked_stack, 0);
        pthread_kill((pthread_t)t->pthread, WD_STACK_SIGNAL);
    }
    for (int waited = 0; waited < 200; waited += 10) {
        bool all = true;
        for (int i = 0; i < k; i++)
            if (!atomic_load(&nodes[members[i]].t->blocked_stack))
                all = false;
        if (all)
            break;
        sleep_ms(10);
    }
    sigaction(WD_STACK_SIGNAL, &old, NULL);
}

/* Writes the DEADLOCK record through writer w for the threads in entries. */
static void write_deadlock(struct lw_thread *w, uint32_t detector,
                           const struct lw_deadlock_entry *entries, uint32_t k)
{
    uint32_t size = (uint32_t)(sizeof(struct lw_rec_deadlock) + k * sizeof *entries);
    struct lw_rec_deadlock *r = lw_log_reserve(w, size);
    if (!r)
        return;
    r->detector = detector;
    r->n_threads = k;
    r->monotonic_ns = lw_now_ns();
    memcpy(r + 1, entries, k * sizeof *entries);
    lw_log_publish(w, r, LW_REC_DEADLOCK, 0, size);
}

/* Describes the locks and stacks an entry refers to (so the analyzer can name them). */
static void describe_entry(struct lw_thread *w, struct lw_thread *t, struct lw_deadlock_entry *e)
{
    if (e->stack_id)
        lw_stack_ensure_written(w, e->stack_id);
    if (e->wait_kind == LW_WAIT_MUTEX && e->wait_addr) {
        e->lock_id = lw_lock_id((uintptr_t)e->wait_addr, LW_LOCK_MUTEX,
                                lw_mutex_type_flags((pthread_mutex_t *)(uintptr_t)e->wait_addr));
        if (e->lock_id)
            lw_lock_describe(w, (uintptr_t)e->wait_addr, e->lock_id, LW_LOCK_MUTEX);
    }
    /* The thread is blocked, so its held list is still; only the inline part is read, which
     * stays mapped whatever happens to the thread. */
    uint32_t n = t->n_held;
    e->n_held = n;
    if (t->held == t->held_inline) {
        for (uint32_t i = 0; i < n && i < LW_DEADLOCK_MAX_HELD; i++) {
            e->held[i] = t->held_inline[i].lock_id;
            lw_lock_describe(w, t->held_inline[i].addr, t->held_inline[i].lock_id,
                             (uint16_t)t->held_inline[i].kind);
        }
    }
}

static const char *const action_words[] = {"aborting", "exiting", "continuing"};

/* Acts on a reported deadlock as configured. */
static void act(void)
{
    switch (lw_opts.deadlock_action) {
    case LW_ON_DEADLOCK_ABORT:
        abort();
    case LW_ON_DEADLOCK_EXIT:
        lw_exit_without_end((int)lw_opts.deadlock_exit_code);
    default:
        break;
    }
}

static void say_deadlock(uint32_t k)
{
    char num[24];
    lw_fmt_u64(num, k);
    lw_say("lockwatch: deadlock: ", num,
           " threads blocked for good; the report is in the log ("
           "'lockwatch report' or 'lockwatch run' shows it)");
    lw_say("lockwatch: ", action_words[lw_opts.deadlock_action < 3 ? lw_opts.deadlock_action : 0],
           " (on_deadlock option)");
}

static void report(struct wd_node *nodes, const int *members, int k, uint32_t detector)
{
    collect_stacks(nodes, members, k);
    struct lw_deadlock_entry entries[64];
    if (k > 64)
        k = 64;
    uint64_t now = lw_now_ns();
    for (int i = 0; i < k; i++) {
        const struct wd_node *n = &nodes[members[i]];
        struct lw_deadlock_entry *e = &entries[i];
        memset(e, 0, sizeof *e);
        e->thread_id = n->id;
        e->wait_kind = n->kind;
        e->wait_addr = n->obj;
        e->wait_ns = now > n->start ? now - n->start : 0;
        e->target_thread = n->succ >= 0 ? nodes[n->succ].id : n->target;
        e->stack_id = atomic_load(&n->t->blocked_stack);
        describe_entry(wd_state, n->t, e);
    }
    write_deadlock(wd_state, detector, entries, (uint32_t)k);
    say_deadlock((uint32_t)k);
    act();
}

/* When each wait was first seen: threads do not read the clock when they start waiting (that is
 * on every contended acquisition), so a wait is timed from the scan that first saw it. */
struct wd_seen {
    uint32_t id;
    uint64_t seq, first_ns;
};
static struct wd_seen seen_prev[WD_MAX], seen_cur[WD_MAX];
static int n_seen_prev;

static uint64_t first_seen(uint32_t id, uint64_t seq, uint64_t now)
{
    for (int i = 0; i < n_seen_prev; i++)
        if (seen_prev[i].id == id && seen_prev[i].seq == seq)
            return seen_prev[i].first_ns;
    return now;
}

static void scan(void)
{
    static struct wd_node nodes[WD_MAX];
    static int members[WD_MAX];
    int n = 0, high = lw_registry_high();
    for (int i = 0; i < high && n < WD_MAX; i++) {
        struct lw_thread *t = lw_registry_at(i);
        if (t && !t->exited && snapshot(t, &nodes[n]))
            n++;
    }
    uint64_t scan_ns = lw_now_ns();
    for (int i = 0; i < n; i++) {
        nodes[i].start = first_seen(nodes[i].id, nodes[i].seq, scan_ns);
        seen_cur[i] = (struct wd_seen){nodes[i].id, nodes[i].seq, nodes[i].start};
    }
    memcpy(seen_prev, seen_cur, (size_t)n * sizeof seen_cur[0]);
    n_seen_prev = n;
    for (int i = 0; i < n; i++)
        nodes[i].succ = nodes[i].kind == LW_WAIT_NONE ? -1 : successor(nodes, n, i);
    uint32_t detector = LW_DETECT_WAIT_CYCLE;
    int k = find_cycle(nodes, n, members);
    if (!k) {
        detector = LW_DETECT_ALL_BLOCKED;
        k = all_blocked(nodes, n, members);
    }
    if (!k) {
        last_signature = 0;
        return;
    }
    /* Confirm: the very same waits in two scans, each older than half the timeout. */
    uint64_t sig = signature_of(nodes, members, k);
    uint64_t now = lw_now_ns(), half = (uint64_t)lw_opts.deadlock_timeout_ms * 500000ull;
    bool old_enough = true;
    for (int i = 0; i < k; i++)
        if (now - nodes[members[i]].start < half)
            old_enough = false;
    if (sig != last_signature || !old_enough) {
        last_signature = sig;
        return;
    }
    if (sig == reported_signature)
        return; /* on_deadlock=continue: said once */
    reported_signature = sig;
    if (!lw_spin_trylock(&report_lock))
        return;
    report(nodes, members, k, detector);
    lw_spin_unlock(&report_lock);
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    lw_tls.depth = 1; /* nothing this thread does is the program's: never record it */
    unsigned period = lw_opts.deadlock_timeout_ms / 4;
    for (;;) {
        sleep_ms(period ? period : 25);
        if (atomic_load(&lw_state) == LW_STATE_RECORDING)
            scan();
    }
    return NULL;
}

void lw_watchdog_start(void)
{
    if (atomic_exchange(&wd_started, 1))
        return;
    if (!wd_state) {
        wd_state = lw_mmap_zero(sizeof *wd_state);
        if (!wd_state)
            return;
        wd_state->registry_slot = -1;
    }
    LW_REAL(pthread_create);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the watchdog never takes the program's signals */
    pthread_t th;
    if (lw_real_pthread_create(&th, &attr, watchdog_main, NULL) != 0)
        atomic_store(&wd_started, 0);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

void lw_watchdog_after_fork(void)
{
    atomic_store(&wd_started, 0);
    atomic_store(&report_lock, 0);
    last_signature = reported_signature = 0;
    if (wd_state) {
        wd_state->chunk = NULL;
        wd_state->chunk_pos = wd_state->chunk_size = 0;
    }
}

void lw_report_self_spin(struct lw_thread *t, uintptr_t addr)
{
    if (lw_enter() != t)
        return;
    lw_report_self_relock_kind(t, addr, lw_lock_id(addr, LW_LOCK_SPIN, 0), LW_LOCK_SPIN);
    lw_leave();
}

void lw_report_self_relock(struct lw_thread *t, uintptr_t addr, uint32_t lock_id)
{
    lw_report_self_relock_kind(t, addr, lock_id, LW_LOCK_MUTEX);
}

void lw_report_self_relock_kind(struct lw_thread *t, uintptr_t addr, uint32_t lock_id,
                                uint16_t kind)
{
    struct lw_deadlock_entry e;
    memset(&e, 0, sizeof e);
    e.thread_id = t->id;
    e.wait_kind = kind == LW_LOCK_SPIN ? LW_WAIT_SPIN : LW_WAIT_MUTEX;
    e.wait_addr = addr;
    e.target_thread = t->id;
    e.stack_id = lw_stack_capture();
    describe_entry(t, t, &e);
    if (kind != LW_LOCK_MUTEX && lock_id)
        lw_lock_describe(t, addr, lock_id, kind);
    e.lock_id = lock_id ? lock_id : e.lock_id;
    write_deadlock(t, LW_DETECT_SELF_RELOCK, &e, 1);
    lw_say("lockwatch: deadlock: a thread relocks a non-recursive mutex it already holds", "", "");
    say_deadlock(1);
    act();
}
