/* Core: status table, error formatting, buffers, context. */
#include "zn_test.h"

#include <sys/stat.h>

#include <math.h>
#include <string.h>

#include "zhinao/store.h"

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(zn_status_name(ZN_OK), "ZN_OK");
    assert_string_equal(zn_status_name(ZN_EPARSE), "ZN_EPARSE");
    assert_string_equal(zn_strerror(ZN_ENOTFOUND), "not found");
    assert_string_equal(zn_status_name((zn_status)999), "ZN_UNKNOWN");
}

static void test_error_format(void **state)
{
    (void)state;
    zn_error e;
    char buf[256];
    zn_status s = zn_error_set(&e, ZN_EVALIDATE, "cases.csv", 17, "id_number", "check character is %c, expected %c", '3', 'X');
    assert_int_equal(s, ZN_EVALIDATE);
    assert_string_equal(zn_error_format(&e, buf, sizeof buf),
                        "cases.csv:17: field 'id_number': check character is 3, expected X (ZN_EVALIDATE)");
    zn_error_set(&e, ZN_EIO, NULL, 0, NULL, "disk full");
    assert_string_equal(zn_error_format(&e, buf, sizeof buf), "disk full (ZN_EIO)");
    /* truncation is safe */
    char small[8];
    zn_error_format(&e, small, sizeof small);
    assert_int_equal(strlen(small), 7);
    /* NULL error pointer: still returns the code */
    assert_int_equal(zn_error_set(NULL, ZN_ERANGE, NULL, 0, NULL, "x"), ZN_ERANGE);
}

static void test_buf(void **state)
{
    (void)state;
    zn_buf b = {0};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(zn_buf_printf(&b, "%d,", i), ZN_OK);
    assert_true(b.len > 3000);
    assert_memory_equal(b.data, "0,1,2,", 6);
    assert_int_equal(b.data[b.len], '\0');
    zn_buf_reset(&b);
    assert_int_equal(b.len, 0);
    zn_buf_puts(&b, "浙江");
    assert_string_equal(b.data, "浙江");
    zn_buf_fini(&b);
    assert_null(b.data);
}

static int logged;
static void sink(void *user, zn_log_level level, const char *line)
{
    (void)user;
    assert_int_equal(level, ZN_LOG_WARN);
    assert_string_equal(line, "feed x: 3 rows");
    logged++;
}

static void test_ctx(void **state)
{
    (void)state;
    zn_ctx *ctx;
    assert_int_equal(zn_ctx_new(&ctx), ZN_OK);
    assert_int_equal(zn_ctx_tz_offset(ctx), 28800);
    zn_ctx_set_log_sink(ctx, sink, NULL);
    zn_log(ctx, ZN_LOG_INFO, "dropped"); /* below WARN */
    zn_log(ctx, ZN_LOG_WARN, "feed %s: %d rows", "x", 3);
    assert_int_equal(logged, 1);
    zn_ctx_set_now(ctx, 1650000000);
    assert_int_equal(zn_ctx_now(ctx), 1650000000);
    assert_non_null(zn_ctx_geos(ctx));
    assert_non_null(zn_ctx_proj(ctx));
    zn_ctx_free(ctx);
}

