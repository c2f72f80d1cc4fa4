/*
 * County boundaries (DataV.GeoAtlas GeoJSON, GCJ-02) and point location.
 *
 * GeoJSON is read with jansson; each county's Polygon/MultiPolygon is built with the GEOS
 * reentrant API (handle of the registry's zn_ctx), repaired with GEOSMakeValid when GEOS finds it
 * invalid, and prepared. zn_div_locate converts the point to GCJ-02, skips polygons whose
 * envelope does not hold it, and asks GEOSPreparedIntersects (so points on an edge count).
 */
#include "div_int.h"

#include <dirent.h>
#include <errno.h>
#include <geos_c.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void poly_free(GEOSContextHandle_t h, zn__div_poly *p)
{
    if (p->prep)
        GEOSPreparedGeom_destroy_r(h, (const GEOSPreparedGeometry *)p->prep);
    if (p->geom)
        GEOSGeom_destroy_r(h, (GEOSGeometry *)p->geom);
    free(p->name);
    memset(p, 0, sizeof *p);
}

void zn__div_boundaries_free(zn_div_registry *reg)
{
    if (!reg->polys)
        return;
    GEOSContextHandle_t h = zn_ctx_geos(reg->ctx);
    for (size_t i = 0; i < reg->npolys; i++)
        poly_free(h, &reg->polys[i]);
    free(reg->polys);
    reg->polys = NULL;
    reg->npolys = 0;
}

size_t zn_div_boundary_count(const zn_div_registry *reg)
{
    return reg ? reg->npolys : 0;
}

typedef struct bbox {
    double minx, miny, maxx, maxy;
} bbox;

/* A linear ring from [[lon, lat], ...]; closes it when the last point is not the first. */
static GEOSGeometry *make_ring(GEOSContextHandle_t h, json_t *pts, bbox *bb, const char **why)
{
    size_t n = json_array_size(pts);
    if (n < 3) {
        *why = "ring with fewer than 3 points";
        return NULL;
    }
    double *xy = malloc((n + 1) * 2 * sizeof *xy);
    if (!xy) {
        *why = "out of memory";
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *pt = json_array_get(pts, i);
        json_t *x = json_array_get(pt, 0), *y = json_array_get(pt, 1);
        if (!json_is_number(x) || !json_is_number(y)) {
            free(xy);
            *why = "position is not [lon, lat]";
            return NULL;
        }
        xy[2 * i] = json_number_value(x);
        xy[2 * i + 1] = json_number_value(y);
        if (xy[2 * i] < bb->minx) bb->minx = xy[2 * i];
        if (xy[2 * i] > bb->maxx) bb->maxx = xy[2 * i];
        if (xy[2 * i + 1] < bb->miny) bb->miny = xy[2 * i + 1];
        if (xy[2 * i + 1] > bb->maxy) bb->maxy = xy[2 * i + 1];
    }
    if (xy[0] != xy[2 * (n - 1)] || xy[1] != xy[2 * (n - 1) + 1]) {
        xy[2 * n] = xy[0];
        xy[2 * n + 1] = xy[1];
        n++;
    }
    if (n < 4) {
        free(xy);
        *why = "ring with fewer than 4 positions";
        return NULL;
    }
    GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(h, xy, (unsigned)n, 0, 0);
    free(xy);
    /* the ring owns seq from here on, also when GEOS fails (it then frees it) */
    GEOSGeometry *ring = seq ? GEOSGeom_createLinearRing_r(h, seq) : NULL;
    if (!ring)
        *why = "GEOS could not build a ring";
    return ring;
}

/* A polygon from [shell, hole, ...]. */
static GEOSGeometry *make_polygon(GEOSContextHandle_t h, json_t *rings, bbox *bb, const char **why)
{
    size_t nr = json_array_size(rings);
    if (nr == 0) {
        *why = "polygon without rings";
        return NULL;
    }
    GEOSGeometry *shell = make_ring(h, json_array_get(rings, 0), bb, why);
    if (!shell)
        return NULL;
    GEOSGeometry **holes = nr > 1 ? calloc(nr - 1, sizeof *holes) : NULL;
    if (nr > 1 && !holes) {
        GEOSGeom_destroy_r(h, shell);
        *why = "out of memory";
        return NULL;
    }
    bbox dummy = *bb; /* holes lie inside the shell: they do not widen the envelope */
    for (size_t i = 1; i < nr; i++) {
        holes[i - 1] = make_ring(h, json_array_get(rings, i), &dummy, why);
        if (!holes[i - 1]) {
            for (size_t k = 0; k + 1 < i; k++)
                GEOSGeom_destroy_r(h, holes[k]);
            free(holes);
            GEOSGeom_destroy_r(h, shell);
            return NULL;
        }
    }
    GEOSGeometry *poly = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)(nr - 1));
    if (!poly) {
        /* on failure GEOS leaves ownership with the caller */
        for (size_t k = 0; k + 1 < nr; k++)
            GEOSGeom_destroy_r(h, holes[k]);
        GEOSGeom_destroy_r(h, shell);
        *why = "GEOS could not build a polygon";
    }
    free(holes);
    return poly;
}

