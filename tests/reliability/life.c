/*
 * Reliability test program for process life (tests/reliability/rel.sh): records a lock-order
 * inversion, then leaves or multiplies the process in one of many ways (return, exit, _exit,
 * abort, a fatal signal, SIGKILL from outside, fork, vfork+exec, posix_spawn, system, exec), or
 * takes locks in atexit handlers and destructors, or drives a dlopen'ed library. The driver then
 * checks the logs with `lockwatch report --format json` (rel_check.py). Built -g -O1.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel_util.h"

extern char **environ;

/* In librel_late.so: its destructor runs after liblockwatch's (it is initialised before it). */
void rel_late_touch(void);

static pthread_mutex_t parent_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t parent_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t child_c = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t child_d = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t exit_e = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t exit_f = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t spin_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *self_path;
static int lock_at_exit; /* atexit mode: the destructor locks too */
static pthread_mutex_t dl_x = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t dl_y = PTHREAD_MUTEX_INITIALIZER;

struct pair {
    pthread_mutex_t *first, *second;
    void (*lock_pair)(pthread_mutex_t *, pthread_mutex_t *);
    rel_flag *wait_for, *post;
};

static void plain_lock_pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

static void *pair_thread(void *arg)
{
    struct pair *p = arg;
    if (p->wait_for)
        rel_flag_wait(p->wait_for);
    p->lock_pair(p->first, p->second);
    if (p->post)
        rel_flag_post(p->post);
    return NULL;
}

/* Two overlapping threads (both created before either is joined) take x,y and then y,x, one
 * after the other (a flag staggers them): a potential deadlock that never happens. */
static void invert_with(pthread_mutex_t *x, pthread_mutex_t *y,
                        void (*lock_pair)(pthread_mutex_t *, pthread_mutex_t *))
{
    rel_flag s = {0};
    pthread_t t1, t2;
    struct pair p1 = {x, y, lock_pair, NULL, &s}, p2 = {y, x, lock_pair, &s, NULL};
    if (pthread_create(&t1, NULL, pair_thread, &p1) ||
        pthread_create(&t2, NULL, pair_thread, &p2)) {
        fprintf(stderr, "life: pthread_create failed\n");
        exit(90);
    }
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
}

static void invert(pthread_mutex_t *x, pthread_mutex_t *y)
{
    invert_with(x, y, plain_lock_pair);
}

static atomic_int spinner_stop;

/* Keeps locking until the process ends: the exit paths run while another thread locks. */
static void *spinner(void *arg)
{
    (void)arg;
    while (!atomic_load(&spinner_stop)) {
        pthread_mutex_lock(&spin_lock);
        pthread_mutex_lock(&exit_e);
        pthread_mutex_unlock(&exit_e);
        pthread_mutex_unlock(&spin_lock);
    }
    return NULL;
}

static void start_spinner(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, spinner, NULL) == 0)
        pthread_detach(t);
}

static void exit_handler(void)
{
    plain_lock_pair(&exit_e, &exit_f);
    printf("atexit handler locked\n");
    fflush(stdout);
}

__attribute__((destructor)) static void main_destructor(void)
{
    if (!lock_at_exit)
        return;
    plain_lock_pair(&exit_f, &exit_e); /* the other order than exit_handler, same thread */
    static const char msg[] = "main destructor locked\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(91);
}

static int run_self(const char *mode)
{
    fflush(stdout);
    execl(self_path, self_path, mode, (char *)NULL);
    fprintf(stderr, "life: exec %s: %s\n", self_path, strerror(errno));
    _exit(92);
}

static int wait_status(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The mode that runs in children and exec'd images: an inversion of its own. */
static int mode_child(void)
{
    invert(&child_c, &child_d);
    printf("child %d done\n", (int)getpid());
    return 0;
}

static int mode_fork(void)
{
    start_spinner();
    invert(&parent_a, &parent_b);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 93;
    if (pid == 0) {
        atomic_store(&spinner_stop, 1);
        invert(&child_c, &child_d);
        printf("child %d\n", (int)getpid());
        exit(0);
    }
    int st = wait_status(pid);
    /* The parent goes on recording after the fork. */
    plain_lock_pair(&parent_a, &exit_e);
    printf("parent %d child-status %d\n", (int)getpid(), st);
    atomic_store(&spinner_stop, 1);
    return 0;
}

static int mode_vfork(void)
{
    invert(&parent_a, &parent_b);
    fflush(stdout);
    pid_t pid = vfork();
    if (pid < 0)
        return 93;
    if (pid == 0) {
        execl(self_path, self_path, "child", (char *)NULL);
        _exit(92);
    }
    printf("parent %d child %d child-status %d\n", (int)getpid(), (int)pid, wait_status(pid));
    return 0;
}

/* deadlock_exit: two threads deadlock on child_c/child_d (each holds one and waits for the
 * other); the process leaves through _exit(4) after 200 ms, before the watchdog (1 s) confirms
 * the deadlock: the report must rebuild it from the threads' last waits. */
static rel_flag dl_holds_c, dl_holds_d;

static void *deadlock_c_then_d(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&child_c);
    rel_flag_post(&dl_holds_c);
    rel_flag_wait(&dl_holds_d);
    pthread_mutex_lock(&child_d);
    return NULL;
}

