/*
 * Offline symbolization with elfutils' libdw: turns the raw return addresses and the module map
 * of a log into function, file:line (inlined frames included), and data addresses into global
 * variable names with their definition site. Works any time after the run, as long as the
 * binaries (or their separate debug info under /usr/lib/debug) are still there; a module whose
 * file changed (build-id mismatch) is not symbolized rather than symbolized wrongly.
 */
#ifndef LOCKWATCH_SYMBOLIZE_H
#define LOCKWATCH_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct lw_symbolizer lw_symbolizer;

/* One symbolized frame. Strings are owned by the symbolizer and live as long as it does. */
typedef struct lw_frame {
    uint64_t pc;            /* the address as recorded */
    const char *function;   /* demangled where possible; NULL if unknown */
    const char *file;       /* source file, NULL if unknown */
    int line;               /* 0 if unknown */
    int column;             /* 0 if unknown */
    const char *module;     /* path of the module, NULL if the pc is in none */
    uint64_t module_offset; /* pc - module base */
    bool inlined;           /* this frame was inlined into the next one */
} lw_frame;

/* A global (or static) variable found at a data address. */
typedef struct lw_data_symbol {
    const char *name;
    uint64_t start; /* runtime address of the variable */
    uint64_t size;
    const char *file; /* definition site, NULL if no debug info */
    int line;
    const char *module;
} lw_data_symbol;

/* Creates a symbolizer for one process's module map. Never fails: unknown modules symbolize to
 * raw addresses. */
lw_symbolizer *lw_symbolizer_new(const lw_process *proc);
void lw_symbolizer_free(lw_symbolizer *s);

/*
 * Symbolizes one recorded frame. is_return_address: the pc is a return address (look up pc-1).
 * Writes up to max frames, innermost (deepest inlined) first, and returns how many; at least 1
 * when max >= 1 (a frame with only pc and module when nothing better is known).
 */
size_t lw_symbolize_pc(lw_symbolizer *s, uint64_t pc, bool is_return_address, lw_frame *out,
                       size_t max);

/* Finds the global/static variable containing addr. Returns false if none. */
bool lw_symbolize_data(lw_symbolizer *s, uint64_t addr, lw_data_symbol *out);

/*
 * Names a thread-local variable: the STT_TLS symbol of the module containing module_addr (any
 * address inside it, e.g. its TLS initialisation image) that covers `offset` in the module's
 * TLS block. out->start and out->size are the symbol's offset and size in the block (not
 * runtime addresses); file and line are not filled. Returns false if none.
 */
bool lw_symbolize_tls(lw_symbolizer *s, uint64_t module_addr, uint64_t offset, lw_data_symbol *out);

#endif /* LOCKWATCH_SYMBOLIZE_H */
