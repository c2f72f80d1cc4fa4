/*
 * The HTTP API against a real server on 127.0.0.1 (an ephemeral port), started and stopped by the
 * test, over a small store: the real division registry, a few rows of the real Shanghai 2022 lists
 * and geocodes (Pudong and Huangpu) ingested through the hub and linked by place, a few case
 * reports (Pudong, Huangpu, Hangzhou) with valid ID numbers, tasks in Pudong and Huangpu, and
 * users of every kind. Expected counts are hand-counted from the fixture below.
 */
#include "zn_test.h"

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

static void make_id(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = zn_resident_id_check_char(first17);
    out[18] = 0;
}

static void check(zn_status s, const zn_error *err, const char *what)
{
    if (s != ZN_OK) {
        char b[1024];
        fprintf(stderr, "fixture %s: %s\n", what, zn_error_format(err, b, sizeof b));
        abort();
    }
}

static void ingest(zn_store *st, zn_catalogue *cat, const char *feed, const char *name, const char *text)
{
    zn_error err;
    zn_ingest_summary sum;
    const char *path = zn_test_write_file(name, text, strlen(text));
    check(zn_hub_ingest(st, cat, feed, path, NULL, &sum, &err), &err, feed);
    if (sum.quarantined) {
        fprintf(stderr, "fixture %s: %lld rows quarantined\n", feed, (long long)sum.quarantined);
        abort();
    }
}

static void build_store(const char *db)
{
    zn_error err;
    zn_store *st;
    check(zn_store_open(F.ctx, db, &st, &err), &err, "open");
    zn_div_registry *reg;
    check(zn_div_registry_new(F.ctx, zn_test_src("data/divisions"), &reg, &err), &err, "divisions");
    check(zn_div_registry_save(reg, st, NULL, &err), &err, "divisions save");
    zn_div_registry_free(reg);
    zn_catalogue *cat;
    check(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), &err, "catalogue");
    ingest(st, cat, "address_geocode", "geo.csv", GEOCODE);
    ingest(st, cat, "case_residence_list", "res.csv", RESIDENCES);
    make_id("31011519900101123", F.id_pd);
    make_id("31010119851231234", F.id_hp);
    make_id("33010619790615345", F.id_hz);
    char reports[2048];
    snprintf(reports, sizeof reports,
             "case_id,resident_id,name,mobile,classification,diagnosis_time,report_time,residence_division\n"
             "C-PD1,%s,张三,13812345678,confirmed,2022-04-01 10:00,2022-04-01 12:00,310115125000\n"
             "C-HP1,%s,李四,13987654321,asymptomatic,2022-04-02 09:00,2022-04-02 11:00,310101013000\n"
             "C-HZ1,%s,王五,15011112222,confirmed,2022-04-03 08:00,2022-04-03 09:30,330106000000\n",
             F.id_pd, F.id_hp, F.id_hz);
    ingest(st, cat, "case_report", "reports.csv", reports);
    zn_catalogue_free(cat);
    check(zn_place_link_case_residence(st, 2021, "31", NULL, &err), &err, "link");

    /* one task in Pudong (张江镇) and one in Huangpu (外滩街道) */
    zn_loop *lp;
    check(zn_loop_open(st, zn_test_src("data"), &lp, &err), &err, "loop");
    zn_loop_instruction in = {.issuer = "sh-command", .issuer_unit = "31", .reason = "cases C-PD1, C-HP1"};
    int64_t instr;
    check(zn_loop_instruct(lp, &in, &instr, &err), &err, "instruct");
    zn_loop_act act = {.actor = "dispatcher"};
    zn_loop_task_spec a = {.instruction_id = instr, .template_id = "epi.seal_unit", .subject_ref = "C-PD1",
                           .assignee_kind = "division", .assignee = "310115125000", .division_code = "310115125000"};
    check(zn_loop_issue(lp, &a, &act, &F.task_pd, NULL, &err), &err, "issue pd");
    zn_loop_task_spec b = a;
    b.subject_ref = "C-HP1";
    b.assignee = b.division_code = "310101013000";
    check(zn_loop_issue(lp, &b, &act, &F.task_hp, NULL, &err), &err, "issue hp");
    zn_loop_free(lp);

    static const struct {
        const char *name;
        zn_role role;
        const char *scope;
    } U[] = {
        {"admin", ZN_ROLE_ADMIN, "0"},           {"pudong", ZN_ROLE_COUNTY, "310115"},
        {"huangpu", ZN_ROLE_COUNTY, "310101"},   {"zhejiang", ZN_ROLE_PROVINCE, "33"},
        {"epi", ZN_ROLE_EPIDEMIOLOGIST, "31"},   {"grid", ZN_ROLE_GRID_WORKER, "310115125"},
        {"auditor", ZN_ROLE_AUDITOR, "0"},       {"shanghai", ZN_ROLE_PROVINCE, "31"},
        {"locked", ZN_ROLE_COUNTY, "310101"},
    };
    for (size_t i = 0; i < sizeof U / sizeof U[0]; i++)
        check(zn_user_add(st, U[i].name, NULL, "correct horse battery", U[i].role, U[i].scope, "test", NULL, &err),
              &err, U[i].name);
    zn_store_close(st);
}

/* ------------------------------------------------------------ HTTP client ---- */

