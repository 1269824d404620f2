/*
 * Resolution of the real pthread functions behind the shim's wrappers. Each wrapper resolves
 * its target lazily (it may run before our constructor) and the constructor resolves them all
 * eagerly, so that no dlsym happens later in a context where it could be unsafe (a signal
 * handler, a child after fork).
 */
#include <dlfcn.h>

#include "real.h"
#include "shim.h"

#define LW_REAL_DEFINE(ret, name, params) ret(*lw_real_##name) params;
LW_REAL_FUNCTIONS(LW_REAL_DEFINE)

void *lw_real_resolve(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

void lw_real_resolve_all(void)
{
#define LW_REAL_RESOLVE(ret, name, params)                                                         \
    if (!lw_real_##name)                                                                           \
        lw_real_##name = (ret(*) params)lw_real_resolve(#name);
    LW_REAL_FUNCTIONS(LW_REAL_RESOLVE)
}
