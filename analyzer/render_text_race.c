/*
 * Text rendering of race findings (render_text_race.h). The later access comes first, as in
 * TSan ("Write of size 4 ... by thread #3", then "Previous write ..."), each with the locks it
 * held; then the location named as a person would (the variable and where it is defined), the
 * threads with their creation sites, one sentence on why it matters, and the SUMMARY line.
 */
#include "render_text_race.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "race.h"
#include "render_text_common.h"
#include "xalloc.h"

void lw_race_location_text(const lw_report *r, const lw_finding *f, char *buf, size_t len)
{
    const lw_finding_race *x = f->race;
    lw_data_symbol sym;
    if (x && f->proc && lw_namer_data(r->namer, f->proc, x->address, &sym)) {
        char path[LW_NAME_MAX], name[LW_NAME_MAX];
        uint64_t off = x->address - sym.start;
        if (off)
            snprintf(name, sizeof name, "'%s+%" PRIu64 "'", sym.name, off);
        else
            snprintf(name, sizeof name, "'%s'", sym.name);
        if (sym.file && sym.line > 0)
            snprintf(buf, len, "global %s of size %" PRIu64 " at %s:%d", name, sym.size,
                     lw_namer_path(r->namer, sym.file, path, sizeof path), sym.line);
        else
            snprintf(buf, len, "global %s of size %" PRIu64, name, sym.size);
    } else {
        snprintf(buf, len, "address 0x%" PRIx64 " (heap or stack)", x ? x->address : 0);
    }
    lw_text_sanitize(buf);
}

void lw_render_text_race_headline(FILE *out, const lw_report *r, const lw_finding *f)
{
    char loc[3 * LW_NAME_MAX];
    lw_race_location_text(r, f, loc, sizeof loc);
    const lw_finding_race *x = f->race;
    fprintf(out, "WARNING: %s%s on %s (threads #%" PRIu32 " and #%" PRIu32 ")\n",
            lw_kind_name(f->kind), f->subkind ? " (predictive)" : "", loc,
            x ? x->access[1].thread_id : 0, x ? x->access[0].thread_id : 0);
}

static void print_access(FILE *out, const lw_report *r, const lw_finding *f,
                         const lw_finding_access *a, bool previous)
{
    bool write = a->flags & LW_RACE_ACC_WRITE;
    const char *what =
        write ? (previous ? "Previous write" : "Write") : (previous ? "Previous read" : "Read");
    fprintf(out, "%s of size %" PRIu32 " at 0x%" PRIx64 " by thread #%" PRIu32, what, a->size,
            a->address, a->thread_id);
    if (a->flags & LW_RACE_ACC_RMW)
        fputs(" (read-modify-write)", out);
    if (!a->n_locks) {
        fputs(", holding no lock:\n", out);
    } else {
        fputs(", holding ", out);
        uint32_t shown = a->n_locks < LW_RACE_MAX_LOCKS ? a->n_locks : LW_RACE_MAX_LOCKS;
        for (uint32_t i = 0; i < shown; i++) {
            lw_lock_name *ln = xcalloc(1, sizeof *ln);
            if (a->locks[i])
                lw_namer_lock(r->namer, f->proc, a->locks[i], ln);
            else
                snprintf(ln->short_name, sizeof ln->short_name, "an unknown lock");
            fprintf(out, "%s%s", i ? ", " : "", ln->short_name);
            free(ln);
        }
        if (a->n_locks > shown)
            fprintf(out, " and %" PRIu32 " more", a->n_locks - shown);
        fputs(":\n", out);
    }
    lw_text_stack(out, r, f->proc, a->stack_id, 0);
    if (a->flags & LW_RACE_ACC_TOP_ONLY)
        fputs("    (only the access site: the memory was private to this thread then)\n", out);
}

static void print_summary(FILE *out, const lw_report *r, const lw_finding *f)
{
    fprintf(out, "\nSUMMARY: lockwatch: %s", lw_kind_name(f->kind));
    lw_frame site;
    if (f->proc && lw_namer_site(r->namer, f->proc, f->stack_id, &site) && site.file &&
        site.line > 0) {
        char path[LW_NAME_MAX], fn[LW_NAME_MAX];
        fprintf(out, " %s:%d", lw_namer_path(r->namer, site.file, path, sizeof path), site.line);
        if (site.function) {
            snprintf(fn, sizeof fn, "%s", site.function);
            lw_text_sanitize(fn);
            fprintf(out, " in %s", fn);
        }
    } else if (f->proc) {
        fprintf(out, " in process %" PRIu64, f->proc->pid);
    }
    fputc('\n', out);
}

static const char *why(const lw_finding *f)
{
    if (f->subkind)
        return "In this run these accesses were ordered only because the threads happened to take "
               "a lock in that order, a lock that protects neither access; another schedule runs "
               "them at the same time.";
    if (f->kind == LW_KIND_UNPROTECTED_INCREMENT)
        return "A read-modify-write (x = x + 1, x++) that no common lock protects: two threads can "
               "read the same old value and one update is lost. Protect both with one mutex or "
               "use an atomic (atomic_fetch_add).";
    return "Two threads access the same memory, at least one writes, and nothing orders the "
           "accesses (no common lock, no happens-before): the result depends on timing.";
}

void lw_render_text_race_body(FILE *out, const lw_report *r, const lw_finding *f)
{
    const lw_finding_race *x = f->race;
    if (!x)
        return;
    print_access(out, r, f, &x->access[1], false);
    fputc('\n', out);
    print_access(out, r, f, &x->access[0], true);
    char loc[3 * LW_NAME_MAX];
    lw_race_location_text(r, f, loc, sizeof loc);
    fprintf(out, "\nLocation: %s, %" PRIu32 " byte%s racing at 0x%" PRIx64 "\n", loc, x->size,
            x->size == 1 ? "" : "s", x->address);
    fputs("Threads:\n", out);
    for (size_t i = 0; i < f->n_threads; i++)
        lw_text_thread_line(out, r, f->proc, f->threads[i], "");
    fprintf(out, "\n%s\n", why(f));
    print_summary(out, r, f);
}
