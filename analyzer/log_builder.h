/*
 * A writer of well-formed lockwatch logs, for unit tests and benchmarks of the analyzer. It lays
 * records out the way the recorder does (include/lockwatch/log_format.h): a file header, then
 * chunks of chunk_size bytes, each owned by one writer thread (0 = process-wide); a writer's
 * records go into its current chunk and a new chunk is started at the end of the file when the
 * next record does not fit; a record larger than one chunk gets a chunk of several units.
 *
 * Which chunk a record lands in:
 *   thread start, name, exit, context -> the chunk of the thread concerned;
 *   join                              -> the joiner's chunk;
 *   process, module, stack, lock, dropped, end, raw(owner=...) -> the current writer, 0 unless
 *   lw_lb_set_writer() chose another.
 * The builder trusts its caller: it does not check that ids are defined or unique, so tests can
 * also write odd logs. Out of memory aborts, as everywhere in the analyzer.
 *
 * Example:
 *     lw_log_builder *b = lw_lb_new(1234);
 *     uint64_t f[] = {0x401000, 0x401200};
 *     uint32_t s = lw_lb_stack(b, f, 2);
 *     lw_lb_thread_start(b, 1, 0, 0, 0);
 *     lw_lb_lock(b, 1, LW_LOCK_MUTEX, 0x601000, s);
 *     lw_lb_lock(b, 2, LW_LOCK_MUTEX, 0x601040, s);
 *     struct lw_held_entry h[] = {{.lock_id = 1, .stack_id = s}};
 *     lw_lb_context(b, 1, 0, 2, 0, s, h, 1);   // edge 1 -> 2
 *     lw_lb_end(b, 0);
 *     size_t len; const void *log = lw_lb_data(b, &len);  // feed to lw_read_log_buffer
 *     lw_lb_free(b);
 */
#ifndef LOCKWATCH_LOG_BUILDER_H
#define LOCKWATCH_LOG_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "lockwatch/log_format.h"

typedef struct lw_log_builder lw_log_builder;

/* A new log for process pid with the default chunk size (LW_DEFAULT_CHUNK_SIZE). */
lw_log_builder *lw_lb_new(uint64_t pid);

/* A new log with another chunk size (a power of two >= 4096; 4096 keeps test logs small). */
lw_log_builder *lw_lb_new_ex(uint64_t pid, uint32_t chunk_size);

/* Sets the header's start times (both 0 by default). */
void lw_lb_set_start_time(lw_log_builder *b, uint64_t realtime_ns, uint64_t monotonic_ns);

/* Chooses the chunk owner for records not tied to a thread (stack, lock, module...). */
void lw_lb_set_writer(lw_log_builder *b, uint32_t thread_id);

/* Sets the header's ppid and writes a PROCESS record naming the executable. */
void lw_lb_process(lw_log_builder *b, uint64_t ppid, const char *exe);

/* Writes a MODULE record: pcs in [lo, hi) belong to it, load bias base; build_id may be NULL. */
void lw_lb_module(lw_log_builder *b, uint32_t id, uint64_t base, uint64_t lo, uint64_t hi,
                  const uint8_t *build_id, size_t build_id_len, const char *path);

/*
 * Writes a STACK record with the next free stack id (1, 2, ...) and returns that id. frames are
 * return addresses, innermost first; n is not limited to LW_MAX_FRAMES (tests may exceed it).
 */
uint32_t lw_lb_stack(lw_log_builder *b, const uint64_t *frames, uint32_t n);

/* Writes a STACK record with a chosen id and LW_STACK_* flags (later lw_lb_stack ids skip it). */
void lw_lb_stack_id(lw_log_builder *b, uint32_t id, uint32_t flags, const uint64_t *frames,
                    uint32_t n);

/*
 * Writes a THREAD_START record for thread id created by parent (0: none) when the parent's seq
 * was parent_seq, at create_stack (0: unknown). os_tid is pid + id - 1 (so thread 1's tid is the
 * pid, as on Linux), pthread_self is 0x7f0000000000 + id * 0x1000, and monotonic_ns comes from
 * the builder's clock, which advances by 1000 at each timestamped record.
 */
void lw_lb_thread_start(lw_log_builder *b, uint32_t id, uint32_t parent, uint32_t parent_seq,
                        uint32_t create_stack);

/* Writes a THREAD_NAME record (name is cut to 15 bytes). */
void lw_lb_thread_name(lw_log_builder *b, uint32_t id, const char *name);

/* Writes a THREAD_JOIN record: joiner waited for joinee, its seq going joiner_seq -> +1. */
void lw_lb_join(lw_log_builder *b, uint32_t joiner, uint32_t joiner_seq, uint32_t joinee,
                uint32_t stack);

