/*
 * The division registry: loading the NBS code files (CSV, optionally gzip'd) into sorted arrays,
 * one per edition, and the read-only queries (lookup, parent, children, path, search, diff).
 *
 * Layout: every division is a zn__div_node in its edition's array, sorted by the 12-digit code
 * (an integer), so lookups are binary searches; children are a CSR list built once after
 * loading; names live in one string pool. Files are read with zlib's gzread (which passes plain
 * files through unchanged) and parsed with libcsv.
 */
#include "div_int.h"

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

const int zn__div_digits[6] = {0, 2, 4, 6, 9, 12};

static const uint64_t POW10[13] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL};

uint64_t zn__div_trunc(uint64_t code, int keep)
{
    uint64_t unit = POW10[12 - keep];
    return code / unit * unit;
}

const char *zn_div_level_name(int level)
{
    static const char *const names[] = {"unknown", "province", "city", "county", "township", "village"};
    return (level >= 1 && level <= 5) ? names[level] : names[0];
}

const char *zn_div_change_kind_name(zn_div_change_kind kind)
{
    switch (kind) {
    case ZN_DIV_ADDED: return "added";
    case ZN_DIV_REMOVED: return "removed";
    case ZN_DIV_RENAMED: return "renamed";
    }
    return "unknown";
}

zn_status zn__div_parse(const char *code, uint64_t *out)
{
    if (!code)
        return ZN_EINVAL;
    size_t len = strlen(code);
    if (len != 2 && len != 4 && len != 6 && len != 9 && len != 12)
        return ZN_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (code[i] < '0' || code[i] > '9')
            return ZN_EINVAL;
        v = v * 10 + (uint64_t)(code[i] - '0');
    }
    *out = v * POW10[12 - len];
    return ZN_OK;
}

static void format_code(uint64_t code, char out[13])
{
    for (int i = 11; i >= 0; i--) {
        out[i] = (char)('0' + code % 10);
        code /= 10;
    }
    out[12] = '\0';
}

zn_status zn_div_normalize(const char *code, char out[13])
{
    uint64_t v;
    if (!out || zn__div_parse(code, &v) != ZN_OK)
        return ZN_EINVAL;
    format_code(v, out);
    return ZN_OK;
}

static int level_of(uint64_t code)
{
    if (code == 0 || code >= POW10[12])
        return 0;
    /* the deepest level whose own digits (after its parent's) are not all zero */
    for (int level = 5; level >= 2; level--)
        if (code % POW10[12 - zn__div_digits[level - 1]] != 0)
            return level;
    return 1;
}

int zn_div_code_level(const char *code)
{
    uint64_t v;
    if (zn__div_parse(code, &v) != ZN_OK)
        return 0;
    return level_of(v);
}

/* ---- loading ---- */

#define NFIELDS 8
#define FIELD_MAX 256

typedef struct load_state {
    zn_div_registry *reg;
    zn__div_edition *ed;
    const char *path;
    uint16_t file;
    int level;
    long record;              /* 1 = header */
    int nf;                   /* fields seen in the current record */
    char f[NFIELDS][FIELD_MAX];
    int too_long;             /* a field of the current record was truncated */
    int col_code, col_name, col_parent;
    zn_status st;
    zn_error *err;
} load_state;

static const char *const LEVEL_FILE[6] = {NULL, "provinces", "cities", "counties", "townships", "villages"};
static const char *const PARENT_COL[6] = {NULL, NULL, "provinceCode", "cityCode", "areaCode", "streetCode"};

static void on_field(void *s, size_t len, void *data)
{
    load_state *ls = data;
    if (ls->st != ZN_OK)
        return;
    if (ls->nf < NFIELDS) {
        if (len >= FIELD_MAX) {
            len = FIELD_MAX - 1;
            ls->too_long = 1;
        }
        memcpy(ls->f[ls->nf], s, len);
        ls->f[ls->nf][len] = '\0';
    }
    ls->nf++;
}

static zn_status pool_add(zn_div_registry *reg, const char *s, uint32_t *off)
{
    size_t n = strlen(s) + 1;
    if (reg->pool_len + n > reg->pool_cap) {
        size_t cap = reg->pool_cap ? reg->pool_cap * 2 : 1 << 20;
        while (cap < reg->pool_len + n)
            cap *= 2;
        if (cap > UINT32_MAX)
            return ZN_ENOMEM;
        char *p = realloc(reg->pool, cap);
        if (!p)
            return ZN_ENOMEM;
        reg->pool = p;
        reg->pool_cap = cap;
    }
    memcpy(reg->pool + reg->pool_len, s, n);
    *off = (uint32_t)reg->pool_len;
    reg->pool_len += n;
    return ZN_OK;
}

