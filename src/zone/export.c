/*
 * Zone maps as GeoJSON: per level the union of its units' geometries. Point units are buffered in
 * metres in the UTM zone of the data (zn_proj); unions are taken there and projected back to
 * WGS-84.
 *
 * Why not one GEOSUnaryUnion per level and day: on the Shanghai replay a level holds up to 30 000
 * units and one union costs seconds, 63 days x 3 levels minutes. Instead the units of a level are
 * split into connected components (two units are connected when their geometries may overlap:
 * buffered points closer than twice the radius, else intersecting envelopes; found with a grid
 * hash and union-find), each component is unioned by GEOS on its own, and the level is the
 * MultiPolygon of the component unions, which are disjoint by construction, so it equals the
 * union of all units. A component whose member set is the same as on the previous day written
 * reuses that day's union (most components do not change from one day to the next).
 */
#include "zone_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <geos_c.h>
#include <jansson.h>

#include "zhinao/geo.h"

/* A cached component union. */
typedef struct comp {
    uint64_t sig;
    int32_t n;
    int32_t *members; /* sorted unit indices */
    char *text;       /* its polygons as GeoJSON MultiPolygon members, WGS-84: "[[[x,y],..]],[[[..]]]" */
} comp;

typedef struct comp_cache {
    comp *v;
    size_t n, cap;
} comp_cache;

struct zn_zone_exporter {
    zn_store *st;
    zn_ctx *ctx;
    GEOSContextHandle_t h;
    int64_t run_id;
    char rules[64];
    int nlevels;
    zn_zone_level levels[ZN_ZONE_MAX_LEVELS];
    double buffer_m;
    int quad_segs;
    unsigned mask;
    int list_units;
    zn_proj *proj;
    /* units of the run, by ascending id */
    size_t n;
    int64_t *ids;
    char **keys;
    double *lon, *lat;
    char **geojson;
    double *x, *y;       /* metric point, NaN when unlocated */
    double *env;         /* [4 * n] metric envelope of the unit's geometry (xmin, ymin, xmax, ymax) */
    uint8_t *disc;       /* 1: the geometry is the buffered point */
    uint8_t *located;
    GEOSGeometry **geom; /* metric geometry, made on first use */
    double cell;         /* grid-hash cell size: >= every envelope's extent */
    comp_cache cache[ZN_ZONE_MAX_LEVELS];
    /* the run's history, loaded once: unit index, level rank, valid days */
    struct xperiod {
        int32_t unit, rank, from, to;
    } *periods;
    size_t nperiods;
    /* scratch */
    int32_t *members;
    int32_t *member_level;
};

static zn_status nomem(zn_error *err)
{
    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
}

static void cache_clear(GEOSContextHandle_t h, comp_cache *c)
{
    (void)h;
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].members);
        free(c->v[i].text);
    }
    c->n = 0;
}

void zn_zone_exporter_free(zn_zone_exporter *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++) {
        if (x->keys)
            free(x->keys[i]);
        if (x->geojson)
            free(x->geojson[i]);
        if (x->geom && x->geom[i])
            GEOSGeom_destroy_r(x->h, x->geom[i]);
    }
    for (int l = 0; l < ZN_ZONE_MAX_LEVELS; l++) {
        cache_clear(x->h, &x->cache[l]);
        free(x->cache[l].v);
    }
    free(x->ids);
    free(x->keys);
    free(x->lon);
    free(x->lat);
    free(x->geojson);
    free(x->x);
    free(x->y);
    free(x->env);
    free(x->disc);
    free(x->located);
    free(x->geom);
    free(x->members);
    free(x->member_level);
    free(x->periods);
    zn_proj_free(x->proj);
    free(x);
}