/* Writes a THREAD_EXIT record. */
void lw_lb_thread_exit(lw_log_builder *b, uint32_t id, uint32_t final_seq, uint32_t held_count);

/* Writes a LOCK record with flags 0 and class_pc 0x10000 + 16 * id (one class per lock). */
void lw_lb_lock(lw_log_builder *b, uint32_t id, uint16_t kind, uint64_t addr, uint32_t init_stack);

/* Writes a LOCK record with every field chosen. */
void lw_lb_lock_ex(lw_log_builder *b, uint32_t id, uint16_t kind, uint32_t flags, uint64_t addr,
                   uint32_t init_stack, uint64_t class_pc);

/*
 * Writes a CONTEXT record: thread (at its seq) acquired lock with acq_flags (LW_ACQ_*) at stack
 * while holding held[0..n), outermost first. Each held entry h is an edge h.lock_id -> lock.
 */
void lw_lb_context(lw_log_builder *b, uint32_t thread, uint32_t seq, uint32_t lock,
                   uint32_t acq_flags, uint32_t stack, const struct lw_held_entry *held,
                   uint32_t n);

/* As lw_lb_context, with record flags (LW_CTX_HELD_TRUNCATED). */
void lw_lb_context_ex(lw_log_builder *b, uint32_t ctx_flags, uint32_t thread, uint32_t seq,
                      uint32_t lock, uint32_t acq_flags, uint32_t stack,
                      const struct lw_held_entry *held, uint32_t n);

/* Writes a DROPPED record (reason: enum lw_drop_reason). */
void lw_lb_dropped(lw_log_builder *b, uint32_t reason, uint64_t count);

/* Writes a DEADLOCK record (v1.1): detector is enum lw_deadlock_detector, e[0..n) the threads. */
void lw_lb_deadlock(lw_log_builder *b, uint32_t detector, const struct lw_deadlock_entry *e,
                    uint32_t n);

/* Writes a MISUSE record (v1.1) in the chunk of m->thread_id; m's header is filled here. */
void lw_lb_misuse(lw_log_builder *b, const struct lw_rec_misuse *m);

/* Writes a SYNC record (v1.1) in to_thread's chunk: from_thread's segments <= from_seq happen
 * before to_thread's segment to_seq + 1 (kind: enum lw_sync_kind; lock: the semaphore). */
void lw_lb_sync(lw_log_builder *b, uint32_t kind, uint32_t from_thread, uint32_t from_seq,
                uint32_t to_thread, uint32_t to_seq, uint32_t lock, uint64_t object);

/* Writes a LOCK_LIKE record (v1.1): semaphore lock is used as a lock. */
void lw_lb_lock_like(lw_log_builder *b, uint32_t lock);
/* Writes a SEM_SIGNAL record (v1.2): semaphore lock is a signal, whatever LOCK_LIKE says. */
void lw_lb_sem_signal(lw_log_builder *b, uint32_t lock);

/* Writes a FORK_HELD record (v1.1): e[0..n) were held by the parent's other threads at fork. */
void lw_lb_fork_held(lw_log_builder *b, uint64_t parent_pid, const struct lw_fork_held_entry *e,
                     uint32_t n);

/* Writes a TLS_ACCESS record (race mode) in the chunk of a->thread_id; a's header is filled
 * here except flags (LW_TLS_ACCESS_WRITE), which are kept. */
void lw_lb_tls_access(lw_log_builder *b, const struct lw_rec_tls_access *a);
/* Writes a RACE record in the chunk of r->cur.thread_id; r's header is filled here (flags:
 * LW_RACE_PREDICTIVE or 0). */
void lw_lb_race(lw_log_builder *b, const struct lw_rec_race *r, uint8_t flags);

/* Writes the END record with exit status and record counts, and sets LW_FILE_CLEAN_END. */
void lw_lb_end(lw_log_builder *b, int32_t status);

/*
 * Appends size bytes verbatim as one record in owner's chunk (size is padded with zeros to a
 * multiple of 8). The caller writes the record header itself: for unknown or broken records.
 */
void lw_lb_raw(lw_log_builder *b, uint32_t owner, const void *rec, size_t size);

/* Appends one never-used (all-zero) chunk unit at the end of the file, as a killed run leaves. */
void lw_lb_unused_chunk(lw_log_builder *b);

/* The log so far (valid until the next call on b). */
const void *lw_lb_data(const lw_log_builder *b, size_t *len);

/* Writes the log to path. Returns 0, or -1 with errno set. */
int lw_lb_write_file(const lw_log_builder *b, const char *path);

/* Frees the builder (NULL is fine). */
void lw_lb_free(lw_log_builder *b);

#endif /* LOCKWATCH_LOG_BUILDER_H */
