/*
 * Square grid with stable ids: cells are size x size metre squares of ZN_GRID_CRS (an Albers
 * equal-area conic for China, see geo.h), col = floor(x / size), row = floor(y / size).
 */
#include "geo_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO32 4294967296LL
#define TWO31 2147483648LL
#define LIMIT (1L << 30) /* |col|, |row| < 2^30 keeps neighbours and packing exact */

struct zn_grid {
    zn_ctx *ctx;
    zn_proj *p;
    int32_t size;
};

zn_status zn_grid_new(zn_ctx *ctx, int32_t cell_m, zn_grid **out, zn_error *err)
{
    *out = NULL;
    if (cell_m == 0)
        cell_m = ZN_GRID_DEFAULT_CELL_M;
    if (cell_m < 1 || cell_m > 1000000)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "grid cell size %d m is outside 1..1000000", (int)cell_m);
    zn_grid *g = calloc(1, sizeof *g);
    if (!g)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    zn_status st = zn_proj_new(ctx, ZN_GRID_CRS, &g->p, err);
    if (st != ZN_OK) {
        free(g);
        return st;
    }
    g->ctx = ctx;
    g->size = cell_m;
    *out = g;
    return ZN_OK;
}

void zn_grid_free(zn_grid *g)
{
    if (!g)
        return;
    zn_proj_free(g->p);
    free(g);
}

int32_t zn_grid_cell_m(const zn_grid *g) { return g->size; }

int64_t zn_grid_id_make(int32_t col, int32_t row) { return (int64_t)row * TWO32 + ((int64_t)col + TWO31); }

void zn_grid_id_split(int64_t id, int32_t *col, int32_t *row)
{
    int64_t low = (int64_t)((uint64_t)id & 0xffffffffu);
    *col = (int32_t)(low - TWO31);
    *row = (int32_t)((id - low) / TWO32);
}

static int in_range(int64_t col, int64_t row) { return col > -LIMIT && col < LIMIT && row > -LIMIT && row < LIMIT; }

zn_status zn_grid_cell(zn_grid *g, double lon, double lat, int64_t *id, zn_error *err)
{
    double x, y;
    zn_status st = zn_proj_fwd(g->p, lon, lat, &x, &y, err);
    if (st != ZN_OK)
        return st;
    double c = floor(x / g->size), r = floor(y / g->size);
    if (!(c > -LIMIT && c < LIMIT && r > -LIMIT && r < LIMIT))
        return zn_error_set(err, ZN_ERANGE, NULL, 0, NULL, "(%g, %g) is off the grid", lon, lat);
    *id = zn_grid_id_make((int32_t)c, (int32_t)r);
    return ZN_OK;
}

static zn_status split_checked(int64_t id, int32_t *col, int32_t *row, zn_error *err)
{
    zn_grid_id_split(id, col, row);
    if (!in_range(*col, *row))
        return zn_error_set(err, ZN_ERANGE, NULL, 0, NULL, "grid id %lld is out of range", (long long)id);
    return ZN_OK;
}

zn_status zn_grid_cell_center(zn_grid *g, int64_t id, double *lon, double *lat, zn_error *err)
{
    int32_t c, r;
    zn_status st = split_checked(id, &c, &r, err);
    if (st != ZN_OK)
        return st;
    return zn_proj_inv(g->p, (c + 0.5) * g->size, (r + 0.5) * g->size, lon, lat, err);
}

zn_status zn_grid_cell_polygon(zn_grid *g, int64_t id, zn_geom **out, zn_error *err)
{
    *out = NULL;
    int32_t c, r;
    zn_status st = split_checked(id, &c, &r, err);
    if (st != ZN_OK)
        return st;
    double s = g->size;
    /* SW, SE, NE, NW, SW: counter-clockwise exterior ring as RFC 7946 asks */
    double x[5] = {c * s, (c + 1) * s, (c + 1) * s, c * s, c * s};
    double y[5] = {r * s, r * s, (r + 1) * s, (r + 1) * s, r * s};
    st = zn_proj_inv_n(g->p, x, y, 5, err);
    if (st != ZN_OK)
        return st;
    x[4] = x[0]; /* exactly closed */
    y[4] = y[0];
    GEOSContextHandle_t h = zn__geos(g->ctx, err);
    if (!h)
        return ZN_ENOMEM;
    GEOSCoordSequence *seq = GEOSCoordSeq_copyFromArrays_r(h, x, y, NULL, NULL, 5);
    GEOSGeometry *ring = seq ? GEOSGeom_createLinearRing_r(h, seq) : NULL;
    GEOSGeometry *poly = ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
    return zn__geom_take(g->ctx, poly, out, err);
}

void zn_grid_neighbours(int64_t id, int64_t out[8])
{
    /* unsigned arithmetic: no overflow for any input; exact for ids in range */
    const uint64_t u = (uint64_t)id, up = (uint64_t)TWO32;
    out[0] = (int64_t)(u + up);     /* N */
    out[1] = (int64_t)(u + up + 1); /* NE */
    out[2] = (int64_t)(u + 1);      /* E */
    out[3] = (int64_t)(u - up + 1); /* SE */
    out[4] = (int64_t)(u - up);     /* S */
    out[5] = (int64_t)(u - up - 1); /* SW */
    out[6] = (int64_t)(u - 1);      /* W */
    out[7] = (int64_t)(u + up - 1); /* NW */
}

zn_status zn_grid_id_format(int32_t cell_m, int64_t id, char *buf, size_t n)
{
    int32_t c, r;
    zn_grid_id_split(id, &c, &r);
    int k = snprintf(buf, n, "G%d:%d:%d", (int)cell_m, (int)c, (int)r);
    return k >= 0 && (size_t)k < n ? ZN_OK : ZN_ERANGE;
}

static int read_int(const char **p, long lo, long hi, long *v)
{
    char *end;
    if (!(**p == '-' || (**p >= '0' && **p <= '9')))
        return 0;
    errno = 0;
    *v = strtol(*p, &end, 10);
    if (errno || end == *p || *v < lo || *v > hi)
        return 0;
    *p = end;
    return 1;
}

zn_status zn_grid_id_parse(const char *text, int32_t *cell_m, int64_t *id, zn_error *err)
{
    const char *p = text;
    long size, c, r;
    if (!p || *p++ != 'G' || !read_int(&p, 1, 1000000, &size) || *p++ != ':' ||
        !read_int(&p, -LIMIT + 1, LIMIT - 1, &c) || *p++ != ':' || !read_int(&p, -LIMIT + 1, LIMIT - 1, &r) || *p)
        return zn_error_set(err, ZN_EPARSE, NULL, 0, NULL, "'%s' is not a grid id like G800:1925:4297",
                            text ? text : "(null)");
    *cell_m = (int32_t)size;
    *id = zn_grid_id_make((int32_t)c, (int32_t)r);
    return ZN_OK;
}