static zn_status load_run(zn_zone_exporter *x, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(x->st, "SELECT levels, buffer_m, rules FROM zone_run WHERE id = ?", &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, x->run_id);
    int row = 0;
    s = zn_stmt_step(q, &row, err);
    if (s == ZN_OK && row) {
        json_error_t je;
        json_t *a = json_loads(zn_stmt_column_text(q, 0), 0, &je);
        size_t i;
        json_t *lv;
        json_array_foreach(a, i, lv)
        {
            if (i >= ZN_ZONE_MAX_LEVELS)
                break;
            const char *name = json_string_value(json_array_get(lv, 0));
            const char *zh = json_string_value(json_array_get(lv, 1));
            snprintf(x->levels[i].name, sizeof x->levels[i].name, "%s", name ? name : "?");
            snprintf(x->levels[i].zh, sizeof x->levels[i].zh, "%s", zh ? zh : "");
            x->nlevels = (int)i + 1;
        }
        json_decref(a);
        if (x->buffer_m <= 0)
            x->buffer_m = zn_stmt_column_double(q, 1);
        snprintf(x->rules, sizeof x->rules, "%s", zn_stmt_column_text(q, 2));
    } else if (s == ZN_OK) {
        s = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "run", "no stored zone run #%lld", (long long)x->run_id);
    }
    zn_stmt_finalize(q);
    if (s == ZN_OK && x->nlevels == 0)
        s = zn_error_set(err, ZN_ESTORE, NULL, 0, "zone_run.levels", "run %lld has no levels", (long long)x->run_id);
    if (x->buffer_m <= 0)
        x->buffer_m = 1;
    return s;
}

static zn_status grow(zn_zone_exporter *x, size_t cap)
{
    int64_t *ids = realloc(x->ids, cap * sizeof *ids);
    if (ids)
        x->ids = ids;
    char **keys = realloc(x->keys, cap * sizeof *keys);
    if (keys)
        x->keys = keys;
    double *lon = realloc(x->lon, cap * sizeof *lon);
    if (lon)
        x->lon = lon;
    double *lat = realloc(x->lat, cap * sizeof *lat);
    if (lat)
        x->lat = lat;
    char **gj = realloc(x->geojson, cap * sizeof *gj);
    if (gj)
        x->geojson = gj;
    return ids && keys && lon && lat && gj ? ZN_OK : ZN_ENOMEM;
}

/* Metric geometry, point and envelope of every unit. */
static zn_status prepare_geometry(zn_zone_exporter *x, zn_error *err)
{
    size_t n = x->n;
    x->x = malloc((n + 1) * sizeof *x->x);
    x->y = malloc((n + 1) * sizeof *x->y);
    x->env = malloc((4 * n + 1) * sizeof *x->env);
    x->disc = calloc(n + 1, 1);
    x->located = calloc(n + 1, 1);
    x->geom = calloc(n + 1, sizeof *x->geom);
    x->members = malloc((n + 1) * sizeof *x->members);
    x->member_level = malloc((n + 1) * sizeof *x->member_level);
    if (!x->x || !x->y || !x->env || !x->disc || !x->located || !x->geom || !x->members || !x->member_level)
        return nomem(err);
    x->cell = 2 * x->buffer_m;
    for (size_t i = 0; i < n; i++) {
        x->x[i] = x->y[i] = NAN;
        if (!x->proj)
            continue;
        if (x->geojson[i]) {
            zn_geom *g = NULL, *m = NULL;
            zn_error e2;
            if (zn_geom_from_geojson_str(x->ctx, x->geojson[i], &g, &e2) == ZN_OK &&
                zn_geom_transform(g, x->proj, 0, &m, &e2) == ZN_OK)
                x->geom[i] = GEOSGeom_clone_r(x->h, (const GEOSGeometry *)zn_geom_geos(m));
            else
                zn_log(x->ctx, ZN_LOG_WARN, "zone map: unit %s has an unusable polygon (%s); using its point",
                       x->keys[i], e2.msg);
            zn_geom_free(g);
            zn_geom_free(m);
            double *e = &x->env[4 * i];
            if (x->geom[i] && GEOSGeom_getXMin_r(x->h, x->geom[i], &e[0]) && GEOSGeom_getYMin_r(x->h, x->geom[i], &e[1]) &&
                GEOSGeom_getXMax_r(x->h, x->geom[i], &e[2]) && GEOSGeom_getYMax_r(x->h, x->geom[i], &e[3])) {
                x->located[i] = 1;
                x->x[i] = (e[0] + e[2]) / 2;
                x->y[i] = (e[1] + e[3]) / 2;
                if (e[2] - e[0] > x->cell)
                    x->cell = e[2] - e[0];
                if (e[3] - e[1] > x->cell)
                    x->cell = e[3] - e[1];
                continue;
            }
            if (x->geom[i]) {
                GEOSGeom_destroy_r(x->h, x->geom[i]);
                x->geom[i] = NULL;
            }
        }
        if (!isfinite(x->lon[i]) || !isfinite(x->lat[i]))
            continue;
        if (zn_proj_fwd(x->proj, x->lon[i], x->lat[i], &x->x[i], &x->y[i], err) != ZN_OK)
            return ZN_EGEO;
        double *e = &x->env[4 * i];
        e[0] = x->x[i] - x->buffer_m;
        e[1] = x->y[i] - x->buffer_m;
        e[2] = x->x[i] + x->buffer_m;
        e[3] = x->y[i] + x->buffer_m;
        x->disc[i] = 1;
        x->located[i] = 1;
    }
    return ZN_OK;
}