typedef struct resp {
    int status;
    char *raw;  /* whole answer */
    char *body; /* points into raw */
    json_t *json;
} resp;

static void resp_free(resp *r)
{
    free(r->raw);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return; /* the server may close early (413); the answer is still read */
        p += k;
        n -= (size_t)k;
    }
}

/* Read until the peer closes or `timeout_ms` passes without data. */
static char *read_all(int fd, int timeout_ms, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        if (n + 4096 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + n, cap - n - 1, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static void parse(resp *r, char *raw)
{
    memset(r, 0, sizeof *r);
    r->raw = raw;
    if (sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1)
        r->status = -1;
    char *sep = strstr(raw, "\r\n\r\n");
    r->body = sep ? sep + 4 : raw + strlen(raw);
    json_error_t je;
    r->json = json_loads(r->body, 0, &je);
}

static const char *header(const resp *r, const char *name)
{
    static char val[1024];
    size_t n = strlen(name);
    for (const char *p = strstr(r->raw, "\r\n"); p && p < r->body; p = strstr(p + 2, "\r\n"))
        if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            snprintf(val, sizeof val, "%.*s", (int)(e - v), v);
            return val;
        }
    return NULL;
}

/* One request: token NULL = none; a JSON body is sent with its Content-Type unless ctype says. */
static void req(resp *r, const char *method, const char *path, const char *token, const char *ctype, const char *body)
{
    char head[4096];
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", method, path);
    if (token)
        n += snprintf(head + n, sizeof head - (size_t)n, "Authorization: Bearer %s\r\n", token);
    if (body) {
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                      ctype ? ctype : "application/json", strlen(body));
    }
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    int fd = dial();
    send_all(fd, head, (size_t)n);
    if (body)
        send_all(fd, body, strlen(body));
    size_t len;
    parse(r, read_all(fd, 10000, &len));
    close(fd);
}

static void get(resp *r, const char *path, const char *token)
{
    req(r, "GET", path, token, NULL, NULL);
}

static const char *jstr(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

static json_int_t jint(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

/* The answer is an error object with this status and code. */
static void assert_error(resp *r, int status, const char *code)
{
    if (r->status != status || !r->json || strcmp(jstr(r->json, "code"), code))
        fprintf(stderr, "expected %d %s, got: %s\n", status, code, r->raw);
    assert_int_equal(r->status, status);
    assert_non_null(r->json);
    assert_string_equal(jstr(r->json, "code"), code);
    assert_true(strlen(jstr(r->json, "message")) > 0);
    const char *ct = header(r, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "application/json"));
}

static void login(const char *name, char tok[65])
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"correct horse battery\"}", name);
    resp r;
    req(&r, "POST", "/api/v1/login", NULL, NULL, body);
    if (r.status != 200)
        fprintf(stderr, "login %s: %s\n", name, r.raw);
    assert_int_equal(r.status, 200);
    snprintf(tok, 65, "%s", jstr(r.json, "token"));
    assert_int_equal(strlen(tok), 64);
    resp_free(&r);
}

static int setup(void **state)
{
    (void)state;
    if (zn_ctx_new(&F.ctx) != ZN_OK)
        return -1;
    char db[512];
    snprintf(db, sizeof db, "%s/server.db", zn_test_tmpdir());
    build_store(db);
    zn_server_options opt = {.db_path = db, .listen = "127.0.0.1:0", .data_dir = zn_test_src("data"),
                             .web_dir = zn_test_src("web"), .threads = 4, .max_body = 4096, .timeout = 2,
                             .login_max_failures = 3, .event_interval = 1};
    char dd[1024], wd[1024];
    snprintf(dd, sizeof dd, "%s", zn_test_src("data"));
    snprintf(wd, sizeof wd, "%s", zn_test_src("web"));
    opt.data_dir = dd;
    opt.web_dir = wd;
    zn_error err;
    check(zn_server_start(F.ctx, &opt, &F.srv, &err), &err, "start");
    F.port = zn_server_port(F.srv);
    if (F.port == 0)
        return -1;
    login("admin", F.tok_admin);
    login("pudong", F.tok_pd);
    login("huangpu", F.tok_hp);
    login("zhejiang", F.tok_zj);
    login("epi", F.tok_epi);
    login("grid", F.tok_grid);
    login("auditor", F.tok_audit);
    login("shanghai", F.tok_sh);
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
    get(&r, "/api/v1/health", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "api"), "v1");
    assert_string_equal(header(&r, "X-Content-Type-Options"), "nosniff");
    resp_free(&r);
    get(&r, "/api/v1/cases", NULL); /* no session */
    assert_error(&r, 401, "unauthorized");
    resp_free(&r);
    get(&r, "/api/v1/cases", "0000000000000000000000000000000000000000000000000000000000000000");
    assert_error(&r, 401, "unauthorized");
    resp_free(&r);
    get(&r, "/api/v1/no-such-thing", F.tok_sh);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
    get(&r, "/api/v2/cases", F.tok_sh);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
    req(&r, "DELETE", "/api/v1/cases", F.tok_sh, NULL, NULL);
    assert_error(&r, 405, "method_not_allowed");
    resp_free(&r);
    get(&r, "/api/v1/cases?date=2022-4-1", F.tok_sh);
    assert_error(&r, 400, "bad_request");
    resp_free(&r);
    get(&r, "/api/v1/divisions?area=31x", F.tok_sh);
    assert_error(&r, 400, "bad_request");
    resp_free(&r);
}

