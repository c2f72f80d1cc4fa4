/*
 * Zone unit points against the boundary of their division (zn_zone_check_point,
 * zn_zone_units_check, zone.h).
 *
 * Fixture: a DataV-like FeatureCollection with a square "district" 310115 (lon 121.0 .. 121.1,
 * lat 31.0 .. 31.1) and a square "street" 310115001 (lon 121.0 .. 121.05, lat 31.0 .. 31.05),
 * loaded into a WGS-84 set (so no GCJ-02 shift moves the test points).
 *
 * Hand-computed distances (WGS-84 ellipsoid, a = 6378137 m, f = 1/298.257223563):
 *   - 0.01 deg of latitude north of the edge lat 31.1 at lon 121.05: the meridian arc
 *     integral of M(phi) = a(1-e^2)/(1-e^2 sin^2 phi)^1.5 over 31.1 .. 31.11 deg = 1108.71 m
 *     (the sphere of R = 6371008.8 m gives 1111.95 m, the "about 1,111 m" of a rule of thumb);
 *   - 0.01 deg of longitude east of the edge lon 121.1 at lat 31.05: N cos(phi) * 0.01 deg,
 *     N = a / sqrt(1 - e^2 sin^2 phi), = 954.54 m;
 *   - 0.02 deg of longitude east of the township's edge lon 121.05 at lat 31.02: 1909.69 m.
 * The check measures in UTM zone 51N (central meridian 123E): scale factor 1.00003 there, and a
 * polygon edge is straight in UTM while a parallel is curved (about 1 m of sag over 10 km), so
 * the tolerance is 2 m.
 */
#include "zn_test.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "zhinao/zone.h"

static const char *FIXTURE =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"adcode\":310000,\"name\":\"city\",\"level\":\"province\"},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[100,20],[130,20],[130,40],[100,40],[100,20]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"adcode\":310115,\"name\":\"square\",\"level\":\"district\"},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[121.0,31.0],[121.1,31.0],[121.1,31.1],[121.0,31.1],"
    "[121.0,31.0]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"adcode\":\"310115001\",\"name\":\"town\",\"level\":\"street\"},"
    "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[[[[121.0,31.0],[121.05,31.0],[121.05,31.05],"
    "[121.0,31.05],[121.0,31.0]]]]}}]}";

#define TOL_M 2.0

typedef struct fix {
    zn_ctx *ctx;
    zn_store *st;
    zn_zone_bounds *b;
} fix;

static int setup(void **state)
{
    static fix f;
    memset(&f, 0, sizeof f);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/bounds", zn_test_tmpdir());
    assert_int_equal(mkdir(dir, 0700), 0);
    zn_test_write_file("bounds/square.geojson", FIXTURE, strlen(FIXTURE));
    zn_test_write_file("bounds/ignored.txt", "not GeoJSON", 11);
    f.st = zn_test_open_store(&f.ctx, ":memory:", 1650000000);
    zn_error err;
    size_t added = 0;
    assert_int_equal(zn_zone_bounds_new(f.ctx, ZN_CRS_WGS84, &f.b, &err), ZN_OK);
    assert_int_equal(zn_zone_bounds_load(f.b, dir, &added, &err), ZN_OK);
    assert_int_equal(added, 2); /* the province feature is skipped */
    assert_int_equal(zn_zone_bounds_count(f.b), 2);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;
    zn_zone_bounds_free(f->b);
    zn_store_close(f->st);
    zn_ctx_free(f->ctx);
    return 0;
}

