/*
 * The JSON report: the public, versioned machine interface described in docs/report-schema.md.
 * Field names and meanings are fixed for version 1; new fields may be added (readers must
 * ignore fields they do not know), anything else needs a new version. Unknown values are null,
 * never omitted, so every documented field is always present.
 */
#include "deadlock.h"
#include "json_writer.h"
#include "render.h"
#include "xalloc.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define LW_REPORT_SCHEMA_VERSION 1

static void frame_json(lw_json *w, const lw_report *r, const lw_frame *f)
{
    char path[LW_NAME_MAX];
    lw_json_begin_object(w);
    lw_json_key(w, "function");
    lw_json_string(w, f->function);
    lw_json_key(w, "file");
    lw_json_string(w, f->file ? lw_namer_path(r->namer, f->file, path, sizeof path) : NULL);
    lw_json_key(w, "line");
    if (f->line > 0)
        lw_json_int(w, f->line);
    else
        lw_json_null(w);
    lw_json_key(w, "column");
    if (f->column > 0)
        lw_json_int(w, f->column);
    else
        lw_json_null(w);
    lw_json_key(w, "module");
    lw_json_string(w, f->module);
    lw_json_key(w, "pc");
    lw_json_hex(w, f->pc);
    lw_json_key(w, "inlined");
    lw_json_bool(w, f->inlined);
    lw_json_end_object(w);
}

static void stack_json(lw_json *w, const lw_report *r, const lw_process *p, uint32_t stack_id)
{
    lw_frame *frames = xmalloc(LW_NAMER_MAX_FRAMES * sizeof *frames);
    size_t n = lw_namer_stack(r->namer, p, stack_id, frames, LW_NAMER_MAX_FRAMES);
    lw_json_begin_array(w);
    for (size_t i = 0; i < n; i++)
        frame_json(w, r, &frames[i]);
    lw_json_end_array(w);
    free(frames);
}

static void lock_json(lw_json *w, const lw_report *r, const lw_process *p, uint32_t id)
{
    lw_lock_name ln;
    lw_namer_lock(r->namer, p, id, &ln);
    lw_json_begin_object(w);
    lw_json_key(w, "id");
    lw_json_uint(w, id);
    lw_json_key(w, "name");
    lw_json_string(w, ln.name);
    lw_json_key(w, "kind");
    lw_json_string(w, ln.lock ? lw_lock_kind_name(ln.lock->kind) : NULL);
    lw_json_key(w, "address");
    if (ln.lock)
        lw_json_hex(w, ln.lock->address);
    else
        lw_json_null(w);
    lw_json_key(w, "symbol");
    lw_json_string(w, ln.symbol);
    lw_json_key(w, "file");
    lw_json_string(w, ln.file[0] ? ln.file : NULL);
    lw_json_key(w, "line");
    if (ln.line > 0)
        lw_json_int(w, ln.line);
    else
        lw_json_null(w);
    lw_json_key(w, "static");
    lw_json_bool(w, ln.lock && (ln.lock->flags & LW_LOCKF_STATIC));
    lw_json_key(w, "init_stack");
    stack_json(w, r, p, ln.lock ? ln.lock->init_stack : 0);
    lw_json_end_object(w);
}

static void thread_json(lw_json *w, const lw_report *r, const lw_process *p, uint32_t id)
{
    const lw_thread *t = lw_process_thread(p, id);
    lw_json_begin_object(w);
    lw_json_key(w, "id");
    lw_json_uint(w, id);
    lw_json_key(w, "tid");
    if (t)
        lw_json_uint(w, t->os_tid);
    else
        lw_json_null(w);
    lw_json_key(w, "name");
    if (t && t->name[0]) {
        char name[sizeof t->name + 1];
        memcpy(name, t->name, sizeof t->name);
        name[sizeof t->name] = '\0';
        lw_json_string(w, name);
    } else {
        lw_json_null(w);
    }
    lw_json_key(w, "parent");
    if (t && t->parent_id)
        lw_json_uint(w, t->parent_id);
    else
        lw_json_null(w);
    lw_json_key(w, "create_stack");
    stack_json(w, r, p, t ? t->create_stack : 0);
    lw_json_end_object(w);
}

