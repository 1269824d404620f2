/*
 * lockwatch log format: the contract between the recorder (liblockwatch.so) and any reader
 * (the lockwatch analyzer or a third-party tool). docs/log-format.md describes the same layout
 * in prose; keep the two in step. All integers are little-endian; the header says so and a
 * reader must refuse anything else.
 *
 * Layout of one log file (one per process):
 *
 *   [file header: LW_FILE_HEADER_SIZE bytes]
 *   [chunk][chunk]...          each chunk starts at header_size + k * chunk_size
 *
 * A chunk belongs to one writer (a thread, or the process itself for thread id 0). Its header
 * gives its size, a multiple of chunk_size, so a chunk may span several base units when one
 * record is larger than a base chunk. Inside a chunk, records follow the chunk header back to
 * back, each 8-byte aligned. A record becomes visible when its 8-byte header is stored (with
 * release ordering) after its body: a zero header word means "no more records in this chunk".
 * Because the file is mapped MAP_SHARED, whatever was published survives SIGKILL or a crash.
 */
#ifndef LOCKWATCH_LOG_FORMAT_H
#define LOCKWATCH_LOG_FORMAT_H

#include <stdint.h>

#define LW_FILE_MAGIC "LOCKWTCH" /* 8 bytes, no terminator in the file */
#define LW_VERSION_MAJOR 1       /* incompatible layout changes */
#define LW_VERSION_MINOR 2       /* new record types or appended fields */
#define LW_ENDIAN_CHECK 0x01020304u
#define LW_FILE_HEADER_SIZE 4096u
#define LW_CHUNK_MAGIC 0x4b43574cu /* "LWCK" read as little-endian bytes */
#define LW_DEFAULT_CHUNK_SIZE 65536u
#define LW_RECORD_ALIGN 8u
#define LW_MAX_FRAMES 64u /* frames kept per stack */
#define LW_PATH_MAX 4096u

/* Feature bits in lw_file_header.features: what the recorder was asked to record. */
#define LW_FEATURE_LOCK_ORDER 0x1u

/* lw_file_header.flags */
#define LW_FILE_CLEAN_END 0x1u  /* the process ended through exit() or _exit; see LW_REC_END */
#define LW_FILE_INCOMPLETE 0x2u /* the recorder lost records (the log could not grow) */
/* Set just before an exec call and cleared if it fails: a log that keeps it ended because the
 * process replaced its image (the new image, if recorded, writes lockwatch.<pid>.<n>.log). */
#define LW_FILE_EXEC 0x4u

/* First LW_FILE_HEADER_SIZE bytes of the file; the rest of that page is zero. */
struct lw_file_header {
    char magic[8];          /* LW_FILE_MAGIC */
    uint16_t version_major; /* LW_VERSION_MAJOR */
    uint16_t version_minor; /* LW_VERSION_MINOR */
    uint32_t endian_check;  /* LW_ENDIAN_CHECK as written by the host */
    uint8_t word_size;      /* 8 on LP64 */
    uint8_t reserved0[3];
    uint32_t header_size;        /* LW_FILE_HEADER_SIZE */
    uint32_t chunk_size;         /* base chunk unit, a power of two >= 4096 */
    uint32_t features;           /* LW_FEATURE_* */
    uint32_t flags;              /* LW_FILE_* (written last, at exit) */
    uint64_t pid;                /* process id of the writer */
    uint64_t ppid;               /* parent process id */
    uint64_t start_realtime_ns;  /* CLOCK_REALTIME when the log was opened */
    uint64_t start_monotonic_ns; /* CLOCK_MONOTONIC at the same moment */
};

/* Header of every chunk (16 bytes). A chunk whose magic is 0 was never used: skip one base unit. */
struct lw_chunk_header {
    uint32_t magic;     /* LW_CHUNK_MAGIC */
    uint32_t thread_id; /* owning lockwatch thread id; 0 for process-wide records */
    uint32_t size;      /* bytes including this header, a multiple of chunk_size */
    uint32_t seq;       /* per-owner chunk counter, from 0 */
};

