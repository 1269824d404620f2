/*
 * Text rendering of data-race and unprotected-increment findings (race mode): TSan's content
 * (both accesses with their stacks, the location, the threads and where they were created) in
 * lockdep's layout, ending with a grep-able SUMMARY line.
 */
#ifndef LOCKWATCH_RENDER_TEXT_RACE_H
#define LOCKWATCH_RENDER_TEXT_RACE_H

#include <stdio.h>

#include "render.h"

/* "WARNING: unprotected-increment on global 'counter' ... (threads #2 and #3)". */
void lw_render_text_race_headline(FILE *out, const lw_report *r, const lw_finding *f);
/* Everything after the headline and the process line. */
void lw_render_text_race_body(FILE *out, const lw_report *r, const lw_finding *f);
/* "global 'counter' of size 4 at demo/counter.c:5", or "address 0x... (heap or stack)". */
void lw_race_location_text(const lw_report *r, const lw_finding *f, char *buf, size_t len);

#endif /* LOCKWATCH_RENDER_TEXT_RACE_H */
