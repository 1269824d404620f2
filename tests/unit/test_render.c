/*
 * Unit tests for the renderers (analyzer/render_text.c, render_json.c) and the naming rules
 * they share (analyzer/naming.c). A hand-built process (threads, locks, stacks) and hand-built
 * findings are rendered into memory with an invented symbol source, so the expected text does
 * not depend on any binary's debug info: headline, chain, stacks (shim frames skipped), scenario
 * table, SUMMARY line and footer in text; well-formedness and key fields in JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "finding.h"
#include "log_reader.h"
#include "model.h"
#include "naming.h"
#include "render.h"

#define ROOT "/src/proj"
#define SRC ROOT "/demo/deadlock_abba.c"

/* ---- an invented symbol source: pc -> one frame ---- */

static const struct {
    uint64_t pc;
    const char *function;
    const char *file;
    int line;
    const char *module;
    bool inlined_helper; /* also yields an inlined frame before it */
} fake_pcs[] = {
    {0x1000, "thread_0", SRC, 29, "/src/proj/build/deadlock_abba", false},
    {0x2000, "thread_0", SRC, 27, "/src/proj/build/deadlock_abba", false},
    {0x3000, "thread_1", SRC, 42, "/src/proj/build/deadlock_abba", true},
    {0x4000, "thread_1", SRC, 44, "/src/proj/build/deadlock_abba", false},
    {0x5000, "lw_capture", "/src/proj/shim/stack.c", 10, "/opt/lib/liblockwatch.so", false},
    {0x5100, "main", SRC, 60, "/src/proj/build/deadlock_abba", false},
    {0x6000, NULL, NULL, 0, "/lib/x86_64-linux-gnu/libc.so.6", false},
};

static int fake_opened;

static void *fake_open(const lw_process *p, void *user)
{
    (void)p;
    (void)user;
    fake_opened++;
    return &fake_opened;
}

static void fake_close(void *h, void *user)
{
    (void)h;
    (void)user;
    fake_opened--;
}

static size_t fake_pc(void *h, uint64_t pc, bool is_ret, lw_frame *out, size_t max)
{
    (void)h;
    (void)is_ret;
    if (max < 2)
        return 0;
    for (size_t i = 0; i < sizeof fake_pcs / sizeof fake_pcs[0]; i++) {
        if (fake_pcs[i].pc != pc)
            continue;
        size_t n = 0;
        if (fake_pcs[i].inlined_helper) {
            out[n++] = (lw_frame){.pc = pc,
                                  .function = "take",
                                  .file = SRC,
                                  .line = 8,
                                  .module = fake_pcs[i].module,
                                  .inlined = true};
        }
        out[n++] = (lw_frame){.pc = pc,
                              .function = fake_pcs[i].function,
                              .file = fake_pcs[i].file,
                              .line = fake_pcs[i].line,
                              .module = fake_pcs[i].module,
                              .module_offset = pc - 0x100};
        return n;
    }
    out[0] = (lw_frame){.pc = pc};
    return 1;
}

static bool fake_data(void *h, uint64_t addr, lw_data_symbol *out)
{
    (void)h;
    if (addr != 0xa000)
        return false;
    *out = (lw_data_symbol){.name = "a", .start = 0xa000, .size = 40, .file = SRC, .line = 13};
    return true;
}

static const lw_symbol_source fake_source = {fake_open, fake_close, fake_pc, fake_data, NULL};

/* ---- the hand-built process ---- */

static void add_stack(lw_process *p, uint32_t id, uint64_t f0, uint64_t f1)
{
    lw_stack *s = &p->stacks[p->n_stacks++];
    s->id = id;
    s->nframes = f1 ? 2 : 1;
    s->frames = calloc(2, sizeof *s->frames);
    s->frames[0] = f0;
    s->frames[1] = f1;
}

