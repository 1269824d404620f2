/*
 * `lockwatch check [options] LOG|DIR...` and `lockwatch baseline --output FILE LOG|DIR...`.
 * check is report with a gate: it exits 1 only for findings of the --fail-on kinds that are
 * neither suppressed nor in the baseline, and says so in one verdict line on stderr. baseline
 * writes the current findings (after suppressions) as a baseline file for later checks.
 */
#include "cmd_check.h"

#include <getopt.h>
#include <string.h>

#include "cmd_report.h"
#include "report_args.h"

void lw_cmd_check_usage(FILE *out)
{
    fputs("usage: lockwatch check [--fail-on KINDS] [--suppressions FILE] [--baseline FILE]\n"
          "                       [--format text|json|sarif|junit] [--output FILE] [options]\n"
          "                       LOG|DIR...\n"
          "  The CI gate: reports like `lockwatch report`, then exits 1 only if a finding of a\n"
          "  --fail-on kind is neither suppressed nor in the baseline (those are left out of the\n"
          "  report too). One verdict line on stderr says why it passed or failed.\n",
          out);
    lw_report_opts_usage(out, LW_RA_WITH_FAIL_ON);
    fputs("  Exit status: 0 gate passed, 1 gate failed, 2 usage or input error (a bad\n"
          "  suppressions or baseline file names the file and line).\n",
          out);
}

int lw_cmd_check(int argc, char **argv)
{
    lw_report_opts o = {.format = LW_FORMAT_TEXT, .verdict = true};
    int first = 0;
    int rc = lw_report_parse_cmdline("lockwatch check", argc, argv, LW_RA_WITH_FAIL_ON, &o,
                                     lw_cmd_check_usage, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    return lw_report_paths("lockwatch check", &o, argv + first, (size_t)(argc - first), NULL);
}

void lw_cmd_baseline_usage(FILE *out)
{
    fputs("usage: lockwatch baseline --output FILE [--suppressions FILE] [--source-root DIR]\n"
          "                          LOG|DIR...\n"
          "  Writes the current findings (not harmless, not suppressed) to FILE, one line per\n"
          "  finding keyed by its fingerprint (lock names and locking functions, not addresses),\n"
          "  so that `lockwatch check --baseline FILE` later fails only on new findings.\n"
          "  --output FILE       the baseline file to write (required)\n"
          "  --suppressions FILE leave out findings matched by FILE\n"
          "  --source-root DIR   as for `lockwatch report`\n"
          "  Exit status: 0 written (whatever it contains), 2 usage or input error.\n",
          out);
}

int lw_cmd_baseline(int argc, char **argv)
{
    static const char CMD[] = "lockwatch baseline";
    static const struct option longopts[] = {
        {"output", required_argument, NULL, LW_RA_OUTPUT},
        {"suppressions", required_argument, NULL, LW_RA_SUPPRESSIONS},
        {"source-root", required_argument, NULL, LW_RA_SOURCE_ROOT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    lw_report_opts o = {.format = LW_FORMAT_BASELINE};
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (lw_report_is_opt(c)) {
            if (lw_report_opt(CMD, c, optarg, &o) != 0)
                return 2;
            continue;
        }
        if (c == 'h') {
            lw_cmd_baseline_usage(stdout);
            return 0;
        }
        fprintf(stderr, "%s: %s '%s'; try 'lockwatch help baseline'\n", CMD,
                c == ':' ? "option needs a value:" : "unknown option", argv[optind - 1]);
        return 2;
    }
    if (!o.output) {
        fprintf(stderr, "%s: --output FILE is required (where to write the baseline)\n", CMD);
        return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no log given (expected LOG or DIR arguments)\n", CMD);
        return 2;
    }
    return lw_report_paths(CMD, &o, argv + optind, (size_t)(argc - optind), NULL);
}
