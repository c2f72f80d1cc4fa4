/*
 * The HTTP API against a real server on 127.0.0.1 (an ephemeral port), started and stopped by the
 * test, over a small store: the real division registry, a few rows of the real Shanghai 2022 lists
 * and geocodes (Pudong and Huangpu) ingested through the hub and linked by place, a few case
 * reports (Pudong, Huangpu, Hangzhou) with valid ID numbers, tasks in Pudong and Huangpu, and
 * users of every kind. Expected counts are hand-counted from the fixture below.
 */
#include "zn_test.h"
#include "zn_http.h"

#include "zhinao/div.h"
#include "zhinao/hub.h"
#include "zhinao/ident.h"
#include "zhinao/loop.h"
#include "zhinao/place.h"
#include "zhinao/server.h"
#include "zhinao/stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ fixture ---- */

static const char GEOCODE[] =
    "district,address,complete_address,gcj02_lng,gcj02_lat,wgs84_lng,wgs84_lat,township\n"
    "浦东新区,张东路2281弄,上海市浦东新区张东路2281弄,121.63742,31.201487,121.6331938,31.20367194,张江镇\n"
    "浦东新区,上南路3520弄,上海市浦东新区上南路3520弄,121.500299,31.154022,121.4958753,31.1560795,三林镇\n"
    "黄浦区,广东路138号,上海市黄浦区广东路138号,121.48809,31.234012,121.4835998,31.23597958,外滩街道\n";

/* Pudong: 3 rows (张江镇 2, 三林镇 1); Huangpu: 3 rows (外滩街道 2, one address without coordinates) */
static const char RESIDENCES[] = "date,district,address\n"
                                 "20220401,浦东新区,张东路2281弄\n"
                                 "20220401,浦东新区,上南路3520弄\n"
                                 "20220402,浦东新区,张东路2281弄\n"
                                 "20220401,黄浦区,广东路138号\n"
                                 "20220403,黄浦区,广东路138号\n"
                                 "20220403,黄浦区,无此路1号\n";

typedef struct fixture {
    zn_ctx *ctx;
    zn_server *srv;
    unsigned port;
    char id_pd[19], id_hp[19], id_hz[19]; /* resident ID numbers of the case reports */
    int64_t task_pd, task_hp;
    char tok_admin[65], tok_pd[65], tok_hp[65], tok_zj[65], tok_epi[65], tok_grid[65], tok_audit[65], tok_sh[65];
} fixture;

static fixture F;

static void build_store(const char *db)
{
    zn_error err;
    zn_store *st = zn_fx_open(F.ctx, db);
    zn_fx_divisions(F.ctx, st);
    zn_catalogue *cat = zn_fx_catalogue();
    zn_fx_ingest(st, cat, "address_geocode", "geo.csv", GEOCODE);
    zn_fx_ingest(st, cat, "case_residence_list", "res.csv", RESIDENCES);
    zn_fx_make_id("31011519900101123", F.id_pd);
    zn_fx_make_id("31010119851231234", F.id_hp);
    zn_fx_make_id("33010619790615345", F.id_hz);
    char reports[2048];
    snprintf(reports, sizeof reports,
             "case_id,resident_id,name,mobile,classification,diagnosis_time,report_time,residence_division\n"
             "C-PD1,%s,张三,13812345678,confirmed,2022-04-01 10:00,2022-04-01 12:00,310115125000\n"
             "C-HP1,%s,李四,13987654321,asymptomatic,2022-04-02 09:00,2022-04-02 11:00,310101013000\n"
             "C-HZ1,%s,王五,15011112222,confirmed,2022-04-03 08:00,2022-04-03 09:30,330106000000\n",
             F.id_pd, F.id_hp, F.id_hz);
    zn_fx_ingest(st, cat, "case_report", "reports.csv", reports);
    zn_catalogue_free(cat);
    zn_fx_check(zn_place_link_case_residence(st, 2021, "31", NULL, &err), &err, "link");

    /* one task in Pudong (张江镇) and one in Huangpu (外滩街道) */
    zn_loop *lp;
    zn_fx_check(zn_loop_open(st, zn_test_src("data"), &lp, &err), &err, "loop");
    zn_loop_instruction in = {.issuer = "sh-command", .issuer_unit = "31", .reason = "cases C-PD1, C-HP1"};
    int64_t instr;
    zn_fx_check(zn_loop_instruct(lp, &in, &instr, &err), &err, "instruct");
    zn_loop_act act = {.actor = "dispatcher"};
    zn_loop_task_spec a = {.instruction_id = instr, .template_id = "epi.seal_unit", .subject_ref = "C-PD1",
                           .assignee_kind = "division", .assignee = "310115125000", .division_code = "310115125000"};
    zn_fx_check(zn_loop_issue(lp, &a, &act, &F.task_pd, NULL, &err), &err, "issue pd");
    zn_loop_task_spec b = a;
    b.subject_ref = "C-HP1";
    b.assignee = b.division_code = "310101013000";
    zn_fx_check(zn_loop_issue(lp, &b, &act, &F.task_hp, NULL, &err), &err, "issue hp");
    zn_loop_free(lp);

    static const zn_fx_user U[] = {
        {"admin", ZN_ROLE_ADMIN, "0"},           {"pudong", ZN_ROLE_COUNTY, "310115"},
        {"huangpu", ZN_ROLE_COUNTY, "310101"},   {"zhejiang", ZN_ROLE_PROVINCE, "33"},
        {"epi", ZN_ROLE_EPIDEMIOLOGIST, "31"},   {"grid", ZN_ROLE_GRID_WORKER, "310115125"},
        {"auditor", ZN_ROLE_AUDITOR, "0"},       {"shanghai", ZN_ROLE_PROVINCE, "31"},
        {"locked", ZN_ROLE_COUNTY, "310101"},
    };
    zn_fx_users(st, U, sizeof U / sizeof U[0]);
    zn_store_close(st);
}

/* ------------------------------------------------------------ HTTP client ---- */

typedef zn_http_resp resp;

