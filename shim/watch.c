/*
 * Watches: race detection for programs that cannot be rebuilt (the `watch` option). The
 * constructor finds each named global variable in the symbol table of the module's file on disk
 * (plain ELF parsing, bounds-checked), turns race mode on without __tsan_init (the sync hooks
 * then keep vector clocks as for an instrumented program) and protects the pages holding the
 * variables PROT_READ, so writes trap (reads are not watched: see docs/race-mode.md). A
 * fault on a watched page enters here: an access inside a watched variable is fed to the race
 * detector like an instrumented access at the faulting pc, with the stack unwound from the
 * signal frame; then the page is opened, the trap flag set, and after that one instruction the
 * SIGTRAP handler closes the page again. Each page counts the threads that have it open, so a
 * second thread faulting during another's step also steps, and the page closes when the last
 * one is done (an access by a third thread while it is open is not seen).
 *
 * The program must not notice: a fault elsewhere, or a SIGTRAP that is not our single step, goes
 * to the program's own disposition (its handler, or the default action as if lockwatch were
 * absent). sigaction/signal are interposed for SIGSEGV and SIGTRAP while watches are on: the
 * program's handler is recorded and called from ours. pthread_sigmask/sigprocmask never really
 * block those two (a blocked synchronous fault kills the process), but report them as the
 * program set them. Limits: docs/race-mode.md, "Watches".
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "race_internal.h"
#include "real.h"

#define WATCH_MAX 64u
#define WATCH_NAME_MAX 128u
#define PAGE_MAX 128u
#define STEP_PAGES 8u        /* pages one instruction may open (a nested fault adds one) */
#define TRAP_FLAG 0x100ull   /* EFLAGS.TF: trap after the next instruction */
#define ERR_WRITE 0x2ull     /* page-fault error code: the access was a write */
#define ELF_MAX (1ull << 31) /* larger files are not parsed */

struct watch {
    uintptr_t addr;
    size_t size;
    char name[WATCH_NAME_MAX];
};

struct wpage {
    uintptr_t addr;
    int prot_orig; /* what the page had before we protected it */
    int open;      /* threads stepping with it opened (under page_lock) */
    bool ok;       /* protected at start */
};

static struct watch watches[WATCH_MAX];
static unsigned n_watches;
static struct wpage pages[PAGE_MAX];
static unsigned n_pages;
static uintptr_t page_size;
static int watch_prot;
static _Atomic int watch_on;
/* Taken only inside our handlers, which run with every signal blocked: no same-thread
 * re-entry, so a spin lock is safe there. */
static _Atomic int page_lock;

/* The calling thread's single step in progress. */
struct step {
    unsigned n;
    unsigned page[STEP_PAGES];
    bool trap_was_blocked; /* SIGTRAP was in the interrupted mask: put it back after the step */
};
static LW_TLS struct step step;

/* The program's view of SIGSEGV (0) and SIGTRAP (1), and of their blocking per thread. */
static struct sigaction prog_act[2];
static LW_TLS unsigned prog_blocked; /* bit 0: SIGSEGV, bit 1: SIGTRAP */
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*real_pthread_sigmask)(int, const sigset_t *, sigset_t *);
static int (*real_sigprocmask)(int, const sigset_t *, sigset_t *);

static int sig_index(int sig)
{
    return sig == SIGSEGV ? 0 : sig == SIGTRAP ? 1 : -1;
}

/* ---- symbol lookup in the file on disk ---- */

/* Finds an object symbol `name` in path's .symtab (else .dynsym). 0: found (*value, *size);
 * -1: not found; -2: the file cannot be read as a 64-bit ELF; -3: several different symbols. */
