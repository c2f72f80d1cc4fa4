/*
 * trace from the store (zn_trace_store_run / _export / _json): a hand-built store whose feed
 * tables are filled by zn_hub_ingest of tiny CSVs with the real catalogue, exact expected close
 * contacts per class, secondary contacts, companions, stored parameters and export files.
 *
 * The city (local times are UTC+8; UTC in brackets):
 *   A  index case C1: onset 2022-03-05 (local midnight = 03-04T16:00Z), reported 2022-03-06 00:00
 *      (03-05T16:00Z) -> plan-9 window [02-28T16:00Z, 03-05T16:00Z] (4 d), plan-8 [03-02T16:00Z, ...].
 *   V1 A in 10:00, out 11:00 (03-03, [02:00Z, 03:00Z)); B in 10:50 (dwell 3600 s) -> 600 s
 *      together = D exactly: close; C in 10:50:01 -> 599 s: not close (but B-C overlap 3599 s).
 *   V2 03-01: A in 08:00 (00:00Z), D in 08:01 -> 3540 s, inside plan-9's window, before plan-8's.
 *   V3 03-04: B in 10:00, S in 10:30 -> S a secondary contact through B (B's window from 02:50Z).
 *   household: A and E share an address; G and K another; everyone else lives alone.
 *   flight ZH1 03-03 15:00 (07:00Z): A row 10, G row 13 (+3: close), H row 14 (+4: not).
 *   grid cell G800:1:1 03-03: A 12:00-13:06:40; I 12:50-13:00:01 (601 s > 600: companion);
 *      13900000001 12:50-13:00:00 (600 s: not); 13900000002 12:00-12:16:40 (1000 s, unregistered).
 *   C2: a case report with neither resident ID nor mobile: skipped.
 */
#include "zn_test.h"
#include "zhinao/hub.h"
#include "zhinao/store.h"
#include "zhinao/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A "330102193404200075"
#define B "33010219640923258X"
#define C "330102196510124145"
#define D "330102196701220391"
#define E "330102196702074410"
#define G "330102197201102991"
#define H "330102197307262184"
#define I "33010219750623002X"
#define K "330102197803032281"
#define S "330102197811124311"
#define DIV "330102013016"

static const char REGISTRY[] =
    "resident_id,mobile,residence_type,residence_division,residence_address\n"
    A ",13594510533,registered," DIV ",甲街1号\n"
    E ",,registered," DIV ",甲街1号\n"
    G ",,registered," DIV ",乙街2号\n"
    K ",,floating," DIV ",乙街2号\n"
    B ",,registered," DIV ",丙街3号\n"
    C ",,registered," DIV ",丙街4号\n"
    D ",,registered," DIV ",丙街5号\n"
    H ",,registered," DIV ",丙街6号\n"
    S ",,registered," DIV ",丙街7号\n"
    I ",13241349137,registered," DIV ",丙街8号\n";

static const char CASES[] =
    "case_id,resident_id,mobile,classification,onset_date,diagnosis_time,report_time\n"
    "C1," A ",13594510533,confirmed,2022-03-05,2022-03-05 20:00:00,2022-03-06 00:00:00\n"
    "C2,,,asymptomatic,,2022-03-05 20:00:00,2022-03-06 00:00:00\n";

static const char SCANS[] =
    "venue_code,resident_id,scan_time,direction\n"
    "V1," A ",2022-03-03 10:00:00,in\n"
    "V1," A ",2022-03-03 11:00:00,out\n"
    "V1," B ",2022-03-03 10:50:00,in\n"
    "V1," C ",2022-03-03 10:50:01,in\n"
    "V2," A ",2022-03-01 08:00:00,in\n"
    "V2," D ",2022-03-01 08:01:00,in\n"
    "V3," B ",2022-03-04 10:00:00,in\n"
    "V3," S ",2022-03-04 10:30:00,in\n";

static const char MANIFEST[] =
    "mode,vehicle,departure_date,departure_time,seat_row,resident_id\n"
    "flight,ZH1,2022-03-03,2022-03-03 15:00:00,10," A "\n"
    "flight,ZH1,2022-03-03,2022-03-03 15:00:00,13," G "\n"
    "flight,ZH1,2022-03-03,2022-03-03 15:00:00,14," H "\n";

