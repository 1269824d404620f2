/*
 * The text report's block for a tls-misuse finding (kind LW_KIND_TLS_MISUSE, tls_misuse.h).
 * render_text.c prints the frame shared by every finding and calls these two for the parts that
 * differ: the headline naming the key or variable, and the body (stacks, why, threads, SUMMARY).
 */
#ifndef LOCKWATCH_RENDER_TEXT_TLS_H
#define LOCKWATCH_RENDER_TEXT_TLS_H

#include <stdio.h>

#include "render.h"

/* Prints the headline, e.g. "ERROR: tls-misuse: pthread key 3 used after pthread_key_delete". */
void lw_render_text_tls_headline(FILE *out, const lw_report *r, const lw_finding *f);

/* Prints everything after the headline and the process line. */
void lw_render_text_tls_body(FILE *out, const lw_report *r, const lw_finding *f);

#endif /* LOCKWATCH_RENDER_TEXT_TLS_H */
