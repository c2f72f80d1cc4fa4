/* SQLite backend of the store (the embedded default). */
#include "zhinao/store.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct zn_store {
    zn_ctx *ctx;
    sqlite3 *db;
    int depth;        /* transaction nesting */
    int doomed;       /* a nested rollback happened */
    int nsp;          /* open savepoints (zn_store_savepoint) */
    int sp_doomed[ZN_STORE_MAX_SAVEPOINTS], sp_depth[ZN_STORE_MAX_SAVEPOINTS]; /* state at each mark */
};

struct zn_stmt {
    zn_store *st;
    sqlite3_stmt *s;
};

static zn_status db_error(zn_store *st, zn_error *err, const char *what)
{
    return zn_error_set(err, ZN_ESTORE, NULL, 0, NULL, "%s: %s", what, sqlite3_errmsg(st->db));
}

zn_status zn_store_open(zn_ctx *ctx, const char *uri, zn_store **out, zn_error *err)
{
    if (!ctx || !uri || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_store_open: NULL argument");
    const char *path = uri;
    if (strncmp(uri, "sqlite:", 7) == 0)
        path = uri + 7;
    else if (strstr(uri, "://"))
        return zn_error_set(err, ZN_EUNSUPPORTED, NULL, 0, NULL,
                            "store '%s': only SQLite is built in (path or sqlite:PATH)", uri);
    zn_store *st = calloc(1, sizeof *st);
    if (!st)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    st->ctx = ctx;
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        zn_status s = zn_error_set(err, ZN_ESTORE, path, 0, NULL, "cannot open store: %s",
                                   st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        sqlite3_close(st->db);
        free(st);
        return s;
    }
    sqlite3_busy_timeout(st->db, 5000);
    zn_status s = zn_store_exec(st,
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                                err);
    if (s == ZN_OK)
        s = zn_store_migrate(st, err);
    if (s != ZN_OK) {
        zn_store_close(st);
        return s;
    }
    *out = st;
    return ZN_OK;
}

void zn_store_close(zn_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st);
}

zn_ctx *zn_store_ctx(zn_store *st) { return st->ctx; }

zn_status zn_store_exec(zn_store *st, const char *sql, zn_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        zn_status s = zn_error_set(err, ZN_ESTORE, NULL, 0, NULL, "%s", msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return s;
    }
    return ZN_OK;
}

zn_status zn_store_query_int64(zn_store *st, const char *sql, int64_t *out, zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn_stmt_prepare(st, sql, &s, err);
    if (rc != ZN_OK)
        return rc;
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    *out = (rc == ZN_OK && row) ? zn_stmt_column_int64(s, 0) : 0;
    zn_stmt_finalize(s);
    return rc;
}

int zn_store_schema_version(zn_store *st)
{
    int64_t v = 0;
    int exists = 0;
    if (zn_store_table_exists(st, "schema_migrations", &exists, NULL) != ZN_OK)
        return -1;
    if (!exists)
        return 0;
    if (zn_store_query_int64(st, "SELECT COALESCE(MAX(version),0) FROM schema_migrations", &v, NULL) != ZN_OK)
        return -1;
    return (int)v;
}