static int setup(void **state)
{
    (void)state;
    if (zn_ctx_new(&F.ctx) != ZN_OK)
        return -1;
    char db[512];
    snprintf(db, sizeof db, "%s/server.db", zn_test_tmpdir());
    build_store(db);
    zn_server_options tuning = {.threads = 4, .max_body = 4096, .timeout = 2, .login_max_failures = 3,
                                .event_interval = 1};
    F.port = zn_fx_serve(F.ctx, db, &tuning, &F.srv);
    zn_fx_login_all("admin", F.tok_admin, "pudong", F.tok_pd, "huangpu", F.tok_hp, "zhejiang", F.tok_zj, "epi",
                    F.tok_epi, "grid", F.tok_grid, "auditor", F.tok_audit, "shanghai", F.tok_sh, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zn_server_stop(F.srv);
    zn_ctx_free(F.ctx);
    return 0;
}

/* ------------------------------------------------------------ tests ---- */

static void test_errors_are_json(void **state)
{
    (void)state;
    resp r;
    zn_http_get(&r, "/api/v1/health", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(r.json, "api"), "v1");
    assert_string_equal(zn_http_header(&r, "X-Content-Type-Options"), "nosniff");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/cases", NULL); /* no session */
    zn_http_assert_error(&r, 401, "unauthorized");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/cases", "0000000000000000000000000000000000000000000000000000000000000000");
    zn_http_assert_error(&r, 401, "unauthorized");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/no-such-thing", F.tok_sh);
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v2/cases", F.tok_sh);
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    zn_http_req(&r, "DELETE", "/api/v1/cases", F.tok_sh, NULL, NULL);
    zn_http_assert_error(&r, 405, "method_not_allowed");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/cases?date=2022-4-1", F.tok_sh);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/divisions?area=31x", F.tok_sh);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
}

static void test_login_logout(void **state)
{
    (void)state;
    resp r;
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"pudong\",\"password\":\"wrong password!\"}");
    zn_http_assert_error(&r, 401, "unauthorized");
    assert_null(zn_http_header(&r, "Set-Cookie"));
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"nobody\",\"password\":\"correct horse battery\"}");
    zn_http_assert_error(&r, 401, "unauthorized");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"pudong\",\"password\":\"correct horse battery\"}");
    assert_int_equal(r.status, 200);
    const char *cookie = zn_http_header(&r, "Set-Cookie");
    assert_non_null(cookie);
    assert_non_null(strstr(cookie, "zn_session="));
    assert_non_null(strstr(cookie, "HttpOnly"));
    assert_non_null(strstr(cookie, "SameSite=Strict"));
    char tok[65];
    snprintf(tok, sizeof tok, "%s", zn_jstr(r.json, "token"));
    assert_string_equal(zn_jstr(json_object_get(r.json, "user"), "role"), "county");
    zn_http_free(&r);

    /* the cookie works as well as the bearer token */
    int fd = zn_http_dial();
    char head[512];
    int n = snprintf(head, sizeof head, "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: zn_session=%s\r\n\r\n", tok);
    zn_http_send_all(fd, head, (size_t)n);
    size_t len;
    zn_http_parse(&r, zn_http_read_all(fd, 5000, &len));
    close(fd);
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(r.json, "name"), "pudong");
    assert_string_equal(zn_jstr(r.json, "prefix"), "310115");
    zn_http_free(&r);

    zn_http_req(&r, "POST", "/api/v1/logout", tok, NULL, "{}");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(zn_http_header(&r, "Set-Cookie"), "Max-Age=0"));
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/me", tok); /* revoked */
    zn_http_assert_error(&r, 401, "unauthorized");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/me", F.tok_pd); /* other sessions of the user live on */
    assert_int_equal(r.status, 200);
    zn_http_free(&r);
}

static void test_login_rate_limit(void **state)
{
    (void)state;
    resp r;
    /* 3 failures allowed per name in the window (options above), then 429 even with the right password */
    for (int i = 0; i < 3; i++) {
        zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"locked\",\"password\":\"guess guess guess\"}");
        zn_http_assert_error(&r, 401, "unauthorized");
        zn_http_free(&r);
    }
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"locked\",\"password\":\"correct horse battery\"}");
    zn_http_assert_error(&r, 429, "too_many_requests");
    const char *ra = zn_http_header(&r, "Retry-After");
    assert_non_null(ra);
    assert_true(atoi(ra) > 0 && atoi(ra) <= 900);
    zn_http_free(&r);
    /* other names are not locked (the per-client limit is 9) */
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"huangpu\",\"password\":\"correct horse battery\"}");
    assert_int_equal(r.status, 200);
    zn_http_free(&r);
}

/* Every data route, asked by the Pudong user about Huangpu: 403. */
static void test_scope_pudong_not_huangpu(void **state)
{
    (void)state;
    static const char *paths[] = {
        "/api/v1/divisions?area=310101",
        "/api/v1/divisions/310101",
        "/api/v1/divisions/31",
        "/api/v1/divisions?area=0",
        "/api/v1/boundaries/310101",
        "/api/v1/boundaries?area=31",
        "/api/v1/cases?area=310101",
        "/api/v1/cases?area=310101013",
        "/api/v1/cases/daily?area=310101",
        "/api/v1/cases/points?area=310101",
        "/api/v1/rt?area=310101",
        "/api/v1/alerts?area=310101",
        "/api/v1/metrics?area=310101",
        "/api/v1/feeds/case_report/rows?area=310101&why=check",
        "/api/v1/tasks?area=310101",
        "/api/v1/tasks/metrics?area=310101",
        NULL,
    };
    resp r;
    for (int i = 0; paths[i]; i++) {
        zn_http_get(&r, paths[i], F.tok_pd);
        zn_http_assert_error(&r, 403, "forbidden");
        zn_http_free(&r);
    }
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)F.task_hp);
    zn_http_get(&r, path, F.tok_pd);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/move", (long long)F.task_hp);
    zn_http_req(&r, "POST", path, F.tok_pd, NULL, "{\"to\":\"cancelled\"}");
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);

    /* and what the Pudong user does see holds only Pudong */
    zn_http_get(&r, "/api/v1/cases?limit=100", F.tok_pd);
    assert_int_equal(r.status, 200);
    assert_int_equal(zn_jint(r.json, "total"), 3);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r.json, "items"), i, it)
    {
        assert_string_equal(zn_jstr(it, "district"), "浦东新区");
        assert_string_equal(zn_jstr(it, "county_code"), "310115000000");
    }
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/divisions", F.tok_pd);
    assert_int_equal(r.status, 200);
    json_t *d = json_object_get(r.json, "division");
    assert_string_equal(zn_jstr(d, "name"), "浦东新区");
    assert_int_equal(zn_jint(d, "cases"), 3);
    json_array_foreach(json_object_get(r.json, "children"), i, it)
    {
        if (!strcmp(zn_jstr(it, "name"), "张江镇"))
            assert_int_equal(zn_jint(it, "cases"), 2);
        else if (!strcmp(zn_jstr(it, "name"), "三林镇"))
            assert_int_equal(zn_jint(it, "cases"), 1);
        else
            assert_int_equal(zn_jint(it, "cases"), 0);
        assert_memory_equal(zn_jstr(it, "code"), "310115", 6);
    }
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/tasks", F.tok_pd);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_int_equal(zn_jint(json_array_get(json_object_get(r.json, "items"), 0), "id"), F.task_pd);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds/case_report/rows?why=tracing%20C-PD1", F.tok_pd);
    assert_int_equal(r.status, 200);
    assert_int_equal(zn_jint(r.json, "total"), 1);
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "items"), 0), "case_id"), "C-PD1");
    zn_http_free(&r);
}

