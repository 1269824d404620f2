/*
 * A bump allocator for the many small, same-lifetime arrays the log reader makes (the held
 * lists of contexts): one malloc per block instead of one per record, no per-allocation header,
 * and one call to free them all. Only the most recent allocation can be given back
 * (lw_arena_undo), which is what the reader needs to drop a context it found to be a duplicate.
 */
#ifndef LOCKWATCH_ARENA_H
#define LOCKWATCH_ARENA_H

#include <stddef.h>

typedef struct lw_arena lw_arena;

/* A new, empty arena. Aborts when out of memory (analyzer policy). */
lw_arena *lw_arena_new(void);

/* size bytes aligned for any object, valid until lw_arena_free; size 0 gives a valid pointer. */
void *lw_arena_alloc(lw_arena *a, size_t size);

/* size bytes aligned for an array of uint32_t (or of structs of them, as lw_held): no padding
 * between consecutive such allocations, where lw_arena_alloc would round each to max_align_t. */
void *lw_arena_alloc_u32(lw_arena *a, size_t size);

/* Gives back the last allocation of `size` bytes (it must be the latest one). */
void lw_arena_undo(lw_arena *a, size_t size);

/* Frees every block (safe on NULL). */
void lw_arena_free(lw_arena *a);

#endif /* LOCKWATCH_ARENA_H */
