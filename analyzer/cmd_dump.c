/*
 * `lockwatch dump`: a line of text per chunk and per record of a raw log (cmd_dump.h). It walks
 * the file with the same iterator as the reader (log_iter.h), so what it shows is exactly what
 * the analyzer sees, plus the offsets, unused chunks and every damage (the reader keeps only the
 * first).
 */
#include "cmd_dump.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log_iter.h"
#include "misuse.h"

static const char usage[] =
    "usage: lockwatch dump [--help] LOG...\n"
    "Prints every chunk and record of each lockwatch log as one line of text, with its file\n"
    "offset, then any damage found. Exit status: 0 printed, 2 usage error or unreadable log.\n";

/* Prints n bytes of a recorded string, escaping anything that is not printable ASCII. */
static void put_str(FILE *out, const uint8_t *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n && s[i]; i++) {
        if (s[i] == '"' || s[i] == '\\')
            fprintf(out, "\\%c", s[i]);
        else if (s[i] >= 0x20 && s[i] < 0x7f)
            fputc(s[i], out);
        else
            fprintf(out, "\\x%02x", s[i]);
    }
    fputc('"', out);
}

/* Prints flag names joined by commas, then any unnamed bits in hex; "0" when none. */
static void put_flags(FILE *out, uint32_t flags, const char *const names[], size_t n)
{
    if (!flags) {
        fputc('0', out);
        return;
    }
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        if (names[i] && (flags & (1u << i))) {
            fprintf(out, "%s%s", sep, names[i]);
            sep = ",";
            flags &= ~(1u << i);
        }
    }
    if (flags)
        fprintf(out, "%s0x%x", sep, flags);
}

static const char *const acq_names[] = {"try", "read", "timed", "spliced"};
static const char *const stack_names[] = {"truncated", "exact-top"};
static const char *const ctx_names[] = {"held-truncated"};

static const char *kind_name(unsigned kind)
{
    static const char *const names[] = {NULL, "mutex", "rwlock", "spin", "semaphore", "c11-mtx"};
    return kind < sizeof names / sizeof names[0] && names[kind] ? names[kind] : "unknown";
}

static const char *drop_name(unsigned reason)
{
    static const char *const names[] = {
        NULL,       "lock-table-full",  "stack-depot-full", "context-set-full",
        "log-full", "thread-table-full"};
    return reason < sizeof names / sizeof names[0] && names[reason] ? names[reason] : "unknown";
}

static void dump_stack(FILE *out, const lw_iter_item *it)
{
    struct lw_rec_stack r;
    lw_record_copy(it, &r, sizeof r);
    fprintf(out, "id=%" PRIu32 " flags=", r.stack_id);
    put_flags(out, it->flags, stack_names, 2);
    fprintf(out, " frames=%" PRIu32, r.nframes);
    for (uint32_t i = 0; i < r.nframes; i++) {
        uint64_t f;
        memcpy(&f, it->data + sizeof r + (size_t)i * sizeof f, sizeof f);
        fprintf(out, " 0x%" PRIx64, f);
    }
}

static void dump_context(FILE *out, const lw_iter_item *it)
{
    struct lw_rec_context r;
    lw_record_copy(it, &r, sizeof r);
    fprintf(out, "thread=%" PRIu32 " seq=%" PRIu32 " lock=%" PRIu32 " flags=", r.thread_id, r.seq,
            r.lock_id);
    put_flags(out, r.acq_flags, acq_names, 4);
    fprintf(out, " stack=%" PRIu32, r.stack_id);
    if (it->flags) {
        fputs(" ctx=", out);
        put_flags(out, it->flags, ctx_names, 1);
    }
    fputs(" held=[", out);
    for (uint32_t i = 0; i < r.n_held; i++) {
        struct lw_held_entry h;
        memcpy(&h, it->data + sizeof r + (size_t)i * sizeof h, sizeof h);
        fprintf(out, "%s%" PRIu32 "@%" PRIu32, i ? " " : "", h.lock_id, h.stack_id);
        if (h.flags) {
            fputc('(', out);
            put_flags(out, h.flags, acq_names, 4);
            fputc(')', out);
        }
    }
    fputc(']', out);
}

static void dump_module(FILE *out, const lw_iter_item *it)
{
    struct lw_rec_module r;
    lw_record_copy(it, &r, sizeof r);
    fprintf(out, "id=%" PRIu32 " base=0x%" PRIx64 " lo=0x%" PRIx64 " hi=0x%" PRIx64 " build_id=",
            r.module_id, r.base, r.lo, r.hi);
    const uint8_t *bid = it->data + sizeof r;
    if (!r.build_id_len)
        fputc('-', out);
    for (size_t i = 0; i < r.build_id_len; i++)
        fprintf(out, "%02x", bid[i]);
    fputs(" path=", out);
    put_str(out, bid + r.build_id_len, r.path_len);
}

