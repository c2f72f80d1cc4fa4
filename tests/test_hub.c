/* Hub: the catalogue, value and row validation, ingest of good files, lineage, dedupe,
 * quarantine listing. The broken-file corpus is in test_hub_bad.c. */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_int.h"
#include "zhinao/hub.h"
#include "zhinao/store.h"
#include "zhinao/time.h"

/* 2022-05-01T00:00:00+08:00 */
#define NOW 1651334400

static zn_catalogue *load_shipped(void)
{
    zn_catalogue *cat = NULL;
    zn_error err;
    zn_status s = zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err);
    if (s != ZN_OK) {
        char buf[1024];
        fprintf(stderr, "%s\n", zn_error_format(&err, buf, sizeof buf));
    }
    assert_int_equal(s, ZN_OK);
    return cat;
}

static void test_catalogue_shipped(void **state)
{
    (void)state;
    zn_catalogue *cat = load_shipped();
    /* at least 14 categories from 7 units, plus the Shanghai feeds */
    assert_true(zn_catalogue_count(cat) >= 16);
    assert_int_equal(zn_catalogue_unit_count(cat), 7);
    static const char *const must[] = {
        "case_report", "nucleic_acid_test", "antigen_test", "vaccination", "fever_clinic_visit",
        "population_registry", "hotel_checkin", "telecom_grid_stay", "roaming_arrival", "venue_scan",
        "health_code_status", "passenger_manifest", "cold_chain_trace", "pharmacy_purchase",
        "community_grid", "case_residence_list", "address_geocode"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        assert_non_null(zn_catalogue_find(cat, must[i]));
    /* every feed with a division column has an index that starts with it (the server counts a
     * feed's rows in an area by that column); the population registry has one on mobile, the
     * case reports one on resident_id and one on mobile (a person's residence without a scan) */
    for (size_t i = 0; i < zn_catalogue_count(cat); i++) {
        const zn_feed *f = zn_catalogue_feed(cat, i);
        int dc = -1, found = 0;
        for (size_t k = 0; k < f->ncolumns && dc < 0; k++)
            if (f->columns[k].type == ZN_COL_DIVISION)
                dc = (int)k;
        for (size_t x = 0; x < f->nindexes; x++)
            found |= f->indexes[x].columns[0] == dc;
        if (dc >= 0 && !found)
            fprintf(stderr, "feed %s: no index on its division column\n", f->name);
        assert_true(dc < 0 || found);
    }
    const zn_feed *reg = zn_catalogue_find(cat, "population_registry");
    assert_int_equal(reg->nindexes, 2);
    assert_int_equal(reg->indexes[1].ncolumns, 1);
    assert_int_equal(reg->indexes[1].columns[0], zn_feed_column_index(reg, "mobile"));
    const zn_feed *rep = zn_catalogue_find(cat, "case_report");
    assert_int_equal(rep->nindexes, 3);
    assert_int_equal(rep->indexes[1].columns[0], zn_feed_column_index(rep, "resident_id"));
    assert_int_equal(rep->indexes[2].columns[0], zn_feed_column_index(rep, "mobile"));
    /* every unit supplies at least one feed */
    for (size_t u = 0; u < zn_catalogue_unit_count(cat); u++) {
        int n = 0;
        for (size_t i = 0; i < zn_catalogue_count(cat); i++)
            n += !strcmp(zn_catalogue_feed(cat, i)->source_unit, zn_catalogue_unit(cat, u)->id);
        assert_true(n >= 1);
    }
    assert_string_equal(zn_catalogue_find_unit(cat, "health_commission")->name_zh, "省卫生健康委员会");

    const zn_feed *f = zn_catalogue_find(cat, "case_residence_list");
    assert_string_equal(f->source_unit, "health_commission");
    assert_int_equal(f->ncolumns, 3);
    assert_int_equal(f->nkey, 3);
    assert_string_equal(f->columns[f->key[0]].name, "date");
    assert_string_equal(f->columns[f->key[2]].name, "address");
    assert_int_equal(f->columns[0].type, ZN_COL_DATE);

    f = zn_catalogue_find(cat, "telecom_grid_stay");
    assert_int_equal(f->nchecks, 1);
    assert_string_equal(f->columns[f->checks[0].left].name, "t_end");
    assert_string_equal(f->columns[f->checks[0].right].name, "t_start");
    assert_int_equal(f->checks[0].op, ZN_CHECK_GE);
    assert_int_equal(f->npoints, 1);

    f = zn_catalogue_find(cat, "venue_registry");
    assert_int_equal(f->crs, ZN_CRS_GCJ02);
    assert_int_equal(f->points[0].crs, ZN_CRS_GCJ02);
    zn__layout lay;
    assert_int_equal(zn__layout_init(&lay, f), ZN_OK);
    assert_string_equal(lay.names[lay.nslots - 2], "lon_orig");
    assert_string_equal(lay.names[lay.nslots - 1], "lat_orig");
    assert_int_equal(lay.nslots, f->ncolumns + 2);
    zn__layout_fini(&lay);

    f = zn_catalogue_find(cat, "address_geocode_amap");
    int loc = zn_feed_column_index(f, "location");
    assert_int_equal(f->columns[loc].type, ZN_COL_LONLAT);
    assert_string_equal(f->columns[loc].aliases[0], "经纬度");
    assert_int_equal(zn__layout_init(&lay, f), ZN_OK);
    assert_string_equal(lay.names[lay.col_slot[loc] + 1], "location_lon");
    assert_int_equal(lay.types[lay.col_slot[loc] + 2], ZN__SQL_REAL);
    zn__layout_fini(&lay);

    /* key columns are required even when the column does not say so */
    f = zn_catalogue_find(cat, "nucleic_acid_test");
    assert_true(f->columns[zn_feed_column_index(f, "sample_id")].required);
    assert_null(zn_catalogue_find(cat, "no_such_feed"));
    zn_catalogue_free(cat);
}

/* A catalogue with one mistake must be refused with words that name it. */
static void expect_bad_catalogue(const char *feeds, const char *field, const char *words)
{
    char json[4096];
    snprintf(json, sizeof json,
             "{\"source_units\": [{\"id\": \"u\", \"name_zh\": \"单位\"}], \"feeds\": [%s]}", feeds);
    zn_catalogue *cat = NULL;
    zn_error err;
    zn_status s = zn_catalogue_parse(json, strlen(json), "t.json", &cat, &err);
    assert_int_equal(s, ZN_EVALIDATE);
    assert_null(cat);
    assert_string_equal(err.file, "t.json");
    if (field)
        assert_string_equal(err.field, field);
    if (!strstr(err.msg, words))
        fprintf(stderr, "message: %s\n", err.msg);
    assert_non_null(strstr(err.msg, words));
}

static void test_catalogue_errors(void **state)
{
    (void)state;
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"columns\": [{\"name\": \"a\", \"type\": \"txet\"}]}",
                         "f.a", "unknown type 'txet'");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"nobody\", \"columns\": [{\"name\": \"a\", \"type\": \"text\"}]}",
                         "f", "unknown source_unit 'nobody'");
    expect_bad_catalogue("{\"name\": \"Bad-Name\", \"source_unit\": \"u\", \"columns\": []}", "Bad-Name", "snake_case");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"key\": [\"b\"], \"columns\": [{\"name\": \"a\", \"type\": \"text\"}]}",
                         "f", "key column 'b'");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"columns\": [{\"name\": \"a\", \"type\": \"enum\"}]}",
                         "f.a", "needs 'values'");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"columns\": [{\"name\": \"a\", \"type\": \"text\", \"requird\": true}]}",
                         "f.a", "unknown key 'requird'");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"checks\": [\"b >= a\"], \"columns\": "
                         "[{\"name\": \"a\", \"type\": \"time\"}, {\"name\": \"b\", \"type\": \"text\"}]}",
                         "f", "must both be time");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"columns\": [{\"name\": \"x\", \"type\": \"lon\"}]}",
                         "f", "1 lon and 0 lat");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"columns\": [{\"name\": \"p\", \"type\": \"lonlat\"}, "
                         "{\"name\": \"p_lon\", \"type\": \"real\"}]}",
                         "f", "'p_lon' would appear twice");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"indexes\": [[\"b\"]], \"columns\": "
                         "[{\"name\": \"a\", \"type\": \"text\"}]}",
                         "f", "index column 'b' is not a column");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"indexes\": [[\"a\"], [\"a\"]], \"columns\": "
                         "[{\"name\": \"a\", \"type\": \"text\"}]}",
                         "f", "index 2 repeats index 1");
    expect_bad_catalogue("{\"name\": \"f\", \"source_unit\": \"u\", \"indexes\": [[]], \"columns\": "
                         "[{\"name\": \"a\", \"type\": \"text\"}]}",
                         "f", "index 1 must be a non-empty array");
    /* not JSON: the line is reported */
    zn_catalogue *cat = NULL;
    zn_error err;
    assert_int_equal(zn_catalogue_parse("{\n\"feeds\": [,]}", 15, "t.json", &cat, &err), ZN_EPARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(zn_catalogue_load("/nonexistent/catalogue.json", &cat, &err), ZN_EIO);
}

