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

#ifdef __cplusplus
}
#endif
#endif
