/* Reading the quarantine table: listing (with personal numbers masked) and counts. */
#include "hub_int.h"

#include <stdio.h>
#include <string.h>

zn_status zn_quarantine_list(zn_store *st, const zn_quarantine_filter *filter, zn_quarantine_fn fn,
                             void *user, zn_error *err)
{
    zn_quarantine_filter none;
    memset(&none, 0, sizeof none);
    if (!filter)
        filter = &none;
    if (!st || !fn)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_quarantine_list: NULL argument");
    zn_buf sql = {0};
    zn_buf_puts(&sql, "SELECT id, lineage_id, feed, file, line, field, reason_code, reason, raw FROM quarantine");
    const char *where = " WHERE";
    if (filter->feed) {
        zn_buf_printf(&sql, "%s feed = ?", where);
        where = " AND";
    }
    if (filter->reason)
        zn_buf_printf(&sql, "%s reason_code = ?", where);
    zn_status s = zn_buf_puts(&sql, " ORDER BY id");
    if (filter->limit > 0)
        s = zn_buf_printf(&sql, " LIMIT %lld", (long long)filter->limit);
    if (s != ZN_OK) {
        zn_buf_fini(&sql);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    zn_stmt *q;
    s = zn_stmt_prepare(st, sql.data, &q, err);
    zn_buf_fini(&sql);
    if (s)
        return s;
    int p = 1;
    if (filter->feed)
        zn_stmt_bind_text(q, p++, filter->feed);
    if (filter->reason)
        zn_stmt_bind_text(q, p++, filter->reason);
    zn_buf raw = {0}, reason = {0};
    int row;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        zn_quarantine_row r = {
            .id = zn_stmt_column_int64(q, 0),
            .lineage_id = zn_stmt_column_int64(q, 1),
            .feed = zn_stmt_column_text(q, 2),
            .file = zn_stmt_column_text(q, 3),
            .line = zn_stmt_column_int64(q, 4),
            .field = zn_stmt_column_text(q, 5),
            .reason_code = zn_stmt_column_text(q, 6),
            .reason = zn_stmt_column_text(q, 7),
            .raw = zn_stmt_column_text(q, 8),
        };
        if (!filter->unmasked) {
            zn_buf_reset(&raw);
            zn_buf_reset(&reason);
            if (zn_hub_mask_text(r.raw, &raw) != ZN_OK || zn_hub_mask_text(r.reason, &reason) != ZN_OK) {
                s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            r.raw = raw.data;
            r.reason = reason.data;
        }
        if (fn(user, &r))
            break;
    }
    zn_buf_fini(&raw);
    zn_buf_fini(&reason);
    zn_stmt_finalize(q);
    return s;
}

zn_status zn_quarantine_summary(zn_store *st,
                                void (*fn)(void *user, const char *feed, const char *reason_code,
                                           int64_t count),
                                void *user, zn_error *err)
{
    if (!st || !fn)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_quarantine_summary: NULL argument");
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  "SELECT feed, reason_code, COUNT(*) FROM quarantine GROUP BY feed, reason_code "
                                  "ORDER BY feed, reason_code",
                                  &q, err);
    if (s)
        return s;
    int row;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        fn(user, zn_stmt_column_text(q, 0), zn_stmt_column_text(q, 1), zn_stmt_column_int64(q, 2));
    zn_stmt_finalize(q);
    return s;
}
