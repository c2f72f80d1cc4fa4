/*
 * zhinao store: the one door to persistent state.
 *
 * The embedded default backend is SQLite (one file, WAL journal). The API is deliberately narrow
 * (open, migrate, transactions, prepared statements with positional `?` parameters, typed column
 * reads) so that a PostgreSQL backend can be added behind it later without touching callers.
 * SQL passed in must keep to the common subset of SQLite and PostgreSQL: `?` placeholders,
 * INTEGER / REAL / TEXT columns, `INSERT ... ON CONFLICT DO NOTHING`, no SQLite-only functions.
 *
 * A store is used from one thread at a time; open one per thread for parallel work.
 */
#ifndef ZHINAO_STORE_H
#define ZHINAO_STORE_H

#include "zhinao/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct zn_store zn_store;
typedef struct zn_stmt zn_stmt;

/*
 * Open (creating when absent) the store at `uri`: a file path ("zhinao.db"), "sqlite:PATH", or
 * ":memory:" for a private in-memory store. Sets WAL, synchronous=NORMAL, foreign keys on, a busy
 * timeout of 5 s, then applies every pending schema migration (zn_store_migrate).
 * On success *out is the caller's, freed with zn_store_close.
 * Errors: ZN_EINVAL (NULL args / unknown scheme), ZN_ESTORE (cannot open or migrate; err->msg
 * carries SQLite's message), ZN_ENOMEM.
 */
zn_status zn_store_open(zn_ctx *ctx, const char *uri, zn_store **out, zn_error *err);

/* Close the store and finalize nothing else: every zn_stmt must be finalized first. NULL ok. */
void zn_store_close(zn_store *st);

/* The context the store was opened with (borrowed). */
zn_ctx *zn_store_ctx(zn_store *st);

/*
 * Apply numbered schema migrations newer than the store's version, each in its own transaction,
 * recording them in table schema_migrations(version, name, applied_at). Idempotent.
 * Errors: ZN_ESTORE with the failing migration named in err->msg.
 */
zn_status zn_store_migrate(zn_store *st, zn_error *err);

/* Highest applied migration version (0 for an empty store), or -1 on error. */
int zn_store_schema_version(zn_store *st);

/* Run one or more SQL statements that take no parameters and return no rows. */
zn_status zn_store_exec(zn_store *st, const char *sql, zn_error *err);

/* Transactions. begin/commit/rollback nest by counting: only the outermost pair touches the
 * database; a rollback anywhere marks the whole transaction for rollback. */
zn_status zn_store_begin(zn_store *st, zn_error *err);
zn_status zn_store_commit(zn_store *st, zn_error *err);
zn_status zn_store_rollback(zn_store *st);

/*
 * Savepoints (SQLite SAVEPOINT), for running several independent units of work in one
 * transaction (group commit) where one unit may fail without dooming the others.
 * zn_store_savepoint marks a point inside an open transaction (ZN_ESTATE outside one, or beyond
 * ZN_STORE_MAX_SAVEPOINTS nested marks). zn_store_savepoint_end closes the latest mark:
 * keep = 1 keeps what was done since it; keep = 0 undoes it (ROLLBACK TO) and also clears the doom
 * that an inner zn_store_rollback set since the mark, so the outer transaction can still commit.
 * keep = 1 after an inner rollback since the mark undoes the work too and returns ZN_ESTATE.
 * Errors: ZN_ESTATE (no mark, or an inner begin still open), ZN_ESTORE.
 */
/*
 * Checkpoint the WAL into the database when a commit of this connection leaves more than `pages`
 * pages in it (SQLite's wal_autocheckpoint; 1000 when a store is opened; 0 = never: then somebody
 * else must checkpoint, as the server's checkpoint thread does). Cheap: no statement is run.
 */
void zn_store_set_autocheckpoint(zn_store *st, int pages);

#define ZN_STORE_MAX_SAVEPOINTS 8
zn_status zn_store_savepoint(zn_store *st, zn_error *err);
zn_status zn_store_savepoint_end(zn_store *st, int keep, zn_error *err);

/* Rows changed by the last INSERT/UPDATE/DELETE, and the rowid of the last INSERT. */
int64_t zn_store_changes(zn_store *st);
int64_t zn_store_last_id(zn_store *st);

/* Does table `name` exist? Sets *exists to 0/1. */
zn_status zn_store_table_exists(zn_store *st, const char *name, int *exists, zn_error *err);

/*
 * Prepare one statement. *out is the caller's, freed with zn_stmt_finalize.
 * Errors: ZN_ESTORE with the SQL error and the statement text (truncated) in err->msg.
 */
zn_status zn_stmt_prepare(zn_store *st, const char *sql, zn_stmt **out, zn_error *err);

/* Bind the 1-based parameter idx. Text is copied (SQLITE_TRANSIENT); NULL text binds NULL. */
zn_status zn_stmt_bind_text(zn_stmt *s, int idx, const char *text);
zn_status zn_stmt_bind_int64(zn_stmt *s, int idx, int64_t v);
zn_status zn_stmt_bind_double(zn_stmt *s, int idx, double v);
zn_status zn_stmt_bind_null(zn_stmt *s, int idx);

/*
 * Advance. Returns ZN_OK and sets *has_row to 1 when a row is available, 0 when done.
 * has_row may be NULL for statements without rows. Errors: ZN_ESTORE, ZN_EDUPLICATE (a UNIQUE /
 * PRIMARY KEY constraint failed).
 */
zn_status zn_stmt_step(zn_stmt *s, int *has_row, zn_error *err);

/* Reset for re-execution and clear bindings. */
void zn_stmt_reset(zn_stmt *s);
void zn_stmt_finalize(zn_stmt *s); /* NULL ok */

int zn_stmt_column_count(zn_stmt *s);
const char *zn_stmt_column_name(zn_stmt *s, int col);
int zn_stmt_column_is_null(zn_stmt *s, int col);
/* Text of column col (0-based), valid until the next step/reset/finalize; "" for NULL. */
const char *zn_stmt_column_text(zn_stmt *s, int col);
int64_t zn_stmt_column_int64(zn_stmt *s, int col);
double zn_stmt_column_double(zn_stmt *s, int col);

/*
 * Convenience: run `sql` with no parameters and read the first column of the first row as an
 * integer into *out (0 when there is no row).
 */
zn_status zn_store_query_int64(zn_store *st, const char *sql, int64_t *out, zn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_STORE_H */