zn_status zn__div_node_add(zn_div_registry *reg, zn__div_edition *ed, uint64_t code, int level, const char *name,
                           uint32_t line, uint16_t file)
{
    if (ed->n == ed->cap) {
        size_t cap = ed->cap ? ed->cap * 2 : 4096;
        zn__div_node *nodes = realloc(ed->nodes, cap * sizeof *nodes);
        if (!nodes)
            return ZN_ENOMEM;
        ed->nodes = nodes;
        ed->cap = cap;
    }
    zn__div_node *nd = &ed->nodes[ed->n];
    memset(nd, 0, sizeof *nd);
    nd->code = code;
    nd->level = (uint8_t)level;
    nd->parent = -1;
    nd->line = line;
    nd->file = file;
    if (pool_add(reg, name, &nd->name) != ZN_OK)
        return ZN_ENOMEM;
    ed->n++;
    return ZN_OK;
}

static zn_status header_row(load_state *ls)
{
    ls->col_code = ls->col_name = ls->col_parent = -1;
    /* strip a UTF-8 byte order mark from the first column name */
    if (!strncmp(ls->f[0], "\xEF\xBB\xBF", 3))
        memmove(ls->f[0], ls->f[0] + 3, strlen(ls->f[0] + 3) + 1);
    for (int i = 0; i < ls->nf && i < NFIELDS; i++) {
        if (!strcmp(ls->f[i], "code"))
            ls->col_code = i;
        else if (!strcmp(ls->f[i], "name"))
            ls->col_name = i;
        else if (PARENT_COL[ls->level] && !strcmp(ls->f[i], PARENT_COL[ls->level]))
            ls->col_parent = i;
    }
    if (ls->col_code < 0 || ls->col_name < 0 || (PARENT_COL[ls->level] && ls->col_parent < 0))
        return zn_error_set(ls->err, ZN_EPARSE, ls->path, 1, NULL,
                            "header must name the columns code, name%s%s", PARENT_COL[ls->level] ? " and " : "",
                            PARENT_COL[ls->level] ? PARENT_COL[ls->level] : "");
    return ZN_OK;
}

