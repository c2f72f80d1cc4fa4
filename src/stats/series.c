/* Count series from CSV files (libcsv): time column, value columns summed, optional groups,
 * filters and cumulative counts. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "stats/stats_int.h"
#include "zhinao/time.h"

/* ---- a whole CSV file as rows of strings ---- */

typedef struct table {
    size_t ncol;       /* header width */
    char **head;
    size_t nrow, cap;  /* data rows */
    char ***rows;      /* rows[r][c] (NULL for missing trailing cells) */
    long *line;        /* 1-based record number of each row (header = 1) */
    /* parse state */
    char **cur;
    size_t ncur, capcur;
    long rec;
    int oom;
} table;

static void field_cb(void *s, size_t len, void *data)
{
    table *t = data;
    if (t->oom)
        return;
    if (t->ncur == t->capcur) {
        size_t nc = t->capcur ? 2 * t->capcur : 16;
        char **p = realloc(t->cur, nc * sizeof *p);
        if (!p) {
            t->oom = 1;
            return;
        }
        t->cur = p;
        t->capcur = nc;
    }
    char *f = malloc(len + 1);
    if (!f) {
        t->oom = 1;
        return;
    }
    memcpy(f, s, len);
    f[len] = 0;
    t->cur[t->ncur++] = f;
}

static void free_cells(char **c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i]);
    free(c);
}

static void row_cb(int c, void *data)
{
    (void)c;
    table *t = data;
    t->rec++;
    if (t->oom) {
        free_cells(t->cur, t->ncur);
        t->cur = NULL;
        t->ncur = t->capcur = 0;
        return;
    }
    if (!t->head) {
        t->head = t->cur;
        t->ncol = t->ncur;
    } else {
        if (t->nrow == t->cap) {
            size_t nc = t->cap ? 2 * t->cap : 256;
            char ***p = realloc(t->rows, nc * sizeof *p);
            long *l = realloc(t->line, nc * sizeof *l);
            if (p)
                t->rows = p;
            if (l)
                t->line = l;
            if (!p || !l) {
                t->oom = 1;
                free_cells(t->cur, t->ncur);
                t->cur = NULL;
                t->ncur = t->capcur = 0;
                return;
            }
            t->cap = nc;
        }
        /* pad to the header width */
        if (t->ncur < t->ncol) {
            char **p = realloc(t->cur, t->ncol * sizeof *p);
            if (!p) {
                t->oom = 1;
                free_cells(t->cur, t->ncur);
                t->cur = NULL;
                t->ncur = t->capcur = 0;
                return;
            }
            t->cur = p;
            for (size_t i = t->ncur; i < t->ncol; i++)
                t->cur[i] = NULL;
        }
        t->rows[t->nrow] = t->cur;
        t->line[t->nrow] = t->rec;
        t->nrow++;
        size_t keep = t->ncur < t->ncol ? t->ncol : t->ncur;
        /* extra cells beyond the header are freed now */
        for (size_t i = t->ncol; i < keep; i++) {
            free(t->cur[i]);
            t->cur[i] = NULL;
        }
    }
    t->cur = NULL;
    t->ncur = t->capcur = 0;
}

static void table_free(table *t)
{
    if (t->head)
        free_cells(t->head, t->ncol);
    for (size_t r = 0; r < t->nrow; r++)
        free_cells(t->rows[r], t->ncol);
    free(t->rows);
    free(t->line);
    if (t->cur)
        free_cells(t->cur, t->ncur);
    memset(t, 0, sizeof *t);
}

static zn_status table_read(const char *path, table *t, zn_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot open: %s", strerror(errno));
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        fclose(fp);
        return zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "csv_init failed");
    }
    char buf[65536];
    size_t got;
    int first = 1;
    zn_status st = ZN_OK;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        char *b = buf;
        if (first && got >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB &&
            (unsigned char)b[2] == 0xBF) { /* UTF-8 BOM */
            b += 3;
            got -= 3;
        }
        first = 0;
        if (csv_parse(&p, b, got, field_cb, row_cb, t) != got) {
            st = zn_error_set(err, ZN_EPARSE, path, t->rec + 1, NULL, "CSV: %s", csv_strerror(csv_error(&p)));
            break;
        }
    }
    if (!st && ferror(fp))
        st = zn_error_set(err, ZN_EIO, path, 0, NULL, "read error");
    if (!st)
        csv_fini(&p, field_cb, row_cb, t);
    csv_free(&p);
    fclose(fp);
    if (!st && t->oom)
        st = zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "no memory");
    if (!st && !t->head)
        st = zn_error_set(err, ZN_EPARSE, path, 1, NULL, "empty file: a header row is needed");
    if (st)
        table_free(t);
    return st;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
}

