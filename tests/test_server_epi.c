/*
 * The epidemic routes of the HTTP API (src/server/api_epi.c) against a real server on 127.0.0.1
 * over a small hand-built store: the real division registry; a population registry and two case
 * reports ingested through the hub; two stored tracing runs (trace.h tables, rows written by hand
 * so every count below can be checked by eye); quarantine tasks made by the real wiring
 * (zn_loop_from_trace) with one of them verified; and a stored zone run of four units over five
 * days (zone.h tables). Then: exact values, masking per role, audit rows, pagination, and a
 * Pudong county user asking for Huangpu's data on every route of the API (403 each), plus
 * hostile parameters (4xx, never 5xx).
 *
 * Persons (the 17 first digits; ID numbers get their real check character):
 *   A  index case, lives in Pudong (case report 310115125000)    I  index case, Huangpu (case report)
 *   B  close contact of A and of I, Pudong (registry), mobile 13800000001
 *   C  close contact of A, Huangpu     D  close contact of A, no known residence
 *   E  close contact of A twice (venue, household), Pudong
 *   K  close contact of A known only by mobile 13900000002, registered in Pudong
 *   F  secondary via B, Pudong          G  secondary via C, Huangpu      H  companion of A, Huangpu
 * t0 = 2022-04-01T00:00Z (08:00 in China).
 *
 * The fair graph (run 1, in Hangzhou, invisible to the Shanghai users): index cases P1, P2, P3;
 * close contacts c11 c12 c13 of P1, c21 c13 of P2, c31 c32 of P3, and P3 of P1; secondary contacts
 * s1..s4 via c11 (and c21 via c11), s5..s8 via c12, s9..s12 via c21, s13 s14 via c31; all live in
 * Xihu district (330106) but s14 (Ningbo): 3 index, 6 close, 14 secondary persons, 23 edges.
 */
#include "zn_test.h"
#include "zn_http.h"

#include "zhinao/div.h"
#include "zhinao/hub.h"
#include "zhinao/ident.h"
#include "zhinao/loop.h"
#include "zhinao/server.h"
#include "zhinao/zone.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define T0 1648771200LL

typedef struct fixture {
    zn_ctx *ctx;
    zn_server *srv;
    unsigned port;
    char db[512];
    char A[19], I[19], B[19], C[19], D[19], E[19], F[19], G[19], H[19], Kid[19];
    char Z[23][19]; /* the fair graph: P1 P2 P3, c11 c12 c13 c21 c31 c32, s1..s14 */
    int64_t task_b, task_c;
    char tok_admin[65], tok_pd[65], tok_hp[65], tok_sh[65], tok_epi[65], tok_grid[65], tok_audit[65], tok_epi0[65];
} fixture;

static fixture F;