static void test_point_flags_and_distances(void **state)
{
    fix *f = *state;
    zn_error err;
    zn_zone_point_check c;

    /* inside the county (no township given) */
    assert_int_equal(zn_zone_check_point(f->b, "310115", NULL, 121.05, 31.05, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 1);
    assert_int_equal(c.outside_division, 0);
    assert_double_near(c.distance_m, 0, 1e-9);

    /* 0.01 deg of latitude north of the north edge */
    assert_int_equal(zn_zone_check_point(f->b, "310115000000", NULL, 121.05, 31.11, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 1);
    assert_int_equal(c.outside_division, 1);
    assert_int_equal(c.outside_level, ZN_ZONE_UNIT_COUNTY);
    assert_double_near(c.distance_m, 1108.71, TOL_M);
    assert_true(fabs(c.distance_m - 1111.95) / 1111.95 < 0.005); /* the spherical figure, within 0.5 % */

    /* 0.01 deg of longitude east of the east edge */
    assert_int_equal(zn_zone_check_point(f->b, "310115", "", 121.11, 31.05, &c, &err), ZN_OK);
    assert_int_equal(c.outside_division, 1);
    assert_double_near(c.distance_m, 954.54, TOL_M);

    /* on the north edge, and on a corner: covered, so inside */
    assert_int_equal(zn_zone_check_point(f->b, "310115", NULL, 121.05, 31.1, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 1);
    assert_int_equal(c.outside_division, 0);
    assert_double_near(c.distance_m, 0, 1e-9);
    assert_int_equal(zn_zone_check_point(f->b, "310115", NULL, 121.1, 31.0, &c, &err), ZN_OK);
    assert_int_equal(c.outside_division, 0);

    /* township: inside the county, 0.02 deg of longitude east of the township's east edge */
    assert_int_equal(zn_zone_check_point(f->b, "310115", "310115001000", 121.07, 31.02, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 2);
    assert_int_equal(c.outside_division, 1);
    assert_int_equal(c.outside_level, ZN_ZONE_UNIT_TOWNSHIP);
    assert_double_near(c.distance_m, 1909.69, TOL_M);
    /* inside both */
    assert_int_equal(zn_zone_check_point(f->b, "310115", "310115001", 121.01, 31.01, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 2);
    assert_int_equal(c.outside_division, 0);
    /* outside both: the county is reported, with its distance */
    assert_int_equal(zn_zone_check_point(f->b, "310115", "310115001", 121.05, 31.11, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 2);
    assert_int_equal(c.outside_level, ZN_ZONE_UNIT_COUNTY);
    assert_double_near(c.distance_m, 1108.71, TOL_M);

    /* nothing to check: no point, a county without a boundary, a township without one */
    assert_int_equal(zn_zone_check_point(f->b, "310115", NULL, NAN, NAN, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 0);
    assert_int_equal(c.outside_division, 0);
    assert_true(isnan(c.distance_m));
    assert_int_equal(zn_zone_check_point(f->b, "310104", NULL, 121.5, 31.2, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 0);
    assert_int_equal(zn_zone_check_point(f->b, "310115", "310115002", 121.07, 31.02, &c, &err), ZN_OK);
    assert_int_equal(c.checked, 1);
    assert_int_equal(c.outside_division, 0);

    /* errors */
    assert_int_equal(zn_zone_check_point(f->b, "31011", NULL, 121.0, 31.0, &c, &err), ZN_EINVAL);
    assert_int_equal(zn_zone_check_point(f->b, "310115", NULL, 200.0, 31.0, &c, &err), ZN_EINVAL);
    assert_int_equal(zn_zone_check_point(NULL, "310115", NULL, 121.0, 31.0, &c, &err), ZN_EINVAL);
}

static void put(zn_store *st, zn_zone_unit_kind kind, const char *key, const char *county, const char *town,
                double lon, double lat)
{
    zn_error err;
    zn_zone_unit u = {.kind = kind,
                      .key = key,
                      .name = strrchr(key, ':') + 1,
                      .county_code = county,
                      .township_code = town,
                      .lon = lon,
                      .lat = lat,
                      .population = -1};
    assert_int_equal(zn_zone_unit_put(st, &u, NULL, &err), ZN_OK);
}

static void test_units_check(void **state)
{
    fix *f = *state;
    zn_error err;
    put(f->st, ZN_ZONE_UNIT_PLACE, "place:square:in", "310115000000", "310115001000", 121.01, 31.01);
    put(f->st, ZN_ZONE_UNIT_PLACE, "place:square:north", "310115000000", NULL, 121.05, 31.11);
    put(f->st, ZN_ZONE_UNIT_BUILDING, "building:square:east", "310115000000", NULL, 121.11, 31.05);
    put(f->st, ZN_ZONE_UNIT_PLACE, "place:square:edge", "310115000000", NULL, 121.05, 31.1);
    put(f->st, ZN_ZONE_UNIT_PLACE, "place:square:nopoint", "310115000000", NULL, NAN, NAN);
    put(f->st, ZN_ZONE_UNIT_PLACE, "place:other:far", "310104000000", NULL, 121.5, 31.2);
    /* derived units are not checked */
    put(f->st, ZN_ZONE_UNIT_TOWNSHIP, "township:310115001000", "310115000000", "310115001000", 122.0, 32.0);
    assert_int_equal(zn_store_exec(f->st,
                                   "INSERT INTO zone_unit_address (district, address, unit_id) SELECT 'square',"
                                   " '北边路1号', id FROM zone_unit WHERE key = 'place:square:north'",
                                   &err),
                     ZN_OK);

    zn_zone_units_check_result r;
    assert_int_equal(zn_zone_units_check(f->st, f->b, "310115", &r, &err), ZN_OK);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.checked, 4);
    assert_int_equal(r.outside, 2);
    int seen = 0;
    for (size_t i = 0; i < r.n; i++) {
        const zn_zone_unit_checked *u = &r.units[i];
        assert_string_equal(u->county_code, "310115000000");
        if (!strcmp(u->key, "place:square:north")) {
            seen |= 1;
            assert_int_equal(u->check.outside_division, 1);
            assert_double_near(u->check.distance_m, 1108.71, TOL_M);
            assert_string_equal(u->address, "北边路1号"); /* a listed address before the unit name */
        } else if (!strcmp(u->key, "building:square:east")) {
            seen |= 2;
            assert_int_equal(u->kind, ZN_ZONE_UNIT_BUILDING);
            assert_int_equal(u->check.outside_division, 1);
            assert_double_near(u->check.distance_m, 954.54, TOL_M);
            assert_string_equal(u->address, "east");
        } else if (!strcmp(u->key, "place:square:nopoint")) {
            seen |= 4;
            assert_int_equal(u->check.checked, 0);
        } else {
            assert_int_equal(u->check.outside_division, 0);
        }
    }
    assert_int_equal(seen, 7);
    zn_zone_units_check_fini(&r);
    zn_zone_units_check_fini(&r); /* idempotent */
    assert_null(r.units);

    /* the whole city: the unit of 310104 is listed but unchecked (no boundary in the fixture) */
    assert_int_equal(zn_zone_units_check(f->st, f->b, "310000", &r, &err), ZN_OK);
    assert_int_equal(r.n, 6);
    assert_int_equal(r.checked, 4);
    assert_int_equal(r.outside, 2);
    assert_string_equal(r.units[0].county_code, "310104000000"); /* by county code */
    zn_zone_units_check_fini(&r);
    assert_int_equal(zn_zone_units_check(f->st, f->b, NULL, &r, &err), ZN_OK);
    assert_int_equal(r.n, 6);
    zn_zone_units_check_fini(&r);
    assert_int_equal(zn_zone_units_check(f->st, f->b, "3301", &r, &err), ZN_OK);
    assert_int_equal(r.n, 0);
    zn_zone_units_check_fini(&r);
    assert_int_equal(zn_zone_units_check(f->st, f->b, "31x", &r, &err), ZN_EINVAL);
}

static void test_bounds_errors(void **state)
{
    fix *f = *state;
    zn_error err;
    zn_zone_bounds *b = NULL;
    assert_int_equal(zn_zone_bounds_new(f->ctx, (zn_crs)7, &b, &err), ZN_EINVAL);
    assert_null(b);
    assert_int_equal(zn_zone_bounds_new(f->ctx, ZN_CRS_WGS84, &b, &err), ZN_OK);
    assert_int_equal(zn_zone_bounds_load(b, "/nonexistent/zhinao-bounds", NULL, &err), ZN_EIO);
    zn_geom *g = NULL;
    assert_int_equal(zn_geom_from_geojson_str(f->ctx,
                                              "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}",
                                              &g, &err),
                     ZN_OK);
    assert_int_equal(zn_zone_bounds_add(b, "abc", g, &err), ZN_EINVAL); /* g freed */
    zn_zone_bounds_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_flags_and_distances),
        cmocka_unit_test(test_units_check),
        cmocka_unit_test(test_bounds_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
