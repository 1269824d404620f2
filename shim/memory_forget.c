/*
 * Forgetting memory that was given back (memory_forget.h), and the annotation through which a
 * program's own allocator says the same of memory it hands out again
 * (lockwatch_annotate_memory_reused, include/lockwatch.h).
 */
#include <errno.h>

#include "hot_path.h"
#include "memory_forget.h"

/* Who gives memory back: the thread, its call site, the start of the range. */
struct giving_back {
    struct lw_thread *t;
    uintptr_t ret_pc;
    uintptr_t lo;
};

/* lw_lock_forget_range callback: the lock at addr lives in the range. If the calling thread
 * holds it, that is a destroy of a locked lock (its unlock would write memory that is no longer
 * the lock's); either way it leaves the thread's held list. */
static void lock_given_back(uintptr_t addr, void *arg)
{
    const struct giving_back *g = arg;
    int i = lw_held_find(g->t, addr);
    if (i < 0)
        return;
    struct lw_held_meta meta = g->t->held[i].meta;
    struct lw_misuse_info mi = {.misuse = LW_MISUSE_DESTROY_LOCKED,
                                .lock_id = meta.lock_id,
                                .lock_kind = meta.kind,
                                .other_thread = g->t->id,
                                .address = addr,
                                .other_address = g->lo};
    lw_misuse(g->t, &mi, g->ret_pc);
    lw_held_forget(g->t, addr);
}

__attribute__((noinline)) void lw_memory_forget_slow(uintptr_t lo, uintptr_t hi, uintptr_t ret_pc)
{
    int saved = errno;
    lw_tls.depth = 1;
    struct giving_back g = {lw_tls.thread, ret_pc, lo};
    lw_lock_forget_range(lo, hi, g.t && g.t->n_held ? lock_given_back : NULL, &g);
    if (lw_race_on())
        lw_race_forget_memory(lo, hi);
    lw_tls.depth = 0;
    errno = saved;
}

LW_EXPORT void lockwatch_annotate_memory_reused(const volatile void *addr, size_t size)
{
    if (addr && lw_memory_watched())
        lw_memory_forget((uintptr_t)addr, size, (uintptr_t)__builtin_return_address(0));
}
