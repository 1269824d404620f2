/*
 * Cross-log deduplication of findings (merge.h). Quadratic in the number of findings, which is
 * small (tens); a report with thousands of distinct findings is unreadable long before this
 * loop costs anything noticeable.
 */
#include "merge.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "xalloc.h"

void lw_finding_add_log(lw_finding *f, const char *path)
{
    if (!path)
        return;
    for (size_t i = 0; i < f->n_logs; i++)
        if (strcmp(f->logs[i], path) == 0)
            return;
    const char **grown = xreallocarray(f->logs, f->n_logs + 1, sizeof *grown);
    f->logs = grown;
    f->logs[f->n_logs++] = path;
}

void lw_findings_remove(lw_findings *fs, size_t i)
{
    lw_finding_free(&fs->items[i]);
    memmove(&fs->items[i], &fs->items[i + 1], (fs->n - i - 1) * sizeof fs->items[0]);
    fs->n--;
}

size_t lw_findings_merge(lw_findings *fs, lw_namer *n)
{
    for (size_t i = 0; i < fs->n; i++) {
        lw_finding *f = &fs->items[i];
        if (!f->fingerprint[0])
            lw_fingerprint(n, f, f->fingerprint);
        if (f->occurrences == 0)
            f->occurrences = 1;
        if (f->n_logs == 0 && f->proc)
            lw_finding_add_log(f, f->proc->log_path);
    }
    size_t removed = 0;
    for (size_t i = 0; i < fs->n; i++) {
        for (size_t j = i + 1; j < fs->n;) {
            lw_finding *a = &fs->items[i], *b = &fs->items[j];
            if (a->harmless != b->harmless || strcmp(a->fingerprint, b->fingerprint) != 0) {
                j++;
                continue;
            }
            unsigned sum = a->occurrences + b->occurrences;
            a->occurrences = sum < a->occurrences ? (unsigned)-1 : sum;
            for (size_t k = 0; k < b->n_logs; k++)
                lw_finding_add_log(a, b->logs[k]);
            lw_findings_remove(fs, j);
            removed++;
        }
    }
    return removed;
}