static zn_status data_row(load_state *ls)
{
    int need = ls->col_code;
    if (ls->col_name > need) need = ls->col_name;
    if (ls->col_parent > need) need = ls->col_parent;
    if (ls->nf <= need)
        return zn_error_set(ls->err, ZN_EPARSE, ls->path, ls->record, NULL,
                            "%d fields, expected at least %d", ls->nf, need + 1);
    if (ls->too_long)
        return zn_error_set(ls->err, ZN_EPARSE, ls->path, ls->record, NULL,
                            "field longer than %d bytes", FIELD_MAX - 1);
    const char *code = ls->f[ls->col_code];
    const char *name = ls->f[ls->col_name];
    uint64_t v;
    if (strlen(code) != (size_t)zn__div_digits[ls->level] || zn__div_parse(code, &v) != ZN_OK ||
        level_of(v) != ls->level)
        return zn_error_set(ls->err, ZN_EPARSE, ls->path, ls->record, "code",
                            "'%s' is not a %d-digit %s code", code, zn__div_digits[ls->level],
                            zn_div_level_name(ls->level));
    if (!*name)
        return zn_error_set(ls->err, ZN_EPARSE, ls->path, ls->record, "name", "empty name of %s", code);
    if (ls->col_parent >= 0) {
        uint64_t p;
        const char *pc = ls->f[ls->col_parent];
        if (zn__div_parse(pc, &p) != ZN_OK || p != zn__div_trunc(v, zn__div_digits[ls->level - 1]))
            return zn_error_set(ls->err, ZN_EPARSE, ls->path, ls->record, PARENT_COL[ls->level],
                                "parent '%s' is not the first %d digits of %s", pc,
                                zn__div_digits[ls->level - 1], code);
    }
    if (zn__div_node_add(ls->reg, ls->ed, v, ls->level, name, (uint32_t)ls->record, ls->file) != ZN_OK)
        return zn_error_set(ls->err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
    return ZN_OK;
}

static void on_record(int c, void *data)
{
    (void)c;
    load_state *ls = data;
    if (ls->st != ZN_OK)
        return;
    ls->record++;
    if (ls->record == 1)
        ls->st = header_row(ls);
    else
        ls->st = data_row(ls);
    ls->nf = 0;
    ls->too_long = 0;
}

static zn_status load_file(load_state *ls)
{
    gzFile gz = gzopen(ls->path, "rb");
    if (!gz)
        return zn_error_set(ls->err, ZN_EIO, ls->path, 0, NULL, "cannot open: %s", strerror(errno));
    gzbuffer(gz, 1 << 17);
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        gzclose(gz);
        return zn_error_set(ls->err, ZN_ENOMEM, ls->path, 0, NULL, "csv parser");
    }
    static const size_t BUFSZ = 1 << 16;
    char *buf = malloc(BUFSZ);
    if (!buf) {
        csv_free(&p);
        gzclose(gz);
        return zn_error_set(ls->err, ZN_ENOMEM, ls->path, 0, NULL, "read buffer");
    }
    zn_status st = ZN_OK;
    for (;;) {
        int n = gzread(gz, buf, (unsigned)BUFSZ);
        if (n < 0) {
            int zerr;
            const char *m = gzerror(gz, &zerr);
            st = zn_error_set(ls->err, ZN_EIO, ls->path, ls->record, NULL, "read error: %s", m);
            break;
        }
        if (n == 0)
            break;
        if (csv_parse(&p, buf, (size_t)n, on_field, on_record, ls) != (size_t)n) {
            st = zn_error_set(ls->err, ZN_EPARSE, ls->path, ls->record + 1, NULL, "CSV: %s",
                              csv_strerror(csv_error(&p)));
            break;
        }
        if (ls->st != ZN_OK)
            break;
    }
    if (st == ZN_OK && ls->st == ZN_OK)
        csv_fini(&p, on_field, on_record, ls);
    if (st == ZN_OK)
        st = ls->st;
    if (st == ZN_OK && ls->record < 1)
        st = zn_error_set(ls->err, ZN_EPARSE, ls->path, 0, NULL, "empty file (no header)");
    free(buf);
    csv_free(&p);
    gzclose(gz);
    return st;
}

/* "villages_zj_sh_2023.csv.gz" -> level 5, year 2023; 0 when the name does not match. */
static int parse_file_name(const char *fname, int *level, int *year)
{
    size_t len = strlen(fname);
    if (len > 3 && !strcmp(fname + len - 3, ".gz"))
        len -= 3;
    if (len < 4 || strncmp(fname + len - 4, ".csv", 4))
        return 0;
    len -= 4;
    if (len < 6 || fname[len - 5] != '_')
        return 0;
    int y = 0;
    for (size_t i = len - 4; i < len; i++) {
        if (fname[i] < '0' || fname[i] > '9')
            return 0;
        y = y * 10 + (fname[i] - '0');
    }
    for (int lv = 1; lv <= 5; lv++) {
        size_t pl = strlen(LEVEL_FILE[lv]);
        if (!strncmp(fname, LEVEL_FILE[lv], pl) && fname[pl] == '_') {
            *level = lv;
            *year = y;
            return 1;
        }
    }
    return 0;
}

zn__div_edition *zn__div_edition_for(zn_div_registry *reg, int year)
{
    for (size_t i = 0; i < reg->neds; i++)
        if (reg->eds[i].year == year)
            return &reg->eds[i];
    zn__div_edition *eds = realloc(reg->eds, (reg->neds + 1) * sizeof *eds);
    if (!eds)
        return NULL;
    reg->eds = eds;
    /* keep ascending order */
    size_t at = reg->neds;
    while (at > 0 && eds[at - 1].year > year) {
        eds[at] = eds[at - 1];
        at--;
    }
    memset(&eds[at], 0, sizeof eds[at]);
    eds[at].year = year;
    reg->neds++;
    return &eds[at];
}

static int cmp_node(const void *a, const void *b)
{
    uint64_t x = ((const zn__div_node *)a)->code, y = ((const zn__div_node *)b)->code;
    return x < y ? -1 : x > y;
}