static zn_status load_units(zn_zone_exporter *x, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(x->st,
                                  "SELECT id, key, lon, lat, geojson FROM zone_unit WHERE id IN"
                                  " (SELECT unit_id FROM zone_period WHERE run_id = ?) ORDER BY id",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, x->run_id);
    size_t cap = 0;
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (x->n == cap) {
            cap = cap ? cap * 2 : 1024;
            if (grow(x, cap) != ZN_OK) {
                s = nomem(err);
                break;
            }
        }
        size_t i = x->n;
        x->ids[i] = zn_stmt_column_int64(q, 0);
        x->keys[i] = zn_strdup(zn_stmt_column_text(q, 1));
        x->lon[i] = zn_stmt_column_is_null(q, 2) ? NAN : zn_stmt_column_double(q, 2);
        x->lat[i] = zn_stmt_column_is_null(q, 3) ? NAN : zn_stmt_column_double(q, 3);
        x->geojson[i] = zn_stmt_column_is_null(q, 4) ? NULL : zn_strdup(zn_stmt_column_text(q, 4));
        x->n++;
        if (!x->keys[i] || (!zn_stmt_column_is_null(q, 4) && !x->geojson[i])) {
            s = nomem(err);
            break;
        }
    }
    zn_stmt_finalize(q);
    if (s != ZN_OK)
        return s;
    /* the metric CRS: the UTM zone of the first located unit */
    for (size_t i = 0; i < x->n; i++)
        if (isfinite(x->lon[i]) && isfinite(x->lat[i])) {
            if ((s = zn_proj_new_utm(x->ctx, x->lon[i], x->lat[i], &x->proj, err)) != ZN_OK)
                return s;
            break;
        }
    return prepare_geometry(x, err);
}

static int32_t unit_index(const zn_zone_exporter *x, int64_t id)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < x->n && x->ids[lo] == id ? (int32_t)lo : -1;
}

static int cmp_xperiod(const void *a, const void *b)
{
    const struct xperiod *p = a, *q = b;
    if (p->rank != q->rank)
        return (p->rank > q->rank) - (p->rank < q->rank);
    return (p->unit > q->unit) - (p->unit < q->unit);
}

static zn_status load_periods(zn_zone_exporter *x, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(x->st, "SELECT unit_id, level_rank, valid_from, valid_to FROM zone_period WHERE run_id = ?",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, x->run_id);
    size_t cap = 0;
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (x->nperiods == cap) {
            cap = cap ? cap * 2 : 4096;
            struct xperiod *v = realloc(x->periods, cap * sizeof *v);
            if (!v) {
                s = nomem(err);
                break;
            }
            x->periods = v;
        }
        struct xperiod *p = &x->periods[x->nperiods];
        p->unit = unit_index(x, zn_stmt_column_int64(q, 0));
        p->rank = (int32_t)zn_stmt_column_int64(q, 1);
        if ((s = zn_zone_day_parse(zn_stmt_column_text(q, 2), &p->from, err)) != ZN_OK ||
            (s = zn_zone_day_parse(zn_stmt_column_text(q, 3), &p->to, err)) != ZN_OK)
            break;
        if (p->unit >= 0)
            x->nperiods++;
    }
    zn_stmt_finalize(q);
    if (s == ZN_OK && x->periods)
        qsort(x->periods, x->nperiods, sizeof *x->periods, cmp_xperiod);
    return s;
}

