/*
 * The scoped query layer. Every query about data that belongs to a division takes the caller's
 * scope prefix (digits of the user's division, "" for the country) and puts it into its WHERE
 * clause, in addition to the area asked for; so a handler that forgot to check the area would
 * still return nothing outside the scope.
 *
 * Case residences (table case_residence, built by place.h) are placed by their township code, or
 * their county code when the township is unknown.
 */
#include "server_int.h"

#include "zhinao/time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the division code of a case residence row */
#define CR_CODE "COALESCE(NULLIF(township_code, ''), county_code, '')"
/* scope, area, from, from, to, to: 8 parameters */
#define CR_WHERE                                                                                   \
    " substr(" CR_CODE ", 1, length(?)) = ? AND substr(" CR_CODE ", 1, length(?)) = ?"          \
    " AND (? IS NULL OR date >= ?) AND (? IS NULL OR date <= ?)"

static const int LEVEL_DIGITS[] = {0, 2, 4, 6, 9, 12};

static void bind_where(zn_stmt *q, int first, const char *scope, const char *area, const char *from, const char *to)
{
    zn_stmt_bind_text(q, first, scope);
    zn_stmt_bind_text(q, first + 1, scope);
    zn_stmt_bind_text(q, first + 2, area);
    zn_stmt_bind_text(q, first + 3, area);
    zn_stmt_bind_text(q, first + 4, from);
    zn_stmt_bind_text(q, first + 5, from);
    zn_stmt_bind_text(q, first + 6, to);
    zn_stmt_bind_text(q, first + 7, to);
}

static int has_cases(zn_store *st)
{
    int yes = 0;
    return zn_store_table_exists(st, "case_residence", &yes, NULL) == ZN_OK && yes;
}

int64_t zn__q_latest_edition(zn_store *st)
{
    int64_t e = 0;
    if (zn_store_query_int64(st, "SELECT COALESCE(MAX(edition), 0) FROM division", &e, NULL) != ZN_OK)
        return 0;
    return e;
}

json_t *zn__q_division(zn_store *st, int64_t edition, const char *code, zn_error *err, zn_status *s)
{
    zn_stmt *q;
    *s = zn_stmt_prepare(st, "SELECT code, name, level, COALESCE(parent_code, '') FROM division"
                             " WHERE edition = ? AND code = ?", &q, err);
    if (*s != ZN_OK)
        return NULL;
    zn_stmt_bind_int64(q, 1, edition);
    zn_stmt_bind_text(q, 2, code);
    int row = 0;
    json_t *j = NULL;
    if ((*s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        j = json_pack("{s:s, s:s, s:I, s:s}", "code", zn_stmt_column_text(q, 0), "name", zn_stmt_column_text(q, 1),
                      "level", (json_int_t)zn_stmt_column_int64(q, 2), "parent", zn_stmt_column_text(q, 3));
    zn_stmt_finalize(q);
    return j;
}

zn_status zn__q_division_path(zn_store *st, int64_t edition, const char *code, json_t *out, zn_error *err)
{
    char cur[13];
    snprintf(cur, sizeof cur, "%s", code);
    zn_status s = ZN_OK;
    for (int guard = 0; guard < 6 && *cur; guard++) {
        json_t *d = zn__q_division(st, edition, cur, err, &s);
        if (!d)
            break;
        snprintf(cur, sizeof cur, "%s", json_string_value(json_object_get(d, "parent")));
        json_object_del(d, "parent");
        json_array_insert_new(out, 0, d);
    }
    return s;
}

zn_status zn__q_division_children(zn_store *st, const char *scope, int64_t edition, const char *code,
                                  const char *from, const char *to, json_t *out, zn_error *err)
{
    int level = 0;
    char prefix[13] = "";
    if (code && *code) {
        zn_status s = zn_scope_prefix(code, prefix, err);
        if (s != ZN_OK)
            return s;
        level = (int)strlen(prefix) == 2 ? 1 : (int)strlen(prefix) == 4 ? 2 : (int)strlen(prefix) == 6 ? 3
                : (int)strlen(prefix) == 9 ? 4 : 5;
    }
    if (level >= 5)
        return ZN_OK;
    int digits = LEVEL_DIGITS[level + 1];
    /* the children, inside the scope (a country-wide list is cut to the user's own province) */
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  "SELECT code, name, level FROM division WHERE edition = ? AND level = ?"
                                  " AND substr(code, 1, length(?)) = ? AND substr(code, 1, length(?)) = ?"
                                  " ORDER BY code",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, edition);
    zn_stmt_bind_int64(q, 2, level + 1);
    zn_stmt_bind_text(q, 3, prefix);
    zn_stmt_bind_text(q, 4, prefix);
    zn_stmt_bind_text(q, 5, scope);
    zn_stmt_bind_text(q, 6, scope);
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:I}", "code", zn_stmt_column_text(q, 0), "name",
                                             zn_stmt_column_text(q, 1), "level",
                                             (json_int_t)zn_stmt_column_int64(q, 2), "cases", (json_int_t)0));
    zn_stmt_finalize(q);
    if (s != ZN_OK || !has_cases(st) || json_array_size(out) == 0)
        return s;
    /* counts per child prefix in one pass */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT substr(" CR_CODE ", 1, %d) AS k, COUNT(*) FROM case_residence WHERE" CR_WHERE " GROUP BY k",
             digits);
    if ((s = zn_stmt_prepare(st, sql, &q, err)) != ZN_OK)
        return s;
    bind_where(q, 1, scope, prefix, from, to);
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        const char *k = zn_stmt_column_text(q, 0);
        size_t i;
        json_t *ch;
        json_array_foreach(out, i, ch)
        {
            if (!strncmp(json_string_value(json_object_get(ch, "code")), k, (size_t)digits) && strlen(k) == (size_t)digits) {
                json_object_set_new(ch, "cases", json_integer(zn_stmt_column_int64(q, 1)));
                break;
            }
        }
    }
    zn_stmt_finalize(q);
    return s;
}

