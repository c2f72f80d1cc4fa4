/*
 * Projection of WGS-84 coordinates to metres with PROJ: one PJ per zn_proj, made by
 * proj_create_crs_to_crs("EPSG:4326", crs) and proj_normalize_for_visualization so that input is
 * (lon, lat) and output (easting, northing) whatever the EPSG axis order says.
 */
#include "geo_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int zn_geo_utm_epsg(double lon, double lat)
{
    if (!isfinite(lon) || !isfinite(lat) || fabs(lon) > 180.0 || fabs(lat) > 90.0)
        return 0;
    int zone = (int)floor((lon + 180.0) / 6.0) + 1;
    if (zone > 60) /* lon == 180 */
        zone = 60;
    return (lat >= 0 ? 32600 : 32700) + zone;
}

static zn_status proj_fail(zn_proj *p, zn_status code, zn_error *err, const char *what)
{
    PJ_CONTEXT *pc = zn_ctx_proj(p->ctx);
    int e = proj_errno(p->pj);
    return zn_error_set(err, code, NULL, 0, NULL, "%s (%s): %s", what, p->crs,
                        e ? proj_context_errno_string(pc, e) : "no result");
}

zn_status zn_proj_new(zn_ctx *ctx, const char *crs, zn_proj **out, zn_error *err)
{
    *out = NULL;
    if (!ctx || !crs || !*crs)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "no CRS given");
    PJ_CONTEXT *pc = zn_ctx_proj(ctx);
    if (!pc)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "cannot create a PROJ context");

    /* A bare PROJ string names an operation, not a CRS, unless it says +type=crs. */
    zn_buf def = {0};
    zn_status st = zn_buf_puts(&def, crs);
    if (st == ZN_OK && crs[0] == '+' && !strstr(crs, "+type=crs"))
        st = zn_buf_puts(&def, " +type=crs");
    if (st != ZN_OK) {
        zn_buf_fini(&def);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }

    PJ *target = proj_create(pc, def.data);
    if (!target) {
        zn_buf_fini(&def);
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "unknown CRS '%s'", crs);
    }
    PJ_TYPE type = proj_get_type(target);
    proj_destroy(target);
    if (type != PJ_TYPE_PROJECTED_CRS) {
        zn_buf_fini(&def);
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "'%s' is not a projected CRS", crs);
    }

    PJ *op = proj_create_crs_to_crs(pc, "EPSG:4326", def.data, NULL);
    zn_buf_fini(&def);
    if (!op)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "PROJ cannot transform EPSG:4326 to '%s'", crs);
    PJ *norm = proj_normalize_for_visualization(pc, op);
    proj_destroy(op);
    if (!norm)
        return zn_error_set(err, ZN_EGEO, NULL, 0, NULL, "PROJ cannot normalise the axes of '%s'", crs);

    zn_proj *p = calloc(1, sizeof *p);
    char *name = zn_strdup(crs);
    if (!p || !name) {
        free(p);
        free(name);
        proj_destroy(norm);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    p->ctx = ctx;
    p->pj = norm;
    p->crs = name;
    *out = p;
    return ZN_OK;
}

zn_status zn_proj_new_utm(zn_ctx *ctx, double lon, double lat, zn_proj **out, zn_error *err)
{
    int epsg = zn_geo_utm_epsg(lon, lat);
    if (!epsg) {
        *out = NULL;
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "(%g, %g) is not a longitude/latitude", lon, lat);
    }
    char name[32];
    snprintf(name, sizeof name, "EPSG:%d", epsg);
    return zn_proj_new(ctx, name, out, err);
}

const char *zn_proj_crs(const zn_proj *p) { return p->crs; }

void zn_proj_free(zn_proj *p)
{
    if (!p)
        return;
    proj_destroy(p->pj);
    free(p->crs);
    free(p);
}

static zn_status trans1(zn_proj *p, PJ_DIRECTION dir, double a, double b, double *oa, double *ob, zn_error *err)
{
    if (!isfinite(a) || !isfinite(b))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "coordinate (%g, %g) is not finite", a, b);
    proj_errno_reset(p->pj);
    PJ_COORD r = proj_trans(p->pj, dir, proj_coord(a, b, 0, 0));
    if (!isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL || r.xy.y == HUGE_VAL)
        return proj_fail(p, ZN_EGEO, err, dir == PJ_FWD ? "cannot project" : "cannot unproject");
    *oa = r.xy.x;
    *ob = r.xy.y;
    return ZN_OK;
}

zn_status zn_proj_fwd(zn_proj *p, double lon, double lat, double *x, double *y, zn_error *err)
{
    return trans1(p, PJ_FWD, lon, lat, x, y, err);
}

zn_status zn_proj_inv(zn_proj *p, double x, double y, double *lon, double *lat, zn_error *err)
{
    return trans1(p, PJ_INV, x, y, lon, lat, err);
}

static zn_status trans_n(zn_proj *p, PJ_DIRECTION dir, double *x, double *y, size_t n, zn_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return zn_error_set(err, ZN_EINVAL, NULL, (long)i + 1, NULL, "coordinate (%g, %g) is not finite", x[i], y[i]);
    if (n == 0)
        return ZN_OK;
    proj_errno_reset(p->pj);
    proj_trans_generic(p->pj, dir, x, sizeof *x, n, y, sizeof *y, n, NULL, 0, 0, NULL, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]) || x[i] == HUGE_VAL || y[i] == HUGE_VAL) {
            zn_status st = proj_fail(p, ZN_EGEO, err, dir == PJ_FWD ? "cannot project" : "cannot unproject");
            if (err)
                err->line = (long)i + 1;
            return st;
        }
    return ZN_OK;
}

zn_status zn_proj_fwd_n(zn_proj *p, double *x, double *y, size_t n, zn_error *err)
{
    return trans_n(p, PJ_FWD, x, y, n, err);
}

zn_status zn_proj_inv_n(zn_proj *p, double *x, double *y, size_t n, zn_error *err)
{
    return trans_n(p, PJ_INV, x, y, n, err);
}
