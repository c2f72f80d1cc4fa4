/*
 * zn_polyset: named polygons with a GEOS STRtree over their envelopes and prepared geometries.
 * A query walks the tree for the polygons whose envelope contains the point, then tests those with
 * GEOSPreparedCovers; the lowest index wins. GEOS trees cannot take items after the first query,
 * so the tree is (re)built lazily on the first query after an add.
 */
#include "geo_int.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

struct entry {
    char *name;
    zn_geom *g;
};

struct zn_polyset {
    zn_ctx *ctx;
    struct entry *e;
    size_t n, cap;
    GEOSSTRtree *tree; /* NULL until the first query after an add */
};

zn_status zn_polyset_new(zn_ctx *ctx, zn_polyset **out)
{
    *out = NULL;
    if (!ctx)
        return ZN_EINVAL;
    zn_polyset *s = calloc(1, sizeof *s);
    if (!s)
        return ZN_ENOMEM;
    s->ctx = ctx;
    *out = s;
    return ZN_OK;
}

static void drop_tree(zn_polyset *s)
{
    if (s->tree) {
        GEOSSTRtree_destroy_r(zn_ctx_geos(s->ctx), s->tree);
        s->tree = NULL;
    }
}

void zn_polyset_free(zn_polyset *s)
{
    if (!s)
        return;
    drop_tree(s);
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].name);
        zn_geom_free(s->e[i].g);
    }
    free(s->e);
    free(s);
}

zn_status zn_polyset_add(zn_polyset *s, const char *name, zn_geom *g, zn_error *err)
{
    if (!s || !name || !g || g->ctx != s->ctx) {
        zn_geom_free(g);
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "polyset add: NULL argument or geometry from another context");
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct entry *e = realloc(s->e, cap * sizeof *e);
        if (!e) {
            zn_geom_free(g);
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        }
        s->e = e;
        s->cap = cap;
    }
    char *nm = zn_strdup(name);
    if (!nm) {
        zn_geom_free(g);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    s->e[s->n].name = nm;
    s->e[s->n].g = g;
    s->n++;
    drop_tree(s);
    return ZN_OK;
}

size_t zn_polyset_count(const zn_polyset *s) { return s->n; }

const char *zn_polyset_name(const zn_polyset *s, size_t i) { return i < s->n ? s->e[i].name : NULL; }

const zn_geom *zn_polyset_geom(const zn_polyset *s, size_t i) { return i < s->n ? s->e[i].g : NULL; }

static zn_status build_tree(zn_polyset *s, GEOSContextHandle_t h, zn_error *err)
{
    s->tree = GEOSSTRtree_create_r(h, 10);
    if (!s->tree)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOSSTRtree_create failed (see log)");
    for (size_t i = 0; i < s->n; i++)
        /* items are 1-based indexes so that none is NULL */
        GEOSSTRtree_insert_r(h, s->tree, s->e[i].g->g, (void *)(uintptr_t)(i + 1));
    return ZN_OK;
}

struct hit {
    size_t best; /* 1-based, 0 = none yet */
    zn_polyset *s;
    const GEOSGeometry *pt;
    GEOSContextHandle_t h;
    zn_status st;
    zn_error *err;
};

static void on_candidate(void *item, void *user)
{
    struct hit *q = user;
    size_t i = (size_t)(uintptr_t)item;
    if (q->st != ZN_OK || (q->best && q->best < i))
        return;
    const GEOSPreparedGeometry *prep = zn__geom_prepared(q->s->e[i - 1].g, q->err);
    if (!prep) {
        q->st = ZN_EGEO;
        return;
    }
    char r = GEOSPreparedCovers_r(q->h, prep, q->pt);
    if (r == 2)
        q->st = zn_error_set(q->err, ZN_EGEO, NULL, 0, NULL, "GEOSPreparedCovers failed (see log)");
    else if (r == 1)
        q->best = i;
}

zn_status zn_polyset_find(zn_polyset *s, double lon, double lat, size_t *index, zn_error *err)
{
    if (!isfinite(lon) || !isfinite(lat))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "coordinate (%g, %g) is not finite", lon, lat);
    GEOSContextHandle_t h = zn_ctx_geos(s->ctx);
    if (!s->tree) {
        zn_status st = build_tree(s, h, err);
        if (st != ZN_OK)
            return st;
    }
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, lon, lat);
    if (!pt)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS failed (see log)");
    struct hit q = {0, s, pt, h, ZN_OK, err};
    GEOSSTRtree_query_r(h, s->tree, pt, on_candidate, &q);
    GEOSGeom_destroy_r(h, pt);
    if (q.st != ZN_OK)
        return q.st;
    if (!q.best)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, NULL, "no polygon covers (%.6f, %.6f)", lon, lat);
    *index = q.best - 1;
    return ZN_OK;
}