/* A Zhejiang user sees nothing of Shanghai. */
static void test_scope_zhejiang_sees_no_shanghai(void **state)
{
    (void)state;
    resp r;
    zn_http_get(&r, "/api/v1/cases", F.tok_zj);
    assert_int_equal(r.status, 200);
    assert_int_equal(zn_jint(r.json, "total"), 0);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/cases/daily", F.tok_zj);
    assert_int_equal(zn_jint(r.json, "total"), 0);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/cases/points", F.tok_zj);
    assert_int_equal(json_array_size(json_object_get(r.json, "points")), 0);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/divisions", F.tok_zj);
    assert_string_equal(zn_jstr(json_object_get(r.json, "division"), "name"), "浙江省");
    assert_int_equal(zn_jint(json_object_get(r.json, "division"), "cases"), 0);
    assert_int_equal(json_array_size(json_object_get(r.json, "children")), 11); /* 11 cities */
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/tasks", F.tok_zj);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds/case_report/rows?why=review", F.tok_zj);
    assert_int_equal(zn_jint(r.json, "total"), 1);
    assert_string_equal(zn_jstr(json_array_get(json_object_get(r.json, "items"), 0), "case_id"), "C-HZ1");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/boundaries", F.tok_zj); /* Zhejiang's 11 city polygons, no Shanghai district */
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "features")), 11);
    assert_null(strstr(r.body, "\"310"));
    zn_http_free(&r);
    static const char *no[] = {"/api/v1/divisions?area=31", "/api/v1/cases?area=310115", "/api/v1/boundaries/310000",
                               "/api/v1/rt?area=31", "/api/v1/cases/daily?area=3101", NULL};
    for (int i = 0; no[i]; i++) {
        zn_http_get(&r, no[i], F.tok_zj);
        zn_http_assert_error(&r, 403, "forbidden");
        zn_http_free(&r);
    }
    /* the country-wide admin sees both provinces */
    zn_http_get(&r, "/api/v1/divisions", F.tok_admin);
    assert_int_equal(json_array_size(json_object_get(r.json, "children")), 2);
    assert_int_equal(zn_jint(json_object_get(r.json, "division"), "cases"), 6);
    zn_http_free(&r);
}

static json_t *first_item(resp *r)
{
    return json_array_get(json_object_get(r->json, "items"), 0);
}

static void test_masking_by_role(void **state)
{
    (void)state;
    resp r;
    char masked_id[19];
    zn_mask_resident_id(F.id_pd, masked_id, sizeof masked_id);
    assert_memory_equal(masked_id, "310115********", 14);
    zn_http_get(&r, "/api/v1/feeds/case_report/rows?why=county%20review", F.tok_pd); /* county command: both masked */
    assert_string_equal(zn_jstr(first_item(&r), "resident_id"), masked_id);
    assert_string_equal(zn_jstr(first_item(&r), "mobile"), "138****5678");
    assert_true(json_is_true(json_object_get(json_object_get(r.json, "masked"), "resident_id")));
    assert_null(strstr(r.raw, F.id_pd));
    assert_null(strstr(r.raw, "13812345678"));
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds/case_report/rows?why=call%20the%20case", F.tok_grid); /* grid worker: the phone */
    assert_int_equal(zn_jint(r.json, "total"), 1);
    assert_string_equal(zn_jstr(first_item(&r), "resident_id"), masked_id);
    assert_string_equal(zn_jstr(first_item(&r), "mobile"), "13812345678");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds/case_report/rows?why=epi%20investigation&area=310115", F.tok_epi); /* both clear */
    assert_string_equal(zn_jstr(first_item(&r), "resident_id"), F.id_pd);
    assert_string_equal(zn_jstr(first_item(&r), "mobile"), "13812345678");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds/case_report/rows", F.tok_epi); /* no reason given */
    zn_http_assert_error(&r, 400, "why_required");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds/case_report/rows?why=x", F.tok_audit); /* auditors read the log, not persons */
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
}

static void test_audit_log(void **state)
{
    (void)state;
    resp r;
    char path[256];
    zn_http_get(&r, "/api/v1/feeds/case_report/rows?why=audit%20trail%20test&area=310101", F.tok_epi);
    assert_int_equal(r.status, 200);
    int64_t rid = zn_jint(first_item(&r), "_id");
    zn_http_free(&r);
    snprintf(path, sizeof path, "/api/v1/audit?user=epi&action=read_person&object=feed_case_report%%23%lld",
             (long long)rid);
    zn_http_get(&r, path, F.tok_audit);
    assert_int_equal(r.status, 200);
    assert_true(zn_jint(r.json, "total") >= 1);
    json_t *e = first_item(&r); /* newest first */
    assert_string_equal(zn_jstr(e, "user"), "epi");
    assert_string_equal(zn_jstr(e, "role"), "epidemiologist");
    assert_string_equal(zn_jstr(e, "why"), "audit trail test");
    assert_string_equal(zn_jstr(e, "client"), "127.0.0.1");
    char obj[64];
    snprintf(obj, sizeof obj, "feed_case_report#%lld", (long long)rid);
    assert_string_equal(zn_jstr(e, "object"), obj);
    assert_true(zn_jint(e, "at") > 1600000000);
    zn_http_free(&r);
    /* one row per record read: the grid worker read one record above */
    zn_http_get(&r, "/api/v1/audit?user=grid&action=read_person", F.tok_audit);
    assert_int_equal(zn_jint(r.json, "total"), 1);
    assert_string_equal(zn_jstr(first_item(&r), "why"), "call the case");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/audit?action=login_failed&user=locked", F.tok_audit);
    assert_int_equal(zn_jint(r.json, "total"), 3);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/audit", F.tok_pd);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);

    /* the table refuses changes */
    char db[512];
    snprintf(db, sizeof db, "%s/server.db", zn_test_tmpdir());
    zn_store *st;
    zn_error err;
    assert_int_equal(zn_store_open(F.ctx, db, &st, &err), ZN_OK);
    assert_int_equal(zn_store_exec(st, "UPDATE audit_log SET why = 'nothing'", &err), ZN_ESTORE);
    assert_non_null(strstr(err.msg, "append-only"));
    assert_int_equal(zn_store_exec(st, "DELETE FROM audit_log", &err), ZN_ESTORE);
    zn_store_close(st);
}