static void vctx_init(zn__vctx *vc)
{
    memset(vc, 0, sizeof *vc);
    vc->tz_offset = 28800;
    vc->now = NOW;
    vc->tolerance = 600;
    vc->today_days = zn_time_local_day(NOW, 28800);
}

/* Validate `text` as a column of `type`; returns the reason and leaves the value in *v. */
static zn__reason val(zn__vctx *vc, zn_col_type type, const char *text, zn__value *v)
{
    zn_feed_column c;
    memset(&c, 0, sizeof c);
    c.name = "x";
    c.type = type;
    c.not_future = 1;
    char msg[256];
    return zn__validate_value(vc, &c, text, v, msg, sizeof msg);
}

static void test_values(void **state)
{
    (void)state;
    zn__vctx vc;
    vctx_init(&vc);
    zn__value v[3];
    /* int / real */
    assert_int_equal(val(&vc, ZN_COL_INT, "-42", v), ZN__R_OK);
    assert_int_equal(v->kind, ZN__V_INT);
    assert_int_equal(v->i, -42);
    assert_int_equal(val(&vc, ZN_COL_INT, "4.0", v), ZN__R_bad_int);
    assert_int_equal(val(&vc, ZN_COL_INT, "99999999999999999999", v), ZN__R_bad_int);
    assert_int_equal(val(&vc, ZN_COL_REAL, "36.5", v), ZN__R_OK);
    assert_double_near(v->d, 36.5, 0);
    assert_int_equal(val(&vc, ZN_COL_REAL, "1e3", v), ZN__R_OK);
    assert_double_near(v->d, 1000, 0);
    assert_int_equal(val(&vc, ZN_COL_REAL, "nan", v), ZN__R_bad_real);
    assert_int_equal(val(&vc, ZN_COL_REAL, "1e999", v), ZN__R_bad_real);
    assert_int_equal(val(&vc, ZN_COL_REAL, "0x10", v), ZN__R_bad_real);
    assert_int_equal(val(&vc, ZN_COL_REAL, "12,5", v), ZN__R_bad_real);
    /* empty optional is NULL */
    assert_int_equal(val(&vc, ZN_COL_INT, "", v), ZN__R_OK);
    assert_int_equal(v->kind, ZN__V_NULL);
    assert_int_equal(val(&vc, ZN_COL_INT, NULL, v), ZN__R_OK);

    /* dates: several spellings, one normal form */
    assert_int_equal(val(&vc, ZN_COL_DATE, "20220318", v), ZN__R_OK);
    assert_string_equal(v->s, "2022-03-18");
    assert_int_equal(val(&vc, ZN_COL_DATE, "2022/3/8", v), ZN__R_OK);
    assert_string_equal(v->s, "2022-03-08");
    assert_int_equal(val(&vc, ZN_COL_DATE, "2022-03-18 00:00:00", v), ZN__R_OK);
    assert_int_equal(val(&vc, ZN_COL_DATE, "2022-02-29", v), ZN__R_bad_date);
    assert_int_equal(val(&vc, ZN_COL_DATE, "2020-02-29", v), ZN__R_OK);
    assert_int_equal(val(&vc, ZN_COL_DATE, "2022-3-18", v), ZN__R_OK);
    assert_int_equal(val(&vc, ZN_COL_DATE, "2022-03/18", v), ZN__R_bad_date);
    assert_int_equal(val(&vc, ZN_COL_DATE, "2022-03-18 08:00", v), ZN__R_bad_date);
    assert_int_equal(val(&vc, ZN_COL_DATE, "2022-05-01", v), ZN__R_OK);     /* today */
    assert_int_equal(val(&vc, ZN_COL_DATE, "2022-05-02", v), ZN__R_future_time);

    /* times: stored as UTC seconds, local +08:00 without zone */
    assert_int_equal(val(&vc, ZN_COL_TIME, "2022-04-30 08:00", v), ZN__R_OK);
    assert_int_equal(v->i, NOW - 16 * 3600);
    assert_int_equal(val(&vc, ZN_COL_TIME, "2022-04-30T00:00:00Z", v), ZN__R_OK);
    assert_int_equal(v->i, NOW - 16 * 3600);
    assert_int_equal(val(&vc, ZN_COL_TIME, "2022-04-31 08:00", v), ZN__R_bad_time);
    assert_int_equal(val(&vc, ZN_COL_TIME, "yesterday", v), ZN__R_bad_time);
    assert_int_equal(val(&vc, ZN_COL_TIME, "2022-05-01 00:09", v), ZN__R_OK);  /* within tolerance */
    assert_int_equal(val(&vc, ZN_COL_TIME, "2022-05-01 00:11", v), ZN__R_future_time);

    /* resident ID numbers: each kind of mistake has its own code */
    assert_int_equal(val(&vc, ZN_COL_RESIDENT_ID, "33010619900101123x", v), ZN__R_OK);
    assert_string_equal(v->s, "33010619900101123X");
    assert_int_equal(val(&vc, ZN_COL_RESIDENT_ID, "330106199001011234", v), ZN__R_bad_check_digit);
    assert_int_equal(val(&vc, ZN_COL_RESIDENT_ID, "330102199002301233", v), ZN__R_bad_birth_date);
    assert_int_equal(val(&vc, ZN_COL_RESIDENT_ID, "990101199001011230", v), ZN__R_unknown_region);
    assert_int_equal(val(&vc, ZN_COL_RESIDENT_ID, "310101203001011233", v), ZN__R_bad_birth_date); /* 2030 */
    assert_int_equal(val(&vc, ZN_COL_RESIDENT_ID, "33010619900101", v), ZN__R_bad_resident_id);
    assert_int_equal(val(&vc, ZN_COL_RESIDENT_ID, "33010619900101123Y", v), ZN__R_bad_resident_id);
    /* a 15-digit number is upgraded: 330106 900101 123 -> 33010619900101123X */
    assert_int_equal(val(&vc, ZN_COL_RESIDENT_ID, "330106900101123", v), ZN__R_OK);
    assert_string_equal(v->s, "33010619900101123X");

    /* mobiles */
    assert_int_equal(val(&vc, ZN_COL_MOBILE, "+86 138-1234-5678", v), ZN__R_OK);
    assert_string_equal(v->s, "13812345678");
    assert_int_equal(val(&vc, ZN_COL_MOBILE, "12812345678", v), ZN__R_bad_mobile);
    assert_int_equal(val(&vc, ZN_COL_MOBILE, "1381234567", v), ZN__R_bad_mobile);

    /* division codes: normalised to 12 digits; checked only when a table is given */
    assert_int_equal(val(&vc, ZN_COL_DIVISION, "330106", v), ZN__R_OK);
    assert_string_equal(v->s, "330106000000");
    assert_int_equal(vc.unchecked, 1);
    assert_int_equal(val(&vc, ZN_COL_DIVISION, "33010", v), ZN__R_bad_division_code);
    uint64_t divs[] = {310101002000ULL, 330106000000ULL, 330106001001ULL};
    vc.divs = divs;
    vc.ndivs = 3;
    assert_int_equal(val(&vc, ZN_COL_DIVISION, "330106001001", v), ZN__R_OK);
    assert_int_equal(val(&vc, ZN_COL_DIVISION, "310101002", v), ZN__R_OK);
    assert_string_equal(v->s, "310101002000");
    assert_int_equal(val(&vc, ZN_COL_DIVISION, "330199", v), ZN__R_unknown_division);
    assert_int_equal(vc.unchecked, 1);

    /* lonlat */
    assert_int_equal(val(&vc, ZN_COL_LONLAT, "121.555057, 31.205717", v), ZN__R_OK);
    assert_double_near(v[1].d, 121.555057, 1e-12);
    assert_double_near(v[2].d, 31.205717, 1e-12);
    assert_int_equal(val(&vc, ZN_COL_LONLAT, "121.555057", v), ZN__R_bad_lonlat);

    /* enum, max_length, bounds, required */
    zn_feed_column c;
    memset(&c, 0, sizeof c);
    c.name = "district";
    c.type = ZN_COL_ENUM;
    const char *const vals[] = {"浦东新区", "黄浦区"};
    c.values = vals;
    c.nvalues = 2;
    c.max_length = 4;
    char msg[256];
    assert_int_equal(zn__validate_value(&vc, &c, "黄浦区", v, msg, sizeof msg), ZN__R_OK);
    assert_int_equal(zn__validate_value(&vc, &c, "黄埔区", v, msg, sizeof msg), ZN__R_bad_enum);
    assert_int_equal(zn__validate_value(&vc, &c, "浦东新区新区", v, msg, sizeof msg), ZN__R_too_long);
    c.required = 1;
    assert_int_equal(zn__validate_value(&vc, &c, "", v, msg, sizeof msg), ZN__R_missing_field);
    assert_non_null(strstr(msg, "district"));
    memset(&c, 0, sizeof c);
    c.name = "age";
    c.type = ZN_COL_INT;
    c.has_min = c.has_max = 1;
    c.min = 0;
    c.max = 130;
    assert_int_equal(zn__validate_value(&vc, &c, "130", v, msg, sizeof msg), ZN__R_OK);
    assert_int_equal(zn__validate_value(&vc, &c, "131", v, msg, sizeof msg), ZN__R_out_of_range);
}

