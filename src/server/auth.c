/*
 * Access control: roles and their permissions, users (argon2id password hashes), sessions
 * (random tokens stored as SHA-256), the login rate limiter, and the append-only audit log.
 */
#include "server_int.h"

#include "zhinao/div.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- roles ---- */

static const struct {
    const char *name, *zh;
    unsigned perms;
    int scope_level;
} ROLES[] = {
    [ZN_ROLE_PROVINCE] = {"province", "省级指挥部",
                          ZN_PERM_READ | ZN_PERM_PERSON | ZN_PERM_HUB | ZN_PERM_TASK_COMMAND, 1},
    [ZN_ROLE_CITY] = {"city", "市级指挥部", ZN_PERM_READ | ZN_PERM_PERSON | ZN_PERM_TASK_COMMAND, 2},
    [ZN_ROLE_COUNTY] = {"county", "县(区)级指挥部", ZN_PERM_READ | ZN_PERM_PERSON | ZN_PERM_TASK_COMMAND, 3},
    [ZN_ROLE_TOWNSHIP] = {"township", "乡镇(街道)指挥部",
                          ZN_PERM_READ | ZN_PERM_PERSON | ZN_PERM_TASK_COMMAND | ZN_PERM_TASK_WORK, 4},
    [ZN_ROLE_COMMUNITY] = {"community", "村(社区)防控工作组",
                           ZN_PERM_READ | ZN_PERM_PERSON | ZN_PERM_TASK_COMMAND | ZN_PERM_TASK_WORK, 5},
    [ZN_ROLE_GRID_WORKER] = {"grid_worker", "网格员",
                             ZN_PERM_READ | ZN_PERM_PERSON | ZN_PERM_UNMASK_PHONE | ZN_PERM_TASK_WORK, -4},
    [ZN_ROLE_EPIDEMIOLOGIST] = {"epidemiologist", "流调人员",
                                ZN_PERM_READ | ZN_PERM_PERSON | ZN_PERM_UNMASK_ID | ZN_PERM_UNMASK_PHONE, -1},
    [ZN_ROLE_AUDITOR] = {"auditor", "审计员", ZN_PERM_READ | ZN_PERM_AUDIT | ZN_PERM_HUB, -1},
    [ZN_ROLE_ADMIN] = {"admin", "系统管理员", ZN_PERM_READ | ZN_PERM_HUB | ZN_PERM_USERS | ZN_PERM_AUDIT, -1},
};

static int role_ok(zn_role r)
{
    return r >= ZN_ROLE_PROVINCE && r <= ZN_ROLE_ADMIN;
}

const char *zn_role_name(zn_role r)
{
    return role_ok(r) ? ROLES[r].name : "unknown";
}

const char *zn_role_label_zh(zn_role r)
{
    return role_ok(r) ? ROLES[r].zh : "";
}

zn_status zn_role_parse(const char *name, zn_role *out)
{
    for (int r = ZN_ROLE_PROVINCE; name && r <= ZN_ROLE_ADMIN; r++)
        if (!strcmp(name, ROLES[r].name)) {
            *out = (zn_role)r;
            return ZN_OK;
        }
    return ZN_EINVAL;
}

unsigned zn_role_perms(zn_role r)
{
    return role_ok(r) ? ROLES[r].perms : 0;
}

int zn_role_scope_level(zn_role r)
{
    return role_ok(r) ? ROLES[r].scope_level : 0;
}

static const int LEVEL_DIGITS[] = {0, 2, 4, 6, 9, 12};

zn_status zn_scope_prefix(const char *code12, char out[13], zn_error *err)
{
    if (!code12 || strlen(code12) != 12 || strspn(code12, "0123456789") != 12)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "scope", "scope must be a 12-digit division code");
    if (!strcmp(code12, "000000000000")) {
        out[0] = 0;
        return ZN_OK;
    }
    int level = zn_div_code_level(code12);
    if (level < 1 || level > 5)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "scope", "%s is not a division code", code12);
    memcpy(out, code12, (size_t)LEVEL_DIGITS[level]);
    out[LEVEL_DIGITS[level]] = 0;
    return ZN_OK;
}

void zn__principal_finish(zn__principal *p)
{
    if (zn_scope_prefix(p->user.scope, p->prefix, NULL) != ZN_OK)
        snprintf(p->prefix, sizeof p->prefix, "%s", "x"); /* matches no code: sees nothing */
    p->perms = zn_role_perms(p->user.role);
}

