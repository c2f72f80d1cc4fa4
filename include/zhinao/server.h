/*
 * zhinao server: the HTTP server (`zhinao serve`), access control and the audit log.
 *
 * HTTP. libmicrohttpd with an internal thread pool; every route of the versioned JSON API lives
 * under /api/v1 (documented in docs/server.md); anything else is a static file of the cockpit
 * (web/). Each worker thread borrows one store connection from a pool (the store is used from one
 * thread at a time, see store.h). Errors are JSON objects {"code": "...", "message": "..."} with
 * the matching HTTP status. Lists are paginated with limit/offset and say their total.
 * /api/v1/events is a server-sent-events stream (text/event-stream) of change notices.
 *
 * Access control. Every user has a role and a scope: a division code (12-digit NBS; the code
 * 000000000000 means the whole country). A user sees and acts on the scope's division and what
 * lies below it, nothing else: the scope's code prefix (2 digits for a province, 4 city, 6 county,
 * 9 township, 12 village, "" for the country) is a parameter of every query the server runs.
 * Passwords are hashed with argon2id (libsodium crypto_pwhash_str_alg, ARGON2ID13, opslimit /
 * memlimit INTERACTIVE); sessions are 256-bit random tokens (a cookie with HttpOnly and
 * SameSite=Strict, or an `Authorization: Bearer` header) of which only the SHA-256 is stored.
 * Resident ID numbers and mobile numbers are masked (ident.h) unless the role needs them; every
 * read of a person's record is appended to the audit log (who, when, what, why).
 */
#ifndef ZHINAO_SERVER_H
#define ZHINAO_SERVER_H

#include "zhinao/core.h"
#include "zhinao/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- roles ---- */

typedef enum zn_role {
    ZN_ROLE_PROVINCE = 1,  /* 省级指挥部 (province command) */
    ZN_ROLE_CITY,          /* 市级指挥部 */
    ZN_ROLE_COUNTY,        /* 县(区)级指挥部 */
    ZN_ROLE_TOWNSHIP,      /* 乡镇(街道)指挥部 */
    ZN_ROLE_COMMUNITY,     /* 村(社区)防控工作组 */
    ZN_ROLE_GRID_WORKER,   /* 网格员 */
    ZN_ROLE_EPIDEMIOLOGIST,/* 流调人员 */
    ZN_ROLE_AUDITOR,       /* 审计员 */
    ZN_ROLE_ADMIN          /* 系统管理员 */
} zn_role;

/* "province", "city", "county", "township", "community", "grid_worker", "epidemiologist",
 * "auditor", "admin"; "unknown" otherwise. Static. */
const char *zn_role_name(zn_role r);
/* Chinese label ("县(区)级指挥部"); "" for an unknown role. Static. */
const char *zn_role_label_zh(zn_role r);
/* Inverse of zn_role_name. Errors: ZN_EINVAL. */
zn_status zn_role_parse(const char *name, zn_role *out);

/* What a role may do (bit flags), the one table the server consults. */
enum {
    ZN_PERM_READ = 1,         /* aggregated data of the scope: divisions, cases, metrics, Rt */
    ZN_PERM_PERSON = 2,       /* person records (feed rows with a resident ID or mobile) */
    ZN_PERM_UNMASK_ID = 4,    /* resident ID numbers in clear */
    ZN_PERM_UNMASK_PHONE = 8, /* mobile numbers in clear */
    ZN_PERM_HUB = 16,         /* data hub: lineage and quarantine (masked) */
    ZN_PERM_TASK_WORK = 32,   /* receive / start / report back a task */
    ZN_PERM_TASK_COMMAND = 64,/* verify / return / close / cancel a task */
    ZN_PERM_AUDIT = 128,      /* read the audit log */
    ZN_PERM_USERS = 256       /* manage users */
};

/*
 * Permissions of a role:
 *   province, city, county   READ PERSON(masked) HUB(province only) TASK_COMMAND
 *   township, community      READ PERSON(masked) TASK_COMMAND TASK_WORK
 *   grid_worker              READ TASK_WORK PERSON UNMASK_PHONE (to call residents)
 *   epidemiologist           READ PERSON UNMASK_ID UNMASK_PHONE (流调 needs both)
 *   auditor                  READ AUDIT HUB
 *   admin                    READ HUB USERS AUDIT
 * 0 for an unknown role.
 */
unsigned zn_role_perms(zn_role r);

/*
 * Division level a role's scope must have: 1..5 for the command roles (province .. community),
 * -4 for grid_worker (township or village: 4 or 5), -1 for the others (any level, 0 included).
 */