/* The tls-misuse details: the key, or the variable, owner, access and the owner's exit. */
static void tls_json(lw_json *w, const lw_report *r, const lw_process *p, const lw_finding_tls *t)
{
    lw_json_begin_object(w);
    lw_json_key(w, "key");
    if (t->has_key)
        lw_json_uint(w, t->key);
    else
        lw_json_null(w);
    lw_json_key(w, "variable");
    if (t->variable)
        lw_json_string(w, t->variable);
    else
        lw_json_null(w);
    lw_json_key(w, "region");
    if (t->region == LW_TLS_REGION_TLS || t->region == LW_TLS_REGION_STACK)
        lw_json_string(w, t->region == LW_TLS_REGION_TLS ? "tls" : "stack");
    else
        lw_json_null(w);
    lw_json_key(w, "owner_thread");
    if (t->owner_thread)
        lw_json_uint(w, t->owner_thread);
    else
        lw_json_null(w);
    lw_json_key(w, "is_write");
    if (t->has_key)
        lw_json_null(w);
    else
        lw_json_bool(w, t->is_write);
    lw_json_key(w, "size");
    if (t->size)
        lw_json_uint(w, t->size);
    else
        lw_json_null(w);
    lw_json_key(w, "exit_stack");
    stack_json(w, r, p, t->exit_stack);
    lw_json_key(w, "handoff_stack");
    stack_json(w, r, p, t->handoff_stack);
    lw_json_end_object(w);
}

/* The race details: the location (variable when known) and both accesses, earlier first. */
static void race_json(lw_json *w, const lw_report *r, const lw_process *p, const lw_finding_race *x)
{
    lw_json_begin_object(w);
    lw_json_key(w, "location");
    lw_json_begin_object(w);
    lw_json_key(w, "address");
    lw_json_hex(w, x->address);
    lw_json_key(w, "size");
    lw_json_uint(w, x->size);
    lw_data_symbol sym;
    bool named = lw_namer_data(r->namer, p, x->address, &sym);
    lw_json_key(w, "symbol");
    lw_json_string(w, named ? sym.name : NULL);
    lw_json_key(w, "offset");
    if (named)
        lw_json_uint(w, x->address - sym.start);
    else
        lw_json_null(w);
    lw_json_key(w, "symbol_size");
    if (named)
        lw_json_uint(w, sym.size);
    else
        lw_json_null(w);
    char path[LW_NAME_MAX];
    lw_json_key(w, "file");
    lw_json_string(w,
                   named && sym.file ? lw_namer_path(r->namer, sym.file, path, sizeof path) : NULL);
    lw_json_key(w, "line");
    if (named && sym.line > 0)
        lw_json_uint(w, (uint64_t)sym.line);
    else
        lw_json_null(w);
    lw_json_end_object(w);
    lw_json_key(w, "records");
    lw_json_uint(w, x->records);
    lw_json_key(w, "accesses");
    lw_json_begin_array(w);
    for (int i = 0; i < 2; i++) {
        const lw_finding_access *a = &x->access[i];
        lw_json_begin_object(w);
        lw_json_key(w, "thread");
        lw_json_uint(w, a->thread_id);
        lw_json_key(w, "access");
        lw_json_string(w, (a->flags & LW_RACE_ACC_WRITE) ? "write" : "read");
        lw_json_key(w, "atomic");
        lw_json_bool(w, (a->flags & LW_RACE_ACC_ATOMIC) != 0);
        lw_json_key(w, "read_modify_write");
        lw_json_bool(w, (a->flags & LW_RACE_ACC_RMW) != 0);
        lw_json_key(w, "address");
        lw_json_hex(w, a->address);
        lw_json_key(w, "size");
        lw_json_uint(w, a->size);
        lw_json_key(w, "locks_held");
        lw_json_begin_array(w);
        uint32_t shown = a->n_locks < LW_RACE_MAX_LOCKS ? a->n_locks : LW_RACE_MAX_LOCKS;
        for (uint32_t k = 0; k < shown; k++)
            lw_json_uint(w, a->locks[k]);
        lw_json_end_array(w);
        lw_json_key(w, "n_locks_held");
        lw_json_uint(w, a->n_locks);
        lw_json_key(w, "stack");
        stack_json(w, r, p, a->stack_id);
        lw_json_key(w, "stack_is_top_only");
        lw_json_bool(w, (a->flags & LW_RACE_ACC_TOP_ONLY) != 0);
        lw_json_end_object(w);
    }
    lw_json_end_array(w);
    lw_json_end_object(w);
}

