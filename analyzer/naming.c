/*
 * Naming of locks, threads, sites and frames for every renderer (see naming.h). The namer keeps
 * one symbolizer per process because module maps differ between processes (fork + exec, ASLR).
 */
#include "naming.h"
#include "json_writer.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * snprintf into a fixed name buffer. Names longer than the buffer are cut: a truncated name in
 * a report beats a failed report. (A wrapper also keeps gcc's -Wformat-truncation, which cannot
 * see that cutting is intended, quiet.)
 */
__attribute__((format(printf, 3, 4))) static void put(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    /* Names are built from log and debug-info strings: never let raw bytes reach a terminal. */
    lw_text_sanitize(buf);
}

void lw_text_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = (*p < 0x20 || *p == 0x7f) ? 0 : lw_utf8_seq_len(p);
        if (n == 0) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

void lw_fputs_sanitized(const char *s, FILE *out)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = (*p < 0x20 || *p == 0x7f) ? 0 : lw_utf8_seq_len(p);
        if (n == 0) {
            fputc('?', out);
            p++;
            continue;
        }
        fwrite(p, 1, n, out);
        p += n;
    }
}

typedef struct namer_proc {
    const lw_process *proc;
    void *handle;
} namer_proc;

struct lw_namer {
    lw_symbol_source src;
    char *root; /* without trailing '/', or NULL when unknown */
    namer_proc *procs;
    size_t n_procs;
};

static void *libdw_open(const lw_process *p, void *user)
{
    (void)user;
    return lw_symbolizer_new(p);
}

static void libdw_close(void *h, void *user)
{
    (void)user;
    lw_symbolizer_free(h);
}

static size_t libdw_pc(void *h, uint64_t pc, bool is_ret, lw_frame *out, size_t max)
{
    return lw_symbolize_pc(h, pc, is_ret, out, max);
}

static bool libdw_data(void *h, uint64_t addr, lw_data_symbol *out)
{
    return lw_symbolize_data(h, addr, out);
}

const lw_symbol_source lw_symbols_libdw = {libdw_open, libdw_close, libdw_pc, libdw_data, NULL};

lw_namer *lw_namer_new(const lw_symbol_source *src, const char *source_root)
{
    lw_namer *n = xcalloc(1, sizeof *n);
    n->src = src ? *src : lw_symbols_libdw;
    char *root = source_root ? realpath(source_root, NULL) : getcwd(NULL, 0);
    if (!root && source_root)
        root = strdup(source_root);
    if (root) {
        size_t len = strlen(root);
        while (len > 1 && root[len - 1] == '/')
            root[--len] = '\0';
    }
    n->root = root;
    return n;
}

void lw_namer_free(lw_namer *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_procs; i++)
        if (n->procs[i].handle && n->src.close)
            n->src.close(n->procs[i].handle, n->src.user);
    free(n->procs);
    free(n->root);
    free(n);
}

/* The symbol handle for p, opened on first use. */
static void *handle_for(lw_namer *n, const lw_process *p)
{
    for (size_t i = 0; i < n->n_procs; i++)
        if (n->procs[i].proc == p)
            return n->procs[i].handle;
    namer_proc *grown = xrealloc(n->procs, (n->n_procs + 1) * sizeof *grown);
    n->procs = grown;
    n->procs[n->n_procs].proc = p;
    n->procs[n->n_procs].handle = n->src.open ? n->src.open(p, n->src.user) : NULL;
    return n->procs[n->n_procs++].handle;
}

const char *lw_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const char *lw_display_path(const char *path, const char *root, char *buf, size_t len)
{
    if (!path)
        return NULL;
    const char *shown = path;
    if (root && *root && path[0] == '/') {
        size_t rl = strlen(root);
        if (strcmp(root, "/") == 0)
            rl = 0; /* everything is under "/": strip just the leading slash */
        if (strncmp(path, root, rl) == 0 && path[rl] == '/' && path[rl + 1] != '\0')
            shown = path + rl + 1;
    }
    put(buf, len, "%s", shown);
    return buf;
}

bool lw_is_shim_module(const char *module_path)
{
    if (!module_path)
        return false;
    const char *base = lw_path_basename(module_path);
    /* liblockwatch.so, or an installed liblockwatch.so.1 / .so.0.1.0 */
    return strncmp(base, "liblockwatch.so", 15) == 0 && (base[15] == '\0' || base[15] == '.');
}

