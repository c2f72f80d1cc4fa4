/* Shared test helpers (cmocka). */
#ifndef ZN_TEST_H
#define ZN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "zhinao/core.h"
#include "zhinao/store.h"

/* Path under the source tree: zn_test_src("data/divisions") -> "<src>/data/divisions".
 * Returns a static buffer (overwritten by the next call). */
const char *zn_test_src(const char *rel);

/* Path of ../shared (the data folder beside the checkout) or NULL when absent: tests that need
 * it call skip() when NULL. */
const char *zn_test_shared(const char *rel);

/* A fresh empty temporary directory for this process (created once, removed at exit). */
const char *zn_test_tmpdir(void);

/* Write `len` bytes of `data` to a new file in the temp dir; returns its path (static buffer). */
const char *zn_test_write_file(const char *name, const void *data, size_t len);

/* A new context whose clock reads `now` (Unix seconds, zn_ctx_set_now) in *ctx, and the store at
 * `path` (":memory:" for a private one) opened and migrated with it; the test fails (fail_msg)
 * when either cannot be made. Close with zn_store_close, then zn_ctx_free. */
zn_store *zn_test_open_store(zn_ctx **ctx, const char *path, int64_t now);

/* The one integer of a query's first row (zn_store_query_int64); the test fails (fail_msg, with
 * the SQL and the store's message) when the query does. */
int64_t zn_test_q64(zn_store *st, const char *sql);

#define assert_double_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

#endif