static void test_login_logout(void **state)
{
    (void)state;
    resp r;
    req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"pudong\",\"password\":\"wrong password!\"}");
    assert_error(&r, 401, "unauthorized");
    assert_null(header(&r, "Set-Cookie"));
    resp_free(&r);
    req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"nobody\",\"password\":\"correct horse battery\"}");
    assert_error(&r, 401, "unauthorized");
    resp_free(&r);
    req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"pudong\",\"password\":\"correct horse battery\"}");
    assert_int_equal(r.status, 200);
    const char *cookie = header(&r, "Set-Cookie");
    assert_non_null(cookie);
    assert_non_null(strstr(cookie, "zn_session="));
    assert_non_null(strstr(cookie, "HttpOnly"));
    assert_non_null(strstr(cookie, "SameSite=Strict"));
    char tok[65];
    snprintf(tok, sizeof tok, "%s", jstr(r.json, "token"));
    assert_string_equal(jstr(json_object_get(r.json, "user"), "role"), "county");
    resp_free(&r);

    /* the cookie works as well as the bearer token */
    int fd = dial();
    char head[512];
    int n = snprintf(head, sizeof head, "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: zn_session=%s\r\n\r\n", tok);
    send_all(fd, head, (size_t)n);
    size_t len;
    parse(&r, read_all(fd, 5000, &len));
    close(fd);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "name"), "pudong");
    assert_string_equal(jstr(r.json, "prefix"), "310115");
    resp_free(&r);

    req(&r, "POST", "/api/v1/logout", tok, NULL, "{}");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Set-Cookie"), "Max-Age=0"));
    resp_free(&r);
    get(&r, "/api/v1/me", tok); /* revoked */
    assert_error(&r, 401, "unauthorized");
    resp_free(&r);
    get(&r, "/api/v1/me", F.tok_pd); /* other sessions of the user live on */
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

static void test_login_rate_limit(void **state)
{
    (void)state;
    resp r;
    /* 3 failures allowed per name in the window (options above), then 429 even with the right password */
    for (int i = 0; i < 3; i++) {
        req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"locked\",\"password\":\"guess guess guess\"}");
        assert_error(&r, 401, "unauthorized");
        resp_free(&r);
    }
    req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"locked\",\"password\":\"correct horse battery\"}");
    assert_error(&r, 429, "too_many_requests");
    const char *ra = header(&r, "Retry-After");
    assert_non_null(ra);
    assert_true(atoi(ra) > 0 && atoi(ra) <= 900);
    resp_free(&r);
    /* other names are not locked (the per-client limit is 9) */
    req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"huangpu\",\"password\":\"correct horse battery\"}");
    assert_int_equal(r.status, 200);
    resp_free(&r);
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
        get(&r, paths[i], F.tok_pd);
        assert_error(&r, 403, "forbidden");
        resp_free(&r);
    }
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)F.task_hp);
    get(&r, path, F.tok_pd);
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/move", (long long)F.task_hp);
    req(&r, "POST", path, F.tok_pd, NULL, "{\"to\":\"cancelled\"}");
    assert_error(&r, 403, "forbidden");
    resp_free(&r);

    /* and what the Pudong user does see holds only Pudong */
    get(&r, "/api/v1/cases?limit=100", F.tok_pd);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "total"), 3);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r.json, "items"), i, it)
    {
        assert_string_equal(jstr(it, "district"), "浦东新区");
        assert_string_equal(jstr(it, "county_code"), "310115000000");
    }
    resp_free(&r);
    get(&r, "/api/v1/divisions", F.tok_pd);
    assert_int_equal(r.status, 200);
    json_t *d = json_object_get(r.json, "division");
    assert_string_equal(jstr(d, "name"), "浦东新区");
    assert_int_equal(jint(d, "cases"), 3);
    json_array_foreach(json_object_get(r.json, "children"), i, it)
    {
        if (!strcmp(jstr(it, "name"), "张江镇"))
            assert_int_equal(jint(it, "cases"), 2);
        else if (!strcmp(jstr(it, "name"), "三林镇"))
            assert_int_equal(jint(it, "cases"), 1);
        else
            assert_int_equal(jint(it, "cases"), 0);
        assert_memory_equal(jstr(it, "code"), "310115", 6);
    }
    resp_free(&r);
    get(&r, "/api/v1/tasks", F.tok_pd);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_int_equal(jint(json_array_get(json_object_get(r.json, "items"), 0), "id"), F.task_pd);
    resp_free(&r);
    get(&r, "/api/v1/feeds/case_report/rows?why=tracing%20C-PD1", F.tok_pd);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "total"), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(r.json, "items"), 0), "case_id"), "C-PD1");
    resp_free(&r);
}

