/*
 * Shared pieces of the text report (render_text_common.h). Each was once written out in every
 * render_text_*.c file; keeping one copy keeps the kinds' reports from drifting apart.
 */
#include "render_text_common.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "source_line.h"
#include "term.h"
#include "xalloc.h"

void lw_text_stack(FILE *out, const lw_report *r, const lw_process *p, uint32_t stack_id,
                   unsigned flags)
{
    lw_frame *frames = xcalloc(LW_NAMER_MAX_FRAMES, sizeof *frames);
    size_t n = stack_id ? lw_namer_stack(r->namer, p, stack_id, frames, LW_NAMER_MAX_FRAMES) : 0;
    if (n == 0)
        fputs("    (stack not recorded)\n", out);
    for (size_t i = 0; i < n; i++) {
        char line[3 * LW_NAME_MAX];
        lw_namer_format_frame(r->namer, &frames[i], i, line, sizeof line);
        fprintf(out, "    %s\n", line);
        char src[160];
        if (i == 0 && (flags & LW_TEXT_STACK_SOURCE) &&
            lw_source_line(frames[0].file, lw_namer_root(r->namer), frames[0].line, src,
                           sizeof src)) {
            fputs("        | ", out);
            if (r->color)
                fputs(LW_SGR_CYAN, out);
            fputs(src, out);
            if (r->color)
                fputs(LW_SGR_RESET, out);
            fputc('\n', out);
        }
    }
    const lw_stack *st = stack_id ? lw_process_stack(p, stack_id) : NULL;
    if ((flags & LW_TEXT_STACK_TRUNCATED) && st && (st->flags & LW_STACK_TRUNCATED))
        fputs("    ... (deeper frames not recorded; see --stack-depth)\n", out);
    free(frames);
}

void lw_text_lock_line(FILE *out, const lw_report *r, const lw_process *p, uint32_t lock_id)
{
    lw_lock_name *ln = xcalloc(1, sizeof *ln);
    lw_namer_lock(r->namer, p, lock_id, ln);
    fprintf(out, "  %s", ln->name);
    if (ln->lock && ln->symbol)
        fprintf(out, ", %s at 0x%" PRIx64, lw_lock_kind_name(ln->lock->kind), ln->lock->address);
    if (ln->origin[0])
        fprintf(out, ", %s", ln->origin);
    fputc('\n', out);
    free(ln);
}

void lw_text_thread_line(FILE *out, const lw_report *r, const lw_process *p, uint32_t thread_id,
                         const char *role)
{
    lw_thread_name *tn = xcalloc(1, sizeof *tn);
    lw_namer_thread(r->namer, p, thread_id, tn);
    fprintf(out, "  %s%s%s%s\n", tn->name, role, tn->created[0] ? ", " : "", tn->created);
    free(tn);
}

void lw_text_pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

void lw_text_scenario_heads(FILE *out, const char *const *heads, size_t k, size_t width)
{
    for (int line = 0; line < 2; line++) {
        size_t used = 0;
        for (size_t i = 0; i < k; i++) {
            const char *text = line == 0 ? heads[i] : "----";
            lw_text_pad(out, 7 + i * width - used);
            fputs(text, out);
            used = 7 + i * width + strlen(text);
        }
        fputc('\n', out);
    }
}

void lw_text_summary_at_site(FILE *out, const lw_report *r, const lw_finding *f)
{
    fprintf(out, "\nSUMMARY: lockwatch: %s %s", lw_kind_name(f->kind),
            f->subkind ? f->subkind : "unknown");
    lw_frame site;
    if (f->proc && lw_namer_site(r->namer, f->proc, f->stack_id, &site)) {
        char path[LW_NAME_MAX], where[3 * LW_NAME_MAX];
        if (site.file && site.line > 0) {
            fprintf(out, " %s:%d", lw_namer_path(r->namer, site.file, path, sizeof path),
                    site.line);
            if (site.function) {
                snprintf(where, sizeof where, "%s", site.function);
                lw_text_sanitize(where);
                fprintf(out, " in %s", where);
            }
        } else {
            lw_namer_format_site(r->namer, &site, where, sizeof where);
            fprintf(out, " %s", where);
        }
    } else if (f->proc) {
        fprintf(out, " in process %" PRIu64, f->proc->pid);
    }
    fputc('\n', out);
}
