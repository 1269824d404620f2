/*
 * The annotation functions behind include/lockwatch.h (race mode). The header declares them
 * weak, so a program calls them only when liblockwatch is loaded; when race mode is off (the
 * program was not built with -fsanitize=thread) they do nothing.
 */
#include "race_internal.h"

static struct lw_race_thread *annotating_thread(void)
{
    if (!lw_race_on())
        return NULL;
    struct lw_race_thread *rt = lw_race_tls;
    rt = rt ? rt : lw_race_thread_slow();
    return rt && !rt->busy ? rt : NULL;
}

/* A hand-made handoff orders like a semaphore post/wait: a hard edge, not lock ordering. */
LW_EXPORT void lockwatch_annotate_happens_before(const volatile void *addr)
{
    struct lw_race_thread *rt = annotating_thread();
    if (rt)
        lw_race_release_rt(rt, (uint64_t)(uintptr_t)addr, false, false);
}

LW_EXPORT void lockwatch_annotate_happens_after(const volatile void *addr)
{
    struct lw_race_thread *rt = annotating_thread();
    if (rt)
        lw_race_acquire_rt(rt, (uint64_t)(uintptr_t)addr, false, false);
}

LW_EXPORT void lockwatch_annotate_benign_race(const volatile void *addr, size_t size)
{
    if (lw_race_on() && lw_shadow_l1)
        lw_race_shadow_benign((uintptr_t)addr, size);
}

LW_EXPORT void lockwatch_ignore_accesses_begin(void)
{
    struct lw_race_thread *rt = annotating_thread();
    if (rt)
        rt->ignore++;
}

LW_EXPORT void lockwatch_ignore_accesses_end(void)
{
    struct lw_race_thread *rt = lw_race_tls;
    if (rt && rt->ignore)
        rt->ignore--;
}
