/*
 * The text report's block for an API misuse (a finding of kind LW_KIND_API_MISUSE, misuse.h).
 * render_text.c prints the frame shared by every finding and calls these two for the parts
 * that differ: the headline and the body (the call's stack, the locks and threads, a SUMMARY).
 */
#ifndef LOCKWATCH_RENDER_TEXT_MISUSE_H
#define LOCKWATCH_RENDER_TEXT_MISUSE_H

#include <stdio.h>

#include "render.h"

/* Prints the one-line headline, e.g. "ERROR: api-misuse: unlock of 'm' held by thread #3". */
void lw_render_text_misuse_headline(FILE *out, const lw_report *r, const lw_finding *f);

/* Prints everything after the headline and the process line. */
void lw_render_text_misuse_body(FILE *out, const lw_report *r, const lw_finding *f);

#endif /* LOCKWATCH_RENDER_TEXT_MISUSE_H */
