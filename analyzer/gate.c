/*
 * The CI gate (gate.h): --fail-on parsing, suppression and baseline filtering, the count that
 * decides the exit status, and the verdict line.
 */
#include "gate.h"

#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "xalloc.h"

int lw_fail_on_parse(const char *s, unsigned *mask, char *err, size_t errlen)
{
    unsigned m = 0;
    char *copy = xstrdup(s);
    char *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (strcmp(item, "all") == 0) {
            m |= LW_FAIL_ON_ALL;
            continue;
        }
        int k = lw_kind_parse(item);
        if (k < 0) {
            snprintf(err, errlen,
                     "--fail-on: expected comma-separated kinds (lock-order-inversion, deadlock, "
                     "data-race, unprotected-increment, tls-misuse, api-misuse) or all, got '%s'",
                     item);
            rc = -1;
            break;
        }
        m |= 1u << k;
    }
    free(copy);
    if (rc == 0 && m == 0) {
        snprintf(err, errlen, "--fail-on: expected at least one kind, got '%s'", s);
        rc = -1;
    }
    if (rc == 0)
        *mask = m;
    return rc;
}

void lw_gate_filter(lw_findings *fs, lw_namer *n, lw_suppressions *supp, const lw_baseline *base,
                    size_t *n_suppressed, size_t *n_baselined)
{
    for (size_t i = 0; i < fs->n;) {
        const lw_finding *f = &fs->items[i];
        if (lw_suppressions_match(supp, n, f)) {
            (*n_suppressed)++;
            lw_findings_remove(fs, i);
        } else if (base && lw_baseline_contains(base, f->fingerprint)) {
            (*n_baselined)++;
            lw_findings_remove(fs, i);
        } else {
            i++;
        }
    }
}

size_t lw_gate_count(const lw_findings *fs, unsigned mask)
{
    size_t c = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (!fs->items[i].harmless && (mask & (1u << fs->items[i].kind)))
            c++;
    return c;
}

void lw_gate_print_verdict(FILE *out, const char *cmd, const lw_findings *fs, unsigned mask,
                           size_t n_suppressed, size_t n_baselined)
{
    size_t at_gate = lw_gate_count(fs, mask);
    if (at_gate)
        fprintf(out, "%s: FAILED: %zu finding%s at the gate", cmd, at_gate,
                at_gate == 1 ? "" : "s");
    else
        fprintf(out, "%s: passed: no finding at the gate", cmd);
    size_t other = lw_findings_count_real(fs) - at_gate;
    fprintf(out, " (%zu other finding%s not gated, %zu suppressed, %zu in the baseline)\n", other,
            other == 1 ? "" : "s", n_suppressed, n_baselined);
}
