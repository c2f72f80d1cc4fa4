/*
 * Routing: the unit responsible for where a person lives or a place is. Division code (NBS
 * 12-digit, 2 province + 2 city + 2 county + 3 township + 3 village) → community (village level)
 * → grid (网格, the smallest management area under a community). Divisions are read from the
 * `division` table with SQL so this module does not depend on src/div.
 */
#include "loop_int.h"

#include <string.h>

static zn_status divisions_loaded(zn_loop *lp, int *yes, zn_error *err)
{
    if (lp->have_divisions < 0) {
        int64_t n = 0;
        zn_status rc = zn_store_query_int64(lp->st, "SELECT COUNT(*) FROM (SELECT 1 FROM division LIMIT 1) x", &n, err);
        if (rc != ZN_OK)
            return rc;
        lp->have_divisions = n > 0;
    }
    *yes = lp->have_divisions;
    return ZN_OK;
}

static zn_status check_division(zn_loop *lp, const char *code, zn_error *err)
{
    int yes;
    zn_status rc = divisions_loaded(lp, &yes, err);
    if (rc != ZN_OK || !yes)
        return rc;
    zn_stmt *s;
    if ((rc = zn__q(lp, ZN__Q_DIVISION_EXISTS, &s, err)) != ZN_OK)
        return rc;
    zn_stmt_bind_text(s, 1, code);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    zn_stmt_reset(s);
    if (rc == ZN_OK && !row)
        rc = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "division_code", "division %s is not in the registry", code);
    return rc;
}

/* One text column of the first row of a cached query with one or two parameters into out (size
 * n); *found = 0/1. */
static zn_status lookup1(zn_loop *lp, int q, const char *a, const char *b, char *out, size_t n, int *found,
                         zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn__q(lp, q, &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(s, 1, a);
    if (b)
        zn_stmt_bind_text(s, 2, b);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    *found = 0;
    if (rc == ZN_OK && row) {
        snprintf(out, n, "%s", zn_stmt_column_text(s, 0));
        *found = 1;
    }
    zn_stmt_reset(s);
    return rc;
}

zn_status zn_loop_route_where(zn_loop *lp, const zn_loop_where *where, const char *issuer_unit, zn_loop_route *out,
                              zn_error *err)
{
    if (!lp || !where || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_route_where: NULL argument");
    memset(out, 0, sizeof *out);
    zn_status rc;
    int found = 0;
    if (where->grid_id && *where->grid_id) {
        if (strlen(where->grid_id) > 63)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "grid_id", "grid id longer than 63 bytes");
        rc = lookup1(lp, ZN__Q_GRID_COMMUNITY, where->grid_id, NULL,
                     out->division_code, sizeof out->division_code, &found, err);
        if (rc != ZN_OK)
            return rc;
        if (!found)
            return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "grid_id", "no grid '%s'", where->grid_id);
        snprintf(out->grid_id, sizeof out->grid_id, "%s", where->grid_id);
    } else {
        if (!where->division_code || !*where->division_code)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "division_code", "routing needs a division code or a grid");
        if ((rc = zn__code12(where->division_code, out->division_code, err)) != ZN_OK)
            return rc;
        if ((rc = check_division(lp, out->division_code, err)) != ZN_OK)
            return rc;
        if (strcmp(out->division_code + 9, "000") != 0) { /* a community (village level) */
            if (where->place_key && *where->place_key) {
                rc = lookup1(lp, ZN__Q_GRID_BY_PLACE, out->division_code, where->place_key, out->grid_id, sizeof out->grid_id, &found, err);
                if (rc != ZN_OK)
                    return rc;
            }
            if (!found) {
                /* The community's only grid, if it has exactly one. */
                zn_stmt *s;
                if ((rc = zn__q(lp, ZN__Q_GRIDS_OF_COMMUNITY, &s, err)) != ZN_OK)
                    return rc;
                zn_stmt_bind_text(s, 1, out->division_code);
                int row = 0, nrow = 0;
                char first[64] = "";
                while ((rc = zn_stmt_step(s, &row, err)) == ZN_OK && row) {
                    if (nrow++ == 0)
                        snprintf(first, sizeof first, "%s", zn_stmt_column_text(s, 0));
                }
                zn_stmt_reset(s);
                if (rc != ZN_OK)
                    return rc;
                if (nrow == 1)
                    memcpy(out->grid_id, first, sizeof first);
            }
        }
    }
    if (out->grid_id[0]) {
        snprintf(out->assignee_kind, sizeof out->assignee_kind, "grid");
        snprintf(out->assignee, sizeof out->assignee, "%s", out->grid_id);
    } else {
        snprintf(out->assignee_kind, sizeof out->assignee_kind, "division");
        memcpy(out->assignee, out->division_code, 13);
    }
    if (issuer_unit && *issuer_unit) {
        char iu[13];
        if ((rc = zn__code12(issuer_unit, iu, err)) != ZN_OK)
            return rc;
        /* The issuing command's city (its province for a provincial command) is its jurisdiction. */
        size_t k = (iu[2] == '0' && iu[3] == '0') ? 2 : 4;
        out->transfer = memcmp(iu, out->division_code, k) != 0;
    }
    return ZN_OK;
}