/* ---------------------------------------------------------------- users ---- */

static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 63 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

#define MIN_PASSWORD 10

static zn_status hash_password(const char *password, char out[crypto_pwhash_STRBYTES], zn_error *err)
{
    if (sodium_init() < 0)
        return zn_error_set(err, ZN_EUNSUPPORTED, NULL, 0, NULL, "libsodium cannot start");
    if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "argon2id could not get its memory");
    return ZN_OK;
}

/* Normalise a scope given in any accepted form ("0" and "" mean the country). */
static zn_status scope_normalize(const char *scope, char out[13], zn_error *err)
{
    if (!scope || !*scope || !strcmp(scope, "0") || !strcmp(scope, "000000000000")) {
        memcpy(out, "000000000000", 13);
        return ZN_OK;
    }
    if (zn_div_normalize(scope, out) != ZN_OK || zn_div_code_level(out) == 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "scope", "'%s' is not a division code (2, 4, 6, 9 or 12 digits)",
                            scope);
    return ZN_OK;
}

zn_status zn_user_add(zn_store *st, const char *name, const char *display_name, const char *password,
                      zn_role role, const char *scope, const char *created_by, int64_t *id, zn_error *err)
{
    if (!st)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_user_add: NULL store");
    if (!name_ok(name))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "name", "login names are 1 to 63 of A-Z a-z 0-9 . _ -");
    if (!password || strlen(password) < MIN_PASSWORD)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "password", "passwords need at least %d characters",
                            MIN_PASSWORD);
    if (!role_ok(role))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "role", "unknown role");
    char code[13];
    zn_status s = scope_normalize(scope, code, err);
    if (s != ZN_OK)
        return s;
    int level = strcmp(code, "000000000000") ? zn_div_code_level(code) : 0;
    int want = zn_role_scope_level(role);
    if ((want > 0 && level != want) || (want == -4 && level < 4))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "scope",
                            "role %s needs a scope at %s level, %s is at %s level", zn_role_name(role),
                            want == -4 ? "township or village" : zn_div_level_name(want), code,
                            level ? zn_div_level_name(level) : "country");
    if (level > 0) {
        zn_stmt *q;
        if ((s = zn_stmt_prepare(st, "SELECT 1 FROM division WHERE code = ? LIMIT 1", &q, err)) != ZN_OK)
            return s;
        zn_stmt_bind_text(q, 1, code);
        int row = 0;
        s = zn_stmt_step(q, &row, err);
        zn_stmt_finalize(q);
        if (s != ZN_OK)
            return s;
        if (!row)
            return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "scope", "division %s is not in the store", code);
    }
    char hash[crypto_pwhash_STRBYTES];
    if ((s = hash_password(password, hash, err)) != ZN_OK)
        return s;
    int64_t now = zn_ctx_now(zn_store_ctx(st));
    zn_stmt *ins;
    if ((s = zn_store_begin(st, err)) != ZN_OK)
        return s;
    s = zn_stmt_prepare(st,
                        "INSERT INTO app_user (name, display_name, role, scope_code, password_hash, disabled,"
                        " created_at, created_by, updated_at) VALUES (?,?,?,?,?,0,?,?,?)",
                        &ins, err);
    if (s == ZN_OK) {
        zn_stmt_bind_text(ins, 1, name);
        zn_stmt_bind_text(ins, 2, display_name && *display_name ? display_name : name);
        zn_stmt_bind_text(ins, 3, zn_role_name(role));
        zn_stmt_bind_text(ins, 4, code);
        zn_stmt_bind_text(ins, 5, hash);
        zn_stmt_bind_int64(ins, 6, now);
        zn_stmt_bind_text(ins, 7, created_by ? created_by : "");
        zn_stmt_bind_int64(ins, 8, now);
        s = zn_stmt_step(ins, NULL, err);
        zn_stmt_finalize(ins);
        if (s == ZN_EDUPLICATE)
            zn_error_set(err, ZN_EDUPLICATE, NULL, 0, "name", "user '%s' exists", name);
    }
    int64_t new_id = s == ZN_OK ? zn_store_last_id(st) : 0;
    if (s == ZN_OK) {
        char what[96];
        snprintf(what, sizeof what, "user:%s", name);
        s = zn_audit_append(st, 0, created_by ? created_by : "", "", "", "user_add", what, zn_role_name(role), NULL,
                            err);
    }
    if (s == ZN_OK)
        s = zn_store_commit(st, err);
    else
        zn_store_rollback(st);
    sodium_memzero(hash, sizeof hash);
    if (s == ZN_OK && id)
        *id = new_id;
    return s;
}