static int elf_find(const char *path, const char *name, uint64_t *value, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -2;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr) ||
        (uint64_t)st.st_size > ELF_MAX) {
        close(fd);
        return -2;
    }
    uint64_t fsize = (uint64_t)st.st_size;
    const unsigned char *f = mmap(NULL, fsize, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f == MAP_FAILED)
        return -2;
    int rc = -2;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > fsize ||
        (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > fsize - eh->e_shoff)
        goto out;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
    rc = -1;
    /* .symtab has local statics too; a stripped file still has .dynsym for exported ones. */
    for (int pass = 0; pass < 2 && rc == -1; pass++) {
        uint32_t want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
        for (unsigned s = 0; s < eh->e_shnum && rc == -1; s++) {
            if (sh[s].sh_type != want || sh[s].sh_entsize != sizeof(Elf64_Sym) ||
                sh[s].sh_link >= eh->e_shnum)
                continue;
            const Elf64_Shdr *str = &sh[sh[s].sh_link];
            if (sh[s].sh_offset > fsize || sh[s].sh_size > fsize - sh[s].sh_offset ||
                str->sh_offset > fsize || str->sh_size > fsize - str->sh_offset)
                continue;
            const Elf64_Sym *sym = (const Elf64_Sym *)(f + sh[s].sh_offset);
            const char *strs = (const char *)(f + str->sh_offset);
            uint64_t n = sh[s].sh_size / sizeof(Elf64_Sym), len = strlen(name);
            int found = 0;
            for (uint64_t i = 0; i < n; i++) {
                if (ELF64_ST_TYPE(sym[i].st_info) != STT_OBJECT || sym[i].st_shndx == SHN_UNDEF ||
                    sym[i].st_name >= str->sh_size || str->sh_size - sym[i].st_name <= len ||
                    memcmp(strs + sym[i].st_name, name, len + 1) != 0)
                    continue;
                if (found && sym[i].st_value != *value) {
                    found = 2; /* two statics of that name in different files */
                    break;
                }
                found = 1;
                *value = sym[i].st_value;
                *size = sym[i].st_size;
            }
            rc = found == 1 ? 0 : found == 2 ? -3 : -1;
        }
    }
out:
    munmap((void *)f, fsize);
    return rc;
}

/* The loaded module a watch names: the main program (module NULL) or the object whose file
 * name is `module`. */
struct module_query {
    const char *module;
    bool found;
    char path[LW_PATH_MAX];
    uintptr_t base;
    const ElfW(Phdr) * phdr;
    unsigned phnum;
};

static int module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct module_query *q = arg;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
    if (q->module) {
        const char *slash = name ? strrchr(name, '/') : NULL;
        const char *base = slash ? slash + 1 : name;
        if (!base || strcmp(base, q->module) != 0)
            return 0;
    } else if (name) {
        return 0; /* the main program comes first, with an empty name */
    }
    const char *path = name ? name : lw_exe_path();
    size_t len = strnlen(path, sizeof q->path - 1);
    memcpy(q->path, path, len);
    q->path[len] = 0;
    q->base = info->dlpi_addr;
    q->phdr = info->dlpi_phdr;
    q->phnum = info->dlpi_phnum;
    q->found = true;
    return 1;
}

/* Original protection of [addr, addr + size) if it lies in a writable segment outside RELRO,
 * else -1. */
static int writable_prot(const struct module_query *q, uintptr_t addr, size_t size)
{
    int prot = -1;
    for (unsigned i = 0; i < q->phnum; i++) {
        const ElfW(Phdr) *p = &q->phdr[i];
        uintptr_t lo = q->base + p->p_vaddr, hi = lo + p->p_memsz;
        if (p->p_type == PT_GNU_RELRO && addr < hi && addr + size > lo)
            return -1;
        if (p->p_type == PT_LOAD && (p->p_flags & PF_W) && addr >= lo && addr + size <= hi)
            prot = PROT_READ | PROT_WRITE | ((p->p_flags & PF_X) ? PROT_EXEC : 0);
    }
    return prot;
}

static void add_pages(uintptr_t addr, size_t size, int prot)
{
    for (uintptr_t pg = addr & ~(page_size - 1); pg < addr + size; pg += page_size) {
        bool have = false;
        for (unsigned i = 0; i < n_pages; i++)
            have |= pages[i].addr == pg;
        if (!have && n_pages < PAGE_MAX)
            pages[n_pages++] = (struct wpage){.addr = pg, .prot_orig = prot};
    }
}