static void test_pagination(void **state)
{
    (void)state;
    resp r;
    zn_http_get(&r, "/api/v1/cases?limit=2", F.tok_sh);
    assert_int_equal(zn_jint(r.json, "total"), 6);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    assert_int_equal(zn_jint(r.json, "next_offset"), 2);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/cases?limit=4&offset=4", F.tok_sh);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    assert_true(json_is_null(json_object_get(r.json, "next_offset")));
    /* ordered by date: the last two are Huangpu's 2022-04-03 rows */
    assert_string_equal(zn_jstr(first_item(&r), "date"), "2022-04-03");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/cases?limit=100&offset=10", F.tok_sh);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    zn_http_free(&r);
    static const char *bad[] = {"/api/v1/cases?limit=0", "/api/v1/cases?limit=abc", "/api/v1/cases?offset=-1",
                                "/api/v1/cases?limit=1e3", NULL};
    for (int i = 0; bad[i]; i++) {
        zn_http_get(&r, bad[i], F.tok_sh);
        zn_http_assert_error(&r, 400, "bad_request");
        zn_http_free(&r);
    }
    zn_http_get(&r, "/api/v1/cases?limit=999999", F.tok_sh); /* capped, not refused */
    assert_int_equal(zn_jint(r.json, "limit"), 10000);
    zn_http_free(&r);
}

static void test_cases_and_stats(void **state)
{
    (void)state;
    resp r;
    zn_http_get(&r, "/api/v1/cases/daily?area=310101&from=2022-04-01&to=2022-04-04", F.tok_sh);
    assert_int_equal(r.status, 200);
    json_t *d = json_object_get(r.json, "dates"), *n = json_object_get(r.json, "counts");
    assert_int_equal(json_array_size(d), 4); /* the gap day 04-02 and the trailing 04-04 are filled with 0 */
    static const int want[] = {1, 0, 2, 0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_array_get(n, (size_t)i)), want[i]);
    assert_string_equal(json_string_value(json_array_get(d, 1)), "2022-04-02");
    zn_http_free(&r);
    /* points: GCJ-02 coordinates, the two rows at 张东路2281弄 on one point */
    zn_http_get(&r, "/api/v1/cases/points?area=310115125", F.tok_sh);
    json_t *p = json_object_get(r.json, "points");
    assert_int_equal(json_array_size(p), 1);
    assert_double_near(json_real_value(json_array_get(json_array_get(p, 0), 0)), 121.63742, 1e-9);
    assert_double_near(json_real_value(json_array_get(json_array_get(p, 0), 1)), 31.201487, 1e-9);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(p, 0), 2)), 2);
    assert_string_equal(zn_jstr(r.json, "crs"), "GCJ-02");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/divisions?area=310101", F.tok_sh); /* one residence without coordinates */
    json_t *dv = json_object_get(r.json, "division");
    assert_int_equal(zn_jint(dv, "cases"), 3);
    assert_int_equal(zn_jint(dv, "cases_with_coordinates"), 2);
    assert_int_equal(zn_jint(dv, "cases_not_in_a_child"), 1); /* no township code without an address match */
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/rt?area=31", F.tok_sh); /* 3 days of data: not enough for Rt */
    zn_http_assert_error(&r, 400, "rt_too_few_days");
    assert_int_equal(zn_jint(r.json, "days"), 3);
    assert_int_equal(zn_jint(r.json, "need"), 8);
    zn_http_free(&r);
    /* with the range given, 13 days (3, 1, 2, then 0s; fewer days cut the serial interval below a
     * sum of 0.99): Rt and a 14-day renewal projection after 2022-04-13 that gives the numbers of
     * zn_rt_project on the same series, R from the last window */
    zn_http_get(&r, "/api/v1/rt?area=31&from=2022-04-01&to=2022-04-13", F.tok_sh);
    assert_int_equal(r.status, 200);
    json_t *pj = json_object_get(r.json, "projection");
    assert_true(json_is_object(pj));
    assert_int_equal(zn_jint(pj, "horizon"), 14);
    assert_int_equal(zn_jint(pj, "seed"), 1);
    assert_int_equal(zn_jint(pj, "sims"), 1000);
    json_t *pd = json_object_get(pj, "dates");
    assert_int_equal(json_array_size(pd), 14);
    assert_string_equal(json_string_value(json_array_get(pd, 0)), "2022-04-14");
    assert_string_equal(json_string_value(json_array_get(pd, 13)), "2022-04-27");
    {
        const double x[13] = {3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        zn_rt_config cfg;
        zn_rt_config_default(&cfg);
        zn_rt_result res = {0};
        zn_projection pr = {0};
        zn_error err;
        zn_fx_check(zn_rt_estimate_parametric(x, 13, 3.5, 2.4, &cfg, &res, &err), &err, "rt"); /* server defaults */
        const zn_rt_row *last = &res.rows[res.n_rows - 1];
        assert_int_equal(last->t_end, 13);
        /* the last window's posterior CV is 1/sqrt(shape) (shape = 1 + its cases: 1 here), far above
         * Cori et al.'s 0.3: not reliable */
        json_t *wins = json_object_get(r.json, "windows");
        json_t *lw = json_array_get(wins, json_array_size(wins) - 1);
        assert_double_near(json_real_value(json_object_get(lw, "cv")), 1.0 / sqrt(last->shape), 1e-12);
        assert_true(json_is_false(json_object_get(lw, "reliable")));
        zn_fx_check(zn_rt_project(x, 13, res.si, res.n_si, last->shape, last->scale, 14, 1000, 0.95, 1, &pr, &err), &err,
              "project");
        assert_double_near(json_real_value(json_object_get(json_object_get(pj, "r"), "mean")), last->mean, 1e-12);
        static const char *const cols[] = {"expected", "mean", "lo", "median", "hi"};
        const double *expect[] = {pr.expected, pr.mean, pr.lo, pr.median, pr.hi};
        for (int k = 0; k < 5; k++) {
            json_t *a = json_object_get(pj, cols[k]);
            assert_int_equal(json_array_size(a), 14);
            for (size_t h = 0; h < 14; h++)
                assert_double_near(json_real_value(json_array_get(a, h)), expect[k][h], 1e-9);
        }
        for (size_t h = 0; h < 14; h++) {
            double lo = json_real_value(json_array_get(json_object_get(pj, "lo"), h));
            double med = json_real_value(json_array_get(json_object_get(pj, "median"), h));
            double hi = json_real_value(json_array_get(json_object_get(pj, "hi"), h));
            assert_true(lo >= 0 && lo <= med && med <= hi);
        }
        assert_true(pr.expected[0] > 0); /* the cases of 04-01..03 still infect on 04-14 */
        zn_projection_fini(&pr);
        zn_rt_result_fini(&res);
    }
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/rt?area=31&from=2022-04-01&to=2022-04-13&project=0", F.tok_sh);
    assert_int_equal(r.status, 200);
    assert_true(json_is_null(json_object_get(r.json, "projection")));
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/rt?area=31&from=2022-04-01&to=2022-04-13&project=61", F.tok_sh);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/alerts?area=31&method=c9", F.tok_sh);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/metrics?to=2022-04-03", F.tok_sh);
    assert_int_equal(zn_jint(json_object_get(r.json, "cases"), "on_day"), 2);
    assert_int_equal(zn_jint(json_object_get(r.json, "cases"), "last_7_days"), 6);
    /* the tasks as of the end of 04-03: the fixture issued both at the real clock, years later */
    assert_int_equal(zn_jint(json_object_get(r.json, "tasks"), "issued"), 0);
    assert_int_equal(zn_jint(json_object_get(r.json, "tasks"), "backlog"), 0);
    assert_int_equal(zn_jint(json_object_get(r.json, "hub"), "quarantined"), 0); /* province command: hub */
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/metrics", F.tok_sh); /* no day: as of now */
    assert_int_equal(zn_jint(json_object_get(r.json, "tasks"), "issued"), 2);
    assert_int_equal(zn_jint(json_object_get(r.json, "tasks"), "backlog"), 2);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/metrics", F.tok_pd); /* county command: no hub figures */
    assert_null(json_object_get(r.json, "hub"));
    assert_int_equal(zn_jint(json_object_get(r.json, "tasks"), "issued"), 1);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/lineage", F.tok_pd);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/lineage?feed=case_residence_list", F.tok_admin);
    assert_int_equal(zn_jint(r.json, "total"), 1);
    assert_int_equal(zn_jint(first_item(&r), "accepted"), 6);
    assert_string_equal(zn_jstr(first_item(&r), "file"), "res.csv");
    zn_http_free(&r);
}

