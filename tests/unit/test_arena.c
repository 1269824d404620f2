/*
 * Unit tests of the bump allocator (analyzer/arena.c): held lists from lw_arena_alloc_u32 sit
 * back to back, lw_arena_alloc keeps max_align_t alignment, lw_arena_undo gives back the last
 * allocation of either kind, and allocations larger than a block get one of their own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "arena.h"

static void test_u32_packed(void **state)
{
    (void)state;
    lw_arena *a = lw_arena_new();
    uint8_t *p = lw_arena_alloc_u32(a, 12);
    uint8_t *q = lw_arena_alloc_u32(a, 12);
    assert_ptr_equal(q, p + 12); /* no padding to 16 */
    assert_int_equal((uintptr_t)q % 4, 0);
    uint8_t *odd = lw_arena_alloc_u32(a, 5); /* rounded up to 8 */
    assert_ptr_equal(odd, q + 12);
    assert_ptr_equal(lw_arena_alloc_u32(a, 4), odd + 8);
    lw_arena_free(a);
}

static void test_aligned_after_u32(void **state)
{
    (void)state;
    lw_arena *a = lw_arena_new();
    uint8_t *p = lw_arena_alloc_u32(a, 12);
    uint8_t *q = lw_arena_alloc(a, 1);
    assert_int_equal((uintptr_t)q % _Alignof(max_align_t), 0);
    assert_true(q >= p + 12);
    lw_arena_free(a);
}

static void test_undo(void **state)
{
    (void)state;
    lw_arena *a = lw_arena_new();
    uint8_t *p = lw_arena_alloc_u32(a, 24);
    lw_arena_undo(a, 24);
    assert_ptr_equal(lw_arena_alloc_u32(a, 12), p);
    uint8_t *q = lw_arena_alloc_u32(a, 36);
    assert_ptr_equal(q, p + 12);
    lw_arena_undo(a, 36);
    assert_ptr_equal(lw_arena_alloc_u32(a, 36), q);
    lw_arena_undo(NULL, 4); /* safe */
    lw_arena_free(a);
}

static void test_large_and_many(void **state)
{
    (void)state;
    lw_arena *a = lw_arena_new();
    size_t big = (size_t)9 << 20; /* more than the largest block */
    uint8_t *b = lw_arena_alloc_u32(a, big);
    memset(b, 0xab, big);
    /* Many small ones across several blocks: each usable, none overlapping the last. */
    uint32_t *prev = NULL;
    for (uint32_t i = 0; i < 1000000; i++) {
        uint32_t *x = lw_arena_alloc_u32(a, 12);
        x[0] = x[1] = x[2] = i;
        if (prev)
            assert_int_equal(prev[2], i - 1);
        prev = x;
    }
    assert_int_equal(b[big - 1], 0xab);
    lw_arena_free(a);
    lw_arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32_packed),
        cmocka_unit_test(test_aligned_after_u32),
        cmocka_unit_test(test_undo),
        cmocka_unit_test(test_large_and_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
