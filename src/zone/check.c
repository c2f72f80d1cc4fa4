/*
 * Data quality of the zone units: is each unit's point inside the boundary of the division it is
 * assigned to (zn_zone_check_point, zn_zone_units_check in zone.h)?
 *
 * Boundaries are GEOS geometries (zn_geom, reentrant API with the handle of zn_ctx_geos) kept
 * sorted by 12-digit code; points are tested with zn_geom_covers_point (prepared "covers", so a
 * point on an edge is inside). Distances of outside points are measured in metres in the UTM zone
 * of the polygon (zn_proj_new_utm, zn_geom_transform, GEOSDistance_r).
 */
#include "zone_int.h"

#include <dirent.h>
#include <errno.h>
#include <geos_c.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/div.h"

typedef struct bound {
    char code[13];
    zn_geom *g;   /* in the set's CRS, owned */
    zn_proj *utm; /* lazily: UTM zone of the envelope centre */
    zn_geom *gm;  /* lazily: g projected to utm (metres) */
} bound;

struct zn_zone_bounds {
    zn_ctx *ctx;
    zn_crs crs;
    bound *v;
    size_t n, cap;
    int sorted;
};

zn_status zn_zone_bounds_new(zn_ctx *ctx, zn_crs crs, zn_zone_bounds **out, zn_error *err)
{
    if (out)
        *out = NULL;
    if (!ctx || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_zone_bounds_new: NULL argument");
    if (crs != ZN_CRS_WGS84 && crs != ZN_CRS_GCJ02 && crs != ZN_CRS_BD09)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "crs", "unknown CRS %d", (int)crs);
    zn_zone_bounds *b = calloc(1, sizeof *b);
    if (!b)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    b->ctx = ctx;
    b->crs = crs;
    b->sorted = 1;
    *out = b;
    return ZN_OK;
}

void zn_zone_bounds_free(zn_zone_bounds *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        zn_geom_free(b->v[i].g);
        zn_geom_free(b->v[i].gm);
        zn_proj_free(b->v[i].utm);
    }
    free(b->v);
    free(b);
}

size_t zn_zone_bounds_count(const zn_zone_bounds *b)
{
    return b ? b->n : 0;
}

static int cmp_bound(const void *a, const void *b)
{
    return strcmp(((const bound *)a)->code, ((const bound *)b)->code);
}

/* The boundary of a normalised code, or NULL. Sorts first when needed (codes are unique:
 * zn_zone_bounds_add keeps the first polygon of a code). */
static bound *find_bound(zn_zone_bounds *b, const char *code)
{
    if (b->n == 0)
        return NULL;
    if (!b->sorted) {
        qsort(b->v, b->n, sizeof *b->v, cmp_bound);
        b->sorted = 1;
    }
    bound key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return bsearch(&key, b->v, b->n, sizeof *b->v, cmp_bound);
}

zn_status zn_zone_bounds_add(zn_zone_bounds *b, const char *code, zn_geom *g, zn_error *err)
{
    char norm[13];
    if (!b || !code || !g) {
        zn_geom_free(g);
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_zone_bounds_add: NULL argument");
    }
    if (zn_div_normalize(code, norm) != ZN_OK) {
        zn_geom_free(g);
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "code", "'%s' is not a division code", code);
    }
    if (find_bound(b, norm)) { /* the first polygon of a code is kept */
        zn_geom_free(g);
        return ZN_OK;
    }
    if (b->n == b->cap) {
        size_t c = b->cap ? b->cap * 2 : 32;
        bound *v = realloc(b->v, c * sizeof *v);
        if (!v) {
            zn_geom_free(g);
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        }
        b->v = v;
        b->cap = c;
    }
    bound *e = &b->v[b->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->code, norm, sizeof e->code);
    e->g = g;
    b->sorted = b->n < 2 || (b->sorted && strcmp(b->v[b->n - 2].code, norm) < 0);
    return ZN_OK;
}

/* The 12-digit code of a DataV feature of a county or township, else "" (a city, a province). */
static void feature_code(json_t *props, char out[13])
{
    out[0] = 0;
    const char *level = json_string_value(json_object_get(props, "level"));
    if (!level)
        return;
    json_t *ad = json_object_get(props, "adcode");
    char digits[32] = "";
    if (json_is_integer(ad))
        snprintf(digits, sizeof digits, "%lld", (long long)json_integer_value(ad));
    else if (json_is_string(ad))
        snprintf(digits, sizeof digits, "%s", json_string_value(ad));
    size_t len = strlen(digits);
    if (len == 0 || strspn(digits, "0123456789") != len)
        return;
    if (!strcmp(level, "district") && len == 6)
        snprintf(out, 13, "%s000000", digits);
    else if ((!strcmp(level, "street") || !strcmp(level, "township")) && len == 9)
        snprintf(out, 13, "%s000", digits);
    else if ((!strcmp(level, "street") || !strcmp(level, "township")) && len == 12)
        snprintf(out, 13, "%s", digits);
}

