/*
 * The bounds-checked walk over a raw lockwatch log: file header validation, chunks at
 * header_size + k * chunk_size, records inside each chunk. Shared by the log reader and
 * `lockwatch dump` (see log_iter.h). Every multi-byte field is fetched with memcpy because a
 * buffer handed in by a caller (or a fuzzer) need not be aligned.
 */
#include "log_iter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the log reader decodes little-endian logs with plain loads; port it before using it here"
#endif

_Static_assert(sizeof(struct lw_record_header) == 8, "record header is one 8-byte word");
_Static_assert(sizeof(struct lw_chunk_header) == 16, "chunk header is 16 bytes");

static uint32_t load_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint16_t load_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static bool is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static int fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && whylen)
        vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

int lw_iter_init(lw_log_iter *it, const void *buf, size_t len, char *why, size_t whylen)
{
    memset(it, 0, sizeof *it);
    const uint8_t *b = buf;
    if (len == 0)
        return fail(why, whylen, "empty file, not a lockwatch log");
    if (len < 8 || memcmp(b, LW_FILE_MAGIC, 8) != 0)
        return fail(why, whylen, "not a lockwatch log (bad magic)");
    if (len < sizeof(struct lw_file_header))
        return fail(why, whylen, "file too short for a lockwatch header (%zu bytes)", len);
    struct lw_file_header h;
    memcpy(&h, b, sizeof h);
    if (h.version_major != LW_VERSION_MAJOR)
        return fail(why, whylen, "unsupported log version %u.%u (this reader reads %u.x)",
                    h.version_major, h.version_minor, LW_VERSION_MAJOR);
    if (h.endian_check != LW_ENDIAN_CHECK) {
        if (h.endian_check == __builtin_bswap32(LW_ENDIAN_CHECK))
            return fail(why, whylen, "log written on a big-endian host (not supported)");
        return fail(why, whylen, "bad byte-order check 0x%08x (expected 0x%08x)", h.endian_check,
                    LW_ENDIAN_CHECK);
    }
    if (h.word_size != 8)
        return fail(why, whylen, "unsupported word size %u (expected 8)", h.word_size);
    if (h.header_size < sizeof(struct lw_file_header) || h.header_size > LW_MAX_HEADER_SIZE ||
        h.header_size % LW_RECORD_ALIGN != 0)
        return fail(why, whylen, "bad header_size %u (expected %u)", h.header_size,
                    LW_FILE_HEADER_SIZE);
    if (len < h.header_size)
        return fail(why, whylen, "file too short: %zu bytes, its header alone needs %u", len,
                    h.header_size);
    if (!is_pow2(h.chunk_size) || h.chunk_size < LW_MIN_CHUNK_SIZE ||
        h.chunk_size > LW_MAX_CHUNK_SIZE)
        return fail(why, whylen, "bad chunk_size %u (expected a power of two in [%u, %u])",
                    h.chunk_size, LW_MIN_CHUNK_SIZE, LW_MAX_CHUNK_SIZE);
    it->buf = b;
    it->len = len;
    it->hdr = h;
    it->next_unit = h.header_size;
    return 0;
}

size_t lw_record_fixed_size(uint16_t type)
{
    switch (type) {
    case LW_REC_PROCESS:
        return sizeof(struct lw_rec_process);
    case LW_REC_MODULE:
        return sizeof(struct lw_rec_module);
    case LW_REC_STACK:
        return sizeof(struct lw_rec_stack);
    case LW_REC_THREAD_START:
        return sizeof(struct lw_rec_thread_start);
    case LW_REC_THREAD_JOIN:
        return sizeof(struct lw_rec_thread_join);
    case LW_REC_THREAD_EXIT:
        return sizeof(struct lw_rec_thread_exit);
    case LW_REC_LOCK:
        return sizeof(struct lw_rec_lock);
    case LW_REC_CONTEXT:
        return sizeof(struct lw_rec_context);
    case LW_REC_THREAD_NAME:
        return sizeof(struct lw_rec_thread_name);
    case LW_REC_DROPPED:
        return sizeof(struct lw_rec_dropped);
    case LW_REC_END:
        return sizeof(struct lw_rec_end);
    case LW_REC_DEADLOCK:
        return sizeof(struct lw_rec_deadlock);
    case LW_REC_MISUSE:
        return sizeof(struct lw_rec_misuse);
    case LW_REC_SYNC:
        return sizeof(struct lw_rec_sync);
    case LW_REC_LOCK_LIKE:
        return sizeof(struct lw_rec_lock_like);
    case LW_REC_SEM_SIGNAL:
        return sizeof(struct lw_rec_sem_signal);
    case LW_REC_FORK_HELD:
        return sizeof(struct lw_rec_fork_held);
    case LW_REC_TLS_ACCESS:
        return sizeof(struct lw_rec_tls_access);
    case LW_REC_RACE:
        return sizeof(struct lw_rec_race);
    case LW_REC_WAIT_STATE:
        return sizeof(struct lw_rec_wait_state);
    default:
        return 0;
    }
}