zn_status zn_store_migrate(zn_store *st, zn_error *err)
{
    zn_status s = zn_store_exec(st,
                                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                                " applied_at INTEGER NOT NULL)",
                                err);
    if (s != ZN_OK)
        return s;
    /* Apply every migration not recorded yet (not only those above the highest applied one), so a
     * store made by a build that lacked a lower-numbered migration still gets it. */
    zn_stmt *applied;
    if ((s = zn_stmt_prepare(st, "SELECT 1 FROM schema_migrations WHERE version = ?", &applied, err)) != ZN_OK)
        return s;
    for (int i = 0; i < zn__migration_count; i++) {
        const zn__migration *m = &zn__migrations[i];
        int done = 0;
        zn_stmt_bind_int64(applied, 1, m->version);
        s = zn_stmt_step(applied, &done, err);
        zn_stmt_reset(applied);
        if (s != ZN_OK)
            break;
        if (done)
            continue;
        if ((s = zn_store_begin(st, err)) != ZN_OK)
            break;
        s = zn_store_exec(st, m->sql, err);
        if (s == ZN_OK) {
            zn_stmt *ins;
            s = zn_stmt_prepare(st, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?,?,?)",
                                &ins, err);
            if (s == ZN_OK) {
                zn_stmt_bind_int64(ins, 1, m->version);
                zn_stmt_bind_text(ins, 2, m->name);
                zn_stmt_bind_int64(ins, 3, zn_ctx_now(st->ctx));
                s = zn_stmt_step(ins, NULL, err);
                zn_stmt_finalize(ins);
            }
        }
        if (s != ZN_OK) {
            zn_store_rollback(st);
            zn_stmt_finalize(applied);
            if (err) {
                char tmp[sizeof err->msg];
                snprintf(tmp, sizeof tmp, "migration %d (%s): %s", m->version, m->name, err->msg);
                memcpy(err->msg, tmp, sizeof tmp);
            }
            return s;
        }
        if ((s = zn_store_commit(st, err)) != ZN_OK)
            break;
    }
    zn_stmt_finalize(applied);
    return s;
}

zn_status zn_store_begin(zn_store *st, zn_error *err)
{
    if (st->depth++ == 0) {
        st->doomed = 0;
        if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
            st->depth = 0;
            return db_error(st, err, "BEGIN");
        }
    }
    return ZN_OK;
}

zn_status zn_store_commit(zn_store *st, zn_error *err)
{
    if (st->depth <= 0)
        return zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "commit without begin");
    if (--st->depth > 0)
        return ZN_OK;
    if (st->doomed) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "transaction was rolled back by an inner scope");
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        zn_status s = db_error(st, err, "COMMIT");
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return s;
    }
    return ZN_OK;
}

zn_status zn_store_rollback(zn_store *st)
{
    if (st->depth <= 0)
        return ZN_ESTATE;
    if (--st->depth > 0) {
        st->doomed = 1;
        return ZN_OK;
    }
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return ZN_OK;
}

zn_status zn_store_savepoint(zn_store *st, zn_error *err)
{
    if (st->depth <= 0)
        return zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "savepoint outside a transaction");
    if (st->nsp >= ZN_STORE_MAX_SAVEPOINTS)
        return zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "more than %d nested savepoints", ZN_STORE_MAX_SAVEPOINTS);
    if (sqlite3_exec(st->db, "SAVEPOINT zn_sp", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(st, err, "SAVEPOINT");
    st->sp_doomed[st->nsp] = st->doomed;
    st->sp_depth[st->nsp] = st->depth;
    st->nsp++;
    return ZN_OK;
}

zn_status zn_store_savepoint_end(zn_store *st, int keep, zn_error *err)
{
    if (st->nsp <= 0)
        return zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "no open savepoint");
    st->nsp--;
    zn_status s = ZN_OK;
    if (st->depth != st->sp_depth[st->nsp])
        s = zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "savepoint ended inside an unfinished inner transaction");
    else if (keep && st->doomed != st->sp_doomed[st->nsp])
        s = zn_error_set(err, ZN_ESTATE, NULL, 0, NULL, "an inner scope rolled back since the savepoint");
    if (s != ZN_OK || !keep) {
        /* undo what was done since the mark, and the doom an inner rollback set on the way */
        if (sqlite3_exec(st->db, "ROLLBACK TO zn_sp", NULL, NULL, NULL) != SQLITE_OK && s == ZN_OK)
            s = db_error(st, err, "ROLLBACK TO");
        st->doomed = st->sp_doomed[st->nsp];
        st->depth = st->sp_depth[st->nsp];
    }
    if (sqlite3_exec(st->db, "RELEASE zn_sp", NULL, NULL, NULL) != SQLITE_OK && s == ZN_OK)
        s = db_error(st, err, "RELEASE");
    return s;
}

