/*
 * Unit tests for the offline symbolizer (analyzer/symbolize.c). The test describes its own
 * process the way the recorder would (dl_iterate_phdr: load bias, PT_LOAD range, build-id from
 * the PT_NOTE segments of the running image), captures return addresses inside this file and
 * checks function, file:line and inlined frames; then a global variable, a pc inside libc, and
 * modules that must not symbolize (missing file, wrong build-id, vdso, no module at all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize.h"

/* Keep test functions whole and unspecialised at -O2: no inlining, cloning or IPA changes. */
#if defined(__clang__)
#define LW_NOIPA __attribute__((noinline, used))
#else
#define LW_NOIPA __attribute__((noipa, used))
#endif

pthread_mutex_t lw_test_global_lock = PTHREAD_MUTEX_INITIALIZER;
static const int lw_test_global_lock_line = __LINE__ - 1;

#define LW_TEST_SRC_SUFFIX "tests/unit/test_symbolize.c"

/* ---- the process as the recorder would describe it ---- */

static lw_process g_proc;

/* Finds the GNU build-id note in the running image's PT_NOTE segments. */
static size_t find_build_id(const struct dl_phdr_info *info, uint8_t *out, size_t cap)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *nh;
            const uint8_t *desc = (const uint8_t *)name + ((nh->n_namesz + 3) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                nh->n_descsz <= cap) {
                memcpy(out, desc, nh->n_descsz);
                return nh->n_descsz;
            }
            p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
    return 0;
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    lw_process *p = arg;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        lo = a < lo ? a : lo;
        hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
    }
    if (lo >= hi)
        return 0;
    lw_module *m = &p->modules[p->n_modules];
    memset(m, 0, sizeof *m);
    m->id = (uint32_t)p->n_modules + 1;
    m->base = info->dlpi_addr;
    m->lo = lo;
    m->hi = hi;
    /* The main program has an empty name; the recorder uses its real path. */
    if (info->dlpi_name && info->dlpi_name[0])
        m->path = strdup(info->dlpi_name);
    else
        m->path = realpath("/proc/self/exe", NULL);
    m->build_id_len = find_build_id(info, m->build_id, sizeof m->build_id);
    p->n_modules++;
    return 0;
}

static int count_modules(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info;
    (void)size;
    ++*(size_t *)arg;
    return 0;
}

static void free_modules(lw_process *p)
{
    for (size_t i = 0; i < p->n_modules; i++)
        free(p->modules[i].path);
    free(p->modules);
    memset(p, 0, sizeof *p);
}

static int setup_self(void **state)
{
    (void)state;
    size_t n = 0;
    dl_iterate_phdr(count_modules, &n);
    g_proc.modules = calloc(n + 1, sizeof *g_proc.modules);
    assert_non_null(g_proc.modules);
    dl_iterate_phdr(add_module, &g_proc);
    return 0;
}

static int teardown_self(void **state)
{
    (void)state;
    free_modules(&g_proc);
    return 0;
}

