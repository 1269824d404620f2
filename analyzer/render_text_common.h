/*
 * The pieces every block of the text report prints the same way, whatever the finding kind: a
 * symbolized stack, one line per lock or thread in the "Locks:" and "Threads:" lists, the column
 * heads of a scenario table, and the SUMMARY line at a finding's own site. render_text.c and the
 * render_text_*.c files for each kind use these so the report reads alike everywhere.
 */
#ifndef LOCKWATCH_RENDER_TEXT_COMMON_H
#define LOCKWATCH_RENDER_TEXT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "render.h"

/* lw_text_stack options. */
enum {
    LW_TEXT_STACK_TRUNCATED = 1u << 0, /* say when deeper frames were not recorded */
    LW_TEXT_STACK_SOURCE = 1u << 1,    /* show the top frame's source line, when readable */
};

/* Prints a symbolized stack, one indented frame a line, or a note when it was not recorded. */
void lw_text_stack(FILE *out, const lw_report *r, const lw_process *p, uint32_t stack_id,
                   unsigned flags);

/* "  'm' (demo.c:12), mutex at 0x..., first used at ..." for the "Locks:" list. */
void lw_text_lock_line(FILE *out, const lw_report *r, const lw_process *p, uint32_t lock_id);

/* "  thread #2<role>, created at ..." for the "Threads:" list; role may be "". */
void lw_text_thread_line(FILE *out, const lw_report *r, const lw_process *p, uint32_t thread_id,
                         const char *role);

/* Prints n spaces. */
void lw_text_pad(FILE *out, size_t n);

/* The two head lines of a scenario table: heads[i] over "----", column i at 7 + i * width. */
void lw_text_scenario_heads(FILE *out, const char *const *heads, size_t k, size_t width);

/* "SUMMARY: lockwatch: <kind> <subkind> file:line in function" at f->stack_id, falling back to
 * the formatted site (module+offset) and then to the process. */
void lw_text_summary_at_site(FILE *out, const lw_report *r, const lw_finding *f);

#endif /* LOCKWATCH_RENDER_TEXT_COMMON_H */
