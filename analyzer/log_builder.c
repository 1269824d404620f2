/*
 * Builds lockwatch logs in memory for tests and benchmarks (log_builder.h). Records are
 * assembled in a scratch buffer and then placed into their owner's current chunk, opening a new
 * chunk at the end of the file when needed, the same way the recorder lays out its file.
 */
#include "log_builder.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct lb_owner {
    uint32_t thread;
    uint32_t next_seq; /* seq of this owner's next chunk */
    size_t chunk_off;  /* its current chunk */
    size_t chunk_size;
    size_t used; /* bytes used in the current chunk, header included */
    int has_chunk;
} lb_owner;

struct lw_log_builder {
    uint8_t *buf;
    size_t len, cap;
    uint32_t chunk_size;
    uint32_t writer;
    lb_owner *owners;
    size_t n_owners, cap_owners;
    uint32_t next_stack;
    uint64_t clock;
    uint32_t threads, contexts, stacks;
};

static struct lw_file_header *header(lw_log_builder *b)
{
    return (struct lw_file_header *)b->buf;
}

/* Grows the file by n zero bytes and returns the offset of the new space. */
static size_t grow(lw_log_builder *b, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n)
            cap *= 2;
        b->buf = xrealloc(b->buf, cap);
        b->cap = cap;
    }
    size_t off = b->len;
    memset(b->buf + off, 0, n);
    b->len += n;
    return off;
}

lw_log_builder *lw_lb_new_ex(uint64_t pid, uint32_t chunk_size)
{
    lw_log_builder *b = xrealloc(NULL, sizeof *b);
    memset(b, 0, sizeof *b);
    b->chunk_size = chunk_size;
    b->next_stack = 1;
    grow(b, LW_FILE_HEADER_SIZE);
    struct lw_file_header *h = header(b);
    memcpy(h->magic, LW_FILE_MAGIC, sizeof h->magic);
    h->version_major = LW_VERSION_MAJOR;
    h->version_minor = LW_VERSION_MINOR;
    h->endian_check = LW_ENDIAN_CHECK;
    h->word_size = 8;
    h->header_size = LW_FILE_HEADER_SIZE;
    h->chunk_size = chunk_size;
    h->features = LW_FEATURE_LOCK_ORDER;
    h->pid = pid;
    return b;
}

lw_log_builder *lw_lb_new(uint64_t pid)
{
    return lw_lb_new_ex(pid, LW_DEFAULT_CHUNK_SIZE);
}

void lw_lb_set_start_time(lw_log_builder *b, uint64_t realtime_ns, uint64_t monotonic_ns)
{
    header(b)->start_realtime_ns = realtime_ns;
    header(b)->start_monotonic_ns = monotonic_ns;
}

void lw_lb_set_writer(lw_log_builder *b, uint32_t thread_id)
{
    b->writer = thread_id;
}

static lb_owner *owner(lw_log_builder *b, uint32_t thread)
{
    for (size_t i = 0; i < b->n_owners; i++)
        if (b->owners[i].thread == thread)
            return &b->owners[i];
    if (b->n_owners == b->cap_owners) {
        b->cap_owners = b->cap_owners ? b->cap_owners * 2 : 8;
        b->owners = xrealloc(b->owners, b->cap_owners * sizeof *b->owners);
    }
    lb_owner *o = &b->owners[b->n_owners++];
    memset(o, 0, sizeof *o);
    o->thread = thread;
    return o;
}

/* Places a finished record (header included, size a multiple of 8) into thread's chunk. */
static void place(lw_log_builder *b, uint32_t thread, const void *rec, size_t size)
{
    lb_owner *o = owner(b, thread);
    if (!o->has_chunk || o->used + size > o->chunk_size) {
        size_t need = sizeof(struct lw_chunk_header) + size;
        size_t csize = (need + b->chunk_size - 1) / b->chunk_size * b->chunk_size;
        size_t off = grow(b, csize);
        struct lw_chunk_header ch = {LW_CHUNK_MAGIC, thread, (uint32_t)csize, o->next_seq++};
        memcpy(b->buf + off, &ch, sizeof ch);
        o->chunk_off = off;
        o->chunk_size = csize;
        o->used = sizeof ch;
        o->has_chunk = 1;
    }
    /* The recorder publishes the header word last; in memory the order does not matter. */
    memcpy(b->buf + o->chunk_off + o->used, rec, size);
    o->used += size;
}

/* Builds a record of fixed part `fixed` (its header filled here) plus var_len bytes of tail. */
static void emit(lw_log_builder *b, uint32_t thread, uint16_t type, uint8_t flags, void *fixed,
                 size_t fixed_len, const void *var1, size_t len1, const void *var2, size_t len2)
{
    size_t size = fixed_len + len1 + len2;
    size = (size + LW_RECORD_ALIGN - 1) / LW_RECORD_ALIGN * LW_RECORD_ALIGN;
    uint8_t *rec = xrealloc(NULL, size);
    memset(rec, 0, size);
    struct lw_record_header h = {type, LW_RECORD_CHECK(type), flags, (uint32_t)size};
    memcpy(fixed, &h, sizeof h);
    memcpy(rec, fixed, fixed_len);
    if (len1)
        memcpy(rec + fixed_len, var1, len1);
    if (len2)
        memcpy(rec + fixed_len + len1, var2, len2);
    place(b, thread, rec, size);
    free(rec);
}

