/*
 * The text report's block for a live deadlock (a finding of kind LW_KIND_DEADLOCK, deadlock.h).
 * render_text.c prints the frame shared by every finding (rules, process, occurrences) and calls
 * these two for the parts that differ: the headline, and the body (who waits for what and where,
 * the locks and threads, a "Deadlock:" scenario table and the SUMMARY line).
 */
#ifndef LOCKWATCH_RENDER_TEXT_DEADLOCK_H
#define LOCKWATCH_RENDER_TEXT_DEADLOCK_H

#include <stdio.h>

#include "render.h"

/* Prints the one-line headline, e.g. "ERROR: deadlock: threads #2 and #3 are blocked for good". */
void lw_render_text_deadlock_headline(FILE *out, const lw_report *r, const lw_finding *f);

/* Prints everything after the headline and the process line. */
void lw_render_text_deadlock_body(FILE *out, const lw_report *r, const lw_finding *f);

#endif /* LOCKWATCH_RENDER_TEXT_DEADLOCK_H */
