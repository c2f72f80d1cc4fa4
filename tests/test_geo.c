/* geo: CRS conversions, PROJ projection, GEOS geometries, polygon sets, the square grid. */
#include "zn_test.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/geo.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static zn_ctx *new_ctx(void)
{
    zn_ctx *ctx;
    assert_int_equal(zn_ctx_new(&ctx), ZN_OK);
    return ctx;
}

/* metres per degree of longitude / latitude on the haversine sphere, for building offsets */
static double m_per_deg_lat(void) { return 6371008.8 * M_PI / 180.0; }
static double m_per_deg_lon(double lat) { return m_per_deg_lat() * cos(lat * M_PI / 180.0); }

/* ================================================================================================
 * WGS-84 / GCJ-02 / BD-09
 * ============================================================================================== */

/*
 * Published test vectors of the GCJ-02 forward transform: googollee/eviltransform c/test.c
 * (commit 1643645a2a2f2fa06811df676db42d02a0fb1f40), {wgsLat, wgsLng, gcjLat, gcjLng}. Its tests
 * require the forward result to 6 decimals and the exact inverse within 0.5 m.
 */
static const double EVIL[][4] = {
    {31.1774276, 121.5272106, 31.17530398364597, 121.531541859215},   /* shanghai */
    {22.543847, 113.912316, 22.540796131694766, 113.9171764808363},   /* shenzhen */
    {39.911954, 116.377817, 39.91334545536069, 116.38404722455657},   /* beijing */
};

static void test_crs_published_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof EVIL / sizeof EVIL[0]; i++) {
        double lon, lat;
        zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, EVIL[i][1], EVIL[i][0], &lon, &lat);
        assert_double_near(lon, EVIL[i][3], 1e-9);
        assert_double_near(lat, EVIL[i][2], 1e-9);
        zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, EVIL[i][3], EVIL[i][2], &lon, &lat);
        assert_true(zn_geo_distance_m(lon, lat, EVIL[i][1], EVIL[i][0]) < 0.05);
    }
    /*
     * hujiulong/gcoord test/unit/crs/GCJ02.spec.ts and BD09.spec.ts (commits 42ea29df, 0bb92090):
     * [123, 45] in GCJ-02 -> WGS-84 [122.99395597, 44.99804071], -> BD-09 [123.00636499,
     * 45.00636899]; [123, 45] in BD-09 -> GCJ-02 [122.99363304, 44.99365430], -> WGS-84
     * [122.98762210, 44.99171540]; all checked there with toBeCloseTo(x, 5), i.e. |d| < 5e-6.
     */
    double lon, lat;
    zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, 123, 45, &lon, &lat);
    assert_double_near(lon, 122.99395597, 5e-6);
    assert_double_near(lat, 44.99804071, 5e-6);
    zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_BD09, 123, 45, &lon, &lat);
    assert_double_near(lon, 123.00636499, 5e-6);
    assert_double_near(lat, 45.00636899, 5e-6);
    zn_crs_convert(ZN_CRS_BD09, ZN_CRS_GCJ02, 123, 45, &lon, &lat);
    assert_double_near(lon, 122.99363304, 5e-6);
    assert_double_near(lat, 44.99365430, 5e-6);
    zn_crs_convert(ZN_CRS_BD09, ZN_CRS_WGS84, 123, 45, &lon, &lat);
    assert_double_near(lon, 122.98762210, 5e-6);
    assert_double_near(lat, 44.99171540, 5e-6);
}

/* Round trips over a 0.1 degree grid covering Zhejiang and Shanghai (118-123E, 27-32N). */
static void test_crs_round_trips(void **state)
{
    (void)state;
    double worst_gcj = 0, worst_bd = 0, min_shift = 1e9, max_shift = 0;
    for (int i = 0; i <= 50; i++)
        for (int j = 0; j <= 50; j++) {
            double lon = 118.0 + i * 0.1, lat = 27.0 + j * 0.1, glon, glat, wlon, wlat, blon, blat;
            zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, lon, lat, &glon, &glat);
            double shift = zn_geo_distance_m(lon, lat, glon, glat);
            if (shift < min_shift)
                min_shift = shift;
            if (shift > max_shift)
                max_shift = shift;
            zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, glon, glat, &wlon, &wlat);
            double d = zn_geo_distance_m(lon, lat, wlon, wlat);
            if (d > worst_gcj)
                worst_gcj = d;
            zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_BD09, lon, lat, &blon, &blat);
            zn_crs_convert(ZN_CRS_BD09, ZN_CRS_WGS84, blon, blat, &wlon, &wlat);
            d = zn_geo_distance_m(lon, lat, wlon, wlat);
            if (d > worst_bd)
                worst_bd = d;
        }
    assert_true(worst_gcj < 0.5);
    assert_true(worst_bd < 0.5);
    /* the offset really is applied: a few hundred metres in this region */
    assert_true(min_shift > 100 && max_shift < 1000);
}

static void test_crs_china_checks(void **state)
{
    (void)state;
    zn_error e;
    assert_int_equal(zn_geo_check_china(121.4737, 31.2304, &e), ZN_OK);
    /* Shanghai with latitude and longitude swapped */
    assert_int_equal(zn_geo_check_china(31.2304, 121.4737, &e), ZN_ERANGE);
    assert_non_null(strstr(e.msg, "swapped"));
    /* Tokyo and Paris: outside */
    assert_int_equal(zn_geo_check_china(139.6917, 35.6895, &e), ZN_ERANGE);
    assert_non_null(strstr(e.msg, "outside China"));
    assert_int_equal(zn_geo_check_china(2.3522, 48.8566, &e), ZN_ERANGE);
    assert_null(strstr(e.msg, "swapped"));
    assert_int_equal(zn_geo_check_china(NAN, 30, &e), ZN_ERANGE);
    assert_int_equal(zn_geo_check_china(200, 30, &e), ZN_ERANGE);
    /* outside China the GCJ-02 step is the identity */
    double lon, lat;
    zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, 2.3522, 48.8566, &lon, &lat);
    assert_true(lon == 2.3522 && lat == 48.8566);
    zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, 183, 45, &lon, &lat); /* gcoord's "not in China" case */
    assert_true(lon == 183 && lat == 45);
    zn_crs c;
    assert_int_equal(zn_crs_parse("GCJ-02", &c), ZN_OK);
    assert_int_equal(c, ZN_CRS_GCJ02);
    assert_int_equal(zn_crs_parse("EPSG:4326", &c), ZN_OK);
    assert_int_equal(c, ZN_CRS_WGS84);
    assert_int_equal(zn_crs_parse("mercator", &c), ZN_EINVAL);
}

