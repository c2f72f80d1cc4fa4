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

/* ======================================================================================= */
/* Epidemic data: stored zone runs (zone.h, migration 4) and tracing runs (trace.h, migration 6). */

/* Append s to b as a JSON string literal (quotes, escapes; UTF-8 passes through). */
void zn__json_str(zn_buf *b, const char *s)
{
    zn_buf_puts(b, "\"");
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        zn_buf_append(b, run, (size_t)(p - run));
        if (ch == '"')
            zn_buf_puts(b, "\\\"");
        else if (ch == '\\')
            zn_buf_puts(b, "\\\\");
        else
            zn_buf_printf(b, "\\u%04x", ch);
        run = p + 1;
    }
    zn_buf_puts(b, run);
    zn_buf_puts(b, "\"");
}

/* -------- zones -------- */

/* The unit's division code (township, else county; "" unknown) compared with scope ?1 and area ?2. */
#define ZU_CODE "COALESCE(NULLIF(u.township_code, ''), u.county_code, '')"
#define ZU_IN " substr(" ZU_CODE ", 1, length(?1)) = ?1 AND substr(" ZU_CODE ", 1, length(?2)) = ?2"

static zn_status zrun_fill(zn_stmt *q, zn__zrun *r, zn_error *err)
{
    memset(r, 0, sizeof *r);
    r->id = zn_stmt_column_int64(q, 0);
    snprintf(r->rules, sizeof r->rules, "%s", zn_stmt_column_text(q, 1));
    snprintf(r->title, sizeof r->title, "%s", zn_stmt_column_text(q, 2));
    const char *tzh = zn_stmt_column_text(q, 8);
    snprintf(r->title_zh, sizeof r->title_zh, "%s", tzh ? tzh : "");
    snprintf(r->from, sizeof r->from, "%s", zn_stmt_column_text(q, 3));
    snprintf(r->to, sizeof r->to, "%s", zn_stmt_column_text(q, 4));
    snprintf(r->unit_kind, sizeof r->unit_kind, "%s", zn_stmt_column_text(q, 5));
    r->units = zn_stmt_column_int64(q, 7);
    json_error_t je;
    json_t *lv = json_loads(zn_stmt_column_text(q, 6), 0, &je);
    size_t i;
    json_t *l;
    json_array_foreach(lv, i, l)
    {
        if (r->nlevels >= ZN_ZONE_MAX_LEVELS)
            break;
        const char *n = json_string_value(json_array_get(l, 0)), *zh = json_string_value(json_array_get(l, 1));
        snprintf(r->level[r->nlevels], sizeof r->level[0], "%s", n ? n : "");
        snprintf(r->level_zh[r->nlevels], sizeof r->level_zh[0], "%s", zh ? zh : "");
        r->nlevels++;
    }
    json_decref(lv);
    if (!r->nlevels)
        return zn_error_set(err, ZN_ESTORE, NULL, 0, "levels", "zone run %lld has no levels", (long long)r->id);
    return ZN_OK;
}

/* column 8: the rule set's Chinese title (zone_run.title_zh, migration 9) */
#define ZRUN_COLS                                                                                                     \
    "SELECT id, rules, COALESCE(title, ''), from_date, to_date, unit_kind, levels, units, title_zh FROM zone_run"
/* ZRUN_COLS and the run's area (column 9: zone_run.within_prefix, migration 8) */
#define ZRUN_COLS_WITHIN                                                                                              \
    "SELECT id, rules, COALESCE(title, ''), from_date, to_date, unit_kind, levels, units, title_zh, within_prefix"   \
    " FROM zone_run"

/* The id of the latest run of `rules` (NULL = any) whose area lies inside prefix `area` ("" = any
 * area), 0 when none. */
static zn_status zrun_inside(zn_store *st, const char *rules, const char *area, int64_t *id, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  "SELECT id FROM zone_run WHERE (?1 IS NULL OR rules = ?1)"
                                  " AND substr(within_prefix, 1, length(?2)) = ?2 ORDER BY id DESC LIMIT 1",
                                  &q, err);
    *id = 0;
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, rules);
    zn_stmt_bind_text(q, 2, area);
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        *id = zn_stmt_column_int64(q, 0);
    zn_stmt_finalize(q);
    return s;
}

