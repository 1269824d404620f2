/*
 * Offline symbolization (see symbolize.h) with elfutils' libdwfl/libdw.
 *
 * The symbolizer copies the process's module map. Each module gets its own Dwfl, opened lazily
 * the first time an address in it is looked up: one Dwfl per module (rather than one for the
 * whole process) means overlapping or repeated entries in the recorded map (a library unloaded
 * and another loaded at the same place) cannot confuse libdwfl's address lookup; the choice of
 * module is ours. A module whose file is missing, is not a regular ELF file, or whose build-id
 * differs from the recorded one is never symbolized: a wrong name is worse than a raw address.
 *
 * Results are cached per (pc, is_return_address), and every string handed out is interned in a
 * pool owned by the symbolizer, so frames stay valid until lw_symbolizer_free. Not thread-safe.
 */
#include "symbolize.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uthash.h>

/* Inline nesting deeper than this is cut off (innermost frames are kept). */
#define LW_SYM_MAX_CHAIN 32

typedef struct lw_str {
    UT_hash_handle hh;
    char s[]; /* the key */
} lw_str;

/* An STT_OBJECT symbol at its runtime address. */
typedef struct lw_obj_sym {
    uint64_t start, size;
    const char *name;
} lw_obj_sym;

/* A DW_TAG_variable definition with a static address (runtime address). */
typedef struct lw_var_def {
    uint64_t addr;
    uint64_t size; /* of its type, 0 if unknown */
    const char *name, *file;
    int line;
} lw_var_def;

/* Definition site by name, for variables whose DWARF location we could not read. */
typedef struct lw_var_name {
    UT_hash_handle hh;
    const char *name; /* key, interned */
    const char *file;
    int line;
    bool ambiguous; /* two different definitions share the name (e.g. two file statics) */
} lw_var_name;

/* One opened ELF file (possibly shared by several identical module records). */
typedef struct lw_elfmod {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    bool objs_loaded;
    lw_obj_sym *objs;  /* sorted by start */
    uint64_t *max_end; /* max_end[i] = max over objs[0..i] of start + size */
    size_t n_objs;
    bool vars_loaded;
    lw_var_def *vars; /* sorted by addr */
    size_t n_vars, cap_vars;
    lw_var_name *names;
    bool cus_loaded;
    struct lw_cu_range *cus; /* sorted by lo */
    size_t n_cus;
} lw_elfmod;

/* Address range of a compilation unit; cu is owned by libdwfl. */
struct lw_cu_range {
    uint64_t lo, hi; /* runtime addresses */
    Dwarf_Die *cu;
    Dwarf_Addr bias;
};

/* The symbolizer's copy of one recorded module. */
typedef struct lw_sym_module {
    uint64_t base, lo, hi;
    const char *path; /* interned */
    uint8_t build_id[64];
    size_t build_id_len;
    bool tried;     /* module_open ran */
    lw_elfmod *elf; /* NULL: not symbolizable */
} lw_sym_module;

typedef struct lw_pc_key {
    uint64_t pc;
    uint64_t is_ret; /* 64-bit so the key has no padding bytes to hash */
} lw_pc_key;

typedef struct lw_pc_entry {
    lw_pc_key key;
    UT_hash_handle hh;
    size_t n;
    lw_frame frames[];
} lw_pc_entry;

typedef char *(*lw_demangle_fn)(const char *, char *, size_t *, int *);

struct lw_symbolizer {
    lw_sym_module *mods;
    size_t n_mods;
    lw_elfmod **elfs; /* every lw_elfmod opened, for freeing */
    size_t n_elfs;
    lw_str *strings;
    lw_pc_entry *cache;
    bool demangle_tried;
    void *demangle_lib;
    lw_demangle_fn demangle;
};

/* Offline callbacks: the file is handed to dwfl_report_elf directly; separate debug info is
 * searched by build-id under /usr/lib/debug/.build-id and by .gnu_debuglink. */
static const Dwfl_Callbacks lw_dwfl_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