zn_status zn_zone_exporter_new(zn_store *st, zn_ctx *ctx, const char *rules, const zn_zone_geojson_opts *opts,
                               zn_zone_exporter **out, zn_error *err)
{
    if (!st || !ctx || !rules || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    int64_t run_id;
    zn_status s = zn__zone_run_id(st, rules, &run_id, err);
    return s == ZN_OK ? zn_zone_exporter_new_run(st, ctx, run_id, opts, out, err) : s;
}

zn_status zn_zone_exporter_new_run(zn_store *st, zn_ctx *ctx, int64_t run_id, const zn_zone_geojson_opts *opts,
                                   zn_zone_exporter **out, zn_error *err)
{
    if (!st || !ctx || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    zn_zone_exporter *x = calloc(1, sizeof *x);
    if (!x)
        return nomem(err);
    x->st = st;
    x->ctx = ctx;
    x->h = (GEOSContextHandle_t)zn_ctx_geos(ctx);
    x->run_id = run_id;
    x->buffer_m = opts ? opts->buffer_m : 0;
    x->quad_segs = opts && opts->quad_segs > 0 ? opts->quad_segs : 3;
    x->mask = opts && opts->levels ? opts->levels : ~0u;
    x->list_units = opts ? opts->list_units : 0;
    zn_status s = x->h ? ZN_OK : nomem(err);
    if (s == ZN_OK)
        s = load_run(x, err);
    if (s == ZN_OK)
        s = load_units(x, err);
    if (s == ZN_OK)
        s = load_periods(x, err);
    if (s != ZN_OK) {
        zn_zone_exporter_free(x);
        return s;
    }
    *out = x;
    return ZN_OK;
}

/* The metric geometry of located unit i, made once. NULL on a GEOS failure. */
static GEOSGeometry *unit_geom(zn_zone_exporter *x, int32_t i)
{
    if (x->geom[i])
        return x->geom[i];
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(x->h, x->x[i], x->y[i]);
    if (!pt)
        return NULL;
    x->geom[i] = GEOSBuffer_r(x->h, pt, x->buffer_m, x->quad_segs);
    GEOSGeom_destroy_r(x->h, pt);
    return x->geom[i];
}

/* ---- connected components ---- */

typedef struct cell_ref {
    int64_t key;
    int32_t pos; /* position in the member list */
} cell_ref;

static int cmp_cell(const void *a, const void *b)
{
    const cell_ref *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int32_t find_root(int32_t *parent, int32_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static int64_t cell_key(int64_t cx, int64_t cy)
{
    return (cx << 32) ^ (cy & 0xffffffffLL);
}

static int may_overlap(const zn_zone_exporter *x, int32_t a, int32_t b)
{
    if (x->disc[a] && x->disc[b]) {
        double dx = x->x[a] - x->x[b], dy = x->y[a] - x->y[b], r2 = 2 * x->buffer_m;
        return dx * dx + dy * dy <= r2 * r2 * (1 + 1e-9);
    }
    const double *ea = &x->env[4 * a], *eb = &x->env[4 * b];
    return ea[0] <= eb[2] && eb[0] <= ea[2] && ea[1] <= eb[3] && eb[1] <= ea[3];
}

/* Components of the located units m[0..k) (unit indices, ascending): on return order[] lists the
 * member positions grouped by component (each group ascending) and starts[0..*ncomp] bounds
 * the groups. */
static zn_status components(const zn_zone_exporter *x, const int32_t *m, size_t k, int32_t *order, int32_t *starts,
                            size_t *ncomp, zn_error *err)
{
    cell_ref *cells = malloc((k + 1) * sizeof *cells);
    int32_t *parent = malloc((k + 1) * sizeof *parent);
    cell_ref *byroot = malloc((k + 1) * sizeof *byroot);
    if (!cells || !parent || !byroot) {
        free(cells);
        free(parent);
        free(byroot);
        return nomem(err);
    }
    for (size_t i = 0; i < k; i++) {
        parent[i] = (int32_t)i;
        cells[i].key = cell_key((int64_t)floor(x->x[m[i]] / x->cell), (int64_t)floor(x->y[m[i]] / x->cell));
        cells[i].pos = (int32_t)i;
    }
    qsort(cells, k, sizeof *cells, cmp_cell);
    for (size_t a = 0; a < k; a++) {
        int32_t pa = cells[a].pos;
        int64_t cx = (int64_t)floor(x->x[m[pa]] / x->cell), cy = (int64_t)floor(x->y[m[pa]] / x->cell);
        for (int dx = -1; dx <= 1; dx++)
            for (int dy = -1; dy <= 1; dy++) {
                cell_ref probe = {cell_key(cx + dx, cy + dy), -1};
                size_t lo = 0, hi = k;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (cmp_cell(&cells[mid], &probe) < 0)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                for (size_t b = lo; b < k && cells[b].key == probe.key; b++) {
                    int32_t pb = cells[b].pos;
                    if (pb <= pa || !may_overlap(x, m[pa], m[pb]))
                        continue;
                    int32_t ra = find_root(parent, pa), rb = find_root(parent, pb);
                    if (ra != rb)
                        parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
                }
            }
    }
    for (size_t i = 0; i < k; i++) {
        byroot[i].key = find_root(parent, (int32_t)i);
        byroot[i].pos = (int32_t)i;
    }
    qsort(byroot, k, sizeof *byroot, cmp_cell);
    size_t nc = 0;
    for (size_t i = 0; i < k; i++) {
        if (i == 0 || byroot[i].key != byroot[i - 1].key)
            starts[nc++] = (int32_t)i;
        order[i] = byroot[i].pos;
    }
    starts[nc] = (int32_t)k;
    *ncomp = nc;
    free(cells);
    free(parent);
    free(byroot);
    return ZN_OK;
}

static uint64_t signature(const int32_t *units, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)units[i];
        for (int b = 0; b < 4; b++) {
            h ^= (v >> (8 * b)) & 0xff;
            h *= 1099511628211ULL;
        }
    }
    return h ^ (uint64_t)n;
}

static int cmp_comp(const void *a, const void *b)
{
    const comp *x = a, *y = b;
    return (x->sig > y->sig) - (x->sig < y->sig);
}

/* Find a component with these members in the (sorted) cache; NULL when absent. */
static comp *cache_find(comp_cache *c, uint64_t sig, const int32_t *units, int32_t n)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->v[mid].sig < sig)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < c->n && c->v[i].sig == sig; i++)
        if (c->v[i].text && c->v[i].n == n && !memcmp(c->v[i].members, units, (size_t)n * sizeof *units))
            return &c->v[i];
    return NULL;
}