static void build_store(void)
{
    zn_error err;
    zn_store *st = zn_fx_open(F.ctx, F.db);
    zn_fx_divisions(F.ctx, st);
    zn_catalogue *cat = zn_fx_catalogue();
    zn_fx_make_id("31011519800101001", F.A);
    zn_fx_make_id("31010119800101002", F.I);
    zn_fx_make_id("31011519900202003", F.B);
    zn_fx_make_id("31010119900303004", F.C);
    zn_fx_make_id("11010519900404005", F.D);
    zn_fx_make_id("31011519900505006", F.E);
    zn_fx_make_id("31011519900606007", F.F);
    zn_fx_make_id("31010119900707008", F.G);
    zn_fx_make_id("31010119900808009", F.H);
    zn_fx_make_id("31011519900909010", F.Kid);
    char text[4096];
    snprintf(text, sizeof text,
             "resident_id,name,sex,mobile,residence_type,residence_division,residence_address\n"
             "%s,乙,male,13800000001,registered,310115125000,张江路1号\n"
             "%s,丙,female,,registered,310101013000,外滩路2号\n"
             "%s,戊,male,,floating,310115125000,张江路1号\n"
             "%s,己,female,,registered,310115125000,张江路3号\n"
             "%s,庚,male,,registered,310101013000,外滩路2号\n"
             "%s,辛,female,,registered,310101013000,外滩路5号\n"
             "%s,癸,male,13900000002,registered,310115125000,张江路9号\n",
             F.B, F.C, F.E, F.F, F.G, F.H, F.Kid);
    zn_fx_ingest(st, cat, "population_registry", "registry.csv", text);
    {
        char big[8192], first[18];
        size_t n = (size_t)snprintf(big, sizeof big, "resident_id,name,sex,mobile,residence_type,residence_division,"
                                                     "residence_address\n");
        for (int i = 0; i < 23; i++) {
            snprintf(first, sizeof first, "33010619900101%03d", 100 + i);
            zn_fx_make_id(first, F.Z[i]);
            n += (size_t)snprintf(big + n, sizeof big - n, "%s,某,male,,registered,%s,西湖路%d号\n", F.Z[i],
                                  i == 22 ? "330203001000" : "330106002000", i + 1);
        }
        zn_fx_ingest(st, cat, "population_registry", "registry-hz.csv", big);
    }
    snprintf(text, sizeof text,
             "case_id,resident_id,name,mobile,classification,diagnosis_time,report_time,residence_division\n"
             "C-A,%s,甲,13700000011,confirmed,2022-04-01 10:00,2022-04-01 12:00,310115125000\n"
             "C-I,%s,壬,13700000012,asymptomatic,2022-04-02 09:00,2022-04-02 11:00,310101013000\n",
             F.A, F.I);
    zn_fx_ingest(st, cat, "case_report", "reports.csv", text);
    zn_catalogue_free(cat);

    /* two tracing runs: run 1 (older, one row), run 2 (the latest) */
    char sql[8192];
    snprintf(sql, sizeof sql,
             "INSERT INTO trace_run (id, plan, label, parameters, started_at, finished_at) VALUES"
             " (1, 'plan-9', 'first', '{}', %lld, %lld), (2, 'plan-9', 'second', '{}', %lld, %lld);"
             "INSERT INTO trace_index_case VALUES (2, '%s', 'C-A', %lld, %lld), (2, '%s', 'C-I', %lld, %lld);"
             "INSERT INTO close_contact VALUES (1, '%s', '%s', 'venue', 'V0', %lld, %lld, 600);"
             "INSERT INTO close_contact VALUES (2, '%s', '%s', 'venue', 'V1', %lld, %lld, 3600),"
             " (2, '%s', '%s', 'venue', 'V1', %lld, %lld, 1800), (2, '%s', '%s', 'venue', 'V1', %lld, %lld, 1000),"
             " (2, '%s', '%s', 'venue', 'V1', %lld, %lld, 900), (2, '%s', '%s', 'household', '张江路1号', %lld, %lld, 345600),"
             " (2, '%s', '%s', 'cotravel', 'train:G1:2022-04-02', %lld, %lld, 0),"
             " (2, '%s', '13900000002', 'venue', 'V1', %lld, %lld, 600);"
             "INSERT INTO secondary_contact VALUES (2, '%s', '%s', 'venue', 'V2', %lld),"
             " (2, '%s', '%s', 'household', '外滩路2号', %lld);"
             "INSERT INTO companion VALUES (2, '%s', '%s', 'C1', %lld, %lld, 7200);",
             T0 - 86400, T0 - 86400, T0 + 86400, T0 + 86400, /* runs */
             F.A, T0 - 345600, T0 + 14400, F.I, T0 - 259200, T0 + 97200, /* index cases */
             F.A, F.C, T0 - 86400, T0 - 85800,                             /* run 1 */
             F.A, F.B, T0 + 3600, T0 + 7200, F.A, F.C, T0 + 3600, T0 + 5400, F.A, F.D, T0 + 4000, T0 + 5000, F.A, F.E,
             T0 + 3600, T0 + 4500, F.A, F.E, T0 - 345600, T0, F.I, F.B, T0 + 86400, T0 + 86400, F.A, T0 + 3600,
             T0 + 4200, F.B, F.F, T0 + 172800, F.C, F.G, T0 + 172800, F.A, F.H, T0 + 3600, T0 + 10800);
    zn_fx_exec(st, sql);
    /* the fair graph, after the rows above (their rowids stay) */
    {
        static const int cc[][2] = {{0, 3}, {0, 4}, {0, 5}, {1, 6}, {1, 5}, {2, 7}, {2, 8}, {0, 2}};
        static const int sc[][2] = {{3, 9},  {3, 10}, {3, 11}, {3, 12}, {4, 13}, {4, 14}, {4, 15}, {4, 16},
                                    {6, 17}, {6, 18}, {6, 19}, {6, 20}, {7, 21}, {7, 22}, {3, 6}};
        for (size_t i = 0; i < sizeof cc / sizeof cc[0]; i++) {
            snprintf(sql, sizeof sql, "INSERT INTO close_contact VALUES (1, '%s', '%s', 'venue', 'V9', %lld, %lld, 900)",
                     F.Z[cc[i][0]], F.Z[cc[i][1]], T0 - 86400, T0 - 85500);
            zn_fx_exec(st, sql);
        }
        for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
            snprintf(sql, sizeof sql, "INSERT INTO secondary_contact VALUES (1, '%s', '%s', 'venue', 'V8', %lld)",
                     F.Z[sc[i][0]], F.Z[sc[i][1]], T0);
            zn_fx_exec(st, sql);
        }
    }

    /* the real wiring: tasks for B, C, E (D and K are not in the registry by ID: unrouted), issued
     * 2022-04-02 09:00 China time; B's is verified 2022-04-03 10:00 */
    zn_loop *lp;
    zn_fx_check(zn_loop_open(st, zn_test_src("data"), &lp, &err), &err, "loop");
    zn_ctx_set_now(F.ctx, T0 + 86400 + 3600);
    zn_loop_wiring_result wr;
    zn_fx_check(zn_loop_from_trace(lp, 2, "sh-command", "310000", &wr, &err), &err, "from trace");
    if (wr.tasks != 3 || wr.unrouted != 2) {
        fprintf(stderr, "fixture: wiring made %lld tasks, %lld unrouted\n", (long long)wr.tasks, (long long)wr.unrouted);
        abort();
    }
    zn_loop_filter lf = {.limit = 100};
    zn_loop_task *tasks = NULL;
    size_t nt = 0;
    zn_fx_check(zn_loop_list(lp, &lf, &tasks, &nt, &err), &err, "list");
    for (size_t i = 0; i < nt; i++) {
        if (!strcmp(tasks[i].subject_ref, F.B))
            F.task_b = tasks[i].id;
        if (!strcmp(tasks[i].subject_ref, F.C))
            F.task_c = tasks[i].id;
    }
    free(tasks);
    zn_loop_act act = {.actor = "worker"};
    zn_ctx_set_now(F.ctx, T0 + 2 * 86400 + 7200);
    zn_fx_check(zn_loop_move(lp, F.task_b, ZN_TASK_RECEIVED, &act, &err), &err, "receive");
    zn_fx_check(zn_loop_move(lp, F.task_b, ZN_TASK_REPORTED, &act, &err), &err, "report");
    zn_fx_check(zn_loop_move(lp, F.task_b, ZN_TASK_VERIFIED, &act, &err), &err, "verify");
    zn_loop_free(lp);
    zn_ctx_set_now(F.ctx, 0);

    /* zones: four place units, rule set "test-rules" over 2022-04-01 .. 2022-04-05 */
    zn_zone_unit u[] = {
        {ZN_ZONE_UNIT_PLACE, "place:浦东新区:甲", "甲", "310115000000", "310115125000", 121.6, 31.2, 100, NULL},
        {ZN_ZONE_UNIT_PLACE, "place:浦东新区:乙", "乙", "310115000000", "310115125000", 121.61, 31.21, -1,
         "{\"type\":\"Polygon\",\"coordinates\":[[[121.6,31.2],[121.61,31.2],[121.61,31.21],[121.6,31.2]]]}"},
        {ZN_ZONE_UNIT_PLACE, "place:黄浦区:丙", "丙\"引号", "310101000000", "310101013000", 121.48, 31.23, 50, NULL},
        {ZN_ZONE_UNIT_PLACE, "place:黄浦区:丁", "丁", "310101000000", "310101013000", NAN, NAN, -1, NULL},
    };
    int64_t uid[4];
    for (int i = 0; i < 4; i++)
        zn_fx_check(zn_zone_unit_put(st, &u[i], &uid[i], &err), &err, "unit");
    zn_fx_exec(st, "INSERT INTO zone_run (id, rules, title, from_date, to_date, unit_kind, missing, buffer_m, levels,"
                   " rules_json, units, events, created_at) VALUES (7, 'test-rules', '测试', '2022-04-01', '2022-04-05',"
                   " 'place', 'pause', 100, '[[\"sealed\",\"封控区\"],[\"controlled\",\"管控区\"],[\"precaution\",\"防范区\"]]',"
                   " '{}', 4, 3, 0)");
    snprintf(sql, sizeof sql,
             "INSERT INTO zone_period (run_id, unit_id, level, level_rank, entered, valid_from, valid_to, due, anchor,"
             " cause) VALUES"
             " (7, %lld, 'sealed', 0, '2022-04-01', '2022-04-01', '2022-04-03', '2022-04-04', '2022-04-01', 'event'),"
             " (7, %lld, 'controlled', 1, '2022-04-04', '2022-04-04', '2022-04-05', '2022-04-10', '2022-04-04', 'transition'),"
             " (7, %lld, 'precaution', 2, '2022-04-01', '2022-04-01', '2022-04-05', NULL, NULL, 'start'),"
             " (7, %lld, 'none', 3, '2022-04-01', '2022-04-01', '2022-04-01', NULL, NULL, 'start'),"
             " (7, %lld, 'sealed', 0, '2022-04-02', '2022-04-02', '2022-04-05', '2022-04-09', '2022-04-02', 'event'),"
             " (7, %lld, 'controlled', 1, '2022-03-30', '2022-04-01', '2022-04-02', '2022-04-03', '2022-03-30', 'event'),"
             " (7, %lld, 'none', 3, '2022-04-03', '2022-04-03', '2022-04-05', NULL, NULL, 'transition')",
             (long long)uid[0], (long long)uid[0], (long long)uid[1], (long long)uid[2], (long long)uid[2],
             (long long)uid[3], (long long)uid[3]);
    zn_fx_exec(st, sql);
    /* zone_day as the kernel would store it (whole run): sealed, controlled, precaution, none */
    static const int counts[5][4] = {{1, 1, 1, 1}, {2, 1, 1, 0}, {2, 0, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}};
    static const int pops[5][4] = {{100, 0, 0, 50}, {150, 0, 0, 0}, {150, 0, 0, 0}, {50, 100, 0, 0}, {50, 100, 0, 0}};
    static const char *lv[] = {"sealed", "controlled", "precaution", "none"};
    for (int d = 0; d < 5; d++)
        for (int l = 0; l < 4; l++) {
            snprintf(sql, sizeof sql,
                     "INSERT INTO zone_day VALUES (7, '2022-04-0%d', %d, '%s', %d, %d, %d, %d, 0)", d + 1, d == 2 ? 0 : 1,
                     lv[l], l, counts[d][l], pops[d][l], pops[d][l] ? 1 : 0);
            zn_fx_exec(st, sql);
        }

    static const zn_fx_user U[] = {
        {"admin", ZN_ROLE_ADMIN, "0"},         {"pudong", ZN_ROLE_COUNTY, "310115"},
        {"huangpu", ZN_ROLE_COUNTY, "310101"}, {"shanghai", ZN_ROLE_PROVINCE, "31"},
        {"epi", ZN_ROLE_EPIDEMIOLOGIST, "31"}, {"grid", ZN_ROLE_GRID_WORKER, "310115125"},
        {"auditor", ZN_ROLE_AUDITOR, "0"},     {"epi0", ZN_ROLE_EPIDEMIOLOGIST, "0"},
    };
    zn_fx_users(st, U, sizeof U / sizeof U[0]);
    zn_store_close(st);
}

