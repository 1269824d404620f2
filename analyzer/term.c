/*
 * Colour decisions for the text report (term.h).
 */
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lw_color_parse(const char *s, lw_color_mode *out)
{
    if (strcmp(s, "auto") == 0)
        *out = LW_COLOR_AUTO;
    else if (strcmp(s, "always") == 0)
        *out = LW_COLOR_ALWAYS;
    else if (strcmp(s, "never") == 0)
        *out = LW_COLOR_NEVER;
    else
        return -1;
    return 0;
}

bool lw_color_decide(lw_color_mode m, bool is_tty, const char *no_color)
{
    if (m == LW_COLOR_ALWAYS)
        return true;
    if (m == LW_COLOR_NEVER)
        return false;
    /* no-color.org: set and not empty disables colour by default. */
    return is_tty && !(no_color && *no_color);
}

bool lw_color_enabled(lw_color_mode m, FILE *out)
{
    int fd = out ? fileno(out) : -1;
    return lw_color_decide(m, fd >= 0 && isatty(fd), getenv("NO_COLOR"));
}
