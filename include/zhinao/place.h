/*
 * zhinao place: places known by address (geocoded address feeds) and the linking of address-only
 * feeds to them.
 *
 * The first use is the official Shanghai 2022 case-residence lists: each listed residence
 * ("date, district, address") is joined to the geocoded address tables (feeds address_geocode and
 * address_geocode_amap) to get coordinates (GCJ-02 as published by AMap, and WGS-84 computed by
 * zhinao with zn_crs_convert) and its township, and the township and district to their NBS
 * division codes. Rows that do not match are kept with matched = 0 and counted, never dropped.
 */
#ifndef ZHINAO_PLACE_H
#define ZHINAO_PLACE_H

#include "zhinao/core.h"
#include "zhinao/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Counts of one linking run. */
typedef struct zn_place_link_summary {
    int64_t places;            /* rows in table place (distinct district+address) */
    int64_t places_township;   /* places whose township name matched a division code */
    int64_t rows;              /* case-residence rows linked */
    int64_t rows_matched;      /* rows with coordinates */
    int64_t rows_unmatched;    /* rows without (kept, matched = 0) */
    int64_t addresses;         /* distinct (district, address) in the lists */
    int64_t addresses_unmatched;
    int64_t rows_county;       /* rows whose district matched a county-level division code */
    int64_t rows_township;     /* rows with a township division code */
} zn_place_link_summary;

/*
 * (Re)build table `place` from the stored feeds address_geocode and address_geocode_amap
 * (whichever exist), then table `case_residence` from feed case_residence_list:
 *   place(district, address, complete_address, lon_gcj02, lat_gcj02, lon, lat, township,
 *         county_code, township_code, source)            -- lon/lat WGS-84 degrees
 *   case_residence(date, district, address, county_code, township, township_code,
 *         lon_gcj02, lat_gcj02, lon, lat, matched, source) -- one row per listed residence
 * Division codes (12-digit NBS) come from the store's `division` table of `edition` (2021 is
 * contemporaneous with the 2022 wave): the district by name under province prefix `province`
 * ("31" for Shanghai), the township by name under its district. Both tables are replaced in one
 * transaction, so re-running gives the same result.
 * `out` (may be NULL) receives the counts.
 * Errors: ZN_ENOTFOUND when feed_case_residence_list is absent (nothing loaded yet), ZN_ESTORE.
 */
zn_status zn_place_link_case_residence(zn_store *st, int edition, const char *province,
                                       zn_place_link_summary *out, zn_error *err);

/*
 * Add the stored case reports (feed case_report: the demo city's, or a health commission's) to
 * table case_residence, the cases the server maps and counts, as rows with source 'case_report':
 * date = the local day (zn_ctx_tz_offset of the store's context) of report_time; district = the
 * name of the county-level division of residence_division (newest edition that has it); address
 * = residence_address (or the case id); county_code / township_code / township from
 * residence_division; lon/lat WGS-84 degrees as stored by the hub and GCJ-02 by zn_crs_convert;
 * matched = 1 when the report has coordinates. The rows of an earlier call are replaced (one
 * transaction), the listed residences (source 'case_residence_list') are kept; a later
 * zn_place_link_case_residence rebuilds the table without them.
 * rows / located (may be NULL): rows added / of them with coordinates.
 * Errors: ZN_ENOTFOUND when feed_case_report is absent, ZN_ESTORE.
 */
zn_status zn_place_add_case_reports(zn_store *st, int64_t *rows, int64_t *located, zn_error *err);

/* Callback for zn_place_unmatched_by_district: district name, unmatched rows, total rows. */
typedef void (*zn_place_district_fn)(void *user, const char *district, int64_t unmatched, int64_t rows);

/* Per district of table case_residence: rows and unmatched rows, in descending unmatched order. */
zn_status zn_place_unmatched_by_district(zn_store *st, zn_place_district_fn fn, void *user, zn_error *err);

#ifdef __cplusplus
}
#endif
#endif
