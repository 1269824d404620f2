/*
 * lockwatch annotations: tell lockwatch what it cannot see — intentional races, orderings made by
 * code that was not instrumented or by hand-made synchronisation (race mode), and memory a
 * program's own allocator hands out again (both modes). Every macro compiles to a call of a weak
 * symbol that liblockwatch defines; when the program runs without liblockwatch the symbol's
 * address is null and the macro does nothing, so annotated code needs no build switch. A program
 * not linked with liblockwatch (lock-order mode, LD_PRELOAD alone) gets them when it is loaded
 * with it preloaded. See docs/race-mode.md and docs/design.md.
 *
 *   LOCKWATCH_HAPPENS_BEFORE(addr)  everything this thread did so far happens before any
 *   LOCKWATCH_HAPPENS_AFTER(addr)   thread's later HAPPENS_AFTER on the same addr
 *   LOCKWATCH_BENIGN_RACE(addr, size)  races on these bytes are intended: never report them
 *   LOCKWATCH_RACY_READ(lvalue)       reads lvalue without race checking (an expression)
 *   LOCKWATCH_RACY_WRITE(lvalue, value)  writes without race checking (a statement)
 *   LOCKWATCH_MEMORY_REUSED(addr, size)  a pool hands these bytes out again: the locks in them
 *                                     are new locks, their earlier accesses are forgotten (as
 *                                     if freed and allocated again); both modes
 */
#ifndef LOCKWATCH_H
#define LOCKWATCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void lockwatch_annotate_happens_before(const volatile void *addr) __attribute__((weak));
void lockwatch_annotate_happens_after(const volatile void *addr) __attribute__((weak));
void lockwatch_annotate_benign_race(const volatile void *addr, size_t size) __attribute__((weak));
void lockwatch_ignore_accesses_begin(void) __attribute__((weak));
void lockwatch_ignore_accesses_end(void) __attribute__((weak));
void lockwatch_annotate_memory_reused(const volatile void *addr, size_t size) __attribute__((weak));

#ifdef __cplusplus
}
#endif

#define LOCKWATCH_HAPPENS_BEFORE(addr)                                                             \
    do {                                                                                           \
        if (lockwatch_annotate_happens_before)                                                     \
            lockwatch_annotate_happens_before(addr);                                               \
    } while (0)

#define LOCKWATCH_HAPPENS_AFTER(addr)                                                              \
    do {                                                                                           \
        if (lockwatch_annotate_happens_after)                                                      \
            lockwatch_annotate_happens_after(addr);                                                \
    } while (0)

#define LOCKWATCH_BENIGN_RACE(addr, size)                                                          \
    do {                                                                                           \
        if (lockwatch_annotate_benign_race)                                                        \
            lockwatch_annotate_benign_race((addr), (size));                                        \
    } while (0)

#define LOCKWATCH_MEMORY_REUSED(addr, size)                                                        \
    do {                                                                                           \
        if (lockwatch_annotate_memory_reused)                                                      \
            lockwatch_annotate_memory_reused((addr), (size));                                      \
    } while (0)

#define LOCKWATCH_IGNORE_BEGIN_()                                                                  \
    (lockwatch_ignore_accesses_begin ? lockwatch_ignore_accesses_begin() : (void)0)
#define LOCKWATCH_IGNORE_END_()                                                                    \
    (lockwatch_ignore_accesses_end ? lockwatch_ignore_accesses_end() : (void)0)

#define LOCKWATCH_RACY_READ(lvalue)                                                                \
    __extension__({                                                                                \
        LOCKWATCH_IGNORE_BEGIN_();                                                                 \
        __typeof__(lvalue) lockwatch_value_ = (lvalue);                                            \
        LOCKWATCH_IGNORE_END_();                                                                   \
        lockwatch_value_;                                                                          \
    })

#define LOCKWATCH_RACY_WRITE(lvalue, value)                                                        \
    do {                                                                                           \
        LOCKWATCH_IGNORE_BEGIN_();                                                                 \
        (lvalue) = (value);                                                                        \
        LOCKWATCH_IGNORE_END_();                                                                   \
    } while (0)

#endif /* LOCKWATCH_H */