static void build_process(lw_process *p)
{
    memset(p, 0, sizeof *p);
    p->log_path = strdup("logs/lockwatch.1234.log");
    p->exe = strdup(ROOT "/build/deadlock_abba");
    p->pid = 1234;
    p->clean_end = true;
    p->stacks = calloc(8, sizeof *p->stacks);
    add_stack(p, 1, 0x1000, 0x6000);
    add_stack(p, 2, 0x2000, 0);
    add_stack(p, 3, 0x3000, 0);
    add_stack(p, 4, 0x4000, 0);
    add_stack(p, 5, 0x5000, 0x5100); /* a shim frame on top: must be skipped */
    p->threads = calloc(3, sizeof *p->threads);
    p->threads[0] = (lw_thread){.id = 1, .os_tid = 1234};
    p->threads[1] = (lw_thread){.id = 2, .parent_id = 1, .create_stack = 5, .os_tid = 1235};
    memcpy(p->threads[1].name, "worker", 7);
    p->threads[2] = (lw_thread){.id = 3, .parent_id = 1, .create_stack = 5, .os_tid = 1236};
    p->n_threads = 3;
    p->locks = calloc(3, sizeof *p->locks);
    p->locks[0] = (lw_lock){.id = 1,
                            .kind = LW_LOCK_MUTEX,
                            .flags = LW_LOCKF_STATIC,
                            .init_stack = 2,
                            .address = 0xa000};
    p->locks[1] = (lw_lock){.id = 2, .kind = LW_LOCK_MUTEX, .init_stack = 5, .address = 0xb000};
    p->locks[2] = (lw_lock){.id = 3, .kind = LW_LOCK_RWLOCK, .address = 0xc000};
    p->n_locks = 3;
    lw_process_build_index(p);
}

static uint32_t *ids(size_t n, ...)
{
    uint32_t *v = calloc(n, sizeof *v);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        v[i] = va_arg(ap, uint32_t);
    va_end(ap);
    return v;
}

/* 'a' -> mutex #2 by thread 2, mutex #2 -> 'a' by thread 3. */
static void add_abba(lw_findings *fs, const lw_process *p, bool harmless, uint32_t t2)
{
    lw_finding *f = lw_findings_add(fs);
    f->kind = LW_KIND_LOCK_ORDER_INVERSION;
    f->proc = p;
    f->harmless = harmless;
    if (harmless)
        f->reason = strdup("common gate lock rwlock #3");
    f->locks = ids(2, 1u, 2u);
    f->n_locks = 2;
    f->edges = calloc(2, sizeof *f->edges);
    f->edges[0] = (lw_finding_edge){
        .from_lock = 1, .to_lock = 2, .thread_id = 2, .from_stack = 2, .to_stack = 1};
    f->edges[1] = (lw_finding_edge){
        .from_lock = 2, .to_lock = 1, .thread_id = t2, .from_stack = 3, .to_stack = 4};
    if (harmless) {
        f->edges[0].gates = ids(1, 3u);
        f->edges[0].n_gates = 1;
    }
    f->n_edges = 2;
    if (t2 == 2) {
        f->subkind = strdup("single-thread");
        f->threads = ids(1, 2u);
        f->n_threads = 1;
    } else {
        f->threads = ids(2, 2u, t2);
        f->n_threads = 2;
    }
    f->occurrences = 1;
}

static char *render(const lw_process *p, const lw_findings *fs, bool all, bool json,
                    const lw_program_info *prog)
{
    lw_model m = {.procs = (lw_process *)p, .n_procs = 1};
    lw_report r = {.model = &m,
                   .findings = fs,
                   .show_all = all,
                   .program = prog,
                   .namer = lw_namer_new(&fake_source, ROOT)};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int rc = json ? lw_render_json(f, &r) : lw_render_text(f, &r);
    assert_int_equal(rc, 0);
    fclose(f);
    lw_namer_free(r.namer);
    assert_int_equal(fake_opened, 0);
    return buf;
}

static void expect(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("expected to find\n%s\nin\n%s", needle, text);
}

static void expect_not(const char *text, const char *needle)
{
    if (strstr(text, needle))
        fail_msg("did not expect\n%s\nin\n%s", needle, text);
}

/* ---- a minimal JSON syntax checker (enough to prove well-formedness) ---- */

static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    return s;
}

static const char *json_string(const char *s)
{
    if (*s++ != '"')
        return NULL;
    while (*s && *s != '"') {
        if ((unsigned char)*s < 0x20)
            return NULL;
        if (*s == '\\') {
            s++;
            if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
                        return NULL;
                s += 4;
            } else if (!*s || !strchr("\"\\/bfnrt", *s)) {
                return NULL;
            }
        }
        s++;
    }
    return *s == '"' ? s + 1 : NULL;
}