int zn_role_scope_level(zn_role r);

/*
 * The code prefix of a scope: 12-digit code -> its leading digits by level (2, 4, 6, 9, 12;
 * "" for 000000000000). out must hold 13 bytes. Errors: ZN_EINVAL (not 12 digits, or a code
 * whose shape has no level, see zn_div_code_level).
 */
zn_status zn_scope_prefix(const char *code12, char out[13], zn_error *err);

/* ---------------------------------------------------------------- users ---- */

typedef struct zn_user {
    int64_t id;
    char name[64];          /* login name: 1..63 of [A-Za-z0-9._-] */
    char display_name[128]; /* UTF-8 */
    zn_role role;
    char scope[13];         /* 12-digit scope code */
    int disabled;
    int64_t created_at;     /* UTC seconds */
} zn_user;

/*
 * Add a user to table app_user (store migration 3). The password (>= 10 bytes) is hashed with
 * argon2id; scope is any form zn_div_normalize accepts, or "0"/"000000000000" for the country;
 * it must be a division of the store's `division` table (any edition) and match the role's level
 * (zn_role_scope_level). display_name NULL = name. created_by is recorded ("cli", an admin name).
 * The addition is written to the audit log. *id (may be NULL) receives the new id.
 * Errors: ZN_EINVAL (bad name, short password, bad scope form, level not fitting the role),
 * ZN_ENOTFOUND (scope not a known division), ZN_EDUPLICATE (name taken), ZN_ENOMEM (hashing
 * could not get its 64 MiB), ZN_ESTORE.
 */
zn_status zn_user_add(zn_store *st, const char *name, const char *display_name, const char *password,
                      zn_role role, const char *scope, const char *created_by, int64_t *id, zn_error *err);

/* Look a user up by name. Errors: ZN_ENOTFOUND, ZN_ESTORE. */
zn_status zn_user_get(zn_store *st, const char *name, zn_user *out, zn_error *err);

/* Call fn for every user in id order; fn returns non-zero to stop. Errors: ZN_ESTORE. */
zn_status zn_user_list(zn_store *st, int (*fn)(void *user, const zn_user *u), void *user, zn_error *err);

/* Disable a user (no login; every open session revoked). by = who did it (audit log).
 * Errors: ZN_ENOTFOUND, ZN_ESTORE. */
zn_status zn_user_disable(zn_store *st, const char *name, const char *by, zn_error *err);

/* Replace a user's password (>= 10 bytes) and revoke the user's sessions. Errors: as above,
 * ZN_EINVAL for a short password. */
zn_status zn_user_set_password(zn_store *st, const char *name, const char *password, const char *by,
                               zn_error *err);

/*
 * Check a name and password. ZN_OK and *out filled when they match an enabled user; otherwise
 * ZN_EVALIDATE with the same message for an unknown name, a wrong password and a disabled user
 * (no user enumeration; the unknown name still costs one argon2id verification). ZN_ESTORE.
 */
zn_status zn_user_verify(zn_store *st, const char *name, const char *password, zn_user *out, zn_error *err);

/*
 * First run: when app_user has no enabled administrator, create user `name` (role admin, scope
 * the country) with `password`, or with a random 20-character password written to
 * generated[0..n-1] when password is NULL or empty. *created = 1 when a user was made, 0 when an
 * administrator already existed (then generated is ""). Errors: those of zn_user_add.
 */
zn_status zn_user_bootstrap_admin(zn_store *st, const char *name, const char *password, char *generated,
                                  size_t n, int *created, zn_error *err);

/*
 * A random password of 20 characters from 57 that cannot be confused (no 0/O, 1/l/I): about 116
 * bits, libsodium's randombytes_uniform. out must hold at least 21 bytes.
 * Errors: ZN_EINVAL (n < 21), ZN_EUNSUPPORTED (libsodium cannot start).
 */
zn_status zn_password_generate(char *out, size_t n);

/* ------------------------------------------------------------ audit log ---- */

typedef struct zn_audit_entry {
    int64_t id, at;  /* at: UTC seconds */
    int64_t user_id; /* 0 when unknown */
    const char *user_name, *role, *scope, *action, *object, *why, *client;
} zn_audit_entry;

/*
 * Append one row to the audit log (table audit_log; UPDATE and DELETE on it are refused by
 * triggers). at = zn_ctx_now of the store's context. Strings NULL = "".
 * Errors: ZN_EINVAL (no action or object), ZN_ESTORE.
 */