#define USER_COLS "id, name, display_name, role, scope_code, disabled, created_at"

static void user_from_row(zn_stmt *q, zn_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = zn_stmt_column_int64(q, 0);
    snprintf(u->name, sizeof u->name, "%s", zn_stmt_column_text(q, 1));
    snprintf(u->display_name, sizeof u->display_name, "%s", zn_stmt_column_text(q, 2));
    if (zn_role_parse(zn_stmt_column_text(q, 3), &u->role) != ZN_OK)
        u->role = 0;
    snprintf(u->scope, sizeof u->scope, "%s", zn_stmt_column_text(q, 4));
    u->disabled = (int)zn_stmt_column_int64(q, 5);
    u->created_at = zn_stmt_column_int64(q, 6);
}

zn_status zn_user_get(zn_store *st, const char *name, zn_user *out, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT " USER_COLS " FROM app_user WHERE name = ?", &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, name);
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK) {
        if (row)
            user_from_row(q, out);
        else
            s = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "name", "no user '%s'", name ? name : "");
    }
    zn_stmt_finalize(q);
    return s;
}

zn_status zn_user_list(zn_store *st, int (*fn)(void *user, const zn_user *u), void *user, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT " USER_COLS " FROM app_user ORDER BY id", &q, err);
    int row = 0;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        zn_user u;
        user_from_row(q, &u);
        if (fn(user, &u))
            break;
    }
    zn_stmt_finalize(q);
    return s;
}

static zn_status revoke_all(zn_store *st, int64_t user_id, int64_t now, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "UPDATE app_session SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, now);
    zn_stmt_bind_int64(q, 2, user_id);
    s = zn_stmt_step(q, NULL, err);
    zn_stmt_finalize(q);
    return s;
}

/* Update one user (the SQL has ? for the new value, then updated_at, then name) and revoke the
 * user's sessions, with an audit row, in one transaction. */
static zn_status user_change(zn_store *st, const char *name, const char *sql, const char *value, const char *action,
                             const char *by, zn_error *err)
{
    zn_user u;
    zn_status s = zn_user_get(st, name, &u, err);
    if (s != ZN_OK)
        return s;
    int64_t now = zn_ctx_now(zn_store_ctx(st));
    if ((s = zn_store_begin(st, err)) != ZN_OK)
        return s;
    zn_stmt *q;
    if ((s = zn_stmt_prepare(st, sql, &q, err)) == ZN_OK) {
        int p = 1;
        if (value)
            zn_stmt_bind_text(q, p++, value);
        zn_stmt_bind_int64(q, p++, now);
        zn_stmt_bind_text(q, p, name);
        s = zn_stmt_step(q, NULL, err);
        zn_stmt_finalize(q);
    }
    if (s == ZN_OK)
        s = revoke_all(st, u.id, now, err);
    if (s == ZN_OK) {
        char what[96];
        snprintf(what, sizeof what, "user:%s", name);
        s = zn_audit_append(st, 0, by ? by : "", "", "", action, what, "", NULL, err);
    }
    if (s == ZN_OK)
        return zn_store_commit(st, err);
    zn_store_rollback(st);
    return s;
}

zn_status zn_user_disable(zn_store *st, const char *name, const char *by, zn_error *err)
{
    return user_change(st, name, "UPDATE app_user SET disabled = 1, updated_at = ? WHERE name = ?", NULL,
                       "user_disable", by, err);
}

zn_status zn_user_set_password(zn_store *st, const char *name, const char *password, const char *by, zn_error *err)
{
    if (!password || strlen(password) < MIN_PASSWORD)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "password", "passwords need at least %d characters",
                            MIN_PASSWORD);
    char hash[crypto_pwhash_STRBYTES];
    zn_status s = hash_password(password, hash, err);
    if (s == ZN_OK)
        s = user_change(st, name, "UPDATE app_user SET password_hash = ?, updated_at = ? WHERE name = ?", hash,
                        "user_password", by, err);
    sodium_memzero(hash, sizeof hash);
    return s;
}