static const char *json_value(const char *s)
{
    s = json_ws(s);
    if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        bool obj = *s == '{';
        s = json_ws(s + 1);
        if (*s == close)
            return s + 1;
        for (;;) {
            if (obj) {
                s = json_string(json_ws(s));
                if (!s)
                    return NULL;
                s = json_ws(s);
                if (*s++ != ':')
                    return NULL;
            }
            s = json_value(s);
            if (!s)
                return NULL;
            s = json_ws(s);
            if (*s == ',') {
                s++;
                continue;
            }
            return *s == close ? s + 1 : NULL;
        }
    }
    if (*s == '"')
        return json_string(s);
    if (strncmp(s, "true", 4) == 0 || strncmp(s, "null", 4) == 0)
        return s + 4;
    if (strncmp(s, "false", 5) == 0)
        return s + 5;
    const char *start = s;
    if (*s == '-')
        s++;
    while (*s >= '0' && *s <= '9')
        s++;
    return s > start ? s : NULL;
}

static bool json_well_formed(const char *s)
{
    s = json_value(s);
    return s && *json_ws(s) == '\0';
}

/* ---- tests ---- */

static void test_text_two_threads(void **state)
{
    (void)state;
    lw_process p;
    build_process(&p);
    lw_findings fs = {0};
    add_abba(&fs, &p, false, 3);
    add_abba(&fs, &p, true, 3);
    char *out = render(&p, &fs, false, false, NULL);
    expect(out, "WARNING: possible deadlock: lock-order inversion between 2 locks (threads #2 and "
                "#3)\n");
    expect(out, "thread #2 acquired mutex #2 while holding 'a';\n");
    expect(out, "thread #3 acquired 'a' while holding mutex #2.\n");
    expect(out, "'a' -> mutex #2 by thread #2:\n");
    expect(out, "    #0 thread_0 demo/deadlock_abba.c:27 (deadlock_abba)\n");
    expect(out, "    #1 0x6000 (libc.so.6+0x5f00)\n");
    expect(out, "    #0 take demo/deadlock_abba.c:8 (deadlock_abba) [inlined]\n"
                "    #1 thread_1 demo/deadlock_abba.c:42 (deadlock_abba)\n");
    expect(out, "'a' (demo/deadlock_abba.c:13), mutex at 0xa000, first used at thread_0 "
                "(demo/deadlock_abba.c:27)\n");
    expect(out, "mutex #2 at 0xb000, first initialised at main (demo/deadlock_abba.c:60)\n");
    expect(out, "thread #2 \"worker\" (tid 1235), created at main (demo/deadlock_abba.c:60)\n");
    expect_not(out, "lw_capture");
    expect(out, "Possible unsafe locking scenario:\n\n"
                "       Thread #2                Thread #3\n"
                "       ----                     ----\n"
                "  lock('a');\n"
                "                                lock(mutex #2);\n"
                "                                lock('a');\n"
                "  lock(mutex #2);\n"
                "\n *** DEADLOCK ***\n");
    expect(out, "SUMMARY: lockwatch: lock-order-inversion demo/deadlock_abba.c:29 in thread_0\n");
    expect(out, "lockwatch: 1 finding (1 lock-order-inversion), 1 harmless cycle not shown\n");
    expect(out, "1 cycle judged harmless; --all shows them");
    expect_not(out, "note: cycle judged harmless");
    free(out);

    out = render(&p, &fs, true, false, NULL);
    expect(out, "note: cycle judged harmless: common gate lock rwlock #3\n");
    expect(out, "  also holding: rwlock #3\n");
    expect(out, "1 harmless cycle shown\n");
    /* Harmless cycles get no SUMMARY line: grep counts only real findings. */
    char *first = strstr(out, "SUMMARY:");
    assert_non_null(first);
    assert_null(strstr(first + 1, "SUMMARY:"));
    free(out);
    lw_findings_free(&fs);
    lw_process_free(&p);
}

static void test_text_single_thread_and_banner(void **state)
{
    (void)state;
    lw_process p;
    build_process(&p);
    p.clean_end = false;
    lw_findings fs = {0};
    add_abba(&fs, &p, false, 2);
    char *argv[] = {"./deadlock_abba", "-x"};
    lw_program_info prog = {.path = "./deadlock_abba",
                            .argv = argv,
                            .argc = 2,
                            .exited = false,
                            .signal = 9,
                            .log_dir = "/tmp/logs"};
    char *out = render(&p, &fs, false, false, &prog);
    assert_int_equal(out[0], '\n'); /* run's text report starts with a blank line */
    expect(out, "lockwatch report: ./deadlock_abba -x\n");
    expect(out, "WARNING: inconsistent lock order in one thread (latent deadlock)\n");
    expect(out, "Thread #2 (path 1)");
    expect(out, "has no end record");
    free(out);
    lw_findings_free(&fs);
    lw_process_free(&p);
}

