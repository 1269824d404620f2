/*
 * The shadow entry of race mode: what one thread did to one 8-byte granule in one epoch, packed
 * into one 64-bit word, and the pure rules over such words that the fast path (tsan_abi.c) and
 * the slow path (race_shadow.c) share: covering, merging, superseding, conflicting. Nothing here
 * touches memory, so the unit tests check these rules directly (tests/unit/test_shadow_entry.c).
 */
#ifndef LOCKWATCH_SHADOW_ENTRY_H
#define LOCKWATCH_SHADOW_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

/* Thread slots index the vector clocks. Slot 0 is never used (an empty shadow entry has slot 0)
 * and LW_RACE_SLOT_BENIGN marks granules annotated as intentionally racy. */
#define LW_RACE_MAX_SLOTS 4095u
#define LW_RACE_SLOT_BENIGN 0xfffu

/*
 * A shadow entry: what one thread did to one granule in one epoch (between two of its
 * synchronisations), all its accesses there merged. word = clock:32 | slot:12 | flags:4 |
 * written bytes:8 | read bytes:8 (a byte is "read" only when read before being written in the
 * epoch, so read & written = read-then-written); aux = stack id:32 | tag:16 | lockset:16 (the
 * site kept is the latest write's, else the first read's). An entry never has an empty byte
 * mask: a word whose two masks are 0 is either empty (0) or names an expanded cell
 * (LW_SH_EXPANDED_WORD).
 *
 * The two words are stored one after the other without a lock, so another thread can read a
 * word with the aux of the entry it replaced (or the reverse). The tag, a hash of the word's
 * slot and clock, tells such a torn pair: a report must never pair an access with another
 * access's locks (that would invent a predictive race) or site.
 */
#define LW_SH_SLOT_SHIFT 20u
#define LW_SH_FULLSTACK 0x10000ull /* aux's stack is the full shadow stack, not just the pc */
#define LW_SH_EPOCH_MASK 0xfffffffffff00000ull /* clock and slot */
#define LW_SH_SLOT_MASK 0xfff00000ull
#define LW_SH_KEY(clock, slot) (((uint64_t)(clock) << 32) | ((uint64_t)(slot) << LW_SH_SLOT_SHIFT))
#define LW_SH_SLOT(w) ((uint32_t)((w) >> LW_SH_SLOT_SHIFT) & 0xfffu)
#define LW_SH_CLOCK(w) ((uint32_t)((w) >> 32))
#define LW_SH_RMASK(w) ((w)&0xffull)
#define LW_SH_WMASK(w) (((w) >> 8) & 0xffull)
#define LW_SH_BYTES(w) (((w) | ((w) >> 8)) & 0xffull) /* read or written */

/* Lockset ids are below 2^15 (race_lockset.c); the unknown set is stored as this. */
#define LW_SH_LOCKSET_UNKNOWN16 0xffffu

/* The tag of an entry word (its slot and clock) kept in its aux. */
static inline uint64_t lw_sh_tag(uint64_t word)
{
    return ((word >> LW_SH_SLOT_SHIFT) * 0x9e3779b97f4a7c15ull) >> 48;
}

/* The aux word of entry word: where (stack id) and the locks held (lockset id). */
static inline uint64_t lw_sh_aux(uint32_t stack, uint32_t lockset, uint64_t word)
{
    uint64_t ls = lockset < LW_SH_LOCKSET_UNKNOWN16 ? lockset : LW_SH_LOCKSET_UNKNOWN16;
    return ((uint64_t)stack << 32) | (lw_sh_tag(word) << 16) | ls;
}

/* True if aux was written for entry word (not for the entry it replaced). */
static inline bool lw_sh_aux_matches(uint64_t aux, uint64_t word)
{
    return ((aux >> 16) & 0xffffu) == lw_sh_tag(word);
}

static inline uint32_t lw_sh_aux_stack(uint64_t aux)
{
    return (uint32_t)(aux >> 32);
}

/* The lockset id of aux (0xffffffff: unknown). */
static inline uint32_t lw_sh_aux_lockset(uint64_t aux)
{
    uint32_t ls = (uint32_t)(aux & 0xffffu);
    return ls == LW_SH_LOCKSET_UNKNOWN16 ? 0xffffffffu : ls;
}

/* The first word of an expanded compact cell: the index of its four-entry cell, with the benign
 * slot (so it never matches a thread's epoch) and no byte mask (so it is no benign entry). */
#define LW_SH_EXPANDED_WORD(i) (((uint64_t)(i) << 32) | LW_SH_KEY(0, LW_RACE_SLOT_BENIGN))
#define LW_SH_IS_EXPANDED(w) (!((w)&0xffffull) && LW_SH_SLOT(w) == LW_RACE_SLOT_BENIGN)

/*
 * The second word of a compact cell (race_internal.h): the sites of its entries N and O and O
 * itself, which is an older entry of N's thread: site N:16 | site O:16 | age:16 (N's clock minus
 * O's) | O's written bytes:8 | O's read bytes:8. No O: both masks 0.
 */