static void edge_json(lw_json *w, const lw_report *r, const lw_process *p, const lw_finding_edge *e)
{
    lw_json_begin_object(w);
    lw_json_key(w, "from");
    lw_json_uint(w, e->from_lock);
    lw_json_key(w, "to");
    lw_json_uint(w, e->to_lock);
    lw_json_key(w, "thread");
    lw_json_uint(w, e->thread_id);
    lw_json_key(w, "held_stack");
    stack_json(w, r, p, e->from_stack);
    lw_json_key(w, "acquire_stack");
    stack_json(w, r, p, e->to_stack);
    lw_json_key(w, "gates");
    lw_json_begin_array(w);
    for (size_t i = 0; i < e->n_gates; i++)
        lw_json_uint(w, e->gates[i]);
    lw_json_end_array(w);
    lw_json_key(w, "trylock");
    lw_json_bool(w, (e->acq_flags & LW_ACQ_TRY) != 0);
    lw_json_key(w, "read");
    lw_json_bool(w, (e->acq_flags & LW_ACQ_READ) != 0);
    lw_json_end_object(w);
}

/* One blocked thread of a deadlock finding (docs/report-schema.md, "wait"). */
static void wait_json(lw_json *w, const lw_report *r, const lw_process *p, const lw_finding_wait *x)
{
    lw_json_begin_object(w);
    lw_json_key(w, "thread");
    lw_json_uint(w, x->thread_id);
    lw_json_key(w, "wait");
    lw_json_string(w, lw_wait_kind_name(x->wait_kind));
    lw_json_key(w, "lock");
    if (x->lock_id)
        lw_json_uint(w, x->lock_id);
    else
        lw_json_null(w);
    lw_json_key(w, "target_thread");
    if (x->target_thread)
        lw_json_uint(w, x->target_thread);
    else
        lw_json_null(w);
    lw_json_key(w, "address");
    if (x->wait_addr)
        lw_json_hex(w, x->wait_addr);
    else
        lw_json_null(w);
    lw_json_key(w, "stack");
    stack_json(w, r, p, x->stack_id);
    lw_json_key(w, "held");
    lw_json_begin_array(w);
    for (size_t i = 0; i < x->n_held; i++)
        lw_json_uint(w, x->held[i]);
    lw_json_end_array(w);
    lw_json_key(w, "held_count");
    lw_json_uint(w, x->n_held_total);
    lw_json_key(w, "waited_ms");
    lw_json_uint(w, x->wait_ns / 1000000u);
    lw_json_end_object(w);
}

