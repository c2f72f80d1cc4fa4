/*
 * The JSON API, /api/v1 (docs/server.md lists every route). Each handler checks the caller's
 * permission, takes the area asked for (checked to lie inside the caller's scope by zn__area)
 * and calls the scoped query layer with the caller's scope prefix.
 */
#include "server_int.h"

#include "zhinao/div.h"
#include "zhinao/ident.h"
#include "zhinao/stats.h"
#include "zhinao/time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COOKIE "zn_session"

/* ------------------------------------------------------------- helpers ---- */

static int need(zn__call *c, unsigned perm)
{
    if ((c->who.perms & perm) == perm)
        return 1;
    return zn__fail(c, 403, "forbidden", "your role (%s) may not do this", zn_role_name(c->who.user.role));
}

static int date_ok(const char *s)
{
    int y, m, d;
    char tail;
    return s && strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 &&
           d >= 1 && d <= 31;
}

/* UTC seconds of local 24:00 of day `ymd` (YYYY-MM-DD, checked by date_ok) in the server's time
 * zone (zn_ctx_tz_offset of the server's context, +08:00 by default). */
static int64_t day_end(const zn__call *c, const char *ymd)
{
    int y, m, d;
    sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d);
    return (zn_days_from_civil(y, m, d) + 1) * 86400 - zn_ctx_tz_offset(c->srv->ctx);
}

/* from/to (or date = both) parameters, NULL when absent. Returns 0 after a 400 answer. */
static int dates(zn__call *c, const char **from, const char **to)
{
    const char *d = zn__arg(c, "date");
    *from = d ? d : zn__arg(c, "from");
    *to = d ? d : zn__arg(c, "to");
    if ((*from && !date_ok(*from)) || (*to && !date_ok(*to)))
        return zn__fail(c, 400, "bad_request", "dates are YYYY-MM-DD");
    return 1;
}

static json_t *page_json(json_t *items, int64_t limit, int64_t offset, int64_t total)
{
    json_t *j = json_pack("{s:o, s:I, s:I}", "items", items, "limit", (json_int_t)limit, "offset", (json_int_t)offset);
    if (total >= 0) {
        json_object_set_new(j, "total", json_integer(total));
        json_object_set_new(j, "next_offset", offset + limit < total ? json_integer(offset + limit) : json_null());
    }
    return j;
}

json_t *zn__body_object(zn__call *c)
{
    json_error_t je;
    json_t *j = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        zn__fail(c, 400, "bad_json", "request body is not JSON: %s (line %d column %d)", je.text, je.line, je.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        zn__fail(c, 400, "bad_json", "request body must be a JSON object");
        return NULL;
    }
    return j;
}

static const char *str_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *user_json(const zn_user *u)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:I}", "id", (json_int_t)u->id, "name", u->name,
                     "display_name", u->display_name, "role", zn_role_name(u->role), "role_zh",
                     zn_role_label_zh(u->role), "scope", u->scope, "disabled", u->disabled, "created_at",
                     (json_int_t)u->created_at);
}

static void audit(zn__call *c, const char *action, const char *object, const char *why)
{
    zn_error err;
    if (zn_audit_append(c->db->st, c->who.user.id, c->who.user.name, zn_role_name(c->who.user.role),
                        c->who.user.scope, action, object, why, c->client, &err) != ZN_OK) {
        char buf[1024];
        zn_log(c->srv->ctx, ZN_LOG_ERROR, "serve: audit write failed: %s", zn_error_format(&err, buf, sizeof buf));
    }
}

/* ---------------------------------------------------------------- auth ---- */

static void authenticate(zn__call *c)
{
    const char *token = NULL;
    const char *h = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Authorization");
    if (h && !strncasecmp(h, "Bearer ", 7))
        token = h + 7;
    if (!token)
        token = MHD_lookup_connection_value(c->conn, MHD_COOKIE_KIND, COOKIE);
    if (!token)
        return;
    zn_error err;
    if (zn__session_lookup_cached(c->db->st, &c->db->stmt[ZN__STMT_SESSION], token, c->now, &c->who, &err) != ZN_OK)
        memset(&c->who, 0, sizeof c->who);
}

static int h_login(zn__call *c)
{
    json_t *b = zn__body_object(c);
    if (!b)
        return 0;
    const char *name = str_field(b, "name"), *pw = str_field(b, "password");
    if (!name || !pw || strlen(name) > 63 || strlen(pw) > 1024) {
        json_decref(b);
        return zn__fail(c, 400, "bad_request", "give name and password");
    }
    char kname[96], kclient[96];
    snprintf(kname, sizeof kname, "name:%s", name);
    snprintf(kclient, sizeof kclient, "client:%s", c->client);
    int64_t wait = zn__limiter_wait(&c->srv->limiter, kname, c->srv->login_max, c->now);
    int64_t w2 = zn__limiter_wait(&c->srv->limiter, kclient, 3 * c->srv->login_max, c->now);
    if (w2 > wait)
        wait = w2;
    if (wait > 0) {
        json_decref(b);
        c->retry_after = (int)wait;
        return zn__fail(c, 429, "too_many_requests", "too many failed logins; try again in %lld s", (long long)wait);
    }
    zn_user u;
    zn_error err;
    zn_status s = zn_user_verify(c->db->st, name, pw, &u, &err);
    if (s == ZN_EVALIDATE) {
        zn__limiter_fail(&c->srv->limiter, kname, c->now);
        zn__limiter_fail(&c->srv->limiter, kclient, c->now);
        zn_audit_append(c->db->st, 0, name, "", "", "login_failed", "session", "", c->client, NULL);
        json_decref(b);
        return zn__fail(c, 401, "unauthorized", "wrong name or password");
    }
    json_decref(b);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    zn__limiter_clear(&c->srv->limiter, kname);
    char token[65];
    if ((s = zn__session_create(c->db->st, u.id, c->now, c->srv->session_ttl, c->client, token, &err)) != ZN_OK)
        return zn__fail_status(c, s, &err);
    c->who.user = u;
    zn__principal_finish(&c->who);
    audit(c, "login", "session", "");
    snprintf(c->cookie, sizeof c->cookie, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", token,
             (long long)c->srv->session_ttl, c->srv->secure_cookie ? "; Secure" : "");
    return zn__ok(c, json_pack("{s:s, s:I, s:o}", "token", token, "expires_at",
                               (json_int_t)(c->now + c->srv->session_ttl), "user", user_json(&u)));
}