static int push_comp(comp_cache *c, const comp *e)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        comp *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = *e;
    return 0;
}

/* Union of unit geometries units[0..n) (metric). */
static GEOSGeometry *union_units(zn_zone_exporter *x, const int32_t *units, int32_t n)
{
    if (n == 1) {
        GEOSGeometry *g = unit_geom(x, units[0]);
        return g ? GEOSGeom_clone_r(x->h, g) : NULL;
    }
    GEOSGeometry **parts = malloc((size_t)n * sizeof *parts);
    if (!parts)
        return NULL;
    int32_t np = 0;
    for (int32_t i = 0; i < n; i++) {
        GEOSGeometry *g = unit_geom(x, units[i]);
        if (!g || !(parts[np] = GEOSGeom_clone_r(x->h, g)))
            break;
        np++;
    }
    if (np < n) {
        for (int32_t i = 0; i < np; i++)
            GEOSGeom_destroy_r(x->h, parts[i]);
        free(parts);
        return NULL;
    }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(x->h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)np);
    free(parts);
    if (!coll)
        return NULL;
    GEOSGeometry *u = GEOSUnaryUnion_r(x->h, coll);
    GEOSGeom_destroy_r(x->h, coll);
    return u;
}

/* Append v (degrees) with 6 decimals (0.11 m of latitude), trailing zeros dropped. */
static zn_status put_coord(zn_buf *b, double v)
{
    char tmp[40];
    int neg = v < 0;
    long long k = llround(fabs(v) * 1e6);
    long long ip = k / 1000000, fp = k % 1000000;
    int n;
    if (fp == 0) {
        n = snprintf(tmp, sizeof tmp, "%s%lld", neg && k ? "-" : "", ip);
    } else {
        char frac[8];
        snprintf(frac, sizeof frac, "%06lld", fp);
        int e = 6;
        while (e > 1 && frac[e - 1] == '0')
            e--;
        frac[e] = 0;
        n = snprintf(tmp, sizeof tmp, "%s%lld.%s", neg ? "-" : "", ip, frac);
    }
    return zn_buf_append(b, tmp, (size_t)n);
}