static void test_rows(void **state)
{
    (void)state;
    static const char json[] =
        "{\"source_units\": [{\"id\": \"u\"}], \"feeds\": [{\"name\": \"stay\", \"source_unit\": \"u\", \"crs\": \"gcj02\","
        " \"checks\": [\"t_end >= t_start\"], \"columns\": ["
        " {\"name\": \"t_start\", \"type\": \"time\"}, {\"name\": \"t_end\", \"type\": \"time\"},"
        " {\"name\": \"lon\", \"type\": \"lon\"}, {\"name\": \"lat\", \"type\": \"lat\"}]}]}";
    zn_catalogue *cat;
    zn_error err;
    assert_int_equal(zn_catalogue_parse(json, strlen(json), "t", &cat, &err), ZN_OK);
    const zn_feed *f = zn_catalogue_feed(cat, 0);
    zn__layout lay;
    assert_int_equal(zn__layout_init(&lay, f), ZN_OK);
    assert_int_equal(lay.nslots, 6);
    zn__vctx vc;
    vctx_init(&vc);
    zn__value vals[6];
    zn__problem pb;

    /* GCJ-02 -> WGS-84, the original kept: the Tiananmen example (GCJ-02 116.403963, 39.915119
     * is WGS-84 about 116.397720, 39.913718: the shift is ~ -0.0062 deg lon, -0.0014 deg lat) */
    const char *row[] = {"2022-04-01 08:00", "2022-04-01 09:00", "116.403963", "39.915119"};
    assert_int_equal(zn__validate_row(&vc, f, &lay, row, vals, &pb), ZN__R_OK);
    assert_double_near(vals[4].d, 116.403963, 1e-12);
    assert_double_near(vals[5].d, 39.915119, 1e-12);
    assert_double_near(vals[2].d, 116.3977, 2e-4);
    assert_double_near(vals[3].d, 39.9137, 2e-4);
    /* round trip through the forward formula gives the original back */
    double gx, gy;
    zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, vals[2].d, vals[3].d, &gx, &gy);
    assert_double_near(gx, 116.403963, 1e-8);
    assert_double_near(gy, 39.915119, 1e-8);

    const char *swapped[] = {"2022-04-01 08:00", "2022-04-01 09:00", "39.915119", "116.403963"};
    assert_int_equal(zn__validate_row(&vc, f, &lay, swapped, vals, &pb), ZN__R_swapped_lat_lon);
    assert_int_equal(pb.column, 2);
    const char *paris[] = {"2022-04-01 08:00", "2022-04-01 09:00", "2.35", "48.85"};
    assert_int_equal(zn__validate_row(&vc, f, &lay, paris, vals, &pb), ZN__R_outside_china);
    const char *half[] = {"2022-04-01 08:00", "2022-04-01 09:00", "116.4", NULL};
    assert_int_equal(zn__validate_row(&vc, f, &lay, half, vals, &pb), ZN__R_bad_lonlat);
    const char *backwards[] = {"2022-04-01 09:00", "2022-04-01 08:59", NULL, NULL};
    assert_int_equal(zn__validate_row(&vc, f, &lay, backwards, vals, &pb), ZN__R_end_before_start);
    assert_int_equal(pb.column, 1);
    assert_non_null(strstr(pb.msg, "t_end >= t_start"));
    /* equal is fine; an empty end skips the check */
    const char *same[] = {"2022-04-01 09:00", "2022-04-01T01:00:00Z", NULL, NULL};
    assert_int_equal(zn__validate_row(&vc, f, &lay, same, vals, &pb), ZN__R_OK);
    const char *open_end[] = {"2022-04-01 09:00", NULL, NULL, NULL};
    assert_int_equal(zn__validate_row(&vc, f, &lay, open_end, vals, &pb), ZN__R_OK);
    /* the first problem in column order wins */
    const char *two[] = {"later", "2022-06-01 00:00", NULL, NULL};
    assert_int_equal(zn__validate_row(&vc, f, &lay, two, vals, &pb), ZN__R_bad_time);
    assert_int_equal(pb.column, 0);
    assert_int_equal(pb.nmore, 1); /* t_end is after NOW */
    assert_string_equal(pb.more, "t_end (future_time)");
    /* and every other failing field is listed with it, so the whole row can be fixed at once */
    const char *three[] = {"later", "soon", "east", "39.9"};
    assert_int_equal(zn__validate_row(&vc, f, &lay, three, vals, &pb), ZN__R_bad_time);
    assert_int_equal(pb.column, 0);
    assert_int_equal(pb.nmore, 2);
    assert_string_equal(pb.more, "t_end (bad_time); lon (bad_real)");
    zn__layout_fini(&lay);
    zn_catalogue_free(cat);
}

