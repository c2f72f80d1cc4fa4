/* Internal to src/server: the server object, the request context, the scoped query layer. */
#ifndef ZN_SERVER_INT_H
#define ZN_SERVER_INT_H

#include "zhinao/hub.h"
#include "zhinao/loop.h"
#include "zhinao/server.h"
#include "zhinao/zone.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>

/* ---- users, sessions (auth.c) ---- */

/* The authenticated user of a request. */
typedef struct zn__principal {
    int authenticated;
    zn_user user;
    char prefix[13]; /* scope code prefix ("" = country) */
    unsigned perms;
    char token_hash[65];
} zn__principal;

/* Hex SHA-256 of a token (65 bytes with NUL). */
void zn__token_hash(const char *token, char out[65]);

/* New session for user_id: a 64-hex-char token into token[65], stored hashed with expiry now+ttl. */
zn_status zn__session_create(zn_store *st, int64_t user_id, int64_t now, int64_t ttl, const char *client,
                             char token[65], zn_error *err);
/* Look a token up: ZN_OK and *p filled for a live session of an enabled user, ZN_ENOTFOUND
 * otherwise (unknown, expired, revoked, user disabled). */
zn_status zn__session_lookup(zn_store *st, const char *token, int64_t now, zn__principal *p, zn_error *err);
/* The same with the statement kept prepared in *cached (NULL: prepared on first use; owned by the
 * caller, who finalizes it with the connection): what the server does on every request. */
zn_status zn__session_lookup_cached(zn_store *st, zn_stmt **cached, const char *token, int64_t now,
                                    zn__principal *p, zn_error *err);
/* Revoke one session (logout). */
zn_status zn__session_revoke(zn_store *st, const char *token_hash, int64_t now, zn_error *err);
/* Fill prefix and perms of p from p->user. */
void zn__principal_finish(zn__principal *p);

/* Login rate limiter: failures per key (login name, client address) in a sliding window. */
typedef struct zn__limiter_slot {
    char key[96];
    int64_t times[16]; /* ring of failure times */
    int n, head;
} zn__limiter_slot;

typedef struct zn__limiter {
    pthread_mutex_t mu;
    zn__limiter_slot *slots;
    size_t nslots;
    int64_t window;
} zn__limiter;

zn_status zn__limiter_init(zn__limiter *l, int64_t window);
void zn__limiter_fini(zn__limiter *l);
/* Seconds until `key` may try again (0 = now) when it may fail `max` times (1..16) per window. */
int64_t zn__limiter_wait(zn__limiter *l, const char *key, int max, int64_t now);
void zn__limiter_fail(zn__limiter *l, const char *key, int64_t now);
void zn__limiter_clear(zn__limiter *l, const char *key);

/* ---- store pool (pool.c) ---- */

/* Slots of zn__conn.stmt: the statements of every request (preparing one costs more than running it). */
enum { ZN__STMT_SESSION, ZN__STMT_TASK_LIST, ZN__STMT_TASK_GET, ZN__STMT_N };

typedef struct zn__conn {
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *loop; /* NULL when the data folder has no calendar/templates */
    int busy;
    zn_stmt *stmt[ZN__STMT_N]; /* statements kept prepared on this store, finalized by the pool */
} zn__conn;

typedef struct zn__pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    zn__conn *conns;
    size_t n;
    /* Held around the API's write transactions on the closed loop (task moves): the workers then
     * queue on a mutex instead of sleeping in SQLite's busy handler (1, 2, 5 ... ms) for the one
     * write lock of the database. */
    pthread_mutex_t write_mu;
    /* Group commit of task moves (commit.c): the moves waiting for the next transaction. */
    pthread_mutex_t move_mu;
    pthread_cond_t move_cv;
    struct zn__move_req *move_head, **move_tail;
    int move_leader;        /* 1 while a worker runs a batch */
    int64_t move_batches;   /* transactions committed, and the moves in them (for /health) */
    int64_t move_count;
    /* Checkpoints off the write path (commit.c): batches of moves commit without checkpointing;
     * a thread of its own copies the WAL into the database (set before the workers start). */
    pthread_t ckpt_thread;
    int ckpt_started, ckpt_stop;
    pthread_cond_t ckpt_cv;      /* signalled (under move_mu) when enough moves wait for it */
    int64_t ckpt_moves;          /* moves committed since the last checkpoint */
    int64_t ckpt_count;          /* checkpoints run, and those that had to hold write_mu */
    int64_t ckpt_locked;
    int64_t ckpt_locked_us;      /* time write_mu was held by them, microseconds */
    zn_ctx *ckpt_ctx;            /* the thread's own context and store connection */
    zn_store *ckpt_st;
} zn__pool;