/* "1,2,3", "1,2,...(7)" when only the first max of n ids were recorded, or "-" for none. */
static void put_id_list(FILE *out, const uint32_t *ids, uint32_t n, uint32_t max)
{
    uint32_t shown = n < max ? n : max;
    for (uint32_t i = 0; i < shown; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", ids[i]);
    if (n > shown)
        fprintf(out, ",...(%" PRIu32 ")", n);
    if (!n)
        fputc('-', out);
}

static const char *detector_name(unsigned d)
{
    static const char *const names[] = {NULL, "wait-cycle", "self-relock", "all-blocked"};
    return d < sizeof names / sizeof names[0] && names[d] ? names[d] : "unknown";
}

static const char *wait_name(unsigned w)
{
    static const char *const names[] = {"none", "mutex", "join", "cond"};
    return w < sizeof names / sizeof names[0] ? names[w] : "unknown";
}

static void dump_deadlock(FILE *out, const lw_iter_item *it)
{
    struct lw_rec_deadlock r;
    lw_record_copy(it, &r, sizeof r);
    fprintf(out, "detector=%s threads=%" PRIu32 " t=%" PRIu64, detector_name(r.detector),
            r.n_threads, r.monotonic_ns);
    for (uint32_t i = 0; i < r.n_threads; i++) {
        struct lw_deadlock_entry e;
        memcpy(&e, it->data + sizeof r + (size_t)i * sizeof e, sizeof e);
        fprintf(out,
                " [thread=%" PRIu32 " wait=%s lock=%" PRIu32 " target=%" PRIu32 " stack=%" PRIu32
                " addr=0x%" PRIx64 " waited_ns=%" PRIu64 " held=",
                e.thread_id, wait_name(e.wait_kind), e.lock_id, e.target_thread, e.stack_id,
                e.wait_addr, e.wait_ns);
        /* n_held counts every lock held; only the first LW_DEADLOCK_MAX_HELD are listed. */
        put_id_list(out, e.held, e.n_held, LW_DEADLOCK_MAX_HELD);
        fputc(']', out);
    }
}

static void dump_misuse(FILE *out, const lw_iter_item *it)
{
    struct lw_rec_misuse r;
    lw_record_copy(it, &r, sizeof r);
    fprintf(out,
            "misuse=%s thread=%" PRIu32 " lock=%" PRIu32 " kind=%s stack=%" PRIu32
            " other_thread=%" PRIu32 " other_lock=%" PRIu32 " addr=0x%" PRIx64
            " other_addr=0x%" PRIx64,
            lw_misuse_subkind(r.misuse), r.thread_id, r.lock_id,
            r.lock_kind ? kind_name(r.lock_kind) : "condvar", r.stack_id, r.other_thread,
            r.other_lock_id, r.address, r.other_address);
}

/* One side of a RACE record: thread, r/w (+rmw), stack, bytes and held lock ids. */
static void dump_race_access(FILE *out, const char *name, const struct lw_race_access *a)
{
    fprintf(out,
            " %s=[thread=%" PRIu32 " %s%s%s stack=%" PRIu32 " addr=0x%" PRIx64 "+%" PRIu32
            " locks=",
            name, a->thread_id, (a->flags & LW_RACE_ACC_WRITE) ? "write" : "read",
            (a->flags & LW_RACE_ACC_RMW) ? ",rmw" : "",
            (a->flags & LW_RACE_ACC_TOP_ONLY) ? ",top-only" : "", a->stack_id, a->address, a->size);
    put_id_list(out, a->locks, a->n_locks, LW_RACE_MAX_LOCKS);
    fputc(']', out);
}

static void dump_race(FILE *out, const lw_iter_item *it)
{
    struct lw_rec_race r;
    lw_record_copy(it, &r, sizeof r);
    fprintf(out, "addr=0x%" PRIx64 " size=%" PRIu32 "%s", r.address, r.size,
            (it->flags & LW_RACE_PREDICTIVE) ? " predictive" : "");
    dump_race_access(out, "cur", &r.cur);
    dump_race_access(out, "prev", &r.prev);
}

static void dump_tls_access(FILE *out, const lw_iter_item *it)
{
    struct lw_rec_tls_access r;
    lw_record_copy(it, &r, sizeof r);
    fprintf(out,
            "kind=%s region=%s thread=%" PRIu32 " owner=%" PRIu32 " stack=%" PRIu32
            " exit_stack=%" PRIu32 " %s size=%" PRIu32 " addr=0x%" PRIx64 " tls_image=0x%" PRIx64
            " tls_offset=0x%" PRIx64,
            r.kind == LW_TLS_CROSS_THREAD ? "cross-thread"
            : r.kind == LW_TLS_AFTER_EXIT ? "after-exit"
                                          : "unknown",
            r.region == LW_TLS_REGION_TLS     ? "tls"
            : r.region == LW_TLS_REGION_STACK ? "stack"
                                              : "?",
            r.thread_id, r.owner_thread, r.stack_id, r.owner_exit_stack,
            (r.h.flags & LW_TLS_ACCESS_WRITE) ? "write" : "read", r.size, r.address, r.tls_image,
            r.tls_offset);
}

static void dump_fork_held(FILE *out, const lw_iter_item *it)
{
    struct lw_rec_fork_held r;
    lw_record_copy(it, &r, sizeof r);
    fprintf(out, "parent_pid=%" PRIu64 " n=%" PRIu32 " held=[", r.parent_pid, r.n);
    for (uint32_t i = 0; i < r.n; i++) {
        struct lw_fork_held_entry e;
        memcpy(&e, it->data + sizeof r + (size_t)i * sizeof e, sizeof e);
        fprintf(out, "%slock=%" PRIu32 "@thread=%" PRIu32 "@0x%" PRIx64, i ? " " : "", e.lock_id,
                e.holder_thread, e.address);
    }
    fputc(']', out);
}

/* Prints the fields of one well-formed record (after its offset and type name). */
static void dump_record(FILE *out, const lw_iter_item *it)
{
    switch (it->type) {
    case LW_REC_PROCESS: {
        struct lw_rec_process r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out, "pid=%" PRIu64 " ppid=%" PRIu64 " exe=", r.pid, r.ppid);
        put_str(out, it->data + sizeof r, r.exe_len);
        break;
    }
    case LW_REC_MODULE:
        dump_module(out, it);
        break;
    case LW_REC_STACK:
        dump_stack(out, it);
        break;
    case LW_REC_THREAD_START: {
        struct lw_rec_thread_start r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out,
                "thread=%" PRIu32 " parent=%" PRIu32 " parent_seq=%" PRIu32 " create_stack=%" PRIu32
                " os_tid=%" PRIu64 " pthread=0x%" PRIx64 " t=%" PRIu64,
                r.thread_id, r.parent_id, r.parent_seq, r.create_stack, r.os_tid, r.pthread_self,
                r.monotonic_ns);
        break;
    }
    case LW_REC_THREAD_JOIN: {
        struct lw_rec_thread_join r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out,
                "joiner=%" PRIu32 " joiner_seq=%" PRIu32 " joinee=%" PRIu32 " stack=%" PRIu32
                " t=%" PRIu64,
                r.joiner_id, r.joiner_seq, r.joinee_id, r.stack_id, r.monotonic_ns);
        break;
    }
    case LW_REC_THREAD_EXIT: {
        struct lw_rec_thread_exit r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out, "thread=%" PRIu32 " final_seq=%" PRIu32 " held=%" PRIu32 " t=%" PRIu64,
                r.thread_id, r.final_seq, r.held_count, r.monotonic_ns);
        break;
    }
    case LW_REC_LOCK: {
        struct lw_rec_lock r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out,
                "id=%" PRIu32 " kind=%s flags=0x%" PRIx32 " init_stack=%" PRIu32 " addr=0x%" PRIx64
                " class_pc=0x%" PRIx64,
                r.lock_id, kind_name(r.kind), r.flags, r.init_stack, r.address, r.class_pc);
        break;
    }
    case LW_REC_CONTEXT:
        dump_context(out, it);
        break;
    case LW_REC_THREAD_NAME: {
        struct lw_rec_thread_name r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out, "thread=%" PRIu32 " name=", r.thread_id);
        put_str(out, (const uint8_t *)r.name, sizeof r.name);
        break;
    }
    case LW_REC_DROPPED: {
        struct lw_rec_dropped r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out, "reason=%s count=%" PRIu64, drop_name(r.reason), r.count);
        break;
    }
    case LW_REC_END: {
        struct lw_rec_end r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out,
                "status=%" PRId32 " threads=%" PRIu32 " lock_ops=%" PRIu64 " contexts=%" PRIu64
                " stacks=%" PRIu64 " t=%" PRIu64,
                r.exit_status, r.threads, r.lock_ops, r.contexts, r.stacks, r.monotonic_ns);
        break;
    }
    case LW_REC_DEADLOCK:
        dump_deadlock(out, it);
        break;
    case LW_REC_MISUSE:
        dump_misuse(out, it);
        break;
    case LW_REC_SYNC: {
        struct lw_rec_sync r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out,
                "kind=%s from=%" PRIu32 "@%" PRIu32 " to=%" PRIu32 "@%" PRIu32 " lock=%" PRIu32
                " addr=0x%" PRIx64,
                r.kind == LW_SYNC_SEM_HANDOFF ? "sem-handoff" : "unknown", r.from_thread,
                r.from_seq, r.to_thread, r.to_seq, r.lock_id, r.object);
        break;
    }
    case LW_REC_LOCK_LIKE: {
        struct lw_rec_lock_like r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out, "lock=%" PRIu32, r.lock_id);
        break;
    }
    case LW_REC_SEM_SIGNAL: {
        struct lw_rec_sem_signal r;
        lw_record_copy(it, &r, sizeof r);
        fprintf(out, "lock=%" PRIu32, r.lock_id);
        break;
    }
    case LW_REC_FORK_HELD:
        dump_fork_held(out, it);
        break;
    case LW_REC_TLS_ACCESS:
        dump_tls_access(out, it);
        break;
    case LW_REC_RACE:
        dump_race(out, it);
        break;
    default:
        fprintf(out, "type=%u flags=0x%x size=%" PRIu32, it->type, it->flags, it->size);
    }
}

