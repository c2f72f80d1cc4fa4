/*
 * zn_geom: GEOS geometries (reentrant API, the handle of the zn_ctx) read from and written to
 * GeoJSON (RFC 7946) with jansson; prepared point-in-polygon, metric buffers, unions, areas.
 */
#include "geo_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

GEOSContextHandle_t zn__geos(zn_ctx *ctx, zn_error *err)
{
    GEOSContextHandle_t h = ctx ? zn_ctx_geos(ctx) : NULL;
    if (!h)
        zn_error_set(err, ctx ? ZN_ENOMEM : ZN_EINVAL, NULL, 0, NULL, "no GEOS handle");
    return h;
}

zn_status zn__geom_take(zn_ctx *ctx, GEOSGeometry *gg, zn_geom **out, zn_error *err)
{
    *out = NULL;
    if (!gg)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS operation failed (see log)");
    zn_geom *g = calloc(1, sizeof *g);
    if (!g) {
        GEOSGeom_destroy_r(zn_ctx_geos(ctx), gg);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    g->ctx = ctx;
    g->g = gg;
    *out = g;
    return ZN_OK;
}

zn_status zn_geom_wrap(zn_ctx *ctx, void *geos_geometry, zn_geom **out)
{
    if (!ctx || !geos_geometry) {
        *out = NULL;
        return ZN_EINVAL;
    }
    return zn__geom_take(ctx, geos_geometry, out, NULL);
}

const void *zn_geom_geos(const zn_geom *g) { return g->g; }

void zn_geom_free(zn_geom *g)
{
    if (!g)
        return;
    GEOSContextHandle_t h = zn_ctx_geos(g->ctx);
    if (g->prep)
        GEOSPreparedGeom_destroy_r(h, g->prep);
    GEOSGeom_destroy_r(h, g->g);
    free(g);
}

zn_status zn_geom_clone(const zn_geom *g, zn_geom **out, zn_error *err)
{
    return zn__geom_take(g->ctx, GEOSGeom_clone_r(zn_ctx_geos(g->ctx), g->g), out, err);
}

const GEOSPreparedGeometry *zn__geom_prepared(zn_geom *g, zn_error *err)
{
    if (!g->prep) {
        g->prep = GEOSPrepare_r(zn_ctx_geos(g->ctx), g->g);
        if (!g->prep)
            zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOSPrepare failed (see log)");
    }
    return g->prep;
}

zn_status zn_geom_point_new(zn_ctx *ctx, double lon, double lat, zn_geom **out, zn_error *err)
{
    *out = NULL;
    if (!isfinite(lon) || !isfinite(lat))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "coordinate (%g, %g) is not finite", lon, lat);
    GEOSContextHandle_t h = zn__geos(ctx, err);
    if (!h)
        return err ? err->code : ZN_ENOMEM;
    return zn__geom_take(ctx, GEOSGeom_createPointFromXY_r(h, lon, lat), out, err);
}

/* ---- GeoJSON -> GEOS ---- */

static zn_status bad(zn_error *err, const char *path, const char *msg)
{
    return zn_error_set(err, ZN_EPARSE, NULL, 0, path, "%s", msg);
}

static zn_status read_position(const json_t *pos, const char *path, double *x, double *y, zn_error *err)
{
    if (!json_is_array(pos) || json_array_size(pos) < 2 || !json_is_number(json_array_get(pos, 0)) ||
        !json_is_number(json_array_get(pos, 1)))
        return bad(err, path, "a position must be an array of at least 2 numbers");
    *x = json_number_value(json_array_get(pos, 0));
    *y = json_number_value(json_array_get(pos, 1));
    if (!isfinite(*x) || !isfinite(*y))
        return bad(err, path, "coordinate is not finite");
    return ZN_OK;
}

static zn_status read_ring(GEOSContextHandle_t h, const json_t *ring, const char *path, GEOSGeometry **out,
                           zn_error *err)
{
    *out = NULL;
    size_t n = json_array_size(ring);
    if (!json_is_array(ring) || n < 4)
        return bad(err, path, "a linear ring needs at least 4 positions");
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
    if (!seq)
        return zn_error_set(err, ZN_EGEO, NULL, 0, path, "GEOSCoordSeq_create failed");
    double x0 = 0, y0 = 0, x = 0, y = 0;
    for (size_t i = 0; i < n; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        zn_status st = read_position(json_array_get(ring, i), p, &x, &y, err);
        if (st != ZN_OK) {
            GEOSCoordSeq_destroy_r(h, seq);
            return st;
        }
        if (i == 0) {
            x0 = x;
            y0 = y;
        }
        GEOSCoordSeq_setXY_r(h, seq, (unsigned)i, x, y);
    }
    if (x != x0 || y != y0) {
        GEOSCoordSeq_destroy_r(h, seq);
        return bad(err, path, "linear ring is not closed (last position differs from first)");
    }
    *out = GEOSGeom_createLinearRing_r(h, seq); /* owns seq */
    return *out ? ZN_OK : zn_error_set(err, ZN_EGEO, NULL, 0, path, "GEOS rejected the ring (see log)");
}

