/*
 * The recorder's life: the constructor reads LOCKWATCH_OPTIONS, opens the log and records the
 * process, its modules and its first thread; the destructor (at exit) closes the log with an
 * END record, and so do _exit and _Exit, which skip destructors, and quick_exit (after the
 * program's at_quick_exit handlers); the fork handler gives the child a log of its own. Any
 * failure leaves the shim inert — the program then runs exactly as it would without lockwatch —
 * after one line on stderr. setuid/setgid programs (AT_SECURE) are never recorded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "annotate.h"
#include "glibc_mutex_fast.h"
#include "race.h"
#include "real.h"
#include "shim.h"

_Atomic int lw_state;
struct lw_options lw_opts = {.log_dir = ".", .stack_depth = 32};

#define LW_STATE_OFF 2

void lw_say(const char *a, const char *b, const char *c)
{
    int saved = errno, cancel_state;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE,
                           &cancel_state); /* write is a cancellation point */
    const char *parts[4] = {a, b, c, "\n"};
    for (int i = 0; i < 4; i++) {
        size_t n = strlen(parts[i]);
        while (n) {
            ssize_t w = write(2, parts[i], n);
            if (w <= 0)
                break;
            parts[i] += w;
            n -= (size_t)w;
        }
    }
    pthread_setcancelstate(cancel_state, &cancel_state);
    errno = saved;
}

uint64_t lw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* PROCESS record, module map and thread 1, written at the start of every log. */
static void record_process_start(void)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    const char *exe = lw_exe_path();
    size_t len = strnlen(exe, LW_PATH_MAX - 1);
    uint32_t size = (uint32_t)((sizeof(struct lw_rec_process) + len + 1 + 7) & ~7u);
    struct lw_rec_process *r = lw_log_reserve(t, size);
    if (r) {
        r->pid = (uint64_t)getpid();
        r->ppid = (uint64_t)getppid();
        r->exe_len = (uint32_t)len;
        memcpy(r + 1, exe, len);
        ((char *)(r + 1))[len] = 0;
        lw_log_publish(t, r, LW_REC_PROCESS, 0, size);
    }
    lw_modules_record(t);
    lw_leave();
}

static void lw_atfork_child(void)
{
    if (atomic_load(&lw_state) != LW_STATE_RECORDING)
        return;
    int saved = errno;
    /* Only the forking thread exists in the child. Its held locks stay held (they are, in the
     * child too); everything else starts afresh in a log named with the child's pid. */
    struct lw_thread *t = lw_thread_peek();
    lw_fork_collect_held(t);
    lw_race_after_fork_child();
    lw_thread_ranges_after_fork();
    lw_modules_new_log();
    lw_watchdog_after_fork();
    lw_log_reopen_in_child();
    if (t)
        lw_thread_reset_for_child(t);
    record_process_start();
    if (t && lw_enter() == t) {
        lw_fork_write_held(t);
        lw_leave();
    }
    errno = saved;
}

/* True if the mutex functions the shim would call next (pthread_mutex_* and C11 mtx_*) are
 * glibc's own (in libc.so.6, or in libpthread.so.0 before glibc 2.34), not another preloaded
 * interposer's: only then may the shim do glibc's fast path instead of calling them (an
 * interposer after us, a profiler say, must still see every call). */
static bool mutex_calls_reach_glibc(void)
{
    void *const fns[] = {
        (void *)lw_real_pthread_mutex_lock,   (void *)lw_real_pthread_mutex_trylock,
        (void *)lw_real_pthread_mutex_unlock, (void *)lw_real_mtx_lock,
        (void *)lw_real_mtx_trylock,          (void *)lw_real_mtx_unlock};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        Dl_info next;
        if (!fns[i] && i >= 3)
            continue; /* no C11 threads in this glibc (before 2.28): nothing to take inline */
        if (!fns[i] || !dladdr(fns[i], &next) || !next.dli_fname)
            return false;
        const char *slash = strrchr(next.dli_fname, '/');
        const char *base = slash ? slash + 1 : next.dli_fname;
        if (strcmp(base, "libc.so.6") != 0 && strcmp(base, "libpthread.so.0") != 0)
            return false;
    }
    return true;
}

static void close_log_at_quick_exit(void);

/* glibc's exit and quick_exit, as code ranges [lo, hi) (lw_process_exiting); 0, 0 if unknown. */
static uintptr_t exit_lo[2], exit_hi[2];

/* The code range of function f from its dynamic symbol's size. */
static void function_range(void *f, uintptr_t *lo, uintptr_t *hi)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (f && dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size) {
        *lo = (uintptr_t)f;
        *hi = *lo + sym->st_size;
    }
}