static void finding_json(lw_json *w, const lw_report *r, const lw_finding *f)
{
    const lw_process *p = f->proc;
    lw_json_begin_object(w);
    lw_json_key(w, "kind");
    lw_json_string(w, lw_kind_name(f->kind));
    lw_json_key(w, "subkind");
    lw_json_string(w, f->subkind);
    lw_json_key(w, "harmless");
    lw_json_bool(w, f->harmless);
    lw_json_key(w, "reason");
    lw_json_string(w, f->reason);
    lw_json_key(w, "pid");
    if (p)
        lw_json_uint(w, p->pid);
    else
        lw_json_null(w);
    lw_json_key(w, "log");
    lw_json_string(w, p ? p->log_path : NULL);
    lw_json_key(w, "occurrences");
    lw_json_uint(w, f->occurrences ? f->occurrences : 1);
    /* Added with cross-log merging (merge.h): where the finding was seen, and its identity. */
    lw_json_key(w, "logs");
    lw_json_begin_array(w);
    if (f->n_logs == 0 && p)
        lw_json_string(w, p->log_path);
    for (size_t i = 0; i < f->n_logs; i++)
        lw_json_string(w, f->logs[i]);
    lw_json_end_array(w);
    lw_json_key(w, "fingerprint");
    lw_json_string(w, f->fingerprint[0] ? f->fingerprint : NULL);
    lw_json_key(w, "locks");
    lw_json_begin_array(w);
    for (size_t i = 0; p && i < f->n_locks; i++)
        lock_json(w, r, p, f->locks[i]);
    lw_json_end_array(w);
    lw_json_key(w, "threads");
    lw_json_begin_array(w);
    for (size_t i = 0; p && i < f->n_threads; i++)
        thread_json(w, r, p, f->threads[i]);
    lw_json_end_array(w);
    lw_json_key(w, "edges");
    lw_json_begin_array(w);
    for (size_t i = 0; p && i < f->n_edges; i++)
        edge_json(w, r, p, &f->edges[i]);
    lw_json_end_array(w);
    lw_json_key(w, "waits"); /* deadlock findings: the blocked threads; [] for other kinds */
    lw_json_begin_array(w);
    for (size_t i = 0; p && i < f->n_waits; i++)
        wait_json(w, r, p, &f->waits[i]);
    lw_json_end_array(w);
    /* Single-site findings (api-misuse): the call, the other thread, the object's address. */
    lw_json_key(w, "stack");
    if (p) {
        stack_json(w, r, p, f->stack_id);
    } else {
        lw_json_begin_array(w);
        lw_json_end_array(w);
    }
    lw_json_key(w, "other_thread");
    if (f->other_thread)
        lw_json_uint(w, f->other_thread);
    else
        lw_json_null(w);
    lw_json_key(w, "address");
    if (f->address)
        lw_json_hex(w, f->address);
    else
        lw_json_null(w);
    lw_json_key(w, "freed_block"); /* destroy-locked by a free: the block given back */
    if (f->freed_block)
        lw_json_hex(w, f->freed_block);
    else
        lw_json_null(w);
    lw_json_key(w, "tls"); /* tls-misuse findings only (docs/report-schema.md); else null */
    if (p && f->tls)
        tls_json(w, r, p, f->tls);
    else
        lw_json_null(w);
    lw_json_key(w, "race"); /* data-race and unprotected-increment findings only; else null */
    if (p && f->race)
        race_json(w, r, p, f->race);
    else
        lw_json_null(w);
    lw_json_end_object(w);
}

static void program_json(lw_json *w, const lw_program_info *pi)
{
    lw_json_key(w, "program");
    lw_json_begin_object(w);
    lw_json_key(w, "path");
    lw_json_string(w, pi->path);
    lw_json_key(w, "argv");
    lw_json_begin_array(w);
    for (size_t i = 0; i < pi->argc; i++)
        lw_json_string(w, pi->argv[i]);
    lw_json_end_array(w);
    lw_json_key(w, "exit_status");
    if (pi->exited)
        lw_json_int(w, pi->exit_status);
    else
        lw_json_null(w);
    lw_json_key(w, "signal");
    if (!pi->exited && pi->signal > 0) {
        char name[32];
        const char *abbrev = sigabbrev_np(pi->signal);
        if (abbrev)
            snprintf(name, sizeof name, "SIG%s", abbrev);
        else
            snprintf(name, sizeof name, "%d", pi->signal);
        lw_json_string(w, name);
    } else {
        lw_json_null(w);
    }
    lw_json_key(w, "log_dir");
    lw_json_string(w, pi->log_dir);
    lw_json_end_object(w);
}