static const char GRID[] =
    "mobile,cell_id,t_start,t_end\n"
    "13594510533,G800:1:1,2022-03-03 12:00:00,2022-03-03 13:06:40\n"
    "13241349137,G800:1:1,2022-03-03 12:50:00,2022-03-03 13:00:01\n"
    "13900000001,G800:1:1,2022-03-03 12:50:00,2022-03-03 13:00:00\n"
    "13900000002,G800:1:1,2022-03-03 12:00:00,2022-03-03 12:16:40\n";

typedef struct env {
    zn_ctx *ctx;
    zn_store *st;
} env;

static void ingest(env *e, zn_catalogue *cat, const char *feed, const char *text)
{
    char name[80];
    snprintf(name, sizeof name, "%s.csv", feed);
    const char *path = zn_test_write_file(name, text, strlen(text));
    zn_error err;
    zn_ingest_summary sum;
    assert_int_equal(zn_hub_ingest(e->st, cat, feed, path, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.quarantined, 0);
    assert_int_equal(sum.accepted, sum.rows);
}

static void open_city(env *e, const char *dbname)
{
    assert_int_equal(zn_ctx_new(&e->ctx), ZN_OK);
    zn_ctx_set_tz_offset(e->ctx, 8 * 3600);
    zn_error err;
    char db[600];
    snprintf(db, sizeof db, "%s/%s", zn_test_tmpdir(), dbname);
    assert_int_equal(zn_store_open(e->ctx, db, &e->st, &err), ZN_OK);
    zn_catalogue *cat;
    assert_int_equal(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), ZN_OK);
    ingest(e, cat, "population_registry", REGISTRY);
    ingest(e, cat, "case_report", CASES);
    ingest(e, cat, "venue_scan", SCANS);
    ingest(e, cat, "passenger_manifest", MANIFEST);
    ingest(e, cat, "telecom_grid_stay", GRID);
    zn_catalogue_free(cat);
}

static void close_city(env *e)
{
    zn_store_close(e->st);
    zn_ctx_free(e->ctx);
}