/* Resolves one "name" or "name@module" item and adds it. */
static void add_watch(const char *item, size_t n)
{
    char name[WATCH_NAME_MAX], module[WATCH_NAME_MAX];
    const char *at = memchr(item, '@', n);
    size_t nlen = at ? (size_t)(at - item) : n, mlen = at ? n - nlen - 1 : 0;
    if (nlen == 0 || nlen >= sizeof name || mlen >= sizeof module) {
        lw_say("lockwatch: watch: bad item '", item, "' (expected NAME or NAME@MODULE); skipped");
        return;
    }
    memcpy(name, item, nlen);
    name[nlen] = 0;
    memcpy(module, at ? at + 1 : "", mlen);
    module[mlen] = 0;
    struct module_query q = {.module = at ? module : NULL};
    dl_iterate_phdr(module_cb, &q);
    if (!q.found) {
        lw_say("lockwatch: watch: no loaded module '", module, "'; watch skipped");
        return;
    }
    uint64_t value = 0, size = 0;
    int rc = elf_find(q.path, name, &value, &size);
    if (rc != 0) {
        lw_say("lockwatch: watch: ", name,
               rc == -1   ? ": no such global variable in the symbol table; watch skipped"
               : rc == -3 ? ": several static variables have that name; watch skipped"
                          : ": cannot read the module's symbol table; watch skipped");
        return;
    }
    uintptr_t addr = q.base + (uintptr_t)value;
    if (size == 0)
        size = 8; /* no size recorded (assembly): assume one word */
    int prot = writable_prot(&q, addr, size);
    if (prot < 0) {
        lw_say("lockwatch: watch: ", name,
               ": not in writable memory (constant or read-only after relocation); skipped");
        return;
    }
    if (n_watches == WATCH_MAX) {
        lw_say("lockwatch: watch: ", name, ": too many watches (64 at most); skipped");
        return;
    }
    struct watch *w = &watches[n_watches++];
    w->addr = addr;
    w->size = size;
    memcpy(w->name, name, nlen + 1);
    add_pages(addr, size, prot);
}

/* ---- page bookkeeping (handlers only) ---- */

static int page_of(uintptr_t a)
{
    for (unsigned i = 0; i < n_pages; i++)
        if (pages[i].ok && a - pages[i].addr < page_size)
            return (int)i;
    return -1;
}

static void page_lock_take(void)
{
    lw_spin_acquire(&page_lock);
}

static void page_lock_drop(void)
{
    atomic_store_explicit(&page_lock, 0, memory_order_release);
}

/* Opens page i for the calling thread's step. False if mprotect failed. */
static bool page_open(unsigned i)
{
    bool ok = true;
    page_lock_take();
    if (pages[i].open++ == 0)
        ok = mprotect((void *)pages[i].addr, page_size, pages[i].prot_orig) == 0;
    page_lock_drop();
    return ok;
}

static void page_close(unsigned i)
{
    page_lock_take();
    if (--pages[i].open == 0 && atomic_load(&watch_on))
        mprotect((void *)pages[i].addr, page_size, watch_prot);
    page_lock_drop();
}

/* Something went wrong in a handler: open every page for good (the program keeps running,
 * unwatched). */
static void watches_stop(void)
{
    atomic_store(&watch_on, 0);
    for (unsigned i = 0; i < n_pages; i++)
        if (pages[i].ok)
            mprotect((void *)pages[i].addr, page_size, pages[i].prot_orig);
}

/* ---- recording ---- */

#if defined(__x86_64__)
/* Feeds the access at a (in watch w) to the race detector like an instrumented access at the
 * faulting instruction: the callers, unwound from the signal frame, stand in for the shadow call
 * stack that __tsan_func_entry would have built. */