static const char *intern(lw_symbolizer *s, const char *str)
{
    if (!str)
        return NULL;
    lw_str *e;
    size_t len = strlen(str);
    HASH_FIND(hh, s->strings, str, len, e);
    if (e)
        return e->s;
    e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    memcpy(e->s, str, len + 1);
    HASH_ADD_KEYPTR(hh, s->strings, e->s, len, e);
    return e->s;
}

/* C++ names come mangled from ELF symbols and DW_AT_linkage_name. The analyzer is C, so the
 * demangler is borrowed from libstdc++ at run time if it is installed; otherwise names stay
 * mangled. */
static const char *demangled(lw_symbolizer *s, const char *name)
{
    if (!name || strncmp(name, "_Z", 2) != 0)
        return intern(s, name);
    if (!s->demangle_tried) {
        s->demangle_tried = true;
        s->demangle_lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        if (s->demangle_lib)
            s->demangle = (lw_demangle_fn)dlsym(s->demangle_lib, "__cxa_demangle");
    }
    if (!s->demangle)
        return intern(s, name);
    int status = -1;
    char *d = s->demangle(name, NULL, NULL, &status);
    const char *r = intern(s, status == 0 && d ? d : name);
    free(d);
    return r;
}

/*
 * libdw already joins a line-table entry with its directory (for DWARF 4, directory 0 is the
 * comp dir), so names are absolute unless the directory itself is relative. Such a name is
 * relative to the compilation directory, so prefix it when that one is absolute; a relative
 * comp dir (a -fdebug-prefix-map'd build such as Debian's glibc, "./stdlib") is already part
 * of the name and joining again would double it.
 */
static const char *abs_file(lw_symbolizer *s, Dwarf_Die *cudie, const char *file)
{
    if (!file || file[0] == '/' || !cudie)
        return intern(s, file);
    Dwarf_Attribute attr;
    const char *dir = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr));
    if (!dir || dir[0] != '/')
        return intern(s, file);
    size_t dl = strlen(dir), fl = strlen(file);
    char *buf = malloc(dl + fl + 2);
    if (!buf)
        return intern(s, file);
    memcpy(buf, dir, dl);
    size_t p = dl;
    if (buf[p - 1] != '/')
        buf[p++] = '/';
    memcpy(buf + p, file, fl + 1);
    const char *r = intern(s, buf);
    free(buf);
    return r;
}

lw_symbolizer *lw_symbolizer_new(const lw_process *proc)
{
    lw_symbolizer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t n = proc ? proc->n_modules : 0;
    if (n > 0) {
        s->mods = calloc(n, sizeof *s->mods);
        if (!s->mods)
            return s; /* degrade to raw addresses rather than fail */
    }
    for (size_t i = 0; i < n; i++) {
        const lw_module *m = &proc->modules[i];
        lw_sym_module *d = &s->mods[s->n_mods++];
        d->base = m->base;
        d->lo = m->lo;
        d->hi = m->hi;
        d->path = intern(s, m->path ? m->path : "");
        d->build_id_len =
            m->build_id_len < sizeof d->build_id ? m->build_id_len : sizeof d->build_id;
        memcpy(d->build_id, m->build_id, d->build_id_len);
    }
    return s;
}

static void elfmod_free(lw_elfmod *e)
{
    if (!e)
        return;
    if (e->dwfl)
        dwfl_end(e->dwfl);
    free(e->objs);
    free(e->max_end);
    free(e->vars);
    free(e->cus);
    lw_var_name *v, *tmp;
    HASH_ITER(hh, e->names, v, tmp)
    {
        HASH_DEL(e->names, v);
        free(v);
    }
    free(e);
}

void lw_symbolizer_free(lw_symbolizer *s)
{
    if (!s)
        return;
    lw_pc_entry *c, *ctmp;
    HASH_ITER(hh, s->cache, c, ctmp)
    {
        HASH_DEL(s->cache, c);
        free(c);
    }
    for (size_t i = 0; i < s->n_elfs; i++)
        elfmod_free(s->elfs[i]);
    free(s->elfs);
    free(s->mods);
    lw_str *e, *etmp;
    HASH_ITER(hh, s->strings, e, etmp)
    {
        HASH_DEL(s->strings, e);
        free(e);
    }
    if (s->demangle_lib)
        dlclose(s->demangle_lib);
    free(s);
}