static void test_store(void **state)
{
    (void)state;
    zn_ctx *ctx;
    zn_store *st;
    zn_error err;
    zn_ctx_new(&ctx);
    char path[512];
    snprintf(path, sizeof path, "%s/core.db", zn_test_tmpdir());
    assert_int_equal(zn_store_open(ctx, path, &st, &err), ZN_OK);
    int v = zn_store_schema_version(st);
    assert_true(v >= 1);
    /* migrating again is a no-op */
    assert_int_equal(zn_store_migrate(st, &err), ZN_OK);
    assert_int_equal(zn_store_schema_version(st), v);
    assert_int_equal(zn_store_exec(st, "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, x REAL)", &err), ZN_OK);

    /* nested transaction: inner rollback dooms the outer */
    zn_stmt *ins;
    assert_int_equal(zn_stmt_prepare(st, "INSERT INTO t VALUES (?,?,?)", &ins, &err), ZN_OK);
    assert_int_equal(zn_store_begin(st, &err), ZN_OK);
    assert_int_equal(zn_store_begin(st, &err), ZN_OK);
    zn_stmt_bind_text(ins, 1, "a");
    zn_stmt_bind_int64(ins, 2, 1);
    zn_stmt_bind_double(ins, 3, 0.5);
    assert_int_equal(zn_stmt_step(ins, NULL, &err), ZN_OK);
    zn_stmt_reset(ins);
    assert_int_equal(zn_store_rollback(st), ZN_OK);
    assert_int_equal(zn_store_commit(st, &err), ZN_ESTATE);
    int64_t n = -1;
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM t", &n, &err), ZN_OK);
    assert_int_equal(n, 0);

    /* a committed row, then a duplicate key is ZN_EDUPLICATE */
    assert_int_equal(zn_store_begin(st, &err), ZN_OK);
    zn_stmt_bind_text(ins, 1, "a");
    zn_stmt_bind_int64(ins, 2, 7);
    zn_stmt_bind_null(ins, 3);
    assert_int_equal(zn_stmt_step(ins, NULL, &err), ZN_OK);
    zn_stmt_reset(ins);
    zn_stmt_bind_text(ins, 1, "a");
    assert_int_equal(zn_stmt_step(ins, NULL, &err), ZN_EDUPLICATE);
    assert_int_equal(zn_store_commit(st, &err), ZN_OK);
    zn_stmt_finalize(ins);

    zn_stmt *q;
    assert_int_equal(zn_stmt_prepare(st, "SELECT k, n, x FROM t", &q, &err), ZN_OK);
    int row = 0;
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_int_equal(row, 1);
    assert_string_equal(zn_stmt_column_text(q, 0), "a");
    assert_int_equal(zn_stmt_column_int64(q, 1), 7);
    assert_true(zn_stmt_column_is_null(q, 2));
    assert_string_equal(zn_stmt_column_name(q, 1), "n");
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_int_equal(row, 0);
    zn_stmt_finalize(q);

    /* savepoints: three units in one transaction, the middle one fails inside a nested begin
     * (its rollback would doom the outer); rolling back to its mark keeps the other two */
    assert_int_equal(zn_store_savepoint(st, &err), ZN_ESTATE); /* outside a transaction */
    assert_int_equal(zn_store_exec(st, "CREATE TABLE sp (k INTEGER PRIMARY KEY)", &err), ZN_OK);
    assert_int_equal(zn_store_begin(st, &err), ZN_OK);
    for (int k = 1; k <= 3; k++) {
        assert_int_equal(zn_store_savepoint(st, &err), ZN_OK);
        assert_int_equal(zn_store_begin(st, &err), ZN_OK);
        char sql[64];
        snprintf(sql, sizeof sql, "INSERT INTO sp VALUES (%d)", k);
        assert_int_equal(zn_store_exec(st, sql, &err), ZN_OK);
        if (k == 2) {
            assert_int_equal(zn_store_rollback(st), ZN_OK);
            /* keeping a unit whose inner scope rolled back is refused and undoes it */
            assert_int_equal(zn_store_savepoint_end(st, 1, &err), ZN_ESTATE);
        } else {
            assert_int_equal(zn_store_commit(st, &err), ZN_OK);
            assert_int_equal(zn_store_savepoint_end(st, 1, &err), ZN_OK);
        }
    }
    /* a fourth unit undone by the caller */
    assert_int_equal(zn_store_savepoint(st, &err), ZN_OK);
    assert_int_equal(zn_store_exec(st, "INSERT INTO sp VALUES (4)", &err), ZN_OK);
    assert_int_equal(zn_store_savepoint_end(st, 0, &err), ZN_OK);
    assert_int_equal(zn_store_savepoint_end(st, 0, &err), ZN_ESTATE); /* no mark left */
    assert_int_equal(zn_store_commit(st, &err), ZN_OK);
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM sp", &n, &err), ZN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(zn_store_query_int64(st, "SELECT SUM(k * k) FROM sp", &n, &err), ZN_OK);
    assert_int_equal(n, 1 + 9); /* rows 1 and 3 */

    int exists = 0;
    zn_store_table_exists(st, "quarantine", &exists, &err);
    assert_int_equal(exists, 1);
    zn_store_table_exists(st, "nope", &exists, &err);
    assert_int_equal(exists, 0);

    /* a migration missing below the highest applied one is still applied (a store made by a build
     * that did not have it yet) */
    assert_int_equal(zn_store_exec(st,
                                   "DROP TABLE quarantine; DROP TABLE lineage; DROP TABLE division;"
                                   "DELETE FROM schema_migrations WHERE version = 1;",
                                   &err),
                     ZN_OK);
    assert_int_equal(zn_store_migrate(st, &err), ZN_OK);
    zn_store_table_exists(st, "lineage", &exists, &err);
    assert_int_equal(exists, 1);
    assert_int_equal(zn_store_schema_version(st), v);

    /* bad SQL names the problem */
    assert_int_equal(zn_stmt_prepare(st, "SELEC 1", &q, &err), ZN_ESTORE);
    assert_non_null(strstr(err.msg, "syntax error"));
    zn_store_close(st);

    /* unsupported scheme */
    assert_int_equal(zn_store_open(ctx, "postgresql://x", &st, &err), ZN_EUNSUPPORTED);
    zn_ctx_free(ctx);
}

/* zn_dir_list: only the names with the suffix, as dir/name, sorted; a missing folder is ZN_EIO */
static void test_dir_list(void **state)
{
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/dirlist", zn_test_tmpdir());
    mkdir(dir, 0700);
    static const char *const names[] = {"b.geojson", "a.geojson", "c.txt", "geojson", "d.geojson.bak"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    }
    char **paths = NULL;
    size_t n = 99;
    zn_error err;
    assert_int_equal(zn_dir_list(dir, ".geojson", &paths, &n, &err), ZN_OK);
    assert_int_equal(n, 2);
    snprintf(path, sizeof path, "%s/a.geojson", dir);
    assert_string_equal(paths[0], path);
    snprintf(path, sizeof path, "%s/b.geojson", dir);
    assert_string_equal(paths[1], path);
    zn_dir_list_free(paths, n);
    assert_int_equal(zn_dir_list(dir, ".csv", &paths, &n, &err), ZN_OK);
    assert_int_equal(n, 0);
    assert_null(paths);
    snprintf(path, sizeof path, "%s/none", dir);
    assert_int_equal(zn_dir_list(path, ".geojson", &paths, &n, &err), ZN_EIO);
    assert_string_equal(err.file, path);
    assert_int_equal(zn_dir_list(NULL, ".x", &paths, &n, &err), ZN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names), cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_buf),          cmocka_unit_test(test_ctx),
        cmocka_unit_test(test_store),          cmocka_unit_test(test_dir_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
