/*
 * Terminal niceties for the text report: whether to use colour (--color auto|always|never,
 * isatty, the NO_COLOR convention of https://no-color.org) and the SGR escape sequences used.
 * Nothing here is used for machine formats.
 */
#ifndef LOCKWATCH_TERM_H
#define LOCKWATCH_TERM_H

#include <stdbool.h>
#include <stdio.h>

typedef enum lw_color_mode { LW_COLOR_AUTO = 0, LW_COLOR_ALWAYS, LW_COLOR_NEVER } lw_color_mode;

/* Parses a --color value; returns 0, or -1 if it is not auto, always or never. */
int lw_color_parse(const char *s, lw_color_mode *out);

/* The decision itself (pure): always -> yes, never -> no, auto -> a terminal and NO_COLOR unset
 * or empty. */
bool lw_color_decide(lw_color_mode m, bool is_tty, const char *no_color);

/* lw_color_decide for stream out and the environment. */
bool lw_color_enabled(lw_color_mode m, FILE *out);

/* SGR sequences; renderers print them only when colour is on. */
#define LW_SGR_RESET "\033[0m"
#define LW_SGR_BOLD "\033[1m"
#define LW_SGR_RED "\033[1;31m"
#define LW_SGR_YELLOW "\033[33m"
#define LW_SGR_CYAN "\033[36m"
#define LW_SGR_DIM "\033[2m"

#endif /* LOCKWATCH_TERM_H */
