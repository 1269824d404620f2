/*
 * The lockwatch command: dispatches `lockwatch <command> [options]` to the subcommands
 * (report, check, baseline, graph, run, dump, help) and owns the top-level help, version and
 * usage errors. Exit statuses are the same for every command: 0 no findings (check: the gate
 * passed), 1 findings, 2 usage or input error.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_check.h"
#include "cmd_dump.h"
#include "cmd_graph.h"
#include "cmd_report.h"
#include "cmd_run.h"
#include "lockwatch/log_format.h"
#include "options.h"
#include "report_args.h"

static void print_help(FILE *out)
{
    fputs("usage: lockwatch <command> [options]\n"
          "\n"
          "lockwatch finds lock-order inversions (potential deadlocks), real deadlocks, pthread\n"
          "API and thread-local misuse, and (for programs built with -fsanitize=thread and\n"
          "linked against liblockwatch) data races, in programs that use POSIX threads.\n"
          "liblockwatch.so records what a program does (LD_PRELOAD, one log per process);\n"
          "this command analyses the logs offline.\n"
          "A program that really deadlocks does not hang under lockwatch: its watchdog finds\n"
          "the blocked threads, records where they wait and aborts it (see --on-deadlock);\n"
          "run and report then explain the deadlock.\n"
          "\n"
          "Commands:\n"
          "  run [options] [--] PROGRAM [ARGS...]\n"
          "      Run PROGRAM under liblockwatch.so, then report on its logs.\n"
          "  report [options] LOG|DIR...\n"
          "      Report on existing logs (files, or directories holding lockwatch.*.log).\n"
          "  check [--fail-on KINDS] [--suppressions FILE] [--baseline FILE] [options] LOG|DIR...\n"
          "      The CI gate: exit 1 only for new, unsuppressed findings of the given kinds.\n"
          "  baseline --output FILE LOG|DIR...\n"
          "      Record the current findings, so that `check --baseline FILE` fails only on new\n"
          "      ones.\n"
          "  graph [--format dot|svg|png] [--cycles-only] [--output FILE] LOG|DIR...\n"
          "      Draw the lock-order graph (Graphviz), reported cycles in red.\n"
          "  dump [options] LOG\n"
          "      Print a log's records as text (see `lockwatch dump --help`).\n"
          "  help [options]\n"
          "      This text; `help COMMAND` describes a command, `help options` lists the\n"
          "      recorder options.\n"
          "\n"
          "Report options (report, check and run):\n",
          out);
    lw_report_opts_usage(out, LW_RA_WITH_FAIL_ON | LW_RA_WITH_CHECK);
    fputs("  (--fail-on: check, and run with --check; --check: run only)\n"
          "\n"
          "Run options:\n"
          "  --log-dir DIR       where the logs go, created if missing (default\n"
          "                      ./lockwatch-logs/<program>-<yyyymmdd-hhmmss>-<pid>/)\n",
          out);
    lw_options_print_flags(out, "log_dir"); /* run creates its log directory */
    fputs("  Every recorder option is a flag (`lockwatch help options`); flags override\n"
          "  LOCKWATCH_OPTIONS. Options end at PROGRAM (or at --).\n"
          "  The shim is $LOCKWATCH_SHIM if set, else ../lib/liblockwatch.so next to this\n"
          "  executable, else the installed one.\n"
          "\n"
          "Other options:\n"
          "  --help              this text (also `lockwatch <command> --help`)\n"
          "  --version           version of lockwatch and of the log format it reads\n"
          "\n"
          "Exit status:\n"
          "  0  no findings (cycles judged harmless do not count)\n"
          "  1  at least one finding\n"
          "  2  usage error, unreadable input, or (run) PROGRAM could not be executed or wrote\n"
          "     no log\n"
          "  `lockwatch run` never passes on PROGRAM's own exit status: it prints it on stderr\n"
          "  at the end ('lockwatch: PROGRAM exited with status N' or '... was killed by signal\n"
          "  SIGNAME') and the JSON report carries it as program.exit_status / program.signal.\n",
          out);
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "lockwatch: %s '%s'; try 'lockwatch --help'\n", what, arg);
    return 2;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "options") == 0) {
        lw_options_print_help(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "report") == 0) {
        lw_cmd_report_usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "run") == 0) {
        lw_cmd_run_usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "check") == 0) {
        lw_cmd_check_usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "baseline") == 0) {
        lw_cmd_baseline_usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "graph") == 0) {
        lw_cmd_graph_usage(stdout);
        return 0;
    }
    return usage_error("unknown help topic", argv[1]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("lockwatch: no command given (expected run, report, check, baseline, graph, dump or "
              "help); try 'lockwatch --help'\n",
              stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("lockwatch %s (log format %d.%d)\n", LOCKWATCH_VERSION, LW_VERSION_MAJOR,
               LW_VERSION_MINOR);
        return 0;
    }
    if (strcmp(cmd, "report") == 0)
        return lw_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return lw_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "dump") == 0)
        return lw_cmd_dump(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return lw_cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "baseline") == 0)
        return lw_cmd_baseline(argc - 1, argv + 1);
    if (strcmp(cmd, "graph") == 0)
        return lw_cmd_graph(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0)
        return cmd_help(argc - 1, argv + 1);
    if (cmd[0] == '-')
        return usage_error("unknown option", cmd);
    return usage_error("unknown command", cmd);
}