/* Polygon or MultiPolygon geometry object -> GEOS geometry, valid (repaired when needed). */
static GEOSGeometry *make_geometry(GEOSContextHandle_t h, json_t *g, bbox *bb, const char **why, int *repaired)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    json_t *coords = json_object_get(g, "coordinates");
    if (!type || !json_is_array(coords)) {
        *why = "geometry without type or coordinates";
        return NULL;
    }
    GEOSGeometry *geom = NULL;
    if (!strcmp(type, "Polygon")) {
        geom = make_polygon(h, coords, bb, why);
    } else if (!strcmp(type, "MultiPolygon")) {
        size_t np = json_array_size(coords);
        GEOSGeometry **parts = np ? calloc(np, sizeof *parts) : NULL;
        if (!parts) {
            *why = np ? "out of memory" : "empty MultiPolygon";
            return NULL;
        }
        for (size_t i = 0; i < np; i++) {
            parts[i] = make_polygon(h, json_array_get(coords, i), bb, why);
            if (!parts[i]) {
                for (size_t k = 0; k < i; k++)
                    GEOSGeom_destroy_r(h, parts[k]);
                free(parts);
                return NULL;
            }
        }
        geom = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)np);
        if (!geom) {
            for (size_t k = 0; k < np; k++)
                GEOSGeom_destroy_r(h, parts[k]);
            *why = "GEOS could not build a MultiPolygon";
        }
        free(parts);
    } else {
        *why = "geometry is neither Polygon nor MultiPolygon";
        return NULL;
    }
    if (geom && GEOSisValid_r(h, geom) != 1) {
        *repaired = 1;
        GEOSGeometry *fixed = GEOSMakeValid_r(h, geom);
        GEOSGeom_destroy_r(h, geom);
        geom = fixed;
        if (!geom)
            *why = "GEOS could not repair an invalid polygon";
    }
    return geom;
}

static int cmp_poly(const void *a, const void *b)
{
    uint64_t x = ((const zn__div_poly *)a)->code, y = ((const zn__div_poly *)b)->code;
    return x < y ? -1 : x > y;
}

static zn_status push_poly(zn__div_poly **polys, size_t *n, size_t *cap, const zn__div_poly *p)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        zn__div_poly *a = realloc(*polys, c * sizeof *a);
        if (!a)
            return ZN_ENOMEM;
        *polys = a;
        *cap = c;
    }
    (*polys)[(*n)++] = *p;
    return ZN_OK;
}

/* Add the county-level features of one FeatureCollection file. */
static zn_status load_geojson(zn_ctx *ctx, GEOSContextHandle_t h, const char *path, zn__div_poly **polys, size_t *n,
                              size_t *cap, zn_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (je.line < 0 && je.position == 0)
            return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot read: %s", je.text);
        return zn_error_set(err, ZN_EPARSE, path, je.line, NULL, "JSON: %s", je.text);
    }
    zn_status st = ZN_OK;
    json_t *features = json_object_get(root, "features");
    if (!json_is_array(features)) {
        json_decref(root);
        return zn_error_set(err, ZN_EPARSE, path, 0, "features", "not a GeoJSON FeatureCollection");
    }
    for (size_t i = 0; i < json_array_size(features) && st == ZN_OK; i++) {
        json_t *f = json_array_get(features, i);
        json_t *props = json_object_get(f, "properties");
        const char *level = json_string_value(json_object_get(props, "level"));
        if (!level || strcmp(level, "district"))
            continue;
        json_t *adcode = json_object_get(props, "adcode");
        json_int_t ad = json_is_integer(adcode) ? json_integer_value(adcode) : -1;
        if (json_is_string(adcode))
            ad = strtoll(json_string_value(adcode), NULL, 10);
        if (ad < 100000 || ad > 999999) {
            st = zn_error_set(err, ZN_EPARSE, path, 0, "adcode", "feature %zu: adcode is not 6 digits", i);
            break;
        }
        bbox bb = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        const char *why = NULL;
        int repaired = 0;
        GEOSGeometry *g = make_geometry(h, json_object_get(f, "geometry"), &bb, &why, &repaired);
        if (repaired)
            zn_log(ctx, ZN_LOG_INFO, "%s: adcode %lld: invalid polygon repaired with GEOSMakeValid", path,
                   (long long)ad);
        if (!g) {
            st = zn_error_set(err, ZN_EGEO, path, 0, "geometry", "feature %zu (adcode %lld): %s", i,
                              (long long)ad, why ? why : "GEOS error");
            break;
        }
        zn__div_poly p = {0};
        p.code = (uint64_t)ad * 1000000ULL;
        p.name = zn_strdup(json_string_value(json_object_get(props, "name")));
        p.minx = bb.minx;
        p.miny = bb.miny;
        p.maxx = bb.maxx;
        p.maxy = bb.maxy;
        p.geom = g;
        p.prep = GEOSPrepare_r(h, g);
        if (!p.prep) {
            poly_free(h, &p);
            st = zn_error_set(err, ZN_EGEO, path, 0, "geometry", "adcode %lld: GEOS could not prepare",
                              (long long)ad);
        } else if (push_poly(polys, n, cap, &p) != ZN_OK) {
            poly_free(h, &p);
            st = zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "boundaries");
        }
    }
    json_decref(root);
    return st;
}