/* A Zhejiang user sees nothing of Shanghai. */
static void test_scope_zhejiang_sees_no_shanghai(void **state)
{
    (void)state;
    resp r;
    get(&r, "/api/v1/cases", F.tok_zj);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "total"), 0);
    resp_free(&r);
    get(&r, "/api/v1/cases/daily", F.tok_zj);
    assert_int_equal(jint(r.json, "total"), 0);
    resp_free(&r);
    get(&r, "/api/v1/cases/points", F.tok_zj);
    assert_int_equal(json_array_size(json_object_get(r.json, "points")), 0);
    resp_free(&r);
    get(&r, "/api/v1/divisions", F.tok_zj);
    assert_string_equal(jstr(json_object_get(r.json, "division"), "name"), "浙江省");
    assert_int_equal(jint(json_object_get(r.json, "division"), "cases"), 0);
    assert_int_equal(json_array_size(json_object_get(r.json, "children")), 11); /* 11 cities */
    resp_free(&r);
    get(&r, "/api/v1/tasks", F.tok_zj);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    resp_free(&r);
    get(&r, "/api/v1/feeds/case_report/rows?why=review", F.tok_zj);
    assert_int_equal(jint(r.json, "total"), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(r.json, "items"), 0), "case_id"), "C-HZ1");
    resp_free(&r);
    get(&r, "/api/v1/boundaries", F.tok_zj); /* Zhejiang's 11 city polygons, no Shanghai district */
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "features")), 11);
    assert_null(strstr(r.body, "\"310"));
    resp_free(&r);
    static const char *no[] = {"/api/v1/divisions?area=31", "/api/v1/cases?area=310115", "/api/v1/boundaries/310000",
                               "/api/v1/rt?area=31", "/api/v1/cases/daily?area=3101", NULL};
    for (int i = 0; no[i]; i++) {
        get(&r, no[i], F.tok_zj);
        assert_error(&r, 403, "forbidden");
        resp_free(&r);
    }
    /* the country-wide admin sees both provinces */
    get(&r, "/api/v1/divisions", F.tok_admin);
    assert_int_equal(json_array_size(json_object_get(r.json, "children")), 2);
    assert_int_equal(jint(json_object_get(r.json, "division"), "cases"), 6);
    resp_free(&r);
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
    get(&r, "/api/v1/feeds/case_report/rows?why=county%20review", F.tok_pd); /* county command: both masked */
    assert_string_equal(jstr(first_item(&r), "resident_id"), masked_id);
    assert_string_equal(jstr(first_item(&r), "mobile"), "138****5678");
    assert_true(json_is_true(json_object_get(json_object_get(r.json, "masked"), "resident_id")));
    assert_null(strstr(r.raw, F.id_pd));
    assert_null(strstr(r.raw, "13812345678"));
    resp_free(&r);
    get(&r, "/api/v1/feeds/case_report/rows?why=call%20the%20case", F.tok_grid); /* grid worker: the phone */
    assert_int_equal(jint(r.json, "total"), 1);
    assert_string_equal(jstr(first_item(&r), "resident_id"), masked_id);
    assert_string_equal(jstr(first_item(&r), "mobile"), "13812345678");
    resp_free(&r);
    get(&r, "/api/v1/feeds/case_report/rows?why=epi%20investigation&area=310115", F.tok_epi); /* both clear */
    assert_string_equal(jstr(first_item(&r), "resident_id"), F.id_pd);
    assert_string_equal(jstr(first_item(&r), "mobile"), "13812345678");
    resp_free(&r);
    get(&r, "/api/v1/feeds/case_report/rows", F.tok_epi); /* no reason given */
    assert_error(&r, 400, "why_required");
    resp_free(&r);
    get(&r, "/api/v1/feeds/case_report/rows?why=x", F.tok_audit); /* auditors read the log, not persons */
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
}

static void test_audit_log(void **state)
{
    (void)state;
    resp r;
    char path[256];
    get(&r, "/api/v1/feeds/case_report/rows?why=audit%20trail%20test&area=310101", F.tok_epi);
    assert_int_equal(r.status, 200);
    int64_t rid = jint(first_item(&r), "_id");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/audit?user=epi&action=read_person&object=feed_case_report%%23%lld",
             (long long)rid);
    get(&r, path, F.tok_audit);
    assert_int_equal(r.status, 200);
    assert_true(jint(r.json, "total") >= 1);
    json_t *e = first_item(&r); /* newest first */
    assert_string_equal(jstr(e, "user"), "epi");
    assert_string_equal(jstr(e, "role"), "epidemiologist");
    assert_string_equal(jstr(e, "why"), "audit trail test");
    assert_string_equal(jstr(e, "client"), "127.0.0.1");
    char obj[64];
    snprintf(obj, sizeof obj, "feed_case_report#%lld", (long long)rid);
    assert_string_equal(jstr(e, "object"), obj);
    assert_true(jint(e, "at") > 1600000000);
    resp_free(&r);
    /* one row per record read: the grid worker read one record above */
    get(&r, "/api/v1/audit?user=grid&action=read_person", F.tok_audit);
    assert_int_equal(jint(r.json, "total"), 1);
    assert_string_equal(jstr(first_item(&r), "why"), "call the case");
    resp_free(&r);
    get(&r, "/api/v1/audit?action=login_failed&user=locked", F.tok_audit);
    assert_int_equal(jint(r.json, "total"), 3);
    resp_free(&r);
    get(&r, "/api/v1/audit", F.tok_pd);
    assert_error(&r, 403, "forbidden");
    resp_free(&r);

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
    get(&r, "/api/v1/cases?limit=2", F.tok_sh);
    assert_int_equal(jint(r.json, "total"), 6);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    assert_int_equal(jint(r.json, "next_offset"), 2);
    resp_free(&r);
    get(&r, "/api/v1/cases?limit=4&offset=4", F.tok_sh);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    assert_true(json_is_null(json_object_get(r.json, "next_offset")));
    /* ordered by date: the last two are Huangpu's 2022-04-03 rows */
    assert_string_equal(jstr(first_item(&r), "date"), "2022-04-03");
    resp_free(&r);
    get(&r, "/api/v1/cases?limit=100&offset=10", F.tok_sh);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    resp_free(&r);
    static const char *bad[] = {"/api/v1/cases?limit=0", "/api/v1/cases?limit=abc", "/api/v1/cases?offset=-1",
                                "/api/v1/cases?limit=1e3", NULL};
    for (int i = 0; bad[i]; i++) {
        get(&r, bad[i], F.tok_sh);
        assert_error(&r, 400, "bad_request");
        resp_free(&r);
    }
    get(&r, "/api/v1/cases?limit=999999", F.tok_sh); /* capped, not refused */
    assert_int_equal(jint(r.json, "limit"), 10000);
    resp_free(&r);
}

