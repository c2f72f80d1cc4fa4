/*
 * Which stored zone run the zones routes of the HTTP API answer with, when the store keeps one run
 * per (rule set, area) (migration 8, zone_run.within_prefix; docs/server.md "Zones"), against a real
 * server on 127.0.0.1.
 *
 * Units (one place each): 甲 Pudong (310115), 乙 Huangpu (310101), 丙 and 丁 Xihu, Hangzhou (330106).
 * Runs, each with its own title and dates so the answer tells which one was read:
 *   1  r21 "r21 全国"  within ""     2022-03-01 .. 03-03  甲 sealed
 *   2  r21 "r21 杭州"  within "3301" 2022-03-02 .. 03-04  丙 sealed
 *   3  r22 "r22 上海"  within "31"   2022-04-01 .. 04-03  甲 sealed, 乙 controlled
 *   5  r22 "r22 杭州"  within "3301" 2022-04-02 .. 04-04  丙 sealed, 丁 precaution
 * The run of an area is the latest of the rule set covering it (zn_zone_run_find), else the latest
 * lying inside it: r22 gives Shanghai run 3 and Hangzhou run 5 (never the later Hangzhou run for
 * Shanghai), Zhejiang run 5 (inside), Guangdong none; r21 gives Shanghai and the country run 1,
 * Hangzhou run 2. A user asking outside its scope still gets 403. The closed loop wires r22 for
 * Shanghai's and Hangzhou's commands (zn_loop_from_zones: one instruction each), and the task list
 * shows those tasks' titles in Chinese, as the task itself does.
 */
#include "zn_test.h"
#include "zn_http.h"

#include "zhinao/div.h"
#include "zhinao/loop.h"
#include "zhinao/server.h"
#include "zhinao/zone.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    zn_ctx *ctx;
    zn_server *srv;
    char db[512];
    char tok_admin[65], tok_sh[65], tok_hz[65], tok_zj[65], tok_pd[65];
} fixture;

static fixture F;

