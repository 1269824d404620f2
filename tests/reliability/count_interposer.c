/*
 * A second interposer, preloaded after lockwatch: counts the pthread_mutex_lock, trylock and
 * unlock calls that reach it and prints the counts at exit ("count_interposer: lock=N trylock=N
 * unlock=N" on stderr). It stands for a profiler or another tool in the same LD_PRELOAD chain,
 * which must see the program's every call whether lockwatch is in front of it or not.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define EXPORT __attribute__((visibility("default")))

typedef int (*mutex_fn)(pthread_mutex_t *);
static atomic_long n_lock, n_trylock, n_unlock;

#define WRAP(name, counter)                                                                        \
    EXPORT int name(pthread_mutex_t *m)                                                            \
    {                                                                                              \
        static mutex_fn real;                                                                      \
        if (!real)                                                                                 \
            real = (mutex_fn)dlsym(RTLD_NEXT, #name);                                              \
        atomic_fetch_add(&counter, 1);                                                             \
        return real(m);                                                                            \
    }

WRAP(pthread_mutex_lock, n_lock)
WRAP(pthread_mutex_trylock, n_trylock)
WRAP(pthread_mutex_unlock, n_unlock)

__attribute__((destructor)) static void report(void)
{
    fprintf(stderr, "count_interposer: lock=%ld trylock=%ld unlock=%ld\n", atomic_load(&n_lock),
            atomic_load(&n_trylock), atomic_load(&n_unlock));
}