static long find_col(const table *t, const char *name)
{
    for (size_t c = 0; c < t->ncol; c++)
        if (!strcmp(t->head[c], name))
            return (long)c;
    for (size_t c = 0; c < t->ncol; c++) /* then case-insensitively */
        if (!strcasecmp(t->head[c], name))
            return (long)c;
    return -1;
}

static long find_first(const table *t, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        long c = find_col(t, names[i]);
        if (c >= 0)
            return c;
    }
    return -1;
}

static const char *cell(const table *t, size_t r, long c)
{
    const char *v = t->rows[r][c];
    return v ? v : "";
}

/* A date in one of the accepted forms -> day number; 0 on success. */
static int parse_date(const char *s, int64_t *day)
{
    int y, m, d;
    char tail;
    if (sscanf(s, "%d-%d-%d%c", &y, &m, &d, &tail) == 3 || sscanf(s, "%d/%d/%d%c", &y, &m, &d, &tail) == 3) {
    } else if (strlen(s) == 8 && strspn(s, "0123456789") == 8) {
        long v = strtol(s, NULL, 10);
        y = (int)(v / 10000);
        m = (int)(v / 100 % 100);
        d = (int)(v % 100);
    } else {
        return -1;
    }
    if (m < 1 || m > 12 || d < 1 || d > zn_days_in_month(y, m))
        return -1;
    *day = zn_days_from_civil(y, m, d);
    return 0;
}

static int parse_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || errno)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return -1;
    *v = d;
    return 0;
}

void zn_series_free(zn_series *s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++) {
        free(s[i].group);
        free(s[i].value);
        if (s[i].label)
            for (size_t j = 0; j < s[i].n; j++)
                free(s[i].label[j]);
        free(s[i].label);
    }
    free(s);
}

typedef struct filt {
    long col;
    char *val;
} filt;

