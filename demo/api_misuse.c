/*
 * api_misuse: one small misuse of the pthread API per run, chosen by the first argument, which is
 * the name lockwatch reports it under (its "api-misuse" subkind):
 *   unlock-not-locked  unlock-by-non-owner  relock  destroy-locked  destroy-with-waiters
 *   use-after-destroy  exit-holding-lock  cond-wait-unheld-mutex  cond-two-mutexes
 *   sem-post-overflow  fork-held-lock
 * Each misuse is made exactly once, on a line marked LINE:<name> (the end-to-end tests look for
 * that line in the reported stack). None of them hangs: error-checking mutexes turn relocks and
 * foreign unlocks into errors, condition waits are timed, and the forked child that takes a
 * lock held at fork() is ended by an alarm. `lockwatch run -- build/demo/api_misuse relock`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m, m2;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t s, ready, go;
static int woken;

static void init_mutex(pthread_mutex_t *mu, int type)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, type);
    pthread_mutex_init(mu, &attr);
    pthread_mutexattr_destroy(&attr);
}

/* An absolute CLOCK_REALTIME deadline ms from now, for the timed condition waits. */
static struct timespec deadline_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static void *unlock_other_thread(void *arg)
{
    (void)arg;
    int rc = pthread_mutex_unlock(&m); /* LINE:unlock_by_non_owner */
    printf("unlock by non-owner: %s\n", strerror(rc));
    return NULL;
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    sem_wait(&s);
    return NULL;
}

static void *exit_holding_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_exit(NULL); /* LINE:exit_holding_lock */
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    sem_post(&ready); /* main can take m only once this thread is inside the wait */
    while (!woken)
        pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *fork_holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    sem_post(&ready);
    sem_wait(&go);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void child_alarm(int sig)
{
    (void)sig;
    _exit(0); /* the child is stuck on a lock nobody can release: end it */
}

/* glibc's sem_t on LP64: the value in the low 32 bits of the first word, waiters in the high. */
static unsigned sem_waiters(sem_t *sem)
{
    uint64_t word;
    memcpy(&word, (const void *)sem, sizeof word);
    return (unsigned)(word >> 32);
}

static int run(const char *what)
{
    pthread_t t;
    if (strcmp(what, "unlock-not-locked") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_ERRORCHECK);
        pthread_mutex_unlock(&m); /* LINE:unlock_not_locked */
    } else if (strcmp(what, "unlock-by-non-owner") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_ERRORCHECK);
        pthread_mutex_lock(&m);
        pthread_create(&t, NULL, unlock_other_thread, NULL);
        pthread_join(t, NULL);
        pthread_mutex_unlock(&m);
    } else if (strcmp(what, "relock") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_ERRORCHECK);
        pthread_mutex_lock(&m);
        int rc = pthread_mutex_lock(&m); /* LINE:relock */
        printf("relock: %s\n", strerror(rc));
        pthread_mutex_unlock(&m);
    } else if (strcmp(what, "destroy-locked") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_NORMAL);
        pthread_mutex_lock(&m);
        int rc = pthread_mutex_destroy(&m); /* LINE:destroy_locked */
        printf("destroy of a locked mutex: %s\n", strerror(rc));
        pthread_mutex_unlock(&m);
        pthread_mutex_destroy(&m);
    } else if (strcmp(what, "destroy-with-waiters") == 0) {
        sem_init(&s, 0, 0);
        pthread_create(&t, NULL, sem_waiter, NULL);
        for (int i = 0; i < 5000 && sem_waiters(&s) == 0; i++)
            usleep(1000);
        sem_destroy(&s); /* LINE:destroy_with_waiters */
        sem_post(&s);    /* glibc's sem_destroy does nothing: this still wakes the waiter */
        pthread_join(t, NULL);
    } else if (strcmp(what, "use-after-destroy") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_NORMAL);
        pthread_mutex_destroy(&m);
        int rc = pthread_mutex_lock(&m); /* LINE:use_after_destroy */
        printf("lock after destroy: %s\n", strerror(rc));
    } else if (strcmp(what, "exit-holding-lock") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_NORMAL);
        pthread_create(&t, NULL, exit_holding_thread, NULL);
        pthread_join(t, NULL);
    } else if (strcmp(what, "cond-wait-unheld-mutex") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_NORMAL);
        struct timespec ts = deadline_ms(10);
        pthread_cond_timedwait(&cv, &m, &ts); /* LINE:cond_wait_unheld_mutex */
        pthread_mutex_unlock(&m);             /* the wait returned with m locked */
    } else if (strcmp(what, "cond-two-mutexes") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_NORMAL);
        init_mutex(&m2, PTHREAD_MUTEX_NORMAL);
        sem_init(&ready, 0, 0);
        pthread_create(&t, NULL, cond_waiter, NULL);
        /* Once m can be taken, the waiter is inside pthread_cond_wait (it released m there). */
        sem_wait(&ready);
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
        pthread_mutex_lock(&m2);
        struct timespec ts = deadline_ms(10);
        pthread_cond_timedwait(&cv, &m2, &ts); /* LINE:cond_two_mutexes */
        pthread_mutex_unlock(&m2);
        pthread_mutex_lock(&m);
        woken = 1;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&m);
        pthread_join(t, NULL);
    } else if (strcmp(what, "sem-post-overflow") == 0) {
        sem_init(&s, 0, SEM_VALUE_MAX);
        if (sem_post(&s) != 0) /* LINE:sem_post_overflow */
            printf("sem_post: %s\n", strerror(errno));
        sem_destroy(&s);
    } else if (strcmp(what, "fork-held-lock") == 0) {
        init_mutex(&m, PTHREAD_MUTEX_NORMAL);
        sem_init(&ready, 0, 0);
        sem_init(&go, 0, 0);
        pthread_create(&t, NULL, fork_holder, NULL);
        sem_wait(&ready);
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGALRM, child_alarm);
            alarm(1);
            pthread_mutex_lock(&m); /* LINE:fork_held_lock */
            _exit(1);               /* never reached: fork_holder does not exist here */
        }
        sem_post(&go);
        pthread_join(t, NULL);
        int status = 0;
        if (pid > 0)
            waitpid(pid, &status, 0);
        printf("child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    } else {
        fprintf(stderr, "api_misuse: unknown misuse '%s' (see the comment at the top)\n", what);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: api_misuse MISUSE\n");
        return 2;
    }
    int rc = run(argv[1]);
    if (rc == 0)
        printf("api_misuse %s: done\n", argv[1]);
    return rc;
}
