/*
 * A unit registry from a CSV file: units that a city knows whether or not a case was ever listed
 * there (e.g. data/hangzhou-compounds), so that a rule set's floor (防范区, low risk) holds them.
 */
#include "zone_int.h"

#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "zhinao/div.h"

#define REG_MAX_COLS 64

typedef struct reg_parse {
    const zn_zone_registry_spec *spec;
    zn_div_registry *div;
    zn_stmt *up;
    zn_zone_registry_summary *sum;
    zn_error *err;
    zn_status status;
    long line;
    int field;
    char *f[REG_MAX_COLS];
    size_t flen[REG_MAX_COLS];
    int c_name, c_lon, c_lat, c_filter, c_pop;
    zn_buf key;
} reg_parse;

static void reg_field(void *s, size_t len, void *user)
{
    reg_parse *p = user;
    if (p->field < REG_MAX_COLS) {
        char *v = realloc(p->f[p->field], len + 1);
        if (!v) {
            if (p->status == ZN_OK)
                p->status = zn_error_set(p->err, ZN_ENOMEM, p->spec->path, p->line + 1, NULL, "out of memory");
        } else {
            memcpy(v, s, len);
            v[len] = 0;
            p->f[p->field] = v;
            p->flen[p->field] = len;
        }
    }
    p->field++;
}

static int col(reg_parse *p, int nf, const char *name)
{
    for (int i = 0; name && i < nf && i < REG_MAX_COLS; i++)
        if (p->f[i] && !strcmp(p->f[i], name))
            return i;
    return -1;
}

static void reg_row(int c, void *user)
{
    (void)c;
    reg_parse *p = user;
    int nf = p->field < REG_MAX_COLS ? p->field : REG_MAX_COLS;
    p->field = 0;
    p->line++;
    if (p->status != ZN_OK)
        return;
    const zn_zone_registry_spec *sp = p->spec;
    if (p->line == 1) {
        p->c_name = col(p, nf, sp->name_col);
        p->c_lon = col(p, nf, sp->lon_col);
        p->c_lat = col(p, nf, sp->lat_col);
        p->c_filter = sp->filter_col ? col(p, nf, sp->filter_col) : -2;
        p->c_pop = sp->population_col ? col(p, nf, sp->population_col) : -2;
        const char *missing = p->c_name < 0 ? sp->name_col
                              : p->c_lon < 0 ? sp->lon_col
                              : p->c_lat < 0 ? sp->lat_col
                              : p->c_filter == -1 ? sp->filter_col
                              : p->c_pop == -1 ? sp->population_col
                                                : NULL;
        if (missing)
            p->status = zn_error_set(p->err, ZN_EPARSE, sp->path, 1, missing, "no column '%s' in the header", missing);
        return;
    }
    int need = p->c_name > p->c_lon ? p->c_name : p->c_lon;
    if (p->c_lat > need)
        need = p->c_lat;
    if (p->c_filter > need)
        need = p->c_filter;
    if (p->c_pop > need)
        need = p->c_pop;
    p->sum->rows++;
    if (nf <= need)
        return;
    if (p->c_filter >= 0 && strcmp(p->f[p->c_filter], sp->filter_value ? sp->filter_value : ""))
        return;
    p->sum->matching++;
    char *end1, *end2;
    double lon = strtod(p->f[p->c_lon], &end1), lat = strtod(p->f[p->c_lat], &end2);
    const char *name = p->f[p->c_name];
    if (!*name || end1 == p->f[p->c_lon] || end2 == p->f[p->c_lat] || !isfinite(lon) || !isfinite(lat)) {
        p->sum->no_point++;
        return;
    }
    zn_div county;
    zn_error lerr;
    if (zn_div_locate(p->div, lon, lat, sp->crs, 0, &county, NULL, &lerr) != ZN_OK ||
        (sp->within && *sp->within && strncmp(county.code, sp->within, strlen(sp->within)))) {
        p->sum->outside++;
        return;
    }
    double wlon, wlat;
    zn_crs_convert(sp->crs, ZN_CRS_WGS84, lon, lat, &wlon, &wlat);
    zn_buf_reset(&p->key);
    if (zn_buf_printf(&p->key, "place:%s:%s", county.name, name) != ZN_OK) {
        p->status = zn_error_set(p->err, ZN_ENOMEM, sp->path, p->line, NULL, "out of memory");
        return;
    }
    int64_t pop = -1;
    if (p->c_pop >= 0 && p->f[p->c_pop][0]) {
        char *e;
        long long v = strtoll(p->f[p->c_pop], &e, 10);
        if (*e == 0 && v >= 0)
            pop = v;
    }
    zn_zone_unit u = {.kind = ZN_ZONE_UNIT_PLACE,
                      .key = p->key.data,
                      .name = name,
                      .county_code = county.code,
                      .lon = wlon,
                      .lat = wlat,
                      .population = pop};
    zn_status s = zn__zone_upsert(p->up, &u, sp->source, p->err);
    if (s != ZN_OK) {
        p->status = s;
        return;
    }
    p->sum->units++;
}

zn_status zn_zone_registry_import(zn_store *st, zn_div_registry *div, const zn_zone_registry_spec *spec,
                                  zn_zone_registry_summary *out, zn_error *err)
{
    if (!st || !div || !spec || !spec->path || !spec->name_col || !spec->lon_col || !spec->lat_col || !spec->source ||
        !*spec->source)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (zn_div_boundary_count(div) == 0)
        return zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "no county boundaries loaded (zn_div_boundaries_load)");
    zn_zone_registry_summary sum = {0};
    gzFile gz = gzopen(spec->path, "rb");
    if (!gz)
        return zn_error_set(err, ZN_EIO, spec->path, 0, NULL, "cannot open the registry");
    reg_parse p = {.spec = spec, .div = div, .sum = &sum, .err = err, .status = ZN_OK};
    struct csv_parser cs;
    zn_status s = ZN_OK;
    if (csv_init(&cs, CSV_APPEND_NULL) != 0) {
        gzclose(gz);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    if ((s = zn_store_begin(st, err)) == ZN_OK) {
        s = zn__zone_upsert_prepare(st, &p.up, err);
        char buf[65536];
        int n = 0;
        while (s == ZN_OK && p.status == ZN_OK && (n = gzread(gz, buf, sizeof buf)) > 0)
            if (csv_parse(&cs, buf, (size_t)n, reg_field, reg_row, &p) != (size_t)n)
                s = zn_error_set(err, ZN_EPARSE, spec->path, p.line + 1, NULL, "%s", csv_strerror(csv_error(&cs)));
        if (s == ZN_OK && n < 0)
            s = zn_error_set(err, ZN_EIO, spec->path, p.line, NULL, "read error");
        if (s == ZN_OK)
            csv_fini(&cs, reg_field, reg_row, &p);
        if (s == ZN_OK)
            s = p.status;
        zn_stmt_finalize(p.up);
        s = s == ZN_OK ? zn_store_commit(st, err) : (zn_store_rollback(st), s);
    }
    csv_free(&cs);
    gzclose(gz);
    for (int i = 0; i < REG_MAX_COLS; i++)
        free(p.f[i]);
    zn_buf_fini(&p.key);
    if (s == ZN_OK && out)
        *out = sum;
    return s;
}
