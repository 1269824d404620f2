/*
 * Runs one command and reports what it cost, for bench/run: wall time, user and system CPU time
 * and peak RSS (ru_maxrss) from wait4(2)'s rusage of that child. Environment assignments given
 * with -e are set in the child only, so LD_PRELOAD never applies to runstat itself. The
 * command's stdout and stderr pass through; the figures go to -o FILE (default: stderr) as one
 * line "wall_s=.. user_s=.. sys_s=.. maxrss_kb=.. status=..", where status is the exit status
 * or 128 + the signal number.
 * -O FILE sends the command's stdout to FILE (for compressors writing to stdout).
 * Usage: runstat [-o FILE] [-O FILE] [-e VAR=VALUE]... -- COMMAND [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *child_out = NULL;
    char *env[64];
    int n_env = 0, i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "-O") == 0 && i + 1 < argc)
            child_out = argv[++i];
        else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc && n_env < 64)
            env[n_env++] = argv[++i];
        else
            break;
    }
    if (i >= argc - 1 || strcmp(argv[i], "--") != 0) {
        fprintf(stderr,
                "usage: runstat [-o FILE] [-O FILE] [-e VAR=VALUE]... -- COMMAND [ARGS...]\n");
        return 2;
    }
    char **cmd = argv + i + 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 2;
    }
    if (pid == 0) {
        for (int k = 0; k < n_env; k++)
            putenv(env[k]);
        if (child_out && !freopen(child_out, "w", stdout)) {
            perror(child_out);
            _exit(127);
        }
        execvp(cmd[0], cmd);
        fprintf(stderr, "runstat: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int wstatus;
    struct rusage ru;
    while (wait4(pid, &wstatus, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("runstat: wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    FILE *f = out ? fopen(out, "w") : stderr;
    if (!f) {
        perror(out);
        return 2;
    }
    fprintf(f, "wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kb=%ld status=%d\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            tv_s(ru.ru_utime), tv_s(ru.ru_stime), ru.ru_maxrss, status);
    if (out)
        fclose(f);
    return status;
}
