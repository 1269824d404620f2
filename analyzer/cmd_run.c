/*
 * `lockwatch run [options] [--] PROGRAM [ARGS...]`: the one-command workflow. It makes a fresh
 * log directory, preloads liblockwatch.so into the program (and, through the inherited
 * environment, into every process it starts), waits for it while forwarding the usual
 * termination signals, then reports on the logs exactly as `lockwatch report` would. The
 * program's own exit status is printed and put in the JSON report, but lockwatch's exit status
 * keeps its meaning (0 clean, 1 findings, 2 error) so CI scripts can tell the two apart.
 */
#include "cmd_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd_report.h"
#include "deadlock.h"
#include "options.h"
#include "report_args.h"
#include "xalloc.h"

static const char CMD[] = "lockwatch run";

/* Signals forwarded to the watched program while lockwatch waits for it. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_FORWARDED (sizeof forwarded / sizeof forwarded[0])

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
    int saved = errno;
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
    errno = saved;
}

void lw_cmd_run_usage(FILE *out)
{
    fputs("usage: lockwatch run [--format text|json|sarif|junit] [--output FILE] [--all]\n"
          "                     [--source-root DIR] [--check [--fail-on KINDS]]\n"
          "                     [--suppressions FILE] [--baseline FILE] [--print-suppressions]\n"
          "                     [--color WHEN] [--log-dir DIR] [RECORDER OPTIONS]\n"
          "                     [--] PROGRAM [ARGS...]\n"
          "  Runs PROGRAM with liblockwatch.so preloaded (its child processes are watched too),\n"
          "  then reports on the logs it wrote, after the program's own output.\n",
          out);
    lw_report_opts_usage(out, LW_RA_WITH_FAIL_ON | LW_RA_WITH_CHECK);
    fputs("  --log-dir DIR       where logs go (created if missing; default\n"
          "                      ./lockwatch-logs/<program>-<yyyymmdd-hhmmss>-<pid>/)\n",
          out);
    lw_options_print_flags(out, "log_dir");
    fputs(
        "  Recorder options override LOCKWATCH_OPTIONS from the environment.\n"
        "  The shim is LOCKWATCH_SHIM if set, else ../lib/liblockwatch.so next to this\n"
        "  executable, else the installed one.\n"
        "  At the end, stderr says where the logs are and how PROGRAM ended ('exited with\n"
        "  status N' or 'was killed by signal SIGNAME'); the JSON report has it as\n"
        "  program.exit_status / program.signal. lockwatch's own exit status is 0 (no findings),\n"
        "  1 (findings) or 2 (usage error, PROGRAM could not be run, or no log was written).\n",
        out);
}

void lw_run_default_log_dir(const char *program, time_t when, long pid, char *buf, size_t len)
{
    const char *slash = strrchr(program, '/');
    const char *base = slash ? slash + 1 : program;
    if (!*base)
        base = "program";
    struct tm tm;
    char stamp[32] = "00000000-000000";
    if (localtime_r(&when, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, len, "lockwatch-logs/%s-%s-%ld", base, stamp, pid);
}

char *lw_run_preload_value(const char *shim, const char *existing)
{
    char *v = NULL;
    int rc =
        existing && *existing ? asprintf(&v, "%s:%s", shim, existing) : asprintf(&v, "%s", shim);
    if (rc < 0)
        abort();
    return v;
}

int lw_mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *s = saved;
        if (saved == '\0')
            break;
    }
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) != 0) {
            rc = -1;
        } else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = -1;
        }
    }
    int saved_errno = errno;
    free(p);
    errno = saved_errno;
    return rc;
}

static bool readable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

/* Finds liblockwatch.so (see the usage text for the order). Returns a malloc'd absolute path, or
 * NULL after printing why. */
static char *find_shim(void)
{
    const char *env = getenv("LOCKWATCH_SHIM");
    if (env && *env) {
        char *abs = realpath(env, NULL);
        if (!abs || !readable_file(abs)) {
            fprintf(stderr, "%s: LOCKWATCH_SHIM=%s: %s\n", CMD, env,
                    abs ? "not a readable file" : strerror(errno));
            free(abs);
            return NULL;
        }
        return abs;
    }
    char candidates[3][PATH_MAX + 64];
    size_t n = 0;
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(candidates[n++], sizeof candidates[0], "%s/../lib/liblockwatch.so", self);
        }
    }
    snprintf(candidates[n++], sizeof candidates[0], "%s/liblockwatch.so", LOCKWATCH_INSTALL_LIBDIR);
    snprintf(candidates[n++], sizeof candidates[0], "%s/liblockwatch.so", LOCKWATCH_BUILD_LIBDIR);
    for (size_t i = 0; i < n; i++) {
        if (readable_file(candidates[i])) {
            char *abs = realpath(candidates[i], NULL);
            if (abs)
                return abs;
        }
    }
    fprintf(stderr, "%s: cannot find liblockwatch.so (tried", CMD);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s %s", i ? "," : "", candidates[i]);
    fputs("); set LOCKWATCH_SHIM to its path\n", stderr);
    return NULL;
}