long zn__div_find(const zn__div_edition *ed, uint64_t code)
{
    size_t lo = 0, hi = ed->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ed->nodes[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < ed->n && ed->nodes[lo].code == code) ? (long)lo : -1;
}

/* Sort, check duplicates, link parents, build the children lists and the counts. */
zn_status zn__div_finish_edition(zn_div_registry *reg, zn__div_edition *ed, zn_error *err)
{
    int sorted = 1;
    for (size_t i = 1; i < ed->n && sorted; i++)
        if (ed->nodes[i - 1].code > ed->nodes[i].code)
            sorted = 0;
    if (!sorted)
        qsort(ed->nodes, ed->n, sizeof *ed->nodes, cmp_node);
    memset(ed->count, 0, sizeof ed->count);
    for (size_t i = 0; i < ed->n; i++) {
        zn__div_node *nd = &ed->nodes[i];
        char c[13];
        if (i > 0 && ed->nodes[i - 1].code == nd->code) {
            format_code(nd->code, c);
            return zn_error_set(err, ZN_EDUPLICATE, reg->files[nd->file], nd->line, "code",
                                "code %s appears twice in edition %d", c, ed->year);
        }
        ed->count[0]++;
        ed->count[nd->level]++;
        if (nd->level > 1) {
            long p = zn__div_find(ed, zn__div_trunc(nd->code, zn__div_digits[nd->level - 1]));
            if (p < 0 || ed->nodes[p].level != nd->level - 1) {
                format_code(nd->code, c);
                return zn_error_set(err, ZN_EVALIDATE, reg->files[nd->file], nd->line, "code",
                                    "parent of %s is not in edition %d", c, ed->year);
            }
            nd->parent = (int32_t)p;
            ed->nodes[p].nkids++;
        }
    }
    ed->kids = malloc((ed->n ? ed->n : 1) * sizeof *ed->kids);
    if (!ed->kids)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
    uint32_t off = 0;
    for (size_t i = 0; i < ed->n; i++) {
        ed->nodes[i].kid0 = off;
        off += ed->nodes[i].nkids;
        ed->nodes[i].nkids = 0;
    }
    for (size_t i = 0; i < ed->n; i++) {
        int32_t p = ed->nodes[i].parent;
        if (p >= 0) {
            zn__div_node *pn = &ed->nodes[p];
            ed->kids[pn->kid0 + pn->nkids++] = (uint32_t)i;
        }
    }
    return ZN_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

zn_status zn_div_registry_new(zn_ctx *ctx, const char *dir, zn_div_registry **out, zn_error *err)
{
    if (!ctx || !dir || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_registry_new: NULL argument");
    *out = NULL;
    zn_div_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
    reg->ctx = ctx;
    zn_status st = ZN_OK;

    /* list the matching files, sorted for a deterministic order */
    DIR *d = opendir(dir);
    if (!d) {
        st = zn_error_set(err, ZN_EIO, dir, 0, NULL, "cannot open folder: %s", strerror(errno));
        goto fail;
    }
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int lv, yr;
        if (!parse_file_name(de->d_name, &lv, &yr))
            continue;
        char **nn = realloc(names, (nnames + 1) * sizeof *nn);
        if (nn)
            names = nn;
        char *str = nn ? zn_strdup(de->d_name) : NULL;
        if (!str) {
            free_names(names, nnames);
            closedir(d);
            st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
            goto fail;
        }
        names[nnames++] = str;
    }
    closedir(d);
    if (nnames == 0) {
        st = zn_error_set(err, ZN_ENOTFOUND, dir, 0, NULL,
                          "no division files (<level>_*_<edition>.csv[.gz]) in this folder");
        goto fail;
    }
    if (nnames > UINT16_MAX) {
        free_names(names, nnames);
        st = zn_error_set(err, ZN_ERANGE, dir, 0, NULL, "too many division files");
        goto fail;
    }
    qsort(names, nnames, sizeof *names, cmp_str);
    reg->files = calloc(nnames, sizeof *reg->files);
    if (!reg->files) {
        free_names(names, nnames);
        st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
        goto fail;
    }
    for (size_t i = 0; i < nnames; i++) {
        zn_buf path = {0};
        if (st == ZN_OK && zn_buf_printf(&path, "%s/%s", dir, names[i]) != ZN_OK)
            st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
        if (st == ZN_OK)
            reg->files[reg->nfiles++] = path.data;
        else
            zn_buf_fini(&path);
        int lv = 0, yr = 0;
        parse_file_name(names[i], &lv, &yr);
        free(names[i]);
        if (st != ZN_OK)
            continue;
        zn__div_edition *ed = zn__div_edition_for(reg, yr);
        if (!ed) {
            st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
            continue;
        }
        load_state *ls = calloc(1, sizeof *ls);
        if (!ls) {
            st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
            continue;
        }
        ls->reg = reg;
        ls->ed = ed;
        ls->path = reg->files[reg->nfiles - 1];
        ls->file = (uint16_t)(reg->nfiles - 1);
        ls->level = lv;
        ls->err = err;
        st = load_file(ls);
        free(ls);
    }
    free(names);
    if (st != ZN_OK)
        goto fail;
    for (size_t i = 0; i < reg->neds; i++)
        if ((st = zn__div_finish_edition(reg, &reg->eds[i], err)) != ZN_OK)
            goto fail;
    zn_log(ctx, ZN_LOG_DEBUG, "division registry: %zu files, %zu editions from %s", reg->nfiles, reg->neds, dir);
    *out = reg;
    return ZN_OK;
fail:
    zn_div_registry_free(reg);
    return st;
}

void zn_div_registry_free(zn_div_registry *reg)
{
    if (!reg)
        return;
    zn__div_boundaries_free(reg);
    for (size_t i = 0; i < reg->neds; i++) {
        free(reg->eds[i].nodes);
        free(reg->eds[i].kids);
    }
    free(reg->eds);
    for (size_t i = 0; i < reg->nfiles; i++)
        free(reg->files[i]);
    free(reg->files);
    free(reg->pool);
    free(reg);
}

/* ---- queries ---- */

size_t zn_div_editions(const zn_div_registry *reg, int *out, size_t n)
{
    if (!reg)
        return 0;
    for (size_t i = 0; i < reg->neds && i < n; i++)
        out[i] = reg->eds[i].year;
    return reg->neds;
}

int zn_div_edition_latest(const zn_div_registry *reg)
{
    return (reg && reg->neds) ? reg->eds[reg->neds - 1].year : 0;
}

const zn__div_edition *zn__div_edition_get(const zn_div_registry *reg, int year)
{
    if (!reg || !reg->neds)
        return NULL;
    if (year == 0)
        return &reg->eds[reg->neds - 1];
    for (size_t i = 0; i < reg->neds; i++)
        if (reg->eds[i].year == year)
            return &reg->eds[i];
    return NULL;
}

int zn_div_has_edition(const zn_div_registry *reg, int edition)
{
    return zn__div_edition_get(reg, edition) != NULL;
}

size_t zn_div_count(const zn_div_registry *reg, int edition, int level)
{
    const zn__div_edition *ed = zn__div_edition_get(reg, edition);
    if (!ed || level < 0 || level > 5)
        return 0;
    return ed->count[level];
}

void zn__div_fill(const zn_div_registry *reg, const zn__div_edition *ed, size_t i, zn_div *out)
{
    const zn__div_node *nd = &ed->nodes[i];
    format_code(nd->code, out->code);
    if (nd->parent >= 0)
        format_code(ed->nodes[nd->parent].code, out->parent_code);
    else
        out->parent_code[0] = '\0';
    out->level = nd->level;
    out->edition = ed->year;
    out->name = reg->pool + nd->name;
    out->nchildren = nd->nkids;
}

/* Resolve edition and code; on success *ed and *idx are set. */
static zn_status find_code(const zn_div_registry *reg, int edition, const char *code,
                           const zn__div_edition **ed, long *idx, zn_error *err)
{
    if (!reg)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL registry");
    *ed = zn__div_edition_get(reg, edition);
    if (!*ed)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "edition", "edition %d is not loaded", edition);
    uint64_t v;
    if (zn__div_parse(code, &v) != ZN_OK)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "code",
                            "'%s' is not a division code (2, 4, 6, 9 or 12 digits)", code ? code : "(null)");
    *idx = zn__div_find(*ed, v);
    if (*idx < 0) {
        char c[13];
        format_code(v, c);
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "code", "no division %s in edition %d", c, (*ed)->year);
    }
    return ZN_OK;
}