static int h_logout(zn__call *c)
{
    zn_error err;
    zn_status s = zn__session_revoke(c->db->st, c->who.token_hash, c->now, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    audit(c, "logout", "session", "");
    snprintf(c->cookie, sizeof c->cookie, COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
             c->srv->secure_cookie ? "; Secure" : "");
    return zn__ok(c, json_pack("{s:b}", "ok", 1));
}

static json_t *perms_json(unsigned p)
{
    static const struct {
        unsigned bit;
        const char *name;
    } P[] = {{ZN_PERM_READ, "read"},           {ZN_PERM_PERSON, "person"},
             {ZN_PERM_UNMASK_ID, "unmask_id"}, {ZN_PERM_UNMASK_PHONE, "unmask_phone"},
             {ZN_PERM_HUB, "hub"},             {ZN_PERM_TASK_WORK, "task_work"},
             {ZN_PERM_TASK_COMMAND, "task_command"}, {ZN_PERM_AUDIT, "audit"},
             {ZN_PERM_USERS, "users"}};
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
        if (p & P[i].bit)
            json_array_append_new(a, json_string(P[i].name));
    return a;
}

static int h_me(zn__call *c)
{
    json_t *u = user_json(&c->who.user);
    json_object_set_new(u, "permissions", perms_json(c->who.perms));
    json_object_set_new(u, "prefix", json_string(c->who.prefix));
    int64_t ed = zn__q_latest_edition(c->db->st);
    zn_status s;
    zn_error err;
    json_t *d = *c->who.prefix ? zn__q_division(c->db->st, ed, c->who.user.scope, &err, &s) : NULL;
    json_object_set_new(u, "division", d ? d : json_pack("{s:s, s:s, s:i}", "code", "000000000000", "name", "全国",
                                                         "level", 0));
    char first[11], last[11];
    zn__q_case_range(c->db->st, c->who.prefix, first, last, &err);
    json_object_set_new(u, "features",
                        json_pack("{s:b, s:b, s:b, s:b, s:{s:s, s:s}}", "tasks", c->db->loop != NULL, "boundaries",
                                  c->srv->bounds.n > 0, "catalogue", c->srv->cat != NULL, "stats", 1, "cases",
                                  "first", first, "last", last));
    return zn__ok(c, u);
}

/* ----------------------------------------------------------- divisions ---- */

static int h_divisions(zn__call *c, const char *code_arg)
{
    char code[13], prefix[13];
    if (code_arg) { /* /divisions/{code}: same checks as ?area= */
        zn_error err;
        if (zn_div_normalize(code_arg, code) != ZN_OK && strcmp(code_arg, "0"))
            return zn__fail(c, 400, "bad_request", "'%s' is not a division code", code_arg);
        if (!strcmp(code_arg, "0"))
            memcpy(code, "000000000000", 13);
        if (zn_scope_prefix(code, prefix, &err) != ZN_OK)
            return zn__fail(c, 400, "bad_request", "%s", err.msg);
        if (strncmp(prefix, c->who.prefix, strlen(c->who.prefix)) != 0)
            return zn__fail(c, 403, "forbidden", "division %s is outside your scope", code);
    } else if (!zn__area(c, "area", code, prefix)) {
        return 0;
    }
    const char *from, *to;
    if (!dates(c, &from, &to))
        return 0;
    const char *eds = zn__arg(c, "edition");
    int64_t ed = eds ? strtoll(eds, NULL, 10) : zn__q_latest_edition(c->db->st);
    zn_error err;
    zn_status s = ZN_OK;
    json_t *self;
    if (*prefix) {
        self = zn__q_division(c->db->st, ed, code, &err, &s);
        if (!self)
            return s != ZN_OK ? zn__fail_status(c, s, &err)
                              : zn__fail(c, 404, "not_found", "no division %s in edition %lld", code, (long long)ed);
    } else {
        self = json_pack("{s:s, s:s, s:i, s:s}", "code", "000000000000", "name", "全国", "level", 0, "parent", "");
    }
    json_t *path = json_array(), *children = json_array();
    if (*prefix)
        s = zn__q_division_path(c->db->st, ed, code, path, &err);
    if (s == ZN_OK)
        s = zn__q_division_children(c->db->st, c->who.prefix, ed, *prefix ? code : "", from, to, children, &err);
    int64_t n = 0, matched = 0;
    if (s == ZN_OK)
        s = zn__q_case_count(c->db->st, c->who.prefix, prefix, from, to, &n, &matched, &err);
    if (s != ZN_OK) {
        json_decref(self);
        json_decref(path);
        json_decref(children);
        return zn__fail_status(c, s, &err);
    }
    int64_t in_children = 0;
    size_t i;
    json_t *ch;
    json_array_foreach(children, i, ch) in_children += json_integer_value(json_object_get(ch, "cases"));
    json_object_set_new(self, "cases", json_integer(n));
    json_object_set_new(self, "cases_with_coordinates", json_integer(matched));
    json_object_set_new(self, "cases_not_in_a_child", json_integer(n - in_children));
    return zn__ok(c, json_pack("{s:o, s:o, s:o, s:I, s:s?, s:s?}", "division", self, "path", path, "children",
                               children, "edition", (json_int_t)ed, "from", from, "to", to));
}

static int h_boundaries(zn__call *c, const char *code_arg)
{
    char code[13], prefix[13];
    if (code_arg) {
        zn_error err;
        if (zn_div_normalize(code_arg, code) != ZN_OK)
            return zn__fail(c, 400, "bad_request", "'%s' is not a division code", code_arg);
        if (zn_scope_prefix(code, prefix, &err) != ZN_OK)
            return zn__fail(c, 400, "bad_request", "%s", err.msg);
        if (strncmp(prefix, c->who.prefix, strlen(c->who.prefix)) != 0)
            return zn__fail(c, 403, "forbidden", "division %s is outside your scope", code);
    } else if (!zn__area(c, "area", code, prefix)) {
        return 0;
    }
    zn_buf out = {0};
    size_t n = 0;
    if (zn__boundaries_collection(&c->srv->bounds, *prefix ? code : "", &out, &n) != ZN_OK) {
        zn_buf_fini(&out);
        return zn__fail(c, 500, "internal", "out of memory");
    }
    if (n == 0) {
        zn_buf_fini(&out);
        return zn__fail(c, 404, "not_found", "no boundary polygons shipped for %s", code);
    }
    c->status = 200;
    c->raw = out.data; /* ownership passes to the answer */
    c->raw_type = "application/geo+json; charset=utf-8";
    return 1;
}

/* --------------------------------------------------------------- cases ---- */

static int h_cases(zn__call *c)
{
    char code[13], prefix[13];
    const char *from, *to;
    int64_t limit, offset;
    if (!zn__area(c, "area", code, prefix) || !dates(c, &from, &to) || !zn__page(c, 100, 10000, &limit, &offset))
        return 0;
    json_t *items = json_array();
    int64_t total = 0;
    zn_error err;
    zn_status s = zn__q_cases_list(c->db->st, c->who.prefix, prefix, from, to, limit, offset, items, &total, &err);
    if (s != ZN_OK) {
        json_decref(items);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, page_json(items, limit, offset, total));
}

static zn_status daily(zn__call *c, const char *prefix, const char *from, const char *to, json_t **dates_out,
                       json_t **counts_out, zn_error *err)
{
    *dates_out = json_array();
    *counts_out = json_array();
    return zn__q_cases_daily(c->db->st, c->who.prefix, prefix, from, to, *dates_out, *counts_out, err);
}

static int h_cases_daily(zn__call *c)
{
    char code[13], prefix[13];
    const char *from, *to;
    if (!zn__area(c, "area", code, prefix) || !dates(c, &from, &to))
        return 0;
    json_t *d, *n;
    zn_error err;
    zn_status s = daily(c, prefix, from, to, &d, &n, &err);
    if (s != ZN_OK) {
        json_decref(d);
        json_decref(n);
        return zn__fail_status(c, s, &err);
    }
    int64_t total = 0;
    size_t i;
    json_t *v;
    json_array_foreach(n, i, v) total += json_integer_value(v);
    return zn__ok(c, json_pack("{s:s, s:o, s:o, s:I, s:s}", "area", code, "dates", d, "counts", n, "total",
                               (json_int_t)total, "what", "cases per day: residences listed (上海发布) and case reports (source case_report)"));
}

static int h_cases_points(zn__call *c)
{
    char code[13], prefix[13];
    const char *from, *to;
    if (!zn__area(c, "area", code, prefix) || !dates(c, &from, &to))
        return 0;
    const char *cs = zn__arg(c, "cell");
    double cell = cs ? strtod(cs, NULL) : 0;
    if (!(cell >= 0 && cell <= 1))
        return zn__fail(c, 400, "bad_request", "cell is a grid size in degrees from 0 (exact points) to 1");
    json_t *rows = json_array();
    zn_error err;
    zn_status s = zn__q_cases_heat(c->db->st, c->who.prefix, prefix, from, to, cell, rows, &err);
    if (s != ZN_OK) {
        json_decref(rows);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:s, s:s, s:f, s:o, s:s?, s:s?}", "area", code, "crs", "GCJ-02", "cell", cell,
                               "points", rows, "from", from, "to", to));
}

/* --------------------------------------------------------------- stats ---- */

/* The projection served with /rt: 1000 simulated trajectories, seed 1 (the same numbers on every
 * request and as `zhinao rt --project DAYS --seed 1`), 95 % interval; `project` days (default 14). */
#define RT_PROJ_SIMS 1000
#define RT_PROJ_SEED 1UL
#define RT_PROJ_LEVEL 0.95
#define RT_PROJ_MAX 60