/*
 * Upstream pairs: rows 2-6 of ../shared/data/shanghai-2022/sh_address_geocoded_upto0508.csv
 * (Stockard/Shanghai-COVID-2022 data/use/geo.csv @279e902102c8d21077e5f7c99fb007400decde68):
 * AMap's GCJ-02 and upstream's WGS-84 conversion of it. Upstream used a one-step approximate
 * inverse, which is off by up to ~2.3 m in Shanghai, so agreement within 2.5 m is expected.
 * {gcj02_lng, gcj02_lat, wgs84_lng, wgs84_lat}
 */
static const double UPSTREAM[][4] = {
    {121.63742, 31.201487, 121.6331938, 31.20367194},  /* 浦东新区 张东路2281弄 */
    {121.4818, 31.12607, 121.477313, 31.12808759},     /* 浦东新区 临江村西新队罗汉松 */
    {121.609684, 31.18105, 121.6054857, 31.18327329},  /* 浦东新区 临江村丁家队丁家宅 */
    {121.523775, 31.218517, 121.5194289, 31.22061106}, /* 浦东新区 浦电路221号 */
    {121.687927, 31.264253, 121.6836037, 31.26631826}, /* 浦东新区 龚路支路473弄 */
};

static void test_crs_upstream_fixture(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof UPSTREAM / sizeof UPSTREAM[0]; i++) {
        double lon, lat;
        zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, UPSTREAM[i][0], UPSTREAM[i][1], &lon, &lat);
        double d = zn_geo_distance_m(lon, lat, UPSTREAM[i][2], UPSTREAM[i][3]);
        assert_true(d < 2.5);
        /* and both are ~500 m away from the GCJ-02 input */
        assert_true(zn_geo_distance_m(lon, lat, UPSTREAM[i][0], UPSTREAM[i][1]) > 300);
    }
}

/* Split a CSV line without quotes on commas into at most n fields (in place). */
static int split_commas(char *line, char **f, int n)
{
    int k = 0;
    line[strcspn(line, "\r\n")] = 0;
    f[k++] = line;
    for (char *p = line; *p && k < n; p++)
        if (*p == ',') {
            *p = 0;
            f[k++] = p + 1;
        }
    return k;
}

/* Every pair of the shared upstream file (skipped when ../shared is absent). */
static void test_crs_upstream_file(void **state)
{
    (void)state;
    const char *path = zn_test_shared("data/shanghai-2022/sh_address_geocoded_upto0508.csv");
    if (!path)
        skip();
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    long rows = 0;
    double worst = 0, sum = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    assert_non_null(strstr(line, "gcj02_lng,gcj02_lat,wgs84_lng,wgs84_lat"));
    while (fgets(line, sizeof line, f)) {
        char *fl[9];
        /* rows with a quoted "lng,lat" pair have no WGS-84 columns; rows with blanks neither */
        if (strchr(line, '"') || split_commas(line, fl, 9) != 8 || !*fl[3] || !*fl[4] || !*fl[5] || !*fl[6])
            continue;
        double glon = atof(fl[3]), glat = atof(fl[4]), wlon = atof(fl[5]), wlat = atof(fl[6]), lon, lat;
        zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, glon, glat, &lon, &lat);
        double d = zn_geo_distance_m(lon, lat, wlon, wlat);
        sum += d;
        if (d > worst)
            worst = d;
        rows++;
    }
    fclose(f);
    assert_true(rows > 34000);
    assert_true(worst < 2.5);
    assert_true(sum / rows < 1.5);
}

/* ================================================================================================
 * PROJ
 * ============================================================================================== */

static void test_utm_epsg(void **state)
{
    (void)state;
    assert_int_equal(zn_geo_utm_epsg(116.391, 39.907), 32650);
    assert_int_equal(zn_geo_utm_epsg(119.999, 30), 32650);
    assert_int_equal(zn_geo_utm_epsg(120.0, 30), 32651);
    assert_int_equal(zn_geo_utm_epsg(121.4737, 31.2304), 32651);
    assert_int_equal(zn_geo_utm_epsg(151.2, -33.9), 32756); /* Sydney */
    assert_int_equal(zn_geo_utm_epsg(-180, 0), 32601);
    assert_int_equal(zn_geo_utm_epsg(180, 0), 32660);
    assert_int_equal(zn_geo_utm_epsg(NAN, 0), 0);
    assert_int_equal(zn_geo_utm_epsg(10, 95), 0);
}

/* Reference values computed with PROJ 9.1.1 cs2cs, e.g. `echo "39.9 116.4" | cs2cs -f %.4f
 * EPSG:4326 EPSG:32650` (EPSG:4326 takes lat lon there; our API takes lon lat). */
static const struct {
    const char *crs;
    double lon, lat, x, y;
} PROJ_REF[] = {
    {"EPSG:32650", 116.4, 39.9, 448709.3802, 4416830.5622},     /* Beijing */
    {"EPSG:32650", 116.391, 39.907, 447945.3134, 4417612.6956}, /* Tiananmen */
    {"EPSG:32651", 121.4737, 31.2304, 354633.6490, 3456140.5296}, /* Shanghai People's Square */
    {"EPSG:32651", 120.1551, 30.2741, 226317.4607, 3352585.6524}, /* Hangzhou */
    {"EPSG:32650", 120.1551, 30.2741, 803538.3259, 3353374.4747}, /* Hangzhou, west zone */
    {ZN_GRID_CRS, 121.4737, 31.2304, 1540463.8148, 3437942.1124},
};

