/*
 * The crash-safe log file. The whole file is mapped MAP_SHARED, so every byte the shim stores
 * is in the page cache at once and survives SIGKILL, abort() or a segfault of the program.
 * Threads append to chunks they own (no lock); a record counts once its 8-byte header is
 * stored, last and with release ordering, so a reader never sees half a record. The only
 * shared write is an atomic fetch_add that hands out chunks; growing the file (fallocate, so
 * a full disk is an error here rather than a SIGBUS later) happens once per LW_GROW_STEP.
 * Layout: include/lockwatch/log_format.h and docs/log-format.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "annotate.h"
#include "shim.h"
#include "spin.h"

#define LW_CHUNK_SIZE 16384u        /* base chunk unit */
#define LW_MAP_RESERVE (4ull << 30) /* address space reserved for the mapping */
#define LW_GROW_STEP (1u << 20)     /* file growth step */
#define LW_REMNANT_SLOTS 64         /* chunk tails left by ended threads, for reuse */

_Atomic uint32_t lw_log_generation = 1;
_Atomic uint64_t lw_contexts_written;

static int log_fd = -1;
static char *log_base;
static _Atomic uint64_t log_next;      /* offset of the next free chunk */
static _Atomic uint64_t log_file_size; /* bytes allocated in the file */
static _Atomic int grow_lock;
static _Atomic int log_broken;  /* the file could not grow: stop writing, keep what is there */
static _Atomic bool log_closed; /* the END record is written: a second way out must not repeat it */
static _Atomic uint64_t drops[8];
static _Atomic uint64_t remnants[LW_REMNANT_SLOTS]; /* (chunk offset << 32 | pos), 0 = empty */

size_t lw_fmt_u64(char *buf, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return n;
}

void lw_log_drop(enum lw_drop_reason reason)
{
    if ((unsigned)reason < 8)
        atomic_fetch_add_explicit(&drops[reason], 1, memory_order_relaxed);
}

/* Makes sure the file holds [0, end): grows it in LW_GROW_STEP steps. */
static bool ensure_file_size(uint64_t end)
{
    /* Sequentially consistent, as the claim's fetch-add before it: see trim_unused_tail. */
    if (end <= atomic_load(&log_file_size))
        return true;
    if (end > LW_MAP_RESERVE)
        return false;
    bool ok = true;
    int saved = errno, cancel_state;
    /* fallocate is a cancellation point: a pending cancel must not act inside the shim. */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    lw_spin_lock(&grow_lock);
    uint64_t cur = atomic_load_explicit(&log_file_size, memory_order_relaxed);
    if (end > cur) {
        uint64_t want = (end + LW_GROW_STEP - 1) / LW_GROW_STEP * LW_GROW_STEP;
        if (want > LW_MAP_RESERVE)
            want = LW_MAP_RESERVE;
        /* fallocate reserves the blocks now: a full disk fails here, not as SIGBUS later. */
        int rc = fallocate(log_fd, 0, (off_t)cur, (off_t)(want - cur));
        if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS))
            rc = ftruncate(log_fd, (off_t)want);
        if (rc == 0)
            atomic_store_explicit(&log_file_size, want, memory_order_release);
        else
            ok = false;
    }
    lw_spin_unlock(&grow_lock);
    pthread_setcancelstate(cancel_state, &cancel_state);
    errno = saved;
    if (!ok && !atomic_exchange(&log_broken, 1)) {
        struct lw_file_header *hdr = (struct lw_file_header *)log_base;
        atomic_fetch_or((_Atomic uint32_t *)&hdr->flags, LW_FILE_INCOMPLETE);
        lw_say("lockwatch: cannot grow the log file (disk full?); recording stops here", "", "");
    }
    return ok;
}

/* Hands out a fresh chunk of `size` bytes owned by t. */
static char *claim_chunk(struct lw_thread *t, uint32_t size)
{
    if (!log_base || atomic_load_explicit(&log_broken, memory_order_relaxed))
        return NULL;
    uint64_t off = atomic_fetch_add(&log_next, size); /* seq_cst: see trim_unused_tail */
    if (off + size > LW_MAP_RESERVE || !ensure_file_size(off + size)) {
        lw_log_drop(LW_DROP_LOG_FULL);
        return NULL;
    }
    char *c = log_base + off;
    struct lw_chunk_header *h = (struct lw_chunk_header *)c;
    h->thread_id = t->id;
    h->size = size;
    h->seq = t->chunk_seq++;
    atomic_store_explicit((_Atomic uint32_t *)&h->magic, LW_CHUNK_MAGIC, memory_order_release);
    return c;
}