/* ------------------------------------------------------------ HTTP client ---- */

typedef zn_http_resp resp;

/* One request with a JSON body (or none). */
static void req(resp *r, const char *method, const char *path, const char *token, const char *body)
{
    zn_http_req(r, method, path, token, NULL, body);
}

/* GET that must answer 200 with JSON */
static void get_ok(resp *r, const char *path, const char *token)
{
    zn_http_get(r, path, token);
    if (r->status != 200 || !r->json)
        fprintf(stderr, "GET %s: %s\n", path, r->raw);
    assert_int_equal(r->status, 200);
    assert_non_null(r->json);
}

/* read_person rows of `user` whose object starts with `prefix` */
static int64_t audits(const char *user, const char *prefix)
{
    zn_store *st;
    zn_error err;
    assert_int_equal(zn_store_open(F.ctx, F.db, &st, &err), ZN_OK);
    zn_stmt *q;
    assert_int_equal(zn_stmt_prepare(st,
                                     "SELECT COUNT(*) FROM audit_log WHERE action = 'read_person' AND user_name = ?1"
                                     " AND substr(object, 1, length(?2)) = ?2",
                                     &q, &err),
                     ZN_OK);
    zn_stmt_bind_text(q, 1, user);
    zn_stmt_bind_text(q, 2, prefix);
    int row = 0;
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    int64_t n = zn_stmt_column_int64(q, 0);
    zn_stmt_finalize(q);
    zn_store_close(st);
    return n;
}

static int setup(void **state)
{
    (void)state;
    if (zn_ctx_new(&F.ctx) != ZN_OK)
        return -1;
    snprintf(F.db, sizeof F.db, "%s/server_epi.db", zn_test_tmpdir());
    build_store();
    F.port = zn_fx_serve(F.ctx, F.db, &(zn_server_options){.threads = 2, .timeout = 5, .event_interval = 1}, &F.srv);
    zn_fx_login_all("admin", F.tok_admin, "pudong", F.tok_pd, "huangpu", F.tok_hp, "shanghai", F.tok_sh, "epi",
                    F.tok_epi, "grid", F.tok_grid, "auditor", F.tok_audit, "epi0", F.tok_epi0, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zn_server_stop(F.srv);
    zn_ctx_free(F.ctx);
    return 0;
}

static char *masked_id(const char *id)
{
    static char out[4][32];
    static int k;
    k = (k + 1) % 4;
    return zn_mask_resident_id(id, out[k], sizeof out[k]);
}

/* ------------------------------------------------------------ zones ---- */

static void test_zone_runs_and_days(void **state)
{
    (void)state;
    resp r;
    get_ok(&r, "/api/v1/zones/runs", F.tok_pd);
    json_t *rows = json_object_get(r.json, "rows");
    assert_int_equal(json_array_size(rows), 1);
    json_t *run = json_array_get(rows, 0);
    assert_string_equal(zn_jstr(run, "rules"), "test-rules");
    assert_string_equal(zn_jstr(run, "from"), "2022-04-01");
    assert_string_equal(zn_jstr(run, "to"), "2022-04-05");
    assert_string_equal(zn_jstr(run, "unit_kind"), "place");
    assert_int_equal(zn_jint(run, "units"), 4);
    json_t *lv = json_object_get(run, "levels");
    assert_int_equal(json_array_size(lv), 3);
    assert_string_equal(zn_jstr(json_array_get(lv, 0), "name"), "sealed");
    assert_string_equal(zn_jstr(json_array_get(lv, 0), "zh"), "封控区");
    zn_http_free(&r);

    /* the whole run (country, and Shanghai which holds every unit): table zone_day */
    static const int whole[5][3] = {{1, 1, 1}, {2, 1, 1}, {2, 0, 1}, {1, 1, 1}, {1, 1, 1}};
    /* Pudong and Huangpu: counted from the periods; they add up to the whole */
    static const int pd[5][3] = {{1, 0, 1}, {1, 0, 1}, {1, 0, 1}, {0, 1, 1}, {0, 1, 1}};
    static const int hp[5][3] = {{0, 1, 0}, {1, 1, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0}};
    static const int hp_none[5] = {1, 0, 1, 1, 1};
    const struct {
        const char *path, *tok;
        const int (*c)[3];
    } cases[] = {{"/api/v1/zones/days?rules=test-rules", F.tok_admin, whole},
                 {"/api/v1/zones/days?rules=test-rules&area=31", F.tok_sh, whole},
                 {"/api/v1/zones/days", F.tok_pd, pd},
                 {"/api/v1/zones/days?area=310101", F.tok_sh, hp},
                 {"/api/v1/zones/days?area=310101013", F.tok_hp, hp}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        get_ok(&r, cases[k].path, cases[k].tok);
        json_t *days = json_object_get(r.json, "days");
        assert_int_equal(json_array_size(days), 5);
        for (int d = 0; d < 5; d++) {
            json_t *day = json_array_get(days, (size_t)d);
            char date[16];
            snprintf(date, sizeof date, "2022-04-0%d", d + 1);
            assert_string_equal(zn_jstr(day, "date"), date);
            assert_int_equal(json_is_true(json_object_get(day, "known")), d != 2); /* 04-03 had no list */
            json_t *c = json_object_get(day, "counts");
            assert_int_equal(zn_jint(c, "sealed"), cases[k].c[d][0]);
            assert_int_equal(zn_jint(c, "controlled"), cases[k].c[d][1]);
            assert_int_equal(zn_jint(c, "precaution"), cases[k].c[d][2]);
            if (cases[k].c == hp)
                assert_int_equal(zn_jint(day, "none"), hp_none[d]);
        }
        zn_http_free(&r);
    }
    /* populations: sealed on 04-02 = units 甲 (100) + 丙 (50); Pudong's controlled on 04-04 = 甲 */
    get_ok(&r, "/api/v1/zones/days?from=2022-04-02&to=2022-04-02", F.tok_admin);
    assert_int_equal(json_array_size(json_object_get(r.json, "days")), 1);
    assert_int_equal(zn_jint(json_object_get(json_array_get(json_object_get(r.json, "days"), 0), "population"), "sealed"),
                     150);
    zn_http_free(&r);
    get_ok(&r, "/api/v1/zones/days?from=2022-04-04", F.tok_pd);
    assert_int_equal(json_array_size(json_object_get(r.json, "days")), 2);
    json_t *p = json_object_get(json_array_get(json_object_get(r.json, "days"), 0), "population");
    assert_int_equal(zn_jint(p, "controlled"), 100);
    assert_int_equal(zn_jint(p, "precaution"), 0); /* 乙's population is unknown */
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/zones/days?rules=no-such-rules", F.tok_admin);
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
}

static void test_zones_geojson(void **state)
{
    (void)state;
    resp r;
    get_ok(&r, "/api/v1/zones?rules=test-rules&day=2022-04-02", F.tok_sh);
    assert_non_null(strstr(r.raw, "application/geo+json"));
    assert_string_equal(zn_jstr(r.json, "type"), "FeatureCollection");
    assert_string_equal(zn_jstr(r.json, "day"), "2022-04-02");
    json_t *f = json_object_get(r.json, "features");
    assert_int_equal(json_array_size(f), 4);
    /* level order, then key: sealed 甲, 丙; controlled 丁; precaution 乙 */
    static const char *keys[] = {"place:浦东新区:甲", "place:黄浦区:丙", "place:黄浦区:丁", "place:浦东新区:乙"};
    static const char *levels[] = {"sealed", "sealed", "controlled", "precaution"};
    for (size_t i = 0; i < 4; i++) {
        json_t *pr = json_object_get(json_array_get(f, i), "properties");
        assert_string_equal(zn_jstr(pr, "unit"), keys[i]);
        assert_string_equal(zn_jstr(pr, "level"), levels[i]);
    }
    json_t *p0 = json_object_get(json_array_get(f, 0), "properties");
    assert_string_equal(zn_jstr(p0, "level_zh"), "封控区");
    assert_int_equal(zn_jint(p0, "rank"), 0);
    assert_string_equal(zn_jstr(p0, "entered"), "2022-04-01");
    assert_string_equal(zn_jstr(p0, "due"), "2022-04-04");
    assert_string_equal(zn_jstr(p0, "cause"), "event");
    assert_string_equal(zn_jstr(p0, "county"), "310115000000");
    json_t *g0 = json_object_get(json_array_get(f, 0), "geometry");
    assert_string_equal(zn_jstr(g0, "type"), "Point");
    assert_true(json_real_value(json_array_get(json_object_get(g0, "coordinates"), 0)) == 121.6);
    assert_true(json_real_value(json_array_get(json_object_get(g0, "coordinates"), 1)) == 31.2);
    /* a name with a quote survives as JSON; a unit without coordinates has a null geometry */
    assert_string_equal(zn_jstr(json_object_get(json_array_get(f, 1), "properties"), "name"), "丙\"引号");
    assert_true(json_is_null(json_object_get(json_array_get(f, 2), "geometry")));
    assert_string_equal(zn_jstr(json_object_get(json_array_get(f, 3), "geometry"), "type"), "Polygon");
    assert_true(json_is_null(json_object_get(json_object_get(json_array_get(f, 3), "properties"), "due")));
    json_t *c = json_object_get(r.json, "counts");
    assert_int_equal(zn_jint(c, "sealed"), 2);
    assert_int_equal(zn_jint(c, "controlled"), 1);
    assert_int_equal(zn_jint(c, "precaution"), 1);
    zn_http_free(&r);

    /* Pudong sees its two units; a level filter; Huangpu on 04-03 has only 丙 (丁 is in no zone) */
    get_ok(&r, "/api/v1/zones?day=2022-04-02", F.tok_pd);
    assert_int_equal(json_array_size(json_object_get(r.json, "features")), 2);
    assert_null(strstr(r.body, "黄浦区"));
    zn_http_free(&r);
    get_ok(&r, "/api/v1/zones?day=2022-04-02&level=sealed", F.tok_admin);
    assert_int_equal(json_array_size(json_object_get(r.json, "features")), 2);
    assert_int_equal(zn_jint(json_object_get(r.json, "counts"), "controlled"), 0);
    zn_http_free(&r);
    get_ok(&r, "/api/v1/zones?day=2022-04-03&area=310101", F.tok_hp);
    assert_int_equal(json_array_size(json_object_get(r.json, "features")), 1);
    assert_string_equal(zn_jstr(json_object_get(json_array_get(json_object_get(r.json, "features"), 0), "properties"),
                             "unit"),
                        "place:黄浦区:丙");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/zones?day=2022-04-09", F.tok_admin); /* outside the run */
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/zones", F.tok_admin);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/zones?day=2022-04-02&level=red", F.tok_admin);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
}