#define LW_SH_AGE_MAX 0xffffu
#define LW_SH_MORE(site_n, site_o, age, omasks)                                                    \
    (((uint64_t)(site_n) << 48) | ((uint64_t)(site_o) << 32) | ((uint64_t)(age) << 16) |           \
     ((omasks)&0xffffull))
#define LW_SH_MORE_SITE_N(m) ((uint32_t)((m) >> 48))
#define LW_SH_MORE_SITE_O(m) ((uint32_t)((m) >> 32) & 0xffffu)

/* Entry O of a compact cell whose N is n (an entry word), or 0 if it has none. */
static inline uint64_t lw_sh_older(uint64_t n, uint64_t more)
{
    if (!(more & 0xffffull))
        return 0;
    uint32_t age = (uint32_t)(more >> 16) & 0xffffu;
    return LW_SH_KEY(LW_SH_CLOCK(n) - age, LW_SH_SLOT(n)) | (more & 0xffffull);
}

/* `more` with site as N's site (a write merged into N brings its own site). */
static inline uint64_t lw_sh_more_with_site_n(uint64_t more, uint32_t site)
{
    return (more & ~(0xffffull << 48)) | ((uint64_t)site << 48);
}

/* True if entry w belongs to the thread and epoch of key and covers the access (mask: its
 * bytes): every byte touched for a read, every byte written for a write. */
static inline bool lw_sh_covers(uint64_t w, uint64_t key, uint64_t mask, bool write)
{
    uint64_t have = write ? LW_SH_WMASK(w) : LW_SH_BYTES(w);
    return !((w ^ key) & LW_SH_EPOCH_MASK) && (have & mask) == mask;
}

/* True if entry n makes entry o of the same thread redundant: n is not older and covers o's
 * bytes, and its written bytes cover o's (whatever races with o races with n). */
static inline bool lw_sh_supersedes(uint64_t n, uint64_t o)
{
    return LW_SH_CLOCK(n) >= LW_SH_CLOCK(o) && (LW_SH_WMASK(o) & ~LW_SH_WMASK(n)) == 0 &&
           (LW_SH_BYTES(o) & ~LW_SH_BYTES(n)) == 0;
}

/* True if an access (mask, write) supersedes entry o of a thread whose accesses happened before
 * it: it covers o's bytes, and it is a write or o wrote nothing. */
static inline bool lw_sh_access_supersedes(uint64_t mask, bool write, uint64_t o)
{
    return (LW_SH_BYTES(o) & ~mask) == 0 && (write || !LW_SH_WMASK(o));
}

/* Entry w of this thread's current epoch with the access (mask, write) merged in. A read adds
 * only bytes not written yet, so that read & written stays "read, then written". */
static inline uint64_t lw_sh_merge(uint64_t w, uint64_t mask, bool write)
{
    return write ? w | (mask << 8) : w | (mask & ~LW_SH_WMASK(w));
}

/*
 * A compact cell's next `more` when an access (mask, write) of N's thread at clock, whose site is
 * site, becomes the new N of a cell holding n (its N from an earlier epoch, or 0) and more. The
 * cell keeps, as O, whichever of n and its O the other and the access do not supersede. False
 * when that cannot be kept in a compact cell (both must stay, or the one to keep is too old):
 * the cell must expand.
 */
static inline __attribute__((always_inline)) bool lw_sh_compact_next(uint64_t n, uint64_t more,
                                                                     uint32_t clock, uint64_t mask,
                                                                     bool write, uint32_t site,
                                                                     uint64_t *next)
{
    uint64_t o = n ? lw_sh_older(n, more) : 0;
    bool keep_n = n && !lw_sh_access_supersedes(mask, write, n);
    bool keep_o = o && !lw_sh_access_supersedes(mask, write, o) && !lw_sh_supersedes(n, o);
    if (keep_n && !keep_o && clock - LW_SH_CLOCK(n) <= LW_SH_AGE_MAX)
        *next = LW_SH_MORE(site, LW_SH_MORE_SITE_N(more), clock - LW_SH_CLOCK(n), n);
    else if (keep_o && !keep_n && clock - LW_SH_CLOCK(o) <= LW_SH_AGE_MAX)
        *next = LW_SH_MORE(site, LW_SH_MORE_SITE_O(more), clock - LW_SH_CLOCK(o), o);
    else if (!keep_n && !keep_o)
        *next = LW_SH_MORE(site, 0, 0, 0);
    else
        return false;
    return true;
}

/* The bytes of entry w that conflict with an access (mask, write): any it touched for a write,
 * the ones it wrote for a read. */
static inline uint64_t lw_sh_conflicting_bytes(uint64_t w, uint64_t mask, bool write)
{
    return (write ? LW_SH_BYTES(w) : LW_SH_WMASK(w)) & mask;
}

#endif /* LOCKWATCH_SHADOW_ENTRY_H */
