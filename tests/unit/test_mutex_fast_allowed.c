/*
 * When the shim may use its inline fast path for default mutexes (shim/glibc_mutex_fast.h):
 * only for the glibc versions whose protocol was checked, and never when lock elision is asked
 * for through GLIBC_TUNABLES.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../shim/glibc_mutex_fast.h"

static void test_versions(void **state)
{
    (void)state;
    assert_true(lw_mutex_fast_allowed("2.36", NULL));
    assert_true(lw_mutex_fast_allowed("2.17", NULL));
    assert_true(lw_mutex_fast_allowed("2.42", NULL));
    assert_true(lw_mutex_fast_allowed("2.31.1", NULL)); /* a patch level */
    assert_false(lw_mutex_fast_allowed("2.16", NULL));
    assert_false(lw_mutex_fast_allowed("2.43", NULL)); /* not checked yet */
    assert_false(lw_mutex_fast_allowed("2.360", NULL));
    assert_false(lw_mutex_fast_allowed("3.0", NULL));
    assert_false(lw_mutex_fast_allowed("2.", NULL));
    assert_false(lw_mutex_fast_allowed("2.36a", NULL));
    assert_false(lw_mutex_fast_allowed("", NULL));
    assert_false(lw_mutex_fast_allowed(NULL, NULL));
    assert_false(lw_mutex_fast_allowed("2.99999999999999999999", NULL)); /* no overflow */
}

static void test_elision(void **state)
{
    (void)state;
    assert_true(lw_mutex_fast_allowed("2.36", ""));
    assert_true(lw_mutex_fast_allowed("2.36", "glibc.malloc.check=3"));
    assert_true(lw_mutex_fast_allowed("2.36", "glibc.elision.enable=0"));
    assert_false(lw_mutex_fast_allowed("2.36", "glibc.elision.enable=1"));
    assert_false(lw_mutex_fast_allowed("2.36", "glibc.malloc.check=3:glibc.elision.enable=1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_elision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
