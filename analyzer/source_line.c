/*
 * Reading one source line (source_line.h). A one-entry cache keeps the last file read, because
 * a report shows many stacks from the same few files.
 */
#include "source_line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "naming.h"
#include "xalloc.h"

static struct {
    char *path;
    char *text;
    size_t len;
} cache;

/* The contents of path (cached), or NULL. Files over 16 MiB are not source we want to show. */
static const char *file_text(const char *path, size_t *len)
{
    if (cache.path && strcmp(cache.path, path) == 0) {
        *len = cache.len;
        return cache.text;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    if (!m)
        abort();
    char buf[8192];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0 && ftell(m) < (16L << 20))
        fwrite(buf, 1, got, m);
    fclose(f);
    if (fclose(m) != 0 || !text)
        abort();
    free(cache.path);
    free(cache.text);
    cache.path = xstrdup(path);
    cache.text = text;
    cache.len = n;
    *len = n;
    return text;
}

static bool find_line(const char *text, size_t n, int line, char *buf, size_t len)
{
    const char *p = text, *end = text + n;
    for (int i = 1; i < line && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return false;
        p = nl + 1;
    }
    if (p >= end)
        return false;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    if (e == p || len == 0)
        return false;
    size_t k = (size_t)(e - p) < len - 1 ? (size_t)(e - p) : len - 1;
    memcpy(buf, p, k);
    buf[k] = '\0';
    for (size_t i = 0; i < k; i++)
        if (buf[i] == '\t')
            buf[i] = ' ';
    lw_text_sanitize(buf);
    return true;
}

bool lw_source_line(const char *path, const char *root, int line, char *buf, size_t len)
{
    if (!path || line <= 0)
        return false;
    size_t n = 0;
    const char *text = file_text(path, &n);
    char joined[4096];
    if (!text && path[0] != '/' && root) {
        snprintf(joined, sizeof joined, "%s/%s", root, path);
        text = file_text(joined, &n);
    }
    return text && find_line(text, n, line, buf, len);
}
