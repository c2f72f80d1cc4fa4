/*
 * The working-day calendar: China's public holidays and adjusted working days (调休) as data.
 * Source of the shipped file: the State Council General Office's annual notices
 * (国务院办公厅关于20XX年部分节假日安排的通知), see data/calendar/PROVENANCE.md.
 */
#include "loop_int.h"
#include "zhinao/time.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DAY_WEEK = 0, DAY_HOLIDAY = 1, DAY_WORKDAY = 2 };

struct zn_calendar {
    int64_t first_day; /* local day number of kinds[0] */
    size_t ndays;
    unsigned char *kinds; /* DAY_* per day from first_day */
    int first_year, last_year;
};

/* Day of the week of day number d: 0 Sunday .. 6 Saturday (1970-01-01 was a Thursday). */
static int weekday(int64_t d)
{
    int64_t w = (d + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

int zn_calendar_is_workday(const zn_calendar *cal, int64_t day)
{
    if (cal && day >= cal->first_day && day < cal->first_day + (int64_t)cal->ndays) {
        unsigned char k = cal->kinds[day - cal->first_day];
        if (k != DAY_WEEK)
            return k == DAY_WORKDAY;
    }
    int w = weekday(day);
    return w >= 1 && w <= 5;
}

void zn_calendar_years(const zn_calendar *cal, int *first, int *last)
{
    *first = cal ? cal->first_year : 0;
    *last = cal ? cal->last_year : 0;
}

void zn_calendar_free(zn_calendar *cal)
{
    if (!cal)
        return;
    free(cal->kinds);
    free(cal);
}

/* ---- CSV reading ---- */

typedef struct row {
    int64_t day;
    int kind;
    int notice_year; /* year named in the notice column, else the date's year */
} row;

typedef struct reader {
    const char *path;
    long line;
    int col;
    int header_done;
    int c_date, c_kind, c_notice, ncols;
    char fields[8][128];
    row *rows;
    size_t nrows, cap;
    zn_status status;
    zn_error *err;
} reader;

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->col < 8) {
        size_t n = len < 127 ? len : 127;
        memcpy(r->fields[r->col], s, n);
        r->fields[r->col][n] = '\0';
    }
    r->col++;
}

static int parse_date(const char *s, int64_t *day, int *year)
{
    int y, m, d;
    char tail;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen(s) != 10)
        return 0;
    if (m < 1 || m > 12 || d < 1 || d > zn_days_in_month(y, m))
        return 0;
    *day = zn_days_from_civil(y, m, d);
    *year = y;
    return 1;
}