void lw_lb_process(lw_log_builder *b, uint64_t ppid, const char *exe)
{
    header(b)->ppid = ppid;
    struct lw_rec_process r = {.pid = header(b)->pid, .ppid = ppid};
    r.exe_len = (uint32_t)strlen(exe);
    /* len + 1 copies the NUL the format asks for. */
    emit(b, b->writer, LW_REC_PROCESS, 0, &r, sizeof r, exe, r.exe_len + 1, NULL, 0);
}

void lw_lb_module(lw_log_builder *b, uint32_t id, uint64_t base, uint64_t lo, uint64_t hi,
                  const uint8_t *build_id, size_t build_id_len, const char *path)
{
    struct lw_rec_module r = {.base = base, .lo = lo, .hi = hi, .module_id = id};
    r.build_id_len = build_id ? (uint16_t)build_id_len : 0;
    r.path_len = (uint16_t)strlen(path);
    emit(b, b->writer, LW_REC_MODULE, 0, &r, sizeof r, build_id, r.build_id_len, path,
         (size_t)r.path_len + 1);
}

void lw_lb_stack_id(lw_log_builder *b, uint32_t id, uint32_t flags, const uint64_t *frames,
                    uint32_t n)
{
    struct lw_rec_stack r = {.stack_id = id, .nframes = n};
    emit(b, b->writer, LW_REC_STACK, (uint8_t)flags, &r, sizeof r, frames, n * sizeof *frames, NULL,
         0);
    if (id >= b->next_stack)
        b->next_stack = id + 1;
    b->stacks++;
}

uint32_t lw_lb_stack(lw_log_builder *b, const uint64_t *frames, uint32_t n)
{
    uint32_t id = b->next_stack;
    lw_lb_stack_id(b, id, 0, frames, n);
    return id;
}

void lw_lb_thread_start(lw_log_builder *b, uint32_t id, uint32_t parent, uint32_t parent_seq,
                        uint32_t create_stack)
{
    struct lw_rec_thread_start r = {
        .thread_id = id,
        .parent_id = parent,
        .parent_seq = parent_seq,
        .create_stack = create_stack,
        .os_tid = header(b)->pid + id - 1,
        .pthread_self = 0x7f0000000000ull + (uint64_t)id * 0x1000,
        .monotonic_ns = b->clock += 1000,
    };
    emit(b, id, LW_REC_THREAD_START, 0, &r, sizeof r, NULL, 0, NULL, 0);
    b->threads++;
}

