/*
 * Saving the registry into the store's `division` table (migration 1). One transaction, one
 * prepared upsert; a row is rewritten only when it differs, so saving twice changes nothing.
 * The SQL keeps to the subset shared by SQLite (>= 3.24) and PostgreSQL (>= 9.5):
 * INSERT ... ON CONFLICT (...) DO UPDATE ... WHERE, `excluded`, COALESCE.
 */
#include "div_int.h"

static const char *const UPSERT =
    "INSERT INTO division (edition, code, level, name, parent_code) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (edition, code) DO UPDATE SET level = excluded.level, name = excluded.name, "
    "parent_code = excluded.parent_code "
    "WHERE division.level <> excluded.level OR division.name <> excluded.name "
    "OR COALESCE(division.parent_code, '') <> COALESCE(excluded.parent_code, '')";

zn_status zn_div_registry_save(const zn_div_registry *reg, zn_store *st, int64_t *changed,
                               zn_error *err)
{
    if (!reg || !st)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_registry_save: NULL argument");
    if (changed)
        *changed = 0;
    zn_status s = zn_store_begin(st, err);
    if (s != ZN_OK)
        return s;
    zn_stmt *stmt = NULL;
    int64_t n = 0;
    if ((s = zn_stmt_prepare(st, UPSERT, &stmt, err)) != ZN_OK)
        goto fail;
    for (size_t e = 0; e < reg->neds; e++) {
        const zn__div_edition *ed = &reg->eds[e];
        for (size_t i = 0; i < ed->n; i++) {
            zn_div d;
            zn__div_fill(reg, ed, i, &d);
            zn_stmt_reset(stmt);
            if ((s = zn_stmt_bind_int64(stmt, 1, ed->year)) != ZN_OK ||
                (s = zn_stmt_bind_text(stmt, 2, d.code)) != ZN_OK ||
                (s = zn_stmt_bind_int64(stmt, 3, d.level)) != ZN_OK ||
                (s = zn_stmt_bind_text(stmt, 4, d.name)) != ZN_OK ||
                (s = d.parent_code[0] ? zn_stmt_bind_text(stmt, 5, d.parent_code) : zn_stmt_bind_null(stmt, 5)) != ZN_OK) {
                zn_error_set(err, s, NULL, 0, NULL, "cannot bind division %s", d.code);
                goto fail;
            }
            if ((s = zn_stmt_step(stmt, NULL, err)) != ZN_OK)
                goto fail;
            n += zn_store_changes(st);
        }
    }
    zn_stmt_finalize(stmt);
    stmt = NULL;
    if ((s = zn_store_commit(st, err)) != ZN_OK)
        return s;
    if (changed)
        *changed = n;
    zn_log(zn_store_ctx(st), ZN_LOG_INFO, "division: %lld rows inserted or updated", (long long)n);
    return ZN_OK;
fail:
    zn_stmt_finalize(stmt);
    zn_store_rollback(st);
    return s;
}