static void test_proj_known_values(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_error e;
    for (size_t i = 0; i < sizeof PROJ_REF / sizeof PROJ_REF[0]; i++) {
        zn_proj *p;
        assert_int_equal(zn_proj_new(ctx, PROJ_REF[i].crs, &p, &e), ZN_OK);
        assert_string_equal(zn_proj_crs(p), PROJ_REF[i].crs);
        double x, y, lon, lat;
        assert_int_equal(zn_proj_fwd(p, PROJ_REF[i].lon, PROJ_REF[i].lat, &x, &y, &e), ZN_OK);
        assert_double_near(x, PROJ_REF[i].x, 0.001);
        assert_double_near(y, PROJ_REF[i].y, 0.001);
        assert_int_equal(zn_proj_inv(p, x, y, &lon, &lat, &e), ZN_OK);
        assert_true(zn_geo_distance_m(lon, lat, PROJ_REF[i].lon, PROJ_REF[i].lat) < 0.001);
        zn_proj_free(p);
    }
    /* the UTM helper picks zone 51 for Hangzhou */
    zn_proj *p;
    assert_int_equal(zn_proj_new_utm(ctx, 120.1551, 30.2741, &p, &e), ZN_OK);
    assert_string_equal(zn_proj_crs(p), "EPSG:32651");
    zn_proj_free(p);
    zn_ctx_free(ctx);
}

static void test_proj_arrays_and_errors(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_error e;
    zn_proj *p;
    assert_int_equal(zn_proj_new(ctx, "EPSG:32651", &p, &e), ZN_OK);
    /* a 1 km lattice around Shanghai: fwd then inv returns every point within 1 mm */
    enum { N = 100 };
    double x[N], y[N], lon0[N], lat0[N];
    for (int i = 0; i < N; i++) {
        lon0[i] = x[i] = 121.0 + (i % 10) * 0.1;
        lat0[i] = y[i] = 30.7 + (i / 10) * 0.1;
    }
    assert_int_equal(zn_proj_fwd_n(p, x, y, N, &e), ZN_OK);
    double sx, sy;
    assert_int_equal(zn_proj_fwd(p, lon0[37], lat0[37], &sx, &sy, &e), ZN_OK);
    assert_true(x[37] == sx && y[37] == sy); /* same as the single-point call */
    assert_true(x[0] > 100000 && x[0] < 900000 && y[0] > 3e6 && y[0] < 4e6);
    assert_int_equal(zn_proj_inv_n(p, x, y, N, &e), ZN_OK);
    for (int i = 0; i < N; i++)
        assert_true(zn_geo_distance_m(x[i], y[i], lon0[i], lat0[i]) < 0.001);
    assert_int_equal(zn_proj_fwd_n(p, x, y, 0, &e), ZN_OK);
    /* errors */
    double a, b;
    assert_int_equal(zn_proj_fwd(p, NAN, 30, &a, &b, &e), ZN_EINVAL);
    x[5] = INFINITY;
    assert_int_equal(zn_proj_fwd_n(p, x, y, N, &e), ZN_EINVAL);
    assert_int_equal(e.line, 6);
    zn_proj_free(p);
    zn_proj *q = (zn_proj *)&e; /* must be reset to NULL on failure */
    assert_int_equal(zn_proj_new(ctx, "EPSG:4326", &q, &e), ZN_EINVAL); /* geographic */
    assert_null(q);
    assert_non_null(strstr(e.msg, "not a projected CRS"));
    assert_int_equal(zn_proj_new(ctx, "EPSG:999999", &q, &e), ZN_EINVAL);
    assert_int_equal(zn_proj_new(ctx, "no such thing", &q, &e), ZN_EINVAL);
    assert_int_equal(zn_proj_new(ctx, NULL, &q, &e), ZN_EINVAL);
    assert_int_equal(zn_proj_new_utm(ctx, 500, 0, &q, &e), ZN_EINVAL);
    zn_proj_free(NULL);
    zn_ctx_free(ctx);
}

/* ================================================================================================
 * GEOS geometries
 * ============================================================================================== */

static zn_geom *geom(zn_ctx *ctx, const char *text)
{
    zn_geom *g;
    zn_error e;
    zn_status st = zn_geom_from_geojson_str(ctx, text, &g, &e);
    if (st != ZN_OK) {
        char buf[600];
        fprintf(stderr, "%s\n", zn_error_format(&e, buf, sizeof buf));
    }
    assert_int_equal(st, ZN_OK);
    return g;
}

static int covers(zn_geom *g, double lon, double lat)
{
    int in = -1;
    assert_int_equal(zn_geom_covers_point(g, lon, lat, &in, NULL), ZN_OK);
    return in;
}

static const char *SQUARE = "{\"type\":\"Polygon\",\"coordinates\":"
                            "[[[120,30],[120.01,30],[120.01,30.01],[120,30.01],[120,30]]]}";
static const char *HOLED = "{\"type\":\"Polygon\",\"coordinates\":"
                           "[[[120,30],[120.01,30],[120.01,30.01],[120,30.01],[120,30]],"
                           "[[120.004,30.004],[120.004,30.006],[120.006,30.006],[120.006,30.004],[120.004,30.004]]]}";

