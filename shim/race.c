/*
 * Race detection (race mode). Placeholder until the race detector lands: the hooks exist so
 * that the interceptors call them; with race mode never enabled they are never reached.
 */
#include "race.h"
#include "shim.h"

_Atomic int lw_race_enabled;

void lw_race_acquire(struct lw_thread *t, uint64_t key, uint32_t acq_flags)
{
    (void)t;
    (void)key;
    (void)acq_flags;
}

void lw_race_release(struct lw_thread *t, uint64_t key, uint32_t acq_flags)
{
    (void)t;
    (void)key;
    (void)acq_flags;
}