/* ------------------------------------------------------------ contacts ---- */

static void test_contacts_list(void **state)
{
    (void)state;
    resp r;
    int64_t before = audits("pudong", "close_contact#");
    /* Pudong's contacts: rows 2 (B), 5 and 6 (E), 7 (B via I), 8 (K) of run 2 */
    get_ok(&r, "/api/v1/contacts?why=tracing%20review&limit=2", F.tok_pd);
    assert_int_equal(zn_jint(json_object_get(r.json, "run"), "id"), 2);
    assert_string_equal(zn_jstr(json_object_get(r.json, "run"), "plan"), "plan-9");
    assert_string_equal(zn_jstr(json_object_get(r.json, "run"), "label"), "second");
    assert_int_equal(zn_jint(r.json, "total"), 5);
    assert_int_equal(zn_jint(r.json, "next_offset"), 2);
    json_t *rows = json_object_get(r.json, "rows");
    assert_int_equal(json_array_size(rows), 2);
    json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1);
    assert_string_equal(zn_jstr(r0, "index_case"), masked_id(F.A));
    assert_string_equal(zn_jstr(r0, "contact"), masked_id(F.B));
    assert_string_equal(zn_jstr(r0, "class"), "venue");
    assert_string_equal(zn_jstr(r0, "place"), "V1");
    assert_int_equal(zn_jint(r0, "first_exposure"), T0 + 3600);
    assert_int_equal(zn_jint(r0, "last_exposure"), T0 + 7200);
    assert_int_equal(zn_jint(r0, "overlap_seconds"), 3600);
    assert_true(json_is_true(json_object_get(r0, "controlled"))); /* B's task is verified */
    assert_string_equal(zn_jstr(r0, "area"), "310115125000");
    assert_string_equal(zn_jstr(r0, "ref"), "cc-2");
    assert_string_equal(zn_jstr(r1, "contact"), masked_id(F.E));
    assert_true(json_is_false(json_object_get(r1, "controlled")));
    assert_null(strstr(r.body, F.B));
    assert_null(strstr(r.body, F.A));
    zn_http_free(&r);
    assert_int_equal(audits("pudong", "close_contact#") - before, 2);
    assert_int_equal(audits("pudong", "close_contact#2"), 1);

    get_ok(&r, "/api/v1/contacts?why=tracing%20review&limit=2&offset=2", F.tok_pd);
    rows = json_object_get(r.json, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(zn_jstr(json_array_get(rows, 0), "class"), "household");
    assert_string_equal(zn_jstr(json_array_get(rows, 1), "class"), "cotravel");
    assert_string_equal(zn_jstr(json_array_get(rows, 1), "index_case"), masked_id(F.I));
    assert_int_equal(zn_jint(r.json, "next_offset"), 4);
    zn_http_free(&r);
    get_ok(&r, "/api/v1/contacts?why=tracing%20review&limit=2&offset=4", F.tok_pd);
    rows = json_object_get(r.json, "rows");
    assert_int_equal(json_array_size(rows), 1);
    assert_string_equal(zn_jstr(json_array_get(rows, 0), "contact"), "139****0002"); /* K, known by mobile */
    assert_true(json_is_null(json_object_get(r.json, "next_offset")));
    zn_http_free(&r);
    assert_int_equal(audits("pudong", "close_contact#") - before, 5);

    /* roles: the grid worker sees phones, not ID numbers; the epidemiologist sees both */
    get_ok(&r, "/api/v1/contacts?why=call%20them&limit=10", F.tok_grid);
    assert_int_equal(zn_jint(r.json, "total"), 5);
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "rows"), 4), "contact"), "13900000002");
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "rows"), 0), "contact"), masked_id(F.B));
    zn_http_free(&r);
    get_ok(&r, "/api/v1/contacts?why=investigation&limit=10&area=310115", F.tok_epi);
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "rows"), 0), "contact"), F.B);
    assert_true(json_is_false(json_object_get(json_object_get(r.json, "masked"), "resident_id")));
    zn_http_free(&r);

    /* Huangpu sees C only; D (no known residence) only the country; run 1 on request */
    get_ok(&r, "/api/v1/contacts?why=review", F.tok_hp);
    assert_int_equal(zn_jint(r.json, "total"), 1);
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "rows"), 0), "contact"), masked_id(F.C));
    zn_http_free(&r);
    get_ok(&r, "/api/v1/contacts?why=review", F.tok_sh);
    assert_int_equal(zn_jint(r.json, "total"), 6);
    zn_http_free(&r);
    get_ok(&r, "/api/v1/contacts?why=review", F.tok_epi0); /* the country */
    assert_int_equal(zn_jint(r.json, "total"), 7);
    zn_http_free(&r);
    get_ok(&r, "/api/v1/contacts?why=review&run=1", F.tok_hp);
    assert_int_equal(zn_jint(r.json, "total"), 1);
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "rows"), 0), "place"), "V0");
    assert_string_equal(zn_jstr(json_object_get(r.json, "run"), "label"), "first");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/contacts?why=review&run=9", F.tok_epi0);
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/contacts", F.tok_pd);
    zn_http_assert_error(&r, 400, "why_required");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/contacts?why=x", F.tok_audit); /* no person permission */
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/contacts?why=x", F.tok_admin);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
}