/*
 * Every record starts with this 8-byte header. size counts the header and is a multiple of 8.
 * check must equal LW_RECORD_CHECK(type): a reader that finds anything else has lost alignment
 * and stops reading the chunk.
 */
struct lw_record_header {
    uint16_t type; /* enum lw_record_type */
    uint8_t check; /* LW_RECORD_CHECK(type) */
    uint8_t flags; /* record-specific */
    uint32_t size; /* bytes, header included, multiple of 8 */
};
#define LW_RECORD_CHECK(type) ((uint8_t)(0xa5u ^ ((type)&0xffu)))

enum lw_record_type {
    LW_REC_PROCESS = 1,      /* struct lw_rec_process + exe path + NUL */
    LW_REC_MODULE = 2,       /* struct lw_rec_module + build-id bytes + path + NUL */
    LW_REC_STACK = 3,        /* struct lw_rec_stack + nframes uint64 */
    LW_REC_THREAD_START = 4, /* struct lw_rec_thread_start */
    LW_REC_THREAD_JOIN = 5,  /* struct lw_rec_thread_join */
    LW_REC_THREAD_EXIT = 6,  /* struct lw_rec_thread_exit */
    LW_REC_LOCK = 7,         /* struct lw_rec_lock */
    LW_REC_CONTEXT = 8,      /* struct lw_rec_context + n_held struct lw_held_entry */
    LW_REC_THREAD_NAME = 9,  /* struct lw_rec_thread_name */
    LW_REC_DROPPED = 10,     /* struct lw_rec_dropped */
    LW_REC_END = 11,         /* struct lw_rec_end: the process ended cleanly */
    LW_REC_DEADLOCK = 12,    /* struct lw_rec_deadlock + n struct lw_deadlock_entry (v1.1) */
    LW_REC_MISUSE = 13,      /* struct lw_rec_misuse: a pthread API misuse (v1.1) */
    LW_REC_SYNC = 14,        /* struct lw_rec_sync: a cross-thread ordering, e.g. sem handoff */
    LW_REC_LOCK_LIKE = 15,   /* struct lw_rec_lock_like: a semaphore proved to be used as a lock */
    LW_REC_FORK_HELD = 16,   /* struct lw_rec_fork_held + n struct lw_fork_held_entry */
    LW_REC_RACE = 17,        /* struct lw_rec_race: a data race found in race mode (v1.1) */
    LW_REC_TLS_ACCESS = 18,  /* struct lw_rec_tls_access: thread-local memory misused (v1.1) */
    LW_REC_WAIT_STATE =
        19, /* struct lw_rec_wait_state: a thread's current wait, updated in place */
    LW_REC_SEM_SIGNAL = 20, /* struct lw_rec_sem_signal: a semaphore proved to be a signal (v1.2) */
    LW_REC_TYPE_MAX
};

struct lw_rec_process {
    struct lw_record_header h;
    uint64_t pid;
    uint64_t ppid;
    uint32_t exe_len; /* bytes of the path that follows, without its NUL */
    uint32_t reserved;
    /* char exe[exe_len + 1] */
};

/*
 * A loaded ELF object. base is the load bias (dlpi_addr): a pc in [lo, hi) belongs to this
 * module and its file-relative address is pc - base.
 */
struct lw_rec_module {
    struct lw_record_header h;
    uint64_t base;
    uint64_t lo;
    uint64_t hi;
    uint32_t module_id;    /* 1-based, in load order; a re-used id never happens */
    uint16_t build_id_len; /* bytes of GNU build-id that follow, 0 if none */
    uint16_t path_len;     /* bytes of path that follow the build-id, without its NUL */
    /* uint8_t build_id[build_id_len]; char path[path_len + 1]; */
};

/*
 * A call stack, innermost frame first. Each frame is a return address (so the call
 * instruction is at frame - 1), except when flags has LW_STACK_EXACT_TOP, where frame 0 is
 * the exact pc. Each distinct stack is written once and then referred to by its id.
 */