static void test_cases_and_stats(void **state)
{
    (void)state;
    resp r;
    get(&r, "/api/v1/cases/daily?area=310101&from=2022-04-01&to=2022-04-04", F.tok_sh);
    assert_int_equal(r.status, 200);
    json_t *d = json_object_get(r.json, "dates"), *n = json_object_get(r.json, "counts");
    assert_int_equal(json_array_size(d), 4); /* the gap day 04-02 and the trailing 04-04 are filled with 0 */
    static const int want[] = {1, 0, 2, 0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_array_get(n, (size_t)i)), want[i]);
    assert_string_equal(json_string_value(json_array_get(d, 1)), "2022-04-02");
    resp_free(&r);
    /* points: GCJ-02 coordinates, the two rows at 张东路2281弄 on one point */
    get(&r, "/api/v1/cases/points?area=310115125", F.tok_sh);
    json_t *p = json_object_get(r.json, "points");
    assert_int_equal(json_array_size(p), 1);
    assert_double_near(json_real_value(json_array_get(json_array_get(p, 0), 0)), 121.63742, 1e-9);
    assert_double_near(json_real_value(json_array_get(json_array_get(p, 0), 1)), 31.201487, 1e-9);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(p, 0), 2)), 2);
    assert_string_equal(jstr(r.json, "crs"), "GCJ-02");
    resp_free(&r);
    get(&r, "/api/v1/divisions?area=310101", F.tok_sh); /* one residence without coordinates */
    json_t *dv = json_object_get(r.json, "division");
    assert_int_equal(jint(dv, "cases"), 3);
    assert_int_equal(jint(dv, "cases_with_coordinates"), 2);
    assert_int_equal(jint(dv, "cases_not_in_a_child"), 1); /* no township code without an address match */
    resp_free(&r);
    get(&r, "/api/v1/rt?area=31", F.tok_sh); /* 3 days of data: not enough for Rt */
    assert_error(&r, 400, "bad_request");
    resp_free(&r);
    /* with the range given, 13 days (3, 1, 2, then 0s; fewer days cut the serial interval below a
     * sum of 0.99): Rt and a 14-day renewal projection after 2022-04-13 that gives the numbers of
     * zn_rt_project on the same series, R from the last window */
    get(&r, "/api/v1/rt?area=31&from=2022-04-01&to=2022-04-13", F.tok_sh);
    assert_int_equal(r.status, 200);
    json_t *pj = json_object_get(r.json, "projection");
    assert_true(json_is_object(pj));
    assert_int_equal(jint(pj, "horizon"), 14);
    assert_int_equal(jint(pj, "seed"), 1);
    assert_int_equal(jint(pj, "sims"), 1000);
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
        check(zn_rt_estimate_parametric(x, 13, 3.5, 2.4, &cfg, &res, &err), &err, "rt"); /* server defaults */
        const zn_rt_row *last = &res.rows[res.n_rows - 1];
        assert_int_equal(last->t_end, 13);
        check(zn_rt_project(x, 13, res.si, res.n_si, last->shape, last->scale, 14, 1000, 0.95, 1, &pr, &err), &err,
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
    resp_free(&r);
    get(&r, "/api/v1/rt?area=31&from=2022-04-01&to=2022-04-13&project=0", F.tok_sh);
    assert_int_equal(r.status, 200);
    assert_true(json_is_null(json_object_get(r.json, "projection")));
    resp_free(&r);
    get(&r, "/api/v1/rt?area=31&from=2022-04-01&to=2022-04-13&project=61", F.tok_sh);
    assert_error(&r, 400, "bad_request");
    resp_free(&r);
    get(&r, "/api/v1/alerts?area=31&method=c9", F.tok_sh);
    assert_error(&r, 400, "bad_request");
    resp_free(&r);
    get(&r, "/api/v1/metrics?to=2022-04-03", F.tok_sh);
    assert_int_equal(jint(json_object_get(r.json, "cases"), "on_day"), 2);
    assert_int_equal(jint(json_object_get(r.json, "cases"), "last_7_days"), 6);
    assert_int_equal(jint(json_object_get(r.json, "tasks"), "issued"), 2);
    assert_int_equal(jint(json_object_get(r.json, "tasks"), "backlog"), 2);
    assert_int_equal(jint(json_object_get(r.json, "hub"), "quarantined"), 0); /* province command: hub */
    resp_free(&r);
    get(&r, "/api/v1/metrics", F.tok_pd); /* county command: no hub figures */
    assert_null(json_object_get(r.json, "hub"));
    assert_int_equal(jint(json_object_get(r.json, "tasks"), "issued"), 1);
    resp_free(&r);
    get(&r, "/api/v1/lineage", F.tok_pd);
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
    get(&r, "/api/v1/lineage?feed=case_residence_list", F.tok_admin);
    assert_int_equal(jint(r.json, "total"), 1);
    assert_int_equal(jint(first_item(&r), "accepted"), 6);
    assert_string_equal(jstr(first_item(&r), "file"), "res.csv");
    resp_free(&r);
}

