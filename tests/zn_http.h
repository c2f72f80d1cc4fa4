/*
 * A small HTTP/1.1 client for the server tests (test_server*.c): one request per connection to
 * 127.0.0.1:<port>, the whole answer read until the server closes, the body parsed as JSON when it
 * is JSON. Test-only: failures are cmocka assertions, not status codes.
 */
#ifndef ZN_HTTP_H
#define ZN_HTTP_H

#include <jansson.h>

#include "zhinao/core.h"
#include "zhinao/server.h"
#include <stddef.h>

typedef struct zn_http_resp {
    int status;   /* -1 when no status line came */
    char *raw;    /* the whole answer, NUL-terminated (owned) */
    char *body;   /* points into raw, after the blank line */
    json_t *json; /* the body as JSON, NULL when it is not (owned) */
} zn_http_resp;

/* The port of the server under test (127.0.0.1). */
void zn_http_use_port(unsigned port);
/* A connected socket (asserts). */
int zn_http_dial(void);
/* Send all of p; stops quietly when the server closes early (e.g. after a 413). */
void zn_http_send_all(int fd, const char *p, size_t n);
/* Read until the peer closes or timeout_ms pass without data; malloc'd, NUL-terminated. */
char *zn_http_read_all(int fd, int timeout_ms, size_t *len);
/* Fill r from a raw answer (takes raw). */
void zn_http_parse(zn_http_resp *r, char *raw);
/* Value of header `name` (case-insensitive) or NULL; static buffer. */
const char *zn_http_header(const zn_http_resp *r, const char *name);
/* One request: token NULL = no Authorization; a body is sent with Content-Type ctype
 * (NULL = application/json). r is the caller's, freed with zn_http_free. */
void zn_http_req(zn_http_resp *r, const char *method, const char *path, const char *token, const char *ctype,
                 const char *body);
void zn_http_get(zn_http_resp *r, const char *path, const char *token);
void zn_http_free(zn_http_resp *r);
/* Member `key` of j as a string ("" when absent or not a string) / an integer (0). */
const char *zn_jstr(json_t *j, const char *key);
json_int_t zn_jint(json_t *j, const char *key);
/* The answer is a JSON error object {"code", "message"} with this status and code. */
void zn_http_assert_error(zn_http_resp *r, int status, const char *code);
/* POST /api/v1/login; asserts 200 and copies the 64-hex bearer token into tok. */
void zn_http_login(const char *name, const char *password, char tok[65]);

/* ---- building the stores the server tests serve (abort() on failure: fixtures, not tests) ---- */

struct zn_store;
struct zn_catalogue;
/* A valid resident ID number: the 17 given digits and their GB 11643-1999 check character. */
void zn_fx_make_id(const char *first17, char out[19]);
/* Abort with the formatted error unless s is ZN_OK. */
void zn_fx_check(zn_status s, const zn_error *err, const char *what);
/* Ingest `text` as file `name` (temp dir) into feed `feed`; aborts when a row is quarantined. */
void zn_fx_ingest(struct zn_store *st, struct zn_catalogue *cat, const char *feed, const char *name, const char *text);
/* The store file at path opened (and migrated) on ctx; the caller closes it (zn_store_close). */
struct zn_store *zn_fx_open(zn_ctx *ctx, const char *path);
/* Run sql (one or more statements) on st; aborts with the error otherwise. */
void zn_fx_exec(struct zn_store *st, const char *sql);
/* Save the shipped division registry (data/divisions) into st. */
void zn_fx_divisions(zn_ctx *ctx, struct zn_store *st);
/* The shipped feed catalogue (data/feeds/catalogue.json); the caller frees it (zn_catalogue_free). */
struct zn_catalogue *zn_fx_catalogue(void);

/* The password of every fixture user. */
#define ZN_FX_PASSWORD "correct horse battery"
/* A fixture user: login name, role and scope (a division code, "0" = the nation). */
typedef struct zn_fx_user {
    const char *name;
    zn_role role;
    const char *scope;
} zn_fx_user;
/* Add the n users u[] to st, each with ZN_FX_PASSWORD, created by "test". */
void zn_fx_users(struct zn_store *st, const zn_fx_user *u, size_t n);
/* Start a server on ctx over the store file db: *tuning's threads, max_body, timeout,
 * login_max_failures and event_interval (the rest of *tuning is ignored), listening on
 * 127.0.0.1 at a free port, with the source tree's data/ and web/ folders. *srv is the caller's
 * (zn_server_stop); zn_http is pointed at its port, which is returned (never 0: aborts). */
unsigned zn_fx_serve(zn_ctx *ctx, const char *db, const zn_server_options *tuning, zn_server **srv);
/* Log in each fixture user (ZN_FX_PASSWORD): pairs of (const char *name, char tok[65]) ended by
 * NULL, e.g. zn_fx_login_all("admin", F.tok_admin, "epi", F.tok_epi, NULL); asserts each 200. */
void zn_fx_login_all(const char *name, ...);

#endif
