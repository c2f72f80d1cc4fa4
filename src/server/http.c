/*
 * The HTTP layer: libmicrohttpd daemon (internal thread pool), request bodies with a size limit,
 * JSON answers, the cockpit's static files, server start and stop.
 */
#include "server_int.h"

#include "zhinao/div.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* per-request state kept by MHD between calls of the handler */
typedef struct zn__req {
    zn_buf body;
    int too_large;
    int answered; /* a response was queued early (413) */
} zn__req;

static const char *SECURITY_HEADERS[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
};

static void add_common(struct MHD_Response *r)
{
    for (size_t i = 0; i < sizeof SECURITY_HEADERS / sizeof SECURITY_HEADERS[0]; i++)
        MHD_add_response_header(r, SECURITY_HEADERS[i][0], SECURITY_HEADERS[i][1]);
}

/* ---- JSON answers ---- */

int zn__fail(zn__call *c, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(c->json);
    c->status = status;
    c->json = json_pack("{s:s, s:s}", "code", code, "message", msg);
    return 0;
}

int zn__fail_status(zn__call *c, zn_status s, const zn_error *err)
{
    const char *msg = err && err->msg[0] ? err->msg : zn_strerror(s);
    switch (s) {
    case ZN_ENOTFOUND:
        return zn__fail(c, 404, "not_found", "%s", msg);
    case ZN_EINVAL:
    case ZN_EPARSE:
    case ZN_EVALIDATE:
    case ZN_ERANGE:
    case ZN_EENCODING:
        return zn__fail(c, 400, "bad_request", "%s", msg);
    case ZN_ESTATE:
        return zn__fail(c, 409, "conflict", "%s", msg);
    case ZN_EDUPLICATE:
        return zn__fail(c, 409, "duplicate", "%s", msg);
    default: {
        char buf[1024];
        zn_log(c->srv->ctx, ZN_LOG_ERROR, "serve: %s %s: %s", c->method, c->path,
               err ? zn_error_format(err, buf, sizeof buf) : zn_strerror(s));
        return zn__fail(c, 500, "internal", "internal error (%s)", zn_status_name(s));
    }
    }
}

int zn__ok(zn__call *c, json_t *j)
{
    json_decref(c->json);
    c->status = 200;
    c->json = j ? j : json_object();
    return 1;
}

const char *zn__arg(zn__call *c, const char *name)
{
    return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, name);
}

static int parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
        return 0;
    *out = strtoll(s, NULL, 10);
    return 1;
}

int zn__page(zn__call *c, int64_t def, int64_t max, int64_t *limit, int64_t *offset)
{
    const char *l = zn__arg(c, "limit"), *o = zn__arg(c, "offset");
    *limit = def;
    *offset = 0;
    if (l && (!parse_i64(l, limit) || *limit < 1))
        return zn__fail(c, 400, "bad_request", "limit must be a whole number from 1 to %lld", (long long)max);
    if (o && !parse_i64(o, offset))
        return zn__fail(c, 400, "bad_request", "offset must be a whole number >= 0");
    if (*limit > max)
        *limit = max;
    return 1;
}

int zn__area(zn__call *c, const char *name, char code[13], char prefix[13])
{
    const char *a = zn__arg(c, name);
    if (!a || !*a) {
        snprintf(code, 13, "%s", c->who.user.scope);
        snprintf(prefix, 13, "%s", c->who.prefix);
        return 1;
    }
    zn_error err;
    if (!strcmp(a, "0") || !strcmp(a, "000000000000"))
        memcpy(code, "000000000000", 13);
    else if (zn_div_normalize(a, code) != ZN_OK)
        return zn__fail(c, 400, "bad_request", "%s must be a division code of 2, 4, 6, 9 or 12 digits", name);
    if (zn_scope_prefix(code, prefix, &err) != ZN_OK)
        return zn__fail(c, 400, "bad_request", "%s: %s", name, err.msg);
    if (strncmp(prefix, c->who.prefix, strlen(c->who.prefix)) != 0)
        return zn__fail(c, 403, "forbidden", "division %s is outside your scope", code);
    return 1;
}

