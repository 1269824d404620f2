/*
 * Helpers shared by the reliability test programs: a one-shot flag that staggers two threads
 * without any synchronisation primitive lockwatch understands (an atomic and sleeps), so the
 * analyzer cannot order the threads and an inversion between them stays a real finding.
 */
#ifndef LW_REL_UTIL_H
#define LW_REL_UTIL_H

#include <stdatomic.h>
#include <time.h>

typedef struct {
    atomic_int set;
} rel_flag;

static inline void rel_flag_post(rel_flag *f)
{
    atomic_store(&f->set, 1);
}

static inline void rel_flag_wait(rel_flag *f)
{
    while (!atomic_load(&f->set)) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
}

#endif /* LW_REL_UTIL_H */