static void on_row(int c, void *data)
{
    (void)c;
    reader *r = data;
    int ncol = r->col;
    r->col = 0;
    r->line++;
    if (r->status != ZN_OK)
        return;
    if (!r->header_done) {
        r->c_date = r->c_kind = r->c_notice = -1;
        for (int i = 0; i < ncol && i < 8; i++) {
            if (!strcmp(r->fields[i], "date")) r->c_date = i;
            else if (!strcmp(r->fields[i], "kind")) r->c_kind = i;
            else if (!strcmp(r->fields[i], "notice")) r->c_notice = i;
        }
        r->ncols = ncol;
        if (r->c_date < 0 || r->c_kind < 0)
            r->status = zn_error_set(r->err, ZN_EPARSE, r->path, r->line, r->c_date < 0 ? "date" : "kind",
                                     "calendar header must name columns date and kind");
        r->header_done = 1;
        return;
    }
    if (ncol == 1 && r->fields[0][0] == '\0')
        return; /* blank line */
    if (ncol <= r->c_date || ncol <= r->c_kind) {
        r->status = zn_error_set(r->err, ZN_EPARSE, r->path, r->line, NULL, "%d fields, expected %d", ncol, r->ncols);
        return;
    }
    row x;
    int year;
    if (!parse_date(r->fields[r->c_date], &x.day, &year)) {
        r->status = zn_error_set(r->err, ZN_EPARSE, r->path, r->line, "date", "'%s' is not a date YYYY-MM-DD",
                                 r->fields[r->c_date]);
        return;
    }
    const char *k = r->fields[r->c_kind];
    if (!strcmp(k, "holiday"))
        x.kind = DAY_HOLIDAY;
    else if (!strcmp(k, "workday"))
        x.kind = DAY_WORKDAY;
    else {
        r->status = zn_error_set(r->err, ZN_EPARSE, r->path, r->line, "kind", "kind '%s': expected holiday or workday", k);
        return;
    }
    if (x.kind == DAY_WORKDAY && weekday(x.day) >= 1 && weekday(x.day) <= 5) {
        r->status = zn_error_set(r->err, ZN_EVALIDATE, r->path, r->line, "kind",
                                 "%s is a weekday: an adjusted working day (调休) is a Saturday or Sunday",
                                 r->fields[r->c_date]);
        return;
    }
    /* The year a row belongs to: the notice's year when the row is e.g. 2022-12-31 of the 2023
     * New Year holiday. Taken from the date otherwise. */
    x.notice_year = year;
    if (r->c_notice >= 0 && r->c_notice < ncol) {
        const char *p = strstr(r->fields[r->c_notice], "〔");
        int ny = 0;
        if (p && sscanf(p + strlen("〔"), "%4d", &ny) == 1 && ny >= year - 1 && ny <= year)
            x.notice_year = ny + 1; /* 国办发明电〔2023〕7号 is the notice for 2024 */
    }
    if (r->nrows == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 512;
        row *nr = realloc(r->rows, nc * sizeof *nr);
        if (!nr) {
            r->status = zn_error_set(r->err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            return;
        }
        r->rows = nr;
        r->cap = nc;
    }
    r->rows[r->nrows++] = x;
}

zn_status zn_calendar_load(const char *path, zn_calendar **out, zn_error *err)
{
    if (!path || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_calendar_load: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot open calendar");
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(f);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    reader r = {.path = path, .status = ZN_OK, .err = err};
    char buf[8192];
    size_t got;
    while (r.status == ZN_OK && (got = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, got, on_field, on_row, &r) != got && r.status == ZN_OK)
            r.status = zn_error_set(err, ZN_EPARSE, path, r.line + 1, NULL, "%s", csv_strerror(csv_error(&p)));
    if (r.status == ZN_OK && ferror(f))
        r.status = zn_error_set(err, ZN_EIO, path, 0, NULL, "read error");
    if (r.status == ZN_OK && csv_fini(&p, on_field, on_row, &r) != 0 && r.status == ZN_OK)
        r.status = zn_error_set(err, ZN_EPARSE, path, r.line + 1, NULL, "%s", csv_strerror(csv_error(&p)));
    csv_free(&p);
    fclose(f);
    if (r.status == ZN_OK && r.nrows == 0)
        r.status = zn_error_set(err, ZN_EPARSE, path, 0, NULL, "calendar has no rows");
    zn_calendar *cal = NULL;
    if (r.status == ZN_OK) {
        int64_t lo = r.rows[0].day, hi = r.rows[0].day;
        int ylo = r.rows[0].notice_year, yhi = ylo;
        for (size_t i = 1; i < r.nrows; i++) {
            if (r.rows[i].day < lo) lo = r.rows[i].day;
            if (r.rows[i].day > hi) hi = r.rows[i].day;
            if (r.rows[i].notice_year < ylo) ylo = r.rows[i].notice_year;
            if (r.rows[i].notice_year > yhi) yhi = r.rows[i].notice_year;
        }
        cal = calloc(1, sizeof *cal);
        if (cal)
            cal->kinds = calloc((size_t)(hi - lo + 1), 1);
        if (!cal || !cal->kinds) {
            zn_calendar_free(cal);
            cal = NULL;
            r.status = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        } else {
            cal->first_day = lo;
            cal->ndays = (size_t)(hi - lo + 1);
            cal->first_year = ylo;
            cal->last_year = yhi;
            for (size_t i = 0; i < r.nrows && r.status == ZN_OK; i++) {
                unsigned char *k = &cal->kinds[r.rows[i].day - lo];
                if (*k != DAY_WEEK) {
                    int y, m, d;
                    zn_civil_from_days(r.rows[i].day, &y, &m, &d);
                    r.status = zn_error_set(err, ZN_EVALIDATE, path, 0, "date", "%04d-%02d-%02d is listed twice", y, m, d);
                }
                *k = (unsigned char)r.rows[i].kind;
            }
            if (r.status != ZN_OK) {
                zn_calendar_free(cal);
                cal = NULL;
            }
        }
    }
    free(r.rows);
    if (r.status == ZN_OK)
        *out = cal;
    return r.status;
}