zn_status zn__q_zone_run(zn_store *st, const char *rules, const char *area, zn__zrun *out, zn_error *err)
{
    char prefix[13] = "";
    zn_status s;
    if (area && strlen(area) == 12) {
        if ((s = zn_scope_prefix(area, prefix, err)) != ZN_OK)
            return s;
    } else {
        snprintf(prefix, sizeof prefix, "%s", area ? area : "");
    }
    if (strspn(prefix, "0123456789") != strlen(prefix) || strlen(prefix) == 1)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "area", "'%s' is not a division code or prefix", area);
    /* the latest run covering the area ("000000": the runs without area cover the country) */
    zn_zone_run_info ri;
    zn_error nf;
    int64_t id = 0;
    s = zn_zone_run_find(st, rules, *prefix ? prefix : "000000", &ri, &nf);
    if (s == ZN_OK)
        id = ri.id;
    else if (s != ZN_ENOTFOUND) {
        if (err)
            *err = nf;
        return s;
    } else if ((s = zrun_inside(st, rules, prefix, &id, err)) != ZN_OK) /* else the latest inside it */
        return s;
    if (!id) {
        if (*prefix && err)
            *err = nf;
        else if (!*prefix)
            return rules ? zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "rules", "no stored zone run of rules '%s'", rules)
                         : zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "rules", "no stored zone run (zhinao zones run)");
        return ZN_ENOTFOUND;
    }
    zn_stmt *q;
    if ((s = zn_stmt_prepare(st, ZRUN_COLS " WHERE id = ?1", &q, err)) != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, id);
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK)
        s = row ? zrun_fill(q, out, err) : zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "rules", "zone run %lld is gone",
                                                         (long long)id);
    zn_stmt_finalize(q);
    return s;
}

json_t *zn__zrun_levels(const zn__zrun *r)
{
    json_t *a = json_array();
    for (int i = 0; i < r->nlevels; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "name", r->level[i], "zh", r->level_zh[i]));
    return a;
}

zn_status zn__q_zone_runs(zn_store *st, json_t *rows, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, ZRUN_COLS_WITHIN " ORDER BY rules, id", &q, err);
    int row = 0;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        zn__zrun r;
        if ((s = zrun_fill(q, &r, err)) != ZN_OK)
            break;
        const char *within = zn_stmt_column_text(q, 9);
        json_array_append_new(rows, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "id",
                                              (json_int_t)r.id, "rules", r.rules, "within", within ? within : "",
                                              "title", r.title, "title_zh", r.title_zh, "from", r.from, "to", r.to,
                                              "unit_kind", r.unit_kind, "levels", zn__zrun_levels(&r), "units",
                                              (json_int_t)r.units));
    }
    zn_stmt_finalize(q);
    return s;
}

static int64_t dayno(const char *date)
{
    int64_t d = day_of(date);
    return d;
}

static void day_str(int64_t d, char out[11])
{
    int y, m, dd;
    zn_civil_from_days(d, &y, &m, &dd);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, dd);
}