zn_status zn__q_case_count(zn_store *st, const char *scope, const char *area, const char *from, const char *to,
                           int64_t *n, int64_t *matched, zn_error *err)
{
    *n = 0;
    if (matched)
        *matched = 0;
    if (!has_cases(st))
        return ZN_OK;
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT COUNT(*), COALESCE(SUM(matched), 0) FROM case_residence WHERE" CR_WHERE,
                                  &q, err);
    if (s != ZN_OK)
        return s;
    bind_where(q, 1, scope, area, from, to);
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        *n = zn_stmt_column_int64(q, 0);
        if (matched)
            *matched = zn_stmt_column_int64(q, 1);
    }
    zn_stmt_finalize(q);
    return s;
}

static int64_t day_of(const char *date)
{
    int y, m, d;
    if (!date || sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return INT64_MIN;
    return zn_days_from_civil(y, m, d);
}

zn_status zn__q_cases_daily(zn_store *st, const char *scope, const char *area, const char *from, const char *to,
                            json_t *dates, json_t *counts, zn_error *err)
{
    if (!has_cases(st))
        return ZN_OK;
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(
        st, "SELECT date, COUNT(*) FROM case_residence WHERE" CR_WHERE " GROUP BY date ORDER BY date", &q, err);
    if (s != ZN_OK)
        return s;
    bind_where(q, 1, scope, area, from, to);
    int row = 0;
    int64_t next = from ? day_of(from) : INT64_MIN; /* fill days without rows with 0 */
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        int64_t d = day_of(zn_stmt_column_text(q, 0));
        if (d == INT64_MIN)
            continue;
        for (; next != INT64_MIN && next < d; next++) {
            int y, m, dd;
            char buf[16];
            zn_civil_from_days(next, &y, &m, &dd);
            snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, dd);
            json_array_append_new(dates, json_string(buf));
            json_array_append_new(counts, json_integer(0));
        }
        json_array_append_new(dates, json_string(zn_stmt_column_text(q, 0)));
        json_array_append_new(counts, json_integer(zn_stmt_column_int64(q, 1)));
        next = d + 1;
    }
    zn_stmt_finalize(q);
    if (s == ZN_OK && to && next != INT64_MIN) /* trailing days of the range without rows */
        for (int64_t end = day_of(to); next <= end && end != INT64_MIN; next++) {
            int y, m, dd;
            char buf[16];
            zn_civil_from_days(next, &y, &m, &dd);
            snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, dd);
            json_array_append_new(dates, json_string(buf));
            json_array_append_new(counts, json_integer(0));
        }
    return s;
}

