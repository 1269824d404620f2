/*
 * The SARIF 2.1.0 report (OASIS Static Analysis Results Interchange Format), for code-scanning
 * services such as GitHub's. One run; one rule per finding kind and subkind (ruleId
 * "lock-order-inversion", "lock-order-inversion/single-thread"); one result per finding with
 * its primary location (where the cycle closed), a partialFingerprints entry from
 * fingerprint.h, and a codeFlow holding one threadFlow per lock-order edge: the two acquisitions
 * of that thread, each with its full stack. Source paths under the source root are relative URIs
 * with uriBaseId "SRCROOT", which originalUriBaseIds resolves; others are file:// URIs.
 */
#include "fingerprint.h"
#include "json_writer.h"
#include "render.h"
#include "uri.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SARIF_SCHEMA                                                                               \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

/* The rules we can report: every kind, plus the subkinds that deserve their own rule. */
static const struct {
    const char *id;
    const char *name;
    const char *text;
} rules[] = {
    {"lock-order-inversion", "LockOrderInversion",
     "Threads take the same locks in different orders: a potential deadlock."},
    {"lock-order-inversion/single-thread", "InconsistentLockOrder",
     "One thread takes the same locks in different orders on different paths: a latent "
     "deadlock."},
    {"deadlock", "Deadlock", "Threads waited for each other's locks: an actual deadlock."},
    {"data-race", "DataRace", "Two threads access the same memory without synchronisation."},
    {"unprotected-increment", "UnprotectedIncrement",
     "A read-modify-write of shared memory that other threads also modify, without a lock."},
    {"tls-misuse", "TlsMisuse", "Thread-local storage used in a way that cannot work."},
    {"api-misuse", "ApiMisuse", "A POSIX threads call made against its rules."},
};
#define N_RULES (sizeof rules / sizeof rules[0])

/* Index of f's rule: kind/subkind when listed, else the kind. */
static size_t rule_index(const lw_finding *f)
{
    const char *kind = lw_kind_name(f->kind);
    size_t kl = strlen(kind);
    size_t best = 0;
    bool found = false;
    for (size_t i = 0; i < N_RULES; i++) {
        if (strcmp(rules[i].id, kind) == 0 && !found) {
            best = i;
            found = true;
        }
        if (f->subkind && strncmp(rules[i].id, kind, kl) == 0 && rules[i].id[kl] == '/' &&
            strcmp(rules[i].id + kl + 1, f->subkind) == 0)
            return i;
    }
    return best;
}

static void text_message(lw_json *w, const char *text)
{
    lw_json_begin_object(w);
    lw_json_key(w, "text");
    lw_json_string(w, text);
    lw_json_end_object(w);
}

/* A location for a frame: physical when the file is known, logical (function) always when
 * known; message optional. */
static void frame_location(lw_json *w, const lw_report *r, const lw_frame *f, const char *message)
{
    lw_json_begin_object(w);
    if (f->file) {
        char shown[LW_NAME_MAX], uri[LW_NAME_MAX * 3 + 16];
        lw_namer_path(r->namer, f->file, shown, sizeof shown);
        lw_json_key(w, "physicalLocation");
        lw_json_begin_object(w);
        lw_json_key(w, "artifactLocation");
        lw_json_begin_object(w);
        if (shown[0] == '/') {
            char enc[LW_NAME_MAX * 3];
            lw_uri_encode_path(shown, enc, sizeof enc);
            snprintf(uri, sizeof uri, "file://%s", enc);
            lw_json_key(w, "uri");
            lw_json_string(w, uri);
        } else {
            lw_uri_encode_path(shown, uri, sizeof uri);
            lw_json_key(w, "uri");
            lw_json_string(w, uri);
            lw_json_key(w, "uriBaseId");
            lw_json_string(w, "SRCROOT");
        }
        lw_json_end_object(w);
        if (f->line > 0) {
            lw_json_key(w, "region");
            lw_json_begin_object(w);
            lw_json_key(w, "startLine");
            lw_json_int(w, f->line);
            lw_json_end_object(w);
        }
        lw_json_end_object(w);
    }
    if (f->function) {
        lw_json_key(w, "logicalLocations");
        lw_json_begin_array(w);
        lw_json_begin_object(w);
        lw_json_key(w, "name");
        lw_json_string(w, f->function);
        lw_json_key(w, "kind");
        lw_json_string(w, "function");
        lw_json_end_object(w);
        lw_json_end_array(w);
    }
    if (message) {
        lw_json_key(w, "message");
        text_message(w, message);
    }
    lw_json_end_object(w);
}

