/*
 * Bump allocator (arena.h). Blocks grow geometrically from 64 KiB to 4 MiB, so a small log costs
 * little and a large one few mallocs; an allocation larger than a block gets a block of its own.
 */
#include "arena.h"
#include "xalloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FIRST_BLOCK ((size_t)64 << 10)
#define MAX_BLOCK ((size_t)4 << 20)
#define ALIGN (alignof(max_align_t))
#define SMALL_ALIGN ((size_t)4) /* the granule of every allocation: sizes round up to it */

typedef struct block {
    struct block *prev;
    size_t cap, used;
    alignas(max_align_t) unsigned char data[];
} block;

struct lw_arena {
    block *top;
    size_t next_cap;
};

lw_arena *lw_arena_new(void)
{
    lw_arena *a = xmalloc(sizeof *a);
    a->top = NULL;
    a->next_cap = FIRST_BLOCK;
    return a;
}

/* size bytes at a multiple of align (a power of two, at most ALIGN) from the top block, or
 * from a new block when it has no room. */
static void *arena_alloc(lw_arena *a, size_t size, size_t align)
{
    size_t need = (size + SMALL_ALIGN - 1) & ~(SMALL_ALIGN - 1);
    if (need < size)
        abort(); /* wrapped: no caller asks for that much */
    block *b = a->top;
    size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
    if (!b || at > b->cap || b->cap - at < need) {
        size_t cap = a->next_cap;
        if (cap < need)
            cap = need;
        if (a->next_cap < MAX_BLOCK)
            a->next_cap *= 2;
        if (cap > SIZE_MAX - sizeof *b)
            abort();
        b = xmalloc(sizeof *b + cap);
        b->cap = cap;
        b->used = 0;
        b->prev = a->top;
        a->top = b;
        at = 0;
    }
    void *p = b->data + at;
    b->used = at + need;
    return p;
}

void *lw_arena_alloc(lw_arena *a, size_t size)
{
    return arena_alloc(a, size, ALIGN);
}

void *lw_arena_alloc_u32(lw_arena *a, size_t size)
{
    return arena_alloc(a, size, SMALL_ALIGN);
}

void lw_arena_undo(lw_arena *a, size_t size)
{
    size_t need = (size + SMALL_ALIGN - 1) & ~(SMALL_ALIGN - 1);
    /* The block may have been fresh for this allocation: it then just stays, empty, for the
     * next one. Padding before an aligned allocation stays used: a few bytes, harmless. */
    if (a && a->top && a->top->used >= need)
        a->top->used -= need;
}

void lw_arena_free(lw_arena *a)
{
    if (!a)
        return;
    for (block *b = a->top; b;) {
        block *prev = b->prev;
        free(b);
        b = prev;
    }
    free(a);
}