void lw_lb_thread_name(lw_log_builder *b, uint32_t id, const char *name)
{
    struct lw_rec_thread_name r = {.thread_id = id};
    strncpy(r.name, name, sizeof r.name - 1);
    emit(b, id, LW_REC_THREAD_NAME, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_join(lw_log_builder *b, uint32_t joiner, uint32_t joiner_seq, uint32_t joinee,
                uint32_t stack)
{
    struct lw_rec_thread_join r = {
        .joiner_id = joiner,
        .joiner_seq = joiner_seq,
        .joinee_id = joinee,
        .stack_id = stack,
        .monotonic_ns = b->clock += 1000,
    };
    emit(b, joiner, LW_REC_THREAD_JOIN, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_thread_exit(lw_log_builder *b, uint32_t id, uint32_t final_seq, uint32_t held_count)
{
    struct lw_rec_thread_exit r = {
        .thread_id = id,
        .final_seq = final_seq,
        .held_count = held_count,
        .monotonic_ns = b->clock += 1000,
    };
    emit(b, id, LW_REC_THREAD_EXIT, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_lock_ex(lw_log_builder *b, uint32_t id, uint16_t kind, uint32_t flags, uint64_t addr,
                   uint32_t init_stack, uint64_t class_pc)
{
    struct lw_rec_lock r = {
        .lock_id = id,
        .kind = kind,
        .flags = flags,
        .init_stack = init_stack,
        .address = addr,
        .class_pc = class_pc,
    };
    emit(b, b->writer, LW_REC_LOCK, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_lock(lw_log_builder *b, uint32_t id, uint16_t kind, uint64_t addr, uint32_t init_stack)
{
    lw_lb_lock_ex(b, id, kind, 0, addr, init_stack, 0x10000 + 16 * (uint64_t)id);
}

void lw_lb_context_ex(lw_log_builder *b, uint32_t ctx_flags, uint32_t thread, uint32_t seq,
                      uint32_t lock, uint32_t acq_flags, uint32_t stack,
                      const struct lw_held_entry *held, uint32_t n)
{
    struct lw_rec_context r = {
        .thread_id = thread,
        .seq = seq,
        .lock_id = lock,
        .acq_flags = acq_flags,
        .stack_id = stack,
        .n_held = n,
    };
    emit(b, thread, LW_REC_CONTEXT, (uint8_t)ctx_flags, &r, sizeof r, held, n * sizeof *held, NULL,
         0);
    b->contexts++;
}

void lw_lb_context(lw_log_builder *b, uint32_t thread, uint32_t seq, uint32_t lock,
                   uint32_t acq_flags, uint32_t stack, const struct lw_held_entry *held, uint32_t n)
{
    lw_lb_context_ex(b, 0, thread, seq, lock, acq_flags, stack, held, n);
}

void lw_lb_dropped(lw_log_builder *b, uint32_t reason, uint64_t count)
{
    struct lw_rec_dropped r = {.reason = reason, .count = count};
    emit(b, b->writer, LW_REC_DROPPED, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_deadlock(lw_log_builder *b, uint32_t detector, const struct lw_deadlock_entry *e,
                    uint32_t n)
{
    struct lw_rec_deadlock r = {
        .detector = detector, .n_threads = n, .monotonic_ns = b->clock += 1000};
    emit(b, b->writer, LW_REC_DEADLOCK, 0, &r, sizeof r, e, n * sizeof *e, NULL, 0);
}

void lw_lb_misuse(lw_log_builder *b, const struct lw_rec_misuse *m)
{
    struct lw_rec_misuse r = *m;
    emit(b, r.thread_id, LW_REC_MISUSE, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_sync(lw_log_builder *b, uint32_t kind, uint32_t from_thread, uint32_t from_seq,
                uint32_t to_thread, uint32_t to_seq, uint32_t lock, uint64_t object)
{
    struct lw_rec_sync r = {
        .kind = kind,
        .from_thread = from_thread,
        .from_seq = from_seq,
        .to_thread = to_thread,
        .to_seq = to_seq,
        .lock_id = lock,
        .object = object,
    };
    emit(b, to_thread, LW_REC_SYNC, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_tls_access(lw_log_builder *b, const struct lw_rec_tls_access *a)
{
    struct lw_rec_tls_access r = *a;
    emit(b, r.thread_id, LW_REC_TLS_ACCESS, r.h.flags, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_race(lw_log_builder *b, const struct lw_rec_race *race, uint8_t flags)
{
    struct lw_rec_race r = *race;
    emit(b, r.cur.thread_id, LW_REC_RACE, flags, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_lock_like(lw_log_builder *b, uint32_t lock)
{
    struct lw_rec_lock_like r = {.lock_id = lock};
    emit(b, b->writer, LW_REC_LOCK_LIKE, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_sem_signal(lw_log_builder *b, uint32_t lock)
{
    struct lw_rec_sem_signal r = {.lock_id = lock};
    emit(b, b->writer, LW_REC_SEM_SIGNAL, 0, &r, sizeof r, NULL, 0, NULL, 0);
}

void lw_lb_fork_held(lw_log_builder *b, uint64_t parent_pid, const struct lw_fork_held_entry *e,
                     uint32_t n)
{
    struct lw_rec_fork_held r = {.parent_pid = parent_pid, .n = n};
    emit(b, b->writer, LW_REC_FORK_HELD, 0, &r, sizeof r, e, n * sizeof *e, NULL, 0);
}

void lw_lb_end(lw_log_builder *b, int32_t status)
{
    struct lw_rec_end r = {
        .exit_status = status,
        .threads = b->threads,
        .lock_ops = b->contexts,
        .contexts = b->contexts,
        .stacks = b->stacks,
        .monotonic_ns = b->clock += 1000,
    };
    emit(b, b->writer, LW_REC_END, 0, &r, sizeof r, NULL, 0, NULL, 0);
    header(b)->flags |= LW_FILE_CLEAN_END;
}

void lw_lb_raw(lw_log_builder *b, uint32_t owner, const void *rec, size_t size)
{
    size_t padded = (size + LW_RECORD_ALIGN - 1) / LW_RECORD_ALIGN * LW_RECORD_ALIGN;
    uint8_t *tmp = xrealloc(NULL, padded);
    memset(tmp, 0, padded);
    memcpy(tmp, rec, size);
    place(b, owner, tmp, padded);
    free(tmp);
}

void lw_lb_unused_chunk(lw_log_builder *b)
{
    grow(b, b->chunk_size);
}

const void *lw_lb_data(const lw_log_builder *b, size_t *len)
{
    *len = b->len;
    return b->buf;
}

int lw_lb_write_file(const lw_log_builder *b, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < b->len) {
        ssize_t w = write(fd, b->buf + done, b->len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        done += (size_t)w;
    }
    return close(fd);
}

void lw_lb_free(lw_log_builder *b)
{
    if (!b)
        return;
    free(b->buf);
    free(b->owners);
    free(b);
}
