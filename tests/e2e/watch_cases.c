/*
 * Programs for the watch tests (tests/e2e/race.cmake, e2e.race.watch.*): plain, uninstrumented
 * code (gcc -g -O1 -pthread, not linked to lockwatch) run under `lockwatch run --watch counter`.
 * The case is argv[1]:
 *   racy       two threads increment `counter` with no lock, one after the other (a volatile
 *              flag, which is no synchronisation, orders them: a race) so that no write lands
 *              while the other thread single-steps with the page open (docs/race-mode.md,
 *              "Watches")
 *   mutex      the same under a mutex (no finding; the mutex may share counter's page)
 *   segv       writes through a null pointer on purpose: must die by SIGSEGV as natively
 *   handler    recovers from null writes with its own SIGSEGV handler (siglongjmp), counts
 *              SIGTRAPs raised on purpose with a signal() handler and blocks both signals in a
 *              worker that then increments the watched counter: output identical with watches
 *   fork       two threads keep writing `counter` (under the mutex) while the main thread forks
 *              20 times; each child writes it from a new thread and exits. A child must not hang
 *              on a page another thread of the parent had open, or on the lock it held, at the
 *              fork (prints "hung N"; exit status N)
 * The empty asm in the loops keeps gcc -O1 from folding the increments into one addition. The
 * work between increments matters: while one thread single-steps over its access the page is
 * open to all, and a thread doing nothing but increments could finish unseen in that window
 * (docs/race-mode.md, "Watches").
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int use_lock;
static int *volatile nowhere; /* NULL, read at run time: gcc cannot turn the write into a trap */

#define INCREMENTS 2000

static void *increment(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        if (use_lock)
            pthread_mutex_lock(&lock);
        int current_value = counter; /* race: read */
        counter = current_value + 1; /* race: write */
        if (use_lock)
            pthread_mutex_unlock(&lock);
        for (int k = 0; k < 2000; k++) /* other work: see "work" above */
            __asm__ volatile("" ::: "memory");
    }
    return NULL;
}

/* Set by the racy case's first thread when its increments are done. A volatile flag is no
 * synchronisation (lockwatch sees none, and in C11 terms its accesses race too), so the two
 * threads' writes to counter still race. */
static volatile int first_done;

/* The racy case: the second thread starts its increments only once the first is done, so that
 * each write finds the page protected and is seen, which makes the test deterministic. (A time
 * stagger was not enough: on a loaded machine the first thread could be preempted while it
 * single-stepped with the page open, and all of the second thread's writes went unseen.) */
static void *increment_later(void *arg)
{
    struct timespec ts = {0, 1000 * 1000};
    if (arg)
        while (!first_done)
            nanosleep(&ts, NULL);
    void *rc = increment(NULL);
    if (!arg)
        first_done = 1;
    return rc;
}

static int run_staggered(void)
{
    pthread_t t[2];
    for (intptr_t i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, increment_later, (void *)i) != 0)
            return 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return 0;
}

static int run_two(void *(*fn)(void *))
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, fn, NULL) != 0)
            return 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return 0;
}

static sigjmp_buf recover;
static volatile sig_atomic_t segvs, traps;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_addr == NULL)
        segvs++;
    siglongjmp(recover, 1);
}

static void on_trap(int sig)
{
    (void)sig;
    traps++;
}

/* Blocks every signal, then increments: a watched write must not be fatal here. */
static void *blocked_increment(void *arg)
{
    sigset_t all, back;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    increment(arg);
    pthread_sigmask(SIG_BLOCK, NULL, &back);
    printf("worker: SIGSEGV blocked %d, SIGTRAP blocked %d\n", sigismember(&back, SIGSEGV),
           sigismember(&back, SIGTRAP));
    return NULL;
}

static int handler_case(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSEGV, &sa, &old) != 0)
        return 1;
    printf("previous SIGSEGV handler was default: %d\n", old.sa_handler == SIG_DFL);
    signal(SIGTRAP, on_trap);
    for (int i = 0; i < 3; i++) {
        if (sigsetjmp(recover, 1) == 0) {
            *nowhere = 1;
            puts("not reached");
        }
        raise(SIGTRAP);
    }
    use_lock = 1;
    pthread_t t;
    if (pthread_create(&t, NULL, blocked_increment, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    sigaction(SIGSEGV, NULL, &old);
    printf("segvs %d traps %d counter %d handler still ours: %d\n", (int)segvs, (int)traps, counter,
           old.sa_sigaction == on_segv);
    return 0;
}

static atomic_int writers_stop;

/* fork: a parent thread writing the watched counter until told to stop. */
static void *locked_writer(void *arg)
{
    (void)arg;
    while (!atomic_load(&writers_stop)) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

/* fork: the child's own writer (the parent's threads do not exist in the child). */
static void *child_writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++)
        counter++;
    return NULL;
}

static int fork_case(void)
{
    pthread_t w[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&w[i], NULL, locked_writer, NULL);
    int hung = 0;
    for (int i = 0; i < 20; i++) {
        pid_t p = fork();
        if (p == 0) {
            pthread_t c;
            pthread_create(&c, NULL, child_writer, NULL);
            pthread_join(c, NULL);
            _exit(0);
        }
        int status, waited = 0;
        struct timespec ms = {0, 1000 * 1000};
        while (waitpid(p, &status, WNOHANG) == 0 && waited++ < 5000)
            nanosleep(&ms, NULL);
        if (waited > 5000) {
            hung++;
            kill(p, SIGKILL);
            waitpid(p, &status, 0);
        }
    }
    atomic_store(&writers_stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    printf("hung %d\n", hung);
    return hung;
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    if (strcmp(c, "racy") == 0)
        return run_staggered();
    if (strcmp(c, "mutex") == 0) {
        use_lock = 1;
        if (run_two(increment))
            return 1;
        printf("counter %d\n", counter);
        return counter == 2 * INCREMENTS ? 0 : 1;
    }
    if (strcmp(c, "segv") == 0) {
        counter = 1;
        *nowhere = counter;
        return 0;
    }
    if (strcmp(c, "fork") == 0)
        return fork_case();
    if (strcmp(c, "handler") == 0)
        return handler_case();
    fprintf(stderr, "usage: watch_cases racy|mutex|segv|handler\n");
    return 2;
}
