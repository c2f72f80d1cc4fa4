/* place: joining case-residence lists to geocoded addresses and township codes. */
#include "zn_test.h"

#include <math.h>
#include <string.h>

#include "zhinao/geo.h"
#include "zhinao/hub.h"
#include "zhinao/place.h"

/* Three listed residences on two days: two addresses geocoded (one in each geocode layout), one not. */
static const char GEO_A[] =
    "district,address,complete_address,gcj02_lng,gcj02_lat,wgs84_lng,wgs84_lat,township\n"
    "浦东新区,张东路2281弄,上海市浦东新区张东路2281弄,121.63742,31.201487,121.6331938,31.20367194,张江镇\n";
static const char GEO_B[] =
    "district,address,complete_address,经纬度,street_level,,,\n"
    "浦东新区,白杨路360弄,上海市浦东新区白杨路360弄,\"121.555057,31.205717\",花木街道,,,\n";
static const char LISTS[] =
    "date,district,address\n"
    "20220318,浦东新区,张东路2281弄\n"
    "20220318,浦东新区,无此路1号\n"
    "20220319,浦东新区,白杨路360弄\n"
    "20220319,浦东新区,张东路2281弄\n";

static void load(zn_store *st, const zn_catalogue *cat, const char *feed, const char *name, const char *text)
{
    zn_error err;
    zn_ingest_summary sum;
    const char *path = zn_test_write_file(name, text, strlen(text));
    if (zn_hub_ingest(st, cat, feed, path, NULL, &sum, &err) != ZN_OK)
        fail_msg("ingest %s: %s", name, err.msg);
    assert_int_equal(sum.quarantined, 0);
}

static void test_link(void **state)
{
    (void)state;
    zn_ctx *ctx;
    zn_store *st;
    zn_catalogue *cat;
    zn_error err;
    zn_ctx_new(&ctx);
    zn_ctx_set_now(ctx, 1700000000);
    assert_int_equal(zn_store_open(ctx, ":memory:", &st, &err), ZN_OK);
    assert_int_equal(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), ZN_OK);

    /* nothing loaded yet: a clear error */
    assert_int_equal(zn_place_link_case_residence(st, 2021, "31", NULL, &err), ZN_ENOTFOUND);
    assert_non_null(strstr(err.msg, "case_residence_list"));

    /* the two divisions the fixture needs (real NBS 2021 codes) */
    assert_int_equal(zn_store_exec(st,
                                   "INSERT INTO division VALUES (2021,'310115000000',3,'浦东新区','310100000000');"
                                   "INSERT INTO division VALUES (2021,'310115125000',4,'张江镇','310115000000');"
                                   "INSERT INTO division VALUES (2021,'310115008000',4,'花木街道','310115000000');",
                                   &err),
                     ZN_OK);
    load(st, cat, "address_geocode", "geo_a.csv", GEO_A);
    load(st, cat, "address_geocode_amap", "geo_b.csv", GEO_B);
    load(st, cat, "case_residence_list", "lists.csv", LISTS);

    zn_place_link_summary s;
    assert_int_equal(zn_place_link_case_residence(st, 2021, "31", &s, &err), ZN_OK);
    assert_int_equal(s.places, 2);
    assert_int_equal(s.places_township, 2);
    assert_int_equal(s.rows, 4);
    assert_int_equal(s.rows_matched, 3);
    assert_int_equal(s.rows_unmatched, 1);
    assert_int_equal(s.addresses, 3);
    assert_int_equal(s.addresses_unmatched, 1);
    assert_int_equal(s.rows_county, 4); /* the unmatched row still gets its district's code */
    assert_int_equal(s.rows_township, 3);

    /* coordinates: GCJ-02 as published, WGS-84 from our conversion (within 3 m of upstream's) */
    zn_stmt *q;
    assert_int_equal(zn_stmt_prepare(st,
                                     "SELECT lon_gcj02, lat_gcj02, lon, lat, township_code, matched FROM case_residence"
                                     " WHERE address = ? ORDER BY date LIMIT 1",
                                     &q, &err),
                     ZN_OK);
    zn_stmt_bind_text(q, 1, "张东路2281弄");
    int row = 0;
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_int_equal(row, 1);
    double lon, lat;
    zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, 121.63742, 31.201487, &lon, &lat);
    assert_double_near(zn_stmt_column_double(q, 0), 121.63742, 1e-9);
    assert_double_near(zn_stmt_column_double(q, 2), lon, 1e-9);
    assert_double_near(zn_stmt_column_double(q, 3), lat, 1e-9);
    assert_true(zn_geo_distance_m(lon, lat, 121.6331938, 31.20367194) < 3.0);
    assert_string_equal(zn_stmt_column_text(q, 4), "310115125000");
    zn_stmt_reset(q);
    zn_stmt_bind_text(q, 1, "白杨路360弄");
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_double_near(zn_stmt_column_double(q, 0), 121.555057, 1e-9);
    assert_double_near(zn_stmt_column_double(q, 1), 31.205717, 1e-9);
    assert_string_equal(zn_stmt_column_text(q, 4), "310115008000");
    zn_stmt_reset(q);
    zn_stmt_bind_text(q, 1, "无此路1号");
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_true(zn_stmt_column_is_null(q, 2));
    assert_int_equal(zn_stmt_column_int64(q, 5), 0);
    zn_stmt_finalize(q);

    /* re-running gives the same tables */
    zn_place_link_summary again;
    assert_int_equal(zn_place_link_case_residence(st, 2021, "31", &again, &err), ZN_OK);
    assert_memory_equal(&s, &again, sizeof s);

    zn_catalogue_free(cat);
    zn_store_close(st);
    zn_ctx_free(ctx);
}

