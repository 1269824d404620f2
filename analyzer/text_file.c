/*
 * Whole-file reads of user-named text files (text_file.h).
 */
#include "text_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *lw_text_file_read(const char *path, const char *option, const char *what, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s %s: cannot open: %s", option, path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = lw_nonnull(open_memstream(&text, &len));
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, got, m);
    int bad = ferror(f);
    fclose(f);
    /* open_memstream reports running out of memory only here */
    if (fclose(m) != 0 || !text)
        lw_out_of_memory();
    if (bad) {
        snprintf(err, errlen, "%s %s: read error", option, path);
    } else if (strlen(text) != len) {
        snprintf(err, errlen, "%s: expected %s, found a NUL byte", path, what);
    } else {
        return text;
    }
    free(text);
    return NULL;
}