static void test_tasks_field_flow(void **state)
{
    (void)state;
    resp r;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/move", (long long)F.task_pd);
    zn_http_req(&r, "POST", path, F.tok_pd, NULL, "{\"to\":\"received\"}"); /* county command does not receive */
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_req(&r, "POST", path, F.tok_grid, NULL, "{\"to\":\"verified\"}"); /* a grid worker does not verify */
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_req(&r, "POST", path, F.tok_grid, NULL, "{\"to\":\"reported\",\"note\":\"skipping\"}"); /* issued -> reported */
    zn_http_assert_error(&r, 409, "conflict");
    zn_http_free(&r);
    zn_http_req(&r, "POST", path, F.tok_grid, NULL, "{\"to\":\"received\"}");
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(json_object_get(r.json, "task"), "state"), "received");
    zn_http_free(&r);
    zn_http_req(&r, "POST", path, F.tok_grid, NULL, "{\"to\":\"reported\",\"note\":\"楼栋已封控\"}");
    assert_string_equal(zn_jstr(json_object_get(r.json, "task"), "state"), "reported");
    zn_http_free(&r);
    zn_http_req(&r, "POST", path, F.tok_pd, NULL, "{\"to\":\"verified\"}");
    assert_string_equal(zn_jstr(json_object_get(r.json, "task"), "state"), "verified");
    zn_http_free(&r);
    snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)F.task_pd);
    zn_http_get(&r, path, F.tok_grid);
    json_t *h = json_object_get(r.json, "history");
    assert_int_equal(json_array_size(h), 4); /* issue, received, reported, verified */
    assert_string_equal(zn_jstr(json_array_get(h, 2), "actor"), "grid");
    assert_string_equal(zn_jstr(json_array_get(h, 2), "note"), "楼栋已封控");
    assert_string_equal(zn_jstr(json_array_get(h, 3), "actor"), "pudong");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/tasks/abc/move", F.tok_grid, NULL, "{\"to\":\"received\"}");
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/tasks/99999/move", F.tok_grid, NULL, "{\"to\":\"received\"}");
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
}

static void test_users_api(void **state)
{
    (void)state;
    resp r;
    zn_http_req(&r, "POST", "/api/v1/users", F.tok_admin, NULL,
        "{\"name\":\"xihu\",\"password\":\"correct horse battery\",\"role\":\"county\",\"scope\":\"330106\"}");
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(json_object_get(r.json, "user"), "scope"), "330106000000");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/users", F.tok_admin, NULL,
        "{\"name\":\"xihu\",\"password\":\"another long one\",\"role\":\"county\",\"scope\":\"330106\"}");
    zn_http_assert_error(&r, 409, "duplicate");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/users", F.tok_admin, NULL,
        "{\"name\":\"bad\",\"password\":\"another long one\",\"role\":\"county\",\"scope\":\"33\"}");
    zn_http_assert_error(&r, 400, "bad_request"); /* a county command needs a county */
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/users", F.tok_pd, NULL,
        "{\"name\":\"x2\",\"password\":\"another long one\",\"role\":\"county\",\"scope\":\"310115\"}");
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/users", F.tok_admin);
    assert_int_equal(json_array_size(json_object_get(r.json, "users")), 10);
    zn_http_free(&r);
    char tok[65];
    zn_http_login("xihu", ZN_FX_PASSWORD, tok);
    zn_http_req(&r, "POST", "/api/v1/users/xihu/disable", F.tok_admin, NULL, "{}");
    assert_int_equal(r.status, 200);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/me", tok); /* disabling ends the sessions */
    zn_http_assert_error(&r, 401, "unauthorized");
    zn_http_free(&r);
}