/* Takes over the unused tail of a chunk left by an ended thread, if any. */
static bool adopt_remnant(struct lw_thread *t)
{
    for (int i = 0; i < LW_REMNANT_SLOTS; i++) {
        uint64_t v = atomic_load_explicit(&remnants[i], memory_order_relaxed);
        if (v && atomic_compare_exchange_strong(&remnants[i], &v, 0)) {
            uint64_t off = v >> 32;
            struct lw_chunk_header *h = (struct lw_chunk_header *)(log_base + off);
            t->chunk = log_base + off;
            t->chunk_pos = (uint32_t)v;
            t->chunk_size = h->size;
            return true;
        }
    }
    return false;
}

void lw_log_release_chunk(struct lw_thread *t)
{
    if (!t->chunk || !log_base)
        return;
    uint32_t left = t->chunk_size - t->chunk_pos;
    if (left >= 1024) {
        /* The chunk now holds records of several threads; each record names its thread. */
        ((struct lw_chunk_header *)t->chunk)->thread_id = 0;
        uint64_t v = ((uint64_t)(t->chunk - log_base) << 32) | t->chunk_pos;
        for (int i = 0; i < LW_REMNANT_SLOTS; i++) {
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&remnants[i], &zero, v))
                break;
        }
    }
    t->chunk = NULL;
}

void *lw_log_reserve(struct lw_thread *t, uint32_t size)
{
    if (LW_UNLIKELY(!log_base))
        return NULL;
    if (!t->chunk || t->chunk_pos + size > t->chunk_size) {
        t->chunk = NULL;
        /* Small records first fill tails that ended threads left (a remnant has >= 1 KiB). */
        bool adopted = size <= 1024 && adopt_remnant(t);
        if (!adopted) {
            uint32_t need = size + (uint32_t)sizeof(struct lw_chunk_header);
            uint32_t csize = (need + LW_CHUNK_SIZE - 1) / LW_CHUNK_SIZE * LW_CHUNK_SIZE;
            t->chunk = claim_chunk(t, csize);
            if (!t->chunk)
                return NULL;
            t->chunk_size = csize;
            t->chunk_pos = sizeof(struct lw_chunk_header);
        }
    }
    void *rec = t->chunk + t->chunk_pos;
    t->chunk_pos += size;
    return rec;
}

void lw_log_publish(struct lw_thread *t, void *rec, uint16_t type, uint8_t flags, uint32_t size)
{
    (void)t;
    uint64_t word = (uint64_t)type | ((uint64_t)LW_RECORD_CHECK(type) << 16) |
                    ((uint64_t)flags << 24) | ((uint64_t)size << 32);
    atomic_store_explicit((_Atomic uint64_t *)rec, word, memory_order_release);
}

/* Opens dir/lockwatch.<pid>.log, or .<pid>.<n>.log when that exists (pid reuse, exec).
 * O_EXCL|O_NOFOLLOW with mode 0600: never through a planted symlink, never someone else's. */
static int open_log_file(char *path, size_t cap)
{
    char pid[24];
    lw_fmt_u64(pid, (uint64_t)getpid());
    for (unsigned n = 0; n < 1000; n++) {
        size_t len = strnlen(lw_opts.log_dir, sizeof lw_opts.log_dir);
        if (len + 64 >= cap)
            return -1;
        memcpy(path, lw_opts.log_dir, len);
        memcpy(path + len, "/lockwatch.", 11);
        len += 11;
        size_t pl = strlen(pid);
        memcpy(path + len, pid, pl);
        len += pl;
        if (n) {
            path[len++] = '.';
            len += lw_fmt_u64(path + len, n);
        }
        memcpy(path + len, ".log", 5);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int lw_log_open(void)
{
    char path[LW_PATH_MAX + 64];
    int saved = errno;
    int fd = open_log_file(path, sizeof path);
    if (fd < 0) {
        lw_say("lockwatch: cannot create a log in '", lw_opts.log_dir, "'; not recording");
        errno = saved;
        return -1;
    }
    uint64_t initial = LW_FILE_HEADER_SIZE + LW_GROW_STEP;
    int rc = fallocate(fd, 0, 0, (off_t)initial);
    if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS))
        rc = ftruncate(fd, (off_t)initial);
    void *base = rc == 0 ? mmap(NULL, LW_MAP_RESERVE, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_NORESERVE, fd, 0)
                         : MAP_FAILED;
    if (base == MAP_FAILED) {
        lw_say("lockwatch: cannot write the log '", path, "' (disk full?); not recording");
        close(fd);
        unlink(path);
        errno = saved;
        return -1;
    }
    log_fd = fd;
    log_base = base;
    atomic_store(&log_file_size, initial);
    atomic_store(&log_next, LW_FILE_HEADER_SIZE);
    atomic_store(&log_broken, 0);
    for (int i = 0; i < LW_REMNANT_SLOTS; i++)
        atomic_store(&remnants[i], 0);
    LW_ANN_ATOMIC_RANGE(remnants, sizeof remnants);

    struct lw_file_header *h = (struct lw_file_header *)log_base;
    h->version_major = LW_VERSION_MAJOR;
    h->version_minor = LW_VERSION_MINOR;
    h->endian_check = LW_ENDIAN_CHECK;
    h->word_size = 8;
    h->header_size = LW_FILE_HEADER_SIZE;
    h->chunk_size = LW_CHUNK_SIZE;
    h->features = LW_FEATURE_LOCK_ORDER;
    h->pid = (uint64_t)getpid();
    h->ppid = (uint64_t)getppid();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->start_realtime_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    h->start_monotonic_ns = lw_now_ns();
    atomic_thread_fence(memory_order_release);
    memcpy(h->magic, LW_FILE_MAGIC, 8);
    if (lw_opts.verbose)
        lw_say("lockwatch: recording to ", path, "");
    errno = saved;
    return 0;
}