zn_status zn__q_zone_days(zn_store *st, const char *scope, const char *area, const zn__zrun *r, const char *from,
                          const char *to, json_t *days, zn_error *err)
{
    int64_t f = dayno(r->from), t = dayno(r->to);
    if (from && dayno(from) > f)
        f = dayno(from);
    if (to && dayno(to) < t)
        t = dayno(to);
    if (f == INT64_MIN || t == INT64_MIN || t < f)
        return ZN_OK;
    size_t nd = (size_t)(t - f + 1), nl = (size_t)r->nlevels + 1; /* column nlevels = none */
    int64_t *units = calloc(nd * nl, sizeof *units), *pop = calloc(nd * nl, sizeof *pop);
    unsigned char *known = calloc(nd, 1);
    if (!units || !pop || !known) {
        free(units);
        free(pop);
        free(known);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    zn_stmt *q;
    int row = 0;
    char fs[11], ts[11];
    day_str(f, fs);
    day_str(t, ts);
    zn_status s = ZN_OK;
    int whole = !*scope && !*area;
    if (!whole) { /* does the area hold every unit of the run's kind? */
        int64_t outside = 1;
        if ((s = zn_stmt_prepare(st, "SELECT EXISTS (SELECT 1 FROM zone_unit u WHERE u.kind = ?3 AND NOT (" ZU_IN "))",
                                 &q, err)) == ZN_OK) {
            zn_stmt_bind_text(q, 1, scope);
            zn_stmt_bind_text(q, 2, area);
            zn_stmt_bind_text(q, 3, r->unit_kind);
            if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
                outside = zn_stmt_column_int64(q, 0);
            zn_stmt_finalize(q);
        }
        whole = s == ZN_OK && !outside;
    }
    if (s == ZN_OK && whole) { /* the whole run: its stored daily counts */
        s = zn_stmt_prepare(st,
                            "SELECT date, known, level_rank, units, population FROM zone_day WHERE run_id = ?1"
                            " AND date >= ?2 AND date <= ?3",
                            &q, err);
        if (s == ZN_OK) {
            zn_stmt_bind_int64(q, 1, r->id);
            zn_stmt_bind_text(q, 2, fs);
            zn_stmt_bind_text(q, 3, ts);
            while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
                int64_t d = dayno(zn_stmt_column_text(q, 0)), l = zn_stmt_column_int64(q, 2);
                if (d < f || d > t || l < 0 || l >= (int64_t)nl)
                    continue;
                known[d - f] = zn_stmt_column_int64(q, 1) != 0;
                units[(size_t)(d - f) * nl + (size_t)l] = zn_stmt_column_int64(q, 3);
                pop[(size_t)(d - f) * nl + (size_t)l] = zn_stmt_column_int64(q, 4);
            }
            zn_stmt_finalize(q);
        }
    } else if (s == ZN_OK) { /* units of the area: count the periods (difference arrays per level) */
        s = zn_stmt_prepare(st, "SELECT date, known FROM zone_day WHERE run_id = ?1 AND level_rank = 0"
                                " AND date >= ?2 AND date <= ?3",
                            &q, err);
        if (s == ZN_OK) {
            zn_stmt_bind_int64(q, 1, r->id);
            zn_stmt_bind_text(q, 2, fs);
            zn_stmt_bind_text(q, 3, ts);
            while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
                int64_t d = dayno(zn_stmt_column_text(q, 0));
                if (d >= f && d <= t)
                    known[d - f] = zn_stmt_column_int64(q, 1) != 0;
            }
            zn_stmt_finalize(q);
        }
        if (s == ZN_OK)
            s = zn_stmt_prepare(st,
                                "SELECT p.level_rank, p.valid_from, p.valid_to, u.population FROM zone_unit u"
                                " CROSS JOIN zone_period p ON p.run_id = ?3 AND p.unit_id = u.id WHERE"
                                " p.valid_from <= ?5 AND p.valid_to >= ?4 AND" ZU_IN,
                                &q, err);
        if (s == ZN_OK) {
            zn_stmt_bind_text(q, 1, scope);
            zn_stmt_bind_text(q, 2, area);
            zn_stmt_bind_int64(q, 3, r->id);
            zn_stmt_bind_text(q, 4, fs);
            zn_stmt_bind_text(q, 5, ts);
            /* +1 at the first day, -1 after the last: running sums give the counts */
            while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
                int64_t l = zn_stmt_column_int64(q, 0), a = dayno(zn_stmt_column_text(q, 1)),
                        b = dayno(zn_stmt_column_text(q, 2));
                int64_t p = zn_stmt_column_is_null(q, 3) ? -1 : zn_stmt_column_int64(q, 3);
                if (l < 0 || l >= (int64_t)nl || a == INT64_MIN || b == INT64_MIN)
                    continue;
                if (a < f)
                    a = f;
                if (b > t)
                    b = t;
                if (a > b)
                    continue;
                units[(size_t)(a - f) * nl + (size_t)l]++;
                if (p >= 0)
                    pop[(size_t)(a - f) * nl + (size_t)l] += p;
                if (b < t) {
                    units[(size_t)(b + 1 - f) * nl + (size_t)l]--;
                    if (p >= 0)
                        pop[(size_t)(b + 1 - f) * nl + (size_t)l] -= p;
                }
            }
            zn_stmt_finalize(q);
            for (size_t d = 1; d < nd; d++)
                for (size_t l = 0; l < nl; l++) {
                    units[d * nl + l] += units[(d - 1) * nl + l];
                    pop[d * nl + l] += pop[(d - 1) * nl + l];
                }
        }
    }
    for (size_t d = 0; s == ZN_OK && d < nd; d++) {
        char ds[11];
        day_str(f + (int64_t)d, ds);
        json_t *cnt = json_object(), *pp = json_object();
        for (int l = 0; l < r->nlevels; l++) {
            json_object_set_new(cnt, r->level[l], json_integer(units[d * nl + (size_t)l]));
            json_object_set_new(pp, r->level[l], json_integer(pop[d * nl + (size_t)l]));
        }
        json_array_append_new(days, json_pack("{s:s, s:b, s:o, s:I, s:o}", "date", ds, "known", known[d], "counts",
                                              cnt, "none", (json_int_t)units[d * nl + (size_t)r->nlevels],
                                              "population", pp));
    }
    free(units);
    free(pop);
    free(known);
    return s;
}