zn_status zn_div_lookup(const zn_div_registry *reg, int edition, const char *code, zn_div *out,
                        zn_error *err)
{
    const zn__div_edition *ed;
    long i;
    zn_status st = find_code(reg, edition, code, &ed, &i, err);
    if (st != ZN_OK)
        return st;
    if (out)
        zn__div_fill(reg, ed, (size_t)i, out);
    return ZN_OK;
}

zn_status zn_div_parent(const zn_div_registry *reg, int edition, const char *code, zn_div *out,
                        zn_error *err)
{
    const zn__div_edition *ed;
    long i;
    zn_status st = find_code(reg, edition, code, &ed, &i, err);
    if (st != ZN_OK)
        return st;
    int32_t p = ed->nodes[i].parent;
    if (p < 0)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "code", "%s is a province: it has no parent", code);
    if (out)
        zn__div_fill(reg, ed, (size_t)p, out);
    return ZN_OK;
}

zn_status zn_div_children(const zn_div_registry *reg, int edition, const char *code, zn_div **out,
                          size_t *n, zn_error *err)
{
    if (!out || !n)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_children: NULL argument");
    *out = NULL;
    *n = 0;
    const zn__div_edition *ed;
    if (!code || !*code) {
        ed = zn__div_edition_get(reg, edition);
        if (!ed)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "edition", "edition %d is not loaded", edition);
        size_t k = ed->count[1];
        if (!k)
            return ZN_OK;
        zn_div *arr = malloc(k * sizeof *arr);
        if (!arr)
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "children");
        size_t j = 0;
        for (size_t i = 0; i < ed->n && j < k; i++)
            if (ed->nodes[i].level == 1)
                zn__div_fill(reg, ed, i, &arr[j++]);
        *out = arr;
        *n = j;
        return ZN_OK;
    }
    long idx;
    zn_status st = find_code(reg, edition, code, &ed, &idx, err);
    if (st != ZN_OK)
        return st;
    const zn__div_node *nd = &ed->nodes[idx];
    if (!nd->nkids)
        return ZN_OK;
    zn_div *arr = malloc(nd->nkids * sizeof *arr);
    if (!arr)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "children");
    for (uint32_t k = 0; k < nd->nkids; k++)
        zn__div_fill(reg, ed, ed->kids[nd->kid0 + k], &arr[k]);
    *out = arr;
    *n = nd->nkids;
    return ZN_OK;
}