static void build_store(void)
{
    zn_error err;
    zn_store *st = zn_fx_open(F.ctx, F.db);
    zn_fx_divisions(F.ctx, st);

    zn_zone_unit u[] = {
        {ZN_ZONE_UNIT_PLACE, "place:浦东新区:甲", "甲", "310115000000", "310115125000", 121.6, 31.2, 100, NULL},
        {ZN_ZONE_UNIT_PLACE, "place:黄浦区:乙", "乙", "310101000000", "310101013000", 121.48, 31.23, 50, NULL},
        {ZN_ZONE_UNIT_PLACE, "place:西湖区:丙", "丙", "330106000000", "330106002000", 120.13, 30.26, 10, NULL},
        {ZN_ZONE_UNIT_PLACE, "place:西湖区:丁", "丁", "330106000000", "330106002000", 120.14, 30.27, 20, NULL},
    };
    int64_t id[4];
    for (int i = 0; i < 4; i++)
        zn_fx_check(zn_zone_unit_put(st, &u[i], &id[i], &err), &err, "unit");
    zn_fx_exec(st, "INSERT INTO zone_run (id, rules, title, from_date, to_date, unit_kind, missing, buffer_m, levels,"
                   " rules_json, units, events, created_at, within_prefix) VALUES"
                   " (1, 'r21', 'r21 全国', '2022-03-01', '2022-03-03', 'place', 'pause', 0, "
                   "'[[\"sealed\",\"封控区\"],[\"controlled\",\"管控区\"],[\"precaution\",\"防范区\"]]', '{}', 4, 1, 0, ''),"
                   " (2, 'r21', 'r21 杭州', '2022-03-02', '2022-03-04', 'place', 'pause', 0, "
                   "'[[\"sealed\",\"封控区\"],[\"controlled\",\"管控区\"],[\"precaution\",\"防范区\"]]', '{}', 2, 1, 0, '3301'),"
                   " (3, 'r22', 'r22 上海', '2022-04-01', '2022-04-03', 'place', 'pause', 0, "
                   "'[[\"sealed\",\"封控区\"],[\"controlled\",\"管控区\"],[\"precaution\",\"防范区\"]]', '{}', 2, 2, 0, '31'),"
                   " (5, 'r22', 'r22 杭州', '2022-04-02', '2022-04-04', 'place', 'pause', 0, "
                   "'[[\"sealed\",\"封控区\"],[\"controlled\",\"管控区\"],[\"precaution\",\"防范区\"]]', '{}', 2, 1, 0, '3301')");
    /* run 3 is stored with a Chinese title (zone_run.title_zh from the rule set's "title_zh") */
    zn_fx_exec(st, "UPDATE zone_run SET title_zh = '上海2022年4月11日公布的“三区”划分' WHERE id = 3");
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO zone_period (run_id, unit_id, level, level_rank, entered, valid_from, valid_to, cause) VALUES"
             " (1, %lld, 'sealed', 0, '2022-03-01', '2022-03-01', '2022-03-03', 'event'),"
             " (2, %lld, 'sealed', 0, '2022-03-02', '2022-03-02', '2022-03-04', 'event'),"
             " (3, %lld, 'sealed', 0, '2022-04-01', '2022-04-01', '2022-04-03', 'event'),"
             " (3, %lld, 'controlled', 1, '2022-04-01', '2022-04-01', '2022-04-03', 'event'),"
             " (5, %lld, 'sealed', 0, '2022-04-02', '2022-04-02', '2022-04-04', 'event'),"
             " (5, %lld, 'precaution', 2, '2022-04-02', '2022-04-02', '2022-04-04', 'event')",
             (long long)id[0], (long long)id[2], (long long)id[0], (long long)id[1], (long long)id[2],
             (long long)id[3]);
    zn_fx_exec(st, sql);

    /* the closed loop reads the same runs: Shanghai's command wires 04-01 (甲, run 3), Hangzhou's
     * 04-02 (丙, run 5): seal + test each, two instructions */
    zn_loop *lp;
    zn_loop_wiring_result wr;
    zn_fx_check(zn_loop_open(st, zn_test_src("data"), &lp, &err), &err, "loop");
    zn_fx_check(zn_loop_from_zones(lp, "r22", "2022-04-01", "sh-command", "310000", &wr, &err), &err, "wire sh");
    int64_t sh = wr.instruction_id;
    if (wr.run_id != 3 || wr.tasks != 2) {
        fprintf(stderr, "fixture: Shanghai wiring read run %lld, made %lld tasks\n", (long long)wr.run_id,
                (long long)wr.tasks);
        abort();
    }
    zn_fx_check(zn_loop_from_zones(lp, "r22", "2022-04-02", "hz-command", "330100", &wr, &err), &err, "wire hz");
    if (wr.run_id != 5 || wr.tasks != 2 || wr.instruction_id == sh) {
        fprintf(stderr, "fixture: Hangzhou wiring read run %lld, made %lld tasks\n", (long long)wr.run_id,
                (long long)wr.tasks);
        abort();
    }
    zn_loop_free(lp);

    static const zn_fx_user U[] = {
        {"admin", ZN_ROLE_ADMIN, "0"},          {"shanghai", ZN_ROLE_PROVINCE, "31"},
        {"hangzhou", ZN_ROLE_CITY, "3301"},     {"zhejiang", ZN_ROLE_PROVINCE, "33"},
        {"pudong", ZN_ROLE_COUNTY, "310115"},
    };
    zn_fx_users(st, U, sizeof U / sizeof U[0]);
    zn_store_close(st);
}