/* The recorded module containing addr. The latest record wins when several overlap (a later
 * dlopen at a reused address). */
static lw_sym_module *module_for(lw_symbolizer *s, uint64_t addr)
{
    for (size_t i = s->n_mods; i-- > 0;) {
        if (addr >= s->mods[i].lo && addr < s->mods[i].hi)
            return &s->mods[i];
    }
    return NULL;
}

/*
 * Paths we can open: "" (the main program as dl_iterate_phdr names it), "[vdso]" or
 * "linux-vdso.so.1" have no file on disk; a bare name without '/' would be looked up in our
 * current directory, which has nothing to do with the recorded process.
 */
static bool openable_path(const char *path)
{
    if (!path || !strchr(path, '/') || path[0] == '[')
        return false;
    struct stat st;
    /* Regular files only: opening a FIFO or device named in a damaged log could block. */
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static lw_elfmod *module_open(lw_symbolizer *s, lw_sym_module *m)
{
    if (m->tried)
        return m->elf;
    m->tried = true;
    /* Identical records (a re-emitted module map) share one opened file. */
    for (lw_sym_module *o = s->mods; o < m; o++) {
        if (o->tried && o->path == m->path && o->base == m->base &&
            o->build_id_len == m->build_id_len &&
            memcmp(o->build_id, m->build_id, m->build_id_len) == 0) {
            m->elf = o->elf;
            return m->elf;
        }
    }
    if (!openable_path(m->path))
        return NULL;
    lw_elfmod **grown = realloc(s->elfs, (s->n_elfs + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    s->elfs = grown;
    lw_elfmod *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    s->elfs[s->n_elfs++] = e;
    e->dwfl = dwfl_begin(&lw_dwfl_callbacks);
    if (!e->dwfl)
        return NULL;
    dwfl_report_begin(e->dwfl);
    /*
     * base is the recorded load bias (dlpi_addr). With add_p_vaddr=true libdwfl takes it as the
     * bias for ET_DYN (shared libraries, PIE), i.e. runtime address = p_vaddr + base; for
     * ET_EXEC it ignores base, which is right since dlpi_addr is 0 for a non-PIE executable.
     */
    Dwfl_Module *mod = dwfl_report_elf(e->dwfl, m->path, m->path, -1, m->base, true);
    if (dwfl_report_end(e->dwfl, NULL, NULL) != 0 || !mod)
        return NULL;
    const unsigned char *bits = NULL;
    GElf_Addr vaddr = 0;
    int len = dwfl_module_build_id(mod, &bits, &vaddr);
    /* With no recorded build-id there is nothing to compare; the address check below still
     * catches a file of a different layout. */
    if (m->build_id_len > 0 &&
        (len != (int)m->build_id_len || memcmp(bits, m->build_id, m->build_id_len) != 0))
        return NULL;
    Dwarf_Addr start = 0, end = 0;
    dwfl_module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
    if (m->lo < start || m->lo >= end)
        return NULL;
    e->mod = mod;
    m->elf = e;
    return e;
}

static const char *elf_symbol_name(lw_symbolizer *s, Dwfl_Module *mod, uint64_t addr)
{
    GElf_Off off;
    GElf_Sym sym;
    return demangled(s, dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL));
}

/*
 * Name of a subprogram or inlined subroutine, looked up through abstract_origin/specification:
 * the demangled linkage name for C++ (qualified), else DW_AT_name. A linkage name that is not
 * mangled is an asm label (glibc's "__GI_qsort" for qsort) and is not what the source says.
 */
static const char *die_function_name(lw_symbolizer *s, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!linkage)
        linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    const char *name = dwarf_diename(die);
    if (linkage && strncmp(linkage, "_Z", 2) == 0) {
        const char *d = demangled(s, linkage);
        if (d && d != intern(s, linkage))
            return d;
    }
    return intern(s, name ? name : linkage);
}

/* The call site of an inlined subroutine: DW_AT_call_file/line/column. */
static void call_site(lw_symbolizer *s, Dwarf_Die *inl, const char **file, int *line, int *col)
{
    Dwarf_Attribute attr;
    Dwarf_Word v;
    Dwarf_Die cu_mem;
    /* The DIE's own unit, which may be a partial unit (dwz) with its own file table. */
    Dwarf_Die *cu = dwarf_diecu(inl, &cu_mem, NULL, NULL);
    *file = NULL;
    *line = 0;
    *col = 0;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &attr), &v) == 0 && cu) {
        Dwarf_Files *files;
        size_t nfiles;
        if (dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && v < nfiles)
            *file = abs_file(s, cu, dwarf_filesrc(files, v, NULL, NULL));
    }
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &attr), &v) == 0)
        *line = (int)v;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_column, &attr), &v) == 0)
        *col = (int)v;
}

