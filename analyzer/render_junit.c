/*
 * The JUnit XML report, for CI systems that show test results: one testsuite "lockwatch" with
 * one testcase per finding (classname = kind, name = the SUMMARY line's site), failing with the
 * finding's full text report as the failure body; a clean run is one passing testcase, so the
 * CI shows that the check ran. Harmless findings appear (with --all) as skipped testcases.
 */
#include "render.h"
#include "xml.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* "lock-order-inversion at deadlock_abba.c:29 in thread_0 [fingerprint]" */
static void case_name(FILE *m, const lw_report *r, const lw_finding *f)
{
    fputs(lw_kind_name(f->kind), m);
    if (f->subkind)
        fprintf(m, "/%s", f->subkind);
    lw_frame site;
    if (f->proc && f->n_edges && lw_namer_site(r->namer, f->proc, f->edges[0].to_stack, &site)) {
        char where[LW_NAME_MAX];
        lw_namer_format_site(r->namer, &site, where, sizeof where);
        fprintf(m, " at %s", where);
    }
    if (f->fingerprint[0])
        fprintf(m, " [%s]", f->fingerprint);
}

static void testcase(FILE *out, const lw_report *r, const lw_finding *f)
{
    char *name = NULL, *body = NULL;
    size_t nl = 0, bl = 0;
    FILE *m = open_memstream(&name, &nl);
    if (!m)
        abort();
    case_name(m, r, f);
    if (fclose(m) != 0 || !name)
        abort();
    m = open_memstream(&body, &bl);
    if (!m)
        abort();
    lw_report plain = *r;
    plain.color = false; /* escape sequences have no place in XML */
    lw_render_text_finding(m, &plain, f);
    if (fclose(m) != 0 || !body)
        abort();

    fputs("    <testcase classname=\"lockwatch.", out);
    lw_xml_write_escaped(out, lw_kind_name(f->kind));
    fputs("\" name=\"", out);
    lw_xml_write_escaped(out, name);
    fputs("\">\n", out);
    if (f->harmless) {
        fputs("      <skipped message=\"", out);
        lw_xml_write_escaped(out, f->reason ? f->reason : "judged harmless");
        fputs("\"/>\n", out);
    } else {
        fputs("      <failure type=\"", out);
        lw_xml_write_escaped(out, lw_kind_name(f->kind));
        fputs("\" message=\"", out);
        lw_xml_write_escaped(out, name);
        fputs("\">", out);
        lw_xml_write_escaped(out, body);
        fputs("</failure>\n", out);
    }
    fputs("    </testcase>\n", out);
    free(name);
    free(body);
}

int lw_render_junit(FILE *out, const lw_report *r)
{
    size_t tests = 0, failures = 0, skipped = 0;
    for (size_t i = 0; i < r->findings->n; i++) {
        const lw_finding *f = &r->findings->items[i];
        if (f->harmless && !r->show_all)
            continue;
        tests++;
        if (f->harmless)
            skipped++;
        else
            failures++;
    }
    bool clean = tests == 0;
    if (clean)
        tests = 1;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"lockwatch\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            tests, failures);
    fprintf(out,
            "  <testsuite name=\"lockwatch\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"%zu\">\n",
            tests, failures, skipped);
    if (clean) {
        fprintf(out, "    <testcase classname=\"lockwatch\" name=\"no findings in %zu log%s\"/>\n",
                r->model->n_procs, r->model->n_procs == 1 ? "" : "s");
    }
    for (size_t i = 0; i < r->findings->n; i++) {
        const lw_finding *f = &r->findings->items[i];
        if (f->harmless && !r->show_all)
            continue;
        testcase(out, r, f);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
    if (fflush(out) != 0 || ferror(out))
        return -1;
    return 0;
}