static void test_tasks_field_flow(void **state)
{
    (void)state;
    resp r;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/move", (long long)F.task_pd);
    req(&r, "POST", path, F.tok_pd, NULL, "{\"to\":\"received\"}"); /* county command does not receive */
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
    req(&r, "POST", path, F.tok_grid, NULL, "{\"to\":\"verified\"}"); /* a grid worker does not verify */
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
    req(&r, "POST", path, F.tok_grid, NULL, "{\"to\":\"reported\",\"note\":\"skipping\"}"); /* issued -> reported */
    assert_error(&r, 409, "conflict");
    resp_free(&r);
    req(&r, "POST", path, F.tok_grid, NULL, "{\"to\":\"received\"}");
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(json_object_get(r.json, "task"), "state"), "received");
    resp_free(&r);
    req(&r, "POST", path, F.tok_grid, NULL, "{\"to\":\"reported\",\"note\":\"楼栋已封控\"}");
    assert_string_equal(jstr(json_object_get(r.json, "task"), "state"), "reported");
    resp_free(&r);
    req(&r, "POST", path, F.tok_pd, NULL, "{\"to\":\"verified\"}");
    assert_string_equal(jstr(json_object_get(r.json, "task"), "state"), "verified");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)F.task_pd);
    get(&r, path, F.tok_grid);
    json_t *h = json_object_get(r.json, "history");
    assert_int_equal(json_array_size(h), 4); /* issue, received, reported, verified */
    assert_string_equal(jstr(json_array_get(h, 2), "actor"), "grid");
    assert_string_equal(jstr(json_array_get(h, 2), "note"), "楼栋已封控");
    assert_string_equal(jstr(json_array_get(h, 3), "actor"), "pudong");
    resp_free(&r);
    req(&r, "POST", "/api/v1/tasks/abc/move", F.tok_grid, NULL, "{\"to\":\"received\"}");
    assert_error(&r, 400, "bad_request");
    resp_free(&r);
    req(&r, "POST", "/api/v1/tasks/99999/move", F.tok_grid, NULL, "{\"to\":\"received\"}");
    assert_error(&r, 404, "not_found");
    resp_free(&r);
}

static void test_users_api(void **state)
{
    (void)state;
    resp r;
    req(&r, "POST", "/api/v1/users", F.tok_admin, NULL,
        "{\"name\":\"xihu\",\"password\":\"correct horse battery\",\"role\":\"county\",\"scope\":\"330106\"}");
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(json_object_get(r.json, "user"), "scope"), "330106000000");
    resp_free(&r);
    req(&r, "POST", "/api/v1/users", F.tok_admin, NULL,
        "{\"name\":\"xihu\",\"password\":\"another long one\",\"role\":\"county\",\"scope\":\"330106\"}");
    assert_error(&r, 409, "duplicate");
    resp_free(&r);
    req(&r, "POST", "/api/v1/users", F.tok_admin, NULL,
        "{\"name\":\"bad\",\"password\":\"another long one\",\"role\":\"county\",\"scope\":\"33\"}");
    assert_error(&r, 400, "bad_request"); /* a county command needs a county */
    resp_free(&r);
    req(&r, "POST", "/api/v1/users", F.tok_pd, NULL,
        "{\"name\":\"x2\",\"password\":\"another long one\",\"role\":\"county\",\"scope\":\"310115\"}");
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
    get(&r, "/api/v1/users", F.tok_admin);
    assert_int_equal(json_array_size(json_object_get(r.json, "users")), 10);
    resp_free(&r);
    char tok[65];
    login("xihu", tok);
    req(&r, "POST", "/api/v1/users/xihu/disable", F.tok_admin, NULL, "{}");
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get(&r, "/api/v1/me", tok); /* disabling ends the sessions */
    assert_error(&r, 401, "unauthorized");
    resp_free(&r);
}

