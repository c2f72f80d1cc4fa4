/* Private to src/geo: the structs behind zn_proj, zn_geom and helpers shared by the geo files. */
#ifndef ZN_GEO_INT_H
#define ZN_GEO_INT_H

#include "zhinao/geo.h"

#include <geos_c.h>
#include <proj.h>

struct zn_proj {
    zn_ctx *ctx;
    PJ *pj;    /* EPSG:4326 -> crs, normalised to lon/lat input order */
    char *crs; /* as given by the caller */
};

struct zn_geom {
    zn_ctx *ctx;
    GEOSGeometry *g;
    const GEOSPreparedGeometry *prep; /* lazily made by zn__geom_prepared */
};

/* GEOS handle of the ctx, or NULL after filling err (ZN_ENOMEM). */
GEOSContextHandle_t zn__geos(zn_ctx *ctx, zn_error *err);

/* The prepared form of g (made on first use, owned by g), or NULL after filling err. */
const GEOSPreparedGeometry *zn__geom_prepared(zn_geom *g, zn_error *err);

/* A zn_geom owning gg (gg is destroyed on failure). */
zn_status zn__geom_take(zn_ctx *ctx, GEOSGeometry *gg, zn_geom **out, zn_error *err);

#endif
