/*
 * Shared report options (report_args.h).
 */
#include "report_args.h"

#include <string.h>

#include "gate.h"
#include "term.h"

size_t lw_report_longopts(struct option *out, unsigned with)
{
    size_t k = 0;
    out[k++] = (struct option){"format", required_argument, NULL, LW_RA_FORMAT};
    out[k++] = (struct option){"output", required_argument, NULL, LW_RA_OUTPUT};
    out[k++] = (struct option){"all", no_argument, NULL, LW_RA_ALL};
    out[k++] = (struct option){"source-root", required_argument, NULL, LW_RA_SOURCE_ROOT};
    out[k++] = (struct option){"suppressions", required_argument, NULL, LW_RA_SUPPRESSIONS};
    out[k++] = (struct option){"baseline", required_argument, NULL, LW_RA_BASELINE};
    out[k++] = (struct option){"print-suppressions", no_argument, NULL, LW_RA_PRINT_SUPPRESSIONS};
    out[k++] = (struct option){"color", required_argument, NULL, LW_RA_COLOR};
    if (with & LW_RA_WITH_FAIL_ON)
        out[k++] = (struct option){"fail-on", required_argument, NULL, LW_RA_FAIL_ON};
    if (with & LW_RA_WITH_CHECK)
        out[k++] = (struct option){"check", no_argument, NULL, LW_RA_CHECK};
    return k;
}

int lw_report_opt(const char *cmd, int code, const char *arg, lw_report_opts *o)
{
    char err[512];
    switch (code) {
    case LW_RA_FORMAT:
        if (lw_format_parse(arg, &o->format) != 0) {
            fprintf(stderr,
                    "%s: --format: expected text, json, sarif or junit, got '%s'; try "
                    "'lockwatch --help'\n",
                    cmd, arg);
            return 2;
        }
        return 0;
    case LW_RA_OUTPUT:
        o->output = arg;
        return 0;
    case LW_RA_ALL:
        o->all = true;
        return 0;
    case LW_RA_SOURCE_ROOT:
        o->source_root = arg;
        return 0;
    case LW_RA_SUPPRESSIONS:
        o->suppressions = arg;
        return 0;
    case LW_RA_BASELINE:
        o->baseline = arg;
        return 0;
    case LW_RA_PRINT_SUPPRESSIONS:
        o->print_suppressions = true;
        return 0;
    case LW_RA_COLOR: {
        lw_color_mode m;
        if (lw_color_parse(arg, &m) != 0) {
            fprintf(stderr, "%s: --color: expected auto, always or never, got '%s'\n", cmd, arg);
            return 2;
        }
        o->color = (int)m;
        return 0;
    }
    case LW_RA_FAIL_ON:
        if (lw_fail_on_parse(arg, &o->fail_on, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", cmd, err);
            return 2;
        }
        return 0;
    case LW_RA_CHECK:
        o->verdict = true;
        return 0;
    }
    fprintf(stderr, "%s: internal error: unknown report option %d\n", cmd, code);
    return 2;
}

int lw_report_opts_finish(const char *cmd, const lw_report_opts *o, unsigned with)
{
    if ((with & LW_RA_WITH_CHECK) && o->fail_on && !o->verdict) {
        fprintf(stderr, "%s: --fail-on only applies with --check; add --check\n", cmd);
        return 2;
    }
    return 0;
}

int lw_report_opts_check_files(const char *cmd, const lw_report_opts *o)
{
    char err[1024];
    lw_suppressions supp = {0};
    lw_baseline base = {0};
    int rc = 0;
    if ((o->suppressions && lw_suppressions_load(&supp, o->suppressions, err, sizeof err) != 0) ||
        (o->baseline && lw_baseline_load(&base, o->baseline, err, sizeof err) != 0)) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        rc = 2;
    }
    lw_suppressions_free(&supp);
    lw_baseline_free(&base);
    return rc;
}

void lw_report_opts_usage(FILE *out, unsigned with)
{
    fputs("  --format FMT        text for people (default), json (docs/report-schema.md),\n"
          "                      sarif (SARIF 2.1.0, for code scanning) or junit (JUnit XML)\n"
          "  --output FILE       write the report to FILE instead of stdout\n"
          "  --all               also show cycles judged harmless, with the reason\n"
          "  --source-root DIR   show source paths relative to DIR (default: the current\n"
          "                      directory); SARIF URIs are relative to it (SRCROOT)\n"
          "  --suppressions FILE leave out findings matched by FILE (docs/ci.md)\n"
          "  --baseline FILE     leave out findings listed in FILE (`lockwatch baseline`)\n"
          "  --print-suppressions\n"
          "                      write ready-to-paste suppression entries for the findings on\n"
          "                      stderr\n"
          "  --color WHEN        auto (default: on a terminal unless NO_COLOR is set), always\n"
          "                      or never; text reports only\n",
          out);
    if (with & LW_RA_WITH_CHECK)
        fputs("  --check             gate mode, as `lockwatch check`: print the verdict on stderr\n"
              "                      and exit 1 only for findings of the --fail-on kinds\n",
              out);
    if (with & LW_RA_WITH_FAIL_ON)
        fputs("  --fail-on KINDS     comma-separated kinds that fail the gate (default: all):\n"
              "                      lock-order-inversion, deadlock, data-race,\n"
              "                      unprotected-increment, tls-misuse, api-misuse\n",
              out);
}

int lw_report_parse_cmdline(const char *cmd, int argc, char **argv, unsigned with,
                            lw_report_opts *o, void (*usage)(FILE *), int *first)
{
    struct option longopts[LW_RA_MAX_OPTS + 2];
    size_t k = lw_report_longopts(longopts, with);
    longopts[k++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[k] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    optind = 0; /* glibc: 0 fully re-initialises getopt */
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (lw_report_is_opt(c)) {
            if (lw_report_opt(cmd, c, optarg, o) != 0)
                return 2;
            continue;
        }
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case ':':
            fprintf(stderr, "%s: option '%s' needs a value; try 'lockwatch --help'\n", cmd,
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "%s: unknown option '%s'; try 'lockwatch --help'\n", cmd,
                    argv[optind - 1]);
            return 2;
        }
    }
    if (lw_report_opts_finish(cmd, o, with) != 0)
        return 2;
    if (optind >= argc) {
        fprintf(stderr,
                "%s: no log given (expected LOG or DIR arguments); try 'lockwatch --help'\n", cmd);
        return 2;
    }
    *first = optind;
    return 0;
}