static zn_status read_polygon(GEOSContextHandle_t h, const json_t *rings, const char *path, GEOSGeometry **out,
                              zn_error *err)
{
    *out = NULL;
    if (!json_is_array(rings))
        return bad(err, path, "polygon coordinates must be an array of rings");
    size_t n = json_array_size(rings);
    if (n == 0) {
        *out = GEOSGeom_createEmptyPolygon_r(h);
        return *out ? ZN_OK : zn_error_set(err, ZN_EGEO, NULL, 0, path, "GEOS failed");
    }
    GEOSGeometry **r = calloc(n, sizeof *r);
    if (!r)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    zn_status st = ZN_OK;
    size_t i;
    for (i = 0; i < n && st == ZN_OK; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        st = read_ring(h, json_array_get(rings, i), p, &r[i], err);
    }
    if (st == ZN_OK) {
        /* GEOS owns the rings from here on, also when it fails (GEOS ticket #1111) */
        *out = GEOSGeom_createPolygon_r(h, r[0], r + 1, (unsigned)(n - 1));
        if (!*out)
            st = zn_error_set(err, ZN_EGEO, NULL, 0, path, "GEOS rejected the polygon (see log)");
    } else {
        for (size_t j = 0; j < n; j++)
            if (r[j])
                GEOSGeom_destroy_r(h, r[j]);
    }
    free(r);
    return st;
}

static zn_status read_multipolygon(GEOSContextHandle_t h, const json_t *polys, GEOSGeometry **out, zn_error *err)
{
    *out = NULL;
    if (!json_is_array(polys))
        return bad(err, "coordinates", "multipolygon coordinates must be an array of polygons");
    size_t n = json_array_size(polys);
    GEOSGeometry **parts = calloc(n ? n : 1, sizeof *parts);
    if (!parts)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    zn_status st = ZN_OK;
    for (size_t i = 0; i < n && st == ZN_OK; i++) {
        char p[64];
        snprintf(p, sizeof p, "coordinates[%zu]", i);
        st = read_polygon(h, json_array_get(polys, i), p, &parts[i], err);
    }
    if (st == ZN_OK) {
        /* GEOS owns the parts from here on, also when it fails */
        *out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)n);
        if (!*out)
            st = zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS rejected the multipolygon (see log)");
    } else {
        for (size_t i = 0; i < n; i++)
            if (parts[i])
                GEOSGeom_destroy_r(h, parts[i]);
    }
    free(parts);
    return st;
}

