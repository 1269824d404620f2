/*
 * free, realloc, reallocarray, operator delete: heap memory given back ends the life of what
 * lived in it. A lock in a malloc'd object that is never initialised or destroyed by a call we see
 * (std::mutex, a struct copied from PTHREAD_MUTEX_INITIALIZER) would otherwise keep its id when the
 * next object lands at that address, merging two locks into one and closing cycles that no schedule
 * can close. In race mode, the shadow of the freed bytes would make the next owner's first
 * accesses race with the previous owner's last ones (the allocator's own locking, which orders
 * them, is invisible to us), and the clocks of a mutex or atomic in them would order the next
 * object's users after the old one's. The forgetting itself is memory_forget.h's.
 *
 * The real functions come from dlsym(RTLD_NEXT): whatever allocator the program would have used
 * (glibc's, or one preloaded or linked after us). C++'s operator delete is interposed too:
 * jemalloc and tcmalloc define their own, which never reach free. The block's size comes from the
 * same object's malloc_usable_size; if that object has none, nothing is forgotten and the calls
 * only pass through. A free that arrives while its resolution is under way on the same thread
 * (dlsym bootstrapping) is dropped: leaking a block is safe, calling the wrong allocator is not.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "memory_forget.h"

static void (*real_free)(void *);
static void *(*real_realloc)(void *, size_t);
static void *(*real_reallocarray)(void *, size_t, size_t);
/* NULL when the allocator has no malloc_usable_size of its own: forgetting is off. */
static size_t (*real_usable_size)(void *);
static LW_TLS bool resolving;

/* glibc's own: for a realloc during our own resolution (only dlsym's internals can call it
 * then, and they allocate from glibc), and if dlsym finds no next free at all. */
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

/* Resolves the real functions; false if called again from inside the resolution (then the
 * caller must not free: it cannot know whose block it has). */
static bool heap_resolve(void)
{
    if (resolving)
        return false; /* ld.so's own allocations go through us too (it looks them up) */
    resolving = true;
    void *f = dlsym(RTLD_NEXT, "free");
    void *r = dlsym(RTLD_NEXT, "realloc");
    void *ra = dlsym(RTLD_NEXT, "reallocarray");
    void *u = dlsym(RTLD_NEXT, "malloc_usable_size");
    if (!f || !r) { /* nothing after us provides them (cannot happen with glibc): glibc's */
        f = (void *)__libc_free;
        r = (void *)__libc_realloc;
        u = NULL;
    }
    Dl_info fi, ui;
    /* The size must be asked of the allocator that owns the block. */
    if (u && (!f || !dladdr(f, &fi) || !dladdr(u, &ui) || fi.dli_fbase != ui.dli_fbase))
        u = NULL;
    __atomic_store_n(&real_usable_size, (size_t(*)(void *))u, __ATOMIC_RELAXED);
    __atomic_store_n(&real_reallocarray, (void *(*)(void *, size_t, size_t))ra, __ATOMIC_RELAXED);
    __atomic_store_n(&real_realloc, (void *(*)(void *, size_t))r, __ATOMIC_RELAXED);
    __atomic_store_n(&real_free, (void (*)(void *))f, __ATOMIC_RELEASE);
    resolving = false;
    return true;
}

void lw_heap_resolve(void)
{
    if (!__atomic_load_n(&real_free, __ATOMIC_ACQUIRE))
        heap_resolve();
}

/* The allocator's malloc_usable_size if the block at p is to be forgotten before it goes back:
 * recording, not inside the shim (its own allocations are the trampoline's, which hold no lock),
 * the allocator's sizes known. NULL otherwise. */
static inline size_t (*heap_watched(const void *p))(void *)
{
    if (!p || !lw_memory_watched())
        return NULL;
    return __atomic_load_n(&real_usable_size, __ATOMIC_RELAXED);
}

LW_EXPORT void free(void *p)
{
    void (*real)(void *) = __atomic_load_n(&real_free, __ATOMIC_ACQUIRE);
    if (LW_UNLIKELY(!real)) {
        if (!heap_resolve())
            return; /* inside our own resolution: leak it */
        real = real_free;
    }
    size_t (*usable)(void *) = heap_watched(p);
    if (usable)
        lw_memory_forget((uintptr_t)p, usable(p), (uintptr_t)__builtin_return_address(0));
    real(p);
}

/* After a realloc-like call on the block p of `old` bytes returned q: forgets p if the call
 * moved it, or freed it (`freed_if_null`: a size of 0, which glibc's realloc frees). Afterwards,
 * not before: if the call fails or stays in place, p's locks and shadow are still live. */