static int cu_range_cmp(const void *a, const void *b)
{
    const struct lw_cu_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Our own address -> CU table, from every CU's DW_AT_low_pc/high_pc/ranges. */
static void load_cus(lw_elfmod *e)
{
    e->cus_loaded = true;
    size_t cap = 0;
    Dwarf_Die *cu = NULL;
    Dwarf_Addr bias = 0;
    while ((cu = dwfl_module_nextcu(e->mod, cu, &bias))) {
        ptrdiff_t off = 0;
        Dwarf_Addr base, start, end;
        while ((off = dwarf_ranges(cu, off, &base, &start, &end)) > 0) {
            if (start >= end)
                continue;
            if (e->n_cus == cap) {
                cap = cap ? 2 * cap : 64;
                struct lw_cu_range *grown = realloc(e->cus, cap * sizeof *grown);
                if (!grown)
                    return;
                e->cus = grown;
            }
            e->cus[e->n_cus++] = (struct lw_cu_range){start + bias, end + bias, cu, bias};
        }
    }
    if (e->n_cus)
        qsort(e->cus, e->n_cus, sizeof *e->cus, cu_range_cmp);
}

/*
 * The CU containing addr. libdwfl finds it through .debug_aranges, which clang (before 16)
 * does not emit and which libdw 0.188 does not synthesise; then fall back to a table built
 * from the CUs' own address ranges.
 */
static Dwarf_Die *find_cu(lw_elfmod *e, uint64_t addr, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(e->mod, addr, bias);
    if (cu)
        return cu;
    if (!e->cus_loaded)
        load_cus(e);
    size_t lo = 0, hi = e->n_cus; /* first range with lo > addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->cus[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= e->cus[lo - 1].hi)
        return NULL;
    *bias = e->cus[lo - 1].bias;
    return e->cus[lo - 1].cu;
}

/* Fills out[0..] for addr (already adjusted for return addresses); returns the count >= 1. */
static size_t symbolize_uncached(lw_symbolizer *s, uint64_t pc, uint64_t addr,
                                 lw_frame out[LW_SYM_MAX_CHAIN])
{
    lw_frame base = {.pc = pc};
    lw_sym_module *m = module_for(s, addr);
    if (m) {
        base.module = m->path;
        base.module_offset = pc - m->base;
    }
    out[0] = base;
    lw_elfmod *e = m ? module_open(s, m) : NULL;
    if (!e)
        return 1;
    Dwfl_Module *mod = e->mod;

    Dwarf_Addr bias = 0;
    Dwarf_Die *cudie = find_cu(e, addr, &bias);

    /* Source position of the instruction itself: it belongs to the innermost frame. */
    const char *file = NULL;
    int line = 0, col = 0;
    Dwarf_Line *dl = cudie ? dwarf_getsrc_die(cudie, addr - bias) : NULL;
    if (dl) {
        file = abs_file(s, cudie, dwarf_linesrc(dl, NULL, NULL));
        dwarf_lineno(dl, &line);
        dwarf_linecol(dl, &col);
    }

    size_t n = 0;
    Dwarf_Die *scopes = NULL;
    if (cudie && dwarf_getscopes(cudie, addr - bias, &scopes) > 0) {
        /*
         * dwarf_getscopes continues from an inlined instance into its abstract origin's
         * scopes; the chain of *call sites* is the concrete parents of the innermost scope, so
         * walk those (the same approach as eu-addr2line -i).
         */
        Dwarf_Die *chain = NULL;
        int nchain = dwarf_getscopes_die(&scopes[0], &chain);
        for (int i = 0; i < nchain && n < LW_SYM_MAX_CHAIN; i++) {
            int tag = dwarf_tag(&chain[i]);
            if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram &&
                tag != DW_TAG_entry_point)
                continue;
            lw_frame f = base;
            f.function = die_function_name(s, &chain[i]);
            f.file = file;
            f.line = line;
            f.column = col;
            f.inlined = tag == DW_TAG_inlined_subroutine;
            out[n++] = f;
            if (!f.inlined)
                break;
            call_site(s, &chain[i], &file, &line, &col);
        }
        free(chain);
    }
    free(scopes);
    if (n == 0) {
        out[0].file = file;
        out[0].line = line;
        out[0].column = col;
        n = 1;
    }
    /* No DWARF name for the physical function (no debug info, artificial code): ELF symbol. */
    if (!out[n - 1].function)
        out[n - 1].function = elf_symbol_name(s, mod, addr);
    return n;
}

size_t lw_symbolize_pc(lw_symbolizer *s, uint64_t pc, bool is_return_address, lw_frame *out,
                       size_t max)
{
    if (max == 0 || !out)
        return 0;
    if (!s) {
        out[0] = (lw_frame){.pc = pc};
        return 1;
    }
    lw_pc_key key = {pc, is_return_address};
    lw_pc_entry *c;
    HASH_FIND(hh, s->cache, &key, sizeof key, c);
    if (!c) {
        lw_frame tmp[LW_SYM_MAX_CHAIN];
        /* The call instruction ends just before the return address; pc-1 lies inside it even
         * when the call is the last instruction of a function or of an inlined range. */
        uint64_t addr = is_return_address && pc > 0 ? pc - 1 : pc;
        size_t n = symbolize_uncached(s, pc, addr, tmp);
        c = malloc(sizeof *c + n * sizeof(lw_frame));
        if (!c) {
            out[0] = tmp[0];
            return 1;
        }
        c->key = key;
        c->n = n;
        memcpy(c->frames, tmp, n * sizeof(lw_frame));
        HASH_ADD(hh, s->cache, key, sizeof key, c);
    }
    size_t n = c->n < max ? c->n : max;
    memcpy(out, c->frames, n * sizeof(lw_frame));
    return n;
}

static int obj_cmp(const void *a, const void *b)
{
    const lw_obj_sym *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->size < y->size ? -1 : x->size > y->size;
}

/* Collects the module's STT_OBJECT symbols (symtab, or dynsym when stripped), sorted. */
static void load_objects(lw_symbolizer *s, lw_elfmod *e)
{
    e->objs_loaded = true;
    int nsyms = dwfl_module_getsymtab(e->mod);
    if (nsyms <= 0)
        return;
    e->objs = malloc((size_t)nsyms * sizeof *e->objs);
    if (!e->objs)
        return;
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(e->mod, i, &sym, &addr, &shndx, NULL, NULL);
        if (!name || !*name || GELF_ST_TYPE(sym.st_info) != STT_OBJECT || shndx == SHN_UNDEF)
            continue;
        e->objs[e->n_objs++] = (lw_obj_sym){addr, sym.st_size, intern(s, name)};
    }
    qsort(e->objs, e->n_objs, sizeof *e->objs, obj_cmp);
    e->max_end = malloc((e->n_objs ? e->n_objs : 1) * sizeof *e->max_end);
    if (!e->max_end) {
        e->n_objs = 0;
        return;
    }
    uint64_t mx = 0;
    for (size_t i = 0; i < e->n_objs; i++) {
        uint64_t end = e->objs[i].start + e->objs[i].size;
        mx = end > mx ? end : mx;
        e->max_end[i] = mx;
    }
}