static const lw_module *self_module(void)
{
    uintptr_t pc = (uintptr_t)&setup_self;
    for (size_t i = 0; i < g_proc.n_modules; i++)
        if (pc >= g_proc.modules[i].lo && pc < g_proc.modules[i].hi)
            return &g_proc.modules[i];
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---- code whose return addresses we capture ---- */

LW_NOIPA void *lw_test_capture_ra(void)
{
    return __builtin_return_address(0);
}

/* The call of lw_test_capture_ra is on *line; the asm keeps it from becoming a tail call. */
LW_NOIPA void *lw_test_known_function(int *line)
{
    *line = __LINE__ + 1;
    void *ra = lw_test_capture_ra();
    __asm__ volatile("" : : "r"(ra) : "memory");
    return ra;
}

static inline __attribute__((always_inline)) void *lw_test_inlined_helper(int *line)
{
    *line = __LINE__ + 1;
    void *ra = lw_test_capture_ra();
    __asm__ volatile("" : : "r"(ra) : "memory");
    return ra;
}

LW_NOIPA void *lw_test_inline_caller(int *inner_line, int *call_line)
{
    *call_line = __LINE__ + 1;
    void *ra = lw_test_inlined_helper(inner_line);
    __asm__ volatile("" : : "r"(ra) : "memory");
    return ra;
}

/* ---- tests ---- */

static void test_known_function(void **state)
{
    (void)state;
    int line = 0;
    uint64_t pc = (uint64_t)(uintptr_t)lw_test_known_function(&line);
    lw_symbolizer *s = lw_symbolizer_new(&g_proc);
    assert_non_null(s);
    lw_frame f[8];
    size_t n = lw_symbolize_pc(s, pc, true, f, 8);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].pc, pc);
    assert_non_null(f[0].function);
    assert_string_equal(f[0].function, "lw_test_known_function");
    assert_non_null(f[0].file);
    assert_true(ends_with(f[0].file, LW_TEST_SRC_SUFFIX));
    assert_int_equal(f[0].file[0], '/');
    assert_int_equal(f[0].line, line);
    assert_true(f[0].column > 0);
    assert_false(f[0].inlined);
    const lw_module *self = self_module();
    assert_non_null(self);
    assert_string_equal(f[0].module, self->path);
    assert_int_equal(f[0].module_offset, pc - self->base);

    /* Cached: the same strings come back. */
    lw_frame g[8];
    assert_int_equal(lw_symbolize_pc(s, pc, true, g, 8), 1);
    assert_ptr_equal(g[0].function, f[0].function);
    assert_ptr_equal(g[0].file, f[0].file);
    assert_int_equal(lw_symbolize_pc(s, pc, true, g, 0), 0);
    lw_symbolizer_free(s);
}

static void test_inlined(void **state)
{
    (void)state;
    int inner_line = 0, call_line = 0;
    uint64_t pc = (uint64_t)(uintptr_t)lw_test_inline_caller(&inner_line, &call_line);
    lw_symbolizer *s = lw_symbolizer_new(&g_proc);
    lw_frame f[8];
    size_t n = lw_symbolize_pc(s, pc, true, f, 8);
    assert_int_equal(n, 2);
    assert_true(f[0].inlined);
    assert_string_equal(f[0].function, "lw_test_inlined_helper");
    assert_true(ends_with(f[0].file, LW_TEST_SRC_SUFFIX));
    assert_int_equal(f[0].line, inner_line);
    assert_false(f[1].inlined);
    assert_string_equal(f[1].function, "lw_test_inline_caller");
    assert_true(ends_with(f[1].file, LW_TEST_SRC_SUFFIX));
    assert_int_equal(f[1].line, call_line);
    assert_true(f[1].column > 0);
    assert_int_equal(f[0].pc, pc);
    assert_int_equal(f[1].pc, pc);

    /* max smaller than the chain: the innermost frames. */
    lw_frame one;
    assert_int_equal(lw_symbolize_pc(s, pc, true, &one, 1), 1);
    assert_string_equal(one.function, "lw_test_inlined_helper");
    lw_symbolizer_free(s);
}

static void test_global_variable(void **state)
{
    (void)state;
    pthread_mutex_lock(&lw_test_global_lock);
    pthread_mutex_unlock(&lw_test_global_lock);
    lw_symbolizer *s = lw_symbolizer_new(&g_proc);
    lw_data_symbol d;
    uint64_t start = (uint64_t)(uintptr_t)&lw_test_global_lock;
    /* An interior address finds the whole variable. */
    assert_true(lw_symbolize_data(s, start + 8, &d));
    assert_string_equal(d.name, "lw_test_global_lock");
    assert_int_equal(d.start, start);
    assert_int_equal(d.size, 40);
    assert_non_null(d.file);
    assert_true(ends_with(d.file, LW_TEST_SRC_SUFFIX));
    assert_int_equal(d.line, lw_test_global_lock_line);
    assert_string_equal(d.module, self_module()->path);
    /* Past its end is not this variable. */
    if (lw_symbolize_data(s, start + 40, &d))
        assert_string_not_equal(d.name, "lw_test_global_lock");
    lw_symbolizer_free(s);
}