zn_status zn_div_path(const zn_div_registry *reg, int edition, const char *code, zn_buf *out,
                      zn_error *err)
{
    if (!out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_path: NULL buffer");
    const zn__div_edition *ed;
    long i;
    zn_status st = find_code(reg, edition, code, &ed, &i, err);
    if (st != ZN_OK)
        return st;
    int32_t chain[5];
    int depth = 0;
    for (int32_t p = (int32_t)i; p >= 0 && depth < 5; p = ed->nodes[p].parent)
        chain[depth++] = p;
    for (int k = depth - 1; k >= 0; k--) {
        if ((k < depth - 1 && zn_buf_puts(out, "/") != ZN_OK) ||
            zn_buf_puts(out, reg->pool + ed->nodes[chain[k]].name) != ZN_OK)
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "path");
    }
    return ZN_OK;
}

/* Is node code c inside the subtree rooted at u (of level ul)? */
static int in_subtree(uint64_t c, uint64_t u, int ul)
{
    return zn__div_trunc(c, zn__div_digits[ul]) == u;
}

zn_status zn_div_search(const zn_div_registry *reg, int edition, const zn_div_query *q,
                        zn_div **out, size_t *n, zn_error *err)
{
    if (!reg || !q || !out || !n)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_search: NULL argument");
    *out = NULL;
    *n = 0;
    if (!q->name || !*q->name)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "name", "empty search name");
    if (q->level < 0 || q->level > 5)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "level", "level %d not in 0..5", q->level);
    if (q->match != ZN_DIV_MATCH_EXACT && q->match != ZN_DIV_MATCH_SUBSTRING)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "match", "unknown match mode %d", (int)q->match);
    const zn__div_edition *ed = zn__div_edition_get(reg, edition);
    if (!ed)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "edition", "edition %d is not loaded", edition);
    uint64_t u = 0;
    int ul = 0;
    if (q->under) {
        if (zn__div_parse(q->under, &u) != ZN_OK || (ul = level_of(u)) == 0)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "under", "'%s' is not a division code", q->under);
    }
    size_t cap = 0, k = 0;
    zn_div *arr = NULL;
    for (size_t i = 0; i < ed->n; i++) {
        const zn__div_node *nd = &ed->nodes[i];
        if (q->level && nd->level != q->level)
            continue;
        if (ul && (nd->code == u || !in_subtree(nd->code, u, ul)))
            continue;
        const char *name = reg->pool + nd->name;
        if (q->match == ZN_DIV_MATCH_EXACT ? strcmp(name, q->name) != 0 : strstr(name, q->name) == NULL)
            continue;
        if (k == cap) {
            cap = cap ? cap * 2 : 16;
            zn_div *a = realloc(arr, cap * sizeof *a);
            if (!a) {
                free(arr);
                return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "search results");
            }
            arr = a;
        }
        zn__div_fill(reg, ed, i, &arr[k++]);
    }
    *out = arr;
    *n = k;
    return ZN_OK;
}

