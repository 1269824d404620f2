/*
 * The module map: one MODULE record per loaded ELF object (path, load bias, address range,
 * GNU build-id), so the analyzer can symbolize raw return addresses offline and refuse a
 * binary that changed since the run. Re-scanned when a stack is first written and after
 * dlopen; dl_iterate_phdr's load counter makes an unchanged scan cost one callback.
 */
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "spin.h"

#define MOD_MAX 4096

struct mod_seen {
    uintptr_t base;
    uintptr_t lo;
    uint32_t gen;
};

static struct mod_seen mods[MOD_MAX];
static _Atomic uint32_t n_mods;
static _Atomic int mod_lock;
static unsigned long long last_adds;
static uint32_t last_adds_gen;
static char exe_path[LW_PATH_MAX];

struct scan_ctx {
    struct lw_thread *t;
    uint32_t gen;
    bool first;
    bool unchanged;
};

void lw_object_range(const struct dl_phdr_info *info, uintptr_t *lo_out, uintptr_t *hi_out)
{
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        if (s < lo)
            lo = s;
        if (e > hi)
            hi = e;
    }
    *lo_out = lo;
    *hi_out = hi;
}

/* Reads the GNU build-id note of a loaded object; returns its length (0 if none). */
static size_t build_id_of(const struct dl_phdr_info *info, const uint8_t **out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *n;
            const char *desc = name + ((n->n_namesz + 3) & ~3u);
            if (desc + n->n_descsz > end)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                *out = (const uint8_t *)desc;
                return n->n_descsz > 64 ? 64 : n->n_descsz;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 0;
}

static bool seen(uintptr_t base, uintptr_t lo, uint32_t gen)
{
    uint32_t n = atomic_load(&n_mods);
    for (uint32_t i = 0; i < n; i++)
        if (mods[i].base == base && mods[i].lo == lo && mods[i].gen == gen)
            return true;
    return false;
}

static void write_module(struct scan_ctx *c, struct dl_phdr_info *info, uintptr_t lo, uintptr_t hi)
{
    const char *path = info->dlpi_name;
    if (!path || !path[0])
        path = exe_path; /* the main program */
    const uint8_t *bid = NULL;
    size_t bid_len = build_id_of(info, &bid);
    size_t path_len = strnlen(path, LW_PATH_MAX - 1);
    uint32_t size = (uint32_t)(sizeof(struct lw_rec_module) + bid_len + path_len + 1);
    size = (size + 7) & ~7u;
    struct lw_rec_module *r = lw_log_reserve(c->t, size);
    if (!r)
        return;
    uint32_t idx = atomic_load(&n_mods);
    r->base = info->dlpi_addr;
    r->lo = lo;
    r->hi = hi;
    r->module_id = idx + 1;
    r->build_id_len = (uint16_t)bid_len;
    r->path_len = (uint16_t)path_len;
    char *p = (char *)(r + 1);
    if (bid_len)
        memcpy(p, bid, bid_len);
    memcpy(p + bid_len, path, path_len);
    p[bid_len + path_len] = 0;
    lw_log_publish(c->t, r, LW_REC_MODULE, 0, size);
    if (idx < MOD_MAX) {
        mods[idx] = (struct mod_seen){info->dlpi_addr, lo, c->gen};
        atomic_store(&n_mods, idx + 1);
    }
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct scan_ctx *c = data;
    if (c->first) {
        c->first = false;
        /* dlpi_adds counts objects ever loaded: unchanged means nothing new to record. */
        if (size >= offsetof(struct dl_phdr_info, dlpi_subs) && last_adds_gen == c->gen &&
            info->dlpi_adds == last_adds) {
            c->unchanged = true;
            return 1;
        }
        last_adds = info->dlpi_adds;
        last_adds_gen = c->gen;
    }
    uintptr_t lo, hi;
    lw_object_range(info, &lo, &hi);
    if (hi > lo && !seen(info->dlpi_addr, lo, c->gen))
        write_module(c, info, lo, hi);
    return 0;
}

void lw_modules_record(struct lw_thread *t)
{
    if (!exe_path[0]) {
        ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
        exe_path[n > 0 ? n : 0] = 0;
    }
    /* One scanner at a time: records of two scanners would duplicate modules. */
    if (!lw_spin_trylock(&mod_lock))
        return; /* someone else is scanning right now; the next stack rescans */
    struct scan_ctx c = {t, atomic_load(&lw_log_generation), true, false};
    dl_iterate_phdr(scan_cb, &c);
    lw_spin_unlock(&mod_lock);
}

void lw_modules_new_log(void)
{
    /* After fork: the child's new log has no module yet. */
    atomic_store(&n_mods, 0);
    last_adds_gen = 0;
}

const char *lw_exe_path(void)
{
    if (!exe_path[0]) {
        ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
        exe_path[n > 0 ? n : 0] = 0;
    }
    return exe_path;
}