/* A threadFlowLocation: the site of stack_id with its message, and the whole stack. */
static void flow_location(lw_json *w, const lw_report *r, const lw_process *p, uint32_t stack_id,
                          const char *message, int order)
{
    lw_frame *frames = xmalloc(LW_NAMER_MAX_FRAMES * sizeof *frames);
    size_t n = lw_namer_stack(r->namer, p, stack_id, frames, LW_NAMER_MAX_FRAMES);
    lw_frame site;
    bool have_site = lw_namer_site(r->namer, p, stack_id, &site);
    lw_json_begin_object(w);
    lw_json_key(w, "location");
    if (have_site) {
        frame_location(w, r, &site, message);
    } else {
        lw_json_begin_object(w);
        lw_json_key(w, "message");
        text_message(w, message);
        lw_json_end_object(w);
    }
    lw_json_key(w, "stack");
    lw_json_begin_object(w);
    lw_json_key(w, "frames");
    lw_json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        lw_json_begin_object(w);
        lw_json_key(w, "location");
        frame_location(w, r, &frames[i], NULL);
        if (frames[i].module) {
            lw_json_key(w, "module");
            lw_json_string(w, frames[i].module);
        }
        lw_json_end_object(w);
    }
    lw_json_end_array(w);
    lw_json_end_object(w);
    lw_json_key(w, "executionOrder");
    lw_json_int(w, order);
    lw_json_end_object(w);
    free(frames);
}

static void code_flows(lw_json *w, const lw_report *r, const lw_finding *f)
{
    lw_json_key(w, "codeFlows");
    lw_json_begin_array(w);
    lw_json_begin_object(w);
    lw_json_key(w, "threadFlows");
    lw_json_begin_array(w);
    for (size_t i = 0; i < f->n_edges; i++) {
        const lw_finding_edge *e = &f->edges[i];
        lw_lock_name from, to;
        lw_namer_lock(r->namer, f->proc, e->from_lock, &from);
        lw_namer_lock(r->namer, f->proc, e->to_lock, &to);
        char id[64], msg[3 * LW_NAME_MAX];
        snprintf(id, sizeof id, "edge %zu, thread #%" PRIu32, i + 1, e->thread_id);
        lw_json_begin_object(w);
        lw_json_key(w, "id");
        lw_json_string(w, id);
        snprintf(msg, sizeof msg, "thread #%" PRIu32 " acquired %s while holding %s", e->thread_id,
                 to.short_name, from.short_name);
        lw_json_key(w, "message");
        text_message(w, msg);
        lw_json_key(w, "locations");
        lw_json_begin_array(w);
        snprintf(msg, sizeof msg, "thread #%" PRIu32 " acquires %s", e->thread_id, from.short_name);
        flow_location(w, r, f->proc, e->from_stack, msg, 1);
        snprintf(msg, sizeof msg, "then acquires %s while holding %s", to.short_name,
                 from.short_name);
        flow_location(w, r, f->proc, e->to_stack, msg, 2);
        lw_json_end_array(w);
        lw_json_end_object(w);
    }
    lw_json_end_array(w);
    lw_json_end_object(w);
    lw_json_end_array(w);
}

