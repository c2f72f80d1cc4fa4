/* The server tests' HTTP client: see zn_http.h. */
#include "zn_http.h"

#include "zn_test.h"

#include "zhinao/div.h"
#include "zhinao/hub.h"
#include "zhinao/ident.h"
#include "zhinao/store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned port;

void zn_http_use_port(unsigned p)
{
    port = p;
}

int zn_http_dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

void zn_http_send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

char *zn_http_read_all(int fd, int timeout_ms, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        if (n + 4096 > cap) {
            char *nb = realloc(buf, cap *= 2);
            assert_non_null(nb);
            buf = nb;
        }
        ssize_t k = recv(fd, buf + n, cap - n - 1, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

void zn_http_parse(zn_http_resp *r, char *raw)
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

const char *zn_http_header(const zn_http_resp *r, const char *name)
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

void zn_http_req(zn_http_resp *r, const char *method, const char *path, const char *token, const char *ctype,
                 const char *body)
{
    char head[4096];
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", method, path);
    if (token)
        n += snprintf(head + n, sizeof head - (size_t)n, "Authorization: Bearer %s\r\n", token);
    if (body)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                      ctype ? ctype : "application/json", strlen(body));
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    int fd = zn_http_dial();
    zn_http_send_all(fd, head, (size_t)n);
    if (body)
        zn_http_send_all(fd, body, strlen(body));
    size_t len;
    zn_http_parse(r, zn_http_read_all(fd, 10000, &len));
    close(fd);
}

void zn_http_get(zn_http_resp *r, const char *path, const char *token)
{
    zn_http_req(r, "GET", path, token, NULL, NULL);
}

void zn_http_free(zn_http_resp *r)
{
    free(r->raw);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

const char *zn_jstr(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

json_int_t zn_jint(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

void zn_http_assert_error(zn_http_resp *r, int status, const char *code)
{
    if (r->status != status || !r->json || strcmp(zn_jstr(r->json, "code"), code))
        fprintf(stderr, "expected %d %s, got: %s\n", status, code, r->raw);
    assert_int_equal(r->status, status);
    assert_non_null(r->json);
    assert_string_equal(zn_jstr(r->json, "code"), code);
    assert_true(strlen(zn_jstr(r->json, "message")) > 0);
    const char *ct = zn_http_header(r, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "application/json"));
}

void zn_http_login(const char *name, const char *password, char tok[65])
{
    json_t *b = json_pack("{s:s, s:s}", "name", name, "password", password);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    zn_http_resp r;
    zn_http_req(&r, "POST", "/api/v1/login", NULL, NULL, body);
    free(body);
    if (r.status != 200)
        fprintf(stderr, "login %s: %s\n", name, r.raw);
    assert_int_equal(r.status, 200);
    snprintf(tok, 65, "%s", zn_jstr(r.json, "token"));
    assert_int_equal(strlen(tok), 64);
    zn_http_free(&r);
}

void zn_fx_make_id(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = zn_resident_id_check_char(first17);
    out[18] = 0;
}

void zn_fx_check(zn_status s, const zn_error *err, const char *what)
{
    if (s != ZN_OK) {
        char b[1024];
        fprintf(stderr, "fixture %s: %s\n", what, zn_error_format(err, b, sizeof b));
        abort();
    }
}

void zn_fx_ingest(struct zn_store *st, struct zn_catalogue *cat, const char *feed, const char *name, const char *text)
{
    zn_error err;
    zn_ingest_summary sum;
    const char *path = zn_test_write_file(name, text, strlen(text));
    zn_fx_check(zn_hub_ingest(st, cat, feed, path, NULL, &sum, &err), &err, feed);
    if (sum.quarantined) {
        fprintf(stderr, "fixture %s: %lld rows quarantined\n", feed, (long long)sum.quarantined);
        abort();
    }
}

struct zn_store *zn_fx_open(zn_ctx *ctx, const char *path)
{
    zn_error err;
    zn_store *st;
    zn_fx_check(zn_store_open(ctx, path, &st, &err), &err, "open");
    return st;
}

void zn_fx_exec(struct zn_store *st, const char *sql)
{
    zn_error err;
    zn_fx_check(zn_store_exec(st, sql, &err), &err, sql);
}

void zn_fx_divisions(zn_ctx *ctx, struct zn_store *st)
{
    zn_error err;
    zn_div_registry *reg;
    zn_fx_check(zn_div_registry_new(ctx, zn_test_src("data/divisions"), &reg, &err), &err, "divisions");
    zn_fx_check(zn_div_registry_save(reg, st, NULL, &err), &err, "divisions save");
    zn_div_registry_free(reg);
}

struct zn_catalogue *zn_fx_catalogue(void)
{
    zn_error err;
    zn_catalogue *cat;
    zn_fx_check(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), &err, "catalogue");
    return cat;
}

void zn_fx_users(struct zn_store *st, const zn_fx_user *u, size_t n)
{
    zn_error err;
    for (size_t i = 0; i < n; i++)
        zn_fx_check(zn_user_add(st, u[i].name, NULL, ZN_FX_PASSWORD, u[i].role, u[i].scope, "test", NULL, &err), &err,
                    u[i].name);
}

unsigned zn_fx_serve(zn_ctx *ctx, const char *db, const zn_server_options *tuning, zn_server **srv)
{
    char dd[1024], wd[1024]; /* zn_test_src's buffer is shared; the server copies both */
    snprintf(dd, sizeof dd, "%s", zn_test_src("data"));
    snprintf(wd, sizeof wd, "%s", zn_test_src("web"));
    zn_server_options opt = {.db_path = db, .listen = "127.0.0.1:0", .data_dir = dd, .web_dir = wd,
                             .threads = tuning->threads, .max_body = tuning->max_body, .timeout = tuning->timeout,
                             .login_max_failures = tuning->login_max_failures,
                             .event_interval = tuning->event_interval};
    zn_error err;
    zn_fx_check(zn_server_start(ctx, &opt, srv, &err), &err, "start");
    unsigned p = zn_server_port(*srv);
    if (p == 0) {
        fprintf(stderr, "fixture start: no port\n");
        abort();
    }
    zn_http_use_port(p);
    return p;
}

void zn_fx_login_all(const char *name, ...)
{
    va_list ap;
    va_start(ap, name);
    for (; name; name = va_arg(ap, const char *))
        zn_http_login(name, ZN_FX_PASSWORD, va_arg(ap, char *));
    va_end(ap);
}