zn_status zn_audit_append(zn_store *st, int64_t user_id, const char *user_name, const char *role,
                          const char *scope, const char *action, const char *object, const char *why,
                          const char *client, zn_error *err);

/* Which rows to read: NULL / 0 = no filter. */
typedef struct zn_audit_filter {
    const char *user_name;
    const char *action;
    const char *object_prefix; /* e.g. "feed_case_report#" */
    int64_t limit, offset;     /* limit 0 = 100 */
} zn_audit_filter;

/* Call fn for matching rows, newest first; *total (may be NULL) = all matching rows.
 * Strings are borrowed for the call. Errors: ZN_ESTORE. */
zn_status zn_audit_list(zn_store *st, const zn_audit_filter *f,
                        int (*fn)(void *user, const zn_audit_entry *e), void *user, int64_t *total,
                        zn_error *err);

/* --------------------------------------------------------------- server ---- */

typedef struct zn_server_options {
    const char *db_path;   /* store file (each worker opens its own connection); required */
    const char *listen;    /* "HOST:PORT": an IPv4 address or "localhost"; port 0 = any free port;
                              NULL = "127.0.0.1:8080" */
    const char *web_dir;   /* cockpit folder (web/), NULL = API only */
    const char *data_dir;  /* shipped data: boundaries/, feeds/catalogue.json, calendar/, templates/;
                              NULL = none of the routes that need them */
    unsigned threads;      /* worker threads: 0 = 4 */
    size_t max_body;       /* bytes of a request body: 0 = 65536; larger -> 413 */
    size_t max_header;     /* bytes for the request line and headers: 0 = 16384; larger -> 431 */
    unsigned timeout;      /* seconds a connection may stay idle (slow clients): 0 = 30 */
    int login_max_failures;/* failed logins per login name in login_window: 0 = 5 (at most 5); per
                              client address 3 times as many; beyond, logins answer 429 */
    int64_t login_window;  /* seconds: 0 = 900 */
    int64_t session_ttl;   /* seconds: 0 = 43200 (12 h) */
    int secure_cookie;     /* 1: add "Secure" to the session cookie (behind TLS) */
    unsigned event_interval; /* seconds between change checks / keep-alives of /events: 0 = 10 */
    double si_mean, si_sd; /* serial interval (days) for Rt: 0 = 3.5 and 2.4, see docs/server.md */
} zn_server_options;

typedef struct zn_server zn_server;

/*
 * Start serving. The store at opt->db_path is opened (and migrated) once per worker thread plus
 * once for the event thread; the data folder's boundaries and catalogue are read once. ctx is
 * borrowed (clock and logs) and must outlive the server. Returns when the socket listens.
 * *out is the caller's, stopped and freed with zn_server_stop.
 * Errors: ZN_EINVAL (bad listen address, missing db_path), ZN_ESTORE, ZN_EIO (cannot listen:
 * port taken or not allowed), ZN_EPARSE (a boundary or catalogue file), ZN_ENOMEM.
 */
zn_status zn_server_start(zn_ctx *ctx, const zn_server_options *opt, zn_server **out, zn_error *err);

/* The TCP port the server listens on (the chosen one when opt->listen asked for port 0). */
unsigned zn_server_port(const zn_server *srv);

/*
 * Broadcast a server-sent event to every /api/v1/events stream: `event` is the event name
 * ([a-z_.]+), data a JSON text (one line). Events carry notices, never personal data: clients
 * refetch through the scoped API. Errors: ZN_EINVAL (bad name, newline in data), ZN_ENOMEM.
 */
zn_status zn_server_publish(zn_server *srv, const char *event, const char *data, zn_error *err);

/* Stop listening, close the event streams, wait for requests in flight, free everything. NULL ok. */
void zn_server_stop(zn_server *srv);

/* What the server wrote to the closed loop so far (src/server/commit.c). */
typedef struct zn_server_write_stats {
    int64_t moves;              /* task moves through the API (POST /tasks/{id}/move), refused ones too */
    int64_t transactions;       /* the transactions that held them: moves arriving together share
                                 * one (group commit), so moves / transactions is the mean batch */
    int64_t checkpoints;        /* WAL checkpoints run by the server's checkpoint thread */
    int64_t checkpoints_locked; /* of which had to hold the write lock to let the WAL restart */
    int64_t locked_us;          /* microseconds these held it: moves waited that long in all */
} zn_server_write_stats;

/* Fill *out (all zeros before any move). Thread-safe. */
void zn_server_write_stats_get(zn_server *srv, zn_server_write_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_SERVER_H */