/* The smallest object containing addr; a size-0 symbol only on an exact match. */
static const lw_obj_sym *find_object(lw_elfmod *e, uint64_t addr)
{
    size_t lo = 0, hi = e->n_objs; /* first index with start > addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->objs[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    const lw_obj_sym *best = NULL;
    /* Walk back while some earlier symbol could still reach addr (max_end) or starts at it. */
    for (size_t i = lo; i-- > 0;) {
        const lw_obj_sym *o = &e->objs[i];
        if (e->max_end[i] <= addr && o->start != addr)
            break;
        bool hit = o->size ? addr < o->start + o->size : o->start == addr;
        if (!hit)
            continue;
        if (!best || (o->size && (!best->size || o->size < best->size)))
            best = o;
    }
    return best;
}

static bool add_var(lw_elfmod *e, lw_var_def v)
{
    if (e->n_vars == e->cap_vars) {
        size_t cap = e->cap_vars ? 2 * e->cap_vars : 64;
        lw_var_def *grown = realloc(e->vars, cap * sizeof *grown);
        if (!grown)
            return false;
        e->vars = grown;
        e->cap_vars = cap;
    }
    e->vars[e->n_vars++] = v;
    return true;
}

/* The static address of a variable whose DW_AT_location is a single DW_OP_addr/addrx. */
static bool var_address(Dwarf_Die *die, Dwarf_Addr *out)
{
    Dwarf_Attribute attr;
    Dwarf_Op *expr;
    size_t len;
    if (!dwarf_attr(die, DW_AT_location, &attr) || dwarf_getlocation(&attr, &expr, &len) != 0 ||
        len != 1)
        return false;
    if (expr[0].atom == DW_OP_addr) {
        *out = expr[0].number;
        return true;
    }
    if (expr[0].atom == DW_OP_addrx || expr[0].atom == DW_OP_GNU_addr_index) {
        Dwarf_Attribute res;
        return dwarf_getlocation_attr(&attr, &expr[0], &res) == 0 && dwarf_formaddr(&res, out) == 0;
    }
    return false;
}

