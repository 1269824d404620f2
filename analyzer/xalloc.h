/*
 * Allocation that cannot fail, for the analyzer. Policy: the analyzer has nothing useful to do
 * with half a model or half a report, so running out of memory prints one line on stderr and
 * aborts; callers never check for NULL. A zero count or size asks for one byte instead, so that a
 * successful call never returns NULL (malloc(0) may).
 */
#ifndef LOCKWATCH_XALLOC_H
#define LOCKWATCH_XALLOC_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void lw_out_of_memory(void)
{
    fputs("lockwatch: out of memory\n", stderr);
    abort();
}

static inline void *lw_nonnull(void *p)
{
    if (!p)
        lw_out_of_memory();
    return p;
}

static inline void *xmalloc(size_t n)
{
    return lw_nonnull(malloc(n ? n : 1));
}

static inline void *xcalloc(size_t n, size_t size)
{
    return lw_nonnull(calloc(n ? n : 1, size ? size : 1));
}

static inline void *xrealloc(void *p, size_t n)
{
    return lw_nonnull(realloc(p, n ? n : 1));
}

static inline void *xreallocarray(void *p, size_t n, size_t size)
{
    return lw_nonnull(reallocarray(p, n ? n : 1, size ? size : 1));
}

static inline char *xstrdup(const char *s)
{
    return lw_nonnull(strdup(s));
}

static inline char *xstrndup(const char *s, size_t n)
{
    return lw_nonnull(strndup(s, n));
}

static inline char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        lw_out_of_memory();
    return s;
}

#endif