static void test_geom_point_in_polygon(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_geom *sq = geom(ctx, SQUARE);
    assert_int_equal(covers(sq, 120.005, 30.005), 1);
    assert_int_equal(covers(sq, 120.0001, 30.0099), 1);
    assert_int_equal(covers(sq, 120.02, 30.005), 0);
    assert_int_equal(covers(sq, 119.9999, 30.005), 0);
    assert_int_equal(covers(sq, 120.005, 30.0101), 0);
    assert_int_equal(covers(sq, 120.0, 30.005), 1); /* boundary counts */
    assert_int_equal(covers(sq, 120.01, 30.01), 1); /* corner */
    int in;
    assert_int_equal(zn_geom_covers_point(sq, NAN, 30, &in, NULL), ZN_EINVAL);

    zn_geom *h = geom(ctx, HOLED);
    assert_int_equal(covers(h, 120.005, 30.005), 0); /* in the hole */
    assert_int_equal(covers(h, 120.002, 30.002), 1);
    assert_int_equal(covers(h, 120.0065, 30.005), 1);
    assert_int_equal(covers(h, 120.004, 30.005), 1); /* hole boundary belongs to the polygon */
    /* planar areas in degree^2: 1e-4 and 1e-4 - 4e-6 */
    assert_double_near(zn_geom_area(sq), 1e-4, 1e-12);
    assert_double_near(zn_geom_area(h), 1e-4 - 4e-6, 1e-12);

    /* a Feature wrapping a MultiPolygon, and a Point */
    zn_geom *mp = geom(ctx, "{\"type\":\"Feature\",\"properties\":{\"name\":\"x\"},\"geometry\":{\"type\":"
                            "\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1],[0,0]]],"
                            "[[[2,0],[3,0],[3,1],[2,0]]]]}}");
    assert_int_equal(covers(mp, 0.9, 0.5), 1);
    assert_int_equal(covers(mp, 2.9, 0.5), 1);
    assert_int_equal(covers(mp, 1.5, 0.5), 0);
    assert_double_near(zn_geom_area(mp), 1.0, 1e-12);
    zn_geom *pt = geom(ctx, "{\"type\":\"Point\",\"coordinates\":[121.5,31.2,4.0]}");
    assert_double_near(zn_geom_area(pt), 0, 0);
    zn_geom_free(sq);
    zn_geom_free(h);
    zn_geom_free(mp);
    zn_geom_free(pt);
    zn_ctx_free(ctx);
}

static int warn_lines;
static void count_warn(void *user, zn_log_level level, const char *line)
{
    (void)user;
    if (level == ZN_LOG_WARN && strstr(line, "Self-intersection"))
        warn_lines++;
}

static void test_geojson_errors_and_repair(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_error e;
    zn_geom *g = (zn_geom *)&e;
    assert_int_equal(zn_geom_from_geojson_str(ctx, "{\"type\":", &g, &e), ZN_EPARSE);
    assert_null(g);
    assert_int_equal(e.line, 1);
    assert_int_equal(zn_geom_from_geojson_str(ctx, "[1,2]", &g, &e), ZN_EPARSE);
    assert_int_equal(zn_geom_from_geojson_str(ctx, "{\"coordinates\":[]}", &g, &e), ZN_EPARSE);
    assert_string_equal(e.field, "type");
    assert_int_equal(zn_geom_from_geojson_str(ctx, "{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}", &g, &e),
                     ZN_EUNSUPPORTED);
    /* ring not closed */
    assert_int_equal(zn_geom_from_geojson_str(
                         ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}", &g, &e),
                     ZN_EPARSE);
    assert_string_equal(e.field, "coordinates[0]");
    assert_non_null(strstr(e.msg, "not closed"));
    /* too few positions */
    assert_int_equal(zn_geom_from_geojson_str(ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}",
                                              &g, &e),
                     ZN_EPARSE);
    /* a bad position deep inside a multipolygon is located */
    assert_int_equal(zn_geom_from_geojson_str(ctx,
                                              "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1],[0,0]]],"
                                              "[[[0,0],[1,0],[1,1],[0,0]],[[0,0],[1,\"x\"],[1,1],[0,0]]]]}",
                                              &g, &e),
                     ZN_EPARSE);
    assert_string_equal(e.field, "coordinates[1][1][1]");
    assert_int_equal(zn_geom_from_geojson_str(ctx, "{\"type\":\"Feature\",\"geometry\":null}", &g, &e), ZN_EPARSE);

    /* a bow-tie is repaired into its two triangles (area 2 * 0.25), with a WARN line */
    zn_ctx_set_log_sink(ctx, count_warn, NULL);
    g = geom(ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}");
    assert_int_equal(warn_lines, 1);
    assert_double_near(zn_geom_area(g), 0.5, 1e-12);
    assert_int_equal(covers(g, 0.1, 0.5), 1);
    assert_int_equal(covers(g, 0.5, 0.1), 0);
    zn_geom_free(g);
    zn_ctx_free(ctx);
}

static void test_geojson_round_trip(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    const char *mp = "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[120.0,30.0],[120.01,30.0],[120.01,30.01],"
                     "[120.0,30.01],[120.0,30.0]],[[120.004,30.004],[120.004,30.006],[120.006,30.006],"
                     "[120.006,30.004],[120.004,30.004]]],[[[121.4737123,31.2304567],[121.48,31.2304567],"
                     "[121.48,31.24],[121.4737123,31.2304567]]]]}";
    zn_geom *g = geom(ctx, mp);
    char *text;
    assert_int_equal(zn_geom_to_geojson_str(g, &text, NULL), ZN_OK);
    assert_string_equal(text, mp);
    /* and back again: same planar area */
    zn_geom *g2 = geom(ctx, text);
    assert_double_near(zn_geom_area(g2), zn_geom_area(g), 1e-15);
    free(text);

    /* jansson form */
    json_t *j;
    assert_int_equal(zn_geom_to_geojson(g2, &j, NULL), ZN_OK);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "MultiPolygon");
    assert_int_equal(json_array_size(json_object_get(j, "coordinates")), 2);
    zn_geom *g3;
    assert_int_equal(zn_geom_from_geojson(ctx, j, &g3, NULL), ZN_OK);
    json_decref(j);
    zn_geom_free(g);
    zn_geom_free(g2);
    zn_geom_free(g3);

    /* points, 10 significant digits */
    zn_geom *pt;
    assert_int_equal(zn_geom_point_new(ctx, 121.47371234567, 31.2304, &pt, NULL), ZN_OK);
    assert_int_equal(zn_geom_to_geojson_str(pt, &text, NULL), ZN_OK);
    assert_string_equal(text, "{\"type\":\"Point\",\"coordinates\":[121.4737123,31.2304]}");
    free(text);
    zn_geom *c;
    assert_int_equal(zn_geom_clone(pt, &c, NULL), ZN_OK);
    zn_geom_free(pt);
    assert_int_equal(zn_geom_to_geojson_str(c, &text, NULL), ZN_OK);
    assert_string_equal(text, "{\"type\":\"Point\",\"coordinates\":[121.4737123,31.2304]}");
    free(text);
    zn_geom_free(c);
    zn_ctx_free(ctx);
}