static json_t *reals(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

/* Renewal-equation projection (zn_rt_project) after the series x[0..T-1] whose last day is the
 * string last_date (YYYY-MM-DD), with R from the last window of res; NULL when that window has no
 * estimate. */
static json_t *rt_projection(const double *x, size_t T, const zn_rt_result *res, const char *last_date,
                             size_t horizon, zn_error *err, zn_status *s)
{
    *s = ZN_OK;
    const zn_rt_row *last = res->n_rows ? &res->rows[res->n_rows - 1] : NULL;
    int y, m, d;
    if (!horizon || !last || isnan(last->shape) || !last_date || sscanf(last_date, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return NULL;
    zn_projection p = {0};
    *s = zn_rt_project(x, T, res->si, res->n_si, last->shape, last->scale, horizon, RT_PROJ_SIMS, RT_PROJ_LEVEL,
                       RT_PROJ_SEED, &p, err);
    if (*s != ZN_OK)
        return NULL;
    json_t *dates = json_array();
    int64_t day = zn_days_from_civil(y, m, d);
    for (size_t h = 1; h <= horizon; h++) {
        char buf[16];
        zn_civil_from_days(day + (int64_t)h, &y, &m, &d);
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        json_array_append_new(dates, json_string(buf));
    }
    json_t *j = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:I, s:I, s:{s:f, s:f, s:f}, s:s}", "horizon",
                          (json_int_t)horizon, "dates", dates, "expected", reals(p.expected, horizon), "mean",
                          reals(p.mean, horizon), "median", reals(p.median, horizon), "lo", reals(p.lo, horizon),
                          "hi", reals(p.hi, horizon), "level", RT_PROJ_LEVEL, "sims", (json_int_t)RT_PROJ_SIMS,
                          "seed", (json_int_t)RT_PROJ_SEED, "r", "shape", last->shape, "scale", last->scale, "mean",
                          last->mean, "method",
                          "renewal equation; R drawn from the last window's gamma posterior, daily counts "
                          "Poisson(R Lambda) (R projections); lo/median/hi: quantiles of the trajectories");
    zn_projection_fini(&p);
    return j;
}

static int h_rt(zn__call *c)
{
    char code[13], prefix[13];
    const char *from, *to;
    if (!zn__area(c, "area", code, prefix) || !dates(c, &from, &to))
        return 0;
    json_t *d, *n;
    zn_error err;
    zn_status s = daily(c, prefix, from, to, &d, &n, &err);
    size_t T = json_array_size(n);
    double *x = T ? malloc(T * sizeof *x) : NULL;
    zn_rt_result res = {0};
    const char *ps = zn__arg(c, "project");
    char *pend = NULL;
    long horizon = ps ? strtol(ps, &pend, 10) : 14;
    if (ps && (pend == ps || *pend || horizon < 0 || horizon > RT_PROJ_MAX)) {
        free(x);
        json_decref(d);
        json_decref(n);
        return zn__fail(c, 400, "bad_request", "project is a number of days from 0 (no projection) to 60");
    }
    json_t *proj = NULL;
    if (s == ZN_OK && T < 8) { /* its own code, with the numbers, so a page can say it in its language */
        free(x);
        json_decref(d);
        json_decref(n);
        zn__fail(c, 400, "rt_too_few_days", "Rt needs at least 8 days of counts, the area has %zu", T);
        json_object_set_new(c->json, "days", json_integer((json_int_t)T));
        json_object_set_new(c->json, "need", json_integer(8));
        return 0;
    }
    if (s == ZN_OK && !x)
        s = zn_error_set(&err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    if (s == ZN_OK) {
        for (size_t i = 0; i < T; i++)
            x[i] = (double)json_integer_value(json_array_get(n, i));
        zn_rt_config cfg;
        zn_rt_config_default(&cfg);
        s = zn_rt_estimate_parametric(x, T, c->srv->si_mean, c->srv->si_sd, &cfg, &res, &err);
        if (s == ZN_OK)
            proj = rt_projection(x, T, &res, json_string_value(json_array_get(d, T - 1)), (size_t)horizon, &err, &s);
        if (s != ZN_OK)
            zn_rt_result_fini(&res);
    }
    free(x);
    if (s != ZN_OK) {
        json_decref(d);
        json_decref(n);
        return zn__fail_status(c, s, &err);
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < res.n_rows; i++) {
        const zn_rt_row *r = &res.rows[i];
        if (isnan(r->mean))
            continue;
        /* cv: the posterior's coefficient of variation, 1/sqrt(shape). EpiEstim (Cori et al. 2013,
         * Am J Epidemiol 178:1505; EstimateR's CV.Posterior = 0.3 in EpiEstim 1.1) takes 0.3 as the
         * precision to aim for (about 11 or more cases in the window): above it the estimate says
         * little (reliable = false) */
        double cv = r->mean > 0 ? r->sd / r->mean : NAN;
        json_array_append_new(rows, json_pack("{s:o, s:o, s:f, s:f, s:f, s:f, s:o, s:b}", "start",
                                              json_incref(json_array_get(d, r->t_start - 1)), "end",
                                              json_incref(json_array_get(d, r->t_end - 1)), "mean", r->mean, "lo",
                                              r->q[0], "median", r->q[3], "hi", r->q[6], "cv",
                                              isnan(cv) ? json_null() : json_real(cv), "reliable", !isnan(cv) && cv < 0.3));
    }
    zn_rt_result_fini(&res);
    json_decref(d);
    json_decref(n);
    return zn__ok(c, json_pack("{s:s, s:o, s:{s:s, s:f, s:f, s:i}, s:s, s:o}", "area", code, "windows", rows,
                               "method", "name", "Cori et al. 2013 (EpiEstim parametric_si)", "si_mean",
                               c->srv->si_mean, "si_sd", c->srv->si_sd, "window", 7, "interval",
                               "95% credible interval (lo, hi)", "projection", proj ? proj : json_null()));
}

static int h_alerts(zn__call *c)
{
    char code[13], prefix[13];
    const char *from, *to;
    if (!zn__area(c, "area", code, prefix) || !dates(c, &from, &to))
        return 0;
    const char *m = zn__arg(c, "method");
    zn_ears_method method = !m || !strcmp(m, "c2") ? ZN_EARS_C2 : !strcmp(m, "c1") ? ZN_EARS_C1
                          : !strcmp(m, "c3")       ? ZN_EARS_C3
                                                   : 0;
    if (!method)
        return zn__fail(c, 400, "bad_request", "method is c1, c2 or c3 (EARS)");
    json_t *d, *n;
    zn_error err;
    zn_status s = daily(c, prefix, from, to, &d, &n, &err);
    zn_ears_params p;
    zn_ears_params_default(&p, method);
    if (method == ZN_EARS_C3)
        p.alpha = 0.025;
    size_t first = p.baseline + (method == ZN_EARS_C1 ? 0 : method == ZN_EARS_C2 ? 2 : 4);
    size_t T = json_array_size(n);
    double *x = malloc((T + 1) * sizeof *x), *ub = malloc((T + 1) * sizeof *ub);
    int *alarm = malloc((T + 1) * sizeof *alarm);
    if (s == ZN_OK && (!x || !ub || !alarm))
        s = zn_error_set(&err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    json_t *alerts = json_array(), *bounds = json_array();
    if (s == ZN_OK && T > first) {
        for (size_t i = 0; i < T; i++)
            x[i] = (double)json_integer_value(json_array_get(n, i));
        s = zn_ears(x, T, first, &p, ub, alarm, &err);
        for (size_t i = 0; s == ZN_OK && i < T; i++) {
            json_array_append_new(bounds, isnan(ub[i]) ? json_null() : json_real(ub[i]));
            if (alarm[i] == 1)
                json_array_append_new(alerts, json_pack("{s:O, s:f, s:f}", "date", json_array_get(d, i), "count",
                                                        x[i], "upperbound", ub[i]));
        }
    }
    free(x);
    free(ub);
    free(alarm);
    if (s != ZN_OK) {
        json_decref(d);
        json_decref(n);
        json_decref(alerts);
        json_decref(bounds);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "area", code, "method",
                               method == ZN_EARS_C1 ? "EARS C1" : method == ZN_EARS_C2 ? "EARS C2" : "EARS C3",
                               "alerts", alerts, "dates", d, "counts", n, "upperbound", bounds));
}

/* --------------------------------------------------------------- metrics ---- */

static int h_metrics(zn__call *c)
{
    char code[13], prefix[13];
    const char *from, *to;
    if (!zn__area(c, "area", code, prefix) || !dates(c, &from, &to))
        return 0;
    zn_error err;
    int64_t n = 0, matched = 0;
    zn_status s = zn__q_case_count(c->db->st, c->who.prefix, prefix, from, to, &n, &matched, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    json_t *j = json_pack("{s:s, s:{s:I, s:I}}", "area", code, "cases", "listed", (json_int_t)n, "with_coordinates",
                          (json_int_t)matched);
    if (to) { /* the day itself and the week before it */
        int y, m, d;
        sscanf(to, "%4d-%2d-%2d", &y, &m, &d);
        int64_t day = zn_days_from_civil(y, m, d);
        char wk[11];
        zn_civil_from_days(day - 6, &y, &m, &d);
        snprintf(wk, sizeof wk, "%04d-%02d-%02d", y, m, d);
        int64_t on_day = 0, week = 0;
        zn__q_case_count(c->db->st, c->who.prefix, prefix, to, to, &on_day, NULL, &err);
        zn__q_case_count(c->db->st, c->who.prefix, prefix, wk, to, &week, NULL, &err);
        json_object_set_new(json_object_get(j, "cases"), "on_day", json_integer(on_day));
        json_object_set_new(json_object_get(j, "cases"), "last_7_days", json_integer(week));
    }
    if (c->db->loop) {
        /* The area's tasks as of the end of day `to` (local 24:00 in the server's zone), or of now:
         * [0, as_of) in seconds, + 1 so that a task closed in this very second counts; never past
         * now (a later as_of would call overdue what is not overdue yet). No task issued by then:
         * zeros, not an absent block (the page would keep showing another day's numbers). */
        int64_t as_of = c->now + 1;
        if (to && day_end(c, to) < as_of)
            as_of = day_end(c, to);
        zn_loop_metrics_query q = {.from = 0, .to = as_of, .division_prefix = prefix, .group_level = 0};
        zn_loop_metrics_row *rows = NULL, zero = {.on_time_rate = NAN};
        size_t nr = 0;
        if (zn_loop_metrics(c->db->st, &q, &rows, &nr, &err) == ZN_OK) {
            zn_loop_metrics_row *r = nr > 0 ? &rows[0] : &zero;
            json_object_set_new(j, "tasks",
                                json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "as_of", (json_int_t)as_of, "issued",
                                          (json_int_t)r->issued, "closed", (json_int_t)r->closed, "on_time",
                                          (json_int_t)r->on_time, "backlog", (json_int_t)r->backlog, "overdue",
                                          (json_int_t)r->overdue, "on_time_rate",
                                          isnan(r->on_time_rate) ? json_null() : json_real(r->on_time_rate)));
        }
        free(rows);
    }
    if (c->who.perms & ZN_PERM_HUB) {
        /* The whole store, whatever the area and day: a file (lineage) spans areas, and a
         * quarantined row is kept as its raw text with no division (it failed validation, maybe
         * on that very field), so neither can be placed in an area. "covers" says so; GET /feeds
         * gives the rows inside the area up to the day. */
        int64_t files = 0, rows = 0, quarantined = 0;
        int yes = 0;
        if (zn_store_table_exists(c->db->st, "lineage", &yes, NULL) == ZN_OK && yes) {
            zn_store_query_int64(c->db->st, "SELECT COUNT(*) FROM lineage WHERE status = 'loaded'", &files, NULL);
            zn_store_query_int64(c->db->st, "SELECT COALESCE(SUM(accepted), 0) FROM lineage", &rows, NULL);
            zn_store_query_int64(c->db->st, "SELECT COUNT(*) FROM quarantine", &quarantined, NULL);
        }
        json_object_set_new(j, "hub", json_pack("{s:s, s:I, s:I, s:I}", "covers", "store", "files", (json_int_t)files,
                                                "rows_accepted", (json_int_t)rows, "quarantined",
                                                (json_int_t)quarantined));
    }
    json_object_set_new(j, "server", json_pack("{s:I, s:I}", "uptime_s", (json_int_t)(c->now - c->srv->started_at),
                                               "requests", (json_int_t)__atomic_load_n(&c->srv->requests,
                                                                                       __ATOMIC_RELAXED)));
    return zn__ok(c, j);
}

/* ---------------------------------------------------------------- hub ---- */

/* The column of feed f that places a row in an area (the first division_code column) and the one
 * that places it in time (the first *required* date or time column: an optional one would drop
 * the rows that leave it empty); -1 when none. */
static void feed_axes(const zn_feed *f, int *division, int *day)
{
    *division = *day = -1;
    for (size_t k = 0; k < f->ncolumns; k++) {
        const zn_feed_column *col = &f->columns[k];
        if (*division < 0 && col->type == ZN_COL_DIVISION)
            *division = (int)k;
        if (*day < 0 && col->required && (col->type == ZN_COL_DATE || col->type == ZN_COL_TIME))
            *day = (int)k;
    }
}

/*
 * Rows of table feed_<f> inside division prefix `prefix` ("" = every row) and, when to_day is
 * given and the feed has a day column, up to the end of that local day (date <= to_day, time <
 * to_end). The division is stored as the 12-digit code (ZN_COL_DIVISION), so "inside the prefix"
 * is the range [prefix, prefix + ":") (':' follows '9'), served by the index the feed catalogue
 * declares on (division column, day column) (data/feeds/catalogue.json "indexes", made by the
 * ingest): the count reads only that index. A store loaded before the index existed scans the
 * table until the feed is ingested again.
 * *why is set (and *rows left 0) when the rows cannot be counted: "not_ingested" (no table yet),
 * "no_division_column" (the area is below the country and the feed's rows carry no division).
 */
static zn_status feed_rows(zn__call *c, const zn_feed *f, const char *prefix, const char *to_day, int64_t to_end,
                           int64_t *rows, const char **why, zn_error *err)
{
    *rows = 0;
    *why = NULL;
    char table[96];
    int yes = 0, dc, tc;
    snprintf(table, sizeof table, "feed_%s", f->name);
    zn_status s = zn_store_table_exists(c->db->st, table, &yes, err);
    if (s != ZN_OK)
        return s;
    if (!yes) {
        *why = "not_ingested";
        return ZN_OK;
    }
    feed_axes(f, &dc, &tc);
    if (*prefix && dc < 0) {
        *why = "no_division_column";
        return ZN_OK;
    }
    char sql[512];
    int n = snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM \"%s\" WHERE 1", table);
    if (*prefix)
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND \"%s\" >= ?1 AND \"%s\" < ?2", f->columns[dc].name,
                      f->columns[dc].name);
    if (to_day && tc >= 0)
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND \"%s\" %s ?3", f->columns[tc].name,
                      f->columns[tc].type == ZN_COL_DATE ? "<=" : "<");
    zn_stmt *q;
    if ((s = zn_stmt_prepare(c->db->st, sql, &q, err)) != ZN_OK)
        return s;
    char hi[16];
    snprintf(hi, sizeof hi, "%s:", prefix);
    zn_stmt_bind_text(q, 1, prefix);
    zn_stmt_bind_text(q, 2, hi);
    if (to_day && tc >= 0) {
        if (f->columns[tc].type == ZN_COL_DATE)
            zn_stmt_bind_text(q, 3, to_day);
        else
            zn_stmt_bind_int64(q, 3, to_end);
    }
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        *rows = zn_stmt_column_int64(q, 0);
    zn_stmt_finalize(q);
    return s;
}