static void test_hostile_requests(void **state)
{
    (void)state;
    resp r;
    /* body over the limit (4096 in the options), announced and chunked */
    char *big = malloc(10001);
    memset(big, 'a', 10000);
    big[10000] = 0;
    req(&r, "POST", "/api/v1/login", NULL, NULL, big);
    assert_error(&r, 413, "payload_too_large");
    resp_free(&r);
    int fd = dial();
    const char *h = "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n";
    send_all(fd, h, strlen(h));
    for (int i = 0; i < 3; i++) {
        char chunk[16];
        int n = snprintf(chunk, sizeof chunk, "%x\r\n", 3000);
        send_all(fd, chunk, (size_t)n);
        send_all(fd, big, 3000);
        send_all(fd, "\r\n", 2);
    }
    send_all(fd, "0\r\n\r\n", 5);
    size_t len;
    parse(&r, read_all(fd, 5000, &len));
    close(fd);
    assert_error(&r, 413, "payload_too_large");
    resp_free(&r);
    /* headers over the limit (16 KiB) */
    char *head = malloc(40000);
    int n = snprintf(head, 40000, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ");
    memset(head + n, 'b', 30000);
    memcpy(head + n + 30000, "\r\n\r\n", 5);
    fd = dial();
    send_all(fd, head, strlen(head));
    parse(&r, read_all(fd, 5000, &len));
    close(fd);
    assert_int_equal(r.status, 431);
    resp_free(&r);
    free(head);
    free(big);
    /* malformed JSON, wrong type, wrong shape */
    req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\": \"admin\", ");
    assert_error(&r, 400, "bad_json");
    resp_free(&r);
    req(&r, "POST", "/api/v1/login", NULL, NULL, "[1,2]");
    assert_error(&r, 400, "bad_json");
    resp_free(&r);
    req(&r, "POST", "/api/v1/login", NULL, "application/x-www-form-urlencoded", "name=admin&password=x");
    assert_error(&r, 415, "unsupported_media_type");
    resp_free(&r);
    req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"admin\",\"password\":\"x\",\"name\":\"y\"}");
    assert_error(&r, 400, "bad_json"); /* duplicate keys refused */
    resp_free(&r);
    /* SQL injection attempts are data, not SQL */
    req(&r, "POST", "/api/v1/login", NULL, NULL, "{\"name\":\"admin' OR '1'='1\",\"password\":\"' OR 1=1 --\"}");
    assert_error(&r, 401, "unauthorized");
    resp_free(&r);
    get(&r, "/api/v1/cases?area=31%27%20OR%20%271%27=%271", F.tok_pd);
    assert_error(&r, 400, "bad_request");
    resp_free(&r);
    get(&r, "/api/v1/feeds/case_report%22%3B%20DROP%20TABLE%20audit_log%3B--/rows?why=xx", F.tok_epi);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
    get(&r, "/api/v1/audit?user=x%27%20OR%201=1--", F.tok_audit);
    assert_int_equal(jint(r.json, "total"), 0);
    resp_free(&r);
    /* path traversal on the static files */
    static const char *trav[] = {"/app/../../../etc/passwd", "/app/%2e%2e/%2e%2e/etc/passwd", "/app/.hidden.js",
                                 "/app//etc/passwd", "/vendor/../package.json", "/node_modules/echarts/package.json",
                                 "/app/cockpit.js/../../../x", "/app/%2fetc%2fpasswd", NULL};
    for (int i = 0; trav[i]; i++) {
        get(&r, trav[i], NULL);
        if (r.status != 404)
            fprintf(stderr, "%s -> %d\n", trav[i], r.status);
        assert_int_equal(r.status, 404);
        assert_null(strstr(r.body, "root:"));
        resp_free(&r);
    }
    get(&r, "/app/cockpit.js", NULL); /* the real file is there */
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Content-Type"), "text/javascript"));
    resp_free(&r);
    get(&r, "/", NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Content-Security-Policy"), "default-src 'self'"));
    resp_free(&r);
}

static void test_slow_client_is_dropped(void **state)
{
    (void)state;
    /* a request that never ends its headers: the server closes it after its 2 s timeout, and
     * answers others meanwhile */
    int fd = dial();
    const char *part = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
    send_all(fd, part, strlen(part));
    resp r;
    get(&r, "/api/v1/health", NULL);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    time_t t0 = time(NULL);
    size_t len;
    char *got = read_all(fd, 8000, &len); /* returns when the server closes */
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
    int fd = dial();
    char head[256];
    int n = snprintf(head, sizeof head, "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
                     F.tok_pd);
    send_all(fd, head, (size_t)n);
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
    get(&r, "/api/v1/events", NULL);
    assert_error(&r, 401, "unauthorized");
    resp_free(&r);
}

/* The command page's calls: templates, issuing an instruction (scope checked on every target
 * before anything is written), and the instructions of an area with their tasks' progress. */
static json_int_t instructions_total(const char *token)
{
    resp r;
    get(&r, "/api/v1/instructions", token);
    assert_int_equal(r.status, 200);
    json_int_t n = jint(r.json, "total");
    resp_free(&r);
    return n;
}

