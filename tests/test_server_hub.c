/*
 * The cockpit's data-hub and tasks numbers follow the area and the day: GET /api/v1/feeds?area=&to=
 * counts the rows of each feed inside the area up to the end of the day, and the tasks block of
 * GET /api/v1/metrics?area=&to= is the area's as of the end of that day. A server on 127.0.0.1
 * over a small store: feeds antigen_test (division, time), vaccination (division, date),
 * population_registry (division, no required day) and venue_scan (no division) with rows in
 * Hangzhou 西湖区, Ningbo 海曙区, Shanghai 黄浦区 and without a division, on 2022-03-15 and -16
 * (local time +08:00, the server's zone); four tasks in the same places. Every expected number
 * is hand-counted from the fixture below.
 */
#include "zn_test.h"
#include "zn_http.h"

#include "zhinao/div.h"
#include "zhinao/hub.h"
#include "zhinao/loop.h"
#include "zhinao/server.h"
#include "zhinao/time.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    zn_ctx *ctx;
    zn_server *srv;
    char tok_admin[65], tok_zj[65], tok_sh[65], tok_hz[65];
} F;

/* UTC seconds of local (+08:00) time 2022-03-dd hh:mm. */
static int64_t march(int dd, int hh, int mm)
{
    return zn_days_from_civil(2022, 3, dd) * 86400 + hh * 3600 + mm * 60 - 8 * 3600;
}

/* A new valid resident ID number each call. */
static void id(char out[19])
{
    static int n;
    char first[18];
    snprintf(first, sizeof first, "33010619900101%03d", ++n);
    zn_fx_make_id(first, out);
}

static void ingest(zn_store *st, zn_catalogue *cat, const char *feed, const char *head, const char *const *rows,
                   size_t n)
{
    char text[4096];
    size_t k = (size_t)snprintf(text, sizeof text, "%s\n", head);
    for (size_t i = 0; i < n; i++) {
        char rid[19];
        id(rid);
        k += (size_t)snprintf(text + k, sizeof text - k, rows[i], rid);
        text[k++] = '\n';
        text[k] = 0;
    }
    char name[64];
    snprintf(name, sizeof name, "%s.csv", feed);
    zn_fx_ingest(st, cat, feed, name, text);
}

/* Move task `t` through received .. to `last` at local times 2022-03-dd hh:00, hh:10, ... */
static void work(zn_loop *lp, int64_t t, zn_task_state last, int dd, int hh)
{
    zn_error err;
    zn_loop_act act = {.actor = "worker", .evidence = "done"};
    for (zn_task_state s = ZN_TASK_RECEIVED; s <= last; s++) {
        zn_ctx_set_now(F.ctx, march(dd, hh, 10 * (int)(s - 1)));
        zn_fx_check(zn_loop_move(lp, t, s, &act, &err), &err, zn_task_state_name(s));
    }
}