static void test_hostile_requests(void **state)
{
    (void)state;
    resp r;
    /* body over the limit (4096 in the options), announced and chunked */
    char *big = malloc(10001);
    memset(big, 'a', 10000);
    big[10000] = 0;
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, big);
    zn_http_assert_error(&r, 413, "payload_too_large");
    zn_http_free(&r);
    int fd = zn_http_dial();
    const char *h = "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n";
    zn_http_send_all(fd, h, strlen(h));
    for (int i = 0; i < 3; i++) {
        char chunk[16];
        int n = snprintf(chunk, sizeof chunk, "%x\r\n", 3000);
        zn_http_send_all(fd, chunk, (size_t)n);
        zn_http_send_all(fd, big, 3000);
        zn_http_send_all(fd, "\r\n", 2);
    }
    zn_http_send_all(fd, "0\r\n\r\n", 5);
    size_t len;
    zn_http_parse(&r, zn_http_read_all(fd, 5000, &len));
    close(fd);
    zn_http_assert_error(&r, 413, "payload_too_large");
    zn_http_free(&r);
    /* headers over the limit (16 KiB) */
    char *head = malloc(40000);
    int n = snprintf(head, 40000, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ");
    memset(head + n, 'b', 30000);
    memcpy(head + n + 30000, "\r\n\r\n", 5);
    fd = zn_http_dial();
    zn_http_send_all(fd, head, strlen(head));
    zn_http_parse(&r, zn_http_read_all(fd, 5000, &len));
    close(fd);
    assert_int_equal(r.status, 431);
    zn_http_free(&r);
    free(head);
    free(big);
    /* malformed JSON, wrong type, wrong shape */
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\": \"admin\", ");
    zn_http_assert_error(&r, 400, "bad_json");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "[1,2]");
    zn_http_assert_error(&r, 400, "bad_json");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/login", NULL, "application/x-www-form-urlencoded", "name=admin&password=x");
    zn_http_assert_error(&r, 415, "unsupported_media_type");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"admin\",\"password\":\"x\",\"name\":\"y\"}");
    zn_http_assert_error(&r, 400, "bad_json"); /* duplicate keys refused */
    zn_http_free(&r);
    /* SQL injection attempts are data, not SQL */
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"admin' OR '1'='1\",\"password\":\"' OR 1=1 --\"}");
    zn_http_assert_error(&r, 401, "unauthorized");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/cases?area=31%27%20OR%20%271%27=%271", F.tok_pd);
    zn_http_assert_error(&r, 400, "bad_request");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/feeds/case_report%22%3B%20DROP%20TABLE%20audit_log%3B--/rows?why=xx", F.tok_epi);
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/audit?user=x%27%20OR%201=1--", F.tok_audit);
    assert_int_equal(zn_jint(r.json, "total"), 0);
    zn_http_free(&r);
    /* path traversal on the static files */
    static const char *trav[] = {"/app/../../../etc/passwd", "/app/%2e%2e/%2e%2e/etc/passwd", "/app/.hidden.js",
                                 "/app//etc/passwd", "/vendor/../package.json", "/node_modules/echarts/package.json",
                                 "/app/cockpit.js/../../../x", "/app/%2fetc%2fpasswd", NULL};
    for (int i = 0; trav[i]; i++) {
        zn_http_get(&r, trav[i], NULL);
        if (r.status != 404)
            fprintf(stderr, "%s -> %d\n", trav[i], r.status);
        assert_int_equal(r.status, 404);
        assert_null(strstr(r.body, "root:"));
        zn_http_free(&r);
    }
    zn_http_get(&r, "/app/cockpit.js", NULL); /* the real file is there */
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(zn_http_header(&r, "Content-Type"), "text/javascript"));
    zn_http_free(&r);
    zn_http_get(&r, "/", NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(zn_http_header(&r, "Content-Security-Policy"), "default-src 'self'"));
    zn_http_free(&r);
}

static void test_slow_client_is_dropped(void **state)
{
    (void)state;
    /* a request that never ends its headers: the server closes it after its 2 s timeout, and
     * answers others meanwhile */
    int fd = zn_http_dial();
    const char *part = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
    zn_http_send_all(fd, part, strlen(part));
    resp r;
    zn_http_get(&r, "/api/v1/health", NULL);
    assert_int_equal(r.status, 200);
    zn_http_free(&r);
    time_t t0 = time(NULL);
    size_t len;
    char *got = zn_http_read_all(fd, 8000, &len); /* returns when the server closes */
    assert_true(time(NULL) - t0 <= 7);
    assert_int_equal(len, 0);
    free(got);
    close(fd);
}

/* Read from the SSE stream until `want` appears (10 s at most); buf keeps what came. */
static int await_event(int fd, char *buf, size_t cap, size_t *got, const char *want)
{
    time_t t0 = time(NULL);
    while (!strstr(buf, want) && time(NULL) - t0 < 10) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 500) > 0) {
            ssize_t k = recv(fd, buf + *got, cap - *got - 1, 0);
            if (k <= 0)
                break;
            *got += (size_t)k;
        }
        buf[*got] = 0;
    }
    return strstr(buf, want) != NULL;
}

static void test_events_stream(void **state)
{
    (void)state;
    int fd = zn_http_dial();
    char head[256];
    int n = snprintf(head, sizeof head, "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
                     F.tok_pd);
    zn_http_send_all(fd, head, (size_t)n);
    char buf[8192];
    size_t got = 0;
    buf[0] = 0;
    await_event(fd, buf, sizeof buf, &got, "event: hello");
    assert_non_null(strstr(buf, "text/event-stream"));
    assert_non_null(strstr(buf, "\"user\":\"pudong\""));
    zn_error err;
    assert_int_equal(zn_server_publish(F.srv, "test.ping", "{\"n\":42}", &err), ZN_OK);
    assert_int_equal(zn_server_publish(F.srv, "Bad Name", "{}", &err), ZN_EINVAL);
    assert_int_equal(zn_server_publish(F.srv, "x", "two\nlines", &err), ZN_EINVAL);
    await_event(fd, buf, sizeof buf, &got, "event: test.ping");
    assert_non_null(strstr(buf, "event: test.ping\ndata: {\"n\":42}\n\n"));
    /* the task moves of the earlier test are announced by the event thread (every 1 s) or a
     * keep-alive comes: the stream stays open */
    await_event(fd, buf, sizeof buf, &got, ": keep-alive");
    assert_non_null(strstr(buf, ": keep-alive"));
    close(fd);
    resp r;
    zn_http_get(&r, "/api/v1/events", NULL);
    zn_http_assert_error(&r, 401, "unauthorized");
    zn_http_free(&r);
}

/* The command page's calls: templates, issuing an instruction (scope checked on every target
 * before anything is written), and the instructions of an area with their tasks' progress. */
static json_int_t instructions_total(const char *token)
{
    resp r;
    zn_http_get(&r, "/api/v1/instructions", token);
    assert_int_equal(r.status, 200);
    json_int_t n = zn_jint(r.json, "total");
    zn_http_free(&r);
    return n;
}