static void test_reasons_and_mask(void **state)
{
    (void)state;
    assert_string_equal(zn__reason_code(ZN__R_bad_check_digit), "bad_check_digit");
    assert_int_equal(zn__reason_from_code("swapped_lat_lon"), ZN__R_swapped_lat_lon);
    assert_int_equal(zn__reason_from_code("nope"), ZN__R_OK);
    /* codes are unique */
    for (int a = 1; a < ZN__R_COUNT; a++)
        for (int b = a + 1; b < ZN__R_COUNT; b++)
            assert_string_not_equal(zn__reason_code((zn__reason)a), zn__reason_code((zn__reason)b));

    zn_buf b = {0};
    assert_int_equal(zn_hub_mask_text("C001,33010619900101123X,13812345678,2022,8613912345678,12345678901", &b), ZN_OK);
    assert_string_equal(b.data, "C001,330106********123X,138****5678,2022,86139****5678,12345678901");
    zn_buf_reset(&b);
    zn_hub_mask_text("id 330106900101123 end", &b);
    assert_null(strstr(b.data, "900101"));
    zn_buf_fini(&b);
}

static void test_markdown_matches_docs(void **state)
{
    (void)state;
    zn_catalogue *cat = load_shipped();
    zn_buf md = {0};
    assert_int_equal(zn_catalogue_markdown(cat, &md), ZN_OK);
    assert_non_null(strstr(md.data, "### case_report — 病例报告"));
    assert_non_null(strstr(md.data, "| `bad_check_digit` |"));
    FILE *f = fopen(zn_test_src("docs/feeds.md"), "rb");
    assert_non_null(f);
    zn_buf doc = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        zn_buf_append(&doc, chunk, n);
    fclose(f);
    if (doc.len != md.len || memcmp(doc.data, md.data, md.len))
        fprintf(stderr, "docs/feeds.md is stale: run `build/zhinao feeds --markdown > docs/feeds.md`\n");
    assert_int_equal(doc.len, md.len);
    assert_memory_equal(doc.data, md.data, md.len);
    zn_buf_fini(&doc);
    zn_buf_fini(&md);
    zn_catalogue_free(cat);
}


