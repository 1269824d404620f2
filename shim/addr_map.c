/*
 * Small lock-free maps from an object address to one 64-bit value, for state the shim keeps
 * about objects it does not own: the last post of each semaphore (handoff ordering) and the
 * mutex a condition variable is being waited with (two-mutex misuse). Open addressing; a key,
 * once placed, is never removed (its value goes to 0), so probing needs no tombstones. Full:
 * lookups miss and updates are dropped, which only loses that piece of information.
 */
#include "annotate.h"
#include "shim.h"

#define AM_BITS 16
#define AM_SLOTS (1u << AM_BITS)

struct am_slot {
    _Atomic uint64_t key;
    _Atomic uint64_t value;
};

struct lw_addr_map {
    struct am_slot slots[AM_SLOTS];
};

static struct lw_addr_map sem_posts_map, cond_mutex_map;
struct lw_addr_map *const lw_sem_posts = &sem_posts_map;
struct lw_addr_map *const lw_cond_mutexes = &cond_mutex_map;

void lw_addr_map_init(void)
{
    LW_ANN_ATOMIC_RANGE(&sem_posts_map, sizeof sem_posts_map);
    LW_ANN_ATOMIC_RANGE(&cond_mutex_map, sizeof cond_mutex_map);
}

static _Atomic uint64_t *am_cell(struct lw_addr_map *m, uint64_t key, bool insert)
{
    if (!key)
        return NULL;
    uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> (64 - AM_BITS));
    for (uint32_t n = 0; n < 256; n++, i = (i + 1) & (AM_SLOTS - 1)) {
        uint64_t k = atomic_load_explicit(&m->slots[i].key, memory_order_acquire);
        if (k == key)
            return &m->slots[i].value;
        if (k == 0) {
            if (!insert)
                return NULL;
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&m->slots[i].key, &zero, key) || zero == key)
                return &m->slots[i].value;
        }
    }
    return NULL;
}

_Atomic uint64_t *lw_addr_map_cell(struct lw_addr_map *m, uint64_t key)
{
    return am_cell(m, key, true);
}

void lw_addr_map_set(struct lw_addr_map *m, uint64_t key, uint64_t value)
{
    _Atomic uint64_t *c = am_cell(m, key, value != 0);
    if (c)
        atomic_store_explicit(c, value, memory_order_release);
}

uint64_t lw_addr_map_exchange(struct lw_addr_map *m, uint64_t key, uint64_t value)
{
    _Atomic uint64_t *c = am_cell(m, key, true);
    return c ? atomic_exchange(c, value) : 0;
}