/* Writes one DROPPED record per reason that lost something. */
static void write_drops(struct lw_thread *t)
{
    for (unsigned r = 1; r < 8; r++) {
        uint64_t n = atomic_load(&drops[r]);
        if (!n)
            continue;
        struct lw_rec_dropped *d = lw_log_reserve(t, sizeof *d);
        if (!d)
            return;
        d->reason = r;
        d->count = n;
        lw_log_publish(t, d, LW_REC_DROPPED, 0, sizeof *d);
    }
}

/* Gives the preallocated, unused tail of the file back (threads still running can grow it
 * again). Only if the grow lock is free: a signal handler may end the process while its thread
 * holds it, and the tail is only disk space.
 * Other threads keep claiming chunks meanwhile (exit runs while they record). A claim past the
 * point read here must not write into the tail being cut: that is SIGBUS (rel.exit.recording).
 * So the file's size reads 0 while the cut is under way, which sends every claim to the grow
 * lock, held here, and the size is set to 0 before log_next is read: with both sides
 * sequentially consistent (claim_chunk: fetch-add on log_next, then load of the size), either
 * this read sees a claim, and the cut keeps it, or that claim's size check sees the 0. */
static void trim_unused_tail(void)
{
    if (!lw_spin_trylock(&grow_lock))
        return;
    int saved = errno;
    uint64_t size = atomic_load(&log_file_size);
    atomic_store(&log_file_size, 0);
    uint64_t used = atomic_load(&log_next);
    if (used < size && ftruncate(log_fd, (off_t)used) == 0)
        size = used;
    atomic_store(&log_file_size, size);
    lw_spin_unlock(&grow_lock);
    errno = saved;
}

void lw_log_close(int exit_status)
{
    if (!log_base || atomic_exchange(&log_closed, true))
        return;
    struct lw_file_header *hdr = (struct lw_file_header *)log_base;
    if (atomic_load(&log_broken)) {
        /* Records were lost: an END record would make the log look complete. */
        atomic_fetch_or((_Atomic uint32_t *)&hdr->flags, LW_FILE_INCOMPLETE);
        return;
    }
    struct lw_thread *t = lw_thread_peek();
    if (t) {
        lw_thread_exit_record(t);
        write_drops(t);
        struct lw_rec_end *e = lw_log_reserve(t, sizeof *e);
        if (e) {
            e->exit_status = exit_status;
            e->threads = lw_threads_seen();
            e->lock_ops = lw_lock_ops_total();
            e->contexts = atomic_load(&lw_contexts_written);
            e->stacks = atomic_load(&lw_stacks_written);
            e->monotonic_ns = lw_now_ns();
            lw_log_publish(t, e, LW_REC_END, 0, sizeof *e);
        }
    }
    struct lw_file_header *h = (struct lw_file_header *)log_base;
    atomic_fetch_or((_Atomic uint32_t *)&h->flags, LW_FILE_CLEAN_END);
    trim_unused_tail();
}

bool lw_log_is_this_process(void)
{
    return log_base && ((const struct lw_file_header *)log_base)->pid == (uint64_t)getpid();
}

void lw_log_mark_exec(bool pending)
{
    if (!lw_log_is_this_process())
        return;
    _Atomic uint32_t *flags = (_Atomic uint32_t *)&((struct lw_file_header *)log_base)->flags;
    if (pending) {
        atomic_fetch_or(flags, LW_FILE_EXEC);
        trim_unused_tail(); /* a shell that runs commands by fork and exec leaves one log each */
    } else
        atomic_fetch_and(flags, ~LW_FILE_EXEC);
}

void lw_log_reopen_in_child(void)
{
    /* The parent's mapping is shared with the parent: never write into it from the child. */
    if (log_base)
        munmap(log_base, LW_MAP_RESERVE);
    log_base = NULL;
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    atomic_store(&grow_lock, 0);
    atomic_store(&log_closed, false);
    for (unsigned r = 0; r < 8; r++)
        atomic_store(&drops[r], 0);
    atomic_fetch_add(&lw_log_generation, 1);
    lw_log_open();
}
