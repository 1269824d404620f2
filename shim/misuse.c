/*
 * API-misuse records: the shim notices a misuse where the information is (the wrapper, before
 * or after the real call), writes one MISUSE record, and passes the call through unchanged.
 * Each (misuse, lock, call site) is recorded once per thread (the thread's context set doubles
 * as the dedup set), so a misuse in a loop costs one record.
 */
#include <errno.h>
#include <string.h>

#include "shim.h"

#define MISUSE_KEY_SALT 0x6d69737573652121ULL

uint32_t lw_thread_id_by_tid(uint64_t os_tid)
{
    if (!os_tid)
        return 0;
    int high = lw_registry_high();
    for (int i = 0; i < high; i++) {
        struct lw_thread *t = lw_registry_at(i);
        if (t && t->os_tid == os_tid)
            return t->id;
    }
    return 0;
}

void lw_misuse(struct lw_thread *t, const struct lw_misuse_info *m, uintptr_t ret_pc)
{
    uint64_t key =
        lw_mix(MISUSE_KEY_SALT ^ ((uint64_t)m->misuse << 48) ^ m->address ^ lw_mix(ret_pc));
    if (lw_ctx_test_and_set(t, key ? key : 1))
        return;
    int saved = errno;
    uint32_t stack = lw_stack_capture();
    lw_stack_ensure_written(t, stack);
    if (m->lock_id)
        lw_lock_describe(t, m->address, m->lock_id, m->lock_kind);
    if (m->other_lock_id)
        lw_lock_describe(t, m->other_address, m->other_lock_id, LW_LOCK_MUTEX);
    struct lw_rec_misuse *r = lw_log_reserve(t, sizeof *r);
    if (r) {
        r->misuse = m->misuse;
        r->thread_id = t->id;
        r->lock_id = m->lock_id;
        r->stack_id = stack;
        r->other_thread = m->other_thread;
        r->other_lock_id = m->other_lock_id;
        r->lock_kind = m->lock_kind;
        r->address = m->address;
        r->other_address = m->other_address;
        lw_log_publish(t, r, LW_REC_MISUSE, 0, sizeof *r);
    }
    errno = saved;
}