/* An argon2id hash of a random password nobody knows: verified against when the name is unknown,
 * so that an unknown name costs the same time as a wrong password. */
static const char DUMMY_HASH[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$fgDuHVwMmzlARB/pQIB03Q$ARoUoH3/1XsNf2eMggYHlKDMF6KmHe4iYt3DTEA4MRA";

zn_status zn_user_verify(zn_store *st, const char *name, const char *password, zn_user *out, zn_error *err)
{
    if (!st || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_user_verify: NULL argument");
    if (sodium_init() < 0)
        return zn_error_set(err, ZN_EUNSUPPORTED, NULL, 0, NULL, "libsodium cannot start");
    if (!password)
        password = "";
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT " USER_COLS ", password_hash FROM app_user WHERE name = ?", &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, name ? name : "");
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) != ZN_OK) {
        zn_stmt_finalize(q);
        return s;
    }
    int good = 0;
    if (row) {
        user_from_row(q, out);
        good = crypto_pwhash_str_verify(zn_stmt_column_text(q, 7), password, strlen(password)) == 0 &&
               !out->disabled && out->role != 0;
    } else {
        int same_cost = crypto_pwhash_str_verify(DUMMY_HASH, password, strlen(password));
        (void)same_cost;
    }
    zn_stmt_finalize(q);
    if (!good) {
        memset(out, 0, sizeof *out);
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "wrong name or password");
    }
    return ZN_OK;
}

zn_status zn_password_generate(char *out, size_t n)
{
    static const char ALPHA[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    if (!out || n < 21)
        return ZN_EINVAL;
    if (sodium_init() < 0)
        return ZN_EUNSUPPORTED;
    for (int i = 0; i < 20; i++)
        out[i] = ALPHA[randombytes_uniform((uint32_t)(sizeof ALPHA - 1))];
    out[20] = 0;
    return ZN_OK;
}

zn_status zn_user_bootstrap_admin(zn_store *st, const char *name, const char *password, char *generated, size_t n,
                                  int *created, zn_error *err)
{
    if (generated && n)
        generated[0] = 0;
    *created = 0;
    int64_t have = 0;
    zn_status s = zn_store_query_int64(st, "SELECT COUNT(*) FROM app_user WHERE role = 'admin' AND disabled = 0",
                                       &have, err);
    if (s != ZN_OK || have > 0)
        return s;
    char pw[32];
    if (!password || !*password) {
        if (!generated || n < 21)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "no room for the generated password");
        if ((s = zn_password_generate(pw, sizeof pw)) != ZN_OK)
            return zn_error_set(err, s, NULL, 0, NULL, "cannot generate a password");
        password = pw;
    }
    s = zn_user_add(st, name && *name ? name : "admin", "系统管理员", password, ZN_ROLE_ADMIN, "000000000000",
                    "first-run", NULL, err);
    if (s == ZN_OK) {
        *created = 1;
        if (password == pw)
            snprintf(generated, n, "%s", pw);
    }
    sodium_memzero(pw, sizeof pw);
    return s;
}

/* ------------------------------------------------------------- sessions ---- */

void zn__token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, h, sizeof h);
}

zn_status zn__session_create(zn_store *st, int64_t user_id, int64_t now, int64_t ttl, const char *client,
                             char token[65], zn_error *err)
{
    if (sodium_init() < 0)
        return zn_error_set(err, ZN_EUNSUPPORTED, NULL, 0, NULL, "libsodium cannot start");
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(token, 65, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    char h[65];
    zn__token_hash(token, h);
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  "INSERT INTO app_session (token_hash, user_id, created_at, expires_at, client)"
                                  " VALUES (?,?,?,?,?)",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, h);
    zn_stmt_bind_int64(q, 2, user_id);
    zn_stmt_bind_int64(q, 3, now);
    zn_stmt_bind_int64(q, 4, now + ttl);
    zn_stmt_bind_text(q, 5, client);
    s = zn_stmt_step(q, NULL, err);
    zn_stmt_finalize(q);
    return s;
}

