/* Places from geocoded address feeds; linking the case-residence lists to them. */
#include "zhinao/place.h"
#include "zhinao/geo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *PLACE_DDL =
    "DROP TABLE IF EXISTS place;\n"
    "CREATE TABLE place (\n"
    "  district TEXT NOT NULL, address TEXT NOT NULL, complete_address TEXT,\n"
    "  lon_gcj02 REAL, lat_gcj02 REAL,   -- as geocoded (AMap, GCJ-02)\n"
    "  lon REAL, lat REAL,               -- WGS-84, converted by zhinao\n"
    "  township TEXT, county_code TEXT, township_code TEXT,\n"
    "  source TEXT NOT NULL,\n"
    "  PRIMARY KEY (district, address));\n"
    "DROP TABLE IF EXISTS case_residence;\n"
    "CREATE TABLE case_residence (\n"
    "  date TEXT NOT NULL, district TEXT NOT NULL, address TEXT NOT NULL,\n"
    "  county_code TEXT, township TEXT, township_code TEXT,\n"
    "  lon_gcj02 REAL, lat_gcj02 REAL, lon REAL, lat REAL,\n"
    "  matched INTEGER NOT NULL,\n"
    "  source TEXT NOT NULL DEFAULT 'case_residence_list');\n"
    "CREATE INDEX case_residence_date ON case_residence(date);\n"
    "CREATE INDEX case_residence_place ON case_residence(district, address);\n";

/* Copy places of one source feed, converting GCJ-02 to WGS-84 ourselves so that both sources use
 * the same conversion. `select` yields district, address, complete_address, gcj lon, gcj lat,
 * township. */
static zn_status copy_places(zn_store *st, const char *select, const char *source, zn_error *err)
{
    zn_stmt *q = NULL, *ins = NULL;
    zn_status s = zn_stmt_prepare(st, select, &q, err);
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "INSERT INTO place (district, address, complete_address, lon_gcj02, lat_gcj02, lon, lat,"
                            " township, source) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                            &ins, err);
    int row = 0;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        zn_stmt_bind_text(ins, 1, zn_stmt_column_text(q, 0));
        zn_stmt_bind_text(ins, 2, zn_stmt_column_text(q, 1));
        zn_stmt_bind_text(ins, 3, zn_stmt_column_text(q, 2));
        if (!zn_stmt_column_is_null(q, 3) && !zn_stmt_column_is_null(q, 4)) {
            double glon = zn_stmt_column_double(q, 3), glat = zn_stmt_column_double(q, 4), lon, lat;
            zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, glon, glat, &lon, &lat);
            zn_stmt_bind_double(ins, 4, glon);
            zn_stmt_bind_double(ins, 5, glat);
            zn_stmt_bind_double(ins, 6, lon);
            zn_stmt_bind_double(ins, 7, lat);
        }
        zn_stmt_bind_text(ins, 8, zn_stmt_column_is_null(q, 5) ? NULL : zn_stmt_column_text(q, 5));
        zn_stmt_bind_text(ins, 9, source);
        s = zn_stmt_step(ins, NULL, err);
        zn_stmt_reset(ins);
    }
    zn_stmt_finalize(q);
    zn_stmt_finalize(ins);
    return s;
}

static zn_status count(zn_store *st, const char *sql, int64_t *out, zn_error *err)
{
    return zn_store_query_int64(st, sql, out, err);
}

