/*
 * pthread_t -> lockwatch thread id, so a join can name the thread it waited for. Lock-free
 * open addressing: a key, once placed, stays in its slot (its value goes to 0 when the thread
 * is joined or ends), so probing never breaks; pthread_t values are reused by glibc, which
 * keeps the number of distinct keys small. Full table: joins of unknown threads are dropped.
 */
#include "annotate.h"
#include "shim.h"

#define TID_BITS 16
#define TID_SLOTS (1u << TID_BITS)

struct tid_slot {
    _Atomic uint64_t key;
    _Atomic uint32_t id;
};
static struct tid_slot tid_table[TID_SLOTS];

void lw_tid_map_init(void)
{
    LW_ANN_ATOMIC_RANGE(tid_table, sizeof tid_table);
}

static struct tid_slot *tid_find(uint64_t key, bool insert)
{
    if (!key)
        return NULL;
    uint32_t i = (uint32_t)(lw_mix(key) >> (64 - TID_BITS));
    for (uint32_t n = 0; n < TID_SLOTS; n++, i = (i + 1) & (TID_SLOTS - 1)) {
        uint64_t k = atomic_load_explicit(&tid_table[i].key, memory_order_acquire);
        if (k == key)
            return &tid_table[i];
        if (k == 0) {
            if (!insert)
                return NULL;
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&tid_table[i].key, &zero, key) || zero == key)
                return &tid_table[i];
        }
    }
    return NULL;
}

void lw_tid_map_put(uint64_t pthread, uint32_t id)
{
    struct tid_slot *s = tid_find(pthread, true);
    if (s) {
        LW_ANN_PUBLISH(s);
        LW_ANN_ATOMIC_WORD(&s->id); /* parent and child both store the same id */
        atomic_store_explicit(&s->id, id, memory_order_release);
    } else
        lw_log_drop(LW_DROP_THREAD_TABLE_FULL);
}

uint32_t lw_tid_map_get(uint64_t pthread)
{
    struct tid_slot *s = tid_find(pthread, false);
    if (!s)
        return 0;
    uint32_t id = atomic_load_explicit(&s->id, memory_order_acquire);
    LW_ANN_CONSUME(s);
    return id;
}

void lw_tid_map_del(uint64_t pthread)
{
    struct tid_slot *s = tid_find(pthread, false);
    if (s)
        atomic_store_explicit(&s->id, 0, memory_order_release);
}