#define LW_STACK_TRUNCATED 0x1u /* the real stack had more than LW_MAX_FRAMES frames */
#define LW_STACK_EXACT_TOP 0x2u
struct lw_rec_stack {
    struct lw_record_header h; /* flags: LW_STACK_* */
    uint32_t stack_id;         /* >= 1 */
    uint32_t nframes;          /* <= LW_MAX_FRAMES */
    /* uint64_t frames[nframes] */
};

/*
 * A thread became known. Thread 1 is the process's initial thread. parent_seq is the parent's
 * synchronisation sequence number at the pthread_create call: the child's life happens after
 * everything the parent did in segments < parent_seq + 1 (see docs/log-format.md, "Thread order").
 */
struct lw_rec_thread_start {
    struct lw_record_header h;
    uint32_t thread_id;
    uint32_t parent_id;    /* 0 for thread 1 or a thread not created through pthread_create */
    uint32_t parent_seq;   /* the parent's seq before the create */
    uint32_t create_stack; /* stack of the pthread_create call in the parent, 0 if unknown */
    uint64_t os_tid;
    uint64_t pthread_self;
    uint64_t monotonic_ns;
};

/* joiner waited for joinee to end; the joiner's seq advances from joiner_seq to joiner_seq+1. */
struct lw_rec_thread_join {
    struct lw_record_header h;
    uint32_t joiner_id;
    uint32_t joiner_seq;
    uint32_t joinee_id;
    uint32_t stack_id; /* the join call */
    uint64_t monotonic_ns;
};

/* A thread ended (return from its start routine, pthread_exit, or process exit for thread 1). */
struct lw_rec_thread_exit {
    struct lw_record_header h;
    uint32_t thread_id;
    uint32_t final_seq;
    uint32_t held_count; /* locks still held at the end */
    uint32_t reserved;
    uint64_t monotonic_ns;
};

struct lw_rec_thread_name {
    struct lw_record_header h;
    uint32_t thread_id;
    uint32_t reserved;
    char name[16]; /* NUL-terminated */
};

/* Lock kinds (lw_rec_lock.kind). */
enum lw_lock_kind {
    LW_LOCK_MUTEX = 1,
    LW_LOCK_RWLOCK = 2,
    LW_LOCK_SPIN = 3,
    LW_LOCK_SEMAPHORE = 4,
    LW_LOCK_C11_MTX = 5,
};

/* lw_rec_lock.flags: the mutex type and how the lock became known. */
#define LW_LOCKF_TYPE_MASK 0x7u /* PTHREAD_MUTEX_{NORMAL,RECURSIVE,ERRORCHECK} + 1, 0 = unknown */
#define LW_LOCKF_STATIC 0x100u  /* first seen at a lock call, never initialised through init */
#define LW_LOCKF_ROBUST 0x200u
#define LW_LOCKF_PI 0x400u
#define LW_LOCKF_LOCK_LIKE                                                                         \
    0x800u /* a semaphore known to be used as a lock (see LW_REC_LOCK_LIKE) */
#define LW_LOCKF_SEM_SIGNAL                                                                        \
    0x1000u /* a semaphore known to be a signal, whatever else it did (see LW_REC_SEM_SIGNAL) */
/* For rwlocks, LW_LOCKF_TYPE_MASK holds glibc's kind + 1: 1 prefer-reader (default),
 * 2 prefer-writer, 3 prefer-writer-nonrecursive. For semaphores: 1 process-private, 2 named. */

/*
 * A lock identity. lock_id names one lifetime of one address: pthread_mutex_init gives a new
 * id even at an address seen before; destroy ends the lifetime. Written once, the first time
 * the lock takes part in a recorded context, before that context.
 */
struct lw_rec_lock {
    struct lw_record_header h;
    uint32_t lock_id; /* >= 1 */
    uint16_t kind;    /* enum lw_lock_kind */
    uint16_t reserved;
    uint32_t flags;      /* LW_LOCKF_* */
    uint32_t init_stack; /* stack of init, or of the first use for statically initialised locks */
    uint64_t address;
    uint64_t class_pc; /* return address of the init (or first-use) call: the lock's class */
};