static void test_instructions(void **state)
{
    (void)state;
    resp r;
    zn_http_get(&r, "/api/v1/templates", F.tok_pd);
    assert_int_equal(r.status, 200);
    json_t *rows = json_object_get(r.json, "rows"), *seal = NULL;
    for (size_t i = 0; i < json_array_size(rows); i++)
        if (!strcmp(zn_jstr(json_array_get(rows, i), "id"), "epi.seal_unit"))
            seal = json_array_get(rows, i);
    assert_non_null(seal);
    assert_string_equal(zn_jstr(seal, "name_zh"), "封控单元并设岗值守");
    zn_http_free(&r);

    /* before: the fixture's one instruction has a task in Pudong and one in Huangpu */
    assert_int_equal(instructions_total(F.tok_admin), 1);
    assert_int_equal(instructions_total(F.tok_pd), 1);
    assert_int_equal(instructions_total(F.tok_zj), 0);

    /* refusals, none of which writes anything */
    const char *seal_pd = "{\"template\":\"epi.seal_unit\",\"reason\":\"新增阳性 C-PD9\","
                          "\"targets\":[{\"division\":\"310115125000\"}]}";
    zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_grid, NULL, seal_pd); /* a grid worker does not command */
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, /* the second target is Huangpu's */
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"310115125000\"},"
        "{\"division\":\"310101013000\"}]}");
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_sh, NULL,
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"330106\"}]}");
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
    static const char *const bad[] = {
        "{\"template\":\"no.such\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"310115125000\"}]}",
        "{\"template\":\"epi.seal_unit\",\"targets\":[{\"division\":\"310115125000\"}]}",
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[]}",
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"31011\"}]}",
        "{\"template\":\"epi.seal_unit\",\"reason\":7,\"targets\":[{\"division\":\"310115125000\"}]}",
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"310115125000\"}],"
        "\"links\":[{\"kind\":\"case\"}]}",
        "[1,2]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, bad[i]);
        if (r.status != 400)
            fprintf(stderr, "body %zu: %s\n", i, r.raw);
        assert_int_equal(r.status, 400);
        zn_http_free(&r);
    }
    zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, "{\"template\":"); /* not JSON */
    zn_http_assert_error(&r, 400, "bad_json");
    zn_http_free(&r);
    zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, /* a village code that is not in the registry */
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"310115999999\"}]}");
    zn_http_assert_error(&r, 404, "not_found");
    zn_http_free(&r);
    assert_int_equal(instructions_total(F.tok_admin), 1);

    /* Pudong's command seals a unit in 张江镇: one task routed to the township, no transfer */
    zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL,
        "{\"template\":\"epi.seal_unit\",\"reason\":\"新增阳性 C-PD9\",\"title\":\"封控张东路2281弄\","
        "\"subject\":{\"kind\":\"zone\",\"ref\":\"place:浦东新区:张东路2281弄\"},"
        "\"links\":[{\"kind\":\"case\",\"ref\":\"C-PD9\"}],\"targets\":[{\"division\":\"310115125000\"}]}");
    if (r.status != 201)
        fprintf(stderr, "%s\n", r.raw);
    assert_int_equal(r.status, 201);
    json_int_t iid = zn_jint(r.json, "instruction_id");
    assert_true(iid > 1);
    assert_string_equal(zn_jstr(r.json, "issuer"), "pudong");
    assert_string_equal(zn_jstr(r.json, "issuer_unit"), "310115000000");
    json_t *tasks = json_object_get(r.json, "tasks");
    assert_int_equal(json_array_size(tasks), 1);
    json_t *t0 = json_array_get(tasks, 0);
    assert_string_equal(zn_jstr(t0, "division"), "310115125000");
    assert_true(json_is_null(json_object_get(t0, "transfer_id")));
    json_int_t tid = zn_jint(t0, "id");
    zn_http_free(&r);

    /* the task is in the grid worker's list with its title and subject */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)tid);
    zn_http_get(&r, path, F.tok_grid);
    assert_int_equal(r.status, 200);
    json_t *task = json_object_get(r.json, "task");
    assert_string_equal(zn_jstr(task, "title"), "封控张东路2281弄");
    assert_string_equal(zn_jstr(task, "state"), "issued");
    assert_int_equal(zn_jint(task, "instruction_id"), iid);
    zn_http_free(&r);

    /* listed for Pudong (newest first) and the city, not for Huangpu or Zhejiang */
    zn_http_get(&r, "/api/v1/instructions", F.tok_pd);
    assert_int_equal(zn_jint(r.json, "total"), 2);
    json_t *first = json_array_get(json_object_get(r.json, "rows"), 0);
    assert_int_equal(zn_jint(first, "id"), iid);
    assert_string_equal(zn_jstr(first, "reason"), "新增阳性 C-PD9");
    assert_int_equal(zn_jint(first, "tasks"), 1);
    assert_int_equal(zn_jint(json_object_get(first, "by_state"), "issued"), 1);
    zn_http_free(&r);
    assert_int_equal(instructions_total(F.tok_hp), 1);
    assert_int_equal(instructions_total(F.tok_zj), 0);
    assert_int_equal(instructions_total(F.tok_sh), 2);
    /* a title that JSON must escape comes back unchanged from the task list (its fast path writes
     * the rows itself) and from the task */
    static const char *const title = "封控 \"张东路\" 2281弄\\B栋\n\t第2轮 \u00e9\u2028";
    json_t *body = json_pack("{s:s, s:s, s:s, s:[{s:s}]}", "template", "epi.seal_unit", "reason", "escaping",
                             "title", title, "targets", "division", "310115125000");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, text);
    free(text);
    assert_int_equal(r.status, 201);
    json_int_t tid2 = zn_jint(json_array_get(json_object_get(r.json, "tasks"), 0), "id");
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/tasks?open=1&limit=200", F.tok_pd);
    assert_int_equal(r.status, 200);
    assert_non_null(r.json);
    json_t *items = json_object_get(r.json, "items"), *found = NULL;
    for (size_t i = 0; i < json_array_size(items); i++)
        if (zn_jint(json_array_get(items, i), "id") == tid2)
            found = json_array_get(items, i);
    assert_non_null(found);
    assert_string_equal(zn_jstr(found, "title"), title);
    zn_http_free(&r);
    snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)tid2);
    zn_http_get(&r, path, F.tok_pd);
    assert_string_equal(zn_jstr(json_object_get(r.json, "task"), "title"), title);
    zn_http_free(&r);

    /* closing the new task shows in the metrics at once (the same second included) */
    zn_http_get(&r, "/api/v1/metrics?area=310115", F.tok_pd);
    json_int_t closed0 = zn_jint(json_object_get(r.json, "tasks"), "closed");
    zn_http_free(&r);
    static const char *const moves[][2] = {{"received", "g"}, {"reported", "g"}, {"verified", "p"}, {"closed", "p"}};
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/move", (long long)tid);
    for (size_t i = 0; i < 4; i++) {
        char mv[64];
        snprintf(mv, sizeof mv, "{\"to\":\"%s\"}", moves[i][0]);
        zn_http_req(&r, "POST", path, moves[i][1][0] == 'g' ? F.tok_grid : F.tok_pd, NULL, mv);
        assert_int_equal(r.status, 200);
        zn_http_free(&r);
    }
    zn_http_get(&r, "/api/v1/metrics?area=310115", F.tok_pd);
    assert_int_equal(zn_jint(json_object_get(r.json, "tasks"), "closed"), closed0 + 1);
    zn_http_free(&r);

    zn_http_get(&r, "/api/v1/instructions?area=310101", F.tok_pd);
    zn_http_assert_error(&r, 403, "forbidden");
    zn_http_free(&r);
}