static void record_access(const struct watch *w, uintptr_t a, bool write, const ucontext_t *uc)
{
    if (lw_tls.depth)
        return; /* the shim itself touched the page (a lock word next to the variable) */
    struct lw_race_thread *rt = lw_race_tls ? lw_race_tls : lw_race_thread_slow();
    if (!rt || rt->busy || rt->ignore)
        return;
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    void *buf[LW_RACE_SHADOW_DEPTH + 16];
    lw_tls.depth = 1; /* libunwind's own locks pass straight through the shim */
    int n = unw_backtrace(buf, (int)(sizeof buf / sizeof buf[0]));
    lw_tls.depth = 0;
    int top = 0;
    while (top < n && (uintptr_t)buf[top] != rip)
        top++;
    uint32_t m = 0;
    uint64_t saved_stack[LW_RACE_SHADOW_DEPTH];
    uint32_t saved_depth = rt->depth;
    memcpy(saved_stack, rt->shadow_stack, sizeof saved_stack);
    for (int i = n - 1; i > top && m < LW_RACE_SHADOW_DEPTH; i--) /* outermost first */
        rt->shadow_stack[m++] = (uint64_t)(uintptr_t)buf[i];
    rt->depth = m;
    /* Size: a scalar is taken whole; in a larger object (array, struct) only the first byte is
     * known to be touched, so neighbouring elements never look like one location. */
    uintptr_t size = w->size <= 8 ? w->size : 1;
    uintptr_t start = w->size <= 8 ? w->addr : a;
    /* rip + 1: reports symbolize frame 0 as a return address (pc - 1), like the instrumented
     * hooks' pcs; rip + 1 - 1 is the faulting instruction itself. */
    lw_race_access_slow(rt, start, size, write ? LW_RACE_WRITE : 0, rip + 1);
    rt->depth = saved_depth;
    memcpy(rt->shadow_stack, saved_stack, sizeof saved_stack);
}
#endif

/* ---- handlers ---- */

static void handler_of(const struct sigaction *a, void **h)
{
    *h = (a->sa_flags & SA_SIGINFO) ? (void *)a->sa_sigaction : (void *)a->sa_handler;
}

/* Not ours: do what the program's disposition says, as the kernel would have. */
static void chain(int sig, siginfo_t *si, void *uc)
{
    int k = sig_index(sig);
    struct sigaction act = prog_act[k];
    void *h;
    handler_of(&act, &h);
    bool from_kernel = si->si_code > 0; /* a fault or trap, not kill/raise */
    if (h == (void *)SIG_IGN && !from_kernel)
        return;
    if (h == (void *)SIG_DFL || h == (void *)SIG_IGN) {
        /* The default action (a fault that is ignored kills too). A SIGSEGV fault happens
         * again when we return; anything else is raised again, pending until we return. */
        struct sigaction d;
        memset(&d, 0, sizeof d);
        d.sa_handler = SIG_DFL;
        real_sigaction(sig, &d, NULL);
        if (!(sig == SIGSEGV && from_kernel))
            syscall(SYS_tgkill, getpid(), gettid(), sig);
        return;
    }
    if (act.sa_flags & SA_RESETHAND) {
        memset(&prog_act[k], 0, sizeof prog_act[k]);
        prog_act[k].sa_handler = SIG_DFL;
    }
    /* The mask the kernel would have set for the program's handler. */
    sigset_t mask = ((ucontext_t *)uc)->uc_sigmask;
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&act.sa_mask, s) == 1)
            sigaddset(&mask, s);
    if (!(act.sa_flags & SA_NODEFER))
        sigaddset(&mask, sig);
    sigdelset(&mask, SIGSEGV); /* never really blocked while watching (see sigprocmask) */
    sigdelset(&mask, SIGTRAP);
    real_pthread_sigmask(SIG_SETMASK, &mask, NULL);
    if (act.sa_flags & SA_SIGINFO)
        act.sa_sigaction(sig, si, uc);
    else
        act.sa_handler(sig);
}

#if defined(__x86_64__)
static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    int saved = errno;
    ucontext_t *uc = ucv;
    uintptr_t a = (uintptr_t)si->si_addr;
    int pi = si->si_code == SEGV_ACCERR ? page_of(a) : -1;
    if (pi < 0) {
        chain(sig, si, ucv);
        errno = saved;
        return;
    }
    if (!atomic_load(&watch_on)) { /* stopped meanwhile: the page is open, just retry */
        errno = saved;
        return;
    }
    for (unsigned i = 0; i < n_watches; i++)
        if (a - watches[i].addr < watches[i].size) {
            bool write = watch_prot == PROT_READ || (uc->uc_mcontext.gregs[REG_ERR] & ERR_WRITE);
            record_access(&watches[i], a, write, uc);
            break;
        }
    if (step.n == STEP_PAGES || !page_open((unsigned)pi)) {
        lw_say("lockwatch: watch: cannot single-step over a watched access; watches stopped", "",
               "");
        watches_stop();
        errno = saved;
        return;
    }
    if (step.n++ == 0) {
        step.trap_was_blocked = sigismember(&uc->uc_sigmask, SIGTRAP) == 1;
        sigdelset(&uc->uc_sigmask, SIGTRAP);
        uc->uc_mcontext.gregs[REG_EFL] |= (greg_t)TRAP_FLAG;
    }
    step.page[step.n - 1] = (unsigned)pi;
    errno = saved;
}

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
    int saved = errno;
    ucontext_t *uc = ucv;
    if (step.n == 0 || si->si_code != TRAP_TRACE) {
        chain(sig, si, ucv);
        errno = saved;
        return;
    }
    uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
    if (step.trap_was_blocked)
        sigaddset(&uc->uc_sigmask, SIGTRAP);
    for (unsigned i = 0; i < step.n; i++)
        page_close(step.page[i]);
    step.n = 0;
    errno = saved;
}