static void test_static_local(void **state)
{
    (void)state;
    static int lw_test_static_counter;
    int line = __LINE__ - 1;
    __asm__ volatile("" : : "r"(&lw_test_static_counter) : "memory");
    lw_symbolizer *s = lw_symbolizer_new(&g_proc);
    lw_data_symbol d;
    assert_true(lw_symbolize_data(s, (uint64_t)(uintptr_t)&lw_test_static_counter, &d));
    /* GCC names the ELF symbol "lw_test_static_counter.0"; DWARF gives the source name. */
    assert_string_equal(d.name, "lw_test_static_counter");
    assert_int_equal(d.size, sizeof(int));
    assert_non_null(d.file);
    assert_true(ends_with(d.file, LW_TEST_SRC_SUFFIX));
    assert_int_equal(d.line, line);
    lw_symbolizer_free(s);
}

static void test_libc(void **state)
{
    (void)state;
    /* libc's own qsort: under ASan, RTLD_DEFAULT would find the sanitizer's interceptor. */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(libc);
    void *fn = dlsym(libc, "qsort");
    dlclose(libc);
    assert_non_null(fn);
    uint64_t pc = (uint64_t)(uintptr_t)fn + 1;
    lw_symbolizer *s = lw_symbolizer_new(&g_proc);
    lw_frame f[8];
    size_t n = lw_symbolize_pc(s, pc, false, f, 8);
    assert_true(n >= 1);
    assert_non_null(f[n - 1].module);
    assert_non_null(strstr(f[n - 1].module, "libc"));
    assert_non_null(f[n - 1].function);
    print_message("libc pc -> %s (%s:%d)\n", f[n - 1].function, f[n - 1].file ? f[n - 1].file : "?",
                  f[n - 1].line);
    lw_symbolizer_free(s);
}

static void *g_cmp_ra;

static int capture_cmp(const void *a, const void *b)
{
    if (!g_cmp_ra)
        g_cmp_ra = __builtin_return_address(0);
    return *(const int *)a - *(const int *)b;
}

/* A real return address inside libc (qsort calling back): with libc6-dbg installed this
 * shows libc's inlined frames; without, at least the module. */
static void test_libc_return_address(void **state)
{
    (void)state;
    int v[] = {3, 1, 2};
    /* libc's qsort itself: ASan's interceptor would call the comparator from libasan. */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(libc);
    void (*libc_qsort)(void *, size_t, size_t, int (*)(const void *, const void *));
    *(void **)&libc_qsort = dlsym(libc, "qsort");
    dlclose(libc);
    assert_non_null(libc_qsort);
    g_cmp_ra = NULL;
    libc_qsort(v, 3, sizeof v[0], capture_cmp);
    assert_non_null(g_cmp_ra);
    lw_symbolizer *s = lw_symbolizer_new(&g_proc);
    lw_frame f[16];
    size_t n = lw_symbolize_pc(s, (uint64_t)(uintptr_t)g_cmp_ra, true, f, 16);
    assert_true(n >= 1);
    assert_non_null(f[0].module);
    assert_non_null(strstr(f[0].module, "libc"));
    for (size_t i = 0; i < n; i++) {
        print_message("  #%zu %s%s (%s:%d:%d)\n", i, f[i].function ? f[i].function : "??",
                      f[i].inlined ? " [inlined]" : "", f[i].file ? f[i].file : "?", f[i].line,
                      f[i].column);
        assert_int_equal(f[i].inlined, i + 1 < n);
    }
    lw_symbolizer_free(s);
}