static json_t *num_or_null(zn_stmt *q, int col)
{
    return zn_stmt_column_is_null(q, col) ? json_null() : json_real(zn_stmt_column_double(q, col));
}

zn_status zn__q_cases_list(zn_store *st, const char *scope, const char *area, const char *from, const char *to,
                           int64_t limit, int64_t offset, json_t *items, int64_t *total, zn_error *err)
{
    *total = 0;
    if (!has_cases(st))
        return ZN_OK;
    zn_status s = zn__q_case_count(st, scope, area, from, to, total, NULL, err);
    if (s != ZN_OK)
        return s;
    zn_stmt *q;
    s = zn_stmt_prepare(st,
                        "SELECT rowid, date, district, address, COALESCE(county_code, ''), COALESCE(township, ''),"
                        " COALESCE(township_code, ''), lon_gcj02, lat_gcj02, lon, lat, matched"
                        " FROM case_residence WHERE" CR_WHERE " ORDER BY date, rowid LIMIT ? OFFSET ?",
                        &q, err);
    if (s != ZN_OK)
        return s;
    bind_where(q, 1, scope, area, from, to);
    zn_stmt_bind_int64(q, 9, limit);
    zn_stmt_bind_int64(q, 10, offset);
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b}", "id",
                             (json_int_t)zn_stmt_column_int64(q, 0), "date", zn_stmt_column_text(q, 1), "district",
                             zn_stmt_column_text(q, 2), "address", zn_stmt_column_text(q, 3), "county_code",
                             zn_stmt_column_text(q, 4), "township", zn_stmt_column_text(q, 5), "township_code",
                             zn_stmt_column_text(q, 6), "lon_gcj02", num_or_null(q, 7), "lat_gcj02",
                             num_or_null(q, 8), "lon", num_or_null(q, 9), "lat", num_or_null(q, 10), "matched",
                             (int)zn_stmt_column_int64(q, 11)));
    zn_stmt_finalize(q);
    return s;
}

zn_status zn__q_cases_heat(zn_store *st, const char *scope, const char *area, const char *from, const char *to,
                           double cell, json_t *rows, zn_error *err)
{
    if (!has_cases(st))
        return ZN_OK;
    zn_stmt *q;
    zn_status s;
    if (cell > 0)
        s = zn_stmt_prepare(st,
                            "SELECT CAST(round(lon_gcj02 / ?) AS INTEGER) AS gx, CAST(round(lat_gcj02 / ?) AS INTEGER)"
                            " AS gy, COUNT(*) FROM case_residence WHERE matched = 1 AND" CR_WHERE
                            " GROUP BY gx, gy ORDER BY gx, gy",
                            &q, err);
    else
        s = zn_stmt_prepare(st,
                            "SELECT lon_gcj02, lat_gcj02, COUNT(*) FROM case_residence WHERE matched = 1 AND" CR_WHERE
                            " GROUP BY lon_gcj02, lat_gcj02 ORDER BY lon_gcj02, lat_gcj02",
                            &q, err);
    if (s != ZN_OK)
        return s;
    int p = 1;
    if (cell > 0) {
        zn_stmt_bind_double(q, p++, cell);
        zn_stmt_bind_double(q, p++, cell);
    }
    bind_where(q, p, scope, area, from, to);
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        double x = cell > 0 ? (double)zn_stmt_column_int64(q, 0) * cell : zn_stmt_column_double(q, 0);
        double y = cell > 0 ? (double)zn_stmt_column_int64(q, 1) * cell : zn_stmt_column_double(q, 1);
        json_array_append_new(rows, json_pack("[f, f, I]", x, y, (json_int_t)zn_stmt_column_int64(q, 2)));
    }
    zn_stmt_finalize(q);
    return s;
}

zn_status zn__q_case_range(zn_store *st, const char *scope, char first[11], char last[11], zn_error *err)
{
    first[0] = last[0] = 0;
    if (!has_cases(st))
        return ZN_OK;
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT COALESCE(MIN(date), ''), COALESCE(MAX(date), '') FROM case_residence"
                                      " WHERE substr(" CR_CODE ", 1, length(?)) = ?",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, scope);
    zn_stmt_bind_text(q, 2, scope);
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        snprintf(first, 11, "%s", zn_stmt_column_text(q, 0));
        snprintf(last, 11, "%s", zn_stmt_column_text(q, 1));
    }
    zn_stmt_finalize(q);
    return s;
}
