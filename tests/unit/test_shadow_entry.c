/*
 * The race-mode shadow entry rules (shim/shadow_entry.h): which access an entry covers, how
 * accesses of one epoch merge (and keep "read, then written" apart from "written, then read"),
 * when an entry or an access makes another entry redundant, which bytes conflict, that the word
 * naming an expanded cell can never be mistaken for an entry, and that an aux word read with the
 * wrong entry word is told apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../shim/shadow_entry.h"

#define LO4 0x0full /* bytes 0-3 of the granule */
#define HI4 0xf0ull /* bytes 4-7 */

/* An entry of slot at clock: read bytes r, written bytes w. */
static uint64_t entry(uint32_t clock, uint32_t slot, uint64_t r, uint64_t w)
{
    return LW_SH_KEY(clock, slot) | (w << 8) | r;
}

static void test_covers(void **state)
{
    (void)state;
    uint64_t key = LW_SH_KEY(7, 3), e = entry(7, 3, LO4, HI4);
    assert_true(lw_sh_covers(e, key, LO4, false));
    assert_true(lw_sh_covers(e, key, HI4, false)); /* a read of written bytes */
    assert_true(lw_sh_covers(e, key, HI4, true));
    assert_false(lw_sh_covers(e, key, LO4, true));     /* read only: a write is new */
    assert_true(lw_sh_covers(e, key, 0xffull, false)); /* every byte was read or written */
    assert_false(lw_sh_covers(e, key, 0xffull, true));
    assert_false(lw_sh_covers(entry(7, 3, LO4, 0), key, 0xffull, false));
    assert_false(lw_sh_covers(e, LW_SH_KEY(8, 3), LO4, false)); /* another epoch */
    assert_false(lw_sh_covers(e, LW_SH_KEY(7, 4), LO4, false)); /* another thread */
    assert_false(lw_sh_covers(0, key, LO4, false));
}

static void test_merge_keeps_read_then_write(void **state)
{
    (void)state;
    /* x = f(x): read, then write: both masks, which is a read-modify-write. */
    uint64_t e = lw_sh_merge(entry(1, 1, LO4, 0), LO4, true);
    assert_int_equal(LW_SH_RMASK(e) & LW_SH_WMASK(e), LO4);
    /* Written, then read: the read adds nothing, no read-modify-write appears on a later write. */
    e = lw_sh_merge(entry(1, 1, 0, LO4), LO4, false);
    assert_int_equal(e, entry(1, 1, 0, LO4));
    e = lw_sh_merge(e, LO4, true);
    assert_int_equal(LW_SH_RMASK(e), 0);
    /* Other bytes merge into the same entry, clock and slot unchanged. */
    e = lw_sh_merge(entry(1, 1, LO4, LO4), HI4, false);
    assert_int_equal(e, entry(1, 1, 0xff, LO4));
    assert_int_equal(LW_SH_BYTES(e), 0xff);
}

static void test_supersedes(void **state)
{
    (void)state;
    uint64_t old_rw = entry(4, 2, 0xff, 0xff), new_rw = entry(5, 2, 0xff, 0xff);
    assert_true(lw_sh_supersedes(new_rw, old_rw));
    assert_false(lw_sh_supersedes(old_rw, new_rw)); /* an older entry never makes a newer one go */
    /* A newer read does not cover an older write; fewer bytes do not cover more. */
    assert_false(lw_sh_supersedes(entry(5, 2, 0xff, 0), entry(4, 2, 0, 0xff)));
    assert_false(lw_sh_supersedes(entry(5, 2, LO4, LO4), old_rw));
    /* A newer write covers an older read of the same bytes. */
    assert_true(lw_sh_supersedes(entry(5, 2, 0, LO4), entry(4, 2, LO4, 0)));
}

static void test_access_supersedes(void **state)
{
    (void)state;
    assert_true(lw_sh_access_supersedes(0xff, false, entry(1, 1, LO4, 0)));
    assert_false(lw_sh_access_supersedes(0xff, false, entry(1, 1, 0, LO4))); /* read vs write */
    assert_true(lw_sh_access_supersedes(0xff, true, entry(1, 1, 0, LO4)));
    assert_false(lw_sh_access_supersedes(LO4, true, entry(1, 1, 0xff, 0))); /* fewer bytes */
    assert_true(lw_sh_access_supersedes(LO4, false, 0)); /* an empty entry is free */
}

static void test_conflicting_bytes(void **state)
{
    (void)state;
    uint64_t e = entry(1, 1, LO4, HI4);
    assert_int_equal(lw_sh_conflicting_bytes(e, 0xff, false), HI4); /* a read meets writes */
    assert_int_equal(lw_sh_conflicting_bytes(e, 0xff, true), 0xff); /* a write meets both */
    assert_int_equal(lw_sh_conflicting_bytes(e, LO4, false), 0);    /* two reads */
    assert_int_equal(lw_sh_conflicting_bytes(entry(1, 1, LO4, 0), HI4, true), 0); /* other bytes */
}

static void test_expanded_word(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 70000; i += 997) {
        uint64_t w = LW_SH_EXPANDED_WORD(i);
        assert_true(LW_SH_IS_EXPANDED(w));
        assert_int_equal(LW_SH_CLOCK(w), i);
        /* No thread's epoch matches it, whatever the clock. */
        for (uint32_t slot = 1; slot < LW_RACE_MAX_SLOTS; slot += 509)
            assert_false(lw_sh_covers(w, LW_SH_KEY(i, slot), 0, false));
    }
    assert_false(LW_SH_IS_EXPANDED(0));
    assert_false(LW_SH_IS_EXPANDED(entry(0, LW_RACE_SLOT_BENIGN, LO4, 0))); /* a benign entry */
    assert_false(LW_SH_IS_EXPANDED(entry(3, 1, LO4, 0)));
}

