/*
 * zhinao geo: coordinate reference systems used in China, bounding-box checks, projection to
 * metres (PROJ), point-in-polygon and buffers (GEOS, reentrant API), and a square grid.
 *
 * Coordinates are (lon, lat) in degrees. WGS-84 is the stored CRS. GCJ-02 ("Mars coordinates",
 * AMap, DataV, Tencent) and BD-09 (Baidu) are the obfuscated systems feeds often declare.
 */
#ifndef ZHINAO_GEO_H
#define ZHINAO_GEO_H

#include "zhinao/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum zn_crs { ZN_CRS_WGS84 = 0, ZN_CRS_GCJ02 = 1, ZN_CRS_BD09 = 2 } zn_crs;

/* Parse "wgs84" / "gcj02" / "bd09" (case-insensitive, also "EPSG:4326" for WGS-84).
 * Errors: ZN_EINVAL. */
zn_status zn_crs_parse(const char *name, zn_crs *out);
const char *zn_crs_name(zn_crs crs);

/*
 * Is (lon, lat) inside the rough bounding box of mainland China used by the GCJ-02 algorithm
 * (lon 72.004..137.8347, lat 0.8293..55.8271)? Outside it GCJ-02 equals WGS-84.
 */
int zn_geo_in_china(double lon, double lat);

/*
 * Classify a (lon, lat) pair for a feed: ZN_OK when it is in China; ZN_ERANGE with
 * err->msg "looks like swapped latitude/longitude" when (lat, lon) is in China but (lon, lat) is
 * not; ZN_ERANGE "outside China" otherwise (also for |lat| > 90 or |lon| > 180, NaN).
 */
zn_status zn_geo_check_china(double lon, double lat, zn_error *err);

/*
 * Convert (lon, lat) between CRSs. WGS-84 -> GCJ-02 is the published forward formula (Krasovsky
 * 1940 ellipsoid, a = 6378245, ee = 0.00669342162296594323); GCJ-02 -> WGS-84 inverts it by
 * fixed-point iteration until the residual is below 1e-9 degrees (well under 0.5 m); BD-09 <->
 * GCJ-02 is Baidu's published transform (x_pi = pi * 3000 / 180). Points outside China are left
 * unchanged by the GCJ-02 step. Always succeeds; returns the converted pair through out_lon/out_lat.
 */
void zn_crs_convert(zn_crs from, zn_crs to, double lon, double lat, double *out_lon, double *out_lat);

/* Great-circle distance in metres between two WGS-84 points (haversine, R = 6371008.8 m). */
double zn_geo_distance_m(double lon1, double lat1, double lon2, double lat2);

/* ---- projection to metres (PROJ) ---- */

/*
 * A transformation from WGS-84 (lon, lat degrees; EPSG:4326 with its axes normalised to lon/lat by
 * proj_normalize_for_visualization) to one projected CRS in metres (x = easting, y = northing).
 * Made with the PJ_CONTEXT of a zn_ctx; it must not outlive that ctx and, like the ctx, is used
 * from one thread at a time.
 */
typedef struct zn_proj zn_proj;

/*
 * EPSG code of the WGS-84 / UTM zone containing (lon, lat): zone = floor((lon + 180) / 6) + 1,
 * 32600 + zone north of the equator, 32700 + zone south of it (the Norway/Svalbard exceptions are
 * ignored). E.g. 114 <= lon < 120 -> 32650 (50N), 120 <= lon < 126 -> 32651 (51N).
 * Returns 0 for lon/lat that are not finite or outside [-180, 180] x [-90, 90].
 */
int zn_geo_utm_epsg(double lon, double lat);

/*
 * Create the transformation WGS-84 -> `crs`, where crs is "EPSG:nnnn" (any code PROJ knows, e.g.
 * "EPSG:32650", "EPSG:4547") or a PROJ string ("+proj=aea +lat_1=25 ..."; "+type=crs" is added when
 * missing). The target must be a projected CRS.
 * Returns ZN_OK and *out (free with zn_proj_free); ZN_EINVAL for a NULL, unknown or non-projected
 * crs; ZN_EGEO when PROJ cannot build the operation; ZN_ENOMEM.
 */
zn_status zn_proj_new(zn_ctx *ctx, const char *crs, zn_proj **out, zn_error *err);