static void test_contacts_summary(void **state)
{
    (void)state;
    resp r;
    int64_t before = audits("pudong", "");
    get_ok(&r, "/api/v1/contacts/summary", F.tok_pd);
    assert_int_equal(zn_jint(r.json, "found"), 3); /* B, E, K */
    assert_int_equal(zn_jint(r.json, "controlled"), 1);
    assert_int_equal(zn_jint(r.json, "secondary"), 1); /* F */
    assert_int_equal(zn_jint(r.json, "companions"), 0);
    json_t *by = json_object_get(r.json, "by_day");
    assert_int_equal(json_array_size(by), 2);
    /* tasks issued 04-02 09:00 (K has none: the area's first task); B verified 04-03 10:00 */
    assert_string_equal(zn_jstr(json_array_get(by, 0), "date"), "2022-04-02");
    assert_int_equal(zn_jint(json_array_get(by, 0), "found"), 3);
    assert_int_equal(zn_jint(json_array_get(by, 0), "controlled"), 0);
    assert_string_equal(zn_jstr(json_array_get(by, 1), "date"), "2022-04-03");
    assert_int_equal(zn_jint(json_array_get(by, 1), "found"), 0);
    assert_int_equal(zn_jint(json_array_get(by, 1), "controlled"), 1);
    assert_null(strstr(r.body, masked_id(F.B))); /* no person data */
    zn_http_free(&r);
    assert_int_equal(audits("pudong", ""), before);
    get_ok(&r, "/api/v1/contacts/summary", F.tok_admin);
    assert_int_equal(zn_jint(r.json, "found"), 5);
    assert_int_equal(zn_jint(r.json, "controlled"), 1);
    assert_int_equal(zn_jint(r.json, "secondary"), 2);
    assert_int_equal(zn_jint(r.json, "companions"), 1);
    assert_int_equal(zn_jint(json_array_get(json_object_get(r.json, "by_day"), 0), "found"), 5);
    zn_http_free(&r);
    get_ok(&r, "/api/v1/contacts/summary?area=31", F.tok_sh);
    assert_int_equal(zn_jint(r.json, "found"), 4); /* D has no known residence */
    zn_http_free(&r);
    get_ok(&r, "/api/v1/contacts/summary?run=1", F.tok_hp);
    assert_int_equal(zn_jint(r.json, "found"), 1);
    assert_int_equal(zn_jint(r.json, "controlled"), 0); /* the tasks belong to run 2 */
    by = json_object_get(r.json, "by_day"); /* no task at all: the run's day */
    assert_int_equal(json_array_size(by), 1);
    assert_string_equal(zn_jstr(json_array_get(by, 0), "date"), "2022-03-31");
    zn_http_free(&r);
}

static json_t *node_by_id(json_t *nodes, const char *id)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n) if (!strcmp(zn_jstr(n, "id"), id)) return n;
    return NULL;
}

/* Properties of every graph answer: node ids unique, every edge's ends are nodes, the nodes in
 * the order index, close, secondary, and the counts of what was shown agree with the nodes. */
static void graph_consistent(json_t *g)
{
    json_t *nodes = json_object_get(g, "nodes"), *edges = json_object_get(g, "edges"),
           *counts = json_object_get(g, "counts");
    static const char *const kinds[] = {"index", "close", "secondary"};
    size_t i, n[3] = {0};
    int last = 0;
    json_t *x;
    json_array_foreach(nodes, i, x)
    {
        for (size_t k = i + 1; k < json_array_size(nodes); k++)
            assert_string_not_equal(zn_jstr(x, "id"), zn_jstr(json_array_get(nodes, k), "id"));
        int k = 0;
        while (k < 3 && strcmp(zn_jstr(x, "kind"), kinds[k]))
            k++;
        assert_true(k < 3);
        assert_true(k >= last);
        last = k;
        n[k]++;
    }
    json_array_foreach(edges, i, x)
    {
        assert_non_null(node_by_id(nodes, zn_jstr(x, "source")));
        assert_non_null(node_by_id(nodes, zn_jstr(x, "target")));
    }
    for (int k = 0; k < 3; k++) {
        json_t *c = json_object_get(counts, kinds[k]);
        assert_int_equal(zn_jint(c, "shown"), n[k]);
        assert_true(zn_jint(c, "total") >= zn_jint(c, "shown"));
    }
    assert_int_equal(zn_jint(json_object_get(counts, "edges"), "shown"), json_array_size(edges));
    assert_true(json_array_size(nodes) <= (size_t)zn_jint(g, "limit"));
}

static void assert_count(json_t *g, const char *kind, json_int_t total, json_int_t shown)
{
    json_t *c = json_object_get(json_object_get(g, "counts"), kind);
    assert_int_equal(zn_jint(c, "total"), total);
    assert_int_equal(zn_jint(c, "shown"), shown);
}