static void *after_realloc(void *p, size_t old, void *q, bool freed_if_null, void *ret)
{
    if (old && (q ? q != p : freed_if_null))
        lw_memory_forget((uintptr_t)p, old, (uintptr_t)ret);
    return q;
}

LW_EXPORT void *realloc(void *p, size_t n)
{
    void *(*real)(void *, size_t) = __atomic_load_n(&real_realloc, __ATOMIC_ACQUIRE);
    if (LW_UNLIKELY(!real)) {
        heap_resolve();
        real = real_realloc;
        if (!real)
            return __libc_realloc(p, n);
    }
    size_t (*usable)(void *) = heap_watched(p);
    size_t old = usable ? usable(p) : 0;
    return after_realloc(p, old, real(p, n), n == 0, __builtin_return_address(0));
}

LW_EXPORT void *reallocarray(void *p, size_t count, size_t size)
{
    void *(*real)(void *, size_t, size_t) = __atomic_load_n(&real_reallocarray, __ATOMIC_ACQUIRE);
    if (LW_UNLIKELY(!real)) {
        heap_resolve();
        real = real_reallocarray;
        if (!real) { /* a glibc without it (before 2.26): what it does, through realloc */
            size_t n;
            if (__builtin_mul_overflow(count, size, &n)) {
                errno = ENOMEM;
                return NULL;
            }
            return realloc(p, n);
        }
    }
    size_t (*usable)(void *) = heap_watched(p);
    size_t old = usable ? usable(p) : 0;
    return after_realloc(p, old, real(p, count, size), count == 0 || size == 0,
                         __builtin_return_address(0));
}

/* The forms of operator delete and delete[] (Itanium C++ ABI names): X(name, params, args).
 * std::align_val_t is passed as a size_t, a std::nothrow_t const & as a pointer. */
#define LW_DELETE_FUNCTIONS(X)                                                                     \
    X(_ZdlPv, (void *p), (p))                                                                      \
    X(_ZdaPv, (void *p), (p))                                                                      \
    X(_ZdlPvm, (void *p, size_t n), (p, n))                                                        \
    X(_ZdaPvm, (void *p, size_t n), (p, n))                                                        \
    X(_ZdlPvSt11align_val_t, (void *p, size_t al), (p, al))                                        \
    X(_ZdaPvSt11align_val_t, (void *p, size_t al), (p, al))                                        \
    X(_ZdlPvmSt11align_val_t, (void *p, size_t n, size_t al), (p, n, al))                          \
    X(_ZdaPvmSt11align_val_t, (void *p, size_t n, size_t al), (p, n, al))                          \
    X(_ZdlPvRKSt9nothrow_t, (void *p, const void *nt), (p, nt))                                    \
    X(_ZdaPvRKSt9nothrow_t, (void *p, const void *nt), (p, nt))                                    \
    X(_ZdlPvSt11align_val_tRKSt9nothrow_t, (void *p, size_t al, const void *nt), (p, al, nt))      \
    X(_ZdaPvSt11align_val_tRKSt9nothrow_t, (void *p, size_t al, const void *nt), (p, al, nt))

/* Before the next operator delete gives p back: forgets the block and returns the depth to
 * restore afterwards. The next definition (libstdc++'s) frees through us again; with the depth
 * set, that free passes straight through, and so do the allocator's own locks (jemalloc's are
 * pthread mutexes). */
static inline int delete_begin(void *p, void *ret)
{
    size_t (*usable)(void *) = heap_watched(p);
    if (usable)
        lw_memory_forget((uintptr_t)p, usable(p), (uintptr_t)ret);
    int depth = lw_tls.depth;
    lw_tls.depth = 1;
    return depth;
}

/* Each wrapper resolves the next definition on first use. Not found (libstdc++ opened with
 * RTLD_LOCAL after us, say), libstdc++'s own behaviour: free(p). Not cached, so that a later
 * load is still found. */
#define LW_DELETE_DEFINE(name, params, args)                                                       \
    LW_EXPORT void name params                                                                     \
    {                                                                                              \
        static void(*next) params;                                                                 \
        void(*fn) params = __atomic_load_n(&next, __ATOMIC_ACQUIRE);                               \
        if (LW_UNLIKELY(!fn)) {                                                                    \
            fn = (void(*) params)dlsym(RTLD_NEXT, #name);                                          \
            __atomic_store_n(&next, fn, __ATOMIC_RELEASE);                                         \
            if (!fn) {                                                                             \
                free(p);                                                                           \
                return;                                                                            \
            }                                                                                      \
        }                                                                                          \
        int depth = delete_begin(p, __builtin_return_address(0));                                  \
        fn args;                                                                                   \
        lw_tls.depth = depth;                                                                      \
    }
LW_DELETE_FUNCTIONS(LW_DELETE_DEFINE)