/* Append one ring as "[[lon,lat],...]", projected back to WGS-84; exterior rings counter-clockwise
 * and holes clockwise (RFC 7946 section 3.1.6). */
static zn_status put_ring(zn_zone_exporter *x, const GEOSGeometry *ring, int hole, zn_buf *b, zn_error *err)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(x->h, ring);
    unsigned n = 0;
    char ccw = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(x->h, cs, &n) || !GEOSCoordSeq_isCCW_r(x->h, cs, &ccw))
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS ring access failed");
    double *xs = malloc((n + 1) * sizeof *xs), *ys = malloc((n + 1) * sizeof *ys);
    zn_status s = xs && ys ? ZN_OK : ZN_ENOMEM;
    for (unsigned i = 0; s == ZN_OK && i < n; i++)
        if (!GEOSCoordSeq_getXY_r(x->h, cs, i, &xs[i], &ys[i]))
            s = zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS coordinate access failed");
    if (s == ZN_OK)
        s = zn_proj_inv_n(x->proj, xs, ys, n, err);
    int reverse = hole ? ccw : !ccw;
    if (s == ZN_OK)
        s = zn_buf_puts(b, "[");
    for (unsigned k = 0; s == ZN_OK && k < n; k++) {
        unsigned i = reverse ? n - 1 - k : k;
        if ((s = zn_buf_puts(b, k ? ",[" : "[")) == ZN_OK && (s = put_coord(b, xs[i])) == ZN_OK &&
            (s = zn_buf_puts(b, ",")) == ZN_OK && (s = put_coord(b, ys[i])) == ZN_OK)
            s = zn_buf_puts(b, "]");
    }
    if (s == ZN_OK)
        s = zn_buf_puts(b, "]");
    free(xs);
    free(ys);
    return s == ZN_ENOMEM ? nomem(err) : s;
}

/* The polygons of metric geometry g as comma-separated GeoJSON polygon coordinates. */
static zn_status polygons_text(zn_zone_exporter *x, const GEOSGeometry *g, char **out, zn_error *err)
{
    zn_buf b = {0};
    zn_status s = ZN_OK;
    int ng = GEOSGetNumGeometries_r(x->h, g), written = 0;
    for (int j = 0; s == ZN_OK && j < ng; j++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(x->h, g, j);
        if (GEOSGeomTypeId_r(x->h, p) != GEOS_POLYGON || GEOSisEmpty_r(x->h, p))
            continue;
        if ((s = zn_buf_puts(&b, written++ ? ",[" : "[")) != ZN_OK)
            break;
        s = put_ring(x, GEOSGetExteriorRing_r(x->h, p), 0, &b, err);
        int nh = GEOSGetNumInteriorRings_r(x->h, p);
        for (int h = 0; s == ZN_OK && h < nh; h++)
            if ((s = zn_buf_puts(&b, ",")) == ZN_OK)
                s = put_ring(x, GEOSGetInteriorRingN_r(x->h, p, h), 1, &b, err);
        if (s == ZN_OK)
            s = zn_buf_puts(&b, "]");
    }
    if (s == ZN_OK && !b.data)
        s = zn_buf_puts(&b, "");
    if (s != ZN_OK) {
        zn_buf_fini(&b);
        return s == ZN_ENOMEM ? nomem(err) : s;
    }
    *out = b.data;
    return ZN_OK;
}

