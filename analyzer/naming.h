/*
 * How reports name things: locks ('a' (demo/x.c:12), or mutex #5 at 0x7ffd...), threads
 * (thread #2 "worker" (tid 12345)), code sites (func (file:line)) and stack frames. Every
 * renderer goes through here so that text, JSON and anything later call a lock or a thread the
 * same way. A namer also owns the symbolizers (one per process) and the path policy: source paths
 * are shown relative to the source root (default: the current directory) when they lie under it.
 *
 * Symbolization goes through an lw_symbol_source so unit tests can render hand-built processes
 * with invented symbols; the default source is the libdw symbolizer (symbolize.h).
 */
#ifndef LOCKWATCH_NAMING_H
#define LOCKWATCH_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "symbolize.h"

/* Where symbols come from. open() returns a per-process handle (may be NULL on failure). */
typedef struct lw_symbol_source {
    void *(*open)(const lw_process *p, void *user);
    void (*close)(void *handle, void *user);
    size_t (*pc)(void *handle, uint64_t pc, bool is_return_address, lw_frame *out, size_t max);
    bool (*data)(void *handle, uint64_t addr, lw_data_symbol *out);
    void *user;
} lw_symbol_source;

/* The libdw-backed source used by the CLI. */
extern const lw_symbol_source lw_symbols_libdw;

typedef struct lw_namer lw_namer;

/* Creates a namer. src NULL means lw_symbols_libdw; source_root NULL means the current
 * directory. */
lw_namer *lw_namer_new(const lw_symbol_source *src, const char *source_root);
void lw_namer_free(lw_namer *n);

/* Most frames a symbolized stack can expand to (inlined frames included). */
#define LW_NAMER_MAX_FRAMES (LW_MAX_FRAMES * 4)
#define LW_NAME_MAX 512

/*
 * Symbolizes stack stack_id of p into out (innermost first, inlined frames expanded), skipping
 * the shim's own frames (module ending in liblockwatch.so). Returns the number of frames, 0 for
 * an unknown stack.
 */
size_t lw_namer_stack(lw_namer *n, const lw_process *p, uint32_t stack_id, lw_frame *out,
                      size_t max);
/* The frame that best identifies where stack_id happened: the first frame with a source file
 * that is not a system header, else the first frame with a source file, else the first frame.
 * (C++'s std::mutex::lock and __gthread_mutex_lock are inlined from system headers into the
 * program: the program's own line is a few frames further out.) Returns false for an unknown or
 * empty stack. */
bool lw_namer_site(lw_namer *n, const lw_process *p, uint32_t stack_id, lw_frame *out);
/* True if file is a compiler or system header (/usr/include/..., /usr/lib/gcc/..., ...). */
bool lw_is_system_header(const char *file);

/* Everything a report says about one lock. */
typedef struct lw_lock_name {
    uint32_t id;
    const lw_lock *lock;          /* NULL if the log never defined the id */
    char name[LW_NAME_MAX];       /* "'a' (demo/x.c:12)" or "mutex #5 at 0x7ffd..." */
    char short_name[LW_NAME_MAX]; /* "'a'" or "mutex #5" */
    const char *symbol;           /* global variable name, or NULL */
    uint64_t symbol_offset;       /* address - symbol start */
    char file[LW_NAME_MAX];       /* definition site of the symbol (display path), or "" */
    int line;
    char origin[LW_NAME_MAX]; /* "first initialised at main (demo/x.c:30)", or "" */
} lw_lock_name;
void lw_namer_lock(lw_namer *n, const lw_process *p, uint32_t lock_id, lw_lock_name *out);

/* Everything a report says about one thread. */
typedef struct lw_thread_name {
    uint32_t id;
    const lw_thread *thread;   /* NULL if the log never defined the id */
    char name[LW_NAME_MAX];    /* thread #2 "worker" (tid 12345); thread #1 (main thread, tid 1) */
    char short_name[64];       /* "thread #2" */
    char created[LW_NAME_MAX]; /* "created at main (demo/x.c:40)", or "" */
} lw_thread_name;
void lw_namer_thread(lw_namer *n, const lw_process *p, uint32_t thread_id, lw_thread_name *out);

/* The namer's source root (absolute, no trailing '/'), or NULL when unknown. */
/* The global or static variable containing addr (symbolized through the namer's source), or
 * false. Strings live as long as the namer. */
bool lw_namer_data(lw_namer *n, const lw_process *p, uint64_t addr, lw_data_symbol *out);

const char *lw_namer_root(const lw_namer *n);

/* The display form of a source path: relative to the namer's root when under it. */
const char *lw_namer_path(const lw_namer *n, const char *path, char *buf, size_t len);

/* Formats a frame as "#3 func file:line (module) [inlined]" (no indentation). */
void lw_namer_format_frame(const lw_namer *n, const lw_frame *f, size_t index, char *buf,
                           size_t len);
/* Formats a site as "func (file:line)", "func (module+0x12)" or "0x1234". */
void lw_namer_format_site(const lw_namer *n, const lw_frame *f, char *buf, size_t len);

/*
 * Makes s safe to print as text, in place: control characters and bytes that are not valid
 * UTF-8 become '?'. Every name above is already sanitized; use it for other strings that come
 * from logs or binaries (paths, executable names), which may hold anything.
 */
void lw_text_sanitize(char *s);
/* Prints s to out with the same replacements, without modifying it. */
void lw_fputs_sanitized(const char *s, FILE *out);

/* Pure helpers (unit-tested). */
/* path relative to root if it lies strictly under root, else path itself (written to buf). */
const char *lw_display_path(const char *path, const char *root, char *buf, size_t len);
/* True for the shim's own module (path ending in liblockwatch.so, optionally versioned). */
bool lw_is_shim_module(const char *module_path);
/* "mutex", "rwlock", "spinlock", "semaphore", "mtx_t", or "lock" for an unknown kind. */
const char *lw_lock_kind_name(uint16_t kind);
/* The part of path after the last '/'. */
const char *lw_path_basename(const char *path);

#endif /* LOCKWATCH_NAMING_H */