/* The header's flags as names ("clean-end,exec"), unknown bits in hex, "0" for none. */
static void format_file_flags(char *buf, size_t cap, uint32_t flags)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } known[] = {{LW_FILE_CLEAN_END, "clean-end"},
                 {LW_FILE_INCOMPLETE, "incomplete"},
                 {LW_FILE_EXEC, "exec"}};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (flags & known[i].bit) {
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", known[i].name);
            flags &= ~known[i].bit;
        }
    if (flags)
        snprintf(buf + n, cap - n, "%s0x%" PRIx32, n ? "," : "", flags);
    else if (!n)
        snprintf(buf, cap, "0");
}

int lw_dump_buffer(FILE *out, const void *buf, size_t len, const char *name, char *err,
                   size_t errlen)
{
    lw_log_iter iter;
    char why[200];
    if (lw_iter_init(&iter, buf, len, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", name, why);
        return -1;
    }
    const struct lw_file_header *h = &iter.hdr;
    char flags[96];
    format_file_flags(flags, sizeof flags, h->flags);
    fprintf(out,
            "%s: lockwatch log v%u.%u size=%zu pid=%" PRIu64 " ppid=%" PRIu64
            " header_size=%" PRIu32 " chunk_size=%" PRIu32 " features=0x%" PRIx32
            " flags=%s start_realtime_ns=%" PRIu64 " start_monotonic_ns=%" PRIu64 "\n",
            name, h->version_major, h->version_minor, len, h->pid, h->ppid, h->header_size,
            h->chunk_size, h->features, flags, h->start_realtime_ns, h->start_monotonic_ns);
    lw_iter_item it;
    size_t records = 0, damages = 0;
    while (lw_iter_next(&iter, &it) != LW_IT_END) {
        switch (it.kind) {
        case LW_IT_CHUNK:
            fprintf(out, "chunk @%zu thread=%" PRIu32 " seq=%" PRIu32 " size=%" PRIu32 "\n",
                    it.offset, it.chunk.thread_id, it.chunk.seq, it.chunk.size);
            break;
        case LW_IT_RECORD: {
            const char *tn = lw_record_type_name(it.type);
            fprintf(out, "  @%zu %s ", it.offset, tn ? tn : "UNKNOWN");
            dump_record(out, &it);
            fputc('\n', out);
            records++;
            break;
        }
        case LW_IT_DAMAGE:
            fprintf(out, "DAMAGE %s: offset %zu: %s\n", name, it.offset, it.what);
            damages++;
            break;
        case LW_IT_END:
            break;
        }
    }
    fprintf(out, "end: %zu records, %zu unused chunk units, %zu damaged places\n", records,
            iter.unused_units, damages);
    return 0;
}

int lw_cmd_dump(int argc, char **argv)
{
    int first = 1;
    for (; first < argc; first++) {
        const char *a = argv[first];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(a, "--") == 0) {
            first++;
            break;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "lockwatch: dump: unknown option '%s'\n%s", a, usage);
            return 2;
        }
        break;
    }
    if (first >= argc) {
        fprintf(stderr, "lockwatch: dump: no log given\n%s", usage);
        return 2;
    }
    int status = 0;
    for (int i = first; i < argc; i++) {
        char err[512];
        uint8_t *buf;
        size_t len;
        int rc = lw_load_file_bytes(argv[i], &buf, &len, err, sizeof err);
        if (rc == 0) {
            rc = lw_dump_buffer(stdout, buf, len, argv[i], err, sizeof err);
            free(buf);
        }
        if (rc < 0) {
            fflush(stdout); /* keep the error after what was printed before it */
            fprintf(stderr, "lockwatch: %s\n", err);
            status = 2;
        }
    }
    fflush(stdout);
    return status;
}