static void test_contacts_graph(void **state)
{
    (void)state;
    resp r;
    int64_t before = audits("shanghai", "");
    get_ok(&r, "/api/v1/contacts/graph?why=chains&area=310115", F.tok_sh);
    graph_consistent(r.json);
    json_t *nodes = json_object_get(r.json, "nodes"), *edges = json_object_get(r.json, "edges");
    assert_int_equal(json_array_size(nodes), 8);
    assert_int_equal(json_array_size(edges), 8);
    assert_true(json_is_false(json_object_get(r.json, "truncated")));
    assert_true(json_is_true(json_object_get(r.json, "secondary"))); /* a county: secondary contacts by default */
    assert_count(r.json, "index", 2, 2);
    assert_count(r.json, "close", 5, 5);
    assert_count(r.json, "secondary", 1, 1); /* G (via C, both in Huangpu) is not Pudong's */
    assert_count(r.json, "edges", 8, 8);
    json_t *a = node_by_id(nodes, masked_id(F.A)), *b = node_by_id(nodes, masked_id(F.B));
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(zn_jstr(a, "kind"), "index");
    assert_string_equal(zn_jstr(a, "area"), "310115125000");
    assert_string_equal(zn_jstr(b, "kind"), "close");
    assert_string_equal(zn_jstr(node_by_id(nodes, masked_id(F.F)), "kind"), "secondary");
    assert_string_equal(zn_jstr(node_by_id(nodes, "139****0002"), "kind"), "close");
    /* I (index), C and D (close) are outside Pudong: placeholders without identity, index cases first */
    assert_string_equal(zn_jstr(node_by_id(nodes, "outside-1"), "kind"), "index");
    assert_string_equal(zn_jstr(node_by_id(nodes, "outside-2"), "kind"), "close");
    assert_string_equal(zn_jstr(node_by_id(nodes, "outside-3"), "kind"), "close");
    assert_true(json_is_null(json_object_get(node_by_id(nodes, "outside-3"), "area")));
    assert_null(strstr(r.body, masked_id(F.C)));
    assert_null(strstr(r.body, masked_id(F.I)));
    /* edges chain by chain: A -> B, then B's secondary contact F, then A's other contacts in stored order */
    json_t *e1 = json_array_get(edges, 1), *e6 = json_array_get(edges, 6);
    assert_string_equal(zn_jstr(e1, "source"), masked_id(F.B));
    assert_string_equal(zn_jstr(e1, "target"), masked_id(F.F));
    assert_string_equal(zn_jstr(e1, "class"), "secondary_venue");
    assert_string_equal(zn_jstr(e6, "source"), "outside-1");
    assert_string_equal(zn_jstr(e6, "target"), masked_id(F.B));
    assert_string_equal(zn_jstr(e6, "class"), "cotravel");
    zn_http_free(&r);
    /* one audit row per person shown: A, B, E, K, F */
    assert_int_equal(audits("shanghai", "") - before, 5);
    assert_int_equal(audits("shanghai", "close_contact#2/index_case"), 1);
    assert_int_equal(audits("shanghai", "secondary_contact#1/contact"), 1);

    /* cap 3: close contacts keep half of it (1 of 5), so both index cases, then B (A's first) */
    get_ok(&r, "/api/v1/contacts/graph?why=chains&area=310115&limit=3", F.tok_sh);
    graph_consistent(r.json);
    nodes = json_object_get(r.json, "nodes");
    assert_int_equal(json_array_size(nodes), 3);
    assert_int_equal(json_array_size(json_object_get(r.json, "edges")), 2); /* A -> B, I -> B */
    assert_non_null(node_by_id(nodes, masked_id(F.B)));
    assert_non_null(node_by_id(nodes, "outside-1"));
    assert_null(node_by_id(nodes, masked_id(F.F)));
    assert_true(json_is_true(json_object_get(r.json, "truncated")));
    assert_count(r.json, "close", 5, 1);
    assert_count(r.json, "secondary", 1, 0);
    assert_count(r.json, "edges", 8, 2);
    zn_http_free(&r);
    assert_int_equal(audits("shanghai", "") - before, 7);

    /* the country: no secondary contacts unless asked; 7 persons (A, B, C, D, E, I, K), 7 edges */
    get_ok(&r, "/api/v1/contacts/graph?why=chains", F.tok_epi0);
    graph_consistent(r.json);
    assert_int_equal(json_array_size(json_object_get(r.json, "nodes")), 7);
    assert_int_equal(json_array_size(json_object_get(r.json, "edges")), 7);
    assert_true(json_is_false(json_object_get(r.json, "secondary")));
    assert_true(json_is_false(json_object_get(r.json, "truncated"))); /* left out by choice, not by the cap */
    assert_count(r.json, "secondary", 2, 0);
    assert_count(r.json, "edges", 9, 7);
    zn_http_free(&r);
    /* asked: everyone of run 2, 9 persons (and F, G), 9 edges */
    get_ok(&r, "/api/v1/contacts/graph?why=chains&secondary=1", F.tok_epi0);
    graph_consistent(r.json);
    assert_int_equal(json_array_size(json_object_get(r.json, "nodes")), 9);
    assert_int_equal(json_array_size(json_object_get(r.json, "edges")), 9);
    assert_null(strstr(r.body, "outside-"));
    zn_http_free(&r);
    /* and a county without them */
    get_ok(&r, "/api/v1/contacts/graph?why=chains&area=310115&secondary=0", F.tok_sh);
    graph_consistent(r.json);
    assert_int_equal(json_array_size(json_object_get(r.json, "nodes")), 7);
    assert_count(r.json, "secondary", 1, 0);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/contacts/graph", F.tok_sh);
    zn_http_assert_error(&r, 400, "why_required");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/contacts/graph?why=chains&secondary=yes", F.tok_sh);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
}

