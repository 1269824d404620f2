/*
 * librel_dl.so, dlopen'ed and dlclose'd by the reliability test program life.c ("dlopen" mode):
 * rel_dl_lock_pair takes two locks in the order given, so two threads calling it with the
 * arguments swapped make an inversion whose stacks lie in this library. The report must
 * symbolize those frames here (rel_dl.c), although the library is gone by the time of the report.
 */
#include <pthread.h>

void rel_dl_lock_pair(pthread_mutex_t *first, pthread_mutex_t *second);

__attribute__((noinline)) void rel_dl_lock_pair(pthread_mutex_t *first, pthread_mutex_t *second)
{
    pthread_mutex_lock(first);  /* LINE:dl_first */
    pthread_mutex_lock(second); /* LINE:dl_second */
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
}