/* Case reports onto the mapped cases: the local day of the report (China time), the county and
 * township of the residence division, GCJ-02 from our conversion, unlocated reports kept with
 * matched = 0; a second call replaces its rows and leaves the listed residences alone. */
static void test_case_reports(void **state)
{
    (void)state;
    zn_ctx *ctx;
    zn_store *st;
    zn_catalogue *cat;
    zn_error err;
    zn_ctx_new(&ctx);
    zn_ctx_set_now(ctx, 1700000000);
    zn_ctx_set_tz_offset(ctx, 8 * 3600);
    assert_int_equal(zn_store_open(ctx, ":memory:", &st, &err), ZN_OK);
    assert_int_equal(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), ZN_OK);
    assert_int_equal(zn_place_add_case_reports(st, NULL, NULL, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_store_exec(st,
                                   "INSERT INTO division VALUES (2021,'330106000000',3,'西湖区','330100000000');"
                                   "INSERT INTO division VALUES (2023,'330106000000',3,'西湖区','330100000000');"
                                   "INSERT INTO division VALUES (2023,'330106004000',4,'北山街道','330106000000');"
                                   "INSERT INTO division VALUES (2023,'330106004053',5,'石灰桥社区','330106004000');",
                                   &err),
                     ZN_OK);
    load(st, cat, "address_geocode", "geo_a.csv", GEO_A);
    load(st, cat, "case_residence_list", "lists.csv", LISTS);
    assert_int_equal(zn_store_exec(st, "INSERT INTO division VALUES (2021,'310115000000',3,'浦东新区','310100000000');",
                                   &err),
                     ZN_OK);
    assert_int_equal(zn_place_link_case_residence(st, 2021, "31", NULL, &err), ZN_OK);
    /* 23:30 and 00:30 China time: two local days; the second has no coordinates */
    static const char REPORTS[] =
        "case_id,classification,diagnosis_time,report_time,residence_division,residence_address,lon,lat\n"
        "HZ-1,confirmed,2022-03-05 20:00,2022-03-05 23:30,330106004053,石灰桥社区1幢,120.1500,30.2700\n"
        "HZ-2,asymptomatic,2022-03-05 22:00,2022-03-06 00:30,330106004053,,,\n";
    load(st, cat, "case_report", "reports.csv", REPORTS);
    int64_t rows = 0, located = 0;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(zn_place_add_case_reports(st, &rows, &located, &err), ZN_OK);
        assert_int_equal(rows, 2);
        assert_int_equal(located, 1);
    }
    int64_t n = 0;
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM case_residence WHERE source = 'case_residence_list'",
                                          &n, &err),
                     ZN_OK);
    assert_int_equal(n, 4);
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM case_residence", &n, &err), ZN_OK);
    assert_int_equal(n, 6);
    zn_stmt *q;
    assert_int_equal(zn_stmt_prepare(st,
                                     "SELECT date, district, address, county_code, township, township_code, lon_gcj02,"
                                     " lat_gcj02, lon, lat, matched FROM case_residence WHERE source = 'case_report'"
                                     " ORDER BY date",
                                     &q, &err),
                     ZN_OK);
    int row = 0;
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_true(row);
    assert_string_equal(zn_stmt_column_text(q, 0), "2022-03-05");
    assert_string_equal(zn_stmt_column_text(q, 1), "西湖区");
    assert_string_equal(zn_stmt_column_text(q, 2), "石灰桥社区1幢");
    assert_string_equal(zn_stmt_column_text(q, 3), "330106000000");
    assert_string_equal(zn_stmt_column_text(q, 4), "北山街道");
    assert_string_equal(zn_stmt_column_text(q, 5), "330106004000");
    double glon, glat;
    zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, 120.15, 30.27, &glon, &glat);
    assert_double_near(zn_stmt_column_double(q, 6), glon, 1e-12);
    assert_double_near(zn_stmt_column_double(q, 7), glat, 1e-12);
    assert_true(fabs(glon - 120.15) > 1e-3); /* the shift is real (about 500 m here) */
    assert_double_near(zn_stmt_column_double(q, 8), 120.15, 1e-12);
    assert_int_equal(zn_stmt_column_int64(q, 10), 1);
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_true(row);
    assert_string_equal(zn_stmt_column_text(q, 0), "2022-03-06");
    assert_string_equal(zn_stmt_column_text(q, 2), "HZ-2"); /* no address: the case id */
    assert_true(zn_stmt_column_is_null(q, 6));
    assert_int_equal(zn_stmt_column_int64(q, 10), 0);
    zn_stmt_finalize(q);
    zn_catalogue_free(cat);
    zn_store_close(st);
    zn_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_link), cmocka_unit_test(test_case_reports)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
