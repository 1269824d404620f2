/*
 * `lockwatch report [--format text|json] [--output FILE] [--all] [--source-root DIR] LOG|DIR...`
 * and the load -> analyse -> render pipeline shared with `lockwatch run`. Exit statuses follow
 * the sanitizer/CI convention: 0 nothing to report, 1 at least one finding that is not judged
 * harmless, 2 the input or the command line was bad (never a crash).
 */
#include "cmd_report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "lock_order.h"
#include "log_reader.h"
#include "model.h"
#include "naming.h"

int lw_format_parse(const char *s, lw_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = LW_FORMAT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = LW_FORMAT_JSON;
    else
        return -1;
    return 0;
}

void lw_cmd_report_usage(FILE *out)
{
    fputs("usage: lockwatch report [--format text|json] [--output FILE] [--all]\n"
          "                        [--source-root DIR] LOG|DIR...\n"
          "  Reads lockwatch logs (files, or directories holding lockwatch.*.log) and reports\n"
          "  lock-order inversions (potential deadlocks) with symbolized stacks.\n"
          "  --format text|json  text for people (default), json for programs\n"
          "                      (docs/report-schema.md)\n"
          "  --output FILE       write the report to FILE instead of stdout\n"
          "  --all               also show cycles judged harmless, with the reason\n"
          "  --source-root DIR   show source paths relative to DIR (default: the current\n"
          "                      directory)\n",
          out);
}

int lw_report_paths(const char *cmd, const lw_report_opts *o, char *const *paths, size_t n,
                    const lw_program_info *program)
{
    lw_model model = {0};
    char err[1024] = "";
    if (lw_model_load(&model, paths, n, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err[0] ? err : "cannot load the logs");
        lw_model_free(&model);
        return 2;
    }
    for (size_t i = 0; i < model.n_procs; i++) {
        const lw_process *p = &model.procs[i];
        if (p->damage || p->truncated) {
            char path[1024];
            snprintf(path, sizeof path, "%s", p->log_path ? p->log_path : "?");
            lw_text_sanitize(path);
            fprintf(stderr, "%s: warning: damaged log %s: ", cmd, path);
            lw_fputs_sanitized(lw_damage_text(p), stderr);
            fputs("; continuing with what was read\n", stderr);
        }
    }

    lw_findings findings = {0};
    bool *truncated = calloc(model.n_procs ? model.n_procs : 1, sizeof *truncated);
    if (!truncated) abort();
    lw_lock_order_options lo = {0};
    for (size_t i = 0; i < model.n_procs; i++)
        lw_analyze_lock_order(&model.procs[i], &lo, &findings, &truncated[i]);

    int status = 0;
    FILE *out = stdout;
    if (o->output) {
        out = fopen(o->output, "w");
        if (!out) {
            fprintf(stderr, "%s: cannot write --output %s: %s\n", cmd, o->output, strerror(errno));
            status = 2;
        }
    }
    if (status == 0) {
        lw_report r = {
            .model = &model,
            .findings = &findings,
            .program = program,
            .show_all = o->all,
            .namer = lw_namer_new(NULL, o->source_root),
            .analysis_truncated = truncated,
        };
        int rc = o->format == LW_FORMAT_JSON ? lw_render_json(out, &r) : lw_render_text(out, &r);
        lw_namer_free(r.namer);
        if (out != stdout) {
            if (fclose(out) != 0) rc = -1;
        }
        if (rc != 0) {
            fprintf(stderr, "%s: cannot write the report to %s\n", cmd,
                    o->output ? o->output : "stdout");
            status = 2;
        } else {
            status = lw_findings_count_real(&findings) > 0 ? 1 : 0;
        }
    }
    free(truncated);
    lw_findings_free(&findings);
    lw_model_free(&model);
    return status;
}

int lw_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"all", no_argument, NULL, 'a'},          {"source-root", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    lw_report_opts o = {.format = LW_FORMAT_TEXT};
    opterr = 0;
    optind = 0; /* glibc: 0 fully re-initialises getopt */
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (lw_format_parse(optarg, &o.format) != 0) {
                fprintf(stderr,
                        "lockwatch report: --format: expected text or json, got '%s'; try "
                        "'lockwatch --help'\n",
                        optarg);
                return 2;
            }
            break;
        case 'o':
            o.output = optarg;
            break;
        case 'a':
            o.all = true;
            break;
        case 's':
            o.source_root = optarg;
            break;
        case 'h':
            lw_cmd_report_usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "lockwatch report: option '%s' needs a value; try 'lockwatch --help'\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "lockwatch report: unknown option '%s'; try 'lockwatch --help'\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind >= argc) {
        fputs("lockwatch report: no log given (expected LOG or DIR arguments); try 'lockwatch "
              "--help'\n",
              stderr);
        return 2;
    }
    return lw_report_paths("lockwatch report", &o, argv + optind, (size_t)(argc - optind), NULL);
}