static zn_status load_file(zn_zone_bounds *b, const char *path, size_t *added, zn_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (je.line < 0 && je.position == 0)
            return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot read: %s", je.text);
        return zn_error_set(err, ZN_EPARSE, path, je.line, NULL, "JSON: %s", je.text);
    }
    json_t *features = json_object_get(root, "features");
    zn_status st = ZN_OK;
    if (!json_is_array(features))
        st = zn_error_set(err, ZN_EPARSE, path, 0, "features", "not a GeoJSON FeatureCollection");
    for (size_t i = 0; st == ZN_OK && i < json_array_size(features); i++) {
        json_t *f = json_array_get(features, i);
        char code[13];
        feature_code(json_object_get(f, "properties"), code);
        if (!code[0])
            continue;
        zn_geom *g = NULL;
        st = zn_geom_from_geojson(b->ctx, json_object_get(f, "geometry"), &g, err);
        if (st != ZN_OK) {
            if (err && !err->file[0])
                snprintf(err->file, sizeof err->file, "%s", path);
            break;
        }
        size_t before = b->n;
        st = zn_zone_bounds_add(b, code, g, err);
        if (st == ZN_OK && b->n > before)
            (*added)++;
    }
    json_decref(root);
    return st;
}

zn_status zn_zone_bounds_load(zn_zone_bounds *b, const char *dir, size_t *added, zn_error *err)
{
    size_t dummy = 0;
    if (!added)
        added = &dummy;
    *added = 0;
    if (!b || !dir)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_zone_bounds_load: NULL argument");
    char **names;
    size_t nn;
    zn_status st = zn_dir_list(dir, ".geojson", &names, &nn, err);
    if (st != ZN_OK)
        return st;
    for (size_t i = 0; st == ZN_OK && i < nn; i++)
        st = load_file(b, names[i], added, err);
    zn_dir_list_free(names, nn);
    return st;
}

/* The polygon of e in UTM metres (made on first use). */
static zn_status projected(zn_zone_bounds *b, bound *e, zn_error *err)
{
    if (e->gm)
        return ZN_OK;
    GEOSContextHandle_t h = zn_ctx_geos(b->ctx);
    const GEOSGeometry *g = zn_geom_geos(e->g);
    double x0, x1, y0, y1;
    if (!h || !GEOSGeom_getXMin_r(h, g, &x0) || !GEOSGeom_getXMax_r(h, g, &x1) || !GEOSGeom_getYMin_r(h, g, &y0) ||
        !GEOSGeom_getYMax_r(h, g, &y1))
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "boundary %s: cannot read its envelope", e->code);
    zn_status st = ZN_OK;
    if (!e->utm)
        st = zn_proj_new_utm(b->ctx, (x0 + x1) / 2, (y0 + y1) / 2, &e->utm, err);
    if (st == ZN_OK)
        st = zn_geom_transform(e->g, e->utm, 0, &e->gm, err);
    return st;
}

/* Test (x, y) (the set's CRS) against e: *inside, and *dist_m when outside. */
static zn_status test_bound(zn_zone_bounds *b, bound *e, double x, double y, int *inside, double *dist_m,
                            zn_error *err)
{
    zn_status st = zn_geom_covers_point(e->g, x, y, inside, err);
    *dist_m = 0;
    if (st != ZN_OK || *inside)
        return st;
    if ((st = projected(b, e, err)) != ZN_OK)
        return st;
    double px, py;
    if ((st = zn_proj_fwd(e->utm, x, y, &px, &py, err)) != ZN_OK)
        return st;
    GEOSContextHandle_t h = zn_ctx_geos(b->ctx);
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, px, py);
    if (!pt)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS could not build a point");
    double d = NAN;
    int ok = GEOSDistance_r(h, zn_geom_geos(e->gm), pt, &d);
    GEOSGeom_destroy_r(h, pt);
    if (!ok)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOSDistance failed for boundary %s", e->code);
    *dist_m = d;
    return ZN_OK;
}

zn_status zn_zone_check_point(zn_zone_bounds *b, const char *county_code, const char *township_code, double lon,
                              double lat, zn_zone_point_check *out, zn_error *err)
{
    if (!b || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_zone_check_point: NULL argument");
    memset(out, 0, sizeof *out);
    out->outside_level = ZN_ZONE_UNIT_COUNTY;
    out->distance_m = NAN;
    const char *codes[2] = {county_code, township_code};
    char norm[2][13] = {"", ""};
    for (int k = 0; k < 2; k++)
        if (codes[k] && codes[k][0] && zn_div_normalize(codes[k], norm[k]) != ZN_OK)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, k ? "township_code" : "county_code",
                                "'%s' is not a division code", codes[k]);
    if (isnan(lon) || isnan(lat))
        return ZN_OK;
    if (!isfinite(lon) || !isfinite(lat) || fabs(lon) > 180 || fabs(lat) > 90)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "lon/lat", "(%g, %g) is not a longitude/latitude", lon, lat);
    double x, y;
    zn_crs_convert(ZN_CRS_WGS84, b->crs, lon, lat, &x, &y);
    for (int k = 0; k < 2; k++) {
        bound *e = norm[k][0] ? find_bound(b, norm[k]) : NULL;
        if (!e)
            continue;
        int inside = 0;
        double d = 0;
        zn_status st = test_bound(b, e, x, y, &inside, &d, err);
        if (st != ZN_OK)
            return st;
        out->checked++;
        if (!out->outside_division) {
            out->distance_m = d;
            if (!inside) {
                out->outside_division = 1;
                out->outside_level = k ? ZN_ZONE_UNIT_TOWNSHIP : ZN_ZONE_UNIT_COUNTY;
            }
        }
    }
    return ZN_OK;
}