zn_status zn_div_boundaries_load(zn_div_registry *reg, const char *dir, zn_error *err)
{
    if (!reg || !dir)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_boundaries_load: NULL argument");
    GEOSContextHandle_t h = zn_ctx_geos(reg->ctx);
    if (!h)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "GEOS handle");
    char **names;
    size_t nnames;
    zn_status st = zn_dir_list(dir, ".geojson", &names, &nnames, err);
    if (st != ZN_OK)
        return st;
    zn__div_poly *polys = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < nnames && st == ZN_OK; i++)
        st = load_geojson(reg->ctx, h, names[i], &polys, &n, &cap, err);
    zn_dir_list_free(names, nnames);
    if (st == ZN_OK && n == 0)
        st = zn_error_set(err, ZN_ENOTFOUND, dir, 0, NULL, "no county-level (\"district\") GeoJSON features here");
    if (st != ZN_OK) {
        for (size_t i = 0; i < n; i++)
            poly_free(h, &polys[i]);
        free(polys);
        return st;
    }
    if (n > 1)
        qsort(polys, n, sizeof *polys, cmp_poly);
    zn__div_boundaries_free(reg);
    reg->polys = polys;
    reg->npolys = n;
    zn_log(reg->ctx, ZN_LOG_DEBUG, "boundaries: %zu county polygons from %s", n, dir);
    return ZN_OK;
}

zn_status zn_div_locate(zn_div_registry *reg, double lon, double lat, zn_crs crs, int edition,
                        zn_div *county, zn_div *city, zn_error *err)
{
    if (!reg || !county)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_locate: NULL argument");
    if (!reg->npolys)
        return zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "no boundaries loaded (zn_div_boundaries_load)");
    if (!isfinite(lon) || !isfinite(lat) || fabs(lon) > 180 || fabs(lat) > 90)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "lon/lat", "(%g, %g) is not a longitude/latitude", lon, lat);
    if (crs != ZN_CRS_WGS84 && crs != ZN_CRS_GCJ02 && crs != ZN_CRS_BD09)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "crs", "unknown CRS %d", (int)crs);
    const zn__div_edition *ed = zn__div_edition_get(reg, edition);
    if (!ed)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "edition", "edition %d is not loaded", edition);
    double x, y;
    zn_crs_convert(crs, ZN_CRS_GCJ02, lon, lat, &x, &y);
    GEOSContextHandle_t h = zn_ctx_geos(reg->ctx);
    if (!h)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "GEOS handle");
    GEOSGeometry *pt = NULL;
    const zn__div_poly *hit = NULL;
    for (size_t i = 0; i < reg->npolys && !hit; i++) {
        const zn__div_poly *p = &reg->polys[i];
        if (x < p->minx || x > p->maxx || y < p->miny || y > p->maxy)
            continue;
        if (!pt && !(pt = GEOSGeom_createPointFromXY_r(h, x, y)))
            return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS could not build a point");
        char r = GEOSPreparedIntersects_r(h, (const GEOSPreparedGeometry *)p->prep, pt);
        if (r == 2) {
            GEOSGeom_destroy_r(h, pt);
            return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS point-in-polygon failed");
        }
        if (r == 1)
            hit = p;
    }
    if (pt)
        GEOSGeom_destroy_r(h, pt);
    if (!hit) {
        char gcj[64] = "";
        if (crs != ZN_CRS_GCJ02)
            snprintf(gcj, sizeof gcj, " (GCJ-02 %.6f, %.6f)", x, y);
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, NULL,
                            "no county boundary covers %s (%.6f, %.6f)%s; %zu county boundaries loaded",
                            zn_crs_name(crs), lon, lat, gcj, reg->npolys);
    }
    long idx = zn__div_find(ed, hit->code);
    if (idx < 0)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, NULL, "the point is in %06llu %s, which is not in edition %d",
                            (unsigned long long)(hit->code / 1000000ULL), hit->name ? hit->name : "", ed->year);
    zn__div_fill(reg, ed, (size_t)idx, county);
    if (city) {
        int32_t p = (int32_t)idx;
        while (p >= 0 && ed->nodes[p].level > ZN_DIV_CITY)
            p = ed->nodes[p].parent;
        if (p >= 0 && ed->nodes[p].level == ZN_DIV_CITY)
            zn__div_fill(reg, ed, (size_t)p, city);
        else
            memset(city, 0, sizeof *city);
    }
    return ZN_OK;
}