zn_status zn__q_zone_features(zn_store *st, const char *scope, const char *area, const zn__zrun *r, const char *day,
                              int rank, zn_buf *out, int64_t *counts, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(
        st,
        "SELECT u.key, u.name, p.level_rank, p.entered, COALESCE(p.due, ''), p.cause, COALESCE(u.county_code, ''),"
        " COALESCE(u.township_code, ''), u.lon, u.lat, u.geojson, u.population FROM zone_unit u"
        " CROSS JOIN zone_period p ON p.run_id = ?3 AND p.unit_id = u.id WHERE p.valid_from <= ?4 AND p.valid_to >= ?4"
        " AND p.level_rank < ?5 AND (?6 < 0 OR p.level_rank = ?6) AND" ZU_IN " ORDER BY p.level_rank, u.key",
        &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, scope);
    zn_stmt_bind_text(q, 2, area);
    zn_stmt_bind_int64(q, 3, r->id);
    zn_stmt_bind_text(q, 4, day);
    zn_stmt_bind_int64(q, 5, r->nlevels);
    zn_stmt_bind_int64(q, 6, rank);
    int row = 0, first = 1;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        int l = (int)zn_stmt_column_int64(q, 2);
        if (l < 0 || l >= r->nlevels)
            continue;
        counts[l]++;
        zn_buf_puts(out, first ? "\n{\"type\":\"Feature\",\"geometry\":" : ",\n{\"type\":\"Feature\",\"geometry\":");
        first = 0;
        const char *g = zn_stmt_column_text(q, 10);
        while (*g == ' ' || *g == '\n' || *g == '\t' || *g == '\r')
            g++;
        if (*g == '{')
            zn_buf_puts(out, g); /* the stored polygon (GeoJSON geometry, WGS-84) */
        else if (!zn_stmt_column_is_null(q, 8) && !zn_stmt_column_is_null(q, 9))
            zn_buf_printf(out, "{\"type\":\"Point\",\"coordinates\":[%.7f,%.7f]}", zn_stmt_column_double(q, 8),
                          zn_stmt_column_double(q, 9));
        else
            zn_buf_puts(out, "null");
        zn_buf_puts(out, ",\"properties\":{\"unit\":");
        zn__json_str(out, zn_stmt_column_text(q, 0));
        zn_buf_puts(out, ",\"name\":");
        zn__json_str(out, zn_stmt_column_text(q, 1));
        zn_buf_puts(out, ",\"level\":");
        zn__json_str(out, r->level[l]);
        zn_buf_puts(out, ",\"level_zh\":");
        zn__json_str(out, r->level_zh[l]);
        zn_buf_printf(out, ",\"rank\":%d,\"entered\":", l);
        zn__json_str(out, zn_stmt_column_text(q, 3));
        zn_buf_puts(out, ",\"due\":");
        if (*zn_stmt_column_text(q, 4))
            zn__json_str(out, zn_stmt_column_text(q, 4));
        else
            zn_buf_puts(out, "null");
        zn_buf_puts(out, ",\"cause\":");
        zn__json_str(out, zn_stmt_column_text(q, 5));
        zn_buf_puts(out, ",\"county\":");
        zn__json_str(out, zn_stmt_column_text(q, 6));
        zn_buf_puts(out, ",\"township\":");
        zn__json_str(out, zn_stmt_column_text(q, 7));
        if (zn_stmt_column_is_null(q, 11))
            zn_buf_puts(out, ",\"population\":null}}");
        else
            zn_buf_printf(out, ",\"population\":%lld}}", (long long)zn_stmt_column_int64(q, 11));
    }
    zn_stmt_finalize(q);
    return s;
}

/* -------- contacts -------- */

/*
 * CTE `res(pid, div)`: a person's residence division, from the population registry (by resident
 * ID, then by mobile: the first registry row with a division) and, for persons the registry does
 * not list, from the case reports (index cases). Persons in none of them have no row.
 * The mapping is kept in a TEMP table of the connection (primary key pid), rebuilt when the newest
 * row id of either feed changes. (The feed catalogue now declares indexes on the registry's mobile
 * and the case reports' resident_id and mobile, so correlated lookups could replace it; the TEMP
 * table stays while stores loaded before those indexes may be served.)
 */