/* Our handler for sig: every signal blocked while it runs (chain() sets the program's mask
 * before calling its handler), on the alternate stack if the thread has one. */
static int install(int sig, void (*fn)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigfillset(&sa.sa_mask);
    return real_sigaction(sig, &sa, NULL);
}
#endif

/* ---- start ---- */

/* In a forked child: only the forking thread exists, and it was not stepping (fork is a call of
 * the program, never between a fault and its trap). A page other threads had open stays open
 * for ever, and the page lock they may have held is never released: close every page and free
 * the lock. */
static void watch_after_fork(void)
{
    atomic_store_explicit(&page_lock, 0, memory_order_relaxed);
    for (unsigned i = 0; i < n_pages; i++)
        if (pages[i].open) {
            pages[i].open = 0;
            if (pages[i].ok && atomic_load(&watch_on))
                mprotect((void *)pages[i].addr, page_size, watch_prot);
        }
}

__attribute__((constructor(102))) static void watch_start(void)
{
    if (!lw_opts.watch[0] || atomic_load(&lw_state) != LW_STATE_RECORDING)
        return;
#if !defined(__x86_64__)
    lw_say("lockwatch: watch: watches need x86_64; not watching", "", "");
#else
    int saved = errno;
    real_sigaction =
        (int (*)(int, const struct sigaction *, struct sigaction *))lw_real_resolve("sigaction");
    real_pthread_sigmask =
        (int (*)(int, const sigset_t *, sigset_t *))lw_real_resolve("pthread_sigmask");
    real_sigprocmask = (int (*)(int, const sigset_t *, sigset_t *))lw_real_resolve("sigprocmask");
    page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    if (!real_sigaction || !real_pthread_sigmask || !real_sigprocmask || !page_size) {
        lw_say("lockwatch: watch: signal functions not found; not watching", "", "");
        errno = saved;
        return;
    }
    watch_prot = PROT_READ; /* writes only: see docs/race-mode.md, "Watches" */
    for (const char *p = lw_opts.watch; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[WATCH_NAME_MAX * 2 + 2];
        if (n >= sizeof item)
            n = sizeof item - 1;
        memcpy(item, p, n);
        item[n] = 0;
        if (n)
            add_watch(item, n);
        p += end ? (size_t)(end - p) + 1 : n;
    }
    if (!n_watches) {
        errno = saved;
        return;
    }
    /* Race mode without __tsan_init: the same shadow and clock tables (both initialisations are
     * idempotent, so an instrumented program calling __tsan_init later is fine). */
    if (!lw_race_shadow_init()) {
        lw_say("lockwatch: watch: no address space for shadow memory; not watching", "", "");
        errno = saved;
        return;
    }
    lw_race_sync_init();
    atomic_store_explicit(&lw_race_enabled, 1, memory_order_release);
    real_sigaction(SIGSEGV, NULL, &prog_act[0]);
    real_sigaction(SIGTRAP, NULL, &prog_act[1]);
    if (install(SIGSEGV, on_segv) != 0 || install(SIGTRAP, on_trap) != 0) {
        real_sigaction(SIGSEGV, &prog_act[0], NULL);
        real_sigaction(SIGTRAP, &prog_act[1], NULL);
        lw_say("lockwatch: watch: cannot install the SIGSEGV/SIGTRAP handlers; not watching", "",
               "");
        errno = saved;
        return;
    }
    atomic_store(&watch_on, 1);
    pthread_atfork(NULL, NULL, watch_after_fork);
    for (unsigned i = 0; i < n_pages; i++) {
        pages[i].ok = mprotect((void *)pages[i].addr, page_size, watch_prot) == 0;
        if (!pages[i].ok)
            lw_say("lockwatch: watch: cannot protect a watched page (", strerror(errno),
                   "); its variables are not watched");
    }
    if (lw_opts.verbose)
        for (unsigned i = 0; i < n_watches; i++)
            lw_say("lockwatch: watching '", watches[i].name,
                   watch_prot == PROT_NONE ? "' (reads and writes)" : "' (writes)");
    errno = saved;
#endif
}

