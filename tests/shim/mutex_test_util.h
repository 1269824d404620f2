/*
 * Helpers shared by the shim's mutex transparency tests (test_default_mutex.c,
 * test_c11_mutex.c): sleeping, absolute deadlines, and a child that must die of glibc's
 * assertion.
 */
#ifndef LOCKWATCH_MUTEX_TEST_UTIL_H
#define LOCKWATCH_MUTEX_TEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* CLOCK_REALTIME now plus ns nanoseconds (less than a second), for timed waits. */
static inline struct timespec realtime_in_ns(long ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ns;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Runs fn in a forked child with stderr closed (glibc's assertion message is expected); true
 * if the child died of SIGABRT (fn returning counts as no). */
static inline bool child_aborts(void (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        close(2);
        fn();
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return false;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

#endif /* LOCKWATCH_MUTEX_TEST_UTIL_H */