/* The level's geometry from members m[0..k) (unit indices, ascending) appended to *geom as GeoJSON
 * text (a MultiPolygon, or null), using and refreshing the level's cache. */
static zn_status level_geometry(zn_zone_exporter *x, int level, const int32_t *m, size_t k, zn_buf *geom,
                                int64_t *unlocated, zn_error *err)
{
    *unlocated = 0;
    int32_t *loc = malloc((k + 1) * sizeof *loc);
    int32_t *order = malloc((k + 1) * sizeof *order);
    int32_t *starts = malloc((k + 2) * sizeof *starts);
    int32_t *units = malloc((k + 1) * sizeof *units);
    comp_cache fresh = {0};
    zn_status s = ZN_OK;
    size_t nl = 0, nc = 0;
    if (!loc || !order || !starts || !units) {
        s = nomem(err);
        goto done;
    }
    for (size_t i = 0; i < k; i++) {
        if (x->located[m[i]])
            loc[nl++] = m[i];
        else
            (*unlocated)++;
    }
    if ((s = components(x, loc, nl, order, starts, &nc, err)) != ZN_OK)
        goto done;
    comp_cache *old = &x->cache[level];
    for (size_t c = 0; c < nc && s == ZN_OK; c++) {
        int32_t n = starts[c + 1] - starts[c];
        for (int32_t i = 0; i < n; i++)
            units[i] = loc[order[starts[c] + i]];
        uint64_t sig = signature(units, (size_t)n);
        comp e = {.sig = sig, .n = n};
        comp *hit = cache_find(old, sig, units, n);
        if (hit) {
            e.members = hit->members;
            e.text = hit->text;
            hit->members = NULL;
            hit->text = NULL;
        } else {
            GEOSGeometry *g = union_units(x, units, n);
            e.members = malloc((size_t)n * sizeof *e.members);
            if (!g)
                s = zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "GEOS union failed");
            else if (!e.members)
                s = nomem(err);
            else
                s = polygons_text(x, g, &e.text, err);
            if (g)
                GEOSGeom_destroy_r(x->h, g);
            if (s != ZN_OK) {
                free(e.members);
                break;
            }
            memcpy(e.members, units, (size_t)n * sizeof *units);
        }
        if (push_comp(&fresh, &e) < 0) {
            free(e.members);
            free(e.text);
            s = nomem(err);
        }
    }
    /* the new cache replaces the old one */
    cache_clear(x->h, old);
    free(old->v);
    *old = fresh;
    if (s != ZN_OK)
        goto done;
    qsort(old->v, old->n, sizeof *old->v, cmp_comp);
    if (nl == 0) {
        s = zn_buf_puts(geom, "null");
        goto done;
    }
    s = zn_buf_puts(geom, "{\"type\":\"MultiPolygon\",\"coordinates\":[");
    int written = 0;
    for (size_t c = 0; s == ZN_OK && c < old->n; c++) {
        if (!old->v[c].text[0])
            continue;
        if (written++)
            s = zn_buf_puts(geom, ",");
        if (s == ZN_OK)
            s = zn_buf_puts(geom, old->v[c].text);
    }
    if (s == ZN_OK)
        s = zn_buf_puts(geom, "]}");
    if (s == ZN_ENOMEM)
        s = nomem(err);
done:
    free(loc);
    free(order);
    free(starts);
    free(units);
    return s;
}

