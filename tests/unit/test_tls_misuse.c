/*
 * Unit tests of tls-misuse findings (analyzer/tls_misuse.c). Key misuses come from MISUSE
 * records of kinds 12-15 (LW_MISUSE_KEY_*), accesses from TLS_ACCESS records; both are written
 * with the log builder and read back. Checked: one finding per (what, key or variable, call
 * stack), repeats by other threads counted as occurrences, subkind names, the threads named, and
 * what an access finding carries (owner, write, exit stack, the likely handoff); other misuses
 * are left to api-misuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "log_builder.h"
#include "log_reader.h"
#include "tls_misuse.h"

/* Stacks 1..3 (one frame each); thread 1 creates 2 at stack 3, and 2 creates 3 at stack 2. */
static lw_log_builder *base_log(void)
{
    lw_log_builder *b = lw_lb_new_ex(99, 4096);
    lw_lb_process(b, 1, "/nonexistent/tls");
    uint64_t f1[] = {0x1010}, f2[] = {0x1020}, f3[] = {0x1030};
    lw_lb_stack(b, f1, 1);
    lw_lb_stack(b, f2, 1);
    lw_lb_stack(b, f3, 1);
    lw_lb_thread_start(b, 1, 0, 0, 0);
    lw_lb_thread_start(b, 2, 1, 0, 3);
    lw_lb_thread_start(b, 3, 2, 0, 2);
    return b;
}

static void key_misuse(lw_log_builder *b, uint32_t misuse, uint32_t thread, uint64_t key,
                       uint32_t stack, uint32_t other)
{
    struct lw_rec_misuse m = {.misuse = misuse,
                              .thread_id = thread,
                              .stack_id = stack,
                              .other_thread = other,
                              .address = key};
    lw_lb_misuse(b, &m);
}

static void tls_access(lw_log_builder *b, uint32_t kind, uint32_t region, uint32_t thread,
                       uint32_t owner, uint32_t stack, bool write, uint64_t offset)
{
    struct lw_rec_tls_access a = {.kind = kind,
                                  .region = region,
                                  .thread_id = thread,
                                  .owner_thread = owner,
                                  .stack_id = stack,
                                  .size = 4,
                                  .address = 0x7f0000001000 + offset,
                                  .tls_offset = offset};
    a.h.flags = write ? LW_TLS_ACCESS_WRITE : 0;
    if (kind == LW_TLS_AFTER_EXIT)
        a.owner_exit_stack = 2;
    lw_lb_tls_access(b, &a);
}

static size_t analyze(lw_log_builder *b, lw_process *p, lw_findings *fs)
{
    size_t len;
    const void *buf = lw_lb_data(b, &len);
    char err[256];
    assert_int_equal(lw_read_log_buffer(buf, len, "tls.log", p, err, sizeof err), 0);
    memset(fs, 0, sizeof *fs);
    return lw_analyze_tls_misuse(p, fs);
}

static const lw_finding *by_subkind(const lw_findings *fs, const char *sub)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->items[i].subkind && strcmp(fs->items[i].subkind, sub) == 0)
            return &fs->items[i];
    return NULL;
}

/* The key finding for (key, stack), or NULL. Records sit in their threads' chunks, so the
 * order of findings follows the chunks, not the order the test wrote them in. */
static const lw_finding *by_key(const lw_findings *fs, uint64_t key, uint32_t stack)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->items[i].tls && fs->items[i].tls->key == key && fs->items[i].stack_id == stack)
            return &fs->items[i];
    return NULL;
}

/* The access finding at TLS offset off, or NULL. */
static const lw_finding *by_offset(const lw_findings *fs, uint64_t off)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->items[i].tls && !fs->items[i].tls->has_key && fs->items[i].tls->tls_offset == off)
            return &fs->items[i];
    return NULL;
}

/* Each key misuse kind (12-15) becomes a finding with its public subkind, the key and the
 * call's stack; the thread that still holds a value is named second. */
