/*
 * Coordinate systems used in China: WGS-84, GCJ-02, BD-09.
 *
 * GCJ-02 forward transform: the widely published reimplementation of the GB 20263-2006 offset
 * (Krasovsky 1940 ellipsoid a = 6378245.0, ee = 0.00669342162296594323), as used by e.g.
 * eviltransform and coordtransform. GCJ-02 -> WGS-84 inverts it by fixed-point iteration.
 * BD-09 <-> GCJ-02: Baidu's published transform with x_pi = pi * 3000 / 180.
 */
#include "zhinao/geo.h"

#include <math.h>
#include <strings.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const double GCJ_A = 6378245.0;
static const double GCJ_EE = 0.00669342162296594323;
static const double X_PI = M_PI * 3000.0 / 180.0;

zn_status zn_crs_parse(const char *name, zn_crs *out)
{
    if (!name)
        return ZN_EINVAL;
    if (!strcasecmp(name, "wgs84") || !strcasecmp(name, "wgs-84") || !strcasecmp(name, "epsg:4326"))
        *out = ZN_CRS_WGS84;
    else if (!strcasecmp(name, "gcj02") || !strcasecmp(name, "gcj-02"))
        *out = ZN_CRS_GCJ02;
    else if (!strcasecmp(name, "bd09") || !strcasecmp(name, "bd-09"))
        *out = ZN_CRS_BD09;
    else
        return ZN_EINVAL;
    return ZN_OK;
}

const char *zn_crs_name(zn_crs crs)
{
    switch (crs) {
    case ZN_CRS_WGS84: return "wgs84";
    case ZN_CRS_GCJ02: return "gcj02";
    case ZN_CRS_BD09: return "bd09";
    }
    return "unknown";
}

int zn_geo_in_china(double lon, double lat)
{
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

zn_status zn_geo_check_china(double lon, double lat, zn_error *err)
{
    if (isnan(lon) || isnan(lat) || fabs(lat) > 90.0 || fabs(lon) > 180.0) {
        if (!isnan(lon) && !isnan(lat) && fabs(lon) <= 90.0 && fabs(lat) <= 180.0 && zn_geo_in_china(lat, lon))
            return zn_error_set(err, ZN_ERANGE, NULL, 0, NULL,
                                "(%.6f, %.6f) looks like swapped latitude/longitude", lon, lat);
        return zn_error_set(err, ZN_ERANGE, NULL, 0, NULL, "(%.6f, %.6f) is not a valid longitude/latitude", lon, lat);
    }
    if (zn_geo_in_china(lon, lat))
        return ZN_OK;
    if (zn_geo_in_china(lat, lon))
        return zn_error_set(err, ZN_ERANGE, NULL, 0, NULL,
                            "(%.6f, %.6f) looks like swapped latitude/longitude", lon, lat);
    return zn_error_set(err, ZN_ERANGE, NULL, 0, NULL, "(%.6f, %.6f) is outside China", lon, lat);
}

static double transform_lat(double x, double y)
{
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double transform_lon(double x, double y)
{
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
    return r;
}

static void wgs_to_gcj(double lon, double lat, double *olon, double *olat)
{
    if (!zn_geo_in_china(lon, lat)) {
        *olon = lon;
        *olat = lat;
        return;
    }
    double dlat = transform_lat(lon - 105.0, lat - 35.0);
    double dlon = transform_lon(lon - 105.0, lat - 35.0);
    double radlat = lat / 180.0 * M_PI;
    double magic = sin(radlat);
    magic = 1 - GCJ_EE * magic * magic;
    double sqrtmagic = sqrt(magic);
    dlat = (dlat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtmagic) * M_PI);
    dlon = (dlon * 180.0) / (GCJ_A / sqrtmagic * cos(radlat) * M_PI);
    *olat = lat + dlat;
    *olon = lon + dlon;
}

static void gcj_to_wgs(double lon, double lat, double *olon, double *olat)
{
    if (!zn_geo_in_china(lon, lat)) {
        *olon = lon;
        *olat = lat;
        return;
    }
    /* Fixed point: w <- w + (g - f(w)); f is a near-identity shift, converges in a few steps. */
    double wlon = lon, wlat = lat;
    for (int i = 0; i < 30; i++) {
        double glon, glat;
        wgs_to_gcj(wlon, wlat, &glon, &glat);
        double elon = lon - glon, elat = lat - glat;
        wlon += elon;
        wlat += elat;
        if (fabs(elon) < 1e-10 && fabs(elat) < 1e-10)
            break;
    }
    *olon = wlon;
    *olat = wlat;
}

static void gcj_to_bd(double lon, double lat, double *olon, double *olat)
{
    double z = sqrt(lon * lon + lat * lat) + 0.00002 * sin(lat * X_PI);
    double theta = atan2(lat, lon) + 0.000003 * cos(lon * X_PI);
    *olon = z * cos(theta) + 0.0065;
    *olat = z * sin(theta) + 0.006;
}

static void bd_to_gcj(double lon, double lat, double *olon, double *olat)
{
    double x = lon - 0.0065, y = lat - 0.006;
    double z = sqrt(x * x + y * y) - 0.00002 * sin(y * X_PI);
    double theta = atan2(y, x) - 0.000003 * cos(x * X_PI);
    *olon = z * cos(theta);
    *olat = z * sin(theta);
}

void zn_crs_convert(zn_crs from, zn_crs to, double lon, double lat, double *out_lon, double *out_lat)
{
    if (from == to) {
        *out_lon = lon;
        *out_lat = lat;
        return;
    }
    /* go through GCJ-02 */
    double glon = lon, glat = lat;
    if (from == ZN_CRS_WGS84)
        wgs_to_gcj(lon, lat, &glon, &glat);
    else if (from == ZN_CRS_BD09)
        bd_to_gcj(lon, lat, &glon, &glat);
    if (to == ZN_CRS_GCJ02) {
        *out_lon = glon;
        *out_lat = glat;
    } else if (to == ZN_CRS_WGS84) {
        gcj_to_wgs(glon, glat, out_lon, out_lat);
    } else {
        gcj_to_bd(glon, glat, out_lon, out_lat);
    }
}

double zn_geo_distance_m(double lon1, double lat1, double lon2, double lat2)
{
    const double R = 6371008.8, d2r = M_PI / 180.0;
    double dlat = (lat2 - lat1) * d2r, dlon = (lon2 - lon1) * d2r;
    double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * d2r) * cos(lat2 * d2r) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * R * asin(sqrt(a < 1 ? a : 1));
}