/* GET /feeds?area=&to=: the catalogue, and for the hub permission the rows of each feed inside the
 * area (default: the caller's scope) up to the end of day `to` (default: every row). */
static int h_feeds(zn__call *c)
{
    char code[13], prefix[13];
    const char *to = zn__arg(c, "to");
    if (!zn__area(c, "area", code, prefix))
        return 0;
    if (to && !date_ok(to))
        return zn__fail(c, 400, "bad_request", "to is YYYY-MM-DD");
    int64_t to_end = to ? day_end(c, to) : 0;
    json_t *feeds = json_array();
    for (size_t i = 0; c->srv->cat && i < zn_catalogue_count(c->srv->cat); i++) {
        const zn_feed *f = zn_catalogue_feed(c->srv->cat, i);
        const zn_source_unit *u = zn_catalogue_find_unit(c->srv->cat, f->source_unit);
        int personal = 0, dc, tc;
        for (size_t k = 0; k < f->ncolumns; k++)
            personal |= f->columns[k].type == ZN_COL_RESIDENT_ID || f->columns[k].type == ZN_COL_MOBILE;
        feed_axes(f, &dc, &tc);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o}", "name", f->name, "title_zh", f->title_zh,
                              "source_unit", f->source_unit, "source_unit_zh", u ? u->name_zh : "", "personal",
                              personal, "scoped", dc >= 0, "division_column",
                              dc >= 0 ? json_string(f->columns[dc].name) : json_null(), "day_column",
                              tc >= 0 ? json_string(f->columns[tc].name) : json_null());
        if (c->who.perms & ZN_PERM_HUB) {
            int64_t rows = 0;
            const char *why = NULL;
            zn_error err;
            zn_status s = feed_rows(c, f, prefix, to, to_end, &rows, &why, &err);
            if (s != ZN_OK) {
                json_decref(o);
                json_decref(feeds);
                return zn__fail_status(c, s, &err);
            }
            json_object_set_new(o, "rows", why ? json_null() : json_integer(rows));
            if (why)
                json_object_set_new(o, "rows_null", json_string(why));
        }
        json_array_append_new(feeds, o);
    }
    return zn__ok(c, json_pack("{s:s, s:o, s:o}", "area", code, "to", to ? json_string(to) : json_null(), "feeds",
                               feeds));
}

static int h_lineage(zn__call *c)
{
    int64_t limit, offset;
    if (!need(c, ZN_PERM_HUB) || !zn__page(c, 50, 1000, &limit, &offset))
        return 0;
    const char *feed = zn__arg(c, "feed");
    json_t *items = json_array();
    int64_t total = 0;
    zn_error err;
    zn_stmt *q = NULL;
    zn_status s = zn_stmt_prepare(c->db->st, "SELECT COUNT(*) FROM lineage WHERE (? IS NULL OR feed = ?)", &q, &err);
    int row = 0;
    if (s == ZN_OK) {
        zn_stmt_bind_text(q, 1, feed);
        zn_stmt_bind_text(q, 2, feed);
        if ((s = zn_stmt_step(q, &row, &err)) == ZN_OK && row)
            total = zn_stmt_column_int64(q, 0);
        zn_stmt_finalize(q);
    }
    if (s == ZN_OK)
        s = zn_stmt_prepare(c->db->st,
                            "SELECT id, feed, source_unit, path, sha256, bytes, encoding, rows_read, accepted,"
                            " quarantined, duplicates, status, COALESCE(message, ''), started_at,"
                            " COALESCE(finished_at, 0) FROM lineage WHERE (? IS NULL OR feed = ?)"
                            " ORDER BY id DESC LIMIT ? OFFSET ?",
                            &q, &err);
    if (s == ZN_OK) {
        zn_stmt_bind_text(q, 1, feed);
        zn_stmt_bind_text(q, 2, feed);
        zn_stmt_bind_int64(q, 3, limit);
        zn_stmt_bind_int64(q, 4, offset);
        while ((s = zn_stmt_step(q, &row, &err)) == ZN_OK && row) {
            const char *path = zn_stmt_column_text(q, 3);
            const char *base = strrchr(path, '/');
            json_array_append_new(
                items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I}", "id",
                                 (json_int_t)zn_stmt_column_int64(q, 0), "feed", zn_stmt_column_text(q, 1),
                                 "source_unit", zn_stmt_column_text(q, 2), "file", base ? base + 1 : path, "sha256",
                                 zn_stmt_column_text(q, 4), "bytes", (json_int_t)zn_stmt_column_int64(q, 5),
                                 "encoding", zn_stmt_column_text(q, 6), "rows", (json_int_t)zn_stmt_column_int64(q, 7),
                                 "accepted", (json_int_t)zn_stmt_column_int64(q, 8), "quarantined",
                                 (json_int_t)zn_stmt_column_int64(q, 9), "duplicates",
                                 (json_int_t)zn_stmt_column_int64(q, 10), "status", zn_stmt_column_text(q, 11),
                                 "message", zn_stmt_column_text(q, 12), "started_at",
                                 (json_int_t)zn_stmt_column_int64(q, 13), "finished_at",
                                 (json_int_t)zn_stmt_column_int64(q, 14)));
        }
        zn_stmt_finalize(q);
    }
    if (s != ZN_OK) {
        json_decref(items);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, page_json(items, limit, offset, total));
}

static int h_quarantine(zn__call *c)
{
    int64_t limit, offset;
    if (!need(c, ZN_PERM_HUB) || !zn__page(c, 50, 1000, &limit, &offset))
        return 0;
    const char *feed = zn__arg(c, "feed"), *reason = zn__arg(c, "reason");
    json_t *items = json_array();
    int64_t total = 0;
    zn_error err;
    zn_stmt *q = NULL;
    const char *where = " WHERE (? IS NULL OR feed = ?) AND (? IS NULL OR reason_code = ?)";
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM quarantine%s", where);
    zn_status s = zn_stmt_prepare(c->db->st, sql, &q, &err);
    int row = 0;
    if (s == ZN_OK) {
        zn_stmt_bind_text(q, 1, feed);
        zn_stmt_bind_text(q, 2, feed);
        zn_stmt_bind_text(q, 3, reason);
        zn_stmt_bind_text(q, 4, reason);
        if ((s = zn_stmt_step(q, &row, &err)) == ZN_OK && row)
            total = zn_stmt_column_int64(q, 0);
        zn_stmt_finalize(q);
    }
    snprintf(sql, sizeof sql,
             "SELECT id, lineage_id, feed, line, COALESCE(field, ''), reason_code, reason, COALESCE(raw, '')"
             " FROM quarantine%s ORDER BY id LIMIT ? OFFSET ?",
             where);
    if (s == ZN_OK && (s = zn_stmt_prepare(c->db->st, sql, &q, &err)) == ZN_OK) {
        zn_stmt_bind_text(q, 1, feed);
        zn_stmt_bind_text(q, 2, feed);
        zn_stmt_bind_text(q, 3, reason);
        zn_stmt_bind_text(q, 4, reason);
        zn_stmt_bind_int64(q, 5, limit);
        zn_stmt_bind_int64(q, 6, offset);
        zn_buf raw = {0}, why = {0};
        while ((s = zn_stmt_step(q, &row, &err)) == ZN_OK && row) {
            zn_buf_reset(&raw);
            zn_buf_reset(&why);
            zn_hub_mask_text(zn_stmt_column_text(q, 7), &raw); /* always masked here */
            zn_hub_mask_text(zn_stmt_column_text(q, 6), &why);
            json_array_append_new(
                items, json_pack("{s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)zn_stmt_column_int64(q, 0),
                                 "lineage_id", (json_int_t)zn_stmt_column_int64(q, 1), "feed",
                                 zn_stmt_column_text(q, 2), "line", (json_int_t)zn_stmt_column_int64(q, 3), "field",
                                 zn_stmt_column_text(q, 4), "reason_code", zn_stmt_column_text(q, 5), "reason",
                                 why.data ? why.data : "", "raw", raw.data ? raw.data : ""));
        }
        zn_buf_fini(&raw);
        zn_buf_fini(&why);
        zn_stmt_finalize(q);
    }
    if (s != ZN_OK) {
        json_decref(items);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, page_json(items, limit, offset, total));
}