/* Start / stop the checkpoint thread of the pool (commit.c). Start: ZN_ESTORE when its own store
 * connection cannot be opened (the server then keeps SQLite's automatic checkpoints). */
zn_status zn__checkpointer_start(zn__pool *p, const char *db_path, zn_ctx *ctx, zn_error *err);
void zn__checkpointer_stop(zn__pool *p);

zn_status zn__pool_init(zn__pool *p, size_t n, const char *db_path, const char *data_dir, zn_ctx *parent,
                        zn_error *err);
void zn__pool_fini(zn__pool *p);
zn__conn *zn__pool_get(zn__pool *p);
void zn__pool_put(zn__pool *p, zn__conn *c);

/* ---- boundaries (geo.c) ---- */

typedef struct zn__boundary {
    char code[13];        /* 12-digit code of the feature */
    char parent[13];      /* 12-digit code of the DataV parent (a province or city) */
    char *json;           /* the Feature, serialised */
} zn__boundary;

typedef struct zn__boundaries {
    zn__boundary *v;
    size_t n;
} zn__boundaries;

zn_status zn__boundaries_load(zn__boundaries *b, const char *dir, zn_error *err);
void zn__boundaries_fini(zn__boundaries *b);
/* Append a FeatureCollection of the polygons to draw for division `code` (12 digits; "" = all
 * top-level ones) to out; *n receives the number of features. */
zn_status zn__boundaries_collection(const zn__boundaries *b, const char *code, zn_buf *out, size_t *n);

/* ---- server-sent events (events.c) ---- */

typedef struct zn__sse_client zn__sse_client;

typedef struct zn__events {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    zn__sse_client *clients; /* list */
    int closing;
    pthread_t thread;
    int thread_started;
    unsigned interval;
    int64_t seq; /* id of the last event */
} zn__events;

/* ---- the server ---- */

struct zn_server {
    zn_ctx *ctx;
    struct MHD_Daemon *daemon;
    unsigned port;
    char *db_path, *web_dir, *data_dir, *vendor_dir;
    size_t max_body;
    int64_t session_ttl;
    int secure_cookie;
    double si_mean, si_sd;
    zn__pool pool;
    zn__conn *event_conn; /* the event thread's store */
    zn__limiter limiter;
    int login_max; /* failures per login name in the window; per client address: 3 times that */
    zn__boundaries bounds;
    zn_catalogue *cat;
    zn__events ev;
    int64_t started_at;
    unsigned long long requests; /* atomic */
};

/* ---- a request ---- */

typedef struct zn__call {
    zn_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;     /* after /api/v1, e.g. "/divisions/310115" */
    const char *body;
    size_t body_len;
    zn__conn *db;
    zn__principal who;
    char client[64];
    int64_t now;
    /* the answer */
    unsigned status;
    json_t *json;         /* body (owned) */
    char *raw;            /* or a body already serialised (malloc'd, owned), with its type: */
    const char *raw_type;
    char cookie[512];     /* Set-Cookie value, "" = none */
    int retry_after;      /* seconds for 429, 0 = none */
    int unmasked_subjects; /* person subjects of tasks shown unmasked by this request (audited) */
} zn__call;