zn_status zn__session_lookup_cached(zn_store *st, zn_stmt **cached, const char *token, int64_t now,
                                    zn__principal *p, zn_error *err)
{
    memset(p, 0, sizeof *p);
    if (!token || strlen(token) != 64 || strspn(token, "0123456789abcdef") != 64)
        return ZN_ENOTFOUND;
    zn__token_hash(token, p->token_hash);
    /* every request runs this: the session and its user are read each time (no cache of sessions),
     * so a logout, an expiry or a user disabled by another process takes effect at once */
    zn_stmt *q = cached ? *cached : NULL;
    zn_status s = ZN_OK;
    if (!q)
        s = zn_stmt_prepare(st,
                            "SELECT u.id, u.name, u.display_name, u.role, u.scope_code, u.disabled, u.created_at"
                            " FROM app_session s JOIN app_user u ON u.id = s.user_id"
                            " WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?"
                            " AND u.disabled = 0",
                            &q, err);
    if (s != ZN_OK)
        return s;
    if (cached)
        *cached = q;
    zn_stmt_bind_text(q, 1, p->token_hash);
    zn_stmt_bind_int64(q, 2, now);
    int row = 0;
    s = zn_stmt_step(q, &row, err);
    if (s == ZN_OK && row) {
        user_from_row(q, &p->user);
        p->authenticated = p->user.role != 0;
        zn__principal_finish(p);
    }
    if (cached)
        zn_stmt_reset(q);
    else
        zn_stmt_finalize(q);
    if (s == ZN_OK && !p->authenticated)
        s = ZN_ENOTFOUND;
    return s;
}

zn_status zn__session_lookup(zn_store *st, const char *token, int64_t now, zn__principal *p, zn_error *err)
{
    return zn__session_lookup_cached(st, NULL, token, now, p, err);
}

zn_status zn__session_revoke(zn_store *st, const char *token_hash, int64_t now, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "UPDATE app_session SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, now);
    zn_stmt_bind_text(q, 2, token_hash);
    s = zn_stmt_step(q, NULL, err);
    zn_stmt_finalize(q);
    return s;
}

/* ------------------------------------------------------------- limiter ---- */

#define LIMITER_SLOTS 1024

zn_status zn__limiter_init(zn__limiter *l, int64_t window)
{
    memset(l, 0, sizeof *l);
    l->slots = calloc(LIMITER_SLOTS, sizeof *l->slots);
    if (!l->slots)
        return ZN_ENOMEM;
    l->nslots = LIMITER_SLOTS;
    l->window = window;
    pthread_mutex_init(&l->mu, NULL);
    return ZN_OK;
}

void zn__limiter_fini(zn__limiter *l)
{
    if (l->slots)
        pthread_mutex_destroy(&l->mu);
    free(l->slots);
    l->slots = NULL;
}

/* The slot of key: found, or a free one, or the one whose last failure is oldest (evicted).
 * Called with the mutex held. */
static zn__limiter_slot *slot_of(zn__limiter *l, const char *key, int create)
{
    size_t h = 5381;
    for (const char *p = key; *p; p++)
        h = h * 33 + (unsigned char)*p;
    zn__limiter_slot *victim = NULL;
    for (size_t i = 0; i < 8; i++) { /* 8-way probing */
        zn__limiter_slot *s = &l->slots[(h + i) % l->nslots];
        if (s->n && !strncmp(s->key, key, sizeof s->key - 1))
            return s;
        if (!s->n) {
            if (!victim || victim->n)
                victim = s;
        } else if (!victim || (victim->n && s->times[(s->head + 15) % 16] < victim->times[(victim->head + 15) % 16]))
            victim = s;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    return victim;
}

int64_t zn__limiter_wait(zn__limiter *l, const char *key, int max, int64_t now)
{
    int64_t wait = 0;
    max = max < 1 ? 1 : max > 16 ? 16 : max;
    pthread_mutex_lock(&l->mu);
    zn__limiter_slot *s = slot_of(l, key, 0);
    if (s) {
        /* failures still inside the window */
        int live = 0;
        int64_t oldest_live = INT64_MAX;
        for (int i = 0; i < s->n; i++) {
            int64_t t = s->times[(s->head + 16 - 1 - i) % 16];
            if (t > now - l->window) {
                live++;
                if (t < oldest_live)
                    oldest_live = t;
            }
        }
        if (live >= max)
            wait = oldest_live + l->window - now;
        if (wait < 0)
            wait = 0;
    }
    pthread_mutex_unlock(&l->mu);
    return wait;
}

void zn__limiter_fail(zn__limiter *l, const char *key, int64_t now)
{
    pthread_mutex_lock(&l->mu);
    zn__limiter_slot *s = slot_of(l, key, 1);
    s->times[s->head] = now;
    s->head = (s->head + 1) % 16;
    if (s->n < 16)
        s->n++;
    pthread_mutex_unlock(&l->mu);
}

void zn__limiter_clear(zn__limiter *l, const char *key)
{
    pthread_mutex_lock(&l->mu);
    zn__limiter_slot *s = slot_of(l, key, 0);
    if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&l->mu);
}