static void qsum(void *user, const char *feed, const char *reason, int64_t n)
{
    json_array_append_new((json_t *)user, json_pack("{s:s, s:s, s:I}", "feed", feed, "reason_code", reason, "rows",
                                                    (json_int_t)n));
}

static int h_quarantine_summary(zn__call *c)
{
    if (!need(c, ZN_PERM_HUB))
        return 0;
    json_t *a = json_array();
    zn_error err;
    zn_status s = zn_quarantine_summary(c->db->st, qsum, a, &err);
    if (s != ZN_OK) {
        json_decref(a);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:o}", "summary", a));
}

/* Person records: rows of a feed that has a division column (the scope filter), masked by role,
 * every row returned written to the audit log with the reason given. */
static int h_feed_rows(zn__call *c, const char *name, const char *id_arg)
{
    int64_t limit, offset;
    if (!need(c, ZN_PERM_PERSON) || !zn__page(c, 20, 200, &limit, &offset))
        return 0;
    const zn_feed *f = c->srv->cat ? zn_catalogue_find(c->srv->cat, name) : NULL;
    if (!f)
        return zn__fail(c, 404, "not_found", "no feed '%s'", name);
    const char *why = zn__arg(c, "why");
    if (!why || strlen(why) < 2 || strlen(why) > 200)
        return zn__fail(c, 400, "why_required", "reading person records needs a reason: ?why=... (2-200 bytes)");
    int divcol = -1;
    for (size_t k = 0; k < f->ncolumns && divcol < 0; k++)
        if (f->columns[k].type == ZN_COL_DIVISION)
            divcol = (int)k;
    if (divcol < 0 && *c->who.prefix)
        return zn__fail(c, 403, "forbidden", "feed %s has no division column: only country-wide users may read it",
                        name);
    char code[13], prefix[13];
    if (!zn__area(c, "area", code, prefix))
        return 0;
    if (divcol < 0 && *prefix)
        return zn__fail(c, 400, "bad_request", "feed %s has no division column: ?area= cannot apply", name);
    int64_t id = 0;
    if (id_arg && (strspn(id_arg, "0123456789") != strlen(id_arg) || !*id_arg || strlen(id_arg) > 18))
        return zn__fail(c, 400, "bad_request", "record ids are whole numbers");
    if (id_arg)
        id = strtoll(id_arg, NULL, 10);
    char table[96];
    snprintf(table, sizeof table, "feed_%s", f->name);
    int yes = 0;
    zn_error err;
    zn_status s = zn_store_table_exists(c->db->st, table, &yes, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    if (!yes)
        return zn__fail(c, 404, "not_found", "feed %s has no rows yet", name);
    zn_buf sql = {0}, where = {0};
    zn_buf_puts(&sql, "SELECT _id");
    for (size_t k = 0; k < f->ncolumns; k++)
        zn_buf_printf(&sql, ", \"%s\"", f->columns[k].name);
    if (divcol >= 0)
        zn_buf_printf(&where,
                      " WHERE substr(COALESCE(\"%s\", ''), 1, length(?)) = ? AND substr(COALESCE(\"%s\", ''), 1,"
                      " length(?)) = ?",
                      f->columns[divcol].name, f->columns[divcol].name);
    else
        zn_buf_puts(&where, " WHERE ? = ? AND ? = ?"); /* country-wide user: binds '' = '' */
    if (id)
        zn_buf_puts(&where, " AND _id = ?");
    int64_t total = 0;
    zn_stmt *q;
    char cnt[512];
    snprintf(cnt, sizeof cnt, "SELECT COUNT(*) FROM \"%s\"%s", table, where.data);
    if ((s = zn_stmt_prepare(c->db->st, cnt, &q, &err)) == ZN_OK) {
        zn_stmt_bind_text(q, 1, c->who.prefix);
        zn_stmt_bind_text(q, 2, c->who.prefix);
        zn_stmt_bind_text(q, 3, prefix);
        zn_stmt_bind_text(q, 4, prefix);
        if (id)
            zn_stmt_bind_int64(q, 5, id);
        int row = 0;
        if ((s = zn_stmt_step(q, &row, &err)) == ZN_OK && row)
            total = zn_stmt_column_int64(q, 0);
        zn_stmt_finalize(q);
    }
    zn_buf_printf(&sql, " FROM \"%s\"%s ORDER BY _id LIMIT ? OFFSET ?", table, where.data);
    json_t *items = json_array();
    if (s == ZN_OK && (s = zn_stmt_prepare(c->db->st, sql.data, &q, &err)) == ZN_OK) {
        int p = 1;
        zn_stmt_bind_text(q, p++, c->who.prefix);
        zn_stmt_bind_text(q, p++, c->who.prefix);
        zn_stmt_bind_text(q, p++, prefix);
        zn_stmt_bind_text(q, p++, prefix);
        if (id)
            zn_stmt_bind_int64(q, p++, id);
        zn_stmt_bind_int64(q, p++, limit);
        zn_stmt_bind_int64(q, p, offset);
        int row = 0;
        if ((s = zn_store_begin(c->db->st, &err)) == ZN_OK) {
            while ((s = zn_stmt_step(q, &row, &err)) == ZN_OK && row) {
                json_t *o = json_object();
                int64_t rid = zn_stmt_column_int64(q, 0);
                json_object_set_new(o, "_id", json_integer(rid));
                for (size_t k = 0; k < f->ncolumns; k++) {
                    const zn_feed_column *col = &f->columns[k];
                    int ci = (int)k + 1;
                    if (zn_stmt_column_is_null(q, ci)) {
                        json_object_set_new(o, col->name, json_null());
                        continue;
                    }
                    const char *v = zn_stmt_column_text(q, ci);
                    char masked[64];
                    if (col->type == ZN_COL_RESIDENT_ID && !(c->who.perms & ZN_PERM_UNMASK_ID) &&
                        strlen(v) < sizeof masked)
                        v = zn_mask_resident_id(v, masked, sizeof masked);
                    else if (col->type == ZN_COL_MOBILE && !(c->who.perms & ZN_PERM_UNMASK_PHONE) &&
                             strlen(v) < sizeof masked)
                        v = zn_mask_mobile(v, masked, sizeof masked);
                    if (col->type == ZN_COL_INT || col->type == ZN_COL_TIME)
                        json_object_set_new(o, col->name, json_integer(zn_stmt_column_int64(q, ci)));
                    else if (col->type == ZN_COL_REAL || col->type == ZN_COL_LON || col->type == ZN_COL_LAT)
                        json_object_set_new(o, col->name, json_real(zn_stmt_column_double(q, ci)));
                    else
                        json_object_set_new(o, col->name, json_string(v));
                }
                json_array_append_new(items, o);
                char what[128];
                snprintf(what, sizeof what, "%s#%lld", table, (long long)rid);
                if ((s = zn_audit_append(c->db->st, c->who.user.id, c->who.user.name, zn_role_name(c->who.user.role),
                                         c->who.user.scope, "read_person", what, why, c->client, &err)) != ZN_OK)
                    break;
            }
            /* nothing is returned unless its audit rows are stored */
            if (s == ZN_OK)
                s = zn_store_commit(c->db->st, &err);
            else
                zn_store_rollback(c->db->st);
        }
        zn_stmt_finalize(q);
    }
    zn_buf_fini(&sql);
    zn_buf_fini(&where);
    if (s != ZN_OK) {
        json_decref(items);
        return zn__fail_status(c, s, &err);
    }
    if (id && json_array_size(items) == 0) {
        json_decref(items);
        return zn__fail(c, 404, "not_found", "no record %lld in %s inside your scope", (long long)id, name);
    }
    json_t *page = page_json(items, limit, offset, total);
    json_object_set_new(page, "masked",
                        json_pack("{s:b, s:b}", "resident_id", !(c->who.perms & ZN_PERM_UNMASK_ID), "mobile",
                                  !(c->who.perms & ZN_PERM_UNMASK_PHONE)));
    return zn__ok(c, page);
}

/* ---------------------------------------------------------- audit, users ---- */

static int audit_row(void *user, const zn_audit_entry *e)
{
    json_array_append_new((json_t *)user,
                          json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)e->id, "at",
                                    (json_int_t)e->at, "user", e->user_name, "role", e->role, "scope", e->scope,
                                    "action", e->action, "object", e->object, "why", e->why, "client", e->client));
    return 0;
}

static int h_audit(zn__call *c)
{
    int64_t limit, offset;
    if (!need(c, ZN_PERM_AUDIT) || !zn__page(c, 50, 1000, &limit, &offset))
        return 0;
    zn_audit_filter f = {.user_name = zn__arg(c, "user"), .action = zn__arg(c, "action"),
                         .object_prefix = zn__arg(c, "object"), .limit = limit, .offset = offset};
    json_t *items = json_array();
    int64_t total = 0;
    zn_error err;
    zn_status s = zn_audit_list(c->db->st, &f, audit_row, items, &total, &err);
    if (s != ZN_OK) {
        json_decref(items);
        return zn__fail_status(c, s, &err);
    }
    audit(c, "read_audit", "audit_log", "");
    return zn__ok(c, page_json(items, limit, offset, total));
}