static zn_status res_cte(zn_store *st, zn_buf *b, zn_error *err)
{
    int reg = 0, rep = 0;
    zn_status s = zn_store_table_exists(st, "feed_population_registry", &reg, err);
    if (s == ZN_OK)
        s = zn_store_table_exists(st, "feed_case_report", &rep, err);
    if (s != ZN_OK)
        return s;
    int64_t mreg = 0, mrep = 0, have = -1;
    if (reg)
        s = zn_store_query_int64(st, "SELECT COALESCE(MAX(_id), 0) FROM feed_population_registry", &mreg, err);
    if (s == ZN_OK && rep)
        s = zn_store_query_int64(st, "SELECT COALESCE(MAX(_id), 0) FROM feed_case_report", &mrep, err);
    if (s == ZN_OK)
        s = zn_store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS zn_res_key (k TEXT NOT NULL)", err);
    char key[96];
    snprintf(key, sizeof key, "%d:%lld:%d:%lld", reg, (long long)mreg, rep, (long long)mrep);
    zn_stmt *q;
    if (s == ZN_OK && (s = zn_stmt_prepare(st, "SELECT COUNT(*) FROM temp.zn_res_key WHERE k = ?1", &q, err)) == ZN_OK) {
        zn_stmt_bind_text(q, 1, key);
        int row = 0;
        if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
            have = zn_stmt_column_int64(q, 0);
        zn_stmt_finalize(q);
    }
    if (s == ZN_OK && have != 1) {
        zn_buf sql = {0};
        zn_buf_puts(&sql, "DELETE FROM temp.zn_res_key; DROP TABLE IF EXISTS temp.zn_res;"
                          " CREATE TEMP TABLE zn_res (pid TEXT PRIMARY KEY, div TEXT NOT NULL) WITHOUT ROWID;"
                          " INSERT OR IGNORE INTO temp.zn_res SELECT pid, div FROM (SELECT NULL AS pid, NULL AS div,"
                          " 0 AS pr WHERE 0");
        if (reg)
            zn_buf_puts(&sql, " UNION ALL SELECT resident_id, residence_division, _id FROM feed_population_registry"
                              " WHERE resident_id <> '' AND residence_division <> ''"
                              " UNION ALL SELECT mobile, residence_division, 1000000000000 + _id FROM"
                              " feed_population_registry WHERE mobile <> '' AND residence_division <> ''");
        if (rep)
            zn_buf_puts(&sql, " UNION ALL SELECT resident_id, residence_division, 2000000000000 + _id FROM"
                              " feed_case_report WHERE resident_id <> '' AND residence_division <> ''"
                              " UNION ALL SELECT mobile, residence_division, 3000000000000 + _id FROM feed_case_report"
                              " WHERE mobile <> '' AND residence_division <> ''");
        zn_buf_puts(&sql, ") ORDER BY pr;"); /* the first row of a person wins (INSERT OR IGNORE) */
        s = sql.data ? zn_store_exec(st, sql.data, err) : zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        zn_buf_fini(&sql);
        if (s == ZN_OK && (s = zn_stmt_prepare(st, "INSERT INTO temp.zn_res_key (k) VALUES (?1)", &q, err)) == ZN_OK) {
            zn_stmt_bind_text(q, 1, key);
            s = zn_stmt_step(q, NULL, err);
            zn_stmt_finalize(q);
        }
    }
    if (s == ZN_OK)
        zn_buf_puts(b, "res(pid, div) AS (SELECT pid, div FROM temp.zn_res)");
    return s;
}

/* For the contact X of the run whose id is parameter ?3: when its first quarantine task was issued
 * (TASK_ISSUED) and when one first became verified or closed, if one is so now (TASK_CONTROLLED);
 * NULL when none. The tasks are the originals (not transfer copies) of the instructions linked to
 * trace_run ?3 by zhinao tasks from-trace, with the contact as subject (index loop_task_subject). */
#define RUN_TASK(X)                                                                                                   \
    " t.subject_kind = 'contact' AND t.subject_ref = " X " AND t.parent_id IS NULL AND t.instruction_id IN"          \
    " (SELECT l.instruction_id FROM loop_instruction_link l WHERE l.kind = 'trace_run' AND l.ref = CAST(?3 AS TEXT))"
#define TASK_ISSUED(X) "(SELECT MIN(t.created_at) FROM loop_task t WHERE" RUN_TASK(X) ")"
#define TASK_CONTROLLED(X)                                                                                            \
    "(SELECT MIN(tr.at) FROM loop_task t JOIN loop_transition tr ON tr.task_id = t.id AND tr.to_state IN"            \
    " ('verified', 'closed') WHERE t.state IN ('verified', 'closed') AND" RUN_TASK(X) ")"