/* ------------------------------------------------------------ audit log ---- */

zn_status zn_audit_append(zn_store *st, int64_t user_id, const char *user_name, const char *role, const char *scope,
                          const char *action, const char *object, const char *why, const char *client, zn_error *err)
{
    if (!st || !action || !*action || !object)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "an audit row needs an action and an object");
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  "INSERT INTO audit_log (at, user_id, user_name, role, scope_code, action, object,"
                                  " why, client) VALUES (?,?,?,?,?,?,?,?,?)",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, zn_ctx_now(zn_store_ctx(st)));
    if (user_id > 0)
        zn_stmt_bind_int64(q, 2, user_id);
    else
        zn_stmt_bind_null(q, 2);
    zn_stmt_bind_text(q, 3, user_name ? user_name : "");
    zn_stmt_bind_text(q, 4, role ? role : "");
    zn_stmt_bind_text(q, 5, scope ? scope : "");
    zn_stmt_bind_text(q, 6, action);
    zn_stmt_bind_text(q, 7, object);
    zn_stmt_bind_text(q, 8, why ? why : "");
    zn_stmt_bind_text(q, 9, client ? client : "");
    s = zn_stmt_step(q, NULL, err);
    zn_stmt_finalize(q);
    return s;
}

zn_status zn_audit_list(zn_store *st, const zn_audit_filter *f, int (*fn)(void *user, const zn_audit_entry *e),
                        void *user, int64_t *total, zn_error *err)
{
    zn_audit_filter none = {0};
    if (!f)
        f = &none;
    const char *where =
        " WHERE (? IS NULL OR user_name = ?) AND (? IS NULL OR action = ?)"
        " AND (? IS NULL OR substr(object, 1, length(?)) = ?)";
    zn_status s = ZN_OK;
    zn_stmt *q;
    for (int pass = total ? 0 : 1; pass < 2 && s == ZN_OK; pass++) {
        zn_buf sql = {0};
        if (pass == 0)
            zn_buf_printf(&sql, "SELECT COUNT(*) FROM audit_log%s", where);
        else
            zn_buf_printf(&sql,
                          "SELECT id, at, COALESCE(user_id, 0), user_name, role, scope_code, action, object, why,"
                          " COALESCE(client, '') FROM audit_log%s ORDER BY id DESC LIMIT ? OFFSET ?",
                          where);
        if (!sql.data)
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        s = zn_stmt_prepare(st, sql.data, &q, err);
        zn_buf_fini(&sql);
        if (s != ZN_OK)
            return s;
        zn_stmt_bind_text(q, 1, f->user_name);
        zn_stmt_bind_text(q, 2, f->user_name);
        zn_stmt_bind_text(q, 3, f->action);
        zn_stmt_bind_text(q, 4, f->action);
        zn_stmt_bind_text(q, 5, f->object_prefix);
        zn_stmt_bind_text(q, 6, f->object_prefix);
        zn_stmt_bind_text(q, 7, f->object_prefix);
        int row = 0;
        if (pass == 0) {
            if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
                *total = zn_stmt_column_int64(q, 0);
        } else {
            zn_stmt_bind_int64(q, 8, f->limit > 0 ? f->limit : 100);
            zn_stmt_bind_int64(q, 9, f->offset > 0 ? f->offset : 0);
            while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
                zn_audit_entry e = {
                    .id = zn_stmt_column_int64(q, 0),
                    .at = zn_stmt_column_int64(q, 1),
                    .user_id = zn_stmt_column_int64(q, 2),
                    .user_name = zn_stmt_column_text(q, 3),
                    .role = zn_stmt_column_text(q, 4),
                    .scope = zn_stmt_column_text(q, 5),
                    .action = zn_stmt_column_text(q, 6),
                    .object = zn_stmt_column_text(q, 7),
                    .why = zn_stmt_column_text(q, 8),
                    .client = zn_stmt_column_text(q, 9),
                };
                if (fn && fn(user, &e))
                    break;
            }
        }
        zn_stmt_finalize(q);
    }
    return s;
}