/* Acquisition flags, on a context and on each held entry. A semaphore acquisition is a
 * successful sem_wait: it only counts as a lock-order edge once the semaphore is known to be
 * used as a lock (LW_REC_LOCK_LIKE). */
#define LW_ACQ_TRY 0x1u   /* acquired by a try-lock: the acquisition could not block */
#define LW_ACQ_READ 0x2u  /* shared (read) acquisition */
#define LW_ACQ_TIMED 0x4u /* timed acquisition (timedlock, clocklock) */
/* held entry: stack rebuilt from the call site + live caller frames */
#define LW_ACQ_SPLICED 0x8u

struct lw_held_entry {
    uint32_t lock_id;
    uint32_t stack_id; /* where the held lock was acquired */
    uint32_t flags;    /* LW_ACQ_* of that acquisition */
    uint32_t reserved;
};

/*
 * A thread acquired lock_id while holding n_held other locks, in a combination (held set,
 * acquired lock, thread, seq) not recorded before. Each held entry h gives a lock-order edge
 * h.lock_id -> lock_id whose gate locks are the other held entries. Contexts with no held lock
 * are not recorded. If the held list did not fit, flags has LW_CTX_HELD_TRUNCATED.
 */
#define LW_CTX_HELD_TRUNCATED 0x1u
struct lw_rec_context {
    struct lw_record_header h; /* flags: LW_CTX_* */
    uint32_t thread_id;
    uint32_t seq;       /* the thread's synchronisation seq at the acquisition */
    uint32_t lock_id;   /* the lock acquired */
    uint32_t acq_flags; /* LW_ACQ_* */
    uint32_t stack_id;  /* the acquisition */
    uint32_t n_held;
    /* struct lw_held_entry held[n_held], outermost first */
};

/* Something the recorder had to leave out because a bounded table was full. */
enum lw_drop_reason {
    LW_DROP_LOCK_TABLE_FULL = 1,
    LW_DROP_STACK_DEPOT_FULL = 2,
    LW_DROP_CONTEXT_SET_FULL = 3,
    LW_DROP_LOG_FULL = 4,
    LW_DROP_THREAD_TABLE_FULL = 5,
    /* Race mode: a synchronisation operation on an object the full table had no slot for; all
     * such objects share one clock (orderings added: races may be missed, never invented). */
    LW_DROP_SYNC_TABLE_FULL = 6,
    /* Race mode: a clock join lost for want of clock memory (an ordering missed). */
    LW_DROP_CLOCK_MEMORY_FULL = 7,
};
struct lw_rec_dropped {
    struct lw_record_header h;
    uint32_t reason; /* enum lw_drop_reason */
    uint32_t reserved;
    uint64_t count;
};

/* Written by the exit path: the log is complete. */
struct lw_rec_end {
    struct lw_record_header h;
    int32_t exit_status; /* the status passed to _exit/_Exit, or -1 if unknown (exit()) */
    uint32_t threads;    /* threads seen */
    uint64_t lock_ops;   /* lock acquisitions observed (approximate: summed per thread) */
    uint64_t contexts;   /* context records written */
    uint64_t stacks;     /* stack records written */
    uint64_t monotonic_ns;
};

/* What a thread is blocked in (lw_deadlock_entry.wait_kind). */
enum lw_wait_kind {
    LW_WAIT_NONE = 0,
    LW_WAIT_MUTEX = 1,     /* pthread_mutex_lock and friends */
    LW_WAIT_JOIN = 2,      /* pthread_join: waits for target_thread to end */
    LW_WAIT_COND = 3,      /* pthread_cond_wait: waits for a signal (wait_addr = the condvar) */
    LW_WAIT_RWLOCK_RD = 4, /* a read lock: waits for the writer */
    LW_WAIT_RWLOCK_WR = 5, /* a write lock: waits for the writer or the readers */
    LW_WAIT_SPIN = 6,      /* a spin lock */
    LW_WAIT_SEM = 7,       /* sem_wait */
    LW_WAIT_BARRIER = 8,   /* pthread_barrier_wait */
};