zn_status zn_series_read_csv(const char *path, const zn_series_spec *spec_in, zn_series **out, size_t *n_out,
                             zn_error *err)
{
    if (!path || !out || !n_out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    *n_out = 0;
    zn_series_spec spec = {0};
    if (spec_in)
        spec = *spec_in;
    table t;
    zn_status st = table_read(path, &t, err);
    if (st)
        return st;
    for (size_t c = 0; c < t.ncol; c++)
        trim(t.head[c]);
    static const char *const tnames[] = {"date", "dates", "day", "t", "time", "week", NULL};
    static const char *const vnames[] = {"I", "incidence", "cases", "count", "observed", "value", "n", NULL};
    long tcol = spec.time_col ? find_col(&t, spec.time_col) : find_first(&t, tnames);
    if (tcol < 0) {
        st = zn_error_set(err, ZN_EPARSE, path, 1, spec.time_col ? spec.time_col : "date",
                          "no time column (expected %s)", spec.time_col ? spec.time_col : "date, dates, day, t, time or week");
        goto fail;
    }
    long vcols[32];
    size_t nv = 0;
    if (spec.value_cols) {
        char *list = zn_strdup(spec.value_cols), *save = NULL;
        for (char *tok = strtok_r(list, ",+", &save); tok; tok = strtok_r(NULL, ",+", &save)) {
            trim(tok);
            long c = find_col(&t, tok);
            if (c < 0 || nv == 32) {
                st = zn_error_set(err, ZN_EPARSE, path, 1, tok, "no such column");
                free(list);
                goto fail;
            }
            vcols[nv++] = c;
        }
        free(list);
    } else {
        long c = find_first(&t, vnames);
        if (c >= 0)
            vcols[nv++] = c;
    }
    if (nv == 0) {
        st = zn_error_set(err, ZN_EPARSE, path, 1, "count", "no count column (expected I, incidence, cases, count, observed, value or n)");
        goto fail;
    }
    long gcol = -1;
    if (spec.group_col && (gcol = find_col(&t, spec.group_col)) < 0) {
        st = zn_error_set(err, ZN_EPARSE, path, 1, spec.group_col, "no such column");
        goto fail;
    }
    long skipcol = -1;
    if (spec.skip_empty_col && (skipcol = find_col(&t, spec.skip_empty_col)) < 0) {
        st = zn_error_set(err, ZN_EPARSE, path, 1, spec.skip_empty_col, "no such column");
        goto fail;
    }
    filt filters[16];
    size_t nf = 0;
    char *flist = spec.filter ? zn_strdup(spec.filter) : NULL;
    if (flist) {
        char *save = NULL;
        for (char *tok = strtok_r(flist, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
            char *eq = strchr(tok, '=');
            if (!eq || nf == 16) {
                st = zn_error_set(err, ZN_EINVAL, NULL, 0, "filter", "filter '%s' is not col=value", tok);
                free(flist);
                goto fail;
            }
            *eq = 0;
            trim(tok);
            long c = find_col(&t, tok);
            if (c < 0) {
                st = zn_error_set(err, ZN_EPARSE, path, 1, tok, "no such column (filter)");
                free(flist);
                goto fail;
            }
            filters[nf].col = c;
            filters[nf].val = eq + 1;
            nf++;
        }
    }
    /* pass 1: parse rows, find the time range and the groups */
    int64_t since = INT64_MIN, until = INT64_MAX;
    const char *lim[2] = {spec.since, spec.until};
    int64_t *limv[2] = {&since, &until};
    for (int i = 0; i < 2; i++) {
        if (!lim[i])
            continue;
        double d;
        if (parse_date(lim[i], limv[i]) && (parse_number(lim[i], &d) || d != floor(d))) {
            st = zn_error_set(err, ZN_EINVAL, NULL, 0, i ? "until" : "since", "bad time '%s'", lim[i]);
            free(flist);
            goto fail;
        } else if (parse_date(lim[i], limv[i])) {
            *limv[i] = (int64_t)d;
        }
    }
    int is_date = -1;
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    int64_t *tv = malloc((t.nrow ? t.nrow : 1) * sizeof *tv);
    double *vv = malloc((t.nrow ? t.nrow : 1) * sizeof *vv);
    size_t *gi = malloc((t.nrow ? t.nrow : 1) * sizeof *gi);
    char **groups = NULL;
    size_t ng = 0, capg = 0;
    if (!tv || !vv || !gi) {
        st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
        goto fail2;
    }
    for (size_t r = 0; r < t.nrow; r++) {
        tv[r] = INT64_MIN; /* skipped row */
        int keep = 1;
        for (size_t f = 0; f < nf && keep; f++)
            keep = !strcmp(cell(&t, r, filters[f].col), filters[f].val);
        if (keep && skipcol >= 0) {
            char tmp[256];
            snprintf(tmp, sizeof tmp, "%s", cell(&t, r, skipcol));
            trim(tmp);
            keep = tmp[0] != 0;
        }
        if (!keep)
            continue;
        char *ts = t.rows[r][tcol];
        if (!ts || !*ts)
            continue; /* no time: ignore the row */
        trim(ts);
        int64_t day;
        if (is_date < 0)
            is_date = parse_date(ts, &day) == 0;
        if (is_date) {
            if (parse_date(ts, &day)) {
                st = zn_error_set(err, ZN_EPARSE, path, t.line[r], t.head[tcol], "bad date '%s'", ts);
                goto fail2;
            }
        } else {
            double d;
            if (parse_number(ts, &d) || d != floor(d)) {
                st = zn_error_set(err, ZN_EPARSE, path, t.line[r], t.head[tcol], "bad time '%s' (want an integer or a date)", ts);
                goto fail2;
            }
            day = (int64_t)d;
        }
        if (day > until || (day < since && !spec.cumulative)) /* cumulative: trimmed after differencing */
            continue;
        double sum = 0;
        int any = 0;
        for (size_t v = 0; v < nv; v++) {
            char *s = t.rows[r][vcols[v]];
            if (!s)
                continue;
            trim(s);
            if (!*s || !strcmp(s, "NA"))
                continue;
            double d;
            if (parse_number(s, &d)) {
                st = zn_error_set(err, ZN_EPARSE, path, t.line[r], t.head[vcols[v]], "bad number '%s'", s);
                goto fail2;
            }
            sum += d;
            any = 1;
        }
        vv[r] = any ? sum : NAN;
        tv[r] = day;
        if (day < tmin)
            tmin = day;
        if (day > tmax)
            tmax = day;
        const char *g = gcol >= 0 ? cell(&t, r, gcol) : "";
        size_t k = 0;
        while (k < ng && strcmp(groups[k], g))
            k++;
        if (k == ng) {
            if (ng == capg) {
                size_t nc = capg ? 2 * capg : 16;
                char **p = realloc(groups, nc * sizeof *p);
                if (!p) {
                    st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
                    goto fail2;
                }
                groups = p;
                capg = nc;
            }
            groups[ng++] = (char *)g;
        }
        gi[r] = k;
    }
    if (ng == 0) {
        st = zn_error_set(err, ZN_EPARSE, path, 0, NULL, "no data rows%s", nf ? " match the filter" : "");
        goto fail2;
    }
    size_t len = (size_t)(tmax - tmin + 1);
    if (len > 10000000) {
        st = zn_error_set(err, ZN_ERANGE, path, 0, t.head[tcol], "time range too long (%zu periods)", len);
        goto fail2;
    }
    zn_series *ss = calloc(ng, sizeof *ss);
    if (!ss) {
        st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
        goto fail2;
    }
    *out = ss;
    *n_out = ng;
    for (size_t k = 0; k < ng; k++) {
        ss[k].group = gcol >= 0 ? zn_strdup(groups[k]) : NULL;
        ss[k].n = len;
        ss[k].value = malloc(len * sizeof(double));
        ss[k].label = calloc(len, sizeof(char *));
        ss[k].day0 = is_date ? tmin : 0;
        ss[k].is_daily = is_date == 1;
        if (!ss[k].value || !ss[k].label || (gcol >= 0 && !ss[k].group)) {
            st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
            goto fail3;
        }
        for (size_t i = 0; i < len; i++) {
            ss[k].value[i] = NAN;
            char lab[32];
            if (is_date == 1) {
                int y, m, d;
                zn_civil_from_days(tmin + (int64_t)i, &y, &m, &d);
                snprintf(lab, sizeof lab, "%04d-%02d-%02d", y, m, d);
            } else {
                snprintf(lab, sizeof lab, "%lld", (long long)(tmin + (int64_t)i));
            }
            if (!(ss[k].label[i] = zn_strdup(lab))) {
                st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
                goto fail3;
            }
        }
    }
    for (size_t r = 0; r < t.nrow; r++) {
        if (tv[r] == INT64_MIN || isnan(vv[r]))
            continue;
        double *cellv = &ss[gi[r]].value[tv[r] - tmin];
        *cellv = isnan(*cellv) ? vv[r] : *cellv + vv[r];
    }
    for (size_t k = 0; k < ng; k++) {
        zn_series *s = &ss[k];
        if (spec.cumulative) {
            double *d = malloc(len * sizeof *d);
            if (!d) {
                st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
                goto fail3;
            }
            /* leading days before the first report stay at 0 cumulative */
            st = zn_incidence_from_cumulative(s->value, len, spec.policy, d, &s->n_negative, &s->adjusted, err);
            if (st) {
                free(d);
                goto fail3;
            }
            free(s->value);
            s->value = d;
        } else {
            for (size_t i = 0; i < len; i++) /* a period with no row is a period with no case */
                if (isnan(s->value[i]))
                    s->value[i] = 0;
        }
    }
    if (spec.cumulative && since > tmin) { /* drop the days before `since`, now differenced */
        size_t cut = since - tmin > (int64_t)len ? len : (size_t)(since - tmin);
        for (size_t k = 0; k < ng; k++) {
            zn_series *z = &ss[k];
            for (size_t i = 0; i < cut; i++)
                free(z->label[i]);
            memmove(z->value, z->value + cut, (len - cut) * sizeof *z->value);
            memmove(z->label, z->label + cut, (len - cut) * sizeof *z->label);
            z->n = len - cut;
            if (is_date == 1)
                z->day0 += (int64_t)cut;
        }
    }
    free(tv);
    free(vv);
    free(gi);
    free(groups);
    free(flist);
    table_free(&t);
    return ZN_OK;
fail3:
    zn_series_free(*out, *n_out);
    *out = NULL;
    *n_out = 0;
fail2:
    free(tv);
    free(vv);
    free(gi);
    free(groups);
    free(flist);
fail:
    table_free(&t);
    return st;
}