/* Distance from (lon, lat) to each vertex of a polygon's exterior ring: min and max. */
static void ring_distances(const zn_geom *g, double lon, double lat, double *dmin, double *dmax, size_t *n)
{
    json_t *j;
    assert_int_equal(zn_geom_to_geojson(g, &j, NULL), ZN_OK);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "Polygon");
    json_t *ring = json_array_get(json_object_get(j, "coordinates"), 0);
    *n = json_array_size(ring);
    *dmin = 1e300;
    *dmax = 0;
    for (size_t i = 0; i < *n; i++) {
        json_t *pos = json_array_get(ring, i);
        double d = zn_geo_distance_m(lon, lat, json_real_value(json_array_get(pos, 0)),
                                     json_real_value(json_array_get(pos, 1)));
        if (d < *dmin)
            *dmin = d;
        if (d > *dmax)
            *dmax = d;
    }
    json_decref(j);
}

static void test_geom_buffer(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_error e;
    zn_geom *pt, *b;
    assert_int_equal(zn_geom_point_new(ctx, 121.4737, 31.2304, &pt, &e), ZN_OK);
    assert_int_equal(zn_geom_buffer_m(pt, 100, NULL, &b, &e), ZN_OK);
    double area;
    assert_int_equal(zn_geom_area_m2(b, &area, &e), ZN_OK);
    assert_true(fabs(area / (M_PI * 100 * 100) - 1) < 0.01);
    /* the 64-gon: every vertex 100 m from the point (haversine is within 0.3 % of the ellipsoid) */
    double dmin, dmax;
    size_t n;
    ring_distances(b, 121.4737, 31.2304, &dmin, &dmax, &n);
    assert_int_equal(n, 65);
    assert_true(dmin > 99.5 && dmax < 100.5);
    assert_int_equal(covers(b, 121.4737 + 90 / m_per_deg_lon(31.2304), 31.2304), 1);
    assert_int_equal(covers(b, 121.4737 + 110 / m_per_deg_lon(31.2304), 31.2304), 0);
    zn_geom_free(b);

    /* same with an explicit projection; zone 50 is off-zone here (scale 1.0018, area -0.4 %) */
    zn_proj *p;
    assert_int_equal(zn_proj_new(ctx, "EPSG:32650", &p, &e), ZN_OK);
    assert_int_equal(zn_geom_buffer_m(pt, 1000, p, &b, &e), ZN_OK);
    assert_int_equal(zn_geom_area_m2(b, &area, &e), ZN_OK);
    assert_true(fabs(area / (M_PI * 1000 * 1000) - 1) < 0.01);
    zn_geom_free(b);

    /* a 1 km square (built in UTM metres) buffered by 100 m: 1e6 + 4 * 1000 * 100 + pi * 100^2 */
    zn_proj *utm;
    assert_int_equal(zn_proj_new(ctx, "EPSG:32651", &utm, &e), ZN_OK);
    zn_geom *sqm = geom(ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[354000,3456000],[355000,3456000],"
                             "[355000,3457000],[354000,3457000],[354000,3456000]]]}");
    assert_double_near(zn_geom_area(sqm), 1e6, 1e-6);
    zn_geom *sq;
    assert_int_equal(zn_geom_transform(sqm, utm, 1, &sq, &e), ZN_OK);
    assert_int_equal(zn_geom_buffer_m(sq, 100, utm, &b, &e), ZN_OK);
    zn_geom *bm;
    assert_int_equal(zn_geom_transform(b, utm, 0, &bm, &e), ZN_OK);
    assert_true(fabs(zn_geom_area(bm) / (1e6 + 4e5 + M_PI * 1e4) - 1) < 0.002);
    /* negative buffer shrinks: (1000 - 200)^2 */
    zn_geom *shrunk, *sm;
    assert_int_equal(zn_geom_buffer_m(sq, -100, utm, &shrunk, &e), ZN_OK);
    assert_int_equal(zn_geom_transform(shrunk, utm, 0, &sm, &e), ZN_OK);
    assert_double_near(zn_geom_area(sm), 640000, 1);
    zn_geom *none = sq;
    assert_int_equal(zn_geom_buffer_m(sq, NAN, utm, &none, &e), ZN_EINVAL);
    assert_null(none);
    zn_geom_free(sm);
    zn_geom_free(shrunk);
    zn_geom_free(bm);
    zn_geom_free(b);
    zn_geom_free(sq);
    zn_geom_free(sqm);
    zn_geom_free(pt);
    zn_proj_free(utm);
    zn_proj_free(p);
    zn_ctx_free(ctx);
}