/* Set an error answer {"code", "message"}; returns 0 so handlers can `return zn__fail(...)`. */
int zn__fail(zn__call *c, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Map a library status to an HTTP error answer (ENOTFOUND 404, EINVAL/EPARSE/EVALIDATE 400,
 * ESTATE 409, EDUPLICATE 409, else 500 with a generic message; the details are logged). */
int zn__fail_status(zn__call *c, zn_status s, const zn_error *err);
/* Set a 200 answer with body j (stolen). */
int zn__ok(zn__call *c, json_t *j);

/* The request body parsed as a JSON object (new reference), or NULL after setting a 400 bad_json
 * answer (not JSON, duplicate keys, not an object). */
json_t *zn__body_object(zn__call *c);

/* Query parameter or NULL. */
const char *zn__arg(zn__call *c, const char *name);
/* limit/offset parameters: defaults and caps. Returns 0 after setting a 400 answer when bad. */
int zn__page(zn__call *c, int64_t def, int64_t max, int64_t *limit, int64_t *offset);
/* Normalise parameter `name` (a division code, any accepted form) to the 12-digit code and its
 * prefix; absent = the user's scope. Checks that it lies inside the user's scope (403 otherwise).
 * Returns 0 after setting the error answer. */
int zn__area(zn__call *c, const char *name, char code[13], char prefix[13]);

/* API entry (api.c): fills c->status/json (or handles SSE itself and returns 2). */
int zn__api_dispatch(zn__call *c);

/*
 * Move task `task_id` to `to` on behalf of the request (commit.c): the same as zn_loop_move on the
 * request's store, but moves that arrive together share one transaction (group commit), each in
 * its own savepoint, so a refused move (ZN_ESTATE, ZN_ENOTFOUND ...) rolls back alone. Returns once
 * the transaction holding this move has committed (or failed: then every move in it fails with
 * the commit's error). act's strings must stay valid until it returns (they do: the caller waits).
 */
zn_status zn__task_move(zn__call *c, int64_t task_id, zn_task_state to, const zn_loop_act *act, zn_error *err);

/* The command side of the loop (api_loop.c): GET /templates, POST /instructions (201 with the
 * tasks issued; every target routed and checked against the scope first), GET /instructions. */
int zn__h_templates(zn__call *c);
int zn__h_instruction_add(zn__call *c);
int zn__h_instructions(zn__call *c);

/* SSE (events.c) */
zn_status zn__events_start(zn_server *srv, zn_error *err);
void zn__events_stop(zn_server *srv);
/* Queue the /events stream response on c->conn. Returns the MHD result. */
enum MHD_Result zn__events_respond(zn__call *c);

/* ---- scoped queries (query.c): every function takes the scope prefix ---- */

/* Newest edition in table division (0 when empty). */
int64_t zn__q_latest_edition(zn_store *st);
/* Division row (code, name, level, parent) as JSON, or NULL when absent. */
json_t *zn__q_division(zn_store *st, int64_t edition, const char *code, zn_error *err, zn_status *s);
/* Path from the province down: array of {code, name, level}. */
zn_status zn__q_division_path(zn_store *st, int64_t edition, const char *code, json_t *out, zn_error *err);
/* Children of `code` with case counts (residences listed, [from, to] dates inclusive, NULL = all). */
zn_status zn__q_division_children(zn_store *st, const char *scope, int64_t edition, const char *code,
                                  const char *from, const char *to, json_t *out, zn_error *err);
/* Cases listed inside prefix `area` (within scope) in [from, to]. */
zn_status zn__q_case_count(zn_store *st, const char *scope, const char *area, const char *from, const char *to,
                           int64_t *n, int64_t *matched, zn_error *err);
zn_status zn__q_cases_daily(zn_store *st, const char *scope, const char *area, const char *from, const char *to,
                            json_t *dates, json_t *counts, zn_error *err);
zn_status zn__q_cases_list(zn_store *st, const char *scope, const char *area, const char *from, const char *to,
                           int64_t limit, int64_t offset, json_t *items, int64_t *total, zn_error *err);
zn_status zn__q_cases_heat(zn_store *st, const char *scope, const char *area, const char *from, const char *to,
                           double cell, json_t *rows, zn_error *err);
/* First and last dates of case_residence inside the scope ("" when none). */
zn_status zn__q_case_range(zn_store *st, const char *scope, char first[11], char last[11], zn_error *err);

/* ---- epidemic data (query.c): stored zone runs and tracing runs, scoped like the rest ---- */

/* Append s to b as a JSON string literal (escaped). */
void zn__json_str(zn_buf *b, const char *s);

/* A stored zone run (table zone_run). */
typedef struct zn__zrun {
    int64_t id, units;
    char rules[64], title[256], from[11], to[11], unit_kind[16];
    char title_zh[256]; /* the rule set's Chinese title, "" for runs stored without one */
    int nlevels;
    char level[ZN_ZONE_MAX_LEVELS][32], level_zh[ZN_ZONE_MAX_LEVELS][32]; /* highest first */
} zn__zrun;

/* The run of rule set `rules` (NULL = any rule set) that serves `area` (a 12-digit division code or
 * a division-code prefix, "" or "000000000000" = the country): the latest run whose area covers it
 * (zn_zone_run_find: a run --within 310000 covers 31 and 310115, never 3301; the runs without area
 * cover the country), else the latest run whose area lies inside it (a run --within 330100 for
 * 330000, any run for the country). ZN_ENOTFOUND when none (err names the areas the rule set has
 * runs for); ZN_EINVAL for an area that is not digits. */
zn_status zn__q_zone_run(zn_store *st, const char *rules, const char *area, zn__zrun *out, zn_error *err);
/* [{"name", "zh"}] of the run's levels (new reference). */
json_t *zn__zrun_levels(const zn__zrun *r);
/* Every stored run as {id, rules, within, title, title_zh, from, to, unit_kind, levels, units} (within: the
 * run's area, zone_run.within_prefix, "" = every unit), appended to rows by rule set then id. */
zn_status zn__q_zone_runs(zn_store *st, json_t *rows, zn_error *err);
/* Per day of the run (clipped to [from, to] when given, YYYY-MM-DD) {date, known, counts{level: units},
 * none, population{level: sum of known populations}} of the units inside scope and area (prefixes):
 * table zone_day when both are "" (the whole run), else counted from zone_period. */
zn_status zn__q_zone_days(zn_store *st, const char *scope, const char *area, const zn__zrun *r, const char *from,
                          const char *to, json_t *days, zn_error *err);
/* Append one GeoJSON Feature per unit in a level (rank `rank`, -1 = every level) on `day` inside
 * scope and area to out (comma-separated, no brackets); counts[level] += features. */
zn_status zn__q_zone_features(zn_store *st, const char *scope, const char *area, const zn__zrun *r, const char *day,
                              int rank, zn_buf *out, int64_t *counts, zn_error *err);

/* Trace run `id` (0 = the latest) as {id, plan, label, started_at, finished_at}; ZN_ENOTFOUND. */
zn_status zn__q_trace_run(zn_store *st, int64_t id, json_t **run, int64_t *run_id, zn_error *err);
/* Close-contact rows of the run whose contact lives inside scope and area (residence: population
 * registry by ID then mobile, else case report; unknown residence = only the country), in rowid
 * order, with raw person ids (the caller masks): {_rowid, index_case, contact, class, place,
 * first_exposure, last_exposure, overlap_seconds, area, controlled}. */
zn_status zn__q_contacts(zn_store *st, const char *scope, const char *area, int64_t run_id, int64_t limit,
                         int64_t offset, json_t *rows, int64_t *total, zn_error *err);
/* found / controlled / secondary / companions / by_day (local days, tz seconds east; a contact
 * without a task counts as found with the area's first task, or at found_at when there is none) of
 * the run inside scope and area, set into out. */
zn_status zn__q_contacts_summary(zn_store *st, const char *scope, const char *area, int64_t run_id, int64_t found_at,
                                 int64_t tz, json_t *out, zn_error *err);
/* Edges of the transmission graph with at least one end inside scope and area: close-contact rows
 * (source = index case) then secondary rows (source = the close contact); *_in = that end lies inside.
 * fn returns non-zero to stop. */
typedef int (*zn__edge_fn)(void *user, const char *table, int64_t rowid, const char *src, const char *src_div,
                           int src_in, const char *dst, const char *dst_div, int dst_in, const char *cls);
zn_status zn__q_contact_edges(zn_store *st, const char *scope, const char *area, int64_t run_id, zn__edge_fn fn,
                              void *user, zn_error *err);
/* A person's residence division (the rule of zn__q_contacts); *known = 0 when none. */
zn_status zn__q_person_residence(zn_store *st, const char *person, char div[16], int *known, zn_error *err);
/* The person's exposure times in the run: last exposures of close-contact rows (*role 1), else
 * first exposures of secondary rows (*role 2), else *role 0; object = "<table>#<rowid>" of the last row. */
zn_status zn__q_person_exposures(zn_store *st, int64_t run_id, const char *person, int *role, int64_t *times,
                                 size_t max, size_t *n, char object[64], zn_error *err);

/* ---- epidemic routes (api_epi.c) ---- */
int zn__h_zone_runs(zn__call *c);
int zn__h_zone_days(zn__call *c);
int zn__h_zones(zn__call *c);
int zn__h_contacts(zn__call *c);
int zn__h_contacts_summary(zn__call *c);
int zn__h_contacts_graph(zn__call *c);
int zn__h_person_measures(zn__call *c, const char *id);

#endif