static void plan(const char *name, zn_trace_plan *p)
{
    zn_error err;
    assert_int_equal(zn_trace_plan_find(zn_test_src("data/plans"), name, p, &err), ZN_OK);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

/* All rows of a query as "a|b|c\n" lines. */
static char *rows(zn_store *st, const char *sql)
{
    static char out[8192];
    out[0] = 0;
    zn_stmt *q;
    zn_error err;
    assert_int_equal(zn_stmt_prepare(st, sql, &q, &err), ZN_OK);
    int row;
    while (zn_stmt_step(q, &row, &err) == ZN_OK && row) {
        for (int c = 0; c < zn_stmt_column_count(q); c++) {
            strcat(out, c ? "|" : "");
            strcat(out, zn_stmt_column_text(q, c));
        }
        strcat(out, "\n");
    }
    zn_stmt_finalize(q);
    return out;
}

static const char EXPECT_CLOSE_9[] =
    A "|" B "|venue|V1|1646275800|1646276400|600\n"
    A "|" D "|venue|V2|1646092860|1646096400|3540\n"
    A "|" E "|household|" DIV " 甲街1号|1646064000|1646496000|432000\n"
    A "|" G "|cotravel|flight ZH1 2022-03-03|1646290800|1646290800|0\n";

static const char EXPECT_LINELIST[] =
    "id,type,case_id,window_start,window_end,first_exposure,last_exposure\n"
    "13900000002,companion,,,,2022-03-03T04:00:00Z,2022-03-03T04:16:40Z\n"
    A ",case,C1,2022-02-28T16:00:00Z,2022-03-05T16:00:00Z,,\n"
    B ",contact,,,,2022-03-03T02:50:00Z,2022-03-03T03:00:00Z\n"
    C ",secondary_contact,,,,2022-03-03T02:50:01Z,\n"
    D ",contact,,,,2022-03-01T00:01:00Z,2022-03-01T01:00:00Z\n"
    E ",contact,,,,2022-02-28T16:00:00Z,2022-03-05T16:00:00Z\n"
    G ",contact,,,,2022-03-03T07:00:00Z,2022-03-03T07:00:00Z\n"
    I ",companion,,,,2022-03-03T04:50:00Z,2022-03-03T05:00:01Z\n"
    K ",secondary_contact,,,,2022-03-03T07:00:00Z,\n"
    S ",secondary_contact,,,,2022-03-04T02:30:00Z,\n";

static const char EXPECT_CONTACTS[] =
    "from,to,exposure_class,place,first_exposure,last_exposure,overlap_seconds\n"
    A ",13900000002,companion,G800:1:1,2022-03-03T04:00:00Z,2022-03-03T04:16:40Z,1000\n"
    A "," B ",venue,V1,2022-03-03T02:50:00Z,2022-03-03T03:00:00Z,600\n"
    A "," D ",venue,V2,2022-03-01T00:01:00Z,2022-03-01T01:00:00Z,3540\n"
    A "," E ",household," DIV " 甲街1号,2022-02-28T16:00:00Z,2022-03-05T16:00:00Z,432000\n"
    A "," G ",cotravel,flight ZH1 2022-03-03,2022-03-03T07:00:00Z,2022-03-03T07:00:00Z,0\n"
    A "," I ",companion,G800:1:1,2022-03-03T04:50:00Z,2022-03-03T05:00:01Z,601\n"
    B "," C ",secondary_venue,V1,2022-03-03T02:50:01Z,,\n"
    B "," S ",secondary_venue,V3,2022-03-04T02:30:00Z,,\n"
    G "," K ",secondary_household," DIV " 乙街2号,2022-03-03T07:00:00Z,,\n";

static void test_plan9(void **state)
{
    (void)state;
    env e;
    open_city(&e, "p9.db");
    zn_trace_plan p;
    plan("plan-9", &p);
    zn_trace_store_options opt = {.label = "test", .companions = 1, .threads = 2};
    zn_trace_store_summary sum;
    zn_error err;
    assert_int_equal(zn_trace_store_run(e.st, &p, &opt, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 1);
    assert_int_equal(sum.index_cases, 1);
    assert_int_equal(sum.cases_skipped, 1);
    assert_int_equal(sum.close_venue, 2);
    assert_int_equal(sum.close_household, 1);
    assert_int_equal(sum.close_cotravel, 1);
    assert_int_equal(sum.close_distinct, 4);
    assert_int_equal(sum.secondary, 3);
    assert_int_equal(sum.companions, 2);
    assert_int_equal(sum.venue_stays, 7); /* A's in/out pair is one stay */
    assert_int_equal(sum.grid_stays, 4);
    assert_int_equal(sum.households, 8);
    assert_int_equal(sum.seats, 3);

    assert_string_equal(rows(e.st, "SELECT index_case, contact, exposure_class, place, first_exposure, "
                                   "last_exposure, overlap_seconds FROM close_contact WHERE run_id = 1 "
                                   "ORDER BY index_case, contact"),
                        EXPECT_CLOSE_9);
    assert_string_equal(rows(e.st, "SELECT close_contact, contact, exposure_class, place, first_exposure "
                                   "FROM secondary_contact ORDER BY contact"),
                        B "|" C "|venue|V1|1646275801\n"
                        G "|" K "|household|" DIV " 乙街2号|1646290800\n"
                        B "|" S "|venue|V3|1646361000\n");
    assert_string_equal(rows(e.st, "SELECT index_case, contact, cell, first_exposure, last_exposure, "
                                   "overlap_seconds FROM companion ORDER BY contact"),
                        A "|13900000002|G800:1:1|1646280000|1646281000|1000\n"
                        A "|" I "|G800:1:1|1646283000|1646283601|601\n");
    assert_string_equal(rows(e.st, "SELECT person, case_id, t_from, t_to FROM trace_index_case"),
                        A "|C1|1646064000|1646496000\n");
    assert_string_equal(
        rows(e.st, "SELECT plan, label, parameters, index_cases, close_contacts, close_distinct, "
                   "secondary_contacts, companions, finished_at >= started_at FROM trace_run"),
        "plan-9|test|{\"aircraft_rows\":3,\"companion_cell_m\":800,\"companion_cumulative_s\":108000,"
        "\"companion_min_overlap_s\":600,\"companion_refine\":false,\"companion_window_days\":14,"
        "\"companions\":true,\"index_window\":\"onset_date (local midnight; else diagnosis_time) - "
        "lookback_days .. report_time\",\"lookback_days\":4,\"min_overlap_s\":600,\"persons\":"
        "\"resident_id; mobile where a feed has no resident_id\",\"plan\":\"plan-9\","
        "\"secondary_window\":\"from_first_exposure_until_isolation\",\"trace_close\":true,"
        "\"trace_secondary\":true,\"ventilated_bus_rows\":3,\"venue_dwell_s\":3600,"
        "\"venue_pair_max_s\":43200}|1|4|4|3|2|1\n");

    char ll[600], ct[600];
    snprintf(ll, sizeof ll, "%s/linelist.csv", zn_test_tmpdir());
    snprintf(ct, sizeof ct, "%s/contacts.csv", zn_test_tmpdir());
    assert_int_equal(zn_trace_store_export(e.st, 1, ll, ct, &err), ZN_OK);
    assert_string_equal(slurp(ll), EXPECT_LINELIST);
    assert_string_equal(slurp(ct), EXPECT_CONTACTS);
    assert_int_equal(zn_trace_store_export(e.st, 2, ll, NULL, &err), ZN_ENOTFOUND);

    zn_buf b = {0};
    assert_int_equal(zn_trace_store_json(e.st, 1, &b, &err), ZN_OK);
    assert_non_null(strstr(b.data, "\"plan\": \"plan-9\""));
    assert_non_null(strstr(b.data, "\"secondary_contacts\": 3"));
    assert_non_null(strstr(b.data, "\"exposure_class\": \"secondary_household\""));
    assert_non_null(strstr(b.data, "\"first_exposure\": 1646283000"));
    zn_buf_fini(&b);
    assert_int_equal(zn_trace_store_json(e.st, 7, &b, &err), ZN_ENOTFOUND);
    zn_buf_fini(&b);
    close_city(&e);
}

/* plan-8: the look-back is 2 days, so D's exposure on 03-01 is outside the window; no companions
 * (no plan traces them); a second run in the same store gets the next id. */
static void test_plan8_and_others(void **state)
{
    (void)state;
    env e;
    open_city(&e, "p8.db");
    zn_trace_plan p;
    plan("plan-8", &p);
    zn_trace_store_summary sum;
    zn_error err;
    assert_int_equal(zn_trace_store_run(e.st, &p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 1);
    assert_string_equal(rows(e.st, "SELECT contact, exposure_class, first_exposure FROM close_contact "
                                   "ORDER BY contact"),
                        B "|venue|1646275800\n"
                        E "|household|1646236800\n"
                        G "|cotravel|1646290800\n");
    assert_int_equal(sum.companions, 0);
    assert_int_equal(sum.secondary, 3);

    /* plan-20measures (4-day look-back, no secondary contacts) with a 7200 s venue dwell: A's
     * V1 stay is closed by its "out" scan, so B still has 600 s; at V2 A's unpaired scan now
     * lasts [00:00Z, 02:00Z) and D's [00:01Z, 02:01Z): 7140 s, last exposure 02:00Z. */
    plan("plan-20measures", &p);
    zn_trace_store_options opt = {.venue_dwell_s = 7200};
    assert_int_equal(zn_trace_store_run(e.st, &p, &opt, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 2);
    assert_int_equal(sum.close_venue, 2); /* B and D (4-day look-back) */
    assert_int_equal(sum.secondary, 0);
    assert_string_equal(rows(e.st, "SELECT contact, last_exposure, overlap_seconds FROM close_contact "
                                   "WHERE run_id = 2 AND exposure_class = 'venue' ORDER BY contact"),
                        B "|1646276400|600\n"
                        D "|1646100000|7140\n");

    /* the same dwell from the plan (venue.dwell_s) when the options leave it 0; the options win */
    assert_int_equal(p.venue_dwell_s, 3600);
    p.venue_dwell_s = 7200;
    assert_int_equal(zn_trace_store_run(e.st, &p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 3);
    assert_string_equal(rows(e.st, "SELECT contact, last_exposure, overlap_seconds FROM close_contact "
                                   "WHERE run_id = 3 AND exposure_class = 'venue' ORDER BY contact"),
                        B "|1646276400|600\n"
                        D "|1646100000|7140\n");
    assert_string_equal(rows(e.st, "SELECT json_extract(parameters, '$.venue_dwell_s') FROM trace_run "
                                   "WHERE id = 3"),
                        "7200\n");
    opt.venue_dwell_s = 600; /* D's stay [00:01Z, 00:11Z) against A's [00:00Z, 00:10Z): 540 s < 600 */
    assert_int_equal(zn_trace_store_run(e.st, &p, &opt, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 4);
    assert_string_equal(rows(e.st, "SELECT contact FROM close_contact WHERE run_id = 4 AND "
                                   "exposure_class = 'venue' ORDER BY contact"),
                        B "\n");

    plan("plan-10", &p);
    assert_int_equal(zn_trace_store_run(e.st, &p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 5);
    assert_int_equal(sum.close_distinct + sum.secondary + sum.companions, 0);
    assert_string_equal(rows(e.st, "SELECT COUNT(*) FROM close_contact WHERE run_id = 5"), "0\n");
    close_city(&e);
}

/* Overlapping duplicate stays: D scans V2 again at 08:11 (within the dwell of the 08:01 scan; a
 * second scan, or the same visit from another feed). The close contact is unchanged and its
 * overlap_seconds is the union [08:01, 09:00) = 3540 s, not 3540 + 2940. */
static void test_duplicate_scans(void **state)
{
    (void)state;
    env e;
    open_city(&e, "dup.db");
    zn_catalogue *cat;
    zn_error err;
    assert_int_equal(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), ZN_OK);
    ingest(&e, cat, "venue_scan", "venue_code,resident_id,scan_time,direction\nV2," D ",2022-03-01 08:11:00,in\n");
    zn_catalogue_free(cat);
    zn_trace_plan p;
    plan("plan-9", &p);
    zn_trace_store_summary sum;
    assert_int_equal(zn_trace_store_run(e.st, &p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.venue_stays, 8); /* 9 scans, A's V1 in + out make one stay */
    assert_int_equal(sum.close_venue, 2);
    assert_string_equal(rows(e.st, "SELECT contact, place, first_exposure, last_exposure, overlap_seconds "
                                   "FROM close_contact WHERE exposure_class = 'venue' ORDER BY contact"),
                        B "|V1|1646275800|1646276400|600\n"
                        D "|V2|1646092860|1646096400|3540\n");
    close_city(&e);
}

/* Incremental runs: after run 1 (A), B is reported (onset 03-04, reported 03-07 00:00 local:
 * window [02-27T16:00Z, 03-06T16:00Z]). An incremental run traces B alone: at V1 B's
 * [02:50Z, 03:50Z) meets A (600 s, A's scan closed by its out scan) and C (3599 s); at V3
 * (03-04) S (1800 s). A second incremental run has no new case; a full run has both. */
static void test_incremental(void **state)
{
    (void)state;
    env e;
    open_city(&e, "inc.db");
    zn_trace_plan p;
    plan("plan-9", &p);
    zn_trace_store_summary sum;
    zn_error err;
    zn_trace_store_options opt = {.incremental = 1};
    assert_int_equal(zn_trace_store_run(e.st, &p, &opt, &sum, &err), ZN_OK); /* nothing earlier */
    assert_int_equal(sum.run_id, 1);
    assert_int_equal(sum.index_cases, 1);
    assert_int_equal(sum.cases_earlier, 0);
    assert_int_equal(sum.close_venue, 2);

    zn_catalogue *cat;
    assert_int_equal(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), ZN_OK);
    ingest(&e, cat, "case_report",
           "case_id,resident_id,mobile,classification,onset_date,diagnosis_time,report_time\n"
           "C3," B ",,confirmed,2022-03-04,2022-03-06 20:00:00,2022-03-07 00:00:00\n");
    zn_catalogue_free(cat);
    assert_int_equal(zn_trace_store_run(e.st, &p, &opt, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 2);
    assert_int_equal(sum.index_cases, 1);
    assert_int_equal(sum.cases_earlier, 1);
    assert_string_equal(rows(e.st, "SELECT person, case_id FROM trace_index_case WHERE run_id = 2"), B "|C3\n");
    assert_string_equal(rows(e.st, "SELECT index_case, contact, place, overlap_seconds FROM close_contact "
                                   "WHERE run_id = 2 ORDER BY contact"),
                        B "|" A "|V1|600\n" B "|" C "|V1|3599\n" B "|" S "|V3|1800\n");
    assert_string_equal(rows(e.st, "SELECT json_extract(parameters, '$.incremental') FROM trace_run WHERE id = 2"),
                        "1\n");

    /* nothing new: nothing stored, so run 2 stays the latest (the cockpit reads the latest) */
    assert_int_equal(zn_trace_store_run(e.st, &p, &opt, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 0);
    assert_int_equal(sum.index_cases, 0);
    assert_int_equal(sum.cases_earlier, 2);
    assert_int_equal(sum.close_distinct + sum.secondary, 0);
    assert_string_equal(rows(e.st, "SELECT MAX(id) FROM trace_run"), "2\n");

    /* under another plan nothing is earlier; a full run traces both */
    plan("plan-8", &p);
    assert_int_equal(zn_trace_store_run(e.st, &p, &opt, &sum, &err), ZN_OK);
    assert_int_equal(sum.index_cases, 2);
    assert_int_equal(sum.cases_earlier, 0);
    plan("plan-9", &p);
    assert_int_equal(zn_trace_store_run(e.st, &p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.run_id, 4);
    assert_int_equal(sum.index_cases, 2);
    assert_string_equal(rows(e.st, "SELECT COUNT(*) FROM trace_index_case WHERE run_id = 4"), "2\n");
    close_city(&e);
}

/* General contacts (一般接触者; plan-9 determines them, the 20 measures do not): A and I share
 * V4 for 300 s (below the 600 s of a close contact), H sat 4 rows from A (the close rule is +-3);
 * B, C, D, E, G, K, S are close or secondary contacts and so never general. */
static void test_general_contacts(void **state)
{
    (void)state;
    env e;
    open_city(&e, "general.db");
    zn_catalogue *cat;
    zn_error err;
    assert_int_equal(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), ZN_OK);
    ingest(&e, cat, "venue_scan",
           "venue_code,resident_id,scan_time,direction\n"
           "V4," A ",2022-03-04 09:00:00,in\nV4," A ",2022-03-04 09:30:00,out\n"
           "V4," I ",2022-03-04 09:25:00,in\n");
    zn_catalogue_free(cat);
    zn_trace_plan p;
    plan("plan-9", &p);
    zn_trace_store_summary sum;
    assert_int_equal(zn_trace_store_run(e.st, &p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.general, 2);
    assert_string_equal(rows(e.st, "SELECT index_case, contact, exposure_class, place, first_exposure, "
                                   "last_exposure, overlap_seconds FROM general_contact WHERE run_id = 1 "
                                   "ORDER BY contact"),
                        A "|" H "|cotravel|flight ZH1 2022-03-03|1646290800|1646290800|0\n"
                        A "|" I "|venue|V4|1646357100|1646357400|300\n");
    assert_string_equal(rows(e.st, "SELECT general_contacts FROM trace_run WHERE id = 1"), "2\n");
    /* every other person A met is a close or secondary contact: none of them is general */
    assert_string_equal(rows(e.st, "SELECT COUNT(*) FROM general_contact g WHERE EXISTS (SELECT 1 FROM close_contact c"
                                   " WHERE c.contact = g.contact) OR EXISTS (SELECT 1 FROM secondary_contact c"
                                   " WHERE c.contact = g.contact)"),
                        "0\n");
    plan("plan-20measures", &p);
    assert_int_equal(zn_trace_store_run(e.st, &p, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.general, 0);
    assert_string_equal(rows(e.st, "SELECT COUNT(*) FROM general_contact WHERE run_id = 2"), "0\n");
    close_city(&e);
}

/* An empty store (no feed tables): a run with nothing in it. */
static void test_empty_store(void **state)
{
    (void)state;
    zn_ctx *ctx;
    assert_int_equal(zn_ctx_new(&ctx), ZN_OK);
    zn_store *st;
    zn_error err;
    assert_int_equal(zn_store_open(ctx, ":memory:", &st, &err), ZN_OK);
    zn_trace_plan p;
    plan("plan-9", &p);
    zn_trace_store_summary sum;
    zn_trace_store_options opt = {.companions = 1};
    assert_int_equal(zn_trace_store_run(st, &p, &opt, &sum, &err), ZN_OK);
    assert_int_equal(sum.index_cases + sum.close_distinct + sum.secondary + sum.companions, 0);
    assert_int_equal(zn_trace_store_run(NULL, &p, NULL, &sum, &err), ZN_EINVAL);
    zn_store_close(st);
    zn_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan9),
        cmocka_unit_test(test_plan8_and_others),
        cmocka_unit_test(test_duplicate_scans),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_general_contacts),
        cmocka_unit_test(test_empty_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