static bool is_log_name(const char *name)
{
    size_t len = strlen(name);
    return strncmp(name, "lockwatch.", 10) == 0 && len > 14 && strcmp(name + len - 4, ".log") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lockwatch.*.log names in dir, sorted (malloc'd array of malloc'd names). */
static char **list_logs(const char *dir, size_t *n_out)
{
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_log_name(e->d_name))
            continue;
        char **grown = xrealloc(names, (n + 1) * sizeof *names);
        names = grown;
        names[n] = xstrdup(e->d_name);
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    *n_out = n;
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static bool contains(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Describes how the program ended, on stderr. */
static void print_program_end(const char *program, const lw_program_info *pi)
{
    if (pi->exited) {
        fprintf(stderr, "lockwatch: %s exited with status %d\n", program, pi->exit_status);
    } else {
        const char *abbrev = sigabbrev_np(pi->signal);
        if (abbrev)
            fprintf(stderr, "lockwatch: %s was killed by signal SIG%s\n", program, abbrev);
        else
            fprintf(stderr, "lockwatch: %s was killed by signal %d\n", program, pi->signal);
    }
}

/* When a log holds a live deadlock, says on stderr that the shim's on_deadlock action (not a
 * crash of the program) is what ended it, so an abort is not taken for the program's own. */
static void print_deadlock_cause(const char *program, const lw_program_info *pi, char *const *paths,
                                 size_t n)
{
    if (!lw_logs_have_deadlock(paths, n))
        return;
    if (!pi->exited && pi->signal == SIGABRT)
        fprintf(stderr,
                "lockwatch: %s was killed by SIGABRT because lockwatch found a deadlock: its "
                "threads were blocked for good (on_deadlock=abort; the report shows where)\n",
                program);
    else if (pi->exited)
        fprintf(stderr,
                "lockwatch: lockwatch found a deadlock in %s (the report shows where); with "
                "on_deadlock=exit it exits with deadlock_exit_code\n",
                program);
    else
        fprintf(stderr,
                "lockwatch: %s was deadlocked (the report shows where) when a signal ended it\n",
                program);
}

typedef struct run_args {
    lw_report_opts report;
    const char *log_dir;
    lw_option_values values;
    char **prog_argv;
    int prog_argc;
} run_args;

/* Parses the command line; returns -1 (exit 0, help shown), 0 (run), or 2 (error printed). */
static int parse_args(int argc, char **argv, run_args *a)
{
    enum { OPT_HELP = 1000, OPT_TABLE };
    size_t n_table = lw_option_count();
    struct option *longopts = calloc(n_table + LW_RA_MAX_OPTS + 2, sizeof *longopts);
    char(*flags)[64] = calloc(n_table ? n_table : 1, sizeof *flags);
    if (!longopts || !flags)
        abort();
    /* The report options are shared with report and check (report_args.h). */
    size_t k = lw_report_longopts(longopts, LW_RA_WITH_FAIL_ON | LW_RA_WITH_CHECK);
    longopts[k++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    /* Every option of the table is a flag: stack_depth -> --stack-depth. */
    for (size_t i = 0; i < n_table; i++) {
        const char *name = lw_option_at(i)->name;
        size_t j = 0;
        for (; name[j] && j + 1 < sizeof flags[i]; j++)
            flags[i][j] = name[j] == '_' ? '-' : name[j];
        flags[i][j] = '\0';
        longopts[k++] = (struct option){flags[i], required_argument, NULL, OPT_TABLE + (int)i};
    }
    longopts[k] = (struct option){NULL, 0, NULL, 0};

    int rc = 0;
    opterr = 0;
    optind = 0;
    int c;
    char err[512];
    /* '+': options end at PROGRAM, so the program's own options are left alone. */
    while (rc == 0 && (c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
        if (lw_report_is_opt(c)) {
            rc = lw_report_opt(CMD, c, optarg, &a->report);
            continue;
        }
        switch (c) {
        case OPT_HELP:
            lw_cmd_run_usage(stdout);
            rc = -1;
            break;
        case ':':
            fprintf(stderr, "%s: option '%s' needs a value; try 'lockwatch --help'\n", CMD,
                    argv[optind - 1]);
            rc = 2;
            break;
        case '?':
            fprintf(stderr, "%s: unknown option '%s'; try 'lockwatch --help'\n", CMD,
                    argv[optind - 1]);
            rc = 2;
            break;
        default: {
            const lw_option_desc *o = lw_option_at((size_t)(c - OPT_TABLE));
            if (!o)
                abort();
            if (strcmp(o->name, "log_dir") == 0) {
                a->log_dir = optarg;
                if (!*optarg) {
                    fprintf(stderr, "%s: --log-dir: expected a directory, got ''\n", CMD);
                    rc = 2;
                }
            } else if (lw_option_values_set(&a->values, o->name, optarg, err, sizeof err) != 0) {
                /* The message names the option key; on the command line the flag is clearer. */
                size_t skip = strlen("option ") + strlen(o->name) + 2;
                const char *msg =
                    strncmp(err, "option ", 7) == 0 && strlen(err) > skip ? err + skip : err;
                fprintf(stderr, "%s: --%s: %s\n", CMD, flags[c - OPT_TABLE], msg);
                rc = 2;
            }
            break;
        }
        }
    }
    if (rc == 0)
        rc = lw_report_opts_finish(CMD, &a->report, LW_RA_WITH_FAIL_ON | LW_RA_WITH_CHECK);
    if (rc == 0 && optind >= argc) {
        fprintf(stderr,
                "%s: no program given (expected [--] PROGRAM [ARGS...]); try 'lockwatch "
                "--help'\n",
                CMD);
        rc = 2;
    }
    if (rc == 0) {
        a->prog_argv = argv + optind;
        a->prog_argc = argc - optind;
    }
    free(longopts);
    free(flags);
    return rc;
}

/* Starts the program. Returns its pid, or -1 after printing why it could not be executed. */
static pid_t start_program(char **prog_argv, const char *preload, const char *options)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        fprintf(stderr, "%s: pipe: %s\n", CMD, strerror(errno));
        return -1;
    }
    /* Block the forwarded signals across fork so that neither process runs the handler before
     * child_pid is known; the child restores default dispositions before exec. */
    sigset_t block, old;
    sigemptyset(&block);
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaddset(&block, forwarded[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaction(forwarded[i], &sa, NULL);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; i < N_FORWARDED; i++)
            signal(forwarded[i], SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(pipefd[0]);
        if (setenv("LD_PRELOAD", preload, 1) != 0 || setenv("LOCKWATCH_OPTIONS", options, 1) != 0)
            _exit(127);
        execvp(prog_argv[0], prog_argv);
        int e = errno;
        ssize_t w = write(pipefd[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    int fork_errno = errno;
    if (pid > 0)
        child_pid = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        fprintf(stderr, "%s: cannot start %s: fork: %s\n", CMD, prog_argv[0], strerror(fork_errno));
        return -1;
    }
    int child_errno = 0;
    ssize_t got;
    do {
        got = read(pipefd[0], &child_errno, sizeof child_errno);
    } while (got < 0 && errno == EINTR);
    close(pipefd[0]);
    if (got == (ssize_t)sizeof child_errno) {
        /* exec failed: reap the child, which exits at once. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        child_pid = 0;
        fprintf(stderr, "%s: cannot execute %s: %s\n", CMD, prog_argv[0], strerror(child_errno));
        return -1;
    }
    return pid;
}

/* Waits for the program; fills pi's status fields. Returns 0, or -1 on a wait error. */
static int wait_program(pid_t pid, lw_program_info *pi)
{
    int status;
    pid_t r;
    do {
        r = waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    child_pid = 0;
    for (size_t i = 0; i < N_FORWARDED; i++)
        signal(forwarded[i], SIG_DFL);
    if (r < 0) {
        fprintf(stderr, "%s: waitpid: %s\n", CMD, strerror(errno));
        return -1;
    }
    if (WIFEXITED(status)) {
        pi->exited = true;
        pi->exit_status = WEXITSTATUS(status);
    } else {
        pi->exited = false;
        pi->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return 0;
}

int lw_cmd_run(int argc, char **argv)
{
    run_args a;
    memset(&a, 0, sizeof a);
    a.report.format = LW_FORMAT_TEXT;
    lw_option_values_init(&a.values);
    char err[1024];
    int status = 2;
    char *shim = NULL, *dir = NULL, *preload = NULL, *options = NULL;
    char **before = NULL, **after = NULL, **paths = NULL;
    size_t n_before = 0, n_after = 0, n_paths = 0;
    bool created_dir = false, created_parent = false;

    /* Flags override LOCKWATCH_OPTIONS: read the environment first, then the command line. */
    const char *env_opts = getenv("LOCKWATCH_OPTIONS");
    if (env_opts &&
        lw_option_values_parse(&a.values, env_opts, "LOCKWATCH_OPTIONS", err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", CMD, err);
        goto out;
    }
    int prc = parse_args(argc, argv, &a);
    /* A bad suppressions or baseline file must fail before the program runs, not after. */
    if (prc == 0)
        prc = lw_report_opts_check_files(CMD, &a.report);
    if (prc != 0) {
        status = prc < 0 ? 0 : prc;
        goto out;
    }
    const char *program = a.prog_argv[0];

    shim = find_shim();
    if (!shim)
        goto out;

    char default_dir[PATH_MAX];
    const char *want_dir = a.log_dir;
    if (!want_dir) {
        lw_run_default_log_dir(program, time(NULL), (long)getpid(), default_dir,
                               sizeof default_dir);
        want_dir = default_dir;
    }
    struct stat st;
    created_dir = stat(want_dir, &st) != 0;
    /* The default directory's parent is ours too when it did not exist yet. */
    created_parent = !a.log_dir && stat("lockwatch-logs", &st) != 0;
    if (lw_mkdir_p(want_dir) != 0) {
        fprintf(stderr, "%s: cannot create log directory %s: %s\n", CMD, want_dir, strerror(errno));
        goto out;
    }
    /* The program may chdir: give the shim an absolute directory. */
    dir = realpath(want_dir, NULL);
    if (!dir) {
        fprintf(stderr, "%s: log directory %s: %s\n", CMD, want_dir, strerror(errno));
        goto out;
    }
    if (strchr(dir, ':')) {
        fprintf(stderr,
                "%s: log directory %s: the path may not contain ':' (LOCKWATCH_OPTIONS "
                "separator)\n",
                CMD, dir);
        goto out;
    }
    /* A reused --log-dir may hold logs of earlier runs: only report on the new ones. */
    before = list_logs(dir, &n_before);
    if (lw_option_values_set(&a.values, "log_dir", dir, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", CMD, err);
        goto out;
    }
    options = lw_option_values_format(&a.values);
    preload = lw_run_preload_value(shim, getenv("LD_PRELOAD"));

    lw_program_info pi = {
        .path = program,
        .argv = a.prog_argv,
        .argc = (size_t)a.prog_argc,
        .log_dir = dir,
    };
    pid_t pid = start_program(a.prog_argv, preload, options);
    if (pid < 0) {
        /* rmdir only succeeds on an empty directory: never removes anything else. */
        if (created_dir)
            rmdir(dir);
        if (created_parent)
            rmdir("lockwatch-logs");
        goto out;
    }
    if (wait_program(pid, &pi) != 0)
        goto out;

    after = list_logs(dir, &n_after);
    paths = xcalloc(n_after, sizeof *paths);
    for (size_t i = 0; i < n_after; i++) {
        if (contains(before, n_before, after[i]))
            continue;
        if (asprintf(&paths[n_paths], "%s/%s", dir, after[i]) < 0)
            abort();
        n_paths++;
    }
    if (n_paths == 0) {
        fprintf(stderr,
                "%s: no log was written to %s: %s did not load liblockwatch.so (a statically "
                "linked or setuid program cannot be watched)\n",
                CMD, dir, program);
        print_program_end(program, &pi);
        goto out;
    }
    status = lw_report_paths(CMD, &a.report, paths, n_paths, &pi);
    fprintf(stderr, "lockwatch: logs kept in %s\n", dir);
    print_program_end(program, &pi);
    print_deadlock_cause(program, &pi, paths, n_paths);

out:
    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    free_names(before, n_before);
    free_names(after, n_after);
    free(options);
    free(preload);
    free(dir);
    free(shim);
    lw_option_values_free(&a.values);
    return status;
}
