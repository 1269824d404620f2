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

#include "baseline.h"
#include "deadlock.h"
#include "finding.h"
#include "gate.h"
#include "lock_order.h"
#include "log_reader.h"
#include "model.h"
#include "merge.h"
#include "misuse.h"
#include "race.h"
#include "tls_misuse.h"
#include "naming.h"
#include "progress.h"
#include "report_args.h"
#include "suppressions.h"
#include "term.h"
#include "xalloc.h"

int lw_format_parse(const char *s, lw_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = LW_FORMAT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = LW_FORMAT_JSON;
    else if (strcmp(s, "sarif") == 0)
        *out = LW_FORMAT_SARIF;
    else if (strcmp(s, "junit") == 0)
        *out = LW_FORMAT_JUNIT;
    else
        return -1;
    return 0;
}

void lw_cmd_report_usage(FILE *out)
{
    fputs("usage: lockwatch report [--format text|json|sarif|junit] [--output FILE] [--all]\n"
          "                        [--source-root DIR] [--suppressions FILE] [--baseline FILE]\n"
          "                        [--print-suppressions] [--color WHEN] LOG|DIR...\n"
          "  Reads lockwatch logs (files, or directories holding lockwatch.*.log) and reports\n"
          "  lock-order inversions (potential deadlocks) with symbolized stacks. Findings seen\n"
          "  in several logs are reported once, with the logs they were seen in.\n",
          out);
    lw_report_opts_usage(out, 0);
    fputs("  Exit status: 0 no findings, 1 findings (not suppressed, not in the baseline),\n"
          "  2 usage or input error.\n",
          out);
}

int lw_report_paths(const char *cmd, const lw_report_opts *o, char *const *paths, size_t n,
                    const lw_program_info *program)
{
    lw_model model = {0};
    char err[1024] = "";
    /* Read the filter files first: a typo there should fail before minutes of log reading. */
    lw_suppressions supp = {0};
    lw_baseline base = {0};
    if ((o->suppressions && lw_suppressions_load(&supp, o->suppressions, err, sizeof err) != 0) ||
        (o->baseline && lw_baseline_load(&base, o->baseline, err, sizeof err) != 0)) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        lw_suppressions_free(&supp);
        lw_baseline_free(&base);
        return 2;
    }
    if (lw_model_load_progress(&model, paths, n, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err[0] ? err : "cannot load the logs");
        lw_model_free(&model);
        lw_suppressions_free(&supp);
        lw_baseline_free(&base);
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
    bool *truncated = xcalloc(model.n_procs, sizeof *truncated);
    lw_lock_order_options lo = {0};
    for (size_t i = 0; i < model.n_procs; i++) {
        /* Deadlocks that happened come first: they explain a hang or an abort. */
        lw_analyze_deadlocks(&model.procs[i], &findings);
        lw_analyze_misuse(&model.procs[i], &findings);     /* API misuse that happened (misuse.h) */
        lw_analyze_tls_misuse(&model.procs[i], &findings); /* keys and TLS (tls_misuse.h) */
        lw_analyze_races(&model.procs[i], &findings);      /* race mode's RACE records (race.h) */
        lw_analyze_lock_order(&model.procs[i], &lo, &findings, &truncated[i]);
    }

    /* Merge across logs, then filter: renderers see only what the user should see. */
    lw_namer *namer = lw_namer_new(NULL, o->source_root);
    lw_findings_merge(&findings, namer);
    size_t n_suppressed = 0, n_baselined = 0;
    lw_gate_filter(&findings, namer, o->suppressions ? &supp : NULL, o->baseline ? &base : NULL,
                   &n_suppressed, &n_baselined);
    unsigned fail_on = o->fail_on ? o->fail_on : LW_FAIL_ON_ALL;

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
            .namer = namer,
            .analysis_truncated = truncated,
            .color = o->format == LW_FORMAT_TEXT && lw_color_enabled(o->color, out),
            .n_suppressed = n_suppressed,
            .n_baselined = n_baselined,
        };
        int rc;
        switch (o->format) {
        case LW_FORMAT_JSON:
            rc = lw_render_json(out, &r);
            break;
        case LW_FORMAT_SARIF:
            rc = lw_render_sarif(out, &r);
            break;
        case LW_FORMAT_JUNIT:
            rc = lw_render_junit(out, &r);
            break;
        case LW_FORMAT_BASELINE:
            rc = lw_baseline_write(out, namer, &findings);
            break;
        default:
            rc = lw_render_text(out, &r);
            break;
        }
        if (out != stdout) {
            if (fclose(out) != 0)
                rc = -1;
        }
        if (rc != 0) {
            fprintf(stderr, "%s: cannot write the report to %s\n", cmd,
                    o->output ? o->output : "stdout");
            status = 2;
        } else {
            /* Writing a baseline is not a gate: it succeeds whatever it records. */
            status = o->format != LW_FORMAT_BASELINE && lw_gate_count(&findings, fail_on) ? 1 : 0;
        }
    }
    if (o->print_suppressions) {
        fputs("# lockwatch: suppression entries for these findings (docs/ci.md)\n", stderr);
        for (size_t i = 0; i < findings.n; i++)
            if (!findings.items[i].harmless)
                lw_suppressions_print_for(stderr, namer, &findings.items[i]);
    }
    if (o->verdict && status != 2)
        lw_gate_print_verdict(stderr, cmd, &findings, fail_on, n_suppressed, n_baselined);
    lw_namer_free(namer);
    lw_suppressions_free(&supp);
    lw_baseline_free(&base);
    free(truncated);
    lw_findings_free(&findings);
    lw_model_free(&model);
    return status;
}

int lw_cmd_report(int argc, char **argv)
{
    lw_report_opts o = {.format = LW_FORMAT_TEXT};
    int first = 0;
    int rc =
        lw_report_parse_cmdline("lockwatch report", argc, argv, 0, &o, lw_cmd_report_usage, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    return lw_report_paths("lockwatch report", &o, argv + first, (size_t)(argc - first), NULL);
}
