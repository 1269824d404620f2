/*
 * munmap and mremap: a mapping given back (or moved) ends the life of what lived in it, as a
 * freed heap block does (memory_forget.h). Programs that carve objects with locks out of their own
 * mappings — arenas, shared-memory segments — unmap them and map new ones, often at the same
 * address; without this, a lock in the new mapping would inherit the id of the old one. glibc's
 * own unmapping (large malloc blocks, thread stacks) does not come through here: the heap wrappers
 * see the blocks, and a thread's stack holds no lock past the thread's end.
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory_forget.h"
#include "real.h"

/* The length munmap would unmap: len rounded up to whole pages (0 if addr is not page aligned,
 * where munmap fails and unmaps nothing). */
static size_t unmapped_length(const void *addr, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if ((uintptr_t)addr & (page - 1))
        return 0;
    return len > SIZE_MAX - (page - 1) ? 0 : (len + page - 1) & ~(page - 1);
}

/* Before the call, as for free: afterwards another thread could already have mapped something
 * new there. A call that fails after all has at worst ended lifetimes early (a lock's next use
 * starts a new one: a lock seen as two, never two seen as one). */
LW_EXPORT int munmap(void *addr, size_t len)
{
    LW_REAL(munmap);
    if (lw_memory_watched())
        lw_memory_forget((uintptr_t)addr, unmapped_length(addr, len),
                         (uintptr_t)__builtin_return_address(0));
    return lw_real_munmap(addr, len);
}

/* After the call, since only its result says whether the mapping moved (as for realloc). The
 * fifth argument exists only with MREMAP_FIXED; it is read and passed only then. */
LW_EXPORT void *mremap(void *old, size_t old_size, size_t new_size, int flags, ...)
{
    LW_REAL(mremap);
    void *fixed = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        fixed = va_arg(ap, void *);
        va_end(ap);
    }
    bool watched = lw_memory_watched();
    void *moved = lw_real_mremap(old, old_size, new_size, flags, fixed);
    if (watched && moved != MAP_FAILED) {
        uintptr_t ret = (uintptr_t)__builtin_return_address(0);
        size_t old_len = unmapped_length(old, old_size);
        if (moved != old)
            lw_memory_forget((uintptr_t)old, old_len, ret);
        else if (new_size < old_len)
            lw_memory_forget((uintptr_t)old + new_size, old_len - new_size, ret);
    }
    return moved;
}