/* zn_proj_new for the UTM zone of (lon, lat) (see zn_geo_utm_epsg). Same returns. */
zn_status zn_proj_new_utm(zn_ctx *ctx, double lon, double lat, zn_proj **out, zn_error *err);

/* The crs string the object was made with (owned by p). */
const char *zn_proj_crs(const zn_proj *p);

void zn_proj_free(zn_proj *p); /* NULL is a no-op */

/*
 * Project one WGS-84 point (degrees) to (x, y) metres in p's CRS.
 * Errors: ZN_EINVAL for non-finite input; ZN_EGEO when PROJ cannot project the point.
 */
zn_status zn_proj_fwd(zn_proj *p, double lon, double lat, double *x, double *y, zn_error *err);

/* Inverse of zn_proj_fwd: (x, y) metres -> WGS-84 (lon, lat) degrees. Same errors. */
zn_status zn_proj_inv(zn_proj *p, double x, double y, double *lon, double *lat, zn_error *err);

/*
 * Project n points in place: on entry x[i] = lon, y[i] = lat (degrees); on return x[i], y[i] are
 * metres (zn_proj_fwd_n), or the reverse (zn_proj_inv_n). On error (ZN_EINVAL for a non-finite
 * input, ZN_EGEO for a point PROJ cannot project; err->line = 1-based index of the first bad point)
 * the arrays hold unspecified values.
 */
zn_status zn_proj_fwd_n(zn_proj *p, double *x, double *y, size_t n, zn_error *err);
zn_status zn_proj_inv_n(zn_proj *p, double *x, double *y, size_t n, zn_error *err);

/* ---- geometries (GEOS, reentrant API) ---- */

struct json_t; /* jansson's json_t; include <jansson.h> to build or read one */

/*
 * A GEOS geometry bound to the zn_ctx whose GEOS handle made it (it must not outlive that ctx).
 * Unless a function says otherwise coordinates are WGS-84 (lon, lat) degrees.
 */
typedef struct zn_geom zn_geom;

/*
 * Read a GeoJSON geometry (RFC 7946): a Point, Polygon or MultiPolygon object, or a Feature
 * whose "geometry" is one. Polygon rings must be closed with at least 4 positions; a third
 * (altitude) coordinate is ignored. A polygon that is structurally fine but invalid (for example
 * a self-intersecting ring) is repaired with GEOSMakeValid (structure method, collapsed parts
 * dropped) and a WARN line naming the problem is logged.
 * Returns ZN_OK and *out (free with zn_geom_free); ZN_EPARSE with err->field set to the JSON path
 * ("coordinates[0][3]") for malformed input; ZN_EUNSUPPORTED for other geometry types; ZN_EGEO.
 */
zn_status zn_geom_from_geojson(zn_ctx *ctx, const struct json_t *geojson, zn_geom **out, zn_error *err);
/* Same, from GeoJSON text. Also ZN_EPARSE (err->line = line) when the text is not JSON. */
zn_status zn_geom_from_geojson_str(zn_ctx *ctx, const char *text, zn_geom **out, zn_error *err);

/*
 * Write g as a GeoJSON geometry object (Point, LineString, Polygon, Multi*, GeometryCollection).
 * *out is a new reference (json_decref it). Errors: ZN_EUNSUPPORTED, ZN_ENOMEM.
 */
zn_status zn_geom_to_geojson(const zn_geom *g, struct json_t **out, zn_error *err);
/* Same as compact text with JSON_REAL_PRECISION(10) (10 significant digits: about 1 cm at
 * lon 120). *out is malloc'd, caller frees. */
zn_status zn_geom_to_geojson_str(const zn_geom *g, char **out, zn_error *err);

/* A point geometry at (lon, lat). Errors: ZN_EINVAL (non-finite), ZN_EGEO, ZN_ENOMEM. */
zn_status zn_geom_point_new(zn_ctx *ctx, double lon, double lat, zn_geom **out, zn_error *err);

/* Wrap a GEOSGeometry* made with zn_ctx_geos(ctx); takes ownership of it (also on failure).
 * Errors: ZN_EINVAL (NULL), ZN_ENOMEM. */