/* A finding other than an inversion: the text report's headline, without its "ERROR: " or
 * "WARNING: " and its newline ("api-misuse: thread #1 relocks 'm', which it already holds"). */
static void headline_message(FILE *m, const lw_report *r, const lw_finding *f)
{
    char *line = NULL;
    size_t len = 0;
    FILE *h = open_memstream(&line, &len);
    if (!h)
        abort();
    lw_render_text_headline(h, r, f);
    if (fclose(h) != 0 || !line)
        abort();
    const char *text = line;
    if (strncmp(text, "ERROR: ", 7) == 0)
        text += 7;
    else if (strncmp(text, "WARNING: ", 9) == 0)
        text += 9;
    size_t n = strcspn(text, "\n");
    fprintf(m, "%.*s", (int)n, text);
    free(line);
}

/* The result's message: the cycle in words, as the text report's chain. */
static char *result_message(const lw_report *r, const lw_finding *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        abort();
    if (f->harmless)
        fprintf(m, "Lock-order cycle judged harmless (%s): ", f->reason ? f->reason : "?");
    else if (f->kind == LW_KIND_LOCK_ORDER_INVERSION && f->subkind &&
             strcmp(f->subkind, "single-thread") == 0)
        fputs("Inconsistent lock order in one thread (latent deadlock): ", m);
    else if (f->kind == LW_KIND_LOCK_ORDER_INVERSION)
        fprintf(m, "Possible deadlock: lock-order inversion between %zu locks: ", f->n_locks);
    else
        headline_message(m, r, f);
    for (size_t i = 0; f->proc && i < f->n_edges; i++) {
        lw_lock_name from, to;
        lw_namer_lock(r->namer, f->proc, f->edges[i].from_lock, &from);
        lw_namer_lock(r->namer, f->proc, f->edges[i].to_lock, &to);
        fprintf(m, "%sthread #%" PRIu32 " acquired %s while holding %s", i ? "; " : "",
                f->edges[i].thread_id, to.short_name, from.short_name);
    }
    fputc('.', m);
    if (fclose(m) != 0 || !text)
        abort();
    return text;
}

/* The stack whose top site is the finding's primary location, as in the text report's SUMMARY
 * line: the closing acquisition of an inversion, the first blocked call of a deadlock, the call
 * or access of any other finding. 0 if none. */
static uint32_t primary_stack(const lw_finding *f)
{
    if (f->n_edges)
        return f->edges[0].to_stack;
    if (f->kind == LW_KIND_DEADLOCK) {
        for (size_t i = 0; i < f->n_waits; i++)
            if (f->waits[i].stack_id)
                return f->waits[i].stack_id;
        return 0;
    }
    return f->stack_id;
}

static void result_json(lw_json *w, const lw_report *r, const lw_finding *f)
{
    size_t ri = rule_index(f);
    lw_json_begin_object(w);
    lw_json_key(w, "ruleId");
    lw_json_string(w, rules[ri].id);
    lw_json_key(w, "ruleIndex");
    lw_json_uint(w, ri);
    lw_json_key(w, "level");
    lw_json_string(w, f->harmless ? "note" : "error");
    char *msg = result_message(r, f);
    lw_json_key(w, "message");
    text_message(w, msg);
    free(msg);
    lw_json_key(w, "locations");
    lw_json_begin_array(w);
    lw_frame site;
    uint32_t primary = primary_stack(f);
    if (f->proc && primary && lw_namer_site(r->namer, f->proc, primary, &site))
        frame_location(w, r, &site, NULL);
    lw_json_end_array(w);
    char fp[LW_FINGERPRINT_LEN + 1];
    if (f->fingerprint[0])
        memcpy(fp, f->fingerprint, sizeof fp);
    else if (f->proc)
        lw_fingerprint(r->namer, f, fp);
    else
        fp[0] = '\0';
    if (fp[0]) {
        lw_json_key(w, "partialFingerprints");
        lw_json_begin_object(w);
        lw_json_key(w, LW_FINGERPRINT_KEY);
        lw_json_string(w, fp);
        lw_json_end_object(w);
    }
    if (f->proc && f->n_edges)
        code_flows(w, r, f);
    lw_json_key(w, "properties");
    lw_json_begin_object(w);
    lw_json_key(w, "occurrences");
    lw_json_uint(w, f->occurrences ? f->occurrences : 1);
    lw_json_key(w, "logs");
    lw_json_begin_array(w);
    if (f->n_logs == 0 && f->proc)
        lw_json_string(w, f->proc->log_path);
    for (size_t i = 0; i < f->n_logs; i++)
        lw_json_string(w, f->logs[i]);
    lw_json_end_array(w);
    if (f->harmless) {
        lw_json_key(w, "harmlessReason");
        lw_json_string(w, f->reason);
    }
    lw_json_end_object(w);
    lw_json_end_object(w);
}