zn_status zn_place_link_case_residence(zn_store *st, int edition, const char *province,
                                       zn_place_link_summary *out, zn_error *err)
{
    int have_cases = 0, have_a = 0, have_b = 0;
    zn_status s = zn_store_table_exists(st, "feed_case_residence_list", &have_cases, err);
    if (s == ZN_OK)
        s = zn_store_table_exists(st, "feed_address_geocode", &have_a, err);
    if (s == ZN_OK)
        s = zn_store_table_exists(st, "feed_address_geocode_amap", &have_b, err);
    if (s != ZN_OK)
        return s;
    if (!have_cases)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, NULL,
                            "feed case_residence_list has not been ingested (zhinao ingest --feed case_residence_list)");
    if ((s = zn_store_begin(st, err)) != ZN_OK)
        return s;
    s = zn_store_exec(st, PLACE_DDL, err);
    /* Part a carries its GCJ-02 pair in gcj02_lng / gcj02_lat; part b in one "lng,lat" field whose
     * original text the hub keeps in column `location`. */
    if (s == ZN_OK && have_a)
        s = copy_places(st,
                        "SELECT district, address, complete_address, gcj02_lng, gcj02_lat, township"
                        " FROM feed_address_geocode ORDER BY _id",
                        "address_geocode", err);
    if (s == ZN_OK && have_b)
        s = copy_places(st,
                        "SELECT district, address, complete_address,"
                        " CAST(substr(location, 1, instr(location, ',') - 1) AS REAL),"
                        " CAST(substr(location, instr(location, ',') + 1) AS REAL), township"
                        " FROM feed_address_geocode_amap WHERE instr(location, ',') > 0 ORDER BY _id",
                        "address_geocode_amap", err);
    /* District -> county-level code, township -> township code, by name within the province. */
    zn_stmt *u = NULL;
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "UPDATE place SET county_code = (SELECT d.code FROM division d WHERE d.edition = ?1"
                            " AND d.level = 3 AND d.name = place.district AND d.code LIKE ?2 || '%' LIMIT 1)",
                            &u, err);
    if (s == ZN_OK) {
        zn_stmt_bind_int64(u, 1, edition);
        zn_stmt_bind_text(u, 2, province);
        s = zn_stmt_step(u, NULL, err);
        zn_stmt_finalize(u);
        u = NULL;
    }
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "UPDATE place SET township_code = (SELECT d.code FROM division d WHERE d.edition = ?1"
                            " AND d.level = 4 AND d.parent_code = place.county_code AND d.name = place.township"
                            " LIMIT 1) WHERE county_code IS NOT NULL AND township IS NOT NULL",
                            &u, err);
    if (s == ZN_OK) {
        zn_stmt_bind_int64(u, 1, edition);
        s = zn_stmt_step(u, NULL, err);
        zn_stmt_finalize(u);
        u = NULL;
    }
    /* The lists: one row per listed residence, matched or not. County code for unmatched rows
     * still comes from the district name. */
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "INSERT INTO case_residence (date, district, address, county_code, township, township_code,"
                            " lon_gcj02, lat_gcj02, lon, lat, matched)"
                            " SELECT c.date, c.district, c.address,"
                            "  COALESCE(p.county_code, (SELECT d.code FROM division d WHERE d.edition = ?1 AND d.level = 3"
                            "   AND d.name = c.district AND d.code LIKE ?2 || '%' LIMIT 1)),"
                            "  p.township, p.township_code, p.lon_gcj02, p.lat_gcj02, p.lon, p.lat,"
                            "  CASE WHEN p.lon IS NULL THEN 0 ELSE 1 END"
                            " FROM feed_case_residence_list c LEFT JOIN place p"
                            "  ON p.district = c.district AND p.address = c.address ORDER BY c._id",
                            &u, err);
    if (s == ZN_OK) {
        zn_stmt_bind_int64(u, 1, edition);
        zn_stmt_bind_text(u, 2, province);
        s = zn_stmt_step(u, NULL, err);
        zn_stmt_finalize(u);
    }
    if (s != ZN_OK) {
        zn_store_rollback(st);
        return s;
    }
    if ((s = zn_store_commit(st, err)) != ZN_OK)
        return s;
    if (out) {
        memset(out, 0, sizeof *out);
        if ((s = count(st, "SELECT COUNT(*) FROM place", &out->places, err)) != ZN_OK ||
            (s = count(st, "SELECT COUNT(*) FROM place WHERE township_code IS NOT NULL", &out->places_township, err)) != ZN_OK ||
            (s = count(st, "SELECT COUNT(*) FROM case_residence", &out->rows, err)) != ZN_OK ||
            (s = count(st, "SELECT COUNT(*) FROM case_residence WHERE matched = 1", &out->rows_matched, err)) != ZN_OK ||
            (s = count(st, "SELECT COUNT(*) FROM (SELECT DISTINCT district, address FROM case_residence)", &out->addresses, err)) != ZN_OK ||
            (s = count(st, "SELECT COUNT(*) FROM (SELECT DISTINCT district, address FROM case_residence WHERE matched = 0)",
                       &out->addresses_unmatched, err)) != ZN_OK ||
            (s = count(st, "SELECT COUNT(*) FROM case_residence WHERE county_code IS NOT NULL", &out->rows_county, err)) != ZN_OK ||
            (s = count(st, "SELECT COUNT(*) FROM case_residence WHERE township_code IS NOT NULL", &out->rows_township, err)) != ZN_OK)
            return s;
        out->rows_unmatched = out->rows - out->rows_matched;
    }
    return ZN_OK;
}

zn_status zn_place_unmatched_by_district(zn_store *st, zn_place_district_fn fn, void *user, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  "SELECT district, SUM(matched = 0), COUNT(*) FROM case_residence GROUP BY district"
                                  " ORDER BY SUM(matched = 0) DESC, district",
                                  &q, err);
    int row = 0;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        fn(user, zn_stmt_column_text(q, 0), zn_stmt_column_int64(q, 1), zn_stmt_column_int64(q, 2));
    zn_stmt_finalize(q);
    return s;
}