static int setup(void **state)
{
    (void)state;
    if (zn_ctx_new(&F.ctx) != ZN_OK)
        return -1;
    snprintf(F.db, sizeof F.db, "%s/server_zone_runs.db", zn_test_tmpdir());
    build_store();
    zn_fx_serve(F.ctx, F.db, &(zn_server_options){.threads = 2, .timeout = 5, .event_interval = 1}, &F.srv);
    zn_fx_login_all("admin", F.tok_admin, "shanghai", F.tok_sh, "hangzhou", F.tok_hz, "zhejiang", F.tok_zj, "pudong",
                    F.tok_pd, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zn_server_stop(F.srv);
    zn_ctx_free(F.ctx);
    return 0;
}

static void get_ok(zn_http_resp *r, const char *path, const char *token)
{
    zn_http_get(r, path, token);
    if (r->status != 200 || !r->json)
        fprintf(stderr, "GET %s: %s\n", path, r->raw);
    assert_int_equal(r->status, 200);
    assert_non_null(r->json);
}

/* GET /zones/days answers with the run titled `title` over from .. to, and `sealed` units sealed
 * on its first day. */
static void days_run(const char *path, const char *token, const char *title, const char *from, const char *to,
                     int sealed)
{
    zn_http_resp r;
    get_ok(&r, path, token);
    if (strcmp(zn_jstr(r.json, "title"), title))
        fprintf(stderr, "GET %s: %s\n", path, r.body);
    assert_string_equal(zn_jstr(r.json, "title"), title);
    assert_string_equal(zn_jstr(r.json, "from"), from);
    assert_string_equal(zn_jstr(r.json, "to"), to);
    json_t *days = json_object_get(r.json, "days");
    assert_int_equal(json_array_size(days), 3);
    assert_string_equal(zn_jstr(json_array_get(days, 0), "date"), from);
    if (zn_jint(json_object_get(json_array_get(days, 0), "counts"), "sealed") != sealed)
        fprintf(stderr, "GET %s: %s\n", path, r.body);
    assert_int_equal(zn_jint(json_object_get(json_array_get(days, 0), "counts"), "sealed"), sealed);
    zn_http_free(&r);
}

static void test_runs_list(void **state)
{
    (void)state;
    zn_http_resp r;
    get_ok(&r, "/api/v1/zones/runs", F.tok_admin);
    json_t *rows = json_object_get(r.json, "rows");
    assert_int_equal(json_array_size(rows), 4);
    static const struct {
        int id;
        const char *rules, *within, *title;
    } want[] = {{1, "r21", "", "r21 全国"}, {2, "r21", "3301", "r21 杭州"}, {3, "r22", "31", "r22 上海"},
                {5, "r22", "3301", "r22 杭州"}};
    for (size_t i = 0; i < 4; i++) {
        json_t *x = json_array_get(rows, i);
        assert_int_equal(zn_jint(x, "id"), want[i].id);
        assert_string_equal(zn_jstr(x, "rules"), want[i].rules);
        assert_non_null(json_object_get(x, "within"));
        assert_string_equal(zn_jstr(x, "within"), want[i].within);
        assert_string_equal(zn_jstr(x, "title"), want[i].title);
        assert_string_equal(zn_jstr(x, "title_zh"), want[i].id == 3 ? "上海2022年4月11日公布的“三区”划分" : "");
    }
    zn_http_free(&r);
    /* a user sees only the runs about their area: Shanghai gets the country run and its own (1, 3),
     * Hangzhou the country run and its two (1, 2, 5); Zhejiang asking for Hangzhou the same 3 */
    static const struct {
        const char *path, *tok_name;
        int n, ids[3];
    } seen[] = {{"/api/v1/zones/runs", "sh", 2, {1, 3}},
                {"/api/v1/zones/runs", "hz", 3, {1, 2, 5}},
                {"/api/v1/zones/runs?area=330100", "zj", 3, {1, 2, 5}}};
    for (size_t k = 0; k < sizeof seen / sizeof seen[0]; k++) {
        const char *tok = !strcmp(seen[k].tok_name, "sh") ? F.tok_sh : !strcmp(seen[k].tok_name, "hz") ? F.tok_hz : F.tok_zj;
        get_ok(&r, seen[k].path, tok);
        rows = json_object_get(r.json, "rows");
        assert_int_equal(json_array_size(rows), seen[k].n);
        for (int i = 0; i < seen[k].n; i++)
            assert_int_equal(zn_jint(json_array_get(rows, (size_t)i), "id"), seen[k].ids[i]);
        assert_null(strstr(r.body, !strcmp(seen[k].tok_name, "sh") ? "杭州" : "上海"));
        zn_http_free(&r);
    }
}

static void test_run_per_area(void **state)
{
    (void)state;
    /* r22: Shanghai (asked for, or the caller's scope) gets run 3 though run 5 is later */
    days_run("/api/v1/zones/days?rules=r22&area=310000", F.tok_admin, "r22 上海", "2022-04-01", "2022-04-03", 1);
    days_run("/api/v1/zones/days?rules=r22&area=310000000000", F.tok_sh, "r22 上海", "2022-04-01", "2022-04-03", 1);
    days_run("/api/v1/zones/days?rules=r22", F.tok_sh, "r22 上海", "2022-04-01", "2022-04-03", 1);
    days_run("/api/v1/zones/days?rules=r22", F.tok_pd, "r22 上海", "2022-04-01", "2022-04-03", 1);
    /* Hangzhou and Xihu: run 5 (丙 sealed from 04-02) */
    days_run("/api/v1/zones/days?rules=r22&area=330100", F.tok_admin, "r22 杭州", "2022-04-02", "2022-04-04", 1);
    days_run("/api/v1/zones/days?rules=r22&area=330106", F.tok_hz, "r22 杭州", "2022-04-02", "2022-04-04", 1);
    days_run("/api/v1/zones/days?rules=r22", F.tok_hz, "r22 杭州", "2022-04-02", "2022-04-04", 1);
    /* Zhejiang: no run covers it, run 5 lies inside it */
    days_run("/api/v1/zones/days?rules=r22", F.tok_zj, "r22 杭州", "2022-04-02", "2022-04-04", 1);
    /* r21: the run without area covers Shanghai and the country; Hangzhou has its later own */
    days_run("/api/v1/zones/days?rules=r21&area=310115", F.tok_admin, "r21 全国", "2022-03-01", "2022-03-03", 1);
    days_run("/api/v1/zones/days?rules=r21&area=330106", F.tok_admin, "r21 杭州", "2022-03-02", "2022-03-04", 1);
    days_run("/api/v1/zones/days?rules=r21&area=440000", F.tok_admin, "r21 全国", "2022-03-01", "2022-03-03", 0);
    /* no rule set named: the latest run covering the area, of any rule set */
    days_run("/api/v1/zones/days?area=310115", F.tok_admin, "r22 上海", "2022-04-01", "2022-04-03", 1);
    days_run("/api/v1/zones/days?area=330106", F.tok_admin, "r22 杭州", "2022-04-02", "2022-04-04", 1);

    /* the map of one day: Shanghai's units from run 3 only, Hangzhou's from run 5 only */
    zn_http_resp r;
    get_ok(&r, "/api/v1/zones?rules=r22&day=2022-04-02&area=310000", F.tok_sh);
    json_t *f = json_object_get(r.json, "features");
    assert_int_equal(json_array_size(f), 2);
    assert_string_equal(zn_jstr(json_object_get(json_array_get(f, 0), "properties"), "unit"), "place:浦东新区:甲");
    assert_string_equal(zn_jstr(json_object_get(json_array_get(f, 1), "properties"), "unit"), "place:黄浦区:乙");
    assert_int_equal(zn_jint(json_object_get(r.json, "counts"), "sealed"), 1);
    assert_int_equal(zn_jint(json_object_get(r.json, "counts"), "controlled"), 1);
    assert_null(strstr(r.body, "西湖区"));
    assert_string_equal(zn_jstr(r.json, "title"), "r22 上海");
    assert_string_equal(zn_jstr(r.json, "title_zh"), "上海2022年4月11日公布的“三区”划分");
    zn_http_free(&r);
    get_ok(&r, "/api/v1/zones/days?rules=r22&area=310000", F.tok_sh);
    assert_string_equal(zn_jstr(r.json, "title_zh"), "上海2022年4月11日公布的“三区”划分");
    zn_http_free(&r);
    get_ok(&r, "/api/v1/zones/days?rules=r22&area=330100", F.tok_admin);
    assert_string_equal(zn_jstr(r.json, "title_zh"), ""); /* a run stored without one */
    zn_http_free(&r);
    get_ok(&r, "/api/v1/zones?rules=r22&day=2022-04-02&area=330100", F.tok_admin);
    f = json_object_get(r.json, "features");
    assert_int_equal(json_array_size(f), 2);
    assert_string_equal(zn_jstr(json_object_get(json_array_get(f, 0), "properties"), "unit"), "place:西湖区:丙");
    assert_string_equal(zn_jstr(json_object_get(json_array_get(f, 1), "properties"), "unit"), "place:西湖区:丁");
    assert_int_equal(zn_jint(json_object_get(r.json, "counts"), "precaution"), 1);
    zn_http_free(&r);
    /* 04-04 is inside Hangzhou's run but after Shanghai's */
    zn_http_get(&r, "/api/v1/zones?rules=r22&day=2022-04-04&area=310000", F.tok_admin);
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    get_ok(&r, "/api/v1/zones?rules=r22&day=2022-04-04&area=330000", F.tok_zj);
    assert_int_equal(json_array_size(json_object_get(r.json, "features")), 2);
    zn_http_free(&r);

    /* Guangdong: no run of r22 covers it or lies inside it; the answer names the areas */
    zn_http_get(&r, "/api/v1/zones/days?rules=r22&area=440000", F.tok_admin);
    zn_http_assert_error(&r, 404, "not_found");
    assert_non_null(strstr(r.body, "3301"));
    zn_http_free(&r);
}

static void test_scope_unchanged(void **state)
{
    (void)state;
    const struct {
        const char *path, *tok;
    } c[] = {{"/api/v1/zones/days?rules=r22&area=330100", F.tok_sh},
             {"/api/v1/zones?rules=r22&day=2022-04-02&area=3301", F.tok_sh},
             {"/api/v1/zones/runs?area=330000", F.tok_pd},
             {"/api/v1/zones/days?rules=r22&area=310101", F.tok_pd}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        zn_http_resp r;
        zn_http_get(&r, c[i].path, c[i].tok);
        zn_http_assert_error(&r, 403, "forbidden");
        zn_http_free(&r);
    }
    /* Hangzhou asking for the country is outside its scope too */
    zn_http_resp r;
    zn_http_get(&r, "/api/v1/zones/days?rules=r21&area=0", F.tok_hz);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
}

/* The task list writes its rows itself: a task with the template's title shows the template's
 * Chinese name (zn_loop_template_title), as the task itself does. */
static void test_task_titles(void **state)
{
    (void)state;
    const struct {
        const char *tok, *division;
    } who[] = {{F.tok_sh, "310115125000"}, {F.tok_hz, "330106002000"}};
    for (size_t w = 0; w < 2; w++) {
        zn_http_resp r;
        get_ok(&r, "/api/v1/tasks?limit=200", who[w].tok);
        json_t *items = json_object_get(r.json, "items");
        assert_int_equal(json_array_size(items), 2); /* seal + test of the area's one unit */
        int seal = 0, test = 0;
        for (size_t i = 0; i < 2; i++) {
            json_t *it = json_array_get(items, i);
            const char *tpl = zn_jstr(it, "template_id");
            const char *want = !strcmp(tpl, "epi.seal_unit") ? "封控单元并设岗值守" : "区域全员核酸检测";
            seal += !strcmp(tpl, "epi.seal_unit");
            test += !strcmp(tpl, "epi.test_zone");
            assert_string_equal(zn_jstr(it, "title"), want);
            assert_string_equal(zn_jstr(it, "title_zh"), want);
            assert_string_equal(zn_jstr(it, "division_code"), who[w].division);
            char path[64];
            snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)zn_jint(it, "id"));
            zn_http_resp d;
            get_ok(&d, path, who[w].tok);
            assert_string_equal(zn_jstr(json_object_get(d.json, "task"), "title"), want);
            zn_http_free(&d);
        }
        assert_int_equal(seal, 1);
        assert_int_equal(test, 1);
        zn_http_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_list),
        cmocka_unit_test(test_run_per_area),
        cmocka_unit_test(test_scope_unchanged),
        cmocka_unit_test(test_task_titles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