typedef struct user_page {
    json_t *items;
    const char *prefix;
} user_page;

static int user_row(void *user, const zn_user *u)
{
    user_page *p = user;
    char up[13];
    if (zn_scope_prefix(u->scope, up, NULL) == ZN_OK && !strncmp(up, p->prefix, strlen(p->prefix)))
        json_array_append_new(p->items, user_json(u));
    return 0;
}

static int h_users(zn__call *c)
{
    if (!need(c, ZN_PERM_USERS))
        return 0;
    user_page p = {json_array(), c->who.prefix};
    zn_error err;
    zn_status s = zn_user_list(c->db->st, user_row, &p, &err);
    if (s != ZN_OK) {
        json_decref(p.items);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:o}", "users", p.items));
}

static int h_user_add(zn__call *c)
{
    if (!need(c, ZN_PERM_USERS))
        return 0;
    json_t *b = zn__body_object(c);
    if (!b)
        return 0;
    const char *name = str_field(b, "name"), *pw = str_field(b, "password"), *role = str_field(b, "role"),
               *scope = str_field(b, "scope"), *dn = str_field(b, "display_name");
    zn_role r;
    char code[13], prefix[13];
    int ok = 1;
    if (!name || !pw || !role || !scope || zn_role_parse(role, &r) != ZN_OK)
        ok = zn__fail(c, 400, "bad_request", "give name, password, role (see docs/server.md) and scope");
    else if (strcmp(scope, "0") && (zn_div_normalize(scope, code) != ZN_OK || zn_scope_prefix(code, prefix, NULL)))
        ok = zn__fail(c, 400, "bad_request", "scope is a division code");
    else if (!strcmp(scope, "0") ? *c->who.prefix != 0 : strncmp(prefix, c->who.prefix, strlen(c->who.prefix)) != 0)
        ok = zn__fail(c, 403, "forbidden", "the new user's scope must lie inside yours");
    if (ok) {
        int64_t id = 0;
        zn_error err;
        zn_status s = zn_user_add(c->db->st, name, dn, pw, r, scope, c->who.user.name, &id, &err);
        if (s != ZN_OK)
            ok = zn__fail_status(c, s, &err);
        else {
            zn_user u;
            if (zn_user_get(c->db->st, name, &u, &err) == ZN_OK)
                ok = zn__ok(c, json_pack("{s:o}", "user", user_json(&u)));
        }
    }
    json_decref(b);
    return ok;
}

static int h_user_disable(zn__call *c, const char *name)
{
    if (!need(c, ZN_PERM_USERS))
        return 0;
    zn_user u;
    zn_error err;
    zn_status s = zn_user_get(c->db->st, name, &u, &err);
    char up[13];
    if (s == ZN_OK && (zn_scope_prefix(u.scope, up, NULL) != ZN_OK || strncmp(up, c->who.prefix, strlen(c->who.prefix))))
        return zn__fail(c, 403, "forbidden", "user %s is outside your scope", name);
    if (s == ZN_OK && u.id == c->who.user.id)
        return zn__fail(c, 409, "conflict", "you cannot disable yourself");
    if (s == ZN_OK)
        s = zn_user_disable(c->db->st, name, c->who.user.name, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    return zn__ok(c, json_pack("{s:b}", "ok", 1));
}

/* ---------------------------------------------------------------- tasks ---- */

/*
 * A task's subject_ref as this user may see it. The subject of a person task ("contact.new":
 * quarantine transfer) is the person's resident ID number: it is masked (zn_hub_mask_text: IDs and
 * mobiles inside the text) unless the role may see ID numbers (ZN_PERM_UNMASK_ID: the
 * epidemiologist), and every request that shows one unmasked counts it in c->unmasked_subjects,
 * so that the handler writes one audit row for the request. out holds the answer (n bytes).
 */
static const char *subject_out(zn__call *c, const char *ref, char *out, size_t n)
{
    size_t run = 0, longest = 0; /* no run of 11 digits: neither an ID number nor a mobile inside */
    for (const char *p = ref; *p; p++) {
        run = (*p >= '0' && *p <= '9') ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    if (longest < 11)
        return ref;
    zn_buf m = {0};
    if (zn_hub_mask_text(ref, &m) != ZN_OK || !m.data) {
        zn_buf_fini(&m);
        snprintf(out, n, "%s", "*"); /* out of memory: show nothing personal */
        return out;
    }
    int personal = strcmp(m.data, ref) != 0;
    if (personal && (c->who.perms & ZN_PERM_UNMASK_ID)) {
        c->unmasked_subjects++;
        snprintf(out, n, "%s", ref);
    } else {
        snprintf(out, n, "%s", m.data);
    }
    zn_buf_fini(&m);
    return out;
}

/* Free text of a task's history (notes, evidence) as this user may see it: personal numbers
 * masked unless the role may see both ID numbers and mobiles. Returns a malloc'd string (NULL on
 * out of memory). */
static char *free_text_out(zn__call *c, const char *s)
{
    if (!s)
        s = "";
    if ((c->who.perms & ZN_PERM_UNMASK_ID) && (c->who.perms & ZN_PERM_UNMASK_PHONE))
        return zn_strdup(s);
    zn_buf m = {0};
    if (zn_hub_mask_text(s, &m) != ZN_OK || !m.data) {
        zn_buf_fini(&m);
        return zn_strdup("");
    }
    return m.data; /* taken from the buffer */
}

/* One audit row for a request that showed task subjects (persons) unmasked. */
static void audit_subjects(zn__call *c, const char *what)
{
    if (c->unmasked_subjects > 0) {
        char why[96];
        snprintf(why, sizeof why, "%d person subject%s shown unmasked", c->unmasked_subjects,
                 c->unmasked_subjects == 1 ? "" : "s");
        audit(c, "read", what, why);
        c->unmasked_subjects = 0;
    }
}

/* A task as JSON; title_zh is the template's Chinese name when the task kept the template's title;
 * subject_ref as subject_out shows it to the user of c. */
static json_t *task_json(zn__call *c, zn_loop *lp, const zn_loop_task *t, int64_t now)
{
    char buf[sizeof t->subject_ref * 2];
    const char *subject = subject_out(c, t->subject_ref, buf, sizeof buf);
    const zn_loop_template *tp = lp ? zn_loop_template_find(lp, t->template_id) : NULL;
    const char *title_zh = tp && tp->name_zh && *tp->name_zh && !strcmp(tp->name, t->title) ? tp->name_zh : t->title;
    int overdue = !t->ended_at && t->deadline != ZN_CLOCK_STOPPED && t->deadline > 0 && t->deadline < now &&
                  zn_task_state_active(t->state);
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:I, s:b, s:b, s:I}", "id",
                     (json_int_t)t->id, "instruction_id", (json_int_t)t->instruction_id, "template_id", t->template_id,
                     "title", t->title, "title_zh", title_zh, "subject_kind", t->subject_kind, "subject_ref", subject,
                     "assignee_kind", t->assignee_kind, "assignee", t->assignee, "division_code", t->division_code,
                     "grid_id", t->grid_id, "state", zn_task_state_name(t->state), "created_at",
                     (json_int_t)t->created_at, "deadline",
                     t->deadline == ZN_CLOCK_STOPPED ? json_null() : json_integer(t->deadline), "ended_at",
                     (json_int_t)t->ended_at, "suspended", t->suspended, "overdue", overdue, "seq", (json_int_t)t->seq);
}

static int no_tasks(zn__call *c)
{
    return zn__fail(c, 404, "not_found", "tasks are not available (no calendar/templates in the data folder)");
}

/*
 * The field worker's two requests (the task list and a move) run at thousands per second
 * (bench/run-load.sh), so their answers are written straight from the statement's row into the
 * body, with the same fields and values as task_json, and their statements stay prepared on the
 * pooled connection (zn__conn.stmt).
 */
#define TASK_ROW_COLS                                                                                     \
    "id, instruction_id, template_id, title, subject_kind, subject_ref, assignee_kind, assignee,"       \
    " division_code, grid_id, state, created_at, deadline, ended_at, suspended, seq"

/* Append s as a JSON string: UTF-8 as it is, '"', '\\' and control characters escaped (RFC 8259 §7). */
static void json_str_append(zn_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    zn_buf_append(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        zn_buf_append(b, run, (size_t)(s - run));
        char e[6] = {'\\', (char)ch, 0, 0, 0, 0};
        size_t n = 2;
        if (ch == '\n')
            e[1] = 'n';
        else if (ch == '\r')
            e[1] = 'r';
        else if (ch == '\t')
            e[1] = 't';
        else if (ch == '\b')
            e[1] = 'b';
        else if (ch == '\f')
            e[1] = 'f';
        else if (ch < 0x20) {
            memcpy(e + 1, "u00", 3);
            e[4] = hex[ch >> 4];
            e[5] = hex[ch & 15];
            n = 6;
        }
        zn_buf_append(b, e, n);
        run = s + 1;
    }
    zn_buf_append(b, run, (size_t)(s - run));
    zn_buf_append(b, "\"", 1);
}

static void json_key_str(zn_buf *b, const char *key, const char *v)
{
    zn_buf_puts(b, key);
    json_str_append(b, v);
}

/* key (with its leading ',' and ':') then v in decimal (printf is a large share of the answer's cost) */
static void json_key_int(zn_buf *b, const char *key, int64_t v)
{
    char d[24], *p = d + sizeof d;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    zn_buf_puts(b, key);
    zn_buf_append(b, p, (size_t)(d + sizeof d - p));
}