static void test_aux_tells_torn_pairs(void **state)
{
    (void)state;
    uint64_t w = entry(41, 5, LO4, LO4), aux = lw_sh_aux(77, 12, w);
    assert_true(lw_sh_aux_matches(aux, w));
    assert_int_equal(lw_sh_aux_stack(aux), 77);
    assert_int_equal(lw_sh_aux_lockset(aux), 12);
    /* The same epoch, other bytes or a write merged in: still this entry's aux. */
    assert_true(lw_sh_aux_matches(aux, lw_sh_merge(w, HI4, true)));
    /* The entry this one replaced (an earlier epoch of the thread, another thread): torn. */
    for (uint32_t clock = 1; clock < 41; clock++)
        assert_false(lw_sh_aux_matches(lw_sh_aux(77, 12, entry(clock, 5, HI4, HI4)), w));
    for (uint32_t slot = 1; slot < 200; slot++)
        if (slot != 5)
            assert_false(lw_sh_aux_matches(lw_sh_aux(77, 12, entry(41, slot, HI4, 0)), w));
    /* The unknown lockset survives the 16 bits it is kept in. */
    assert_int_equal(lw_sh_aux_lockset(lw_sh_aux(0, 0xffffffffu, w)), 0xffffffffu);
}

static void test_compact_more(void **state)
{
    (void)state;
    /* N of slot 9 at clock 1000 and O, its write of the high half 3 epochs before. */
    uint64_t n = entry(1000, 9, LO4, 0), o = entry(997, 9, 0, HI4);
    uint64_t more = LW_SH_MORE(321, 654, 1000 - 997, o);
    assert_int_equal(LW_SH_MORE_SITE_N(more), 321);
    assert_int_equal(LW_SH_MORE_SITE_O(more), 654);
    assert_int_equal(lw_sh_older(n, more), o);
    /* No O: both masks 0, whatever the sites. */
    assert_int_equal(lw_sh_older(n, LW_SH_MORE(321, 0, 0, 0)), 0);
    /* The oldest O a compact cell can keep. */
    assert_int_equal(
        lw_sh_older(entry(70000, 9, LO4, 0),
                    LW_SH_MORE(1, 2, LW_SH_AGE_MAX, entry(70000 - LW_SH_AGE_MAX, 9, LO4, 0))),
        entry(70000 - LW_SH_AGE_MAX, 9, LO4, 0));
}

static void test_compact_next(void **state)
{
    (void)state;
    uint64_t next;
    /* A rewrite loop: N (epoch 10, both halves read then written) is kept as O when epoch 11
     * first reads the low half; it carries its site (7) and is 1 epoch old. */
    uint64_t n = entry(10, 3, 0xff, 0xff);
    assert_true(lw_sh_compact_next(n, LW_SH_MORE(7, 0, 0, 0), 11, LO4, false, 9, &next));
    assert_int_equal(next, LW_SH_MORE(9, 7, 1, n));
    /* An access that supersedes N (a write of all its bytes) keeps nothing. */
    assert_true(lw_sh_compact_next(n, LW_SH_MORE(7, 0, 0, 0), 11, 0xff, true, 9, &next));
    assert_int_equal(next, LW_SH_MORE(9, 0, 0, 0));
    /* An O that N supersedes is dropped: N is kept. */
    uint64_t more = LW_SH_MORE(7, 6, 2, entry(8, 3, LO4, 0));
    assert_true(lw_sh_compact_next(n, more, 11, LO4, false, 9, &next));
    assert_int_equal(next, LW_SH_MORE(9, 7, 1, n));
    /* An O the access supersedes is dropped too; one N the access supersedes leaves O kept. */
    more = LW_SH_MORE(7, 6, 2, entry(8, 3, 0, HI4));
    assert_true(lw_sh_compact_next(entry(10, 3, LO4, 0), more, 11, LO4, true, 9, &next));
    assert_int_equal(next, LW_SH_MORE(9, 6, 3, entry(8, 3, 0, HI4)));
    /* Two to keep (N wrote a, O wrote b, the access reads a): the cell must expand. */
    more = LW_SH_MORE(7, 6, 2, entry(8, 3, 0, HI4));
    assert_false(lw_sh_compact_next(entry(10, 3, 0, LO4), more, 11, LO4, false, 9, &next));
    /* The one to keep is older than a compact cell can say. */
    assert_false(lw_sh_compact_next(entry(10, 3, 0, LO4), LW_SH_MORE(7, 0, 0, 0),
                                    10 + LW_SH_AGE_MAX + 1, HI4, false, 9, &next));
    /* A first touch: nothing to keep. */
    assert_true(lw_sh_compact_next(0, 0, 5, LO4, true, 9, &next));
    assert_int_equal(next, LW_SH_MORE(9, 0, 0, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_covers),
        cmocka_unit_test(test_merge_keeps_read_then_write),
        cmocka_unit_test(test_supersedes),
        cmocka_unit_test(test_access_supersedes),
        cmocka_unit_test(test_conflicting_bytes),
        cmocka_unit_test(test_expanded_word),
        cmocka_unit_test(test_aux_tells_torn_pairs),
        cmocka_unit_test(test_compact_more),
        cmocka_unit_test(test_compact_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
