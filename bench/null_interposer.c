/*
 * The floor of any preload recorder: a do-nothing interposer of pthread_mutex_lock, trylock and
 * unlock. Each wrapper does what every interposer must and nothing more: resolve the real
 * function with dlsym(RTLD_NEXT) (eagerly in a constructor, lazily if called earlier) and keep
 * an initial-exec TLS depth counter around the call (the re-entrancy guard). The benchmark runner
 * preloads it (build/bench/libnull_interposer.so) to show how much of lockwatch's overhead is
 * the price of interposition itself.
 */
#include <dlfcn.h>
#include <pthread.h>

#define EXPORT __attribute__((visibility("default")))

typedef int (*mutex_fn)(pthread_mutex_t *);

static __thread int depth __attribute__((tls_model("initial-exec")));
static mutex_fn real_lock, real_trylock, real_unlock;

static mutex_fn resolve(const char *name)
{
    return (mutex_fn)dlsym(RTLD_NEXT, name);
}

__attribute__((constructor)) static void null_init(void)
{
    real_lock = resolve("pthread_mutex_lock");
    real_trylock = resolve("pthread_mutex_trylock");
    real_unlock = resolve("pthread_mutex_unlock");
}

#define WRAP(real, name)                                                                           \
    EXPORT int name(pthread_mutex_t *m)                                                            \
    {                                                                                              \
        if (__builtin_expect(!real, 0))                                                            \
            real = resolve(#name);                                                                 \
        if (depth)                                                                                 \
            return real(m);                                                                        \
        depth++;                                                                                   \
        int rc = real(m);                                                                          \
        depth--;                                                                                   \
        return rc;                                                                                 \
    }

WRAP(real_lock, pthread_mutex_lock)
WRAP(real_trylock, pthread_mutex_trylock)
WRAP(real_unlock, pthread_mutex_unlock)
