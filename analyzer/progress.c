/*
 * The "reading logs" progress line (progress.h).
 */
#include "progress.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_reader.h"
#include "xalloc.h"

void lw_progress_start(lw_progress *pr)
{
    memset(pr, 0, sizeof *pr);
    clock_gettime(CLOCK_MONOTONIC, &pr->start);
    pr->tty = isatty(STDERR_FILENO);
}

void lw_progress_update(lw_progress *pr, size_t done, size_t total)
{
    if (!pr->tty)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed =
        (double)(now.tv_sec - pr->start.tv_sec) + (double)(now.tv_nsec - pr->start.tv_nsec) / 1e9;
    if (elapsed < 1.0)
        return;
    fprintf(stderr, "\rlockwatch: reading logs: %zu/%zu", done, total);
    fflush(stderr);
    pr->shown = true;
}

void lw_progress_end(lw_progress *pr)
{
    if (!pr->shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    pr->shown = false;
}

/* The same names lw_model_load takes from a directory: lockwatch.*.log. */
static int is_log(const struct dirent *e)
{
    size_t len = strlen(e->d_name);
    return strncmp(e->d_name, "lockwatch.", 10) == 0 && len > 14 &&
           strcmp(e->d_name + len - 4, ".log") == 0;
}

/* Appends path (a log file, or every log of a directory) to *list. */
static void expand(const char *path, char ***list, size_t *n)
{
    struct stat st;
    struct dirent **ents = NULL;
    int k = -1;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        k = scandir(path, &ents, is_log, alphasort);
    /* Files, and directories without logs (lw_model_load reports those), stay as given. */
    size_t add = k > 0 ? (size_t)k : 1;
    char **grown = xreallocarray(*list, *n + add, sizeof *grown);
    *list = grown;
    if (k > 0) {
        for (int i = 0; i < k; i++) {
            if (asprintf(&grown[(*n)++], "%s/%s", path, ents[i]->d_name) < 0)
                abort();
            free(ents[i]);
        }
    } else {
        grown[(*n)++] = strdup(path);
        if (!grown[*n - 1])
            abort();
    }
    free(ents);
}

int lw_model_load_progress(lw_model *m, char *const *paths, size_t n, char *err, size_t errlen)
{
    char **list = NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        expand(paths[i], &list, &total);
    lw_progress pr;
    lw_progress_start(&pr);
    int rc = 0;
    for (size_t i = 0; i < total && rc == 0; i++) {
        lw_progress_update(&pr, i, total);
        rc = lw_model_load(m, &list[i], 1, err, errlen);
    }
    lw_progress_end(&pr);
    for (size_t i = 0; i < total; i++)
        free(list[i]);
    free(list);
    return rc;
}
