/*
 * The shim's only allocator: anonymous mmap. The shim never calls malloc, so it cannot
 * deadlock inside an allocator that itself locks, and works before libc's malloc is usable.
 * Used only off the hot path (new threads, table growth).
 */
#include <errno.h>
#include <sys/mman.h>

#include "shim.h"

void *lw_mmap_zero(size_t size)
{
    int saved = errno;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    errno = saved;
    return p == MAP_FAILED ? NULL : p;
}

void lw_munmap(void *p, size_t size)
{
    int saved = errno;
    if (p)
        munmap(p, size);
    errno = saved;
}