static void test_instructions(void **state)
{
    (void)state;
    resp r;
    get(&r, "/api/v1/templates", F.tok_pd);
    assert_int_equal(r.status, 200);
    json_t *rows = json_object_get(r.json, "rows"), *seal = NULL;
    for (size_t i = 0; i < json_array_size(rows); i++)
        if (!strcmp(jstr(json_array_get(rows, i), "id"), "epi.seal_unit"))
            seal = json_array_get(rows, i);
    assert_non_null(seal);
    assert_string_equal(jstr(seal, "name_zh"), "封控单元并设岗值守");
    resp_free(&r);

    /* before: the fixture's one instruction has a task in Pudong and one in Huangpu */
    assert_int_equal(instructions_total(F.tok_admin), 1);
    assert_int_equal(instructions_total(F.tok_pd), 1);
    assert_int_equal(instructions_total(F.tok_zj), 0);

    /* refusals, none of which writes anything */
    const char *seal_pd = "{\"template\":\"epi.seal_unit\",\"reason\":\"新增阳性 C-PD9\","
                          "\"targets\":[{\"division\":\"310115125000\"}]}";
    req(&r, "POST", "/api/v1/instructions", F.tok_grid, NULL, seal_pd); /* a grid worker does not command */
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
    req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, /* the second target is Huangpu's */
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"310115125000\"},"
        "{\"division\":\"310101013000\"}]}");
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
    req(&r, "POST", "/api/v1/instructions", F.tok_sh, NULL,
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"330106\"}]}");
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
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
        req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, bad[i]);
        if (r.status != 400)
            fprintf(stderr, "body %zu: %s\n", i, r.raw);
        assert_int_equal(r.status, 400);
        resp_free(&r);
    }
    req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, "{\"template\":"); /* not JSON */
    assert_error(&r, 400, "bad_json");
    resp_free(&r);
    req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL, /* a village code that is not in the registry */
        "{\"template\":\"epi.seal_unit\",\"reason\":\"x-y\",\"targets\":[{\"division\":\"310115999999\"}]}");
    assert_error(&r, 404, "not_found");
    resp_free(&r);
    assert_int_equal(instructions_total(F.tok_admin), 1);

    /* Pudong's command seals a unit in 张江镇: one task routed to the township, no transfer */
    req(&r, "POST", "/api/v1/instructions", F.tok_pd, NULL,
        "{\"template\":\"epi.seal_unit\",\"reason\":\"新增阳性 C-PD9\",\"title\":\"封控张东路2281弄\","
        "\"subject\":{\"kind\":\"zone\",\"ref\":\"place:浦东新区:张东路2281弄\"},"
        "\"links\":[{\"kind\":\"case\",\"ref\":\"C-PD9\"}],\"targets\":[{\"division\":\"310115125000\"}]}");
    if (r.status != 201)
        fprintf(stderr, "%s\n", r.raw);
    assert_int_equal(r.status, 201);
    json_int_t iid = jint(r.json, "instruction_id");
    assert_true(iid > 1);
    assert_string_equal(jstr(r.json, "issuer"), "pudong");
    assert_string_equal(jstr(r.json, "issuer_unit"), "310115000000");
    json_t *tasks = json_object_get(r.json, "tasks");
    assert_int_equal(json_array_size(tasks), 1);
    json_t *t0 = json_array_get(tasks, 0);
    assert_string_equal(jstr(t0, "division"), "310115125000");
    assert_true(json_is_null(json_object_get(t0, "transfer_id")));
    json_int_t tid = jint(t0, "id");
    resp_free(&r);

    /* the task is in the grid worker's list with its title and subject */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld", (long long)tid);
    get(&r, path, F.tok_grid);
    assert_int_equal(r.status, 200);
    json_t *task = json_object_get(r.json, "task");
    assert_string_equal(jstr(task, "title"), "封控张东路2281弄");
    assert_string_equal(jstr(task, "state"), "issued");
    assert_int_equal(jint(task, "instruction_id"), iid);
    resp_free(&r);

    /* listed for Pudong (newest first) and the city, not for Huangpu or Zhejiang */
    get(&r, "/api/v1/instructions", F.tok_pd);
    assert_int_equal(jint(r.json, "total"), 2);
    json_t *first = json_array_get(json_object_get(r.json, "rows"), 0);
    assert_int_equal(jint(first, "id"), iid);
    assert_string_equal(jstr(first, "reason"), "新增阳性 C-PD9");
    assert_int_equal(jint(first, "tasks"), 1);
    assert_int_equal(jint(json_object_get(first, "by_state"), "issued"), 1);
    resp_free(&r);
    assert_int_equal(instructions_total(F.tok_hp), 1);
    assert_int_equal(instructions_total(F.tok_zj), 0);
    assert_int_equal(instructions_total(F.tok_sh), 2);
    get(&r, "/api/v1/instructions?area=310101", F.tok_pd);
    assert_error(&r, 403, "forbidden");
    resp_free(&r);
}

/* A new zone evaluation, a finished tracing run and a new alert written by another process (the
 * CLI) reach a cockpit on the stream as zones.changed, contacts.changed and alerts.new. */
static void test_events_epidemic(void **state)
{
    (void)state;
    int fd = dial();
    char head[256];
    int n = snprintf(head, sizeof head, "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
                     F.tok_sh);
    send_all(fd, head, (size_t)n);
    static char buf[16384];
    size_t got = 0;
    buf[0] = 0;
    assert_true(await_event(fd, buf, sizeof buf, &got, "event: hello"));
    assert_null(strstr(buf, "zones.changed"));
    char db[512];
    snprintf(db, sizeof db, "%s/server.db", zn_test_tmpdir());
    zn_store *st;
    zn_error err;
    check(zn_store_open(F.ctx, db, &st, &err), &err, "open");
    check(zn_store_exec(st,
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
        cmocka_unit_test(test_events_epidemic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