void zn_store_set_autocheckpoint(zn_store *st, int pages) { sqlite3_wal_autocheckpoint(st->db, pages > 0 ? pages : 0); }

int64_t zn_store_changes(zn_store *st) { return sqlite3_changes64(st->db); }
int64_t zn_store_last_id(zn_store *st) { return sqlite3_last_insert_rowid(st->db); }

zn_status zn_store_table_exists(zn_store *st, const char *name, int *exists, zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn_stmt_prepare(st, "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?", &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(s, 1, name);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    *exists = row;
    zn_stmt_finalize(s);
    return rc;
}

zn_status zn_stmt_prepare(zn_store *st, const char *sql, zn_stmt **out, zn_error *err)
{
    zn_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    s->st = st;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s->s, NULL) != SQLITE_OK) {
        zn_status rc = zn_error_set(err, ZN_ESTORE, NULL, 0, NULL, "%s in: %.200s", sqlite3_errmsg(st->db), sql);
        free(s);
        return rc;
    }
    *out = s;
    return ZN_OK;
}

static zn_status bind_rc(int rc) { return rc == SQLITE_OK ? ZN_OK : (rc == SQLITE_NOMEM ? ZN_ENOMEM : ZN_EINVAL); }

zn_status zn_stmt_bind_text(zn_stmt *s, int idx, const char *text)
{
    if (!text)
        return bind_rc(sqlite3_bind_null(s->s, idx));
    return bind_rc(sqlite3_bind_text(s->s, idx, text, -1, SQLITE_TRANSIENT));
}
zn_status zn_stmt_bind_int64(zn_stmt *s, int idx, int64_t v) { return bind_rc(sqlite3_bind_int64(s->s, idx, v)); }
zn_status zn_stmt_bind_double(zn_stmt *s, int idx, double v) { return bind_rc(sqlite3_bind_double(s->s, idx, v)); }
zn_status zn_stmt_bind_null(zn_stmt *s, int idx) { return bind_rc(sqlite3_bind_null(s->s, idx)); }

zn_status zn_stmt_step(zn_stmt *s, int *has_row, zn_error *err)
{
    int rc = sqlite3_step(s->s);
    if (rc == SQLITE_ROW) {
        if (has_row)
            *has_row = 1;
        return ZN_OK;
    }
    if (has_row)
        *has_row = 0;
    if (rc == SQLITE_DONE)
        return ZN_OK;
    int ext = sqlite3_extended_errcode(s->st->db);
    zn_status code = (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) ? ZN_EDUPLICATE : ZN_ESTORE;
    zn_error_set(err, code, NULL, 0, NULL, "%s", sqlite3_errmsg(s->st->db));
    sqlite3_reset(s->s);
    return code;
}

void zn_stmt_reset(zn_stmt *s)
{
    sqlite3_reset(s->s);
    sqlite3_clear_bindings(s->s);
}

void zn_stmt_finalize(zn_stmt *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->s);
    free(s);
}

int zn_stmt_column_count(zn_stmt *s) { return sqlite3_column_count(s->s); }
const char *zn_stmt_column_name(zn_stmt *s, int col) { return sqlite3_column_name(s->s, col); }
int zn_stmt_column_is_null(zn_stmt *s, int col) { return sqlite3_column_type(s->s, col) == SQLITE_NULL; }
const char *zn_stmt_column_text(zn_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s->s, col);
    return t ? (const char *)t : "";
}
int64_t zn_stmt_column_int64(zn_stmt *s, int col) { return sqlite3_column_int64(s->s, col); }
double zn_stmt_column_double(zn_stmt *s, int col) { return sqlite3_column_double(s->s, col); }