/* A row of TASK_ROW_COLS as the object task_json makes of the same task (same keys, same order). */
static void task_row_append(zn__call *c, zn_buf *b, zn_loop *lp, zn_stmt *q, int64_t now)
{
    char subject[64 * 2];
    const char *tpl = zn_stmt_column_text(q, 2), *title = zn_stmt_column_text(q, 3);
    const zn_loop_template *tp = zn_loop_template_find(lp, tpl);
    if (!*title) /* "" stands for the template's title (name_zh, else name), as zn_loop_list fills it */
        title = tp ? zn_loop_template_title(tp) : tpl;
    const char *title_zh = tp && tp->name_zh && *tp->name_zh && !strcmp(tp->name, title) ? tp->name_zh : title;
    zn_task_state state;
    if (zn_task_state_parse(zn_stmt_column_text(q, 10), &state) != ZN_OK)
        state = ZN_TASK_NSTATES;
    int stopped = zn_stmt_column_is_null(q, 12);
    int64_t deadline = zn_stmt_column_int64(q, 12), ended = zn_stmt_column_int64(q, 13);
    int overdue = !ended && !stopped && deadline > 0 && deadline < now && zn_task_state_active(state);
    json_key_int(b, "{\"id\":", zn_stmt_column_int64(q, 0));
    json_key_int(b, ",\"instruction_id\":", zn_stmt_column_int64(q, 1));
    json_key_str(b, ",\"template_id\":", tpl);
    json_key_str(b, ",\"title\":", title);
    json_key_str(b, ",\"title_zh\":", title_zh);
    json_key_str(b, ",\"subject_kind\":", zn_stmt_column_text(q, 4));
    json_key_str(b, ",\"subject_ref\":", subject_out(c, zn_stmt_column_text(q, 5), subject, sizeof subject));
    json_key_str(b, ",\"assignee_kind\":", zn_stmt_column_text(q, 6));
    json_key_str(b, ",\"assignee\":", zn_stmt_column_text(q, 7));
    json_key_str(b, ",\"division_code\":", zn_stmt_column_text(q, 8));
    json_key_str(b, ",\"grid_id\":", zn_stmt_column_text(q, 9));
    json_key_str(b, ",\"state\":", zn_task_state_name(state));
    json_key_int(b, ",\"created_at\":", zn_stmt_column_int64(q, 11));
    if (stopped)
        zn_buf_puts(b, ",\"deadline\":null");
    else
        json_key_int(b, ",\"deadline\":", deadline);
    json_key_int(b, ",\"ended_at\":", ended);
    zn_buf_puts(b, zn_stmt_column_int64(q, 14) ? ",\"suspended\":true" : ",\"suspended\":false");
    zn_buf_puts(b, overdue ? ",\"overdue\":true" : ",\"overdue\":false");
    json_key_int(b, ",\"seq\":", zn_stmt_column_int64(q, 15));
    zn_buf_append(b, "}", 1);
}

/* The kept statement of slot k (prepared on first use). */
static zn_stmt *kept_stmt(zn__call *c, int k, const char *sql, zn_error *err)
{
    if (!c->db->stmt[k] && zn_stmt_prepare(c->db->st, sql, &c->db->stmt[k], err) != ZN_OK)
        return NULL;
    return c->db->stmt[k];
}

/* Set the 200 answer to the body in b (taken). */
static int ok_raw(zn__call *c, zn_buf *b)
{
    json_decref(c->json);
    c->json = NULL;
    free(c->raw);
    c->raw = b->data;
    c->raw_type = NULL;
    c->status = 200;
    memset(b, 0, sizeof *b);
    return 1;
}

/* GET /tasks for an area below the country without overdue=1 (the field page's request): one kept
 * statement, the answer written from the rows. Same answer as the general path of h_tasks. */
static int tasks_fast(zn__call *c, const char *prefix, int open_only, int64_t limit, int64_t offset)
{
    zn_error err;
    zn_stmt *q = kept_stmt(c, ZN__STMT_TASK_LIST,
                           "SELECT " TASK_ROW_COLS " FROM loop_task WHERE division_code >= ?1 AND division_code < ?2"
                           " AND (?3 = 0 OR ended_at IS NULL) ORDER BY id LIMIT ?4 OFFSET ?5",
                           &err);
    if (!q)
        return zn__fail_status(c, err.code, &err);
    char hi[16];
    snprintf(hi, sizeof hi, "%.12s:", prefix); /* codes with this prefix sort in [prefix, prefix ":") */
    zn_stmt_bind_text(q, 1, prefix);
    zn_stmt_bind_text(q, 2, hi);
    zn_stmt_bind_int64(q, 3, open_only);
    zn_stmt_bind_int64(q, 4, limit + 1);
    zn_stmt_bind_int64(q, 5, offset);
    zn_buf b = {0};
    zn_buf_puts(&b, "{\"items\":[");
    int64_t n = 0;
    int row = 0;
    zn_status s;
    size_t plen = strlen(c->who.prefix);
    while ((s = zn_stmt_step(q, &row, &err)) == ZN_OK && row && n < limit) {
        n++;
        if (strncmp(zn_stmt_column_text(q, 8), c->who.prefix, plen) != 0)
            continue; /* defence in depth: the range already holds the scope */
        if (b.data[b.len - 1] == '}')
            zn_buf_append(&b, ",", 1);
        task_row_append(c, &b, c->db->loop, q, c->now);
    }
    int more = s == ZN_OK && row;
    zn_stmt_reset(q);
    if (s != ZN_OK) {
        zn_buf_fini(&b);
        return zn__fail_status(c, s, &err);
    }
    zn_buf_printf(&b, "],\"limit\":%lld,\"offset\":%lld,\"next_offset\":", (long long)limit, (long long)offset);
    if (more)
        zn_buf_printf(&b, "%lld}", (long long)(offset + limit));
    else
        zn_buf_puts(&b, "null}");
    if (!b.data)
        return zn__fail(c, 500, "internal", "out of memory");
    audit_subjects(c, "tasks");
    return ok_raw(c, &b);
}