static void test_key_subkinds(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    key_misuse(b, LW_MISUSE_KEY_NEVER_CREATED, 2, 7, 1, 0);
    key_misuse(b, LW_MISUSE_KEY_DELETED, 2, 3, 2, 0);
    key_misuse(b, LW_MISUSE_KEY_DELETE_LIVE, 1, 3, 3, 2);
    key_misuse(b, LW_MISUSE_KEY_LEAK, 3, 5, 1, 0);
    lw_process p;
    lw_findings fs;
    assert_int_equal(analyze(b, &p, &fs), 4);
    assert_int_equal(fs.n, 4);
    const char *subs[] = {LW_TLS_SUB_KEY_NEVER_CREATED, LW_TLS_SUB_KEY_DELETED,
                          LW_TLS_SUB_KEY_DELETE_LIVE, LW_TLS_SUB_KEY_LEAK};
    const uint64_t keys[] = {7, 3, 3, 5};
    const uint32_t stacks[] = {1, 2, 3, 1}, callers[] = {2, 2, 1, 3};
    for (size_t i = 0; i < 4; i++) {
        const lw_finding *f = by_subkind(&fs, subs[i]);
        assert_non_null(f);
        assert_int_equal(f->kind, LW_KIND_TLS_MISUSE);
        assert_ptr_equal(f->proc, &p);
        assert_false(f->harmless);
        assert_non_null(f->tls);
        assert_true(f->tls->has_key);
        assert_int_equal(f->tls->key, keys[i]);
        assert_int_equal(f->stack_id, stacks[i]);
        assert_int_equal(f->occurrences, 1);
        assert_int_equal(f->threads[0], callers[i]);
    }
    assert_string_equal(LW_TLS_SUB_KEY_NEVER_CREATED, "key-never-created");
    assert_string_equal(LW_TLS_SUB_KEY_DELETED, "key-deleted");
    assert_string_equal(LW_TLS_SUB_KEY_DELETE_LIVE, "key-deleted-with-values");
    assert_string_equal(LW_TLS_SUB_KEY_LEAK, "key-value-leak");
    const lw_finding *live = by_subkind(&fs, LW_TLS_SUB_KEY_DELETE_LIVE);
    assert_int_equal(live->n_threads, 2);
    assert_int_equal(live->threads[1], 2);
    assert_int_equal(live->other_thread, 2);
    assert_int_equal(by_subkind(&fs, LW_TLS_SUB_KEY_LEAK)->n_threads, 1);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* The same misuse of the same key at the same call by several threads is one finding seen
 * several times; another key or another call is another finding. Lock misuses are not ours. */
static void test_key_grouping(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    key_misuse(b, LW_MISUSE_KEY_DELETED, 2, 3, 1, 0);
    key_misuse(b, LW_MISUSE_KEY_DELETED, 3, 3, 1, 0);
    key_misuse(b, LW_MISUSE_KEY_DELETED, 1, 3, 1, 0);
    key_misuse(b, LW_MISUSE_KEY_DELETED, 2, 4, 1, 0); /* another key */
    key_misuse(b, LW_MISUSE_KEY_DELETED, 2, 3, 2, 0); /* another call */
    key_misuse(b, LW_MISUSE_UNLOCK_UNLOCKED, 2, 3, 1, 0);
    key_misuse(b, LW_MISUSE_RELOCK, 2, 3, 1, 0);
    lw_process p;
    lw_findings fs;
    assert_int_equal(analyze(b, &p, &fs), 3);
    assert_int_equal(fs.n, 3);
    const lw_finding *f = by_key(&fs, 3, 1);
    assert_non_null(f);
    assert_string_equal(f->subkind, LW_TLS_SUB_KEY_DELETED);
    assert_int_equal(f->occurrences, 3);
    assert_int_equal(f->n_threads, 1); /* the thread is not part of the finding's identity */
    assert_non_null(by_key(&fs, 4, 1));
    assert_int_equal(by_key(&fs, 4, 1)->occurrences, 1);
    assert_non_null(by_key(&fs, 3, 2));
    assert_int_equal(by_key(&fs, 3, 2)->occurrences, 1);
    for (size_t i = 0; i < fs.n; i++) {
        assert_int_equal(fs.items[i].kind, LW_KIND_TLS_MISUSE);
        assert_string_equal(fs.items[i].subkind, LW_TLS_SUB_KEY_DELETED);
    }
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* Accesses: cross-thread and after-exit, grouped per (kind, region, stack, variable); a site
 * that both reads and writes is a write; the owner and its exit come through; an accessor the
 * owner created has the owner's pthread_create as its likely handoff. */
static void test_accesses(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    /* thread 3 (created by 2) reads, then writes, 2's thread-local at one site */
    tls_access(b, LW_TLS_CROSS_THREAD, LW_TLS_REGION_TLS, 3, 2, 1, false, 0x10);
    tls_access(b, LW_TLS_CROSS_THREAD, LW_TLS_REGION_TLS, 3, 2, 1, true, 0x10);
    /* thread 1 reads another variable of 2's at the same site: not a handoff (1 created 2) */
    tls_access(b, LW_TLS_CROSS_THREAD, LW_TLS_REGION_TLS, 1, 2, 1, false, 0x20);
    /* thread 3 reads main's thread-local: 3 was created by 2, so no handoff from 1 */
    tls_access(b, LW_TLS_CROSS_THREAD, LW_TLS_REGION_TLS, 3, 1, 2, false, 0x30);
    /* thread 1 reads the stack of thread 3 after it ended */
    tls_access(b, LW_TLS_AFTER_EXIT, LW_TLS_REGION_STACK, 1, 3, 3, false, 0);
    lw_process p;
    lw_findings fs;
    assert_int_equal(analyze(b, &p, &fs), 4);
    assert_int_equal(fs.n, 4);

    const lw_finding *cross = by_offset(&fs, 0x10);
    assert_non_null(cross);
    assert_string_equal(cross->subkind, LW_TLS_SUB_CROSS_THREAD);
    assert_int_equal(cross->occurrences, 2);
    assert_false(cross->tls->has_key);
    assert_true(cross->tls->is_write);
    assert_int_equal(cross->tls->owner_thread, 2);
    assert_int_equal(cross->tls->region, LW_TLS_REGION_TLS);
    assert_int_equal(cross->tls->tls_offset, 0x10);
    assert_int_equal(cross->tls->size, 4);
    assert_int_equal(cross->tls->handoff_stack, 2);
    assert_int_equal(cross->address, 0x7f0000001010);
    assert_int_equal(cross->n_threads, 2);
    assert_int_equal(cross->threads[0], 3);
    assert_int_equal(cross->threads[1], 2);
    assert_int_equal(cross->other_thread, 2);
    assert_null(cross->tls->variable); /* no image, nothing to name it from */

    const lw_finding *other = by_offset(&fs, 0x20);
    assert_non_null(other);
    assert_string_equal(other->subkind, LW_TLS_SUB_CROSS_THREAD);
    assert_int_equal(other->tls->tls_offset, 0x20);
    assert_false(other->tls->is_write);
    assert_int_equal(other->tls->handoff_stack, 0);
    const lw_finding *from_main = by_offset(&fs, 0x30);
    assert_non_null(from_main);
    assert_int_equal(from_main->tls->owner_thread, 1);
    assert_int_equal(from_main->tls->handoff_stack, 0);

    const lw_finding *gone = by_subkind(&fs, LW_TLS_SUB_AFTER_EXIT);
    assert_non_null(gone);
    assert_int_equal(gone->tls->region, LW_TLS_REGION_STACK);
    assert_int_equal(gone->tls->exit_stack, 2);
    assert_int_equal(gone->stack_id, 3);
    assert_int_equal(gone->threads[0], 1);
    assert_int_equal(gone->threads[1], 3);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* Key misuses and accesses of one process together; an access of an unknown kind keeps a
 * finding, named "unknown". */
static void test_mixed_and_unknown(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    key_misuse(b, LW_MISUSE_KEY_LEAK, 2, 5, 1, 0);
    tls_access(b, 9, LW_TLS_REGION_TLS, 3, 2, 1, false, 0x10);
    tls_access(b, LW_TLS_CROSS_THREAD, LW_TLS_REGION_TLS, 3, 2, 1, false, 0x10);
    lw_process p;
    lw_findings fs;
    assert_int_equal(analyze(b, &p, &fs), 3);
    assert_non_null(by_subkind(&fs, LW_TLS_SUB_KEY_LEAK));
    assert_non_null(by_subkind(&fs, LW_TLS_SUB_CROSS_THREAD));
    assert_non_null(by_subkind(&fs, "unknown"));
    assert_string_equal(lw_tls_access_subkind(LW_TLS_CROSS_THREAD), "cross-thread-access");
    assert_string_equal(lw_tls_access_subkind(LW_TLS_AFTER_EXIT), "use-after-exit");
    assert_string_equal(lw_tls_access_subkind(0), "unknown");
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

/* Nothing to report: no findings, and NULL arguments are refused quietly. */
static void test_none(void **state)
{
    (void)state;
    lw_log_builder *b = base_log();
    key_misuse(b, LW_MISUSE_EXIT_HOLDING, 2, 0, 1, 0);
    lw_process p;
    lw_findings fs;
    assert_int_equal(analyze(b, &p, &fs), 0);
    assert_int_equal(fs.n, 0);
    assert_int_equal(lw_analyze_tls_misuse(NULL, &fs), 0);
    assert_int_equal(lw_analyze_tls_misuse(&p, NULL), 0);
    lw_findings_free(&fs);
    lw_process_free(&p);
    lw_lb_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_subkinds), cmocka_unit_test(test_key_grouping),
        cmocka_unit_test(test_accesses),     cmocka_unit_test(test_mixed_and_unknown),
        cmocka_unit_test(test_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