/* A new zone evaluation, a finished tracing run and a new alert written by another process (the
 * CLI) reach a cockpit on the stream as zones.changed, contacts.changed and alerts.new. */
static void test_events_epidemic(void **state)
{
    (void)state;
    int fd = zn_http_dial();
    char head[256];
    int n = snprintf(head, sizeof head, "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
                     F.tok_sh);
    zn_http_send_all(fd, head, (size_t)n);
    static char buf[16384];
    size_t got = 0;
    buf[0] = 0;
    assert_true(await_event(fd, buf, sizeof buf, &got, "event: hello"));
    assert_null(strstr(buf, "zones.changed"));
    char db[512];
    snprintf(db, sizeof db, "%s/server.db", zn_test_tmpdir());
    zn_error err;
    zn_store *st = zn_fx_open(F.ctx, db);
    zn_fx_check(zn_store_exec(st,
                        "INSERT INTO zone_run (rules, title, from_date, to_date, unit_kind, missing, buffer_m, levels,"
                        " rules_json, units, events, created_at) VALUES ('shanghai-2022-04', 't', '2022-04-01',"
                        " '2022-04-02', 'place', 'pause', 100, '[]', '{}', 0, 0, 1);"
                        "INSERT INTO trace_run (plan, parameters, started_at, finished_at) VALUES ('plan-9', '{}', 1, 2);"
                        "INSERT INTO alert (method, series, period, observed, created_at)"
                        " VALUES ('ears-c3', '浦东新区', '2022-04-03', 9, 3);",
                        &err),
          &err, "insert");
    zn_store_close(st);
    assert_true(await_event(fd, buf, sizeof buf, &got, "event: zones.changed\ndata: {\"zone_run\":1}"));
    assert_true(await_event(fd, buf, sizeof buf, &got, "event: contacts.changed\ndata: {\"trace_run\":1}"));
    assert_true(await_event(fd, buf, sizeof buf, &got, "event: alerts.new\ndata: {\"alert\":1}"));
    close(fd);
}

/* A person task's subject (the contact's resident ID number) and the personal numbers in its
 * history's notes are masked for every role that may not see ID numbers; the epidemiologist sees
 * the subject and each request that shows one is audited. */
static void test_task_subject_masking(void **state)
{
    (void)state;
    char body[512];
    snprintf(body, sizeof body,
             "{\"template\":\"epi.quarantine_transfer\",\"reason\":\"密接转运 C-PD1\","
             "\"subject\":{\"kind\":\"contact\",\"ref\":\"%s\"},\"targets\":[{\"division\":\"310115125000\"}]}",
             F.id_hp);
    zn_http_resp r;
    zn_http_req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, body);
    assert_int_equal(r.status, 201);
    json_int_t tid = zn_jint(json_array_get(json_object_get(r.json, "tasks"), 0), "id");
    zn_http_free(&r);
    char masked[19];
    zn_mask_resident_id(F.id_hp, masked, sizeof masked);
    assert_string_not_equal(masked, F.id_hp);

    /* the grid worker receives it with a note holding a mobile and the ID number */
    char path[96], note[256];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/move", (long long)tid);
    snprintf(note, sizeof note, "{\"to\":\"received\",\"note\":\"已电话联系 13987654321，证件 %s\"}", F.id_hp);
    zn_http_req(&r, "POST", path, F.tok_grid, NULL, note);
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(json_object_get(r.json, "task"), "subject_ref"), masked); /* the move's answer */
    zn_http_free(&r);

    /* the detail for the county command: subject and note masked, nothing audited */
    snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)tid);
    zn_http_get(&r, path, F.tok_pd);
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(json_object_get(r.json, "task"), "subject_ref"), masked);
    json_t *hist = json_object_get(r.json, "history");
    char want[256];
    snprintf(want, sizeof want, "已电话联系 139****4321，证件 %s", masked);
    assert_string_equal(zn_jstr(json_array_get(hist, json_array_size(hist) - 1), "note"), want);
    assert_null(strstr(r.body, F.id_hp));
    zn_http_free(&r);
    /* the grid worker's list (the fast path): masked too */
    zn_http_get(&r, "/api/v1/tasks?area=310115125&limit=500", F.tok_grid);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, F.id_hp));
    assert_non_null(strstr(r.body, masked));
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/audit?action=read&user=grid", F.tok_audit);
    assert_int_equal(zn_jint(r.json, "total"), 0);
    zn_http_free(&r);

    /* the epidemiologist (may see ID numbers) sees the subject, and the read is audited */
    zn_http_get(&r, path, F.tok_epi);
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(json_object_get(r.json, "task"), "subject_ref"), F.id_hp);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/audit?action=read&user=epi", F.tok_audit);
    assert_int_equal(zn_jint(r.json, "total"), 1);
    char obj[48];
    snprintf(obj, sizeof obj, "task %lld", (long long)tid);
    assert_string_equal(zn_jstr(first_item(&r), "object"), obj);
    assert_string_equal(zn_jstr(first_item(&r), "why"), "1 person subject shown unmasked");
    zn_http_free(&r);
    /* a list without person subjects shown unmasked writes nothing more */
    zn_http_get(&r, "/api/v1/tasks?area=310101", F.tok_epi);
    assert_int_equal(r.status, 200);
    zn_http_free(&r);
    zn_http_get(&r, "/api/v1/audit?action=read&user=epi", F.tok_audit);
    assert_int_equal(zn_jint(r.json, "total"), 1);
    zn_http_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_are_json),
        cmocka_unit_test(test_login_logout),
        cmocka_unit_test(test_login_rate_limit),
        cmocka_unit_test(test_scope_pudong_not_huangpu),
        cmocka_unit_test(test_scope_zhejiang_sees_no_shanghai),
        cmocka_unit_test(test_masking_by_role),
        cmocka_unit_test(test_audit_log),
        cmocka_unit_test(test_pagination),
        cmocka_unit_test(test_cases_and_stats),
        cmocka_unit_test(test_tasks_field_flow),
        cmocka_unit_test(test_users_api),
        cmocka_unit_test(test_hostile_requests),
        cmocka_unit_test(test_slow_client_is_dropped),
        cmocka_unit_test(test_events_stream),
        cmocka_unit_test(test_instructions),
        cmocka_unit_test(test_task_subject_masking),
        cmocka_unit_test(test_events_epidemic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