const char *lw_lock_kind_name(uint16_t kind)
{
    switch (kind) {
    case LW_LOCK_MUTEX:
        return "mutex";
    case LW_LOCK_RWLOCK:
        return "rwlock";
    case LW_LOCK_SPIN:
        return "spinlock";
    case LW_LOCK_SEMAPHORE:
        return "semaphore";
    case LW_LOCK_C11_MTX:
        return "mtx_t";
    default:
        return "lock";
    }
}

const char *lw_namer_root(const lw_namer *n)
{
    return n ? n->root : NULL;
}

const char *lw_namer_path(const lw_namer *n, const char *path, char *buf, size_t len)
{
    return lw_display_path(path, n ? n->root : NULL, buf, len);
}

size_t lw_namer_stack(lw_namer *n, const lw_process *p, uint32_t stack_id, lw_frame *out,
                      size_t max)
{
    const lw_stack *st = stack_id ? lw_process_stack(p, stack_id) : NULL;
    if (!st || !n->src.pc)
        return 0;
    void *h = handle_for(n, p);
    size_t k = 0;
    for (uint32_t i = 0; i < st->nframes && k < max; i++) {
        /* Only the exact-top frame is a pc; every other frame is a return address, whose call
         * instruction lies before it (the symbolizer looks up pc - 1). */
        bool is_ret = !(i == 0 && (st->flags & LW_STACK_EXACT_TOP));
        lw_frame tmp[16];
        size_t got = n->src.pc(h, st->frames[i], is_ret, tmp, sizeof tmp / sizeof tmp[0]);
        if (got == 0) {
            memset(&tmp[0], 0, sizeof tmp[0]);
            tmp[0].pc = st->frames[i];
            got = 1;
        }
        if (lw_is_shim_module(tmp[0].module))
            continue;
        for (size_t j = 0; j < got && k < max; j++)
            out[k++] = tmp[j];
    }
    return k;
}

/* Writes absolute path `in` to out with "." and ".." components resolved by text alone (no
 * symlinks followed): clang records libstdc++'s headers as
 * "/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/...". False if it does not
 * fit or is not absolute. */
static bool lexically_normal(const char *in, char *out, size_t len)
{
    if (in[0] != '/' || len < 2)
        return false;
    size_t n = 0;
    out[n++] = '/';
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t k = end ? (size_t)(end - p) : strlen(p);
        if (k == 0 || (k == 1 && p[0] == '.')) {
            /* empty or "." */
        } else if (k == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 1 && out[n - 1] != '/')
                n--; /* drop the last component */
            if (n > 1)
                n--; /* and its slash */
        } else {
            if (n + (n > 1) + k >= len)
                return false;
            if (n > 1)
                out[n++] = '/';
            memcpy(out + n, p, k);
            n += k;
        }
        p += k;
    }
    out[n] = '\0';
    return true;
}

bool lw_is_system_header(const char *file)
{
    static const char *const dirs[] = {"/usr/include/", "/usr/local/include/", "/usr/lib/gcc/",
                                       "/usr/lib/llvm-"};
    char path[4096];
    if (!file || !lexically_normal(file, path, sizeof path))
        return false;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
            return true;
    return false;
}

bool lw_namer_site(lw_namer *n, const lw_process *p, uint32_t stack_id, lw_frame *out)
{
    lw_frame frames[LW_NAMER_MAX_FRAMES];
    size_t nf = lw_namer_stack(n, p, stack_id, frames, LW_NAMER_MAX_FRAMES);
    if (nf == 0)
        return false;
    const lw_frame *with_file = NULL;
    for (size_t i = 0; i < nf; i++) {
        if (!frames[i].file)
            continue;
        if (!lw_is_system_header(frames[i].file)) {
            *out = frames[i];
            return true;
        }
        if (!with_file)
            with_file = &frames[i];
    }
    *out = with_file ? *with_file : frames[0];
    return true;
}

void lw_namer_format_site(const lw_namer *n, const lw_frame *f, char *buf, size_t len)
{
    char path[LW_NAME_MAX];
    const char *fn = f->function ? f->function : "??";
    if (f->file) {
        lw_namer_path(n, f->file, path, sizeof path);
        if (f->line > 0)
            put(buf, len, "%s (%s:%d)", fn, path, f->line);
        else
            put(buf, len, "%s (%s)", fn, path);
    } else if (f->module) {
        put(buf, len, "%s (%s+0x%" PRIx64 ")", fn, lw_path_basename(f->module), f->module_offset);
    } else {
        put(buf, len, "0x%" PRIx64, f->pc);
    }
}