static void *deadlock_d_then_c(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&child_d);
    rel_flag_post(&dl_holds_d);
    rel_flag_wait(&dl_holds_c);
    pthread_mutex_lock(&child_c);
    return NULL;
}

static int mode_deadlock_exit(void)
{
    pthread_t t1, t2;
    if (pthread_create(&t1, NULL, deadlock_c_then_d, NULL) ||
        pthread_create(&t2, NULL, deadlock_d_then_c, NULL))
        return 90;
    rel_flag_wait(&dl_holds_c);
    rel_flag_wait(&dl_holds_d);
    struct timespec ts = {0, 200000000L};
    nanosleep(&ts, NULL);
    _exit(4);
}

/* A vfork child that leaves through _exit without exec: it runs on the parent's memory, so the
 * shim must not close the parent's log from it; the parent records after it. */
static int mode_vfork_exit(void)
{
    fflush(stdout);
    pid_t pid = vfork();
    if (pid < 0)
        return 93;
    if (pid == 0)
        _exit(7);
    int st = wait_status(pid);
    invert(&parent_a, &parent_b);
    printf("parent %d child %d child-status %d\n", (int)getpid(), (int)pid, st);
    return 0;
}

static int mode_spawn(void)
{
    invert(&parent_a, &parent_b);
    pid_t pid;
    char *argv[] = {(char *)self_path, "child", NULL};
    fflush(stdout);
    int rc = posix_spawn(&pid, self_path, NULL, NULL, argv, environ);
    if (rc != 0)
        return 93;
    printf("parent %d child %d child-status %d\n", (int)getpid(), (int)pid, wait_status(pid));
    return 0;
}

static int mode_system(void)
{
    invert(&parent_a, &parent_b);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' child", self_path);
    fflush(stdout);
    int st = system(cmd);
    printf("parent %d system-status %d\n", (int)getpid(), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

static int mode_exec(void)
{
    invert(&parent_a, &parent_b);
    printf("pid %d\n", (int)getpid());
    return run_self("child");
}

/* exec_fail: every exec function on a path that does not exist; each must fail as natively
 * (-1, ENOENT) and leave the log as it was (then the process exits normally). */
static int mode_exec_fail(void)
{
    invert(&parent_a, &parent_b);
    static const char missing[] = "/nonexistent/lockwatch-no-such-program";
    char *const argv[] = {(char *)missing, NULL};
    char *const envp[] = {NULL};
    int rc[8], err[8], k = 0;
#define TRY(call)                                                                                  \
    do {                                                                                           \
        errno = 0;                                                                                 \
        rc[k] = (call);                                                                            \
        err[k++] = errno;                                                                          \
    } while (0)
    TRY(execl(missing, missing, "a", (char *)NULL));
    TRY(execle(missing, missing, "a", (char *)NULL, envp));
    TRY(execlp("lockwatch-no-such-program", "x", "a", (char *)NULL));
    TRY(execv(missing, argv));
    TRY(execve(missing, argv, envp));
    TRY(execvp("lockwatch-no-such-program", argv));
    TRY(execvpe("lockwatch-no-such-program", argv, envp));
    TRY(fexecve(-1, argv, envp));
#undef TRY
    for (int i = 0; i < k; i++)
        printf("exec %d: %d %s\n", i, rc[i], strerror(err[i]));
    return 0;
}

static int mode_atexit(void)
{
    rel_late_touch();
    lock_at_exit = 1;
    atexit(exit_handler);
    invert(&parent_a, &parent_b);
    start_spinner(); /* still locking while exit() runs handlers and destructors */
    printf("main returns\n");
    return 0;
}

static int mode_dlopen(const char *lib)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "life: dlopen: %s\n", dlerror());
        return 94;
    }
    void (*fn)(pthread_mutex_t *, pthread_mutex_t *);
    *(void **)&fn = dlsym(h, "rel_dl_lock_pair");
    if (!fn)
        return 95;
    invert_with(&dl_x, &dl_y, fn);
    if (dlclose(h) != 0)
        return 96;
    /* Something else may now be mapped where the library was; the report must still name it. */
    void *h2 = dlopen("libm.so.6", RTLD_NOW);
    if (h2)
        dlclose(h2);
    printf("dlopen done\n");
    return 0;
}

/* Output on both streams and a distinctive exit status, for the hostile-environment tests. */
static int mode_print(void)
{
    printf("print: stdout line 1\n");
    fprintf(stderr, "print: stderr line\n");
    invert(&parent_a, &parent_b);
    for (int i = 0; i < 3; i++)
        printf("print: %d\n", i * i);
    return 3;
}

/* exit_recording: threads keep recording new lock-order contexts (so they keep claiming log
 * chunks) while the main thread calls exit(7): the log's close must not cut the file under a
 * chunk one of them is claiming (that was SIGBUS in a third of the runs). */
#define RECORDING_LOCKS 4096
static pthread_mutex_t recording_locks[RECORDING_LOCKS];
static atomic_int recorders_started;