static void test_text_long_cycle_rows(void **state)
{
    (void)state;
    lw_process p;
    build_process(&p);
    lw_findings fs = {0};
    lw_finding *f = lw_findings_add(&fs);
    f->kind = LW_KIND_LOCK_ORDER_INVERSION;
    f->proc = &p;
    f->n_locks = f->n_edges = f->n_threads = 4;
    f->locks = ids(4, 1u, 2u, 3u, 9u);
    f->threads = ids(4, 1u, 2u, 3u, 4u);
    f->edges = calloc(4, sizeof *f->edges);
    for (uint32_t i = 0; i < 4; i++)
        f->edges[i] = (lw_finding_edge){
            .from_lock = f->locks[i], .to_lock = f->locks[(i + 1) % 4], .thread_id = i + 1};
    char *out = render(&p, &fs, false, false, NULL);
    expect(out, "between 4 locks (threads #1, #2, #3 and #4)\n");
    expect(out, "  thread #1: holds 'a', waits for mutex #2\n");
    expect(out, "  thread #4: holds lock #9, waits for 'a'\n"); /* lock 9 is not in the log */
    expect(out, "(stack not recorded)");
    expect(out, "SUMMARY: lockwatch: lock-order-inversion in process 1234\n");
    free(out);
    lw_findings_free(&fs);
    lw_process_free(&p);
}

static void test_text_no_findings(void **state)
{
    (void)state;
    lw_process p;
    build_process(&p);
    p.damage = strdup("logs/lockwatch.1234.log: bad record at offset 0x1230");
    free(p.exe);
    p.exe = strdup("/bin/\xff\x1b[31mred"); /* raw bytes from a log must not reach a terminal */
    lw_findings fs = {0};
    char *out = render(&p, &fs, false, false, NULL);
    expect(out, "lockwatch: 0 findings\n");
    expect(out, "damaged log logs/lockwatch.1234.log: bad record at offset 0x1230;");
    free(out);
    /* With a finding, the process line shows the executable, sanitized. */
    lw_findings one = {0};
    add_abba(&one, &p, false, 3);
    out = render(&p, &one, false, false, NULL);
    expect(out, "process 1234 (/bin/??[31mred)");
    for (const unsigned char *c = (const unsigned char *)out; *c; c++)
        assert_true(*c == '\n' || (*c >= 0x20 && *c < 0x7f));
    lw_findings_free(&one);
    free(out);
    lw_process_free(&p);
}

static void test_json(void **state)
{
    (void)state;
    lw_process p;
    build_process(&p);
    lw_findings fs = {0};
    add_abba(&fs, &p, false, 3);
    add_abba(&fs, &p, true, 3);
    char *argv[] = {"./deadlock_abba"};
    lw_program_info prog = {.path = "./deadlock_abba",
                            .argv = argv,
                            .argc = 1,
                            .exited = true,
                            .exit_status = 3,
                            .log_dir = "/tmp/l\"ogs"};
    char *out = render(&p, &fs, false, true, &prog);
    if (!json_well_formed(out))
        fail_msg("not well-formed JSON:\n%s", out);
    expect(out, "\"schema\": \"lockwatch-report\"");
    expect(out, "\"version\": 1");
    expect(out, "\"exit_status\": 3");
    expect(out, "\"signal\": null");
    expect(out, "\"log_dir\": \"/tmp/l\\\"ogs\"");
    expect(out, "\"kind\": \"lock-order-inversion\"");
    expect(out, "\"subkind\": null");
    expect(out, "\"name\": \"'a' (demo/deadlock_abba.c:13)\"");
    expect(out, "\"symbol\": \"a\"");
    expect(out, "\"address\": \"0xb000\"");
    expect(out, "\"function\": \"take\"");
    expect(out, "\"inlined\": true");
    expect(out, "\"file\": \"demo/deadlock_abba.c\"");
    expect(out, "\"pc\": \"0x6000\"");
    expect(out, "\"trylock\": false");
    expect(out, "\"harmless\": 1");
    expect(out, "\"lock-order-inversion\": 1");
    expect(out, "\"data-race\": 0");
    expect(out, "\"name\": \"worker\"");
    expect_not(out, "common gate lock"); /* harmless finding hidden without --all */
    expect_not(out, "lw_capture");
    free(out);

    out = render(&p, &fs, true, true, NULL);
    if (!json_well_formed(out))
        fail_msg("not well-formed JSON:\n%s", out);
    expect(out, "\"reason\": \"common gate lock rwlock #3\"");
    expect(out, "\"gates\": [\n");
    expect_not(out, "\"program\"");
    free(out);
    lw_findings_free(&fs);
    lw_process_free(&p);
}