static enum MHD_Result queue_json(struct MHD_Connection *conn, unsigned status, json_t *j, const char *cookie,
                                  int retry_after)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
    if (!s)
        return MHD_NO;
    size_t n = strlen(s);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    add_common(r);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (cookie && *cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    if (retry_after > 0) {
        char ra[32];
        snprintf(ra, sizeof ra, "%d", retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result queue_error(struct MHD_Connection *conn, unsigned status, const char *code, const char *msg)
{
    json_t *j = json_pack("{s:s, s:s}", "code", code, "message", msg);
    enum MHD_Result r = queue_json(conn, status, j, NULL, 0);
    json_decref(j);
    return r;
}

/* ---- static files of the cockpit ---- */

static const struct {
    const char *ext, *type;
} TYPES[] = {
    {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},          {".svg", "image/svg+xml"},
    {".png", "image/png"},                  {".ico", "image/x-icon"},
    {".webmanifest", "application/manifest+json"},
};

/* Vendor files installed by `npm ci` in web/ and served at /vendor/<name>. */
static const struct {
    const char *url, *file;
} VENDOR[] = {
    {"/vendor/echarts.min.js", "node_modules/echarts/dist/echarts.min.js"},
};

static const char *CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                         "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
                         "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/* A safe relative path: [A-Za-z0-9._-/] only, no empty or dot-leading segment (so no "..", no
 * hidden files), at most 200 bytes. */
static int safe_rel(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 200 ||
        strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") != n)
        return 0;
    const char *seg = p;
    for (;;) {
        if (*seg == '.' || *seg == '/' || *seg == 0)
            return 0;
        const char *slash = strchr(seg, '/');
        if (!slash)
            return 1;
        seg = slash + 1;
    }
}

static enum MHD_Result serve_static(zn_server *srv, struct MHD_Connection *conn, const char *url)
{
    if (!srv->web_dir)
        return queue_error(conn, 404, "not_found", "no cockpit here (started without a web folder)");
    char rel[512];
    const char *file = NULL;
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        file = "app/index.html";
    else if (!strcmp(url, "/login"))
        file = "app/login.html";
    else if (!strcmp(url, "/field"))
        file = "app/field.html";
    else if (!strcmp(url, "/command"))
        file = "app/command.html";
    for (size_t i = 0; !file && i < sizeof VENDOR / sizeof VENDOR[0]; i++)
        if (!strcmp(url, VENDOR[i].url))
            file = VENDOR[i].file;
    if (!file && !strncmp(url, "/app/", 5) && safe_rel(url + 5)) {
        snprintf(rel, sizeof rel, "app/%s", url + 5);
        file = rel;
    }
    if (!file)
        return queue_error(conn, 404, "not_found", "no such page");
    const char *type = NULL;
    const char *dot = strrchr(file, '.');
    for (size_t i = 0; dot && i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (!strcmp(dot, TYPES[i].ext))
            type = TYPES[i].type;
    if (!type)
        return queue_error(conn, 404, "not_found", "no such page");
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", srv->web_dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        if (!strncmp(file, "node_modules/", 13))
            return queue_error(conn, 404, "not_found", "cockpit assets are not installed: run `npm ci` in web/");
        return queue_error(conn, 404, "not_found", "no such page");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((size_t)sb.st_size, fd); /* owns fd */
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    add_common(r);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    if (!strcmp(dot, ".html"))
        MHD_add_response_header(r, "Content-Security-Policy", CSP);
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- the request handler ---- */

static void client_addr(struct MHD_Connection *conn, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = 0;
    if (ci && ci->client_addr) {
        if (ci->client_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out, (socklen_t)n);
        else if (ci->client_addr->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out, (socklen_t)n);
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    zn_server *srv = cls;
    zn__req *r = *con_cls;
    (void)version;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && (strlen(cl) > 18 || strtoull(cl, NULL, 10) > srv->max_body)) {
            r->too_large = r->answered = 1;
            return queue_error(conn, 413, "payload_too_large", "request body larger than the limit");
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->too_large && r->body.len + *upload_data_size > srv->max_body) {
            r->too_large = 1;
            zn_buf_fini(&r->body);
        }
        if (!r->too_large && zn_buf_append(&r->body, upload_data, *upload_data_size) != ZN_OK)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->answered)
        return MHD_YES;
    __atomic_fetch_add(&srv->requests, 1, __ATOMIC_RELAXED);
    if (r->too_large)
        return queue_error(conn, 413, "payload_too_large", "request body larger than the limit");
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (strncmp(url, "/api/", 5) != 0) {
        if (!is_get)
            return queue_error(conn, 405, "method_not_allowed", "pages are read with GET");
        return serve_static(srv, conn, url);
    }
    if (!is_get && strcmp(method, "POST") != 0)
        return queue_error(conn, 405, "method_not_allowed", "the API takes GET and POST");
    if (strncmp(url, "/api/v1/", 8) != 0 && strcmp(url, "/api/v1") != 0)
        return queue_error(conn, 404, "not_found", "unknown API version (this server speaks /api/v1)");

    zn__call c;
    memset(&c, 0, sizeof c);
    c.srv = srv;
    c.conn = conn;
    c.method = is_get ? "GET" : "POST";
    c.path = url + 7;
    c.body = r->body.data ? r->body.data : "";
    c.body_len = r->body.len;
    client_addr(conn, c.client, sizeof c.client);
    c.now = zn_ctx_now(srv->ctx);
    c.db = zn__pool_get(&srv->pool);
    zn_ctx_set_now(c.db->ctx, c.now);
    int rc = zn__api_dispatch(&c);
    zn__pool_put(&srv->pool, c.db);
    if (rc == 2) /* answered by the handler itself (event stream) */
        return c.status ? MHD_YES : MHD_NO;
    zn_log(srv->ctx, ZN_LOG_INFO, "serve: %s %s %s %u", c.client, method, url, c.status);
    if (c.raw && !c.json) {
        size_t n = strlen(c.raw);
        struct MHD_Response *resp = MHD_create_response_from_buffer(n, c.raw, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
            free(c.raw);
            return MHD_NO;
        }
        add_common(resp);
        MHD_add_response_header(resp, "Content-Type", c.raw_type ? c.raw_type : "application/json; charset=utf-8");
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        enum MHD_Result ret = MHD_queue_response(conn, c.status ? c.status : 200, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    free(c.raw);
    if (!c.json)
        zn__fail(&c, 500, "internal", "no answer");
    enum MHD_Result ret = queue_json(conn, c.status, c.json, c.cookie, c.retry_after);
    json_decref(c.json);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    zn__req *r = *con_cls;
    if (r) {
        zn_buf_fini(&r->body);
        free(r);
        *con_cls = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    zn_log((zn_ctx *)cls, ZN_LOG_INFO, "serve: libmicrohttpd: %s", line);
}

/* ---- start and stop ---- */

static zn_status parse_listen(const char *listen, struct sockaddr_in *sa, zn_error *err)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "listen", "'%s' is not HOST:PORT", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    int64_t port;
    if (!parse_i64(colon + 1, &port) || port > 65535)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "listen", "'%s' has no valid port", listen);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "listen", "'%s' is not an IPv4 address", host);
    return ZN_OK;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? zn_strdup(s) : NULL;
}

zn_status zn_server_start(zn_ctx *ctx, const zn_server_options *opt, zn_server **out, zn_error *err)
{
    *out = NULL;
    if (!ctx || !opt || !opt->db_path || !*opt->db_path)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "db", "zn_server_start: no store path");
    struct sockaddr_in sa;
    zn_status s = parse_listen(opt->listen ? opt->listen : "127.0.0.1:8080", &sa, err);
    if (s != ZN_OK)
        return s;
    zn_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    srv->ctx = ctx;
    srv->db_path = zn_strdup(opt->db_path);
    srv->web_dir = dup_or_null(opt->web_dir);
    srv->data_dir = dup_or_null(opt->data_dir);
    srv->max_body = opt->max_body ? opt->max_body : 65536;
    srv->session_ttl = opt->session_ttl > 0 ? opt->session_ttl : 43200;
    srv->secure_cookie = opt->secure_cookie;
    srv->si_mean = opt->si_mean > 0 ? opt->si_mean : 3.5;
    srv->si_sd = opt->si_sd > 0 ? opt->si_sd : 2.4;
    srv->started_at = zn_ctx_now(ctx);
    srv->ev.interval = opt->event_interval ? opt->event_interval : 10;
    unsigned threads = opt->threads ? opt->threads : 4;
    if (threads > 64)
        threads = 64;
    pthread_mutex_init(&srv->ev.mu, NULL);
    pthread_cond_init(&srv->ev.cv, NULL);
    srv->login_max = opt->login_max_failures > 0 ? opt->login_max_failures : 5;
    if (srv->login_max > 5)
        srv->login_max = 5; /* the client key allows 3 times as many, and the ring holds 16 */
    if ((s = zn__limiter_init(&srv->limiter, opt->login_window > 0 ? opt->login_window : 900)) != ZN_OK) {
        zn_error_set(err, s, NULL, 0, NULL, "out of memory");
        goto fail;
    }
    /* one store connection per worker, one for the event thread */
    if ((s = zn__pool_init(&srv->pool, threads + 1, srv->db_path, srv->data_dir, ctx, err)) != ZN_OK)
        goto fail;
    {
        zn_error e2;
        if (zn__checkpointer_start(&srv->pool, srv->db_path, ctx, &e2) != ZN_OK) {
            char buf[1024];
            zn_log(ctx, ZN_LOG_WARN, "serve: checkpoints stay in the commits: %s", zn_error_format(&e2, buf, sizeof buf));
        }
    }
    if (srv->data_dir) {
        char path[2048];
        struct stat sb;
        snprintf(path, sizeof path, "%s/boundaries", srv->data_dir);
        if (stat(path, &sb) == 0 && (s = zn__boundaries_load(&srv->bounds, path, err)) != ZN_OK)
            goto fail;
        snprintf(path, sizeof path, "%s/feeds/catalogue.json", srv->data_dir);
        if (stat(path, &sb) == 0 && (s = zn_catalogue_load(path, &srv->cat, err)) != ZN_OK)
            goto fail;
    }
    size_t max_header = opt->max_header ? opt->max_header : 16384;
    srv->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, ctx, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, max_header, MHD_OPTION_CONNECTION_MEMORY_INCREMENT,
        (size_t)1024, MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout ? opt->timeout : 30u,
        MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 200u,
        MHD_OPTION_NOTIFY_COMPLETED, completed, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        s = zn_error_set(err, ZN_EIO, NULL, 0, "listen", "cannot listen on %s (%s)",
                         opt->listen ? opt->listen : "127.0.0.1:8080", errno ? strerror(errno) : "in use?");
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : ntohs(sa.sin_port);
    if ((s = zn__events_start(srv, err)) != ZN_OK)
        goto fail;
    *out = srv;
    return ZN_OK;
fail:
    zn_server_stop(srv);
    return s;
}

unsigned zn_server_port(const zn_server *srv)
{
    return srv ? srv->port : 0;
}

void zn_server_stop(zn_server *srv)
{
    if (!srv)
        return;
    MHD_socket lfd = srv->daemon ? MHD_quiesce_daemon(srv->daemon) : MHD_INVALID_SOCKET; /* no new clients */
    zn__events_stop(srv); /* ends the streams and resumes suspended connections */
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    zn__checkpointer_stop(&srv->pool);
    zn__pool_fini(&srv->pool);
    zn__boundaries_fini(&srv->bounds);
    zn_catalogue_free(srv->cat);
    zn__limiter_fini(&srv->limiter);
    pthread_mutex_destroy(&srv->ev.mu);
    pthread_cond_destroy(&srv->ev.cv);
    free(srv->db_path);
    free(srv->web_dir);
    free(srv->data_dir);
    free(srv);
}

void zn_server_write_stats_get(zn_server *srv, zn_server_write_stats *out)
{
    pthread_mutex_lock(&srv->pool.move_mu);
    *out = (zn_server_write_stats){.moves = srv->pool.move_count,
                                   .transactions = srv->pool.move_batches,
                                   .checkpoints = srv->pool.ckpt_count,
                                   .checkpoints_locked = srv->pool.ckpt_locked,
                                   .locked_us = srv->pool.ckpt_locked_us};
    pthread_mutex_unlock(&srv->pool.move_mu);
}