static int h_tasks(zn__call *c)
{
    if (!c->db->loop)
        return no_tasks(c);
    char code[13], prefix[13];
    int64_t limit, offset;
    if (!zn__area(c, "area", code, prefix) || !zn__page(c, 50, 500, &limit, &offset))
        return 0;
    const char *open = zn__arg(c, "open"), *overdue = zn__arg(c, "overdue");
    if (*prefix && !(overdue && !strcmp(overdue, "1")))
        return tasks_fast(c, prefix, open && !strcmp(open, "1"), limit, offset);
    zn_loop_filter f = {.division_prefix = *prefix ? prefix : NULL,
                        .open_only = open && !strcmp(open, "1"),
                        .overdue_only = overdue && !strcmp(overdue, "1"),
                        .limit = (size_t)(offset + limit + 1)};
    zn_loop_task *tasks = NULL;
    size_t n = 0;
    zn_error err;
    zn_status s = zn_loop_list(c->db->loop, &f, &tasks, &n, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    json_t *items = json_array();
    for (size_t i = (size_t)offset; i < n && i < (size_t)(offset + limit); i++) {
        if (strncmp(tasks[i].division_code, c->who.prefix, strlen(c->who.prefix)) != 0)
            continue; /* defence in depth: the filter already holds the scope */
        json_array_append_new(items, task_json(c, c->db->loop, &tasks[i], c->now));
    }
    int more = n > (size_t)(offset + limit);
    free(tasks);
    json_t *page = page_json(items, limit, offset, -1);
    json_object_set_new(page, "next_offset", more ? json_integer(offset + limit) : json_null());
    audit_subjects(c, "tasks");
    return zn__ok(c, page);
}

static int task_in_scope(zn__call *c, const char *id_arg, zn_loop_task *t)
{
    if (!id_arg || !*id_arg || strspn(id_arg, "0123456789") != strlen(id_arg) || strlen(id_arg) > 18)
        return zn__fail(c, 400, "bad_request", "task ids are whole numbers");
    zn_error err;
    zn_status s = zn_loop_task_get(c->db->loop, strtoll(id_arg, NULL, 10), t, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    if (strncmp(t->division_code, c->who.prefix, strlen(c->who.prefix)) != 0)
        return zn__fail(c, 403, "forbidden", "task %s is outside your scope", id_arg);
    return 1;
}

static int h_task(zn__call *c, const char *id_arg)
{
    if (!c->db->loop)
        return no_tasks(c);
    zn_loop_task t;
    if (!task_in_scope(c, id_arg, &t))
        return 0;
    zn_loop_history *h = NULL;
    size_t n = 0;
    zn_error err;
    zn_status s = zn_loop_history_get(c->db->loop, t.id, &h, &n, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    json_t *hist = json_array();
    for (size_t i = 0; i < n; i++) {
        char *note = free_text_out(c, h[i].note), *evidence = free_text_out(c, h[i].evidence);
        json_array_append_new(hist, json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "seq", (json_int_t)h[i].seq,
                                              "from", zn_task_state_name(h[i].from), "to",
                                              zn_task_state_name(h[i].to), "at", (json_int_t)h[i].at, "actor",
                                              h[i].actor, "note", note ? note : "", "evidence",
                                              evidence ? evidence : "", "evidence_sha256", h[i].evidence_sha256));
        free(note);
        free(evidence);
    }
    zn_loop_history_free(h, n);
    const zn_loop_template *tp = zn_loop_template_find(c->db->loop, t.template_id);
    json_t *j = json_pack("{s:o, s:o}", "task", task_json(c, c->db->loop, &t, c->now), "history", hist);
    if (tp) {
        json_t *steps = json_array();
        for (size_t i = 0; i < tp->nsteps; i++)
            json_array_append_new(steps, json_string(tp->steps[i]));
        json_object_set_new(j, "template", json_pack("{s:s, s:s, s:o}", "name", tp->name, "name_zh", tp->name_zh,
                                                     "steps", steps));
    }
    char what[48];
    snprintf(what, sizeof what, "task %lld", (long long)t.id);
    audit_subjects(c, what);
    return zn__ok(c, j);
}

/* The task `id_arg` read with the kept statement into the answer {"task": {...}} in *b (b NULL:
 * only the checks); 0 after setting the error answer (400 bad id, 404, 403 outside the scope). */
static int task_answer(zn__call *c, const char *id_arg, zn_buf *b)
{
    if (!id_arg || !*id_arg || strspn(id_arg, "0123456789") != strlen(id_arg) || strlen(id_arg) > 18)
        return zn__fail(c, 400, "bad_request", "task ids are whole numbers");
    zn_error err;
    zn_stmt *q = kept_stmt(c, ZN__STMT_TASK_GET, "SELECT " TASK_ROW_COLS " FROM loop_task WHERE id = ?1", &err);
    if (!q)
        return zn__fail_status(c, err.code, &err);
    zn_stmt_bind_int64(q, 1, strtoll(id_arg, NULL, 10));
    int row = 0, ok = 1;
    zn_status s = zn_stmt_step(q, &row, &err);
    if (s != ZN_OK)
        ok = zn__fail_status(c, s, &err);
    else if (!row)
        ok = zn__fail(c, 404, "not_found", "no task %s", id_arg);
    else if (strncmp(zn_stmt_column_text(q, 8), c->who.prefix, strlen(c->who.prefix)) != 0)
        ok = zn__fail(c, 403, "forbidden", "task %s is outside your scope", id_arg);
    else if (b) {
        zn_buf_reset(b);
        zn_buf_puts(b, "{\"task\":");
        task_row_append(c, b, c->db->loop, q, c->now);
        zn_buf_puts(b, "}");
    }
    zn_stmt_reset(q);
    audit_subjects(c, "task");
    return ok;
}

static int h_task_move(zn__call *c, const char *id_arg)
{
    if (!c->db->loop)
        return no_tasks(c);
    if (!task_answer(c, id_arg, NULL)) /* exists and lies in the scope */
        return 0;
    json_t *b = zn__body_object(c);
    if (!b)
        return 0;
    zn_buf ans = {0};
    const char *to = str_field(b, "to");
    zn_task_state st;
    int ok = 1;
    if (!to || zn_task_state_parse(to, &st) != ZN_OK) {
        ok = zn__fail(c, 400, "bad_request", "give `to`: received, in_progress, reported, verified, returned, "
                                             "closed or cancelled");
    } else {
        unsigned perm = (st == ZN_TASK_RECEIVED || st == ZN_TASK_IN_PROGRESS || st == ZN_TASK_REPORTED)
                            ? ZN_PERM_TASK_WORK
                            : ZN_PERM_TASK_COMMAND;
        if (need(c, perm)) {
            zn_loop_act act = {.actor = c->who.user.name, .note = str_field(b, "note"),
                               .evidence = str_field(b, "evidence")};
            zn_error err;
            zn_status s = zn__task_move(c, strtoll(id_arg, NULL, 10), st, &act, &err);
            if (s != ZN_OK)
                ok = zn__fail_status(c, s, &err);
            else if ((ok = task_answer(c, id_arg, &ans)) != 0)
                ok = ans.data ? ok_raw(c, &ans) : zn__fail(c, 500, "internal", "out of memory");
        } else {
            ok = 0;
        }
    }
    json_decref(b);
    zn_buf_fini(&ans);
    return ok;
}

static int h_task_metrics(zn__call *c)
{
    if (!c->db->loop)
        return no_tasks(c);
    char code[13], prefix[13];
    if (!zn__area(c, "area", code, prefix))
        return 0;
    const char *lv = zn__arg(c, "level");
    int level = lv ? atoi(lv) : 0;
    if (level < 0 || level > 6)
        return zn__fail(c, 400, "bad_request", "level is 0 (none) .. 5 (village) or 6 (grid)");
    /* [from, to) in seconds: + 1 so that a task closed in this very second counts */
    zn_loop_metrics_query q = {.from = 0, .to = c->now + 1, .division_prefix = prefix, .group_level = level};
    zn_loop_metrics_row *rows = NULL;
    size_t n = 0;
    zn_error err;
    zn_status s = zn_loop_metrics(c->db->st, &q, &rows, &n, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "division", rows[i].division, "grid_id",
                         rows[i].grid_id, "issued", (json_int_t)rows[i].issued, "closed", (json_int_t)rows[i].closed,
                         "on_time", (json_int_t)rows[i].on_time, "cancelled", (json_int_t)rows[i].cancelled, "backlog",
                         (json_int_t)rows[i].backlog, "overdue", (json_int_t)rows[i].overdue, "on_time_rate",
                         isnan(rows[i].on_time_rate) ? json_null() : json_real(rows[i].on_time_rate)));
    free(rows);
    return zn__ok(c, json_pack("{s:s, s:o}", "area", code, "rows", a));
}

/* ---------------------------------------------------------------- router ---- */

/* Split c->path ("/a/b/c") into at most 4 segments. */
static int split(const char *path, char seg[4][96])
{
    int n = 0;
    const char *p = path;
    while (*p == '/')
        p++;
    while (*p && n < 4) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= 96)
            return -1;
        memcpy(seg[n], p, len);
        seg[n][len] = 0;
        n++;
        if (!e)
            break;
        p = e + 1;
        if (!*p)
            break;
    }
    return *p && n == 4 && strchr(p, '/') ? -1 : n;
}

#define IS(i, s) (!strcmp(seg[i], s))

int zn__api_dispatch(zn__call *c)
{
    char seg[4][96] = {{0}};
    int n = split(c->path, seg);
    int get = !strcmp(c->method, "GET");
    if (n < 0)
        return zn__fail(c, 404, "not_found", "no such route");
    if (!get) { /* a POST must say it is JSON: an HTML form elsewhere cannot (CSRF) */
        const char *ct = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Content-Type");
        if (!ct || strncasecmp(ct, "application/json", 16) != 0)
            return zn__fail(c, 415, "unsupported_media_type", "POST bodies are application/json");
    }
    if (n == 0 || (n == 1 && IS(0, "health")))
        return get ? zn__ok(c, json_pack("{s:s, s:s, s:s}", "service", "zhinao", "api", "v1", "version",
                                         zn_version()))
                   : zn__fail(c, 405, "method_not_allowed", "GET only");
    if (n == 1 && IS(0, "login"))
        return get ? zn__fail(c, 405, "method_not_allowed", "POST {name, password}") : h_login(c);

    authenticate(c);
    if (!c->who.authenticated)
        return zn__fail(c, 401, "unauthorized", "log in first (POST /api/v1/login)");

    if (get) {
        if (n == 1 && IS(0, "me"))
            return h_me(c);
        if (!(c->who.perms & ZN_PERM_READ))
            return zn__fail(c, 403, "forbidden", "your role may not read data");
        if (IS(0, "events") && n == 1) {
            c->status = zn__events_respond(c) == MHD_YES;
            return 2;
        }
        if (IS(0, "divisions") && n <= 2)
            return h_divisions(c, n == 2 ? seg[1] : NULL);
        if (IS(0, "boundaries") && n <= 2)
            return h_boundaries(c, n == 2 ? seg[1] : NULL);
        if (IS(0, "cases")) {
            if (n == 1)
                return h_cases(c);
            if (n == 2 && IS(1, "daily"))
                return h_cases_daily(c);
            if (n == 2 && IS(1, "points"))
                return h_cases_points(c);
        }
        if (n == 1 && IS(0, "rt"))
            return h_rt(c);
        if (n == 1 && IS(0, "alerts"))
            return h_alerts(c);
        if (n == 1 && IS(0, "metrics"))
            return h_metrics(c);
        if (IS(0, "feeds")) {
            if (n == 1)
                return h_feeds(c);
            if (n == 3 && IS(2, "rows"))
                return h_feed_rows(c, seg[1], NULL);
            if (n == 4 && IS(2, "rows"))
                return h_feed_rows(c, seg[1], seg[3]);
        }
        if (IS(0, "zones")) { /* api_epi.c */
            if (n == 1)
                return zn__h_zones(c);
            if (n == 2 && IS(1, "runs"))
                return zn__h_zone_runs(c);
            if (n == 2 && IS(1, "days"))
                return zn__h_zone_days(c);
        }
        if (IS(0, "contacts")) {
            if (n == 1)
                return zn__h_contacts(c);
            if (n == 2 && IS(1, "summary"))
                return zn__h_contacts_summary(c);
            if (n == 2 && IS(1, "graph"))
                return zn__h_contacts_graph(c);
        }
        if (n == 3 && IS(0, "persons") && IS(2, "measures"))
            return zn__h_person_measures(c, seg[1]);
        if (n == 1 && IS(0, "lineage"))
            return h_lineage(c);
        if (IS(0, "quarantine")) {
            if (n == 1)
                return h_quarantine(c);
            if (n == 2 && IS(1, "summary"))
                return h_quarantine_summary(c);
        }
        if (n == 1 && IS(0, "audit"))
            return h_audit(c);
        if (n == 1 && IS(0, "templates"))
            return zn__h_templates(c);
        if (n == 1 && IS(0, "instructions"))
            return zn__h_instructions(c);
        if (n == 1 && IS(0, "users"))
            return h_users(c);
        if (IS(0, "tasks")) {
            if (n == 1)
                return h_tasks(c);
            if (n == 2 && IS(1, "metrics"))
                return h_task_metrics(c);
            if (n == 2)
                return h_task(c, seg[1]);
        }
    } else {
        if (n == 1 && IS(0, "logout"))
            return h_logout(c);
        if (n == 1 && IS(0, "users"))
            return h_user_add(c);
        if (n == 3 && IS(0, "users") && IS(2, "disable"))
            return h_user_disable(c, seg[1]);
        if (n == 3 && IS(0, "tasks") && IS(2, "move"))
            return h_task_move(c, seg[1]);
        if (n == 1 && IS(0, "instructions"))
            return zn__h_instruction_add(c);
    }
    return zn__fail(c, 404, "not_found", "no route %s %s", c->method, c->path);
}
