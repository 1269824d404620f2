/*
 * Interceptors for pthread keys (thread-specific data), for tls-misuse findings that need no
 * recompilation: get/setspecific with a key that was deleted or never created, deleting a key
 * with a destructor while other live threads still hold values for it (their destructors will
 * never run; the deleting thread can still reach its own value; not while the process exits,
 * when no destructor runs anyway), and values still set after the last destructor round
 * (leaked). The shim keeps each key's state and, per thread, a bitmap of the keys it set to a
 * non-NULL value.
 *
 * Keys created before lockwatch started (by libraries initialised earlier) are unknown to it;
 * the shim's own key is created in its constructor, so keys numbered below it are given the
 * benefit of the doubt.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "intercept.h"
#include "real.h"
#include "shim.h"

/* KEY_INTERNAL: created from inside the shim (libunwind's per-thread cache): not the program's,
 * so never reported. */
enum { KEY_UNKNOWN = 0, KEY_LIVE = 1, KEY_DELETED = 2, KEY_INTERNAL = 3 };

static _Atomic uint8_t key_state[LW_KEYS_MAX];
typedef void (*key_dtor_fn)(void *);
static _Atomic(key_dtor_fn) key_dtor[LW_KEYS_MAX];

/* Misuse found at a get/setspecific of key (or 0 if none). */
static uint32_t key_misuse(pthread_key_t key)
{
    if (key >= LW_KEYS_MAX)
        return LW_MISUSE_KEY_NEVER_CREATED;
    uint8_t st = atomic_load_explicit(&key_state[key], memory_order_relaxed);
    if (LW_LIKELY(st == KEY_LIVE || st == KEY_INTERNAL))
        return 0;
    if (st == KEY_DELETED)
        return LW_MISUSE_KEY_DELETED;
    return key > lw_thread_own_key() ? LW_MISUSE_KEY_NEVER_CREATED : 0;
}

static void report_key(uint32_t misuse, pthread_key_t key, uint32_t other_thread, void *ret)
{
    struct lw_thread *t = lw_enter();
    if (!t)
        return;
    struct lw_misuse_info mi = {.misuse = misuse, .other_thread = other_thread, .address = key};
    lw_misuse(t, &mi, (uintptr_t)ret);
    lw_leave();
}

/* lw_process_exiting, inside the shim: the unwinder's own locks must pass straight through. */
static bool exiting_inside_shim(void)
{
    if (!lw_enter())
        return false;
    bool exiting = lw_process_exiting();
    lw_leave();
    return exiting;
}

static inline void set_bit(struct lw_thread *t, pthread_key_t key, bool on)
{
    if (key >= LW_KEYS_MAX)
        return;
    uint64_t bit = 1ull << (key % 64);
    if (on)
        t->key_bits[key / 64] |= bit;
    else
        t->key_bits[key / 64] &= ~bit;
}

LW_EXPORT int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
    LW_REAL(pthread_key_create);
    int rc = lw_real_pthread_key_create(key, dtor);
    if (rc == 0 && *key < LW_KEYS_MAX) {
        atomic_store(&key_dtor[*key], dtor);
        atomic_store(&key_state[*key], lw_tls.depth ? KEY_INTERNAL : KEY_LIVE);
        /* A reused key number: bits left by the deleted key of that number are stale. */
        int high = lw_registry_high();
        for (int i = 0; i < high; i++) {
            struct lw_thread *t = lw_registry_at(i);
            if (t)
                set_bit(t, *key, false);
        }
    }
    return rc;
}

LW_EXPORT int pthread_key_delete(pthread_key_t key)
{
    LW_REAL(pthread_key_delete);
    struct lw_thread *self = lw_recording_thread();
    if (self && key < LW_KEYS_MAX) {
        uint32_t misuse = key_misuse(key);
        if (misuse)
            report_key(misuse, key, 0, __builtin_return_address(0));
        int high = atomic_load(&key_dtor[key]) ? lw_registry_high() : 0;
        for (int i = 0; i < high; i++) {
            struct lw_thread *t = lw_registry_at(i);
            if (t && t != self && !t->exited && (t->key_bits[key / 64] >> (key % 64)) & 1) {
                /* In exit's handlers no thread's destructors run any more, deleted key or not
                 * (OpenSSL deletes its keys from an atexit handler while workers live). */
                if (!exiting_inside_shim())
                    report_key(LW_MISUSE_KEY_DELETE_LIVE, key, t->id, __builtin_return_address(0));
                break;
            }
        }
    }
    int rc = lw_real_pthread_key_delete(key);
    if (rc == 0 && key < LW_KEYS_MAX)
        atomic_store(&key_state[key], KEY_DELETED);
    return rc;
}

LW_EXPORT void *pthread_getspecific(pthread_key_t key)
{
    LW_REAL(pthread_getspecific);
    uint32_t misuse = key_misuse(key);
    if (LW_UNLIKELY(misuse) && lw_recording_thread()) {
        int saved = errno;
        report_key(misuse, key, 0, __builtin_return_address(0));
        errno = saved;
    }
    return lw_real_pthread_getspecific(key);
}

LW_EXPORT int pthread_setspecific(pthread_key_t key, const void *value)
{
    LW_REAL(pthread_setspecific);
    struct lw_thread *t = lw_recording_thread();
    uint32_t misuse = key_misuse(key);
    if (LW_UNLIKELY(misuse) && t) {
        int saved = errno;
        report_key(misuse, key, 0, __builtin_return_address(0));
        errno = saved;
    }
    int rc = lw_real_pthread_setspecific(key, value);
    if (rc == 0 && t && !lw_tls.depth)
        set_bit(t, key, value != NULL);
    return rc;
}

void lw_key_check_leaks(struct lw_thread *t)
{
    LW_REAL(pthread_getspecific);
    for (unsigned w = 0; w < LW_KEYS_MAX / 64; w++) {
        uint64_t bits = t->key_bits[w];
        while (bits) {
            unsigned key = w * 64 + (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            if (atomic_load(&key_state[key]) != KEY_LIVE || !atomic_load(&key_dtor[key]))
                continue;
            if (lw_real_pthread_getspecific(key)) {
                struct lw_misuse_info mi = {.misuse = LW_MISUSE_KEY_LEAK,
                                            .address = key,
                                            .other_address =
                                                (uintptr_t)atomic_load(&key_dtor[key])};
                lw_misuse(t, &mi, (uintptr_t)atomic_load(&key_dtor[key]));
            }
        }
    }
}
