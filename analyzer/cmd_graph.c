/*
 * `lockwatch graph [--format dot|svg|png] [--cycles-only] [--output FILE] [--source-root DIR]
 * LOG|DIR...`: loads logs, computes each process's lock-order edges and findings, and renders
 * them with render_dot.c; SVG and PNG go through Graphviz `dot`, run directly (no shell, so
 * no quoting issues with file names). A missing `dot` is a clear error, exit 2.
 */
#include "cmd_graph.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock_order.h"
#include "model.h"
#include "progress.h"
#include "render_dot.h"
#include "xalloc.h"

static const char CMD[] = "lockwatch graph";

void lw_cmd_graph_usage(FILE *out)
{
    fputs("usage: lockwatch graph [--format dot|svg|png] [--cycles-only] [--output FILE]\n"
          "                       [--source-root DIR] LOG|DIR...\n"
          "  Draws the lock-order graph of the logs: locks as nodes, an arrow from each lock to\n"
          "  every lock taken while holding it, labelled with the thread and the code site;\n"
          "  arrows of reported cycles are red and bold. One cluster per process.\n"
          "  --format FMT        dot (Graphviz source, default), svg or png (run Graphviz `dot`)\n"
          "  --cycles-only       only the arrows that lie on a cycle\n"
          "  --output FILE       write to FILE instead of stdout\n"
          "  --source-root DIR   show source paths relative to DIR\n"
          "  Exit status: 0 drawn, 2 usage or input error, or `dot` missing or failing.\n",
          out);
}

/* Writes all of buf to fd; returns 0 or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int lw_run_dot(const char *cmd, const char *format, const char *dot_text, size_t len,
               const char *output)
{
    int out_fd = STDOUT_FILENO;
    if (output) {
        out_fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (out_fd < 0) {
            fprintf(stderr, "%s: cannot write --output %s: %s\n", cmd, output, strerror(errno));
            return -1;
        }
    }
    int in[2], status_pipe[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0) {
        fprintf(stderr, "%s: pipe: %s\n", cmd, strerror(errno));
        if (output)
            close(out_fd);
        return -1;
    }
    char tflag[16];
    snprintf(tflag, sizeof tflag, "-T%s", format);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
            _exit(127);
        char *const argv[] = {"dot", tflag, NULL};
        execvp("dot", argv);
        int e = errno;
        ssize_t w = write(status_pipe[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    int fork_errno = errno;
    close(in[0]);
    close(status_pipe[1]);
    if (output)
        close(out_fd);
    if (pid < 0) {
        close(in[1]);
        close(status_pipe[0]);
        fprintf(stderr, "%s: cannot run dot: fork: %s\n", cmd, strerror(fork_errno));
        return -1;
    }
    int exec_errno = 0;
    ssize_t got;
    do {
        got = read(status_pipe[0], &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    close(status_pipe[0]);
    int rc = 0;
    if (got == (ssize_t)sizeof exec_errno) {
        fprintf(stderr,
                "%s: cannot run Graphviz 'dot' for --format %s: %s; install graphviz, or use "
                "--format dot and render it elsewhere\n",
                cmd, format, strerror(exec_errno));
        rc = -1;
    } else {
        /* If dot dies early, a write gets EPIPE instead of killing us with SIGPIPE. */
        struct sigaction ign = {.sa_handler = SIG_IGN}, old;
        sigaction(SIGPIPE, &ign, &old);
        if (write_all(in[1], dot_text, len) != 0)
            rc = -1;
        sigaction(SIGPIPE, &old, NULL);
    }
    close(in[1]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            st = -1;
            break;
        }
    }
    if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        fprintf(stderr, "%s: Graphviz 'dot -T%s' failed (%s %d)\n", cmd, format,
                WIFSIGNALED(st) ? "signal" : "exit status",
                WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        rc = -1;
    } else if (rc != 0 && got != (ssize_t)sizeof exec_errno) {
        fprintf(stderr, "%s: could not pass the graph to 'dot'\n", cmd);
    }
    return rc;
}

/* Renders the graph of a loaded model to a malloc'd DOT text. */
static char *graph_text(lw_model *m, bool cycles_only, const char *source_root, size_t *len)
{
    lw_lock_edges *edges = xcalloc(m->n_procs, sizeof *edges);
    lw_findings findings = {0};
    lw_lock_order_options lo = {0};
    for (size_t i = 0; i < m->n_procs; i++) {
        lw_lock_order_edges(&m->procs[i], &edges[i]);
        lw_analyze_lock_order(&m->procs[i], &lo, &findings, NULL);
    }
    lw_graph g = {.model = m,
                  .edges = edges,
                  .findings = &findings,
                  .cycles_only = cycles_only,
                  .namer = lw_namer_new(NULL, source_root)};
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        abort();
    lw_render_dot(f, &g);
    if (fclose(f) != 0 || !text)
        abort();
    lw_namer_free(g.namer);
    for (size_t i = 0; i < m->n_procs; i++)
        lw_lock_edges_free(&edges[i]);
    free(edges);
    lw_findings_free(&findings);
    return text;
}

int lw_cmd_graph(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"cycles-only", no_argument, NULL, 'c'},  {"source-root", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *format = "dot", *output = NULL, *source_root = NULL;
    bool cycles_only = false;
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "dot") != 0 && strcmp(optarg, "svg") != 0 &&
                strcmp(optarg, "png") != 0) {
                fprintf(stderr, "%s: --format: expected dot, svg or png, got '%s'\n", CMD, optarg);
                return 2;
            }
            format = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'c':
            cycles_only = true;
            break;
        case 's':
            source_root = optarg;
            break;
        case 'h':
            lw_cmd_graph_usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "%s: option '%s' needs a value; try 'lockwatch help graph'\n", CMD,
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "%s: unknown option '%s'; try 'lockwatch help graph'\n", CMD,
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no log given (expected LOG or DIR arguments)\n", CMD);
        return 2;
    }
    if (strcmp(format, "png") == 0 && !output && isatty(STDOUT_FILENO)) {
        fprintf(stderr,
                "%s: --format png: expected --output FILE (not writing PNG to a "
                "terminal)\n",
                CMD);
        return 2;
    }
    lw_model m = {0};
    char err[1024] = "";
    if (lw_model_load_progress(&m, argv + optind, (size_t)(argc - optind), err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", CMD, err[0] ? err : "cannot load the logs");
        lw_model_free(&m);
        return 2;
    }
    size_t len = 0;
    char *text = graph_text(&m, cycles_only, source_root, &len);
    int status = 0;
    if (strcmp(format, "dot") == 0) {
        FILE *out = output ? fopen(output, "w") : stdout;
        if (!out) {
            fprintf(stderr, "%s: cannot write --output %s: %s\n", CMD, output, strerror(errno));
            status = 2;
        } else {
            fwrite(text, 1, len, out);
            int bad = fflush(out) != 0 || ferror(out);
            if (out != stdout && fclose(out) != 0)
                bad = 1;
            if (bad) {
                fprintf(stderr, "%s: cannot write the graph to %s\n", CMD,
                        output ? output : "stdout");
                status = 2;
            }
        }
    } else if (lw_run_dot(CMD, format, text, len, output) != 0) {
        status = 2;
    }
    free(text);
    lw_model_free(&m);
    return status;
}