static void test_geom_union(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_error e;
    /* two 1000 m squares overlapping in a 500 m square: 2 * 1e6 - 2.5e5 = 1.75e6 (planar metres) */
    zn_geom *a = geom(ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1000,0],[1000,1000],[0,1000],[0,0]]]}");
    zn_geom *b = geom(ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[500,500],[1500,500],[1500,1500],[500,1500],"
                           "[500,500]]]}");
    zn_geom *c = geom(ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[3000,0],[3100,0],[3100,100],[3000,100],"
                           "[3000,0]]]}");
    const zn_geom *ab[] = {a, b};
    zn_geom *u;
    assert_int_equal(zn_geom_union(ctx, ab, 2, &u, &e), ZN_OK);
    assert_double_near(zn_geom_area(u), 1.75e6, 1e-6);
    json_t *j;
    assert_int_equal(zn_geom_to_geojson(u, &j, NULL), ZN_OK);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "Polygon");
    json_decref(j);
    zn_geom_free(u);
    /* a disjoint third part makes a MultiPolygon */
    const zn_geom *abc[] = {a, b, c};
    assert_int_equal(zn_geom_union(ctx, abc, 3, &u, &e), ZN_OK);
    assert_double_near(zn_geom_area(u), 1.76e6, 1e-6);
    assert_int_equal(zn_geom_to_geojson(u, &j, NULL), ZN_OK);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "MultiPolygon");
    json_decref(j);
    zn_geom_free(u);
    /* nothing: empty */
    assert_int_equal(zn_geom_union(ctx, NULL, 0, &u, &e), ZN_OK);
    assert_double_near(zn_geom_area(u), 0, 0);
    zn_geom_free(u);

    /* the same squares placed in Shanghai (UTM 51N metres -> WGS-84): 1.75e6 m^2 on the ground,
     * up to the UTM scale there (k = 0.99986, area +0.03 %) */
    zn_proj *utm;
    assert_int_equal(zn_proj_new(ctx, "EPSG:32651", &utm, &e), ZN_OK);
    zn_geom *wa, *wb;
    zn_geom *ma = geom(ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[354000,3456000],[355000,3456000],"
                            "[355000,3457000],[354000,3457000],[354000,3456000]]]}");
    zn_geom *mb = geom(ctx, "{\"type\":\"Polygon\",\"coordinates\":[[[354500,3456500],[355500,3456500],"
                            "[355500,3457500],[354500,3457500],[354500,3456500]]]}");
    assert_int_equal(zn_geom_transform(ma, utm, 1, &wa, &e), ZN_OK);
    assert_int_equal(zn_geom_transform(mb, utm, 1, &wb, &e), ZN_OK);
    const zn_geom *w[] = {wa, wb};
    assert_int_equal(zn_geom_union(ctx, w, 2, &u, &e), ZN_OK);
    double area;
    assert_int_equal(zn_geom_area_m2(u, &area, &e), ZN_OK);
    assert_true(fabs(area / 1.75e6 - 1) < 0.001);
    zn_geom_free(u);
    zn_geom_free(wa);
    zn_geom_free(wb);
    zn_geom_free(ma);
    zn_geom_free(mb);
    zn_proj_free(utm);
    zn_geom_free(a);
    zn_geom_free(b);
    zn_geom_free(c);
    zn_ctx_free(ctx);
}

/* ================================================================================================
 * polygon sets
 * ============================================================================================== */

