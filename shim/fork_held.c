/*
 * Locks held by other threads at fork(). In the child those threads do not exist, so their
 * locks stay locked for ever: taking one there hangs. The fork handler collects them (from the
 * other threads' held lists, read while they are frozen by fork) into the child's log and a
 * small table; a blocking lock call in the child that hits the table is reported as a misuse
 * before it blocks.
 */
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define FORK_HELD_MAX 256

static struct lw_fork_held_entry fork_held[FORK_HELD_MAX];
static uint32_t n_fork_held;
static uint64_t fork_parent_pid;

void lw_fork_collect_held(struct lw_thread *self)
{
    n_fork_held = 0;
    fork_parent_pid = (uint64_t)getppid();
    int high = lw_registry_high();
    for (int i = 0; i < high && n_fork_held < FORK_HELD_MAX; i++) {
        struct lw_thread *t = lw_registry_at(i);
        if (!t || t == self || t->exited)
            continue;
        uint32_t n = t->n_held;
        if (t->held != t->held_inline || n > sizeof t->held_inline / sizeof t->held_inline[0])
            n = 0; /* only the inline part is safe to read here */
        for (uint32_t j = 0; j < n && n_fork_held < FORK_HELD_MAX; j++) {
            struct lw_fork_held_entry *e = &fork_held[n_fork_held++];
            e->lock_id = t->held_inline[j].lock_id;
            e->holder_thread = t->id;
            e->address = t->held_inline[j].addr;
        }
    }
}

void lw_fork_write_held(struct lw_thread *t)
{
    if (!n_fork_held)
        return;
    for (uint32_t i = 0; i < n_fork_held; i++)
        lw_lock_describe(t, (uintptr_t)fork_held[i].address, fork_held[i].lock_id, LW_LOCK_MUTEX);
    uint32_t size = (uint32_t)(sizeof(struct lw_rec_fork_held) + n_fork_held * sizeof fork_held[0]);
    struct lw_rec_fork_held *r = lw_log_reserve(t, size);
    if (!r)
        return;
    r->parent_pid = fork_parent_pid;
    r->n = n_fork_held;
    memcpy(r + 1, fork_held, n_fork_held * sizeof fork_held[0]);
    lw_log_publish(t, r, LW_REC_FORK_HELD, 0, size);
}

void lw_check_fork_held(struct lw_thread *t, uintptr_t addr)
{
    if (LW_LIKELY(!n_fork_held))
        return;
    for (uint32_t i = 0; i < n_fork_held; i++) {
        if (fork_held[i].address != addr)
            continue;
        if (lw_enter() != t)
            return;
        struct lw_misuse_info mi = {.misuse = LW_MISUSE_FORK_HELD,
                                    .lock_id = fork_held[i].lock_id,
                                    .lock_kind = LW_LOCK_MUTEX,
                                    .other_thread = fork_held[i].holder_thread,
                                    .address = addr};
        lw_misuse(t, &mi, (uintptr_t)__builtin_return_address(0));
        lw_leave();
        return;
    }
}