static void build_store(const char *db)
{
    zn_error err;
    zn_store *st = zn_fx_open(F.ctx, db);
    zn_fx_divisions(F.ctx, st);
    zn_catalogue *cat = zn_fx_catalogue();

    /* division as 12, 9 and 6 digits (stored as 12); 23:30 and 00:30 around the end of 03-15 */
    static const char *const ANTIGEN[] = {
        "%s,2022-03-15 10:00,negative,330106002000", /* 西湖区 */
        "%s,2022-03-15 23:30,negative,330106004",    /* 西湖区 */
        "%s,2022-03-16 00:30,positive,330106",       /* 西湖区 */
        "%s,2022-03-15 08:00,negative,330203001000", /* 海曙区 (宁波) */
        "%s,2022-03-16 12:00,negative,330203002000", /* 海曙区 */
        "%s,2022-03-15 09:00,negative,310101002000", /* 黄浦区 (上海) */
        "%s,2022-03-15 09:00,negative,",             /* no division */
    };
    ingest(st, cat, "antigen_test", "resident_id,test_time,result,division", ANTIGEN, 7);
    static const char *const VACC[] = {
        "%s,1,2022-03-15,330106002000",
        "%s,1,2022-03-16,330106004000",
        "%s,1,2022-03-16,330203001000",
    };
    ingest(st, cat, "vaccination", "resident_id,dose,vaccination_date,site_division", VACC, 3);
    static const char *const POP[] = {
        "%s,registered,330106002000,2022-03-20",
        "%s,floating,330203001000,",
        "%s,registered,310101002000,2022-03-01",
    };
    ingest(st, cat, "population_registry", "resident_id,residence_type,residence_division,registered_date", POP, 3);
    static const char *const SCAN[] = {
        "%s,V1,2022-03-15 09:00",
        "%s,V1,2022-03-16 09:00",
    };
    ingest(st, cat, "venue_scan", "resident_id,venue_code,scan_time", SCAN, 2);
    zn_catalogue_free(cat);

    /* tasks (epi.seal_unit: a 2-hour budget): T1 西湖区 issued 03-15 09:00, reported 09:20 and
     * closed 09:40 (on time); T2 西湖区 issued 03-15 14:00, left open (overdue from 16:00); T3 海曙区
     * issued 03-16 09:00, reported 19:20 (late), closed 19:40; T4 黄浦区 issued 03-16 09:00, open */
    zn_loop *lp;
    zn_fx_check(zn_loop_open(st, zn_test_src("data"), &lp, &err), &err, "loop");
    zn_ctx_set_now(F.ctx, march(15, 8, 0));
    zn_loop_instruction in = {.issuer = "command", .issuer_unit = "33", .reason = "test"};
    int64_t instr, t[4];
    zn_fx_check(zn_loop_instruct(lp, &in, &instr, &err), &err, "instruct");
    static const struct {
        const char *div;
        int dd, hh;
    } T[] = {{"330106002000", 15, 9}, {"330106004000", 15, 14}, {"330203001000", 16, 9}, {"310101002000", 16, 9}};
    zn_loop_act act = {.actor = "dispatcher"};
    for (int i = 0; i < 4; i++) {
        zn_ctx_set_now(F.ctx, march(T[i].dd, T[i].hh, 0));
        zn_loop_task_spec sp = {.instruction_id = instr, .template_id = "epi.seal_unit", .subject_ref = "x",
                                .assignee_kind = "division", .assignee = T[i].div, .division_code = T[i].div};
        zn_fx_check(zn_loop_issue(lp, &sp, &act, &t[i], NULL, &err), &err, "issue");
    }
    work(lp, t[0], ZN_TASK_CLOSED, 15, 9);
    work(lp, t[2], ZN_TASK_CLOSED, 16, 19);
    zn_loop_free(lp);
    zn_ctx_set_now(F.ctx, 0);

    static const zn_fx_user U[] = {{"admin", ZN_ROLE_ADMIN, "0"},
             {"zhejiang", ZN_ROLE_PROVINCE, "33"},
             {"shanghai", ZN_ROLE_PROVINCE, "31"},
             {"hangzhou", ZN_ROLE_CITY, "3301"}};
    zn_fx_users(st, U, sizeof U / sizeof U[0]);
    zn_store_close(st);
}

static int setup(void **state)
{
    (void)state;
    if (zn_ctx_new(&F.ctx) != ZN_OK)
        return -1;
    char db[512];
    snprintf(db, sizeof db, "%s/hub.db", zn_test_tmpdir());
    build_store(db);
    zn_fx_serve(F.ctx, db, &(zn_server_options){.threads = 2, .timeout = 5, .event_interval = 1}, &F.srv);
    zn_fx_login_all("admin", F.tok_admin, "zhejiang", F.tok_zj, "shanghai", F.tok_sh, "hangzhou", F.tok_hz, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zn_server_stop(F.srv);
    zn_ctx_free(F.ctx);
    return 0;
}

/* The feed `name` of a /feeds answer. */
static json_t *feed(json_t *j, const char *name)
{
    json_t *f;
    size_t i;
    json_array_foreach(json_object_get(j, "feeds"), i, f) if (!strcmp(zn_jstr(f, "name"), name)) return f;
    fail_msg("feed %s not listed", name);
    return NULL;
}

typedef struct {
    const char *feed;
    json_int_t rows; /* -1: null */
} want;

static void check_feeds(const char *query, const char *tok, const char *area, const want *w, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/feeds%s", query);
    zn_http_resp r;
    zn_http_get(&r, path, tok);
    if (r.status != 200)
        fprintf(stderr, "%s: %s\n", path, r.raw);
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(r.json, "area"), area);
    for (size_t i = 0; i < n; i++) {
        json_t *rows = json_object_get(feed(r.json, w[i].feed), "rows");
        if (w[i].rows < 0) {
            if (!json_is_null(rows))
                fprintf(stderr, "%s %s: rows not null\n", path, w[i].feed);
            assert_true(json_is_null(rows));
        } else {
            if (!json_is_integer(rows) || json_integer_value(rows) != w[i].rows)
                fprintf(stderr, "%s %s: want %lld\n", path, w[i].feed, (long long)w[i].rows);
            assert_true(json_is_integer(rows));
            assert_int_equal(json_integer_value(rows), w[i].rows);
        }
    }
    zn_http_free(&r);
}