/* How a deadlock was found (lw_rec_deadlock.detector). */
enum lw_deadlock_detector {
    LW_DETECT_WAIT_CYCLE = 1,  /* the watchdog found a cycle in the wait-for graph */
    LW_DETECT_SELF_RELOCK = 2, /* a thread relocked a non-recursive mutex it holds */
    LW_DETECT_ALL_BLOCKED = 3, /* every thread is in an untimed wait (e.g. condvar lockout) */
    LW_DETECT_POSTMORTEM = 4,  /* never in a log: the analyzer rebuilt the cycle from the
                                  WAIT_STATE records of a process killed while deadlocked */
};

#define LW_DEADLOCK_MAX_HELD 8u
/* One thread of a deadlock, as the watchdog saw it. */
struct lw_deadlock_entry {
    uint32_t thread_id;
    uint32_t wait_kind;     /* enum lw_wait_kind */
    uint32_t lock_id;       /* the lock waited for (LW_WAIT_MUTEX), else 0 */
    uint32_t target_thread; /* the thread it waits for: lock owner or joinee; 0 if unknown */
    uint32_t stack_id;      /* the blocking call, 0 if it could not be captured */
    uint32_t n_held;        /* locks held (only the first LW_DEADLOCK_MAX_HELD are listed) */
    uint64_t wait_addr;     /* address of the mutex / condvar waited on; pthread_t for a join */
    uint64_t wait_ns;       /* how long it had been waiting when reported */
    uint32_t held[LW_DEADLOCK_MAX_HELD]; /* lock ids held, outermost first */
};

/* A deadlock that happened: the threads below are all blocked for good. Written by the shim's
 * watchdog (or by the lock wrapper for a self-relock) before it acts (abort by default). */
struct lw_rec_deadlock {
    struct lw_record_header h;
    uint32_t detector; /* enum lw_deadlock_detector */
    uint32_t n_threads;
    uint64_t monotonic_ns;
    /* struct lw_deadlock_entry threads[n_threads]; each waits for the next one (cyclically)
       for LW_DETECT_WAIT_CYCLE */
};

/* Misuse of the pthread API (lw_rec_misuse.misuse). The call is passed through unchanged. */
enum lw_misuse_kind {
    LW_MISUSE_UNLOCK_UNLOCKED = 1,   /* unlock of a lock nobody holds */
    LW_MISUSE_UNLOCK_OTHER = 2,      /* unlock of a lock another thread holds (other_thread) */
    LW_MISUSE_RELOCK = 3,            /* relock of a non-recursive mutex by its owner */
    LW_MISUSE_DESTROY_LOCKED = 4,    /* destroy of a locked mutex or rwlock */
    LW_MISUSE_DESTROY_WAITERS = 5,   /* destroy of a semaphore or condvar with waiters */
    LW_MISUSE_USE_AFTER_DESTROY = 6, /* lock operation on a destroyed lock */
    LW_MISUSE_EXIT_HOLDING = 7,      /* a thread ended holding lock_id */
    LW_MISUSE_COND_UNHELD = 8,       /* cond wait with a mutex the caller does not hold */
    LW_MISUSE_COND_TWO_MUTEXES = 9,  /* one condvar waited on with two mutexes at once */
    LW_MISUSE_SEM_OVERFLOW = 10,     /* sem_post beyond SEM_VALUE_MAX */
    LW_MISUSE_FORK_HELD = 11,        /* child took a lock another thread held at fork */
    /* Thread-local data (reported as tls-misuse); `address` holds the pthread key. */
    LW_MISUSE_KEY_NEVER_CREATED = 12, /* get/setspecific with a key never created */
    LW_MISUSE_KEY_DELETED = 13,       /* get/setspecific with a deleted key */
    LW_MISUSE_KEY_DELETE_LIVE = 14,   /* key deleted while other_thread still has a value */
    LW_MISUSE_KEY_LEAK = 15,          /* a value still set after the last destructor round */
};