static void test_naming_helpers(void **state)
{
    (void)state;
    char buf[256];
    assert_string_equal(lw_display_path("/src/proj/demo/x.c", "/src/proj", buf, sizeof buf),
                        "demo/x.c");
    assert_string_equal(lw_display_path("/src/projx/x.c", "/src/proj", buf, sizeof buf),
                        "/src/projx/x.c");
    assert_string_equal(lw_display_path("/src/proj", "/src/proj", buf, sizeof buf), "/src/proj");
    assert_string_equal(lw_display_path("rel/x.c", "/src/proj", buf, sizeof buf), "rel/x.c");
    assert_string_equal(lw_display_path("/usr/include/x.h", "/", buf, sizeof buf),
                        "usr/include/x.h");
    assert_true(lw_is_shim_module("/usr/lib/liblockwatch.so"));
    assert_true(lw_is_shim_module("liblockwatch.so.1"));
    assert_false(lw_is_shim_module("/usr/lib/liblockwatch.sox"));
    assert_false(lw_is_shim_module("/usr/lib/libc.so.6"));
    assert_false(lw_is_shim_module(NULL));
    assert_true(lw_is_system_header("/usr/include/c++/12/bits/std_mutex.h"));
    assert_true(lw_is_system_header("/usr/include/x86_64-linux-gnu/c++/12/bits/gthr-default.h"));
    assert_true(lw_is_system_header("/usr/lib/gcc/x86_64-linux-gnu/12/include/stdatomic.h"));
    assert_true(lw_is_system_header("/usr/lib/llvm-14/lib/clang/14.0.6/include/stdatomic.h"));
    assert_false(lw_is_system_header("/usr/includes/x.h"));
    assert_false(lw_is_system_header("/src/proj/include/x.h"));
    assert_false(lw_is_system_header("./nptl/pthread_create.c"));
    assert_false(lw_is_system_header(NULL));
    /* clang's spelling of libstdc++'s headers */
    assert_true(lw_is_system_header("/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/"
                                    "x86_64-linux-gnu/c++/12/bits/gthr-default.h"));
    assert_true(lw_is_system_header("/usr//./include/stdio.h"));
    assert_false(lw_is_system_header("/usr/include/../src/x.h"));
    assert_false(lw_is_system_header("/../../usr/includes/x.h"));
    assert_true(lw_is_system_header("/../../usr/include/x.h"));
    assert_false(lw_is_system_header("usr/include/x.h")); /* relative: the program's own tree */
    assert_string_equal(lw_lock_kind_name(LW_LOCK_SPIN), "spinlock");
    assert_string_equal(lw_lock_kind_name(99), "lock");
    char dirty[] = "ok \xc3\xa9 \x01\xff\t";
    lw_text_sanitize(dirty);
    assert_string_equal(dirty, "ok \xc3\xa9 ???");

    lw_process p;
    build_process(&p);
    lw_namer *n = lw_namer_new(&fake_source, ROOT);
    lw_thread_name tn;
    lw_namer_thread(n, &p, 1, &tn);
    assert_string_equal(tn.name, "thread #1 (main thread, tid 1234)");
    assert_string_equal(tn.created, "");
    lw_namer_thread(n, &p, 3, &tn);
    assert_string_equal(tn.name, "thread #3 (tid 1236)");
    lw_namer_thread(n, &p, 7, &tn);
    assert_string_equal(tn.name, "thread #7");
    lw_lock_name ln;
    lw_namer_lock(n, &p, 3, &ln);
    assert_string_equal(ln.name, "rwlock #3 at 0xc000");
    assert_string_equal(ln.origin, "");
    lw_namer_free(n);
    lw_process_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_two_threads),
        cmocka_unit_test(test_text_single_thread_and_banner),
        cmocka_unit_test(test_text_long_cycle_rows),
        cmocka_unit_test(test_text_no_findings),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_naming_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