bool lw_process_exiting(void)
{
    return exit_hi[0] && lw_stack_passes_through(exit_lo, exit_hi, 2);
}

__attribute__((constructor(101))) static void lw_init(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&lw_state, &expected, -1))
        return;
    lw_real_resolve_all();
    lw_cond_resolve();
    lw_heap_resolve();
    if (getauxval(AT_SECURE)) {
        atomic_store(&lw_state, LW_STATE_OFF); /* never write files for a setuid program */
        return;
    }
    char err[256];
    if (lw_options_parse(getenv("LOCKWATCH_OPTIONS"), &lw_opts, err, sizeof err) != 0) {
        lw_say("lockwatch: ", err, "; not recording");
        atomic_store(&lw_state, LW_STATE_OFF);
        return;
    }
    lw_lock_table_init();
    lw_tid_map_init();
    lw_addr_map_init();
    lw_stack_init();
    lw_thread_init_key();
    if (lw_log_open() != 0) {
        atomic_store(&lw_state, LW_STATE_OFF);
        return;
    }
    pthread_atfork(NULL, NULL, lw_atfork_child);
    function_range(dlsym(RTLD_NEXT, "exit"), &exit_lo[0], &exit_hi[0]);
    function_range((void *)lw_real_quick_exit, &exit_lo[1], &exit_hi[1]);
    /* Registered before the program registers its own, so it runs after them (LIFO): their
     * locking is in the log before the END record. */
    at_quick_exit(close_log_at_quick_exit);
    /* Not under Valgrind: its tools (Helgrind, DRD) see a mutex operation only when glibc's
     * function runs, so done inline the program's locking would be invisible to them and its
     * locked data would look racy. */
    atomic_store_explicit(
        &lw_mutex_fast_on,
        lw_opts.mutex_fast_path && !LW_RUNNING_ON_VALGRIND() &&
            lw_mutex_fast_allowed(gnu_get_libc_version(), getenv("GLIBC_TUNABLES")) &&
            mutex_calls_reach_glibc(),
        memory_order_relaxed);
    if (lw_opts.verbose)
        lw_say("lockwatch: default mutexes: ",
               atomic_load(&lw_mutex_fast_on) ? "glibc's fast path done inline"
                                              : "every operation through glibc",
               "");
    atomic_store(&lw_state, LW_STATE_RECORDING);
    record_process_start();
}

__attribute__((destructor(101))) static void lw_fini(void)
{
    if (atomic_load(&lw_state) != LW_STATE_RECORDING)
        return;
    struct lw_thread *t = lw_enter();
    if (t) {
        lw_log_close(-1);
        lw_leave();
    }
}

/* Before _exit/_Exit(status): closes the log as the destructor does at exit(), with the status
 * (/bin/sh on Debian is dash, which leaves through _exit, as do children whose exec failed).
 * Not in a vfork child, which shares the parent's memory and log (lw_log_is_this_process), and
 * not from a signal handler that interrupted the shim itself (lw_enter says so). */
static void close_log_before_exit(int status)
{
    if (atomic_load(&lw_state) != LW_STATE_RECORDING || !lw_log_is_this_process())
        return;
    struct lw_thread *t = lw_enter();
    if (t) {
        lw_log_close(status);
        lw_leave();
    }
}

/* The status quick_exit was given (-1 until then): glibc runs the at_quick_exit handlers and
 * then its internal _exit, which no wrapper sees. */
static _Atomic int quick_exit_status = -1;

/* at_quick_exit handler: closes the log with quick_exit's status. */
static void close_log_at_quick_exit(void)
{
    close_log_before_exit(atomic_load(&quick_exit_status));
}

/* Ends the process through `real`, or the system call if it could not be resolved. */
static _Noreturn void exit_through(void (*real)(int), int status)
{
    if (real)
        real(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

_Noreturn void lw_exit_without_end(int status)
{
    LW_REAL(_exit);
    exit_through(lw_real__exit, status);
}

LW_EXPORT _Noreturn void _exit(int status)
{
    close_log_before_exit(status);
    LW_REAL(_exit);
    exit_through(lw_real__exit, status);
}

LW_EXPORT _Noreturn void quick_exit(int status)
{
    atomic_store(&quick_exit_status, status);
    LW_REAL(quick_exit);
    exit_through(lw_real_quick_exit, status);
}

LW_EXPORT _Noreturn void _Exit(int status)
{
    close_log_before_exit(status);
    LW_REAL(_Exit);
    exit_through(lw_real__Exit, status);
}