struct lw_rec_misuse {
    struct lw_record_header h;
    uint32_t misuse;        /* enum lw_misuse_kind */
    uint32_t thread_id;     /* the thread that made the call */
    uint32_t lock_id;       /* the lock (or condvar/semaphore) concerned, 0 if unknown */
    uint32_t stack_id;      /* the call */
    uint32_t other_thread;  /* the owner, for UNLOCK_OTHER / FORK_HELD; else 0 */
    uint32_t other_lock_id; /* the first mutex, for COND_TWO_MUTEXES; else 0 */
    uint16_t lock_kind;     /* enum lw_lock_kind, or 0 for a condvar */
    uint16_t reserved;
    uint32_t reserved2;
    uint64_t address;       /* of the lock / condvar / semaphore */
    uint64_t other_address; /* the other mutex (COND_TWO_MUTEXES); the destructor (KEY_LEAK);
                             * the freed block, for a DESTROY_LOCKED that was a free */
};

/* Ordering between two threads other than create/join: everything thread from_thread did in
 * its segments <= from_seq happened before to_thread's segment to_seq + 1 (to_thread's seq
 * advances by one at this record, like a join's). */
enum lw_sync_kind { LW_SYNC_SEM_HANDOFF = 1 };
struct lw_rec_sync {
    struct lw_record_header h;
    uint32_t kind; /* enum lw_sync_kind */
    uint32_t from_thread;
    uint32_t from_seq;
    uint32_t to_thread;
    uint32_t to_seq;
    uint32_t lock_id; /* the semaphore */
    uint64_t object;  /* its address */
};

/* The semaphore lock_id was posted by a thread that had waited on it: it is used as a lock, so
 * its waits are lock acquisitions (and its post->wait pairs are not orderings). */
struct lw_rec_lock_like {
    struct lw_record_header h;
    uint32_t lock_id;
    uint32_t reserved;
};

/* The semaphore lock_id was waited on by a thread that already held it and was released to it
 * by another thread's post: whoever waits on it may be woken by anyone, so it is a signal and
 * never a lock, even if it also has a LOCK_LIKE record. */
struct lw_rec_sem_signal {
    struct lw_record_header h;
    uint32_t lock_id;
    uint32_t reserved;
};

/* In a child's log: locks other threads of the parent held at fork(); they stay locked
 * forever in the child. */
struct lw_fork_held_entry {
    uint32_t lock_id;
    uint32_t holder_thread; /* thread id in the parent's log */
    uint64_t address;
};
struct lw_rec_fork_held {
    struct lw_record_header h;
    uint64_t parent_pid;
    uint32_t n;
    uint32_t reserved;
    /* struct lw_fork_held_entry entries[n] */
};

/* One side of a data race (struct lw_rec_race). */
#define LW_RACE_MAX_LOCKS 4u
#define LW_RACE_ACC_WRITE 0x1u  /* the access wrote (else it read) */
#define LW_RACE_ACC_ATOMIC 0x2u /* an atomic access (never set today: atomics do not race) */
#define LW_RACE_ACC_RMW 0x4u    /* the thread read and wrote these bytes with no sync between */
/* stack_id holds only the access pc (a private-granule access) */
#define LW_RACE_ACC_TOP_ONLY 0x8u
struct lw_race_access {
    uint32_t thread_id; /* 0 if unknown (a recycled thread slot) */
    uint32_t stack_id;  /* the access, innermost frame first */
    uint32_t flags;     /* LW_RACE_ACC_* */
    uint32_t n_locks;   /* locks held at the access; the first LW_RACE_MAX_LOCKS are listed */
    uint32_t locks[LW_RACE_MAX_LOCKS]; /* lock ids (0: unknown lock) */
    uint64_t address;                  /* first byte of the access inside the granule */
    uint32_t size;                     /* bytes of the access inside the granule */
    uint32_t reserved;
};