static void driver_json(lw_json *w)
{
    lw_json_key(w, "tool");
    lw_json_begin_object(w);
    lw_json_key(w, "driver");
    lw_json_begin_object(w);
    lw_json_key(w, "name");
    lw_json_string(w, "lockwatch");
    lw_json_key(w, "version");
    lw_json_string(w, LOCKWATCH_VERSION);
    lw_json_key(w, "rules");
    lw_json_begin_array(w);
    for (size_t i = 0; i < N_RULES; i++) {
        lw_json_begin_object(w);
        lw_json_key(w, "id");
        lw_json_string(w, rules[i].id);
        lw_json_key(w, "name");
        lw_json_string(w, rules[i].name);
        lw_json_key(w, "shortDescription");
        text_message(w, rules[i].text);
        lw_json_key(w, "defaultConfiguration");
        lw_json_begin_object(w);
        lw_json_key(w, "level");
        lw_json_string(w, "error");
        lw_json_end_object(w);
        lw_json_end_object(w);
    }
    lw_json_end_array(w);
    lw_json_end_object(w);
    lw_json_end_object(w);
}

int lw_render_sarif(FILE *out, const lw_report *r)
{
    lw_json w;
    lw_json_init(&w, out, true);
    lw_json_begin_object(&w);
    lw_json_key(&w, "$schema");
    lw_json_string(&w, SARIF_SCHEMA);
    lw_json_key(&w, "version");
    lw_json_string(&w, "2.1.0");
    lw_json_key(&w, "runs");
    lw_json_begin_array(&w);
    lw_json_begin_object(&w);
    driver_json(&w);
    const char *root = lw_namer_root(r->namer);
    if (root && root[0] == '/') {
        char uri[4200];
        lw_uri_file_dir(root, uri, sizeof uri);
        lw_json_key(&w, "originalUriBaseIds");
        lw_json_begin_object(&w);
        lw_json_key(&w, "SRCROOT");
        lw_json_begin_object(&w);
        lw_json_key(&w, "uri");
        lw_json_string(&w, uri);
        lw_json_end_object(&w);
        lw_json_end_object(&w);
    }
    lw_json_key(&w, "results");
    lw_json_begin_array(&w);
    for (size_t i = 0; i < r->findings->n; i++) {
        const lw_finding *f = &r->findings->items[i];
        if (f->harmless && !r->show_all)
            continue;
        result_json(&w, r, f);
    }
    lw_json_end_array(&w);
    lw_json_key(&w, "invocations");
    lw_json_begin_array(&w);
    lw_json_begin_object(&w);
    lw_json_key(&w, "executionSuccessful");
    lw_json_bool(&w, true);
    lw_json_end_object(&w);
    lw_json_end_array(&w);
    lw_json_end_object(&w);
    lw_json_end_array(&w);
    lw_json_end_object(&w);
    return lw_json_finish(&w);
}