/* ---- diff ---- */

static zn_status push_change(zn_div_diff *d, size_t *cap, zn_div_change_kind kind, const zn__div_node *nd,
                             const char *old_name, const char *new_name)
{
    if (d->nchanges == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        zn_div_change *a = realloc(d->changes, c * sizeof *a);
        if (!a)
            return ZN_ENOMEM;
        d->changes = a;
        *cap = c;
    }
    zn_div_change *ch = &d->changes[d->nchanges++];
    ch->kind = kind;
    format_code(nd->code, ch->code);
    ch->level = nd->level;
    ch->old_name = old_name;
    ch->new_name = new_name;
    size_t *counts = kind == ZN_DIV_ADDED ? d->added : kind == ZN_DIV_REMOVED ? d->removed : d->renamed;
    counts[0]++;
    counts[nd->level]++;
    return ZN_OK;
}

zn_status zn_div_diff_compute(const zn_div_registry *reg, int from, int to, const char *under,
                              zn_div_diff *out, zn_error *err)
{
    if (!reg || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_diff_compute: NULL argument");
    memset(out, 0, sizeof *out);
    const zn__div_edition *a = zn__div_edition_get(reg, from), *b = zn__div_edition_get(reg, to);
    if (!a)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "edition", "edition %d is not loaded", from);
    if (!b)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "edition", "edition %d is not loaded", to);
    uint64_t u = 0;
    int ul = 0;
    if (under) {
        if (zn__div_parse(under, &u) != ZN_OK || (ul = level_of(u)) == 0)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "under", "'%s' is not a division code", under);
        if (zn__div_find(a, u) < 0 && zn__div_find(b, u) < 0) {
            char c[13];
            format_code(u, c);
            return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "under", "no division %s in edition %d or %d", c,
                                a->year, b->year);
        }
    }
    out->from_edition = a->year;
    out->to_edition = b->year;
    size_t cap = 0, i = 0, j = 0;
    /* first node of the subtree in each array (the subtree is a contiguous code range) */
    if (ul) {
        while (i < a->n && a->nodes[i].code < u) i++;
        while (j < b->n && b->nodes[j].code < u) j++;
    }
    for (;;) {
        const zn__div_node *x = (i < a->n && (!ul || in_subtree(a->nodes[i].code, u, ul))) ? &a->nodes[i] : NULL;
        const zn__div_node *y = (j < b->n && (!ul || in_subtree(b->nodes[j].code, u, ul))) ? &b->nodes[j] : NULL;
        if (!x && !y)
            break;
        zn_status st = ZN_OK;
        if (x && (!y || x->code < y->code)) {
            st = push_change(out, &cap, ZN_DIV_REMOVED, x, reg->pool + x->name, NULL);
            i++;
        } else if (y && (!x || y->code < x->code)) {
            st = push_change(out, &cap, ZN_DIV_ADDED, y, NULL, reg->pool + y->name);
            j++;
        } else {
            if (strcmp(reg->pool + x->name, reg->pool + y->name))
                st = push_change(out, &cap, ZN_DIV_RENAMED, y, reg->pool + x->name, reg->pool + y->name);
            i++;
            j++;
        }
        if (st != ZN_OK) {
            zn_div_diff_fini(out);
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "edition diff");
        }
    }
    return ZN_OK;
}

void zn_div_diff_fini(zn_div_diff *d)
{
    if (!d)
        return;
    free(d->changes);
    memset(d, 0, sizeof *d);
}
