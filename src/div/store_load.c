/*
 * Reading the registry back from the store's `division` table (migration 1), the reverse of
 * save.c: one SELECT in (edition, code) order, each row checked as the file loader checks a CSV
 * record (12-digit code whose shape gives its level, non-empty name, parent = the code truncated
 * to the parent level), then the same finishing step (sort, duplicates, parent links, children).
 */
#include "div_int.h"

#include <stdlib.h>
#include <string.h>

/* What error messages name as the "file" of a row. */
static const char SOURCE[] = "table division";

static const char *const SELECT =
    "SELECT edition, code, level, name, parent_code FROM division ORDER BY edition, code";

/* Check one row (its number `row`, 1-based) and append it to its edition. */
static zn_status add_row(zn_div_registry *reg, zn_stmt *q, long row, zn_error *err)
{
    int64_t year = zn_stmt_column_int64(q, 0);
    const char *code = zn_stmt_column_text(q, 1);
    int64_t level = zn_stmt_column_int64(q, 2);
    const char *name = zn_stmt_column_text(q, 3);
    const char *parent = zn_stmt_column_is_null(q, 4) ? NULL : zn_stmt_column_text(q, 4);
    uint64_t v, p;
    if (year < 1 || year > 9999)
        return zn_error_set(err, ZN_EPARSE, SOURCE, row, "edition", "edition %lld is not a year", (long long)year);
    if (!code || strlen(code) != 12 || zn__div_parse(code, &v) != ZN_OK)
        return zn_error_set(err, ZN_EPARSE, SOURCE, row, "code", "'%s' is not a 12-digit code", code ? code : "NULL");
    if (level < 1 || level > 5 || zn_div_code_level(code) != level)
        return zn_error_set(err, ZN_EPARSE, SOURCE, row, "level", "level %lld does not fit code %s", (long long)level, code);
    if (!name || !*name)
        return zn_error_set(err, ZN_EPARSE, SOURCE, row, "name", "empty name of %s", code);
    if (level == 1 ? parent != NULL
                   : (!parent || strlen(parent) != 12 || zn__div_parse(parent, &p) != ZN_OK ||
                      p != zn__div_trunc(v, zn__div_digits[level - 1])))
        return zn_error_set(err, ZN_EPARSE, SOURCE, row, "parent_code", "parent '%s' of %s is not %s",
                            parent ? parent : "NULL", code,
                            level == 1 ? "NULL (a province has none)" : "the code truncated to its parent's level");
    zn__div_edition *ed = zn__div_edition_for(reg, (int)year);
    if (!ed || zn__div_node_add(reg, ed, v, (int)level, name, (uint32_t)row, 0) != ZN_OK)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
    return ZN_OK;
}

zn_status zn_div_registry_load_store(zn_ctx *ctx, zn_store *st, zn_div_registry **out, zn_error *err)
{
    if (!ctx || !st || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_div_registry_load_store: NULL argument");
    *out = NULL;
    zn_div_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
    reg->ctx = ctx;
    zn_status s;
    zn_stmt *q = NULL;
    reg->files = calloc(1, sizeof *reg->files);
    if (!reg->files || !(reg->files[0] = zn_strdup(SOURCE))) {
        s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "division registry");
        goto fail;
    }
    reg->nfiles = 1;
    if ((s = zn_stmt_prepare(st, SELECT, &q, err)) != ZN_OK)
        goto fail;
    long row = 0;
    for (;;) {
        int has_row = 0;
        if ((s = zn_stmt_step(q, &has_row, err)) != ZN_OK)
            goto fail;
        if (!has_row)
            break;
        if ((s = add_row(reg, q, ++row, err)) != ZN_OK)
            goto fail;
    }
    zn_stmt_finalize(q);
    q = NULL;
    if (row == 0) {
        s = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, NULL,
                         "the store holds no divisions (table division is empty; `zhinao divisions load` fills it)");
        goto fail;
    }
    for (size_t i = 0; i < reg->neds; i++)
        if ((s = zn__div_finish_edition(reg, &reg->eds[i], err)) != ZN_OK)
            goto fail;
    zn_log(ctx, ZN_LOG_DEBUG, "division registry: %ld rows, %zu editions from the store", row, reg->neds);
    *out = reg;
    return ZN_OK;
fail:
    zn_stmt_finalize(q);
    zn_div_registry_free(reg);
    return s;
}