/* The node ids of the fair graph's persons, in the given order (the epidemiologist sees IDs). */
static void assert_nodes(json_t *g, const int *who, size_t n)
{
    json_t *nodes = json_object_get(g, "nodes");
    assert_int_equal(json_array_size(nodes), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(zn_jstr(json_array_get(nodes, i), "id"), F.Z[who[i]]);
}

/* A city whose secondary ring (14) alone exceeds the cap: every index case is shown, then close
 * contacts one per index case in turn, secondary contacts only when asked and while room remains. */
static void test_contacts_graph_fair(void **state)
{
    (void)state;
    enum { P1, P2, P3, c11, c12, c13, c21, c31, c32, s1, s5 = s1 + 4, s9 = s1 + 8, s13 = s1 + 12 };
    resp r;
    int64_t before = audits("epi0", "");
    /* cap 8, a city (secondary off): room for close contacts min(6, 8 / 2) = 4, so all 3 index cases;
     * then round 1: c11 (P1), c21 (P2), c31 (P3); round 2: c12 (P1), c13 (P2): full; c32 left out */
    get_ok(&r, "/api/v1/contacts/graph?why=chains&area=3301&run=1&limit=8", F.tok_epi0);
    graph_consistent(r.json);
    static const int n8[] = {P1, P2, P3, c11, c21, c31, c12, c13};
    assert_nodes(r.json, n8, 8);
    assert_true(json_is_false(json_object_get(r.json, "secondary")));
    assert_true(json_is_true(json_object_get(r.json, "truncated")));
    assert_count(r.json, "index", 3, 3);
    assert_count(r.json, "close", 6, 5);
    assert_count(r.json, "secondary", 14, 0);
    /* P1-c11, c11-c21 (secondary row between two close contacts), P1-c12, P1-c13, P2-c21, P2-c13,
     * P3-c31, P1-P3 */
    assert_count(r.json, "edges", 23, 8);
    json_t *e1 = json_array_get(json_object_get(r.json, "edges"), 1);
    assert_string_equal(zn_jstr(e1, "source"), F.Z[c11]);
    assert_string_equal(zn_jstr(e1, "target"), F.Z[c21]);
    assert_string_equal(zn_jstr(e1, "class"), "secondary_venue");
    json_t *p3 = json_array_get(json_object_get(r.json, "nodes"), 2);
    assert_string_equal(zn_jstr(p3, "kind"), "index"); /* also P1's close contact: the first kind that applies */
    assert_string_equal(zn_jstr(p3, "area"), "330106002000");
    zn_http_free(&r);
    assert_int_equal(audits("epi0", "") - before, 8);

    /* cap 12 with secondary contacts: the 3 index cases, all 6 close contacts (c11 c21 c31, c12 c13
     * c32), then one secondary contact per close contact in turn: s1 (c11), s9 (c21), s13 (c31) */
    get_ok(&r, "/api/v1/contacts/graph?why=chains&area=3301&run=1&limit=12&secondary=1", F.tok_epi0);
    graph_consistent(r.json);
    static const int n12[] = {P1, P2, P3, c11, c21, c31, c12, c13, c32, s1, s9, s13};
    assert_nodes(r.json, n12, 12);
    assert_true(json_is_true(json_object_get(r.json, "truncated")));
    assert_count(r.json, "close", 6, 6);
    assert_count(r.json, "secondary", 14, 3);
    assert_count(r.json, "edges", 23, 12);
    zn_http_free(&r);

    /* cap 2: close contacts keep 1, so only P1 of the index cases, and c11 */
    get_ok(&r, "/api/v1/contacts/graph?why=chains&area=3301&run=1&limit=2", F.tok_epi0);
    graph_consistent(r.json);
    static const int n2[] = {P1, c11};
    assert_nodes(r.json, n2, 2);
    assert_count(r.json, "index", 3, 1);
    assert_count(r.json, "edges", 23, 1);
    assert_true(json_is_true(json_object_get(r.json, "truncated")));
    zn_http_free(&r);

    /* no cap reached: everyone; s14 lives in Ningbo, a placeholder; Xihu (a county): secondary by default */
    get_ok(&r, "/api/v1/contacts/graph?why=chains&area=330106&run=1", F.tok_epi0);
    graph_consistent(r.json);
    assert_true(json_is_true(json_object_get(r.json, "secondary")));
    assert_true(json_is_false(json_object_get(r.json, "truncated")));
    assert_int_equal(json_array_size(json_object_get(r.json, "nodes")), 23);
    assert_count(r.json, "secondary", 14, 14);
    assert_count(r.json, "edges", 23, 23);
    json_t *s14 = node_by_id(json_object_get(r.json, "nodes"), "outside-1");
    assert_non_null(s14);
    assert_string_equal(zn_jstr(s14, "kind"), "secondary");
    assert_true(json_is_null(json_object_get(s14, "area")));
    assert_null(node_by_id(json_object_get(r.json, "nodes"), "outside-2"));
    zn_http_free(&r);
    assert_int_equal(audits("epi0", "") - before, 8 + 12 + 2 + 22); /* one per person shown inside the area */
    /* Shanghai's users do not see Hangzhou's run-1 rows */
    get_ok(&r, "/api/v1/contacts/graph?why=chains&run=1&secondary=1", F.tok_sh);
    graph_consistent(r.json);
    assert_int_equal(json_array_size(json_object_get(r.json, "nodes")), 2); /* A -> C */
    zn_http_free(&r);
}

/* ------------------------------------------------------------ measures ---- */

static void test_person_measures(void **state)
{
    (void)state;
    resp r;
    char path[256];
    int64_t before = audits("pudong", "close_contact#7");
    /* B: close contact, last exposures 04-01 and 04-02 (China time): plan-9 counts from 04-02:
     * centralized quarantine 04-03 .. 04-09, home health monitoring 04-10 .. 04-12, free 04-13 */
    snprintf(path, sizeof path, "/api/v1/persons/%s/measures?plan=plan-9&why=follow%%20up&date=2022-04-05", F.B);
    get_ok(&r, path, F.tok_pd);
    assert_string_equal(zn_jstr(r.json, "person"), masked_id(F.B));
    assert_string_equal(zn_jstr(r.json, "plan"), "plan-9");
    assert_string_equal(zn_jstr(r.json, "role"), "close_contact");
    assert_string_equal(zn_jstr(r.json, "measure"), "centralized_quarantine");
    assert_string_equal(zn_jstr(r.json, "reference"), "2022-04-02");
    assert_string_equal(zn_jstr(r.json, "start"), "2022-04-03");
    assert_string_equal(zn_jstr(r.json, "end"), "2022-04-12");
    assert_string_equal(zn_jstr(r.json, "release"), "2022-04-13");
    assert_int_equal(zn_jint(r.json, "exposures"), 2);
    static const char *tests[] = {"2022-04-03", "2022-04-04", "2022-04-05", "2022-04-07", "2022-04-09", "2022-04-12"};
    json_t *t = json_object_get(r.json, "tests");
    assert_int_equal(json_array_size(t), 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(json_string_value(json_array_get(t, i)), tests[i]);
    assert_string_equal(zn_jstr(r.json, "code_today"), "red");
    assert_int_equal(json_array_size(json_object_get(r.json, "phases")), 2);
    assert_null(strstr(r.body, F.B));
    zn_http_free(&r);
    assert_int_equal(audits("pudong", "close_contact#7") - before, 1); /* B's last row */
    get_ok(&r, "/api/v1/persons/cc-2/measures?why=follow%20up&date=2022-04-11", F.tok_pd); /* B by row reference */
    assert_string_equal(zn_jstr(r.json, "person"), masked_id(F.B));
    assert_string_equal(zn_jstr(r.json, "code_today"), "yellow");
    zn_http_free(&r);
    get_ok(&r, "/api/v1/persons/cc-2/measures?why=follow%20up&date=2022-04-13", F.tok_pd);
    assert_string_equal(zn_jstr(r.json, "code_today"), "green");
    zn_http_free(&r);
    /* the 20 measures (5 + 3): centralized 04-03 .. 04-07, home quarantine 04-08 .. 04-10 */
    get_ok(&r, "/api/v1/persons/cc-2/measures?why=follow%20up&plan=plan-20measures", F.tok_pd);
    assert_string_equal(zn_jstr(r.json, "plan"), "20-measures");
    assert_string_equal(zn_jstr(r.json, "end"), "2022-04-10");
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "phases"), 1), "kind"), "home_quarantine");
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "phases"), 1), "start"), "2022-04-08");
    assert_int_equal(json_array_size(json_object_get(r.json, "tests")), 6);
    zn_http_free(&r);
    /* F: secondary contact, first exposure 04-03 */
    snprintf(path, sizeof path, "/api/v1/persons/%s/measures?why=follow%%20up", F.F);
    get_ok(&r, path, F.tok_pd);
    assert_string_equal(zn_jstr(r.json, "role"), "secondary_contact");
    assert_string_equal(zn_jstr(r.json, "reference"), "2022-04-03");
    zn_http_free(&r);
    /* K by mobile: the grid worker may see it */
    get_ok(&r, "/api/v1/persons/13900000002/measures?why=call", F.tok_grid);
    assert_string_equal(zn_jstr(r.json, "person"), "13900000002");
    assert_string_equal(zn_jstr(r.json, "role"), "close_contact");
    zn_http_free(&r);
    /* A is an index case of Pudong, not a contact: 404; D (no known residence): only the country */
    snprintf(path, sizeof path, "/api/v1/persons/%s/measures?why=follow%%20up", F.A);
    zn_http_get(&r, path, F.tok_pd);
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    snprintf(path, sizeof path, "/api/v1/persons/%s/measures?why=follow%%20up", F.D);
    zn_http_get(&r, path, F.tok_sh);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    get_ok(&r, path, F.tok_epi0);
    assert_string_equal(zn_jstr(r.json, "role"), "close_contact");
    assert_string_equal(zn_jstr(r.json, "person"), F.D); /* the epidemiologist sees ID numbers */
    zn_http_free(&r);
    snprintf(path, sizeof path, "/api/v1/persons/%s/measures?why=follow%%20up&plan=no-such-plan", F.B);
    zn_http_get(&r, path, F.tok_pd);
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    snprintf(path, sizeof path, "/api/v1/persons/%s/measures", F.B);
    zn_http_get(&r, path, F.tok_pd);
    zn_http_assert_error(&r, 400, "why_required");
    zn_http_free(&r);
}

/* ------------------------------------------------------------ security ---- */