static void test_feeds_by_area_and_day(void **state)
{
    (void)state;
    /* the country: every row; venue_scan has no division but nothing to scope it to */
    const want all[] = {{"antigen_test", 7}, {"vaccination", 3}, {"population_registry", 3}, {"venue_scan", 2}};
    check_feeds("", F.tok_admin, "000000000000", all, 4);
    const want all15[] = {{"antigen_test", 5}, {"vaccination", 1}, {"population_registry", 3}, {"venue_scan", 1}};
    check_feeds("?to=2022-03-15", F.tok_admin, "000000000000", all15, 4);
    /* Zhejiang (the province user's default area): 03-15 ends at 24:00 +08:00, so 23:30 is in
     * and 00:30 of the 16th is out; rows without a division are out below the country */
    const want zj15[] = {{"antigen_test", 3}, {"vaccination", 1}, {"population_registry", 2}, {"venue_scan", -1}};
    check_feeds("?to=2022-03-15", F.tok_zj, "330000000000", zj15, 4);
    const want zj16[] = {{"antigen_test", 5}, {"vaccination", 3}, {"population_registry", 2}, {"venue_scan", -1}};
    check_feeds("?area=33&to=2022-03-16", F.tok_zj, "330000000000", zj16, 4);
    /* Hangzhou (杭州市, 3301) and Ningbo (3302) on both days */
    const want hz15[] = {{"antigen_test", 2}, {"vaccination", 1}, {"population_registry", 1}, {"venue_scan", -1}};
    check_feeds("?area=330100&to=2022-03-15", F.tok_zj, "330100000000", hz15, 4);
    const want hz16[] = {{"antigen_test", 3}, {"vaccination", 2}, {"population_registry", 1}};
    check_feeds("?area=3301&to=2022-03-16", F.tok_zj, "330100000000", hz16, 3);
    const want nb15[] = {{"antigen_test", 1}, {"vaccination", 0}, {"population_registry", 1}};
    check_feeds("?area=330200&to=2022-03-15", F.tok_admin, "330200000000", nb15, 3);
    const want nb16[] = {{"antigen_test", 2}, {"vaccination", 1}};
    check_feeds("?area=330200&to=2022-03-16", F.tok_admin, "330200000000", nb16, 2);
    /* Shanghai sees its one row, not Zhejiang's; a day before every row: 0 */
    const want sh[] = {{"antigen_test", 1}, {"vaccination", 0}, {"population_registry", 1}, {"venue_scan", -1}};
    check_feeds("", F.tok_sh, "310000000000", sh, 4);
    const want sh14[] = {{"antigen_test", 0}, {"population_registry", 1}};
    check_feeds("?to=2022-03-14", F.tok_sh, "310000000000", sh14, 2);

    zn_http_resp r;
    zn_http_get(&r, "/api/v1/feeds?area=330100&to=2022-03-15", F.tok_zj);
    json_t *vs = feed(r.json, "venue_scan"), *at = feed(r.json, "antigen_test");
    assert_string_equal(zn_jstr(vs, "rows_null"), "no_division_column");
    assert_true(json_is_null(json_object_get(vs, "division_column")));
    assert_string_equal(zn_jstr(at, "division_column"), "division");
    assert_string_equal(zn_jstr(at, "day_column"), "test_time");
    assert_string_equal(zn_jstr(feed(r.json, "vaccination"), "day_column"), "vaccination_date");
    assert_true(json_is_null(json_object_get(feed(r.json, "population_registry"), "day_column")));
    assert_string_equal(zn_jstr(feed(r.json, "case_report"), "rows_null"), "not_ingested");
    assert_string_equal(zn_jstr(r.json, "to"), "2022-03-15");
    zn_http_free(&r);

    /* outside the scope: 403; a bad day: 400; a city role without the hub permission: no rows */
    zn_http_get(&r, "/api/v1/feeds?area=33", F.tok_sh);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds?area=310101&to=2022-03-15", F.tok_zj);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds?to=2022-3-15", F.tok_zj);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds?area=330100&to=2022-03-15", F.tok_hz);
    assert_int_equal(r.status, 200);
    assert_null(json_object_get(feed(r.json, "antigen_test"), "rows"));
    zn_http_free(&r);
}