/* ---- ingest ---- */

typedef struct env {
    zn_ctx *ctx;
    zn_store *st;
    zn_catalogue *cat;
} env;

static void env_open(env *e, int64_t now)
{
    zn_error err;
    assert_int_equal(zn_ctx_new(&e->ctx), ZN_OK);
    zn_ctx_set_now(e->ctx, now);
    zn_ctx_set_log_level(e->ctx, ZN_LOG_ERROR);
    assert_int_equal(zn_store_open(e->ctx, ":memory:", &e->st, &err), ZN_OK);
    e->cat = load_shipped();
}

static void env_close(env *e)
{
    zn_catalogue_free(e->cat);
    zn_store_close(e->st);
    zn_ctx_free(e->ctx);
}

static int64_t q64(zn_store *st, const char *sql)
{
    int64_t v = -1;
    zn_error err;
    zn_status s = zn_store_query_int64(st, sql, &v, &err);
    if (s != ZN_OK)
        fprintf(stderr, "%s: %s\n", sql, err.msg);
    assert_int_equal(s, ZN_OK);
    return v;
}

/* First column of the first row as text (static buffer). */
static const char *qtext(zn_store *st, const char *sql)
{
    static char buf[512];
    zn_stmt *q;
    zn_error err;
    assert_int_equal(zn_stmt_prepare(st, sql, &q, &err), ZN_OK);
    int row = 0;
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_int_equal(row, 1);
    snprintf(buf, sizeof buf, "%s", zn_stmt_column_text(q, 0));
    zn_stmt_finalize(q);
    return buf;
}

static int progress_calls;
static int64_t progress_rows;
static void on_progress(void *user, const zn_hub_progress *p)
{
    (void)user;
    progress_calls++;
    progress_rows = p->rows;
    assert_string_equal(p->feed, "telecom_grid_stay");
}