/* Every route of the API, asked by the Pudong county user about Huangpu: 403 on each. */
static void test_scope_every_route(void **state)
{
    (void)state;
    char pc[128], pd[128], tk[64], mv[64];
    snprintf(pc, sizeof pc, "/api/v1/persons/%s/measures?why=check", F.C);
    snprintf(pd, sizeof pd, "/api/v1/persons/%s/measures?why=check", F.D);
    snprintf(tk, sizeof tk, "/api/v1/tasks/%lld", (long long)F.task_c);
    snprintf(mv, sizeof mv, "/api/v1/tasks/%lld/move", (long long)F.task_c);
    const char *paths[] = {
        "/api/v1/divisions?area=310101",
        "/api/v1/divisions/310101",
        "/api/v1/boundaries/310101",
        "/api/v1/boundaries?area=310101",
        "/api/v1/cases?area=310101",
        "/api/v1/cases/daily?area=310101",
        "/api/v1/cases/points?area=310101",
        "/api/v1/rt?area=310101",
        "/api/v1/alerts?area=310101",
        "/api/v1/metrics?area=310101",
        "/api/v1/feeds/case_report/rows?area=310101&why=check",
        "/api/v1/feeds/population_registry/rows?area=310101&why=check",
        "/api/v1/feeds/population_registry/rows/2?area=310101&why=check",
        "/api/v1/divisions/310101013",
        "/api/v1/cases?area=310101013",
        "/api/v1/lineage",
        "/api/v1/quarantine",
        "/api/v1/quarantine/summary",
        "/api/v1/audit",
        "/api/v1/users",
        "/api/v1/tasks?area=310101",
        "/api/v1/tasks/metrics?area=310101",
        tk,
        "/api/v1/instructions?area=310101",
        "/api/v1/zones/runs?area=310101",
        "/api/v1/zones/days?area=310101",
        "/api/v1/zones?area=310101&day=2022-04-02",
        "/api/v1/zones?area=310101013&day=2022-04-02&level=sealed",
        "/api/v1/contacts?area=310101&why=check",
        "/api/v1/contacts?area=31&why=check",
        "/api/v1/contacts/summary?area=310101",
        "/api/v1/contacts/graph?area=310101&why=check",
        "/api/v1/contacts/graph?area=0&why=check",
        pc,
        pd,
        "/api/v1/persons/cc-3/measures?why=check", /* C's row */
        NULL,
    };
    resp r;
    for (int i = 0; paths[i]; i++) {
        zn_http_get(&r, paths[i], F.tok_pd);
        if (r.status != 403)
            fprintf(stderr, "%s -> %s\n", paths[i], r.raw);
        zn_http_assert_error(&r, 403, "forbidden");
        zn_http_free(&r);
    }
    static const struct {
        const char *path, *body;
    } posts[] = {{"/api/v1/users", "{\"name\":\"x\",\"password\":\"0123456789ab\",\"role\":\"county\",\"scope\":\"310101\"}"},
                 {"/api/v1/users/huangpu/disable", "{}"},
                 {"/api/v1/instructions",
                  "{\"template\":\"epi.seal_unit\",\"reason\":\"seal it\",\"targets\":[{\"division\":\"310101013000\"}]}"},
                 {NULL, NULL}};
    for (int i = 0; posts[i].path; i++) {
        req(&r, "POST", posts[i].path, F.tok_pd, posts[i].body);
        if (r.status != 403)
            fprintf(stderr, "POST %s -> %s\n", posts[i].path, r.raw);
        zn_http_assert_error(&r, 403, "forbidden");
        zn_http_free(&r);
    }
    req(&r, "POST", mv, F.tok_pd, "{\"to\":\"cancelled\"}");
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    /* and no audit row was written for any of them */
    assert_int_equal(audits("pudong", "close_contact#3"), 0);
}

/* Hostile parameters on the new routes: 4xx with a JSON error, never 5xx, nothing leaks. */
static void test_hostile_parameters(void **state)
{
    (void)state;
    static const char *paths[] = {
        "/api/v1/zones?rules=x%27%3BDROP%20TABLE%20zone_run--&day=2022-04-02",
        "/api/v1/zones?rules=..%2F..%2Fetc%2Fpasswd&day=2022-04-02",
        "/api/v1/zones?day=2022-13-45",
        "/api/v1/zones?day=2022-04-02%27%20OR%20%271%27=%271",
        "/api/v1/zones?day=2022-04-31",
        "/api/v1/zones?day=2022-04-02&level=sealed%27--",
        "/api/v1/zones?day=2022-04-02&area=31%27%20OR%201=1",
        "/api/v1/zones/days?rules=%00",
        "/api/v1/zones/days?from=yesterday",
        "/api/v1/contacts?why=xx&run=1%20OR%201=1",
        "/api/v1/contacts?why=xx&run=-1",
        "/api/v1/contacts?why=xx&run=99999999999999999999999",
        "/api/v1/contacts?why=xx&limit=-1",
        "/api/v1/contacts?why=xx&offset=abc",
        "/api/v1/contacts?why=xx&area=..%2F..",
        "/api/v1/contacts/graph?why=xx&limit=0",
        "/api/v1/contacts/graph?why=xx&secondary=2",
        "/api/v1/contacts/summary?run=abc",
        "/api/v1/persons/%27%20OR%201=1--/measures?why=xx",
        "/api/v1/persons/..%2F..%2Fetc%2Fpasswd/measures?why=xx",
        "/api/v1/persons/cc-99999999999999999999/measures?why=xx",
        "/api/v1/persons/cc-999999/measures?why=xx",
        "/api/v1/persons/cc-/measures?why=xx",
        "/api/v1/persons/12345/measures?why=xx",
        "/api/v1/persons/13900000002/measures?why=xx&plan=..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/v1/persons/13900000002/measures?why=xx&date=2022-02-30",
        "/api/v1/persons/13900000002/measures?why=x",
        "/api/v1/persons/13900000002",
        "/api/v1/persons",
        "/api/v1/contacts/graph/extra",
        "/api/v1/zones/runs/1",
        NULL,
    };
    resp r;
    for (int i = 0; paths[i]; i++) {
        zn_http_get(&r, paths[i], F.tok_epi0);
        if (r.status < 400 || r.status >= 500 || !r.json)
            fprintf(stderr, "%s -> %s\n", paths[i], r.raw);
        assert_true(r.status >= 400 && r.status < 500);
        assert_non_null(r.json);
        assert_true(strlen(zn_jstr(r.json, "code")) > 0);
        assert_null(strstr(r.body, "root:"));
        zn_http_free(&r);
    }
    /* the tables are still there */
    get_ok(&r, "/api/v1/zones/runs", F.tok_admin);
    assert_int_equal(json_array_size(json_object_get(r.json, "rows")), 1);
    zn_http_free(&r);
    /* no session: 401 on every new route */
    static const char *anon[] = {"/api/v1/zones/runs", "/api/v1/zones/days", "/api/v1/zones?day=2022-04-02",
                                 "/api/v1/contacts?why=xx", "/api/v1/contacts/summary", "/api/v1/contacts/graph?why=xx",
                                 "/api/v1/persons/13900000002/measures?why=xx", NULL};
    for (int i = 0; anon[i]; i++) {
        zn_http_get(&r, anon[i], NULL);
        zn_http_assert_error(&r, 401, "unauthorized");
        zn_http_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_runs_and_days), cmocka_unit_test(test_zones_geojson),
        cmocka_unit_test(test_contacts_list),      cmocka_unit_test(test_contacts_summary),
        cmocka_unit_test(test_contacts_graph),     cmocka_unit_test(test_contacts_graph_fair),
        cmocka_unit_test(test_person_measures),
        cmocka_unit_test(test_scope_every_route),  cmocka_unit_test(test_hostile_parameters),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