/* The tasks block of /metrics for area and day. */
static void check_tasks(const char *tok, const char *area, const char *day, json_int_t issued, json_int_t closed,
                        json_int_t on_time, json_int_t backlog, json_int_t overdue)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/metrics?area=%s&to=%s", area, day);
    zn_http_resp r;
    zn_http_get(&r, path, tok);
    assert_int_equal(r.status, 200);
    json_t *t = json_object_get(r.json, "tasks");
    if (!t || zn_jint(t, "issued") != issued || zn_jint(t, "closed") != closed || zn_jint(t, "overdue") != overdue)
        fprintf(stderr, "%s: %s\n", path, r.body);
    assert_non_null(t);
    assert_int_equal(zn_jint(t, "issued"), issued);
    assert_int_equal(zn_jint(t, "closed"), closed);
    assert_int_equal(zn_jint(t, "on_time"), on_time);
    assert_int_equal(zn_jint(t, "backlog"), backlog);
    assert_int_equal(zn_jint(t, "overdue"), overdue);
    int y, m, d;
    sscanf(day, "%d-%d-%d", &y, &m, &d);
    assert_int_equal(zn_jint(t, "as_of"), (zn_days_from_civil(y, m, d) + 1) * 86400 - 8 * 3600);
    json_t *rate = json_object_get(t, "on_time_rate");
    if (closed)
        assert_true(json_is_real(rate) && json_real_value(rate) == (double)on_time / (double)closed);
    else
        assert_true(json_is_null(rate));
    zn_http_free(&r);
}

static void test_tasks_by_area_and_day(void **state)
{
    (void)state;
    /* before any task: zeros (the block is there, so the page does not keep another day's) */
    check_tasks(F.tok_zj, "33", "2022-03-14", 0, 0, 0, 0, 0);
    /* end of 03-15: T1 closed on time, T2 open past its 16:00 deadline */
    check_tasks(F.tok_zj, "33", "2022-03-15", 2, 1, 1, 1, 1);
    /* end of 03-16: + T3 closed late; T4 is Shanghai's */
    check_tasks(F.tok_zj, "33", "2022-03-16", 3, 2, 1, 1, 1);
    check_tasks(F.tok_zj, "330100", "2022-03-15", 2, 1, 1, 1, 1);
    check_tasks(F.tok_zj, "330100", "2022-03-16", 2, 1, 1, 1, 1);
    check_tasks(F.tok_zj, "330200", "2022-03-15", 0, 0, 0, 0, 0);
    check_tasks(F.tok_zj, "330200", "2022-03-16", 1, 1, 0, 0, 0);
    check_tasks(F.tok_hz, "330106", "2022-03-15", 2, 1, 1, 1, 1);
    check_tasks(F.tok_sh, "31", "2022-03-15", 0, 0, 0, 0, 0);
    check_tasks(F.tok_sh, "31", "2022-03-16", 1, 0, 0, 1, 1);
    check_tasks(F.tok_admin, "0", "2022-03-16", 4, 2, 1, 2, 2);

    /* outside the scope: 403 */
    zn_http_resp r;
    zn_http_get(&r, "/api/v1/metrics?area=3302&to=2022-03-16", F.tok_hz);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    /* the hub block is the whole store's and says so */
    zn_http_get(&r, "/api/v1/metrics?area=330100&to=2022-03-15", F.tok_zj);
    json_t *hub = json_object_get(r.json, "hub");
    assert_string_equal(zn_jstr(hub, "covers"), "store");
    assert_int_equal(zn_jint(hub, "files"), 4);
    assert_int_equal(zn_jint(hub, "rows_accepted"), 7 + 3 + 3 + 2);
    assert_int_equal(zn_jint(hub, "quarantined"), 0);
    zn_http_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feeds_by_area_and_day),
        cmocka_unit_test(test_tasks_by_area_and_day),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