/* person's division (alias X) inside scope ?1 and area ?2 */
#define IN_AREA(X)                                                                                                    \
    " substr(COALESCE(" X ".div, ''), 1, length(?1)) = ?1 AND substr(COALESCE(" X ".div, ''), 1, length(?2)) = ?2"

zn_status zn__q_trace_run(zn_store *st, int64_t id, json_t **run, int64_t *run_id, zn_error *err)
{
    *run = NULL;
    *run_id = 0;
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  "SELECT id, plan, COALESCE(label, ''), started_at, COALESCE(finished_at, 0),"
                                  " index_cases, close_distinct, secondary_contacts, companions FROM trace_run"
                                  " WHERE ?1 = 0 OR id = ?1 ORDER BY id DESC LIMIT 1",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, id);
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK) {
        if (row) {
            *run_id = zn_stmt_column_int64(q, 0);
            *run = json_pack("{s:I, s:s, s:s, s:I, s:I}", "id", (json_int_t)*run_id, "plan", zn_stmt_column_text(q, 1),
                             "label", zn_stmt_column_text(q, 2), "started_at", (json_int_t)zn_stmt_column_int64(q, 3),
                             "finished_at", (json_int_t)zn_stmt_column_int64(q, 4));
        } else {
            s = id ? zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "run", "no trace run %lld", (long long)id)
                   : zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "run", "no trace run stored (zhinao trace --db)");
        }
    }
    zn_stmt_finalize(q);
    return s;
}

/* Prepare "WITH <res> <extra> <sql>". */
static zn_status prep_with(zn_store *st, const char *extra, const char *sql, zn_stmt **q, zn_error *err)
{
    zn_buf b = {0};
    zn_buf_puts(&b, "WITH ");
    zn_status s = res_cte(st, &b, err);
    if (s == ZN_OK) {
        zn_buf_puts(&b, extra ? extra : "");
        zn_buf_puts(&b, " ");
        if (zn_buf_puts(&b, sql) != ZN_OK)
            s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    if (s == ZN_OK)
        s = zn_stmt_prepare(st, b.data, q, err);
    zn_buf_fini(&b);
    return s;
}

static void bind_sar(zn_stmt *q, const char *scope, const char *area, int64_t run_id)
{
    zn_stmt_bind_text(q, 1, scope);
    zn_stmt_bind_text(q, 2, area);
    zn_stmt_bind_int64(q, 3, run_id);
}

zn_status zn__q_contacts(zn_store *st, const char *scope, const char *area, int64_t run_id, int64_t limit,
                         int64_t offset, json_t *rows, int64_t *total, zn_error *err)
{
    *total = 0;
    zn_stmt *q;
    zn_status s = prep_with(st, NULL,
                            "SELECT COUNT(*) FROM close_contact cc LEFT JOIN res r ON r.pid = cc.contact"
                            " WHERE cc.run_id = ?3 AND" IN_AREA("r"),
                            &q, err);
    int row = 0;
    if (s == ZN_OK) {
        bind_sar(q, scope, area, run_id);
        if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
            *total = zn_stmt_column_int64(q, 0);
        zn_stmt_finalize(q);
    }
    if (s == ZN_OK)
        s = prep_with(st, NULL,
                      "SELECT cc.rowid, cc.index_case, cc.contact, cc.exposure_class, cc.place, cc.first_exposure,"
                      " cc.last_exposure, cc.overlap_seconds, COALESCE(r.div, ''), " TASK_CONTROLLED("cc.contact")
                      " IS NOT NULL FROM close_contact cc LEFT JOIN res r ON r.pid = cc.contact"
                      " WHERE cc.run_id = ?3 AND" IN_AREA("r") " ORDER BY cc.rowid LIMIT ?4 OFFSET ?5",
                      &q, err);
    if (s != ZN_OK)
        return s;
    bind_sar(q, scope, area, run_id);
    zn_stmt_bind_int64(q, 4, limit);
    zn_stmt_bind_int64(q, 5, offset);
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        json_array_append_new(
            rows, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:b}", "_rowid",
                            (json_int_t)zn_stmt_column_int64(q, 0), "index_case", zn_stmt_column_text(q, 1), "contact",
                            zn_stmt_column_text(q, 2), "class", zn_stmt_column_text(q, 3), "place",
                            zn_stmt_column_text(q, 4), "first_exposure", (json_int_t)zn_stmt_column_int64(q, 5),
                            "last_exposure", (json_int_t)zn_stmt_column_int64(q, 6), "overlap_seconds",
                            (json_int_t)zn_stmt_column_int64(q, 7), "area", zn_stmt_column_text(q, 8), "controlled",
                            (int)zn_stmt_column_int64(q, 9)));
    zn_stmt_finalize(q);
    return s;
}