static zn_geom *box(zn_ctx *ctx, double x0, double y0, double x1, double y1)
{
    char t[400];
    snprintf(t, sizeof t,
             "{\"type\":\"Polygon\",\"coordinates\":[[[%.17g,%.17g],[%.17g,%.17g],[%.17g,%.17g],"
             "[%.17g,%.17g],[%.17g,%.17g]]]}",
             x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    return geom(ctx, t);
}

static void test_polyset(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_error e;
    zn_polyset *s;
    assert_int_equal(zn_polyset_new(ctx, &s), ZN_OK);
    size_t i = 99;
    assert_int_equal(zn_polyset_find(s, 120, 30, &i, &e), ZN_ENOTFOUND); /* empty set */
    assert_int_equal(zn_polyset_add(s, "west", box(ctx, 120.0, 30.0, 120.1, 30.1), &e), ZN_OK);
    assert_int_equal(zn_polyset_add(s, "east", box(ctx, 120.1, 30.0, 120.2, 30.1), &e), ZN_OK);
    assert_int_equal(zn_polyset_add(s, "holed", geom(ctx, HOLED), &e), ZN_OK); /* inside "west" */
    assert_int_equal(zn_polyset_count(s), 3);
    assert_int_equal(zn_polyset_find(s, 120.05, 30.05, &i, &e), ZN_OK);
    assert_string_equal(zn_polyset_name(s, i), "west");
    assert_int_equal(zn_polyset_find(s, 120.15, 30.05, &i, &e), ZN_OK);
    assert_string_equal(zn_polyset_name(s, i), "east");
    /* a shared border goes to the polygon added first */
    assert_int_equal(zn_polyset_find(s, 120.1, 30.05, &i, &e), ZN_OK);
    assert_int_equal(i, 0);
    assert_int_equal(zn_polyset_find(s, 120.25, 30.05, &i, &e), ZN_ENOTFOUND);
    assert_int_equal(zn_polyset_find(s, NAN, 30.05, &i, &e), ZN_EINVAL);
    /* adding after a query rebuilds the index; the new polygon wins only where it is alone */
    assert_int_equal(zn_polyset_add(s, "north", box(ctx, 120.0, 30.1, 120.2, 30.2), &e), ZN_OK);
    assert_int_equal(zn_polyset_find(s, 120.15, 30.15, &i, &e), ZN_OK);
    assert_string_equal(zn_polyset_name(s, i), "north");
    assert_int_equal(zn_polyset_find(s, 120.002, 30.002, &i, &e), ZN_OK);
    assert_string_equal(zn_polyset_name(s, i), "west");
    assert_null(zn_polyset_name(s, 4));
    assert_null(zn_polyset_geom(s, 4));
    assert_non_null(zn_polyset_geom(s, 2));
    /* a geometry from another ctx is refused (and freed) */
    zn_ctx *other = new_ctx();
    assert_int_equal(zn_polyset_add(s, "alien", box(other, 0, 0, 1, 1), &e), ZN_EINVAL);
    zn_ctx_free(other);
    zn_polyset_free(s);

    /* 20 x 20 tiles: the index agrees with testing every tile */
    assert_int_equal(zn_polyset_new(ctx, &s), ZN_OK);
    for (int r = 0; r < 20; r++)
        for (int c = 0; c < 20; c++) {
            char name[16];
            snprintf(name, sizeof name, "%d,%d", c, r);
            assert_int_equal(zn_polyset_add(s, name, box(ctx, 120 + c * 0.01, 30 + r * 0.01, 120 + (c + 1) * 0.01,
                                                         30 + (r + 1) * 0.01),
                                            &e),
                             ZN_OK);
        }
    for (int k = 0; k < 500; k++) {
        double lon = 119.99 + 0.22 * ((k * 7919) % 1000) / 1000.0, lat = 29.99 + 0.22 * ((k * 104729) % 997) / 997.0;
        size_t brute = SIZE_MAX;
        for (size_t t = 0; t < zn_polyset_count(s) && brute == SIZE_MAX; t++) {
            zn_geom *gt;
            assert_int_equal(zn_geom_clone(zn_polyset_geom(s, t), &gt, &e), ZN_OK);
            if (covers(gt, lon, lat))
                brute = t;
            zn_geom_free(gt);
        }
        zn_status st = zn_polyset_find(s, lon, lat, &i, &e);
        if (brute == SIZE_MAX) {
            assert_int_equal(st, ZN_ENOTFOUND);
        } else {
            assert_int_equal(st, ZN_OK);
            assert_int_equal(i, brute);
        }
    }
    size_t found;
    assert_int_equal(zn_polyset_find(s, 120.155, 30.035, &found, &e), ZN_OK);
    assert_string_equal(zn_polyset_name(s, found), "15,3");
    zn_polyset_free(s);
    zn_polyset_free(NULL);
    zn_ctx_free(ctx);
}

/* ================================================================================================
 * grid
 * ============================================================================================== */

static void polygon_corners(const zn_geom *g, double c[5][2])
{
    json_t *j;
    assert_int_equal(zn_geom_to_geojson(g, &j, NULL), ZN_OK);
    json_t *ring = json_array_get(json_object_get(j, "coordinates"), 0);
    assert_int_equal(json_array_size(ring), 5);
    for (int i = 0; i < 5; i++) {
        c[i][0] = json_real_value(json_array_get(json_array_get(ring, i), 0));
        c[i][1] = json_real_value(json_array_get(json_array_get(ring, i), 1));
    }
    json_decref(j);
}

static void test_grid_ids(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_error e;
    zn_grid *g;
    assert_int_equal(zn_grid_new(ctx, 0, &g, &e), ZN_OK);
    assert_int_equal(zn_grid_cell_m(g), 800);
    /* People's Square: Albers x = 1540463.8148, y = 3437942.1124 (cs2cs, see PROJ_REF), so
     * col = floor(x / 800) = 1925, row = floor(y / 800) = 4297 */
    int64_t id;
    assert_int_equal(zn_grid_cell(g, 121.4737, 31.2304, &id, &e), ZN_OK);
    assert_true(id == 18457621956485LL); /* 4297 * 2^32 + 1925 + 2^31 */
    assert_true(id == zn_grid_id_make(1925, 4297));
    char buf[32];
    assert_int_equal(zn_grid_id_format(800, id, buf, sizeof buf), ZN_OK);
    assert_string_equal(buf, "G800:1925:4297");
    int32_t size;
    int64_t back;
    assert_int_equal(zn_grid_id_parse(buf, &size, &back, &e), ZN_OK);
    assert_true(size == 800 && back == id);
    /* stable: a second grid object (and a fresh ctx) gives the same id */
    zn_ctx *ctx2 = new_ctx();
    zn_grid *g2;
    assert_int_equal(zn_grid_new(ctx2, 800, &g2, &e), ZN_OK);
    int64_t id2;
    assert_int_equal(zn_grid_cell(g2, 121.4737, 31.2304, &id2, &e), ZN_OK);
    assert_true(id2 == id);
    zn_grid_free(g2);
    zn_ctx_free(ctx2);
    /* another size, another id: 1 km cells, col 1540, row 3437 */
    zn_grid *gk;
    assert_int_equal(zn_grid_new(ctx, 1000, &gk, &e), ZN_OK);
    assert_int_equal(zn_grid_cell(gk, 121.4737, 31.2304, &id2, &e), ZN_OK);
    assert_true(id2 == zn_grid_id_make(1540, 3437));
    zn_grid_free(gk);

    /* packing of negative and extreme cells */
    int32_t c, r;
    const int32_t vals[] = {0, 1, -1, 12345, -12345, (1 << 30) - 1, -(1 << 30) + 1};
    for (size_t a = 0; a < 7; a++)
        for (size_t b = 0; b < 7; b++) {
            zn_grid_id_split(zn_grid_id_make(vals[a], vals[b]), &c, &r);
            assert_true(c == vals[a] && r == vals[b]);
        }
    assert_int_equal(zn_grid_id_format(250, zn_grid_id_make(-3, -7), buf, sizeof buf), ZN_OK);
    assert_string_equal(buf, "G250:-3:-7");
    assert_int_equal(zn_grid_id_parse(buf, &size, &back, &e), ZN_OK);
    zn_grid_id_split(back, &c, &r);
    assert_true(size == 250 && c == -3 && r == -7);
    assert_int_equal(zn_grid_id_format(800, id, buf, 8), ZN_ERANGE);
    const char *badids[] = {"", "G", "G800", "G800:1", "G800:1:", "G800:1:2:", "H800:1:2", "G0:1:2",
                            "G800:x:2", "G800: 1:2", "G800:1:2 ", "G800:1:99999999999", NULL};
    for (size_t k = 0; k < sizeof badids / sizeof badids[0]; k++)
        assert_int_equal(zn_grid_id_parse(badids[k], &size, &back, &e), ZN_EPARSE);

    /* bad sizes and points */
    zn_grid *bad;
    assert_int_equal(zn_grid_new(ctx, -5, &bad, &e), ZN_EINVAL);
    assert_int_equal(zn_grid_new(ctx, 1000001, &bad, &e), ZN_EINVAL);
    assert_int_equal(zn_grid_cell(g, NAN, 30, &id2, &e), ZN_EINVAL);
    double lon, lat;
    assert_int_equal(zn_grid_cell_center(g, zn_grid_id_make(INT32_MAX, 0), &lon, &lat, &e), ZN_ERANGE);
    zn_grid_free(g);
    zn_grid_free(NULL);
    zn_ctx_free(ctx);
}

static void test_grid_geometry(void **state)
{
    (void)state;
    zn_ctx *ctx = new_ctx();
    zn_error e;
    zn_grid *g;
    assert_int_equal(zn_grid_new(ctx, 800, &g, &e), ZN_OK);
    /* PROJ scale factors of ZN_GRID_CRS (`proj -S`): h along meridians, k = 1/h along parallels */
    const struct {
        double lon, lat, h;
    } at[] = {
        {121.4737, 31.2304, 1.01419}, /* Shanghai */
        {120.1551, 30.2741, 1.01259}, /* Hangzhou */
        {110.29, 25.27, 1.00079},     /* Guilin, near the 25N standard parallel */
    };
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        int64_t id, id2;
        assert_int_equal(zn_grid_cell(g, at[k].lon, at[k].lat, &id, &e), ZN_OK);
        double clon, clat;
        assert_int_equal(zn_grid_cell_center(g, id, &clon, &clat, &e), ZN_OK);
        assert_int_equal(zn_grid_cell(g, clon, clat, &id2, &e), ZN_OK);
        assert_true(id2 == id); /* the centre maps back to its cell */
        zn_geom *poly;
        assert_int_equal(zn_grid_cell_polygon(g, id, &poly, &e), ZN_OK);
        assert_int_equal(covers(poly, clon, clat), 1);
        assert_int_equal(covers(poly, at[k].lon, at[k].lat), 1);
        double area;
        assert_int_equal(zn_geom_area_m2(poly, &area, &e), ZN_OK);
        assert_double_near(area, 640000, 1);
        /* edges on the ground (haversine): east-west 800 / k = 800 h, north-south 800 / h */
        double cn[5][2];
        polygon_corners(poly, cn);
        double ew = zn_geo_distance_m(cn[0][0], cn[0][1], cn[1][0], cn[1][1]);
        double ns = zn_geo_distance_m(cn[0][0], cn[0][1], cn[3][0], cn[3][1]);
        assert_true(fabs(ew / (800 * at[k].h) - 1) < 0.005);
        assert_true(fabs(ns / (800 / at[k].h) - 1) < 0.005);
        assert_true(fabs(ew * ns / 640000 - 1) < 0.005);
        if (at[k].h < 1.001) { /* near a standard parallel the edges are the size itself */
            assert_true(fabs(ew / 800 - 1) < 0.005);
            assert_true(fabs(ns / 800 - 1) < 0.005);
        }
        assert_true(cn[1][0] > cn[0][0] && cn[3][1] > cn[0][1]); /* SW, SE, NE, NW */

        /* two points 100 m apart around the centre share the cell; 1 km apart they do not */
        double dlon = 50 / m_per_deg_lon(clat);
        int64_t a, b;
        assert_int_equal(zn_grid_cell(g, clon - dlon, clat, &a, &e), ZN_OK);
        assert_int_equal(zn_grid_cell(g, clon + dlon, clat, &b, &e), ZN_OK);
        assert_double_near(zn_geo_distance_m(clon - dlon, clat, clon + dlon, clat), 100, 0.01);
        assert_true(a == id && b == id);
        double dlat = 50 / m_per_deg_lat();
        assert_int_equal(zn_grid_cell(g, clon, clat - dlat, &a, &e), ZN_OK);
        assert_int_equal(zn_grid_cell(g, clon, clat + dlat, &b, &e), ZN_OK);
        assert_true(a == id && b == id);
        assert_int_equal(zn_grid_cell(g, clon - 10 * dlon, clat, &a, &e), ZN_OK);
        assert_int_equal(zn_grid_cell(g, clon + 10 * dlon, clat, &b, &e), ZN_OK);
        assert_true(a != b);
        assert_int_equal(zn_grid_cell(g, clon, clat - 10 * dlat, &a, &e), ZN_OK);
        assert_int_equal(zn_grid_cell(g, clon, clat + 10 * dlat, &b, &e), ZN_OK);
        assert_true(a != b);

        /* neighbours: 8 distinct cells around, centres one edge (or one diagonal) away */
        int64_t nb[8];
        zn_grid_neighbours(id, nb);
        int32_t c0, r0;
        zn_grid_id_split(id, &c0, &r0);
        const int dc[8] = {0, 1, 1, 1, 0, -1, -1, -1}, dr[8] = {1, 1, 0, -1, -1, -1, 0, 1};
        for (int q = 0; q < 8; q++) {
            int32_t c1, r1;
            zn_grid_id_split(nb[q], &c1, &r1);
            assert_true(c1 == c0 + dc[q] && r1 == r0 + dr[q]);
            double nlon, nlat;
            assert_int_equal(zn_grid_cell_center(g, nb[q], &nlon, &nlat, &e), ZN_OK);
            double want = sqrt(dc[q] * dc[q] * ew * ew + dr[q] * dr[q] * ns * ns);
            assert_true(fabs(zn_geo_distance_m(clon, clat, nlon, nlat) / want - 1) < 0.005);
            /* the neighbour's polygon touches ours */
            zn_geom *np;
            assert_int_equal(zn_grid_cell_polygon(g, nb[q], &np, &e), ZN_OK);
            double nc[5][2];
            polygon_corners(np, nc);
            int shared = 0;
            for (int x = 0; x < 4; x++)
                for (int y = 0; y < 4; y++)
                    shared += cn[x][0] == nc[y][0] && cn[x][1] == nc[y][1];
            assert_int_equal(shared, (dc[q] && dr[q]) ? 1 : 2);
            zn_geom_free(np);
        }
        zn_geom_free(poly);
    }
    zn_grid_free(g);
    zn_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crs_published_vectors),
        cmocka_unit_test(test_crs_round_trips),
        cmocka_unit_test(test_crs_china_checks),
        cmocka_unit_test(test_crs_upstream_fixture),
        cmocka_unit_test(test_crs_upstream_file),
        cmocka_unit_test(test_utm_epsg),
        cmocka_unit_test(test_proj_known_values),
        cmocka_unit_test(test_proj_arrays_and_errors),
        cmocka_unit_test(test_geom_point_in_polygon),
        cmocka_unit_test(test_geojson_errors_and_repair),
        cmocka_unit_test(test_geojson_round_trip),
        cmocka_unit_test(test_geom_buffer),
        cmocka_unit_test(test_geom_union),
        cmocka_unit_test(test_polyset),
        cmocka_unit_test(test_grid_ids),
        cmocka_unit_test(test_grid_geometry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