const char *lw_record_type_name(uint16_t type)
{
    switch (type) {
    case LW_REC_PROCESS:
        return "PROCESS";
    case LW_REC_MODULE:
        return "MODULE";
    case LW_REC_STACK:
        return "STACK";
    case LW_REC_THREAD_START:
        return "THREAD_START";
    case LW_REC_THREAD_JOIN:
        return "THREAD_JOIN";
    case LW_REC_THREAD_EXIT:
        return "THREAD_EXIT";
    case LW_REC_LOCK:
        return "LOCK";
    case LW_REC_CONTEXT:
        return "CONTEXT";
    case LW_REC_THREAD_NAME:
        return "THREAD_NAME";
    case LW_REC_DROPPED:
        return "DROPPED";
    case LW_REC_END:
        return "END";
    case LW_REC_DEADLOCK:
        return "DEADLOCK";
    case LW_REC_MISUSE:
        return "MISUSE";
    case LW_REC_SYNC:
        return "SYNC";
    case LW_REC_LOCK_LIKE:
        return "LOCK_LIKE";
    case LW_REC_SEM_SIGNAL:
        return "SEM_SIGNAL";
    case LW_REC_FORK_HELD:
        return "FORK_HELD";
    case LW_REC_TLS_ACCESS:
        return "TLS_ACCESS";
    case LW_REC_RACE:
        return "RACE";
    case LW_REC_WAIT_STATE:
        return "WAIT_STATE";
    default:
        return NULL;
    }
}

const char *lw_record_check_body(uint16_t type, const uint8_t *data, uint32_t size)
{
    size_t fixed = lw_record_fixed_size(type);
    /* All arithmetic in 64 bits: counts are 32-bit, so products and sums cannot wrap. */
    uint64_t rest = size - fixed;
    switch (type) {
    case LW_REC_PROCESS: {
        uint64_t exe_len = load_u32(data + offsetof(struct lw_rec_process, exe_len));
        if (exe_len + 1 > rest)
            return "exe path does not fit in the record";
        return NULL;
    }
    case LW_REC_MODULE: {
        uint64_t bid = load_u16(data + offsetof(struct lw_rec_module, build_id_len));
        uint64_t path = load_u16(data + offsetof(struct lw_rec_module, path_len));
        if (bid + path + 1 > rest)
            return "build-id and path do not fit in the record";
        return NULL;
    }
    case LW_REC_STACK: {
        uint64_t n = load_u32(data + offsetof(struct lw_rec_stack, nframes));
        if (n * sizeof(uint64_t) > rest)
            return "frame count exceeds the record";
        return NULL;
    }
    case LW_REC_CONTEXT: {
        uint64_t n = load_u32(data + offsetof(struct lw_rec_context, n_held));
        if (n * sizeof(struct lw_held_entry) > rest)
            return "held-lock count exceeds the record";
        return NULL;
    }
    case LW_REC_DEADLOCK: {
        uint64_t n = load_u32(data + offsetof(struct lw_rec_deadlock, n_threads));
        if (n * sizeof(struct lw_deadlock_entry) > rest)
            return "thread count exceeds the record";
        return NULL;
    }
    case LW_REC_FORK_HELD: {
        uint64_t n = load_u32(data + offsetof(struct lw_rec_fork_held, n));
        if (n * sizeof(struct lw_fork_held_entry) > rest)
            return "entry count exceeds the record";
        return NULL;
    }
    default:
        return NULL;
    }
}

void lw_record_copy(const lw_iter_item *rec, void *dst, size_t struct_size)
{
    size_t n = struct_size < rec->size ? struct_size : rec->size;
    memcpy(dst, rec->data, n);
    if (n < struct_size)
        memset((char *)dst + n, 0, struct_size - n);
}