static void test_ingest_good(void **state)
{
    (void)state;
    env e;
    env_open(&e, NOW);
    zn_error err;
    zn_ingest_summary sum;
    /* columns in another order, a header in upper case, a column the catalogue does not know */
    static const char csv1[] =
        "CELL_ID,mobile,t_start,t_end,lon,lat,remark\n"
        "G001,13812345678,2022-04-01 08:00,2022-04-01 09:30,121.47,31.23,x\n"
        "G002,+86 139 1234 5678,2022-04-01T00:00:00Z,2022-04-01T01:00:00Z,121.50,31.20,\n"
        "G001,13812345678,2022-04-02 08:00,2022-04-02 08:45,,,\n";
    const char *p1 = zn_test_write_file("stay1.csv", csv1, sizeof csv1 - 1);
    char path1[512];
    snprintf(path1, sizeof path1, "%s", p1);
    zn_ingest_options opt = {.progress = on_progress};
    assert_int_equal(zn_hub_ingest(e.st, e.cat, "telecom_grid_stay", path1, &opt, &sum, &err), ZN_OK);
    assert_string_equal(sum.feed, "telecom_grid_stay");
    assert_string_equal(sum.file, path1);
    assert_int_equal(sum.rows, 3);
    assert_int_equal(sum.accepted, 3);
    assert_int_equal(sum.quarantined, 0);
    assert_int_equal(sum.duplicates, 0);
    assert_int_equal(sum.ignored_columns, 1);
    assert_int_equal(sum.bytes, sizeof csv1 - 1);
    assert_string_equal(sum.status, "loaded");
    assert_string_equal(sum.encoding, "utf-8");
    assert_int_equal(strlen(sum.sha256), 64);
    assert_true(progress_calls >= 1);
    assert_int_equal(progress_rows, 3);
    /* stored typed and normalised */
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM feed_telecom_grid_stay"), 3);
    /* 2022-04-01 08:00 +08:00 = 2022-04-01T00:00:00Z = 1648771200 */
    assert_int_equal(q64(e.st, "SELECT t_start FROM feed_telecom_grid_stay WHERE _line = 2"), 1648771200);
    assert_int_equal(q64(e.st, "SELECT t_end - t_start FROM feed_telecom_grid_stay WHERE _line = 2"), 5400);
    assert_string_equal(qtext(e.st, "SELECT mobile FROM feed_telecom_grid_stay WHERE _line = 3"), "13912345678");
    assert_int_equal(q64(e.st, "SELECT t_start FROM feed_telecom_grid_stay WHERE _line = 3"), 1648771200);
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM feed_telecom_grid_stay WHERE lon IS NULL"), 1);
    assert_int_equal(q64(e.st, "SELECT COUNT(DISTINCT _row_hash) FROM feed_telecom_grid_stay"), 3);
    /* lineage */
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT sha256 FROM lineage WHERE id = %lld", (long long)sum.lineage_id);
    assert_string_equal(qtext(e.st, sql), sum.sha256);
    snprintf(sql, sizeof sql,
             "SELECT rows_read * 1000 + accepted * 100 + quarantined * 10 + duplicates FROM lineage "
             "WHERE id = %lld AND status = 'loaded' AND source_unit = 'communications_administration' "
             "AND bytes = %zu AND started_at = %d AND finished_at = %d",
             (long long)sum.lineage_id, sizeof csv1 - 1, NOW, NOW);
    assert_int_equal(q64(e.st, sql), 3300);
    snprintf(sql, sizeof sql, "SELECT message FROM lineage WHERE id = %lld", (long long)sum.lineage_id);
    assert_string_equal(qtext(e.st, sql), "ignored header columns: \"remark\"");
    int64_t first = sum.lineage_id;
    char sha1[65];
    strcpy(sha1, sum.sha256);

    /* the same file again: nothing added, all duplicates, pointed at the first load */
    assert_int_equal(zn_hub_ingest(e.st, e.cat, "telecom_grid_stay", path1, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.rows, 3);
    assert_int_equal(sum.accepted, 0);
    assert_int_equal(sum.duplicates, 3);
    assert_int_equal(sum.same_as_lineage, first);
    assert_string_equal(sum.sha256, sha1);
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM feed_telecom_grid_stay"), 3);

    /* an overlapping file (NDJSON this time): only the new row is added; a row repeated inside
     * the file is a duplicate too */
    static const char nd[] =
        "{\"mobile\": \"13812345678\", \"cell_id\": \"G001\", \"t_start\": \"2022-04-01 08:00\", \"t_end\": \"2022-04-01 09:30\"}\n"
        "{\"mobile\": \"13700000000\", \"cell_id\": \"G003\", \"t_start\": 1648800000, \"t_end\": 1648803600, \"lon\": 120.1, \"lat\": 30.2}\n"
        "{\"mobile\": \"13700000000\", \"cell_id\": \"G003\", \"t_start\": 1648800000, \"t_end\": 1648803600, \"lon\": 120.1, \"lat\": 30.2}\n";
    const char *p2 = zn_test_write_file("stay2.ndjson", nd, sizeof nd - 1);
    assert_int_equal(zn_hub_ingest(e.st, e.cat, "telecom_grid_stay", p2, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.rows, 3);
    assert_int_equal(sum.accepted, 1);
    assert_int_equal(sum.duplicates, 2);
    assert_int_equal(sum.same_as_lineage, 0);
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM feed_telecom_grid_stay"), 4);
    assert_double_near(q64(e.st, "SELECT CAST(lat * 1000 AS INTEGER) FROM feed_telecom_grid_stay WHERE cell_id = 'G003'"), 30200, 0);
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM lineage WHERE feed = 'telecom_grid_stay' AND status = 'loaded'"), 3);

    /* unknown feed: nothing recorded */
    assert_int_equal(zn_hub_ingest(e.st, e.cat, "nope", path1, NULL, &sum, &err), ZN_ENOTFOUND);
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM lineage"), 3);
    env_close(&e);
}

/* A table made by an older catalogue gains the new columns. */
static void test_prepare_feed_adds_columns(void **state)
{
    (void)state;
    env e;
    env_open(&e, NOW);
    zn_error err;
    assert_int_equal(zn_store_exec(e.st, "CREATE TABLE feed_antigen_test (_id INTEGER PRIMARY KEY, resident_id TEXT, "
                                         "_lineage_id INTEGER NOT NULL, _line INTEGER NOT NULL, _row_hash TEXT NOT NULL)", &err),
                     ZN_OK);
    const zn_feed *f = zn_catalogue_find(e.cat, "antigen_test");
    assert_int_equal(zn_hub_prepare_feed(e.st, f, &err), ZN_OK);
    assert_int_equal(zn_hub_prepare_feed(e.st, f, &err), ZN_OK);
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM feed_antigen_test WHERE result IS NULL AND division IS NULL"), 0);
    env_close(&e);
}

static int collect(void *user, const zn_quarantine_row *r)
{
    zn_buf *b = user;
    zn_buf_printf(b, "%lld|%s|%s|%s\n", (long long)r->line, r->field, r->reason_code, r->raw);
    return 0;
}

static void count_reason(void *user, const char *feed, const char *reason, int64_t n)
{
    zn_buf_printf(user, "%s %s %lld\n", feed, reason, (long long)n);
}

static void test_quarantine_listing(void **state)
{
    (void)state;
    env e;
    env_open(&e, NOW);
    zn_error err;
    zn_ingest_summary sum;
    static const char csv[] =
        "resident_id,mobile,test_time,result\n"
        "33010619900101123X,13812345678,2022-04-01 10:00,negative\n"
        "330106199001011234,13812345678,2022-04-01 10:00,negative\n"
        "310115198512310029,1381234567,2022-04-01 10:00,positive\n"
        "310115198512310029,13812345678,2022-04-01 10:00,maybe\n";
    const char *p = zn_test_write_file("antigen.csv", csv, sizeof csv - 1);
    assert_int_equal(zn_hub_ingest(e.st, e.cat, "antigen_test", p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.accepted, 1);
    assert_int_equal(sum.quarantined, 3);
    zn_buf b = {0};
    assert_int_equal(zn_quarantine_list(e.st, NULL, collect, &b, &err), ZN_OK);
    assert_string_equal(b.data,
                        "3|resident_id|bad_check_digit|330106********1234,138****5678,2022-04-01 10:00,negative\n"
                        "4|mobile|bad_mobile|310115********0029,1381234567,2022-04-01 10:00,positive\n"
                        "5|result|bad_enum|310115********0029,138****5678,2022-04-01 10:00,maybe\n");
    zn_buf_reset(&b);
    zn_quarantine_filter f = {.reason = "bad_enum", .unmasked = 1};
    assert_int_equal(zn_quarantine_list(e.st, &f, collect, &b, &err), ZN_OK);
    assert_string_equal(b.data, "5|result|bad_enum|310115198512310029,13812345678,2022-04-01 10:00,maybe\n");
    zn_buf_reset(&b);
    zn_quarantine_filter lim = {.feed = "antigen_test", .limit = 1};
    assert_int_equal(zn_quarantine_list(e.st, &lim, collect, &b, &err), ZN_OK);
    assert_non_null(strstr(b.data, "bad_check_digit"));
    assert_null(strstr(b.data, "bad_mobile"));
    zn_buf_reset(&b);
    assert_int_equal(zn_quarantine_summary(e.st, count_reason, &b, &err), ZN_OK);
    assert_string_equal(b.data, "antigen_test bad_check_digit 1\nantigen_test bad_enum 1\nantigen_test bad_mobile 1\n");
    zn_buf_fini(&b);
    env_close(&e);
}


/* A feed without a natural key dedupes on the hash of its normalised values. */
static void test_ingest_keyless(void **state)
{
    (void)state;
    static const char json[] =
        "{\"source_units\": [{\"id\": \"u\", \"name_zh\": \"单位\"}], \"feeds\": [{\"name\": \"sighting\", \"source_unit\": \"u\","
        " \"columns\": [{\"name\": \"day\", \"type\": \"date\", \"required\": true}, {\"name\": \"n\", \"type\": \"int\"},"
        " {\"name\": \"note\", \"type\": \"text\"}]}]}";
    zn_ctx *ctx;
    zn_store *st;
    zn_catalogue *cat;
    zn_error err;
    zn_ctx_new(&ctx);
    zn_ctx_set_now(ctx, NOW);
    assert_int_equal(zn_store_open(ctx, ":memory:", &st, &err), ZN_OK);
    assert_int_equal(zn_catalogue_parse(json, strlen(json), "t", &cat, &err), ZN_OK);
    /* line 3 equals line 2 once normalised (date form, blanks); line 4 differs in n; line 6
     * repeats line 5 (both optional values empty) */
    static const char csv[] = "day,n,note\n2022-04-01,3,a\n20220401, 3 ,a\n2022-04-01,4,a\n2022-04-02,,\n2022-04-02,,\n";
    const char *p = zn_test_write_file("sighting.csv", csv, sizeof csv - 1);
    zn_ingest_summary sum;
    assert_int_equal(zn_hub_ingest(st, cat, "sighting", p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.rows, 5);
    assert_int_equal(sum.accepted, 3);
    assert_int_equal(sum.duplicates, 2);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM feed_sighting WHERE note IS NULL AND n IS NULL"), 1);
    /* the hash distinguishes an empty value from the text "" and from 0 */
    static const char csv2[] = "day,n,note\n2022-04-02,0,\n";
    p = zn_test_write_file("sighting2.csv", csv2, sizeof csv2 - 1);
    assert_int_equal(zn_hub_ingest(st, cat, "sighting", p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.accepted, 1);
    zn_catalogue_free(cat);
    zn_store_close(st);
    zn_ctx_free(ctx);
}

/* Index names of table t, "name,name,..." in name order (static buffer). */
static const char *index_names(zn_store *st, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COALESCE(group_concat(name, ','), '') FROM (SELECT name FROM sqlite_master WHERE type = 'index' "
             "AND tbl_name = '%s' ORDER BY name)", table);
    return qtext(st, sql);
}

/* Catalogue "indexes": made by the ingest (built after the rows when the table was empty, kept
 * up to date row by row otherwise), kept when a load into an empty table aborts, used by a count
 * of rows in a division range. The connection's page cache setting is restored after a load. */
static void test_ingest_indexes(void **state)
{
    (void)state;
    static const char json[] =
        "{\"source_units\": [{\"id\": \"u\", \"name_zh\": \"单位\"}], \"feeds\": [{\"name\": \"visit\", \"source_unit\": \"u\","
        " \"key\": [\"who\", \"day\"], \"indexes\": [[\"div\", \"day\"], [\"who\"]],"
        " \"columns\": [{\"name\": \"day\", \"type\": \"date\", \"required\": true}, {\"name\": \"div\", \"type\": \"division_code\"},"
        " {\"name\": \"who\", \"type\": \"text\"}]}]}";
    zn_ctx *ctx;
    zn_store *st;
    zn_catalogue *cat;
    zn_error err;
    zn_ctx_new(&ctx);
    zn_ctx_set_now(ctx, NOW);
    zn_ctx_set_log_level(ctx, ZN_LOG_ERROR);
    assert_int_equal(zn_store_open(ctx, ":memory:", &st, &err), ZN_OK);
    assert_int_equal(zn_catalogue_parse(json, strlen(json), "t", &cat, &err), ZN_OK);
    const zn_feed *f = zn_catalogue_find(cat, "visit");
    assert_int_equal(f->nindexes, 2);
    assert_int_equal(f->indexes[0].ncolumns, 2);
    assert_int_equal(f->indexes[0].columns[0], 1);
    assert_int_equal(f->indexes[0].columns[1], 0);
    assert_int_equal(f->indexes[1].ncolumns, 1);
    assert_int_equal(f->indexes[1].columns[0], 2);
    assert_int_equal(zn_store_exec(st, "PRAGMA cache_size = -3000", &err), ZN_OK);

    /* an aborted load into the empty table (no 'day' column) rolls its index drop back */
    static const char bad[] = "div,who\n330102,a\n";
    const char *p = zn_test_write_file("visit0.csv", bad, sizeof bad - 1);
    zn_ingest_summary sum;
    assert_int_equal(zn_hub_ingest(st, cat, "visit", p, NULL, &sum, &err), ZN_EVALIDATE);
    assert_string_equal(index_names(st, "feed_visit"),
                        "feed_visit_by_div_day,feed_visit_by_who,feed_visit_key,feed_visit_lineage");

    /* first load into the empty table: 3 rows in 330102 (one repeated), 1 in 330106, 1 without */
    static const char csv1[] = "day,div,who\n2022-03-01,330102,a\n2022-03-02,330102,b\n2022-03-01,330102,a\n"
                               "2022-03-05,330102001,c\n2022-03-01,330106,d\n2022-03-03,,e\n";
    p = zn_test_write_file("visit1.csv", csv1, sizeof csv1 - 1);
    assert_int_equal(zn_hub_ingest(st, cat, "visit", p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.accepted, 5);
    assert_int_equal(sum.duplicates, 1);
    assert_string_equal(index_names(st, "feed_visit"),
                        "feed_visit_by_div_day,feed_visit_by_who,feed_visit_key,feed_visit_lineage");
    /* second load into the filled table: the indexes are kept up to date row by row */
    static const char csv2[] = "day,div,who\n2022-03-04,330102,f\n2022-03-01,330102,a\n";
    p = zn_test_write_file("visit2.csv", csv2, sizeof csv2 - 1);
    assert_int_equal(zn_hub_ingest(st, cat, "visit", p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.accepted, 1);
    assert_int_equal(sum.duplicates, 1);
    assert_string_equal(qtext(st, "PRAGMA integrity_check"), "ok");
    /* 330102 up to 2022-03-04: a, b, c is on 03-05, f on 03-04 */
    static const char count[] = "SELECT COUNT(*) FROM feed_visit WHERE div >= '330102' AND div < '330102:' AND day <= '2022-03-04'";
    assert_int_equal(q64(st, count), 3);
    char plan[512];
    zn_stmt *q;
    char eqp[600];
    snprintf(eqp, sizeof eqp, "EXPLAIN QUERY PLAN %s", count);
    assert_int_equal(zn_stmt_prepare(st, eqp, &q, &err), ZN_OK);
    int row = 0;
    plan[0] = 0;
    while (zn_stmt_step(q, &row, &err) == ZN_OK && row)
        snprintf(plan + strlen(plan), sizeof plan - strlen(plan), "%s;", zn_stmt_column_text(q, 3));
    zn_stmt_finalize(q);
    assert_non_null(strstr(plan, "USING COVERING INDEX feed_visit_by_div_day"));
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM feed_visit INDEXED BY feed_visit_by_who WHERE who = 'a'"), 1);
    assert_int_equal(q64(st, "PRAGMA cache_size"), -3000);
    zn_catalogue_free(cat);
    zn_store_close(st);
    zn_ctx_free(ctx);
}

/* The real Shanghai 2022 feeds load on day one. */
static void test_ingest_shanghai(void **state)
{
    (void)state;
    env e;
    env_open(&e, 0); /* system clock */
    zn_error err;
    zn_ingest_summary sum;
    zn_status s = zn_hub_ingest(e.st, e.cat, "case_residence_list",
                                zn_test_src("data/shanghai-2022/sh_case_addresses_daily_0318_0519.csv.gz"), NULL, &sum, &err);
    assert_int_equal(s, ZN_OK);
    assert_int_equal(sum.rows, 163710);
    assert_int_equal(sum.accepted, 163710);
    assert_int_equal(sum.quarantined, 0);
    assert_string_equal(sum.sha256, "8daa097f6ea866c61d3a0b5134e02d3d588d17111c13772e52d59796d7299bfd");
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM feed_case_residence_list WHERE date = '2022-03-18'"), 261);
    assert_int_equal(q64(e.st, "SELECT COUNT(*) FROM feed_case_residence_list WHERE date = '2022-04-15'"), 5153);
    assert_string_equal(qtext(e.st, "SELECT address FROM feed_case_residence_list WHERE _line = 2"), "三三公路5020弄");

    s = zn_hub_ingest(e.st, e.cat, "address_geocode",
                      zn_test_src("data/shanghai-2022/sh_address_geocoded_upto0508_a.csv.gz"), NULL, &sum, &err);
    assert_int_equal(s, ZN_OK);
    assert_int_equal(sum.rows, 34243);
    assert_int_equal(sum.accepted, 34243);
    assert_int_equal(sum.quarantined, 0);
    assert_double_near(atof(qtext(e.st, "SELECT wgs84_lng FROM feed_address_geocode WHERE _line = 2")), 121.6331938, 1e-9);
    /* property: our GCJ-02 -> WGS-84 agrees with the collector's conversion within 5 m everywhere */
    zn_stmt *q;
    assert_int_equal(zn_stmt_prepare(e.st, "SELECT gcj02_lng, gcj02_lat, wgs84_lng, wgs84_lat FROM feed_address_geocode", &q, &err), ZN_OK);
    int row;
    double worst = 0;
    int64_t n = 0;
    while (zn_stmt_step(q, &row, &err) == ZN_OK && row) {
        double x, y;
        zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, zn_stmt_column_double(q, 0), zn_stmt_column_double(q, 1), &x, &y);
        double d = zn_geo_distance_m(x, y, zn_stmt_column_double(q, 2), zn_stmt_column_double(q, 3));
        worst = d > worst ? d : worst;
        n++;
    }
    zn_stmt_finalize(q);
    assert_int_equal(n, sum.accepted);
    assert_true(worst < 5.0);

    /* the older AMap export: one "lng,lat" GCJ-02 field, converted on ingest */
    s = zn_hub_ingest(e.st, e.cat, "address_geocode_amap",
                      zn_test_src("data/shanghai-2022/sh_address_geocoded_upto0508_b.csv.gz"), NULL, &sum, &err);
    assert_int_equal(s, ZN_OK);
    assert_int_equal(sum.rows, 732);
    assert_int_equal(sum.accepted, 732);
    assert_int_equal(sum.ignored_columns, 3); /* three unnamed empty columns */
    assert_string_equal(qtext(e.st, "SELECT location || ' ' || township FROM feed_address_geocode_amap WHERE _line = 2"),
                        "121.555057,31.205717 花木街道");
    assert_int_equal(zn_stmt_prepare(e.st, "SELECT location_lon, location_lat FROM feed_address_geocode_amap WHERE _line = 2", &q, &err), ZN_OK);
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    double x, y;
    zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, 121.555057, 31.205717, &x, &y);
    assert_double_near(zn_stmt_column_double(q, 0), x, 1e-12);
    assert_double_near(zn_stmt_column_double(q, 1), y, 1e-12);
    /* in Shanghai the GCJ-02 offset is a few hundred metres */
    double off = zn_geo_distance_m(x, y, 121.555057, 31.205717);
    assert_true(off > 300 && off < 700);
    zn_stmt_finalize(q);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_shipped), cmocka_unit_test(test_catalogue_errors),
        cmocka_unit_test(test_values),            cmocka_unit_test(test_rows),
        cmocka_unit_test(test_reasons_and_mask),  cmocka_unit_test(test_markdown_matches_docs),
        cmocka_unit_test(test_ingest_good),       cmocka_unit_test(test_prepare_feed_adds_columns),
        cmocka_unit_test(test_quarantine_listing), cmocka_unit_test(test_ingest_shanghai),
        cmocka_unit_test(test_ingest_keyless),    cmocka_unit_test(test_ingest_indexes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