zn_status zn_geom_wrap(zn_ctx *ctx, void *geos_geometry, zn_geom **out);
/* The wrapped GEOSGeometry* (borrowed: valid while g lives; do not modify or free it). */
const void *zn_geom_geos(const zn_geom *g);
/* A deep copy. Errors: ZN_EGEO, ZN_ENOMEM. */
zn_status zn_geom_clone(const zn_geom *g, zn_geom **out, zn_error *err);
void zn_geom_free(zn_geom *g); /* NULL is a no-op */

/*
 * Is the point (lon, lat) inside g or on its boundary (GEOS "covers")? Sets *inside to 1 or 0.
 * The first call prepares g (GEOSPrepare) so repeated tests on one geometry are fast.
 * Errors: ZN_EINVAL (non-finite point), ZN_EGEO.
 */
zn_status zn_geom_covers_point(zn_geom *g, double lon, double lat, int *inside, zn_error *err);

/*
 * Buffer g by `metres` (negative shrinks polygons) and return the result in WGS-84.
 * Method: project g to `metric` (a zn_proj; when NULL, the UTM zone of the centre of g's
 * bounding box, see zn_proj_new_utm), GEOSBuffer with 16 segments per quarter circle (a
 * point's buffer is a 64-gon whose area is 0.16 % below pi r^2), project back. UTM scale error is
 * below 0.1 % within a zone. Passing `metric` avoids building a PROJ operation per call.
 * Returns ZN_OK and *out (zn_geom_free); ZN_EINVAL for a non-finite distance; ZN_EGEO.
 */
zn_status zn_geom_buffer_m(const zn_geom *g, double metres, zn_proj *metric, zn_geom **out, zn_error *err);

/*
 * Union of n geometries made with the same ctx (GEOSUnaryUnion over a collection of clones).
 * n == 0 gives an empty GeometryCollection. Returns ZN_OK and *out (zn_geom_free); ZN_EGEO.
 */
zn_status zn_geom_union(zn_ctx *ctx, const zn_geom *const *parts, size_t n, zn_geom **out, zn_error *err);

/*
 * Project every coordinate of g with p: forward (WGS-84 degrees -> metres) when inverse is 0,
 * back when it is 1. Used to measure or buffer in metres. Returns *out (zn_geom_free); ZN_EGEO.
 */
zn_status zn_geom_transform(const zn_geom *g, zn_proj *p, int inverse, zn_geom **out, zn_error *err);

/* Planar area of g in the square of its own coordinate units (GEOSArea); 0 for points/lines. */
double zn_geom_area(const zn_geom *g);

/*
 * Area of a WGS-84 geometry in square metres, measured in ZN_GRID_CRS (an equal-area projection
 * of the WGS-84 ellipsoid, so the area is the ellipsoidal area up to the straight-edge
 * approximation). Errors: ZN_EGEO.
 */
zn_status zn_geom_area_m2(const zn_geom *g, double *out, zn_error *err);

/* ---- sets of named polygons ---- */

/*
 * Named polygons (divisions, zones, compounds) with an envelope index (GEOSSTRtree) and prepared
 * geometries for "which polygon contains this point". Add all polygons, then query; the index is
 * built on the first query after an add.
 */
typedef struct zn_polyset zn_polyset;

zn_status zn_polyset_new(zn_ctx *ctx, zn_polyset **out); /* ZN_ENOMEM; free with zn_polyset_free */
void zn_polyset_free(zn_polyset *s);                    /* frees the polygons too; NULL no-op */

/*
 * Add polygon g (WGS-84) under `name` (copied; names need not be unique). Takes ownership of g,
 * also on failure. Index of the new entry = zn_polyset_count() before the call.
 * Errors: ZN_EINVAL (NULL, or g made with another ctx), ZN_ENOMEM.
 */
zn_status zn_polyset_add(zn_polyset *s, const char *name, zn_geom *g, zn_error *err);

size_t zn_polyset_count(const zn_polyset *s);
const char *zn_polyset_name(const zn_polyset *s, size_t i);  /* borrowed; NULL if i out of range */
const zn_geom *zn_polyset_geom(const zn_polyset *s, size_t i); /* borrowed; NULL if out of range */

/*
 * Find the polygon covering (lon, lat) (interior or boundary). When several do (overlaps, a point
 * on a shared border) the one added first wins, so results do not depend on the index.
 * Returns ZN_OK and *index; ZN_ENOTFOUND when none does; ZN_EINVAL (non-finite); ZN_EGEO.
 */
