/*
 * Shared by test_gate.c and test_render_ci.c: an invented symbol source whose answers depend on
 * the pc relative to a per-process load address (as real symbolization under ASLR), two
 * hand-built processes of "the same program" in two runs (other load address, pid, lock, stack
 * and thread ids), and an ABBA finding builder.
 */
#ifndef LW_TEST_GATE_FIXTURE_H
#define LW_TEST_GATE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "log_reader.h"
#include "model.h"
#include "naming.h"

#define SRC "/src/proj/app/abba.c"
#define TP "/src/proj/third_party/tp.c"

/* ---- an invented symbol source: (pc - load address) -> one frame ---- */

static const struct {
    uint64_t off;
    const char *function, *file;
    int line;
    const char *module;
} fake_pcs[] = {
    {0x1000, "worker_a", SRC, 20, "/src/proj/build/app"},
    {0x1100, "worker_a", SRC, 21, "/src/proj/build/app"},
    {0x2000, "worker_b", SRC, 30, "/src/proj/build/app"},
    {0x2100, "worker_b", SRC, 31, "/src/proj/build/app"},
    {0x3000, "tp_lock", TP, 7, "/usr/lib/libfoo.so.1"},
    {0x4000, "main", SRC, 50, "/src/proj/build/app"},
};

static const struct {
    uint64_t off;
    const char *name;
} fake_syms[] = {{0xa000, "a"}, {0xb000, "b"}, {0xc000, "legacy_lock"}};

static void *fake_open(const lw_process *p, void *user)
{
    (void)user;
    return (void *)p;
}

static void fake_close(void *h, void *user)
{
    (void)h;
    (void)user;
}

static size_t fake_pc(void *h, uint64_t pc, bool is_ret, lw_frame *out, size_t max)
{
    (void)is_ret;
    const lw_process *p = h;
    uint64_t off = pc - p->modules[0].base;
    if (max < 1)
        return 0;
    for (size_t i = 0; i < sizeof fake_pcs / sizeof fake_pcs[0]; i++) {
        if (fake_pcs[i].off != off)
            continue;
        out[0] = (lw_frame){.pc = pc,
                            .function = fake_pcs[i].function,
                            .file = fake_pcs[i].file,
                            .line = fake_pcs[i].line,
                            .module = fake_pcs[i].module,
                            .module_offset = off};
        return 1;
    }
    out[0] = (lw_frame){.pc = pc};
    return 1;
}

static bool fake_data(void *h, uint64_t addr, lw_data_symbol *out)
{
    const lw_process *p = h;
    for (size_t i = 0; i < sizeof fake_syms / sizeof fake_syms[0]; i++) {
        if (addr - p->modules[0].base != fake_syms[i].off)
            continue;
        *out = (lw_data_symbol){
            .name = fake_syms[i].name, .start = addr, .size = 40, .file = SRC, .line = 5};
        return true;
    }
    return false;
}

static const lw_symbol_source fake_source = {fake_open, fake_close, fake_pc, fake_data, NULL};

/* ---- hand-built processes ---- */

static void add_stack(lw_process *p, uint32_t id, uint64_t off)
{
    lw_stack *s = &p->stacks[p->n_stacks++];
    s->id = id;
    s->nframes = 1;
    s->frames = calloc(1, sizeof *s->frames);
    s->frames[0] = p->modules[0].base + off;
}

/*
 * A process with locks 'a', 'b' (ids a_id, a_id + 1), 'legacy_lock' (a_id + 2) and a heap lock
 * created in tp_lock (a_id + 3), loaded at `base`, stack ids offset by `sid`.
 */
static void build_process(lw_process *p, uint64_t base, uint64_t pid, uint32_t a_id, uint32_t sid,
                          const char *log)
{
    memset(p, 0, sizeof *p);
    p->log_path = strdup(log);
    p->pid = pid;
    p->modules = calloc(1, sizeof *p->modules);
    p->modules[0] = (lw_module){.id = 1, .base = base, .lo = base, .hi = base + 0x100000};
    p->modules[0].path = strdup("/src/proj/build/app");
    p->n_modules = 1;
    p->stacks = calloc(8, sizeof *p->stacks);
    add_stack(p, sid + 1, 0x1000);
    add_stack(p, sid + 2, 0x1100);
    add_stack(p, sid + 3, 0x2000);
    add_stack(p, sid + 4, 0x2100);
    add_stack(p, sid + 5, 0x3000);
    p->locks = calloc(4, sizeof *p->locks);
    p->locks[0] = (lw_lock){.id = a_id, .kind = LW_LOCK_MUTEX, .address = base + 0xa000};
    p->locks[1] = (lw_lock){.id = a_id + 1, .kind = LW_LOCK_MUTEX, .address = base + 0xb000};
    p->locks[2] = (lw_lock){.id = a_id + 2, .kind = LW_LOCK_MUTEX, .address = base + 0xc000};
    p->locks[3] = (lw_lock){.id = a_id + 3,
                            .kind = LW_LOCK_MUTEX,
                            .init_stack = sid + 5,
                            .address = 0x7f0000001000ull + base};
    p->n_locks = 4;
    lw_process_build_index(p);
}

static uint32_t *ids2(uint32_t x, uint32_t y)
{
    uint32_t *v = calloc(2, sizeof *v);
    v[0] = x;
    v[1] = y;
    return v;
}

/* An ABBA finding between locks l1 and l2 of p (edges in the given rotation). */
static lw_finding *add_abba(lw_findings *fs, const lw_process *p, uint32_t l1, uint32_t l2,
                            uint32_t sid, uint32_t t1, uint32_t t2, bool rotate)
{
    lw_finding *f = lw_findings_add(fs);
    f->kind = LW_KIND_LOCK_ORDER_INVERSION;
    f->proc = p;
    f->n_locks = f->n_edges = 2;
    f->edges = calloc(2, sizeof *f->edges);
    lw_finding_edge e1 = {.from_lock = l1,
                          .to_lock = l2,
                          .thread_id = t1,
                          .from_stack = sid + 1,
                          .to_stack = sid + 2};
    lw_finding_edge e2 = {.from_lock = l2,
                          .to_lock = l1,
                          .thread_id = t2,
                          .from_stack = sid + 3,
                          .to_stack = sid + 4};
    f->edges[0] = rotate ? e2 : e1;
    f->edges[1] = rotate ? e1 : e2;
    f->locks = rotate ? ids2(l2, l1) : ids2(l1, l2);
    f->threads = ids2(t1, t2);
    f->n_threads = 2;
    f->occurrences = 1;
    return f;
}

typedef struct fixture {
    lw_process p1, p2;
    lw_findings fs;
    lw_namer *namer;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    /* Same program, two runs: other load address, pid, lock ids, stack ids and thread ids. */
    build_process(&fx->p1, 0x555500000000ull, 100, 1, 0, "run1/lockwatch.100.log");
    build_process(&fx->p2, 0x563200000000ull, 200, 7, 40, "run2/lockwatch.200.log");
    fx->namer = lw_namer_new(&fake_source, "/src/proj");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    lw_findings_free(&fx->fs);
    lw_namer_free(fx->namer);
    lw_process_free(&fx->p1);
    lw_process_free(&fx->p2);
    free(fx);
    return 0;
}

#endif /* LW_TEST_GATE_FIXTURE_H */