static lw_iter_kind damage(lw_log_iter *it, lw_iter_item *out, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static lw_iter_kind damage(lw_log_iter *it, lw_iter_item *out, size_t off, const char *fmt, ...)
{
    it->in_chunk = false;
    out->kind = LW_IT_DAMAGE;
    out->offset = it->base + off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->what, sizeof out->what, fmt, ap);
    va_end(ap);
    return LW_IT_DAMAGE;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Next record of the current chunk; LW_IT_END means "this chunk is done". */
static lw_iter_kind next_record(lw_log_iter *it, lw_iter_item *out)
{
    size_t off = it->rec_off;
    size_t room = it->chunk_end - off;
    if (room < sizeof(struct lw_record_header)) {
        it->in_chunk = false;
        /* Records ran up to a cut in the file: later ones may be lost. */
        if (it->chunk_clamped)
            return damage(it, out, it->len, "file ends inside the chunk at %zu",
                          it->base + it->chunk_off);
        return LW_IT_END;
    }
    const uint8_t *p = it->buf + off;
    if (all_zero(p, sizeof(struct lw_record_header))) {
        it->in_chunk = false; /* unpublished: the end of this chunk's records */
        return LW_IT_END;
    }
    struct lw_record_header h;
    memcpy(&h, p, sizeof h);
    if (h.check != LW_RECORD_CHECK(h.type))
        return damage(it, out, off, "bad record check byte 0x%02x for type %u (lost alignment)",
                      h.check, h.type);
    if (h.size < sizeof h || h.size % LW_RECORD_ALIGN != 0)
        return damage(it, out, off, "bad record size %u for type %u", h.size, h.type);
    if (h.size > room)
        return damage(it, out, off, "record of %u bytes runs past the end of its %s", h.size,
                      it->chunk_clamped ? "file" : "chunk");
    size_t fixed = lw_record_fixed_size(h.type);
    if (fixed) {
        if (h.size < fixed)
            return damage(it, out, off,
                          "%s record of %u bytes is shorter than its %zu-byte fixed part",
                          lw_record_type_name(h.type), h.size, fixed);
        const char *why = lw_record_check_body(h.type, p, h.size);
        if (why)
            return damage(it, out, off, "%s record: %s", lw_record_type_name(h.type), why);
    }
    it->rec_off = off + h.size;
    out->kind = LW_IT_RECORD;
    out->offset = it->base + off;
    out->type = h.type;
    out->flags = h.flags;
    out->data = p;
    out->size = h.size;
    return LW_IT_RECORD;
}

/* Next chunk header; sets up the record walk. */
static lw_iter_kind next_chunk(lw_log_iter *it, lw_iter_item *out)
{
    const size_t unit = it->hdr.chunk_size;
    for (;;) {
        size_t off = it->next_unit;
        if (off >= it->len)
            return LW_IT_END;
        size_t avail = it->len - off;
        if (avail < sizeof(struct lw_chunk_header)) {
            it->next_unit = it->len;
            if (all_zero(it->buf + off, avail))
                return LW_IT_END;
            return damage(it, out, off, "file ends inside a chunk header");
        }
        struct lw_chunk_header ch;
        memcpy(&ch, it->buf + off, sizeof ch);
        if (ch.magic == 0) { /* never used (preallocated, or the run was killed) */
            it->unused_units++;
            it->next_unit = off + unit;
            continue;
        }
        if (ch.magic != LW_CHUNK_MAGIC) {
            it->next_unit = off + unit;
            return damage(it, out, off, "bad chunk magic 0x%08x (expected 0x%08x)", ch.magic,
                          LW_CHUNK_MAGIC);
        }
        if (ch.size == 0 || ch.size % unit != 0) {
            it->next_unit = off + unit;
            return damage(it, out, off, "bad chunk size %u (not a multiple of the chunk size %zu)",
                          ch.size, unit);
        }
        it->next_unit = off + ch.size;
        it->chunk_off = off;
        it->chunk_clamped = ch.size > avail;
        it->chunk_end = it->chunk_clamped ? it->len : off + ch.size;
        it->rec_off = off + sizeof ch;
        it->in_chunk = true;
        out->kind = LW_IT_CHUNK;
        out->offset = it->base + off;
        out->chunk = ch;
        return LW_IT_CHUNK;
    }
}

lw_iter_kind lw_iter_next(lw_log_iter *it, lw_iter_item *out)
{
    /* Every field but the message is cleared; the message only up to its terminator (a
     * memset of the whole item, 160 bytes of message, was a tenth of reading a log). */
    out->kind = LW_IT_END;
    out->offset = 0;
    memset(&out->chunk, 0, sizeof out->chunk);
    out->type = 0;
    out->flags = 0;
    out->data = NULL;
    out->size = 0;
    out->what[0] = '\0';
    if (!it->buf)
        return LW_IT_END; /* lw_iter_init failed */
    while (it->in_chunk) {
        lw_iter_kind k = next_record(it, out);
        if (k != LW_IT_END)
            return k;
    }
    return next_chunk(it, out);
}

int lw_open_log_file(const char *path, int *fd_out, size_t *size, char *err, size_t errlen)
{
    *fd_out = -1;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "%s: is a directory, expected a log file", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > LW_MAX_LOG_BYTES) {
        close(fd);
        return fail(err, errlen, "%s: file too large (%lld bytes; logs over 16 GiB are refused)",
                    path, (long long)st.st_size);
    }
    *fd_out = fd;
    *size = (size_t)st.st_size;
    return 0;
}

int lw_load_file_bytes(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    int fd;
    size_t cap;
    if (lw_open_log_file(path, &fd, &cap, err, errlen) < 0)
        return -1;
    /* read() rather than mmap: a recorder that trims a live log cannot SIGBUS us. */
    uint8_t *b = malloc(cap ? cap : 1);
    if (!b) {
        close(fd);
        return fail(err, errlen, "%s: out of memory reading %zu bytes", path, cap);
    }
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, b + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(b);
            close(fd);
            return fail(err, errlen, "%s: read error: %s", path, strerror(e));
        }
        if (r == 0)
            break; /* the file shrank while we read it: use what is there */
        got += (size_t)r;
    }
    close(fd);
    *buf = b;
    *len = got;
    return 0;
}