/* Repair an invalid polygonal geometry in place (see the header). */
static zn_status make_valid(zn_ctx *ctx, GEOSContextHandle_t h, GEOSGeometry **gg, zn_error *err)
{
    char v = GEOSisValid_r(h, *gg);
    if (v == 1)
        return ZN_OK;
    if (v != 0)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOSisValid failed (see log)");
    char *reason = GEOSisValidReason_r(h, *gg);
    zn_log(ctx, ZN_LOG_WARN, "geo: invalid polygon repaired with GEOSMakeValid: %s", reason ? reason : "?");
    if (reason)
        GEOSFree_r(h, reason);
    GEOSMakeValidParams *mp = GEOSMakeValidParams_create_r(h);
    if (!mp)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    GEOSMakeValidParams_setMethod_r(h, mp, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(h, mp, 0);
    GEOSGeometry *fixed = GEOSMakeValidWithParams_r(h, *gg, mp);
    GEOSMakeValidParams_destroy_r(h, mp);
    if (!fixed)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOSMakeValid failed (see log)");
    GEOSGeom_destroy_r(h, *gg);
    *gg = fixed;
    return ZN_OK;
}

zn_status zn_geom_from_geojson(zn_ctx *ctx, const json_t *gj, zn_geom **out, zn_error *err)
{
    *out = NULL;
    GEOSContextHandle_t h = zn__geos(ctx, err);
    if (!h)
        return err ? err->code : ZN_ENOMEM;
    if (!json_is_object(gj))
        return bad(err, "", "GeoJSON geometry must be an object");
    const char *type = json_string_value(json_object_get(gj, "type"));
    if (!type)
        return bad(err, "type", "GeoJSON object has no \"type\"");
    if (!strcmp(type, "Feature")) {
        const json_t *geom = json_object_get(gj, "geometry");
        if (!json_is_object(geom))
            return bad(err, "geometry", "feature has no geometry");
        return zn_geom_from_geojson(ctx, geom, out, err);
    }
    const json_t *coords = json_object_get(gj, "coordinates");
    if (!coords && (!strcmp(type, "Point") || !strcmp(type, "Polygon") || !strcmp(type, "MultiPolygon")))
        return zn_error_set(err, ZN_EPARSE, NULL, 0, "coordinates", "%s has no \"coordinates\"", type);
    GEOSGeometry *gg = NULL;
    zn_status st;
    if (!strcmp(type, "Point")) {
        double x, y;
        if (json_is_array(coords) && json_array_size(coords) == 0) {
            gg = GEOSGeom_createEmptyPoint_r(h);
            st = gg ? ZN_OK : zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS failed");
        } else {
            st = read_position(coords, "coordinates", &x, &y, err);
            if (st == ZN_OK && !(gg = GEOSGeom_createPointFromXY_r(h, x, y)))
                st = zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS failed");
        }
        return st == ZN_OK ? zn__geom_take(ctx, gg, out, err) : st;
    }
    if (!strcmp(type, "Polygon"))
        st = read_polygon(h, coords, "coordinates", &gg, err);
    else if (!strcmp(type, "MultiPolygon"))
        st = read_multipolygon(h, coords, &gg, err);
    else
        return zn_error_set(err, ZN_EUNSUPPORTED, NULL, 0, "type",
                            "GeoJSON type '%s' is not supported (Point, Polygon, MultiPolygon, Feature)", type);
    if (st == ZN_OK)
        st = make_valid(ctx, h, &gg, err);
    if (st != ZN_OK) {
        if (gg)
            GEOSGeom_destroy_r(h, gg);
        return st;
    }
    return zn__geom_take(ctx, gg, out, err);
}

zn_status zn_geom_from_geojson_str(zn_ctx *ctx, const char *text, zn_geom **out, zn_error *err)
{
    *out = NULL;
    json_error_t je;
    json_t *j = text ? json_loads(text, 0, &je) : NULL;
    if (!j)
        return zn_error_set(err, ZN_EPARSE, NULL, text ? je.line : 0, NULL, "not JSON: %s",
                            text ? je.text : "NULL text");
    zn_status st = zn_geom_from_geojson(ctx, j, out, err);
    json_decref(j);
    return st;
}

/* ---- GEOS -> GeoJSON ---- */

static json_t *coords_of_seq(GEOSContextHandle_t h, const GEOSCoordSequence *seq)
{
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n))
        return NULL;
    json_t *a = json_array();
    for (unsigned i = 0; a && i < n; i++) {
        double x, y;
        json_t *pos = NULL;
        if (GEOSCoordSeq_getXY_r(h, seq, i, &x, &y))
            pos = json_pack("[ff]", x, y);
        if (!pos || json_array_append_new(a, pos)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *coords_of_polygon(GEOSContextHandle_t h, const GEOSGeometry *poly)
{
    json_t *rings = json_array();
    if (!rings || GEOSisEmpty_r(h, poly))
        return rings;
    int nh = GEOSGetNumInteriorRings_r(h, poly);
    for (int i = -1; i < nh; i++) {
        const GEOSGeometry *ring = i < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, i);
        json_t *c = ring ? coords_of_seq(h, GEOSGeom_getCoordSeq_r(h, ring)) : NULL;
        if (!c || json_array_append_new(rings, c)) {
            json_decref(rings);
            return NULL;
        }
    }
    return rings;
}

static json_t *to_json(GEOSContextHandle_t h, const GEOSGeometry *g, zn_error *err);

static json_t *parts_json(GEOSContextHandle_t h, const GEOSGeometry *g, int as_geometries, zn_error *err)
{
    json_t *a = json_array();
    int n = GEOSGetNumGeometries_r(h, g);
    for (int i = 0; a && i < n; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(h, g, i);
        json_t *pj;
        if (as_geometries) {
            pj = to_json(h, part, err);
        } else {
            json_t *full = to_json(h, part, err);
            pj = full ? json_incref(json_object_get(full, "coordinates")) : NULL;
            json_decref(full);
        }
        if (!pj || json_array_append_new(a, pj)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *to_json(GEOSContextHandle_t h, const GEOSGeometry *g, zn_error *err)
{
    int t = GEOSGeomTypeId_r(h, g);
    const char *name = NULL;
    json_t *c = NULL;
    switch (t) {
    case GEOS_POINT:
        name = "Point";
        if (GEOSisEmpty_r(h, g)) {
            c = json_array();
        } else {
            double x, y;
            if (GEOSGeomGetX_r(h, g, &x) && GEOSGeomGetY_r(h, g, &y))
                c = json_pack("[ff]", x, y);
        }
        break;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
        name = "LineString";
        c = coords_of_seq(h, GEOSGeom_getCoordSeq_r(h, g));
        break;
    case GEOS_POLYGON:
        name = "Polygon";
        c = coords_of_polygon(h, g);
        break;
    case GEOS_MULTIPOINT: name = "MultiPoint"; c = parts_json(h, g, 0, err); break;
    case GEOS_MULTILINESTRING: name = "MultiLineString"; c = parts_json(h, g, 0, err); break;
    case GEOS_MULTIPOLYGON: name = "MultiPolygon"; c = parts_json(h, g, 0, err); break;
    case GEOS_GEOMETRYCOLLECTION: {
        json_t *gs = parts_json(h, g, 1, err);
        json_t *o = gs ? json_pack("{s:s,s:o}", "type", "GeometryCollection", "geometries", gs) : NULL;
        if (!o)
            zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "cannot build GeoJSON");
        return o;
    }
    default:
        zn_error_set(err, ZN_EUNSUPPORTED, NULL, 0, NULL, "GEOS geometry type %d has no GeoJSON form", t);
        return NULL;
    }
    json_t *o = c ? json_pack("{s:s,s:o}", "type", name, "coordinates", c) : NULL;
    if (!o)
        zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "cannot build GeoJSON");
    return o;
}

zn_status zn_geom_to_geojson(const zn_geom *g, json_t **out, zn_error *err)
{
    zn_error local;
    zn_error_clear(&local);
    *out = to_json(zn_ctx_geos(g->ctx), g->g, &local);
    if (!*out) {
        if (err)
            *err = local;
        return local.code != ZN_OK ? local.code : ZN_ENOMEM;
    }
    return ZN_OK;
}

zn_status zn_geom_to_geojson_str(const zn_geom *g, char **out, zn_error *err)
{
    json_t *j;
    *out = NULL;
    zn_status st = zn_geom_to_geojson(g, &j, err);
    if (st != ZN_OK)
        return st;
    *out = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(j);
    return *out ? ZN_OK : zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
}

/* ---- predicates and operations ---- */

zn_status zn_geom_covers_point(zn_geom *g, double lon, double lat, int *inside, zn_error *err)
{
    *inside = 0;
    if (!isfinite(lon) || !isfinite(lat))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "coordinate (%g, %g) is not finite", lon, lat);
    GEOSContextHandle_t h = zn_ctx_geos(g->ctx);
    const GEOSPreparedGeometry *prep = zn__geom_prepared(g, err);
    if (!prep)
        return ZN_EGEO;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, lon, lat);
    if (!pt)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS failed (see log)");
    char r = GEOSPreparedCovers_r(h, prep, pt);
    GEOSGeom_destroy_r(h, pt);
    if (r == 2)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOSPreparedCovers failed (see log)");
    *inside = r == 1;
    return ZN_OK;
}