static void *recorder(void *arg)
{
    unsigned r = (unsigned)(uintptr_t)arg;
    atomic_fetch_add(&recorders_started, 1);
    for (;;) {
        r = r * 1103515245u + 12345u;
        unsigned a = (r >> 4) % RECORDING_LOCKS, b = (r >> 16) % RECORDING_LOCKS;
        if (a != b)
            plain_lock_pair(&recording_locks[a < b ? a : b], &recording_locks[a < b ? b : a]);
    }
    return NULL;
}

static int mode_exit_recording(void)
{
    for (int i = 0; i < RECORDING_LOCKS; i++)
        pthread_mutex_init(&recording_locks[i], NULL);
    for (uintptr_t i = 1; i <= 2; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, recorder, (void *)i) != 0)
            return 98;
    }
    while (atomic_load(&recorders_started) < 2)
        ;
    usleep(2000);
    exit(7);
}

/* Many distinct lock-order contexts (pairs of consecutive locks): a log of a few MiB. */
static int mode_many(int n)
{
    pthread_mutex_t *m = calloc((size_t)n + 1, sizeof *m);
    if (!m)
        return 97;
    for (int i = 0; i <= n; i++)
        pthread_mutex_init(&m[i], NULL);
    for (int i = 0; i < n; i++)
        plain_lock_pair(&m[i], &m[i + 1]);
    invert(&parent_a, &parent_b);
    printf("many: %d pairs\n", n);
    return 4;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODE\n", argv[0]);
        return 2;
    }
    self_path = "/proc/self/exe";
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        self_path = exe;
    }
    const char *mode = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(mode, "child"))
        return mode_child();
    if (!strcmp(mode, "fork"))
        return mode_fork();
    if (!strcmp(mode, "vfork"))
        return mode_vfork();
    if (!strcmp(mode, "deadlock_exit"))
        return mode_deadlock_exit();
    if (!strcmp(mode, "vfork_exit"))
        return mode_vfork_exit();
    if (!strcmp(mode, "spawn"))
        return mode_spawn();
    if (!strcmp(mode, "system"))
        return mode_system();
    if (!strcmp(mode, "exec"))
        return mode_exec();
    /* The list forms with arguments, an environment, a PATH search (rel.sh same_output). */
    if (!strcmp(mode, "execle")) {
        char *const envp[] = {"LW_A=1", "LW_B=two words", NULL};
        execle("/usr/bin/env", "env", (char *)NULL, envp);
        return 94;
    }
    if (!strcmp(mode, "execlp")) {
        execlp("echo", "echo", "x", "y z", "", "w", (char *)NULL);
        return 94;
    }
    if (!strcmp(mode, "exec_fail"))
        return mode_exec_fail();
    if (!strcmp(mode, "exit_recording"))
        return mode_exit_recording();
    if (!strcmp(mode, "atexit"))
        return mode_atexit();
    if (!strcmp(mode, "dlopen") && argc > 2)
        return mode_dlopen(argv[2]);
    if (!strcmp(mode, "euid")) {
        printf("euid %d secure %lu\n", (int)geteuid(), getauxval(AT_SECURE));
        return 0;
    }
    if (!strcmp(mode, "print"))
        return mode_print();
    if (!strcmp(mode, "many") && argc > 2)
        return mode_many(atoi(argv[2]));

    /* The ways out: record an inversion first, then leave. */
    invert(&parent_a, &parent_b);
    if (!strcmp(mode, "return"))
        return 0;
    if (!strcmp(mode, "exit"))
        exit(5);
    if (!strcmp(mode, "_exit"))
        _exit(6);
    if (!strcmp(mode, "_Exit"))
        _Exit(8);
    if (!strcmp(mode, "quick_exit")) {
        /* exit_f before exit_e here, the other order in the handler: an inversion only if what
         * the at_quick_exit handler locks is in the log. */
        at_quick_exit(exit_handler);
        plain_lock_pair(&exit_f, &exit_e);
        quick_exit(9);
    }
    if (!strcmp(mode, "abort"))
        abort();
    if (!strcmp(mode, "bad_free")) {
        /* A free of a pointer into a block: glibc aborts ("free(): invalid pointer"). What
         * precedes the pointer is the block's own data, so the size the shim asks for is
         * whatever lies there: here the largest there can be. */
        unsigned char *volatile block = malloc(256);
        if (!block)
            return 97;
        memset(block, 0xff, 256);
        if (block[120] != 0xff) /* read back: otherwise the fill is a dead store before free */
            return 96;
        uintptr_t inside = (uintptr_t)block + 128; /* hidden from the compiler's own check */
        free((void *)inside);
        return 98;
    }
    if (!strcmp(mode, "segv")) {
        volatile int *volatile p = NULL;
        *p = 1;
        return 98;
    }
    if (!strcmp(mode, "kill")) {
        start_spinner(); /* killed while a thread records */
        printf("ready\n");
        for (;;)
            pause();
    }
    fprintf(stderr, "life: unknown mode %s\n", mode);
    return 2;
}