static void expect_raw(lw_symbolizer *s, uint64_t pc, const char *module, uint64_t base)
{
    lw_frame f[4];
    memset(f, 0x5a, sizeof f);
    size_t n = lw_symbolize_pc(s, pc, true, f, 4);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].pc, pc);
    assert_null(f[0].function);
    assert_null(f[0].file);
    assert_int_equal(f[0].line, 0);
    assert_false(f[0].inlined);
    if (module) {
        assert_non_null(f[0].module);
        assert_string_equal(f[0].module, module);
        assert_int_equal(f[0].module_offset, pc - base);
    } else {
        assert_null(f[0].module);
    }
    lw_data_symbol d;
    assert_false(lw_symbolize_data(s, pc, &d));
}

static void test_unsymbolizable(void **state)
{
    (void)state;
    const lw_module *self = self_module();
    assert_non_null(self);
    lw_module mods[6];
    memset(mods, 0, sizeof mods);
    /* 1: a file that does not exist. */
    mods[0] = (lw_module){.id = 1,
                          .base = 0x100000,
                          .lo = 0x100000,
                          .hi = 0x200000,
                          .path = "/nonexistent/liblw-missing.so",
                          .build_id_len = 2};
    mods[0].build_id[0] = 1;
    /* 2: this test executable, but with a build-id that is not its own. */
    mods[1] = *self;
    mods[1].id = 2;
    mods[1].build_id_len = 20;
    memset(mods[1].build_id, 0xab, 20);
    /* 3-5: names with no file behind them. */
    mods[2] = (lw_module){.id = 3, .lo = 0x300000, .hi = 0x301000, .path = ""};
    mods[3] =
        (lw_module){.id = 4, .base = 0x400000, .lo = 0x400000, .hi = 0x401000, .path = "[vdso]"};
    mods[4] = (lw_module){
        .id = 5, .base = 0x500000, .lo = 0x500000, .hi = 0x501000, .path = "linux-vdso.so.1"};
    /* 6: a directory, not an ELF file. */
    mods[5] =
        (lw_module){.id = 6, .base = 0x600000, .lo = 0x600000, .hi = 0x601000, .path = "/tmp"};
    lw_process p = {.modules = mods, .n_modules = 6};
    lw_symbolizer *s = lw_symbolizer_new(&p);
    expect_raw(s, 0x100123, mods[0].path, mods[0].base);
    int line;
    uint64_t pc = (uint64_t)(uintptr_t)lw_test_known_function(&line);
    expect_raw(s, pc, self->path, self->base);
    expect_raw(s, 0x300010, "", 0);
    expect_raw(s, 0x400010, "[vdso]", 0x400000);
    expect_raw(s, 0x500010, "linux-vdso.so.1", 0x500000);
    expect_raw(s, 0x600010, "/tmp", 0x600000);
    expect_raw(s, 0x42, NULL, 0);
    expect_raw(s, 0, NULL, 0);
    expect_raw(s, UINT64_MAX, NULL, 0);
    lw_symbolizer_free(s);

    /* No modules at all, and a NULL process. */
    lw_process empty = {0};
    s = lw_symbolizer_new(&empty);
    expect_raw(s, pc, NULL, 0);
    lw_symbolizer_free(s);
    s = lw_symbolizer_new(NULL);
    expect_raw(s, pc, NULL, 0);
    lw_symbolizer_free(s);
    lw_symbolizer_free(NULL);
}

/* A recorded build-id of the right file is accepted: the tests above rely on it, but check that
 * it really came from the image (and is not simply absent). */
static void test_build_id_recorded(void **state)
{
    (void)state;
    const lw_module *self = self_module();
    assert_non_null(self);
    assert_true(self->build_id_len >= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_id_recorded),
        cmocka_unit_test(test_known_function),
        cmocka_unit_test(test_inlined),
        cmocka_unit_test(test_global_variable),
        cmocka_unit_test(test_static_local),
        cmocka_unit_test(test_libc),
        cmocka_unit_test(test_libc_return_address),
        cmocka_unit_test(test_unsymbolizable),
    };
    return cmocka_run_group_tests(tests, setup_self, teardown_self);
}