static void logs_json(lw_json *w, const lw_report *r)
{
    lw_json_key(w, "logs");
    lw_json_begin_array(w);
    for (size_t i = 0; i < r->model->n_procs; i++) {
        const lw_process *p = &r->model->procs[i];
        lw_json_begin_object(w);
        lw_json_key(w, "path");
        lw_json_string(w, p->log_path);
        lw_json_key(w, "pid");
        lw_json_uint(w, p->pid);
        lw_json_key(w, "exe");
        lw_json_string(w, p->exe);
        lw_json_key(w, "clean_end");
        lw_json_bool(w, p->clean_end);
        lw_json_key(w, "exec");
        lw_json_bool(w, p->exec_end && !p->clean_end);
        lw_json_key(w, "damage");
        lw_json_string(w, p->damage ? p->damage : (p->truncated ? "stopped early" : NULL));
        lw_json_key(w, "dropped");
        lw_json_begin_object(w);
        for (size_t d = 1; d < sizeof p->dropped / sizeof p->dropped[0]; d++) {
            if (!p->dropped[d])
                continue;
            lw_json_key(w, lw_drop_reason_text(d));
            lw_json_uint(w, p->dropped[d]);
        }
        lw_json_end_object(w);
        lw_json_key(w, "analysis_truncated");
        lw_json_bool(w, r->analysis_truncated && r->analysis_truncated[i]);
        lw_json_end_object(w);
    }
    lw_json_end_array(w);
}

int lw_render_json(FILE *out, const lw_report *r)
{
    lw_json w;
    lw_json_init(&w, out, true);
    lw_json_begin_object(&w);
    lw_json_key(&w, "schema");
    lw_json_string(&w, "lockwatch-report");
    lw_json_key(&w, "version");
    lw_json_int(&w, LW_REPORT_SCHEMA_VERSION);
    lw_json_key(&w, "tool");
    lw_json_begin_object(&w);
    lw_json_key(&w, "name");
    lw_json_string(&w, "lockwatch");
    lw_json_key(&w, "version");
    lw_json_string(&w, LOCKWATCH_VERSION);
    lw_json_end_object(&w);
    if (r->program)
        program_json(&w, r->program);
    logs_json(&w, r);
    lw_json_key(&w, "findings");
    lw_json_begin_array(&w);
    for (size_t i = 0; i < r->findings->n; i++) {
        const lw_finding *f = &r->findings->items[i];
        if (f->harmless && !r->show_all)
            continue;
        finding_json(&w, r, f);
    }
    lw_json_end_array(&w);
    lw_json_key(&w, "summary");
    lw_json_begin_object(&w);
    lw_json_key(&w, "findings");
    lw_json_uint(&w, lw_findings_count_real(r->findings));
    lw_json_key(&w, "by_kind");
    lw_json_begin_object(&w);
    for (int k = 0; k < LW_KIND_COUNT; k++) {
        lw_json_key(&w, lw_kind_name((lw_finding_kind)k));
        lw_json_uint(&w, lw_report_count_kind(r, (lw_finding_kind)k));
    }
    lw_json_end_object(&w);
    lw_json_key(&w, "harmless");
    lw_json_uint(&w, lw_report_count_harmless(r));
    lw_json_key(&w, "harmless_shown");
    lw_json_bool(&w, r->show_all);
    lw_json_key(&w, "suppressed");
    lw_json_uint(&w, r->n_suppressed);
    lw_json_key(&w, "baselined");
    lw_json_uint(&w, r->n_baselined);
    lw_json_end_object(&w);
    lw_json_end_object(&w);
    return lw_json_finish(&w);
}