struct xform {
    PJ *pj;
    PJ_DIRECTION dir;
    int failed;
    double bad_x, bad_y;
};

static int xform_cb(double *x, double *y, void *user)
{
    struct xform *t = user;
    PJ_COORD r = proj_trans(t->pj, t->dir, proj_coord(*x, *y, 0, 0));
    if (!isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL || r.xy.y == HUGE_VAL) {
        if (!t->failed) {
            t->bad_x = *x;
            t->bad_y = *y;
        }
        t->failed = 1;
        return 0;
    }
    *x = r.xy.x;
    *y = r.xy.y;
    return 1;
}

zn_status zn_geom_transform(const zn_geom *g, zn_proj *p, int inverse, zn_geom **out, zn_error *err)
{
    *out = NULL;
    GEOSContextHandle_t h = zn_ctx_geos(g->ctx);
    struct xform t = {p->pj, inverse ? PJ_INV : PJ_FWD, 0, 0, 0};
    proj_errno_reset(p->pj);
    GEOSGeometry *r = GEOSGeom_transformXY_r(h, g->g, xform_cb, &t);
    if (!r || t.failed) {
        if (r)
            GEOSGeom_destroy_r(h, r);
        if (t.failed)
            return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "cannot %s (%g, %g) with %s",
                                inverse ? "unproject" : "project", t.bad_x, t.bad_y, p->crs);
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOSGeom_transformXY failed (see log)");
    }
    return zn__geom_take(g->ctx, r, out, err);
}