/* ---- the program's signal functions, while watches are on ---- */

LW_EXPORT int sigaction(int sig, const struct sigaction *__restrict act,
                        struct sigaction *__restrict old)
{
    int k = sig_index(sig);
    if (k < 0 || !atomic_load(&watch_on)) {
        if (!real_sigaction)
            real_sigaction = (int (*)(int, const struct sigaction *,
                                      struct sigaction *))lw_real_resolve("sigaction");
        if (act && atomic_load(&watch_on) &&
            (sigismember(&act->sa_mask, SIGSEGV) == 1 ||
             sigismember(&act->sa_mask, SIGTRAP) == 1)) {
            /* A handler that blocks SIGSEGV would make a watched access inside it fatal. */
            struct sigaction copy = *act;
            sigdelset(&copy.sa_mask, SIGSEGV);
            sigdelset(&copy.sa_mask, SIGTRAP);
            return real_sigaction(sig, &copy, old);
        }
        return real_sigaction(sig, act, old);
    }
    /* Ours stays installed; the program's action is what it sees and what we chain to. */
    struct sigaction prev = prog_act[k];
    if (act)
        prog_act[k] = *act;
    if (old)
        *old = prev;
    return 0;
}

LW_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    int k = sig_index(sig);
    if (k < 0 || !atomic_load(&watch_on)) {
        static sighandler_t (*real_signal)(int, sighandler_t);
        if (!real_signal)
            real_signal = (sighandler_t(*)(int, sighandler_t))lw_real_resolve("signal");
        return real_signal(sig, h);
    }
    /* glibc's signal(): BSD semantics, the signal blocked in its handler, calls restarted. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = SA_RESTART;
    sigaddset(&sa.sa_mask, sig);
    sigaction(sig, &sa, &old);
    return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)(void *)old.sa_sigaction : old.sa_handler;
}

/* A synchronous SIGSEGV or SIGTRAP that is blocked kills the process, so while watching they are
 * never really blocked; the thread's mask as the program set it is kept in prog_blocked. */
static int mask_call(int (*real)(int, const sigset_t *, sigset_t *), int how, const sigset_t *set,
                     sigset_t *old)
{
    if (!atomic_load(&watch_on))
        return real(how, set, old);
    unsigned before = prog_blocked;
    sigset_t copy;
    if (set) {
        copy = *set;
        unsigned bits =
            (sigismember(set, SIGSEGV) == 1 ? 1u : 0u) | (sigismember(set, SIGTRAP) == 1 ? 2u : 0u);
        if (how == SIG_BLOCK)
            prog_blocked |= bits;
        else if (how == SIG_UNBLOCK)
            prog_blocked &= ~bits;
        else if (how == SIG_SETMASK)
            prog_blocked = bits;
        sigdelset(&copy, SIGSEGV);
        sigdelset(&copy, SIGTRAP);
    }
    int rc = real(how, set ? &copy : NULL, old);
    if (rc != 0) {
        prog_blocked = before; /* EINVAL for a bad `how`: nothing changed */
        return rc;
    }
    if (old) {
        if (before & 1u)
            sigaddset(old, SIGSEGV);
        if (before & 2u)
            sigaddset(old, SIGTRAP);
    }
    return rc;
}

LW_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!real_pthread_sigmask)
        real_pthread_sigmask =
            (int (*)(int, const sigset_t *, sigset_t *))lw_real_resolve("pthread_sigmask");
    return mask_call(real_pthread_sigmask, how, set, old);
}

LW_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!real_sigprocmask)
        real_sigprocmask =
            (int (*)(int, const sigset_t *, sigset_t *))lw_real_resolve("sigprocmask");
    return mask_call(real_sigprocmask, how, set, old);
}