/*
 * The declaration's file. libdw 0.188's dwarf_decl_file refuses DW_AT_decl_file 0, which
 * DWARF 5 uses for the primary source file (clang emits it); the CU's file table has it.
 */
static const char *decl_file(lw_symbolizer *s, Dwarf_Die *cudie, Dwarf_Die *die)
{
    const char *f = dwarf_decl_file(die);
    Dwarf_Attribute attr;
    Dwarf_Word idx;
    Dwarf_Files *files;
    size_t nfiles;
    if (!f && dwarf_formudata(dwarf_attr(die, DW_AT_decl_file, &attr), &idx) == 0 &&
        dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && idx < nfiles)
        f = dwarf_filesrc(files, idx, NULL, NULL);
    return abs_file(s, cudie, f);
}

/* Records the variable definitions under die; recurses into scopes that can hold statics. */
static void scan_vars(lw_symbolizer *s, lw_elfmod *e, Dwarf_Die *cudie, Dwarf_Die *die,
                      Dwarf_Addr bias, int depth)
{
    Dwarf_Die child;
    if (depth > 64 || dwarf_child(die, &child) != 0)
        return;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace ||
            tag == DW_TAG_inlined_subroutine) {
            scan_vars(s, e, cudie, &child, bias, depth + 1);
            continue;
        }
        if (tag != DW_TAG_variable || dwarf_hasattr(&child, DW_AT_declaration))
            continue;
        const char *name = dwarf_diename(&child);
        Dwarf_Addr addr;
        if (!name || !var_address(&child, &addr))
            continue;
        int line = 0;
        dwarf_decl_line(&child, &line);
        Dwarf_Attribute tattr;
        Dwarf_Die type;
        Dwarf_Word size = 0;
        if (!dwarf_formref_die(dwarf_attr_integrate(&child, DW_AT_type, &tattr), &type) ||
            dwarf_aggregate_size(&type, &size) != 0)
            size = 0;
        lw_var_def v = {addr + bias, size, intern(s, name), decl_file(s, cudie, &child), line};
        if (!v.name || !add_var(e, v))
            continue;
        lw_var_name *vn;
        HASH_FIND_PTR(e->names, &v.name, vn);
        if (vn) {
            vn->ambiguous |= vn->file != v.file || vn->line != v.line;
        } else if ((vn = calloc(1, sizeof *vn))) {
            vn->name = v.name;
            vn->file = v.file;
            vn->line = v.line;
            HASH_ADD_PTR(e->names, name, vn);
        }
    } while (dwarf_siblingof(&child, &child) == 0);
}