static int64_t local_day(int64_t t, int64_t tz)
{
    int64_t x = t + tz;
    return x >= 0 ? x / 86400 : -((-x + 86399) / 86400);
}

zn_status zn__q_contacts_summary(zn_store *st, const char *scope, const char *area, int64_t run_id, int64_t found_at,
                                 int64_t tz, json_t *out, zn_error *err)
{
    zn_stmt *q;
    zn_status s = prep_with(st, NULL,
                            "SELECT " TASK_ISSUED("x.contact") ", " TASK_CONTROLLED("x.contact")
                            " FROM (SELECT DISTINCT contact FROM close_contact WHERE run_id = ?3) x"
                            " LEFT JOIN res r ON r.pid = x.contact WHERE" IN_AREA("r"),
                            &q, err);
    if (s != ZN_OK)
        return s;
    bind_sar(q, scope, area, run_id);
    int64_t found = 0, controlled = 0, lo = INT64_MAX, hi = INT64_MIN, first_task = INT64_MAX;
    int64_t *fd = NULL, *cd = NULL; /* (day) pairs, grown */
    size_t n = 0, cap = 0;
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            int64_t *a = realloc(fd, cap * sizeof *a), *b2 = a ? realloc(cd, cap * sizeof *b2) : NULL;
            if (a)
                fd = a;
            if (b2)
                cd = b2;
            if (!a || !b2) {
                s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
        }
        found++;
        fd[n] = zn_stmt_column_is_null(q, 0) ? INT64_MIN : local_day(zn_stmt_column_int64(q, 0), tz);
        cd[n] = zn_stmt_column_is_null(q, 1) ? INT64_MIN : local_day(zn_stmt_column_int64(q, 1), tz);
        if (cd[n] != INT64_MIN)
            controlled++;
        if (fd[n] != INT64_MIN && fd[n] < first_task)
            first_task = fd[n];
        n++;
    }
    zn_stmt_finalize(q);
    /* a contact without a task (not routed) counts as found with the first task of the area, or on
     * the run's day when there is none */
    for (size_t i = 0; i < n; i++) {
        if (fd[i] == INT64_MIN)
            fd[i] = first_task != INT64_MAX ? first_task : local_day(found_at, tz);
        for (int k = 0; k < 2; k++) {
            int64_t d = k ? cd[i] : fd[i];
            if (d == INT64_MIN)
                continue;
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
    }
    json_t *by = json_array();
    if (s == ZN_OK && n > 0 && hi - lo < 100000) {
        size_t nd = (size_t)(hi - lo + 1);
        int64_t *fc = calloc(nd, sizeof *fc), *cc = calloc(nd, sizeof *cc);
        if (!fc || !cc)
            s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        for (size_t i = 0; s == ZN_OK && i < n; i++) {
            fc[fd[i] - lo]++;
            if (cd[i] != INT64_MIN)
                cc[cd[i] - lo]++;
        }
        for (size_t d = 0; s == ZN_OK && d < nd; d++) {
            char ds[11];
            day_str(lo + (int64_t)d, ds);
            json_array_append_new(by, json_pack("{s:s, s:I, s:I}", "date", ds, "found", (json_int_t)fc[d], "controlled",
                                                (json_int_t)cc[d]));
        }
        free(fc);
        free(cc);
    }
    free(fd);
    free(cd);
    int64_t sec = 0, comp = 0;
    static const char *const other[] = {
        "SELECT COUNT(DISTINCT x.contact) FROM secondary_contact x LEFT JOIN res r ON r.pid = x.contact"
        " WHERE x.run_id = ?3 AND" IN_AREA("r"),
        "SELECT COUNT(DISTINCT x.contact) FROM companion x LEFT JOIN res r ON r.pid = x.contact"
        " WHERE x.run_id = ?3 AND" IN_AREA("r")};
    for (int k = 0; s == ZN_OK && k < 2; k++) {
        if ((s = prep_with(st, NULL, other[k], &q, err)) != ZN_OK)
            break;
        bind_sar(q, scope, area, run_id);
        if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
            *(k ? &comp : &sec) = zn_stmt_column_int64(q, 0);
        zn_stmt_finalize(q);
    }
    if (s != ZN_OK) {
        json_decref(by);
        return s;
    }
    json_object_set_new(out, "found", json_integer(found));
    json_object_set_new(out, "controlled", json_integer(controlled));
    json_object_set_new(out, "secondary", json_integer(sec));
    json_object_set_new(out, "companions", json_integer(comp));
    json_object_set_new(out, "by_day", by);
    return ZN_OK;
}