zn_status zn_polyset_find(zn_polyset *s, double lon, double lat, size_t *index, zn_error *err);

/* ---- square grid with stable cell ids ---- */

/*
 * The grid CRS: Albers equal-area conic for China (standard parallels 25N and 47N, central
 * meridian 105E, origin 0N 105E, WGS-84 ellipsoid). Cells are squares of the grid size in this
 * projection, col = floor(x / size), row = floor(y / size), so an id depends only on the point
 * and the size, never on the data. Changing this string changes every id.
 * Being equal-area, every cell covers exactly size^2 of ground anywhere in China. No map keeps
 * lengths too: the scale is h along meridians and k = 1/h along parallels, |h - 1| <= 1.9 %
 * between 22N and 47N and 0 on the standard parallels (h = 1.0142 at Shanghai, 1.0171 at
 * Beijing, 0.9941 at Guangzhou; `proj -S`), so in Shanghai an 800 m cell measures about 811 m
 * east-west by 789 m north-south on the ground. (A single conic cannot keep edges within 0.5 %
 * over China; a regional grid could, at the price of ids that change across regions.)
 * Grid lines follow the projection, so away from 105E cells are turned from north by the
 * meridian convergence (about 9 degrees clockwise in Zhejiang and Shanghai).
 */
#define ZN_GRID_CRS "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"

/* Default cell size in metres: the 800 m x 800 m telecom cells of "spatiotemporal companion". */
#define ZN_GRID_DEFAULT_CELL_M 800

typedef struct zn_grid zn_grid;

/*
 * A grid of cell_m x cell_m metre cells in ZN_GRID_CRS; cell_m 0 means ZN_GRID_DEFAULT_CELL_M.
 * Errors: ZN_EINVAL for cell_m outside 1..1000000; ZN_EGEO; ZN_ENOMEM. Free with zn_grid_free.
 */
zn_status zn_grid_new(zn_ctx *ctx, int32_t cell_m, zn_grid **out, zn_error *err);
void zn_grid_free(zn_grid *g); /* NULL is a no-op */
int32_t zn_grid_cell_m(const zn_grid *g);

/*
 * Cell ids pack (col, row) into an int64: id = row * 2^32 + (col + 2^31), |col|, |row| < 2^30.
 * An id means a cell only together with its cell size.
 */
int64_t zn_grid_id_make(int32_t col, int32_t row);
void zn_grid_id_split(int64_t id, int32_t *col, int32_t *row);

/* Id of the cell containing the WGS-84 point (lon, lat). Errors: ZN_EINVAL (non-finite),
 * ZN_ERANGE (col/row out of range), ZN_EGEO. */
zn_status zn_grid_cell(zn_grid *g, double lon, double lat, int64_t *id, zn_error *err);

/* WGS-84 centre of a cell. Errors: ZN_ERANGE (id out of range), ZN_EGEO. */
zn_status zn_grid_cell_center(zn_grid *g, int64_t id, double *lon, double *lat, zn_error *err);

/* The cell as a WGS-84 polygon (its 4 corners SW, SE, NE, NW, SW; edges straight in lon/lat,
 * under 1 mm from the projected edges for cells up to a few km). *out: zn_geom_free.
 * Errors as zn_grid_cell_center, plus ZN_ENOMEM. */
zn_status zn_grid_cell_polygon(zn_grid *g, int64_t id, zn_geom **out, zn_error *err);

/* The 8 neighbours of a cell, in the order N, NE, E, SE, S, SW, W, NW. */
void zn_grid_neighbours(int64_t id, int64_t out[8]);

/*
 * Text form "G<size>:<col>:<row>", e.g. "G800:1925:4297". Writes into buf (size n, NUL-terminated);
 * returns ZN_OK, or ZN_ERANGE when buf is too small (32 bytes always suffice).
 */
zn_status zn_grid_id_format(int32_t cell_m, int64_t id, char *buf, size_t n);
/* Parse the text form. Errors: ZN_EPARSE. */
zn_status zn_grid_id_parse(const char *text, int32_t *cell_m, int64_t *id, zn_error *err);

#ifdef __cplusplus
}
#endif
#endif