static int var_cmp(const void *a, const void *b)
{
    const lw_var_def *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Indexes every variable definition in the module's DWARF, once. */
static void load_vars(lw_symbolizer *s, lw_elfmod *e)
{
    e->vars_loaded = true;
    Dwarf_Die *cu = NULL;
    Dwarf_Addr bias = 0;
    while ((cu = dwfl_module_nextcu(e->mod, cu, &bias)))
        scan_vars(s, e, cu, cu, bias, 0);
    if (e->n_vars)
        qsort(e->vars, e->n_vars, sizeof *e->vars, var_cmp);
}

static const lw_var_def *find_var(lw_elfmod *e, uint64_t addr)
{
    size_t lo = 0, hi = e->n_vars;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->vars[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->n_vars && e->vars[lo].addr == addr ? &e->vars[lo] : NULL;
}

bool lw_symbolize_data(lw_symbolizer *s, uint64_t addr, lw_data_symbol *out)
{
    if (!s || !out)
        return false;
    lw_sym_module *m = module_for(s, addr);
    lw_elfmod *e = m ? module_open(s, m) : NULL;
    if (!e)
        return false;
    if (!e->objs_loaded)
        load_objects(s, e);
    const lw_obj_sym *o = find_object(e, addr);
    if (!o)
        return false;
    *out = (lw_data_symbol){.name = o->name, .start = o->start, .size = o->size, .module = m->path};
    if (!e->vars_loaded)
        load_vars(s, e);
    const lw_var_def *v = find_var(e, o->start);
    if (v) {
        /* The DWARF name: "lock" rather than GCC's "lock.0" for a function-scope static. */
        out->name = v->name;
        /* The type's size: clang's ASan pads globals with a redzone counted in st_size. */
        if (v->size && v->size < out->size) {
            out->size = v->size;
            if (addr >= out->start + out->size)
                return false; /* in the padding after the variable */
        }
        out->file = v->file;
        out->line = v->line;
        return true;
    }
    lw_var_name *vn;
    HASH_FIND_PTR(e->names, &o->name, vn);
    if (vn && !vn->ambiguous) {
        out->file = vn->file;
        out->line = vn->line;
    }
    return true;
}

bool lw_symbolize_tls(lw_symbolizer *s, uint64_t module_addr, uint64_t offset, lw_data_symbol *out)
{
    if (!s || !out)
        return false;
    lw_sym_module *m = module_for(s, module_addr);
    lw_elfmod *e = m ? module_open(s, m) : NULL;
    if (!e)
        return false;
    /* A linear scan: TLS findings are few, and STT_TLS symbols are not in the objects index
     * (their st_value is an offset in the TLS block, not an address). */
    int nsyms = dwfl_module_getsymtab(e->mod);
    const char *best = NULL;
    uint64_t best_start = 0, best_size = 0;
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(e->mod, i, &sym, &addr, &shndx, NULL, NULL);
        if (!name || !*name || GELF_ST_TYPE(sym.st_info) != STT_TLS || shndx == SHN_UNDEF)
            continue;
        /* getsym_info leaves st_value unadjusted: for STT_TLS it is the offset in the block. */
        uint64_t start = sym.st_value, size = sym.st_size;
        bool hit = size ? offset >= start && offset - start < size : offset == start;
        if (hit && (!best || size < best_size)) {
            best = name;
            best_start = start;
            best_size = size;
        }
    }
    if (!best)
        return false;
    /* GCC names a function-scope static "counter.0": show the source name. */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", best);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1))
        *dot = '\0';
    *out = (lw_data_symbol){
        .name = intern(s, buf), .start = best_start, .size = best_size, .module = m->path};
    return out->name != NULL;
}