void lw_namer_format_frame(const lw_namer *n, const lw_frame *f, size_t index, char *buf,
                           size_t len)
{
    char loc[LW_NAME_MAX + 32];
    char path[LW_NAME_MAX];
    if (f->file) {
        lw_namer_path(n, f->file, path, sizeof path);
        if (f->line > 0)
            put(loc, sizeof loc, " %s:%d", path, f->line);
        else
            put(loc, sizeof loc, " %s", path);
    } else {
        loc[0] = '\0';
    }
    char mod[LW_NAME_MAX];
    if (f->module && f->file)
        put(mod, sizeof mod, " (%s)", lw_path_basename(f->module));
    else if (f->module)
        put(mod, sizeof mod, " (%s+0x%" PRIx64 ")", lw_path_basename(f->module), f->module_offset);
    else
        mod[0] = '\0';
    char fn[64];
    const char *func = f->function;
    if (!func) {
        put(fn, sizeof fn, "0x%" PRIx64, f->pc);
        func = fn;
    }
    put(buf, len, "#%zu %s%s%s%s", index, func, loc, mod, f->inlined ? " [inlined]" : "");
}

bool lw_namer_data(lw_namer *n, const lw_process *p, uint64_t addr, lw_data_symbol *out)
{
    memset(out, 0, sizeof *out);
    void *h = handle_for(n, p);
    return n->src.data && n->src.data(h, addr, out) && out->name;
}

void lw_namer_lock(lw_namer *n, const lw_process *p, uint32_t lock_id, lw_lock_name *out)
{
    memset(out, 0, sizeof *out);
    out->id = lock_id;
    const lw_lock *l = lw_process_lock(p, lock_id);
    out->lock = l;
    if (!l) {
        put(out->name, sizeof out->name, "lock #%" PRIu32 " (not defined in the log)", lock_id);
        put(out->short_name, sizeof out->short_name, "lock #%" PRIu32, lock_id);
        return;
    }
    lw_data_symbol sym;
    memset(&sym, 0, sizeof sym);
    void *h = handle_for(n, p);
    if (n->src.data && n->src.data(h, l->address, &sym) && sym.name) {
        out->symbol = sym.name;
        out->symbol_offset = l->address - sym.start;
        if (out->symbol_offset)
            put(out->short_name, sizeof out->short_name, "'%s+0x%" PRIx64 "'", sym.name,
                out->symbol_offset);
        else
            put(out->short_name, sizeof out->short_name, "'%s'", sym.name);
        if (sym.file) {
            lw_namer_path(n, sym.file, out->file, sizeof out->file);
            out->line = sym.line;
            if (sym.line > 0)
                put(out->name, sizeof out->name, "%s (%s:%d)", out->short_name, out->file,
                    sym.line);
            else
                put(out->name, sizeof out->name, "%s (%s)", out->short_name, out->file);
        } else {
            put(out->name, sizeof out->name, "%s", out->short_name);
        }
    } else {
        put(out->short_name, sizeof out->short_name, "%s #%" PRIu32, lw_lock_kind_name(l->kind),
            lock_id);
        put(out->name, sizeof out->name, "%s at 0x%" PRIx64, out->short_name, l->address);
    }
    lw_frame site;
    if (lw_namer_site(n, p, l->init_stack, &site)) {
        char where[LW_NAME_MAX];
        lw_namer_format_site(n, &site, where, sizeof where);
        put(out->origin, sizeof out->origin, "%s at %s",
            (l->flags & LW_LOCKF_STATIC) ? "first used" : "first initialised", where);
    }
}

void lw_namer_thread(lw_namer *n, const lw_process *p, uint32_t thread_id, lw_thread_name *out)
{
    memset(out, 0, sizeof *out);
    out->id = thread_id;
    put(out->short_name, sizeof out->short_name, "thread #%" PRIu32, thread_id);
    const lw_thread *t = lw_process_thread(p, thread_id);
    out->thread = t;
    if (!t) {
        put(out->name, sizeof out->name, "%s", out->short_name);
        return;
    }
    /* The recorded name is a fixed 16-byte field: never trust it to be terminated. */
    char tname[sizeof t->name + 1];
    memcpy(tname, t->name, sizeof t->name);
    tname[sizeof t->name] = '\0';
    char quoted[sizeof tname + 4] = "";
    if (tname[0])
        put(quoted, sizeof quoted, " \"%s\"", tname);
    put(out->name, sizeof out->name, "%s%s (%stid %" PRIu64 ")", out->short_name, quoted,
        thread_id == 1 ? "main thread, " : "", t->os_tid);
    lw_frame site;
    if (lw_namer_site(n, p, t->create_stack, &site)) {
        char where[LW_NAME_MAX];
        lw_namer_format_site(n, &site, where, sizeof where);
        put(out->created, sizeof out->created, "created at %s", where);
    }
}
