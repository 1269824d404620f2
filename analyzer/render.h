/*
 * Renderers: print a set of findings (finding.h) about the processes of a model (model.h) as
 * text (lockdep-style, for people) or JSON (docs/report-schema.md, for programs). Renderers never
 * analyse and never filter beyond the one user choice they are given (show harmless findings or
 * not); all naming goes through naming.h so both formats agree.
 */
#ifndef LOCKWATCH_RENDER_H
#define LOCKWATCH_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "finding.h"
#include "model.h"
#include "naming.h"

/* What `lockwatch run` knows about the program it watched (absent for `lockwatch report`). */
typedef struct lw_program_info {
    const char *path;  /* as given on the command line */
    char *const *argv; /* argv[0..argc-1] of the program */
    size_t argc;
    bool exited; /* true: exit_status is valid; false: killed by `signal` */
    int exit_status;
    int signal;          /* 0 when exited */
    const char *log_dir; /* the directory the logs were written to */
} lw_program_info;

typedef struct lw_report {
    const lw_model *model;
    const lw_findings *findings;
    const lw_program_info *program; /* NULL for `lockwatch report` */
    bool show_all;                  /* also print findings judged harmless */
    lw_namer *namer;                /* names locks, threads and frames */
    const bool *analysis_truncated; /* per model->procs entry: cycle enumeration hit its limit;
                                       NULL if never */
    bool color;                     /* text: colour escapes (term.h) */
    size_t n_suppressed;            /* findings removed by --suppressions (gate.h) */
    size_t n_baselined;             /* findings removed by --baseline */
} lw_report;

/* Writes the text report. Returns 0, or -1 if writing failed. */
int lw_render_text(FILE *out, const lw_report *r);
/* Writes the JSON report (one document). Returns 0, or -1 if writing failed. */
int lw_render_json(FILE *out, const lw_report *r);
/* Writes a SARIF 2.1.0 log (render_sarif.c). Returns 0, or -1 if writing failed. */
int lw_render_sarif(FILE *out, const lw_report *r);
/* Writes a JUnit XML report (render_junit.c). Returns 0, or -1 if writing failed. */
int lw_render_junit(FILE *out, const lw_report *r);
/* Writes the text report of one finding (what JUnit puts in a failure). */
void lw_render_text_finding(FILE *out, const lw_report *r, const lw_finding *f);
/* Writes the one-line headline of finding f as the text report shows it ("ERROR: api-misuse:
 * thread #1 ...\n"), without colour. */
void lw_render_text_headline(FILE *out, const lw_report *r, const lw_finding *f);

/* Number of findings judged harmless. */
static inline size_t lw_report_count_harmless(const lw_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->findings->n; i++)
        n += r->findings->items[i].harmless;
    return n;
}

/* Number of findings of kind k that are not harmless. */
static inline size_t lw_report_count_kind(const lw_report *r, lw_finding_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->findings->n; i++)
        n += !r->findings->items[i].harmless && r->findings->items[i].kind == k;
    return n;
}

/* The description of a drop reason (enum lw_drop_reason), e.g. "lock table full". */
static inline const char *lw_drop_reason_text(size_t reason)
{
    switch (reason) {
    case LW_DROP_LOCK_TABLE_FULL:
        return "lock table full";
    case LW_DROP_STACK_DEPOT_FULL:
        return "stack depot full";
    case LW_DROP_CONTEXT_SET_FULL:
        return "context set full";
    case LW_DROP_LOG_FULL:
        return "log file full";
    case LW_DROP_THREAD_TABLE_FULL:
        return "thread table full";
    case LW_DROP_SYNC_TABLE_FULL:
        return "race-mode synchronisation table full";
    case LW_DROP_CLOCK_MEMORY_FULL:
        return "race-mode clock memory full";
    default:
        return "unknown reason";
    }
}

/* The damage description of p without a leading "<log path>: " (messages name the log
 * themselves), or "stopped early" when the reader gave none. */
static inline const char *lw_damage_text(const lw_process *p)
{
    if (!p->damage)
        return "stopped early";
    size_t n = p->log_path ? strlen(p->log_path) : 0;
    if (n && strncmp(p->damage, p->log_path, n) == 0 && p->damage[n] == ':' &&
        p->damage[n + 1] == ' ')
        return p->damage + n + 2;
    return p->damage;
}

#endif /* LOCKWATCH_RENDER_H */