zn_status zn_zone_exporter_write(zn_zone_exporter *x, int32_t day, FILE *f, zn_error *err)
{
    if (!x || !f)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    char d[16];
    zn_zone_day_format(day, d, sizeof d);
    zn_status s = ZN_OK;
    size_t nm = 0;
    for (size_t i = 0; i < x->nperiods && nm < x->n; i++) { /* sorted by level rank, then unit */
        const struct xperiod *p = &x->periods[i];
        if (p->from <= day && day <= p->to) {
            x->members[nm] = p->unit;
            x->member_level[nm] = p->rank;
            nm++;
        }
    }
    if (nm == 0)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "date", "no stored zones of %s on %s", x->rules, d);

    zn_buf out = {0}, geom = {0};
    char *head = NULL;
    json_t *meta = json_pack("{sssssf}", "rules", x->rules, "date", d, "buffer_m", x->buffer_m);
    head = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    if (!head)
        return nomem(err);
    /* {"type":"FeatureCollection", <meta members>, "features":[...]} */
    s = zn_buf_puts(&out, "{\"type\":\"FeatureCollection\",");
    if (s == ZN_OK)
        s = zn_buf_append(&out, head + 1, strlen(head) - 2);
    free(head);
    if (s == ZN_OK)
        s = zn_buf_puts(&out, ",\"features\":[");
    int nfeat = 0;
    for (size_t i = 0; s == ZN_OK && i < nm;) {
        size_t j = i;
        while (j < nm && x->member_level[j] == x->member_level[i])
            j++;
        int level = x->member_level[i];
        if (level < x->nlevels && (x->mask & (1u << level))) {
            int64_t unlocated = 0;
            zn_buf_reset(&geom);
            s = level_geometry(x, level, x->members + i, j - i, &geom, &unlocated, err);
            json_t *props = NULL;
            char *ptxt = NULL;
            if (s == ZN_OK) {
                props = json_pack("{sssssssIsI}", "level", x->levels[level].name, "zh", x->levels[level].zh, "date",
                                  d, "units", (json_int_t)(j - i), "unlocated", (json_int_t)unlocated);
                if (props && x->list_units) {
                    json_t *keys = json_array();
                    for (size_t k = i; keys && k < j; k++)
                        json_array_append_new(keys, json_string(x->keys[x->members[k]]));
                    json_object_set_new(props, "unit_keys", keys);
                }
                ptxt = props ? json_dumps(props, JSON_COMPACT) : NULL;
                json_decref(props);
                if (!ptxt)
                    s = nomem(err);
            }
            if (s == ZN_OK && (s = zn_buf_puts(&out, nfeat++ ? ",{" : "{")) == ZN_OK &&
                (s = zn_buf_puts(&out, "\"type\":\"Feature\",\"properties\":")) == ZN_OK &&
                (s = zn_buf_puts(&out, ptxt)) == ZN_OK && (s = zn_buf_puts(&out, ",\"geometry\":")) == ZN_OK &&
                (s = zn_buf_append(&out, geom.data, geom.len)) == ZN_OK)
                s = zn_buf_puts(&out, "}");
            free(ptxt);
            if (s == ZN_ENOMEM)
                s = nomem(err);
        }
        i = j;
    }
    if (s == ZN_OK)
        s = zn_buf_puts(&out, "]}\n");
    if (s == ZN_OK && fwrite(out.data, 1, out.len, f) != out.len)
        s = zn_error_set(err, ZN_EIO, NULL, 0, NULL, "cannot write the GeoJSON");
    zn_buf_fini(&out);
    zn_buf_fini(&geom);
    return s;
}

zn_status zn_zone_export_geojson(zn_store *st, zn_ctx *ctx, const char *rules, int32_t day,
                                 const zn_zone_geojson_opts *opts, FILE *f, zn_error *err)
{
    zn_zone_exporter *x;
    zn_status s = zn_zone_exporter_new(st, ctx, rules, opts, &x, err);
    if (s != ZN_OK)
        return s;
    s = zn_zone_exporter_write(x, day, f, err);
    zn_zone_exporter_free(x);
    return s;
}