/* Two accesses to overlapping bytes from different threads, at least one a write, neither
 * atomic, not ordered by happens-before (or, with LW_RACE_PREDICTIVE, ordered only through a
 * lock that protects neither). `cur` is the access that found the race, `prev` the earlier one. */
#define LW_RACE_PREDICTIVE 0x1u /* lw_record_header.flags */
struct lw_rec_race {
    struct lw_record_header h; /* flags: LW_RACE_PREDICTIVE */
    uint64_t address;          /* first byte both accesses touch */
    uint32_t size;             /* bytes both touch (within one 8-byte granule) */
    uint32_t reserved;
    struct lw_race_access cur;
    struct lw_race_access prev;
};

/*
 * An access (race mode only) to memory that belongs to another thread: its static TLS block
 * while the owner lives (LW_TLS_CROSS_THREAD: thread-local data is never meant to be shared),
 * or its TLS block or stack after the owner ended (LW_TLS_AFTER_EXIT). A live thread's stack
 * accessed by another thread is not recorded: that is the normal, join-protected handoff.
 * Recorded once per (access site, owner, kind) per accessing thread.
 */
enum lw_tls_access_kind { LW_TLS_CROSS_THREAD = 1, LW_TLS_AFTER_EXIT = 2 };
enum lw_tls_region { LW_TLS_REGION_TLS = 1, LW_TLS_REGION_STACK = 2 };
#define LW_TLS_ACCESS_WRITE 0x1u /* lw_rec_tls_access.h.flags: the access was a write */
struct lw_rec_tls_access {
    struct lw_record_header h; /* flags: LW_TLS_ACCESS_* */
    uint32_t kind;             /* enum lw_tls_access_kind */
    uint32_t region;           /* enum lw_tls_region */
    uint32_t thread_id;        /* the accessing thread */
    uint32_t owner_thread;     /* the thread the memory belongs (belonged) to */
    uint32_t stack_id;         /* the access */
    uint32_t owner_exit_stack; /* where the owner ended, 0 if alive or unknown */
    uint32_t size;             /* bytes accessed */
    uint32_t reserved;
    uint64_t address;
    /* TLS region: the accessed module's TLS initialisation image (dlpi_addr + PT_TLS p_vaddr,
     * an address inside that module, to find it in the module map) and the offset of address
     * in the module's TLS block (an STT_TLS symbol's st_value). 0, 0 when not known. */
    uint64_t tls_image;
    uint64_t tls_offset;
};

/*
 * A thread's current wait, so that a deadlock is on disk even if the process is killed before
 * the watchdog reports it (a CI timeout, SIGKILL). One record per thread, written when the
 * thread starts and then *updated in place*: the thread rewrites the fields before it blocks on
 * a contended lock or a join, and sets wait_kind to LW_WAIT_NONE when the wait ends.
 * `version` is odd while the thread is rewriting the fields: a reader that finds it odd must not
 * trust them. Only the last values matter; a reader should use them only for a process that
 * did not end cleanly (no LW_REC_END).
 */
struct lw_rec_wait_state {
    struct lw_record_header h;
    uint32_t thread_id;
    uint32_t version;       /* even: stable */
    uint32_t wait_kind;     /* enum lw_wait_kind, LW_WAIT_NONE when running */
    uint32_t lock_id;       /* the lock waited for, 0 if none or unknown */
    uint32_t target_thread; /* the joinee for LW_WAIT_JOIN, else 0 */
    uint32_t timed;         /* 1: the wait has a timeout (it ends by itself) */
    uint64_t wait_addr;     /* the object waited on */
    uint64_t owner_tid;     /* kernel tid of the lock's owner when the wait began, 0 if unknown */
    uint64_t since_ns;      /* CLOCK_MONOTONIC when the wait began */
    uint64_t call_pc;       /* return address of the blocking call (in the program) */
};

#endif /* LOCKWATCH_LOG_FORMAT_H */