void zn_zone_units_check_fini(zn_zone_units_check_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->units[i].key);
        free(r->units[i].address);
    }
    free(r->units);
    memset(r, 0, sizeof *r);
}

zn_status zn_zone_units_check(zn_store *st, zn_zone_bounds *b, const char *within, zn_zone_units_check_result *out,
                              zn_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!st || !b || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_zone_units_check: NULL argument");
    char prefix[13] = "";
    if (within && within[0]) {
        char norm[13];
        if (zn_div_normalize(within, norm) != ZN_OK)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "within", "'%s' is not a division code", within);
        /* trailing zeros ignored; an odd length keeps its last zero ("330100" -> "3301") */
        size_t len = strlen(norm);
        while (len > 0 && norm[len - 1] == '0')
            len--;
        if (len % 2)
            len++;
        memcpy(prefix, norm, len);
        prefix[len] = 0;
    }
    zn_stmt *q = NULL;
    zn_status s = zn_stmt_prepare(
        st,
        "SELECT u.id, u.kind, u.key, COALESCE(a.address, u.name), COALESCE(u.county_code, ''),"
        " COALESCE(u.township_code, ''), u.lon, u.lat FROM zone_unit u"
        " LEFT JOIN (SELECT unit_id, MIN(address) AS address FROM zone_unit_address GROUP BY unit_id) a"
        " ON a.unit_id = u.id"
        " WHERE u.kind IN ('place', 'building') AND substr(COALESCE(u.county_code, ''), 1, length(?1)) = ?1"
        " ORDER BY u.county_code, u.key",
        &q, err);
    if (s == ZN_OK)
        s = zn_stmt_bind_text(q, 1, prefix) == ZN_OK ? ZN_OK
                                                      : zn_error_set(err, ZN_ESTORE, NULL, 0, NULL, "bind within");
    size_t cap = 0;
    int row = 0;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (out->n == cap) {
            size_t c = cap ? cap * 2 : 1024;
            zn_zone_unit_checked *v = realloc(out->units, c * sizeof *v);
            if (!v) {
                s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            out->units = v;
            cap = c;
        }
        zn_zone_unit_checked *u = &out->units[out->n++];
        memset(u, 0, sizeof *u);
        u->id = zn_stmt_column_int64(q, 0);
        u->kind = !strcmp(zn_stmt_column_text(q, 1), "building") ? ZN_ZONE_UNIT_BUILDING : ZN_ZONE_UNIT_PLACE;
        u->key = zn_strdup(zn_stmt_column_text(q, 2));
        u->address = zn_strdup(zn_stmt_column_text(q, 3));
        if (!u->key || !u->address) {
            s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            break;
        }
        snprintf(u->county_code, sizeof u->county_code, "%s", zn_stmt_column_text(q, 4));
        snprintf(u->township_code, sizeof u->township_code, "%s", zn_stmt_column_text(q, 5));
        u->lon = zn_stmt_column_is_null(q, 6) ? NAN : zn_stmt_column_double(q, 6);
        u->lat = zn_stmt_column_is_null(q, 7) ? NAN : zn_stmt_column_double(q, 7);
        /* a malformed stored code is not a reason to stop: such a unit stays unchecked */
        char c1[13], c2[13];
        const char *county = zn_div_normalize(u->county_code, c1) == ZN_OK ? u->county_code : NULL;
        const char *town = zn_div_normalize(u->township_code, c2) == ZN_OK ? u->township_code : NULL;
        s = zn_zone_check_point(b, county, town, u->lon, u->lat, &u->check, err);
        if (s == ZN_EINVAL) { /* coordinates out of range: unchecked, as a unit without a point */
            zn_error_clear(err);
            s = ZN_OK;
            memset(&u->check, 0, sizeof u->check);
            u->check.outside_level = ZN_ZONE_UNIT_COUNTY;
            u->check.distance_m = NAN;
        }
        if (u->check.checked)
            out->checked++;
        out->outside += u->check.outside_division;
    }
    zn_stmt_finalize(q);
    if (s != ZN_OK)
        zn_zone_units_check_fini(out);
    return s;
}