zn_status zn__q_contact_edges(zn_store *st, const char *scope, const char *area, int64_t run_id, zn__edge_fn fn,
                              void *user, zn_error *err)
{
    static const char *const sql[] = {
        "SELECT x.rowid, x.index_case, COALESCE(a.div, ''), (a.div IS NOT NULL AND" IN_AREA("a") "), x.contact,"
        " COALESCE(b.div, ''), (b.div IS NOT NULL AND" IN_AREA("b") "), x.exposure_class FROM close_contact x"
        " LEFT JOIN res a ON a.pid = x.index_case LEFT JOIN res b ON b.pid = x.contact WHERE x.run_id = ?3"
        " AND ((" IN_AREA("a") ") OR (" IN_AREA("b") ")) ORDER BY x.rowid",
        "SELECT x.rowid, x.close_contact, COALESCE(a.div, ''), (a.div IS NOT NULL AND" IN_AREA("a") "), x.contact,"
        " COALESCE(b.div, ''), (b.div IS NOT NULL AND" IN_AREA("b") "), 'secondary_' || x.exposure_class"
        " FROM secondary_contact x LEFT JOIN res a ON a.pid = x.close_contact LEFT JOIN res b ON b.pid = x.contact"
        " WHERE x.run_id = ?3 AND ((" IN_AREA("a") ") OR (" IN_AREA("b") ")) ORDER BY x.rowid"};
    static const char *const table[] = {"close_contact", "secondary_contact"};
    zn_status s = ZN_OK;
    int stop = 0;
    for (int k = 0; s == ZN_OK && !stop && k < 2; k++) {
        zn_stmt *q;
        if ((s = prep_with(st, NULL, sql[k], &q, err)) != ZN_OK)
            break;
        bind_sar(q, scope, area, run_id);
        int row = 0;
        while (!stop && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
            /* a person without a known residence is in the area only for a country-wide caller */
            int ain = (int)zn_stmt_column_int64(q, 3) || (!*scope && !*area);
            int bin = (int)zn_stmt_column_int64(q, 6) || (!*scope && !*area);
            stop = fn(user, table[k], zn_stmt_column_int64(q, 0), zn_stmt_column_text(q, 1), zn_stmt_column_text(q, 2),
                      ain, zn_stmt_column_text(q, 4), zn_stmt_column_text(q, 5), bin, zn_stmt_column_text(q, 7));
        }
        zn_stmt_finalize(q);
    }
    return s;
}

zn_status zn__q_person_residence(zn_store *st, const char *person, char div[16], int *known, zn_error *err)
{
    div[0] = 0;
    *known = 0;
    zn_stmt *q;
    zn_status s = prep_with(st, NULL, "SELECT div FROM res WHERE pid = ?1", &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, person);
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        *known = 1;
        snprintf(div, 16, "%s", zn_stmt_column_text(q, 0));
    }
    zn_stmt_finalize(q);
    return s;
}

zn_status zn__q_person_exposures(zn_store *st, int64_t run_id, const char *person, int *role, int64_t *times,
                                 size_t max, size_t *n, char object[64], zn_error *err)
{
    static const char *const sql[] = {
        "SELECT rowid, last_exposure FROM close_contact WHERE run_id = ?1 AND contact = ?2 ORDER BY rowid",
        "SELECT rowid, first_exposure FROM secondary_contact WHERE run_id = ?1 AND contact = ?2 ORDER BY rowid"};
    *role = 0;
    *n = 0;
    object[0] = 0;
    zn_status s = ZN_OK;
    for (int k = 0; s == ZN_OK && k < 2 && *n == 0; k++) {
        zn_stmt *q;
        if ((s = zn_stmt_prepare(st, sql[k], &q, err)) != ZN_OK)
            break;
        zn_stmt_bind_int64(q, 1, run_id);
        zn_stmt_bind_text(q, 2, person);
        int row = 0;
        while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
            if (*n < max)
                times[(*n)++] = zn_stmt_column_int64(q, 1);
            *role = k + 1;
            snprintf(object, 64, "%s#%lld", k ? "secondary_contact" : "close_contact",
                     (long long)zn_stmt_column_int64(q, 0));
        }
        zn_stmt_finalize(q);
    }
    return s;
}