zn_status zn_geom_buffer_m(const zn_geom *g, double metres, zn_proj *metric, zn_geom **out, zn_error *err)
{
    *out = NULL;
    if (!isfinite(metres))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "buffer distance is not finite");
    GEOSContextHandle_t h = zn_ctx_geos(g->ctx);
    if (GEOSisEmpty_r(h, g->g) == 1)
        return zn_geom_clone(g, out, err);
    zn_proj *own = NULL;
    zn_status st = ZN_OK;
    if (!metric) {
        double x0, x1, y0, y1;
        if (!GEOSGeom_getXMin_r(h, g->g, &x0) || !GEOSGeom_getXMax_r(h, g->g, &x1) ||
            !GEOSGeom_getYMin_r(h, g->g, &y0) || !GEOSGeom_getYMax_r(h, g->g, &y1))
            return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "cannot read the bounding box (see log)");
        st = zn_proj_new_utm(g->ctx, (x0 + x1) / 2, (y0 + y1) / 2, &own, err);
        if (st != ZN_OK)
            return st;
        metric = own;
    }
    zn_geom *m = NULL, *b = NULL;
    st = zn_geom_transform(g, metric, 0, &m, err);
    if (st == ZN_OK)
        st = zn__geom_take(g->ctx, GEOSBuffer_r(h, m->g, metres, 16), &b, err);
    if (st == ZN_OK)
        st = zn_geom_transform(b, metric, 1, out, err);
    zn_geom_free(m);
    zn_geom_free(b);
    zn_proj_free(own);
    return st;
}

zn_status zn_geom_union(zn_ctx *ctx, const zn_geom *const *parts, size_t n, zn_geom **out, zn_error *err)
{
    *out = NULL;
    GEOSContextHandle_t h = zn__geos(ctx, err);
    if (!h)
        return err ? err->code : ZN_ENOMEM;
    if (n == 0)
        return zn__geom_take(ctx, GEOSGeom_createEmptyCollection_r(h, GEOS_GEOMETRYCOLLECTION), out, err);
    GEOSGeometry **clones = calloc(n, sizeof *clones);
    if (!clones)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    zn_status st = ZN_OK;
    for (size_t i = 0; i < n && st == ZN_OK; i++) {
        if (!parts[i] || parts[i]->ctx != ctx)
            st = zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "part %zu is NULL or from another context", i);
        else if (!(clones[i] = GEOSGeom_clone_r(h, parts[i]->g)))
            st = zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS clone failed (see log)");
    }
    if (st != ZN_OK) {
        for (size_t i = 0; i < n; i++)
            if (clones[i])
                GEOSGeom_destroy_r(h, clones[i]);
        free(clones);
        return st;
    }
    /* the collection owns the clones from here on, also when GEOS fails */
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, clones, (unsigned)n);
    free(clones);
    if (!coll)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS collection failed (see log)");
    GEOSGeometry *u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    return zn__geom_take(ctx, u, out, err);
}

double zn_geom_area(const zn_geom *g)
{
    double a = 0;
    if (!GEOSArea_r(zn_ctx_geos(g->ctx), g->g, &a))
        return 0;
    return a;
}

zn_status zn_geom_area_m2(const zn_geom *g, double *out, zn_error *err)
{
    *out = 0;
    zn_proj *p;
    zn_status st = zn_proj_new(g->ctx, ZN_GRID_CRS, &p, err);
    if (st != ZN_OK)
        return st;
    zn_geom *m;
    st = zn_geom_transform(g, p, 0, &m, err);
    if (st == ZN_OK) {
        *out = zn_geom_area(m);
        zn_geom_free(m);
    }
    zn_proj_free(p);
    return st;
}