/* Add the column `source` to a case_residence table built before it existed. */
static zn_status ensure_source(zn_store *st, zn_error *err)
{
    int64_t n = 0;
    zn_status s = zn_store_query_int64(st, "SELECT COUNT(*) FROM pragma_table_info('case_residence') WHERE name = 'source'",
                                       &n, err);
    if (s == ZN_OK && n == 0)
        s = zn_store_exec(st, "ALTER TABLE case_residence ADD COLUMN source TEXT NOT NULL DEFAULT 'case_residence_list'",
                          err);
    return s;
}

zn_status zn_place_add_case_reports(zn_store *st, int64_t *rows, int64_t *located, zn_error *err)
{
    int have = 0, have_cr = 0;
    zn_status s = zn_store_table_exists(st, "feed_case_report", &have, err);
    if (s == ZN_OK)
        s = zn_store_table_exists(st, "case_residence", &have_cr, err);
    if (s != ZN_OK)
        return s;
    if (!have)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, NULL,
                            "feed case_report has not been ingested (zhinao ingest --feed case_report)");
    if ((s = zn_store_begin(st, err)) != ZN_OK)
        return s;
    if (!have_cr)
        s = zn_store_exec(st, PLACE_DDL, err);
    if (s == ZN_OK)
        s = ensure_source(st, err);
    if (s == ZN_OK)
        s = zn_store_exec(st, "DELETE FROM case_residence WHERE source = 'case_report'", err);
    /* the local day of the report; names from the newest edition that has the code */
    zn_stmt *q = NULL, *ins = NULL;
    if (s == ZN_OK)
        s = zn_stmt_prepare(
            st,
            "SELECT date(r.report_time + ?1, 'unixepoch'),"
            " COALESCE((SELECT d.name FROM division d WHERE d.code = substr(r.residence_division, 1, 6) || '000000'"
            "  ORDER BY d.edition DESC LIMIT 1), ''),"
            " COALESCE(r.residence_address, r.case_id),"
            " CASE WHEN length(r.residence_division) = 12 THEN substr(r.residence_division, 1, 6) || '000000' END,"
            " (SELECT d.name FROM division d WHERE d.code = substr(r.residence_division, 1, 9) || '000'"
            "  ORDER BY d.edition DESC LIMIT 1),"
            " CASE WHEN length(r.residence_division) = 12 AND substr(r.residence_division, 7, 3) <> '000'"
            "  THEN substr(r.residence_division, 1, 9) || '000' END,"
            " r.lon, r.lat"
            " FROM feed_case_report r WHERE r.report_time IS NOT NULL ORDER BY r._id",
            &q, err);
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "INSERT INTO case_residence (date, district, address, county_code, township, township_code,"
                            " lon_gcj02, lat_gcj02, lon, lat, matched, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,"
                            " 'case_report')",
                            &ins, err);
    if (s == ZN_OK)
        zn_stmt_bind_int64(q, 1, zn_ctx_tz_offset(zn_store_ctx(st)));
    int row = 0;
    int64_t n = 0, nloc = 0;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        for (int c = 0; c < 6; c++) {
            if (zn_stmt_column_is_null(q, c))
                zn_stmt_bind_null(ins, c + 1);
            else
                zn_stmt_bind_text(ins, c + 1, zn_stmt_column_text(q, c));
        }
        int loc = !zn_stmt_column_is_null(q, 6) && !zn_stmt_column_is_null(q, 7);
        if (loc) {
            double lon = zn_stmt_column_double(q, 6), lat = zn_stmt_column_double(q, 7), glon, glat;
            zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, lon, lat, &glon, &glat);
            zn_stmt_bind_double(ins, 7, glon);
            zn_stmt_bind_double(ins, 8, glat);
            zn_stmt_bind_double(ins, 9, lon);
            zn_stmt_bind_double(ins, 10, lat);
        } else {
            for (int c = 7; c <= 10; c++)
                zn_stmt_bind_null(ins, c);
        }
        zn_stmt_bind_int64(ins, 11, loc);
        int done = 0;
        s = zn_stmt_step(ins, &done, err);
        zn_stmt_reset(ins);
        n++;
        nloc += loc;
    }
    zn_stmt_finalize(q);
    zn_stmt_finalize(ins);
    if (s != ZN_OK) {
        zn_store_rollback(st);
        return s;
    }
    if ((s = zn_store_commit(st, err)) != ZN_OK)
        return s;
    if (rows)
        *rows = n;
    if (located)
        *located = nloc;
    return ZN_OK;
}
