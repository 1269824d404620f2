/*
 * Unit tests of the model's id index and memory management (analyzer/model.c) on processes built
 * by hand: lookups by id, missing ids, duplicate ids, module lookup at its boundaries (including
 * overlapping modules), and freeing zeroed or partly filled models.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "log_reader.h"
#include "model.h"

static char *dup_str(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

/* A process with stacks 5, 1, 9, threads 1..3, locks 10, 2 and three modules (one nested). */
static void build(lw_process *p)
{
    memset(p, 0, sizeof *p);
    p->n_stacks = 3;
    p->stacks = calloc(3, sizeof *p->stacks);
    uint32_t sids[] = {5, 1, 9};
    for (int i = 0; i < 3; i++) {
        p->stacks[i].id = sids[i];
        p->stacks[i].nframes = 1;
        p->stacks[i].frames = malloc(sizeof(uint64_t));
        p->stacks[i].frames[0] = 0x1000 * sids[i];
    }
    p->n_threads = 3;
    p->threads = calloc(3, sizeof *p->threads);
    for (int i = 0; i < 3; i++)
        p->threads[i].id = (uint32_t)(3 - i);
    p->n_locks = 2;
    p->locks = calloc(2, sizeof *p->locks);
    p->locks[0].id = 10;
    p->locks[1].id = 2;
    p->n_modules = 3;
    p->modules = calloc(3, sizeof *p->modules);
    p->modules[0] = (lw_module){.id = 1, .lo = 0x400000, .hi = 0x500000, .path = dup_str("app")};
    p->modules[1] = (lw_module){.id = 2, .lo = 0x100000, .hi = 0x200000, .path = dup_str("lib")};
    /* Nested inside "app": a pc there belongs to the innermost, later-starting module. */
    p->modules[2] = (lw_module){.id = 3, .lo = 0x420000, .hi = 0x430000, .path = dup_str("in")};
    p->n_contexts = 1;
    p->contexts = calloc(1, sizeof *p->contexts);
    p->contexts[0].n_held = 2;
    p->contexts[0].held = calloc(2, sizeof(lw_held));
    p->log_path = dup_str("x.log");
    lw_process_build_index(p);
}

static void test_lookups(void **state)
{
    (void)state;
    lw_process p;
    build(&p);
    assert_ptr_equal(lw_process_stack(&p, 5), &p.stacks[0]);
    assert_ptr_equal(lw_process_stack(&p, 1), &p.stacks[1]);
    assert_ptr_equal(lw_process_stack(&p, 9), &p.stacks[2]);
    assert_null(lw_process_stack(&p, 0));
    assert_null(lw_process_stack(&p, 2));
    assert_null(lw_process_stack(&p, 10));
    assert_null(lw_process_stack(&p, UINT32_MAX));
    for (uint32_t id = 1; id <= 3; id++)
        assert_int_equal(lw_process_thread(&p, id)->id, id);
    assert_null(lw_process_thread(&p, 4));
    assert_int_equal(lw_process_lock(&p, 10)->id, 10);
    assert_int_equal(lw_process_lock(&p, 2)->id, 2);
    assert_null(lw_process_lock(&p, 3));
    lw_process_free(&p);
}

static void test_module_boundaries(void **state)
{
    (void)state;
    lw_process p;
    build(&p);
    assert_null(lw_process_module_for(&p, 0));
    assert_null(lw_process_module_for(&p, 0xfffff));
    assert_int_equal(lw_process_module_for(&p, 0x100000)->id, 2); /* lo is inside */
    assert_int_equal(lw_process_module_for(&p, 0x1fffff)->id, 2);
    assert_null(lw_process_module_for(&p, 0x200000)); /* hi is outside */
    assert_null(lw_process_module_for(&p, 0x3fffff));
    assert_int_equal(lw_process_module_for(&p, 0x400000)->id, 1);
    assert_int_equal(lw_process_module_for(&p, 0x41ffff)->id, 1);
    assert_int_equal(lw_process_module_for(&p, 0x420000)->id, 3);
    assert_int_equal(lw_process_module_for(&p, 0x42ffff)->id, 3);
    assert_int_equal(lw_process_module_for(&p, 0x430000)->id, 1); /* past the nested one */
    assert_int_equal(lw_process_module_for(&p, 0x4fffff)->id, 1);
    assert_null(lw_process_module_for(&p, 0x500000));
    assert_null(lw_process_module_for(&p, UINT64_MAX));
    lw_process_free(&p);
}

static void test_duplicates_removed(void **state)
{
    (void)state;
    lw_process p;
    build(&p);
    /* Give stack 9 the id 5 and lock 2 the id 10: the first of each id stays. */
    p.stacks[2].id = 5;
    p.locks[1].id = 10;
    lw_process_build_index(&p);
    assert_int_equal(p.n_stacks, 2);
    assert_int_equal(lw_process_stack(&p, 5)->frames[0], 0x5000);
    assert_int_equal(lw_process_stack(&p, 1)->frames[0], 0x1000);
    assert_null(lw_process_stack(&p, 9));
    assert_int_equal(p.n_locks, 1);
    assert_ptr_equal(lw_process_lock(&p, 10), &p.locks[0]);
    lw_process_free(&p);
}

static void test_no_index(void **state)
{
    (void)state;
    lw_process p;
    memset(&p, 0, sizeof p);
    assert_null(lw_process_stack(&p, 1));
    assert_null(lw_process_thread(&p, 1));
    assert_null(lw_process_lock(&p, 1));
    assert_null(lw_process_module_for(&p, 0x1000));
    assert_null(lw_process_stack(NULL, 1));
    lw_process_build_index(&p); /* an empty process indexes fine */
    assert_null(lw_process_stack(&p, 1));
    assert_null(lw_process_module_for(&p, 0x1000));
    lw_process_free(&p);
}

static void test_free_zeroed(void **state)
{
    (void)state;
    lw_model m;
    memset(&m, 0, sizeof m);
    lw_model_free(&m);
    lw_model_free(&m);
    lw_model_free(NULL);
    lw_process p;
    memset(&p, 0, sizeof p);
    lw_process_free(&p);
    lw_process_free(NULL);

    m.n_procs = 2;
    m.procs = calloc(2, sizeof *m.procs);
    build(&m.procs[0]); /* procs[1] stays zeroed */
    lw_model_free(&m);
    assert_null(m.procs);
    assert_int_equal(m.n_procs, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_module_boundaries),
        cmocka_unit_test(test_duplicates_removed),
        cmocka_unit_test(test_no_index),
        cmocka_unit_test(test_free_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
