/*
 * Annotations for Valgrind's Helgrind, so that the shim's own concurrency can be checked with it
 * (tests of issue "Reliability"): Helgrind does not understand C11 atomics, so the shim tells it
 * where its spin locks are taken and where a lock-free publication happens before a read. Each
 * annotation is a Valgrind client request: a handful of no-op instructions when the program does
 * not run under Valgrind, and they are only used off the lock/unlock fast path. Without the
 * header (no valgrind installed) they compile to nothing.
 */
#ifndef LOCKWATCH_ANNOTATE_H
#define LOCKWATCH_ANNOTATE_H

#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#define LW_HAVE_HELGRIND 1
#endif
#endif

#ifdef LW_HAVE_HELGRIND
#define LW_ANN_SPIN_ACQUIRED(l) ANNOTATE_RWLOCK_ACQUIRED((l), 1)
#define LW_ANN_SPIN_RELEASED(l) ANNOTATE_RWLOCK_RELEASED((l), 1)
#define LW_ANN_PUBLISH(p) ANNOTATE_HAPPENS_BEFORE(p)
#define LW_ANN_CONSUME(p) ANNOTATE_HAPPENS_AFTER(p)
/* A word only ever accessed atomically (a lock word, a racy-by-design read of glibc's mutex
 * owner): Helgrind does not model C11 atomics, so it is told not to check it. */
#define LW_ANN_ATOMIC_WORD(p) VALGRIND_HG_DISABLE_CHECKING((p), sizeof *(p))
/* A whole lock-free table (or a structure read racily by design): all of it atomics. */
#define LW_ANN_ATOMIC_RANGE(p, len) VALGRIND_HG_DISABLE_CHECKING((p), (len))
/* Non-zero when the program runs under a Valgrind tool (a client request). */
#define LW_RUNNING_ON_VALGRIND() RUNNING_ON_VALGRIND
#else
#define LW_ANN_SPIN_ACQUIRED(l) ((void)(l))
#define LW_ANN_SPIN_RELEASED(l) ((void)(l))
#define LW_ANN_PUBLISH(p) ((void)(p))
#define LW_ANN_CONSUME(p) ((void)(p))
#define LW_ANN_ATOMIC_WORD(p) ((void)(p))
#define LW_ANN_ATOMIC_RANGE(p, len) ((void)(p), (void)(len))
#define LW_RUNNING_ON_VALGRIND() 0
#endif

#endif /* LOCKWATCH_ANNOTATE_H */
