/*
 * The floor of race mode: a TSan runtime that does nothing. It defines the plain-access hooks a
 * -fsanitize=thread build of bench/race_loop.c calls (GCC 12 and Clang 14), each returning at
 * once. bench/run links the instrumented race_loop against it to show what the instrumentation
 * costs by itself — a call per access and a loop the compiler no longer vectorises — before any
 * runtime does any work. It has no atomics, no annotations and no interceptors: it is not a
 * runtime for anything but that benchmark (a program that needs more does not link).
 */
#include <stddef.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT void __tsan_init(void) {}
EXPORT void __tsan_func_entry(void *pc)
{
    (void)pc;
}
EXPORT void __tsan_func_exit(void) {}
EXPORT void __tsan_read_range(void *addr, size_t size)
{
    (void)addr;
    (void)size;
}
EXPORT void __tsan_write_range(void *addr, size_t size)
{
    (void)addr;
    (void)size;
}

/* __tsan_{read,write}N and __tsan_unaligned_{read,write}N for N = 1, 2, 4, 8, 16. */
#define NULL_HOOKS(n)                                                                              \
    EXPORT void __tsan_read##n(void *addr)                                                         \
    {                                                                                              \
        (void)addr;                                                                                \
    }                                                                                              \
    EXPORT void __tsan_write##n(void *addr)                                                        \
    {                                                                                              \
        (void)addr;                                                                                \
    }                                                                                              \
    EXPORT void __tsan_unaligned_read##n(void *addr)                                               \
    {                                                                                              \
        (void)addr;                                                                                \
    }                                                                                              \
    EXPORT void __tsan_unaligned_write##n(void *addr)                                              \
    {                                                                                              \
        (void)addr;                                                                                \
    }
NULL_HOOKS(1)
NULL_HOOKS(2)
NULL_HOOKS(4)
NULL_HOOKS(8)
NULL_HOOKS(16)
