/* Validation and normalisation of feed values and rows against the catalogue. */
#include "hub_int.h"

#include "zhinao/ident.h"
#include "zhinao/time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_codes[] = {
    "ok",
#define ZN__R_STR(code, words) #code,
    ZN_HUB_REASONS(ZN__R_STR)
#undef ZN__R_STR
};
static const char *const reason_words[] = {
    "ok",
#define ZN__R_WORDS(code, words) words,
    ZN_HUB_REASONS(ZN__R_WORDS)
#undef ZN__R_WORDS
};

const char *zn__reason_code(zn__reason r)
{
    return ((unsigned)r < ZN__R_COUNT) ? reason_codes[r] : "?";
}

const char *zn__reason_words(zn__reason r)
{
    return ((unsigned)r < ZN__R_COUNT) ? reason_words[r] : "?";
}

zn__reason zn__reason_from_code(const char *code)
{
    for (int r = 1; code && r < ZN__R_COUNT; r++)
        if (!strcmp(reason_codes[r], code))
            return (zn__reason)r;
    return ZN__R_OK;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

char *zn__trim(char *s)
{
    if (!s)
        return s;
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* 1 or 2 digits; advances *p. */
static int small_num(const char **p, int *out)
{
    const char *s = *p;
    int n = 0;
    while (n < 2 && s[n] >= '0' && s[n] <= '9')
        n++;
    if (n == 0)
        return -1;
    *out = num(s, n);
    *p = s + n;
    return 0;
}

int zn__parse_date(const char *s, int *y, int *m, int *d)
{
    if (!s)
        return -1;
    const char *p;
    if (digits(s, 8) && (s[8] == '\0' || s[8] == ' ' || s[8] == 'T')) {
        *y = num(s, 4);
        *m = num(s + 4, 2);
        *d = num(s + 6, 2);
        p = s + 8;
    } else {
        if (!digits(s, 4))
            return -1;
        *y = num(s, 4);
        char sep = s[4];
        if (sep != '-' && sep != '/' && sep != '.')
            return -1;
        p = s + 5;
        if (small_num(&p, m) || *p != sep)
            return -1;
        p++;
        if (small_num(&p, d))
            return -1;
    }
    /* an Excel-style midnight time after the date is tolerated */
    if (*p == ' ' || *p == 'T') {
        p++;
        if (strcmp(p, "00:00") && strcmp(p, "00:00:00"))
            return -1;
    } else if (*p) {
        return -1;
    }
    if (*y < 1000 || *m < 1 || *m > 12 || *d < 1 || *d > zn_days_in_month(*y, *m))
        return -1;
    return 0;
}

int zn__division_norm(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if ((n != 6 && n != 9 && n != 12) || !digits(s, (int)n))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < 12; i++)
        v = v * 10 + (i < n ? (uint64_t)(s[i] - '0') : 0);
    *out = v;
    return 0;
}

/* Strict decimal integer. */
static int parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Strict decimal number: [+-] digits [. digits] [e [+-] digits], finite. */
static int parse_real(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    int nd = 0;
    while (*p >= '0' && *p <= '9')
        p++, nd++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, nd++;
    }
    if (nd == 0)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Characters (UTF-8 code points) of s, stopping once past limit. */
static size_t utf8_chars(const char *s, size_t limit)
{
    size_t n = 0;
    for (; *s && n <= limit; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static zn__reason check_bounds(const zn_feed_column *col, double v, const char *text, char *msg, size_t n)
{
    if ((col->has_min && v < col->min) || (col->has_max && v > col->max)) {
        snprintf(msg, n, "%s is outside %g..%g", text, col->has_min ? col->min : -INFINITY,
                 col->has_max ? col->max : INFINITY);
        return ZN__R_out_of_range;
    }
    return ZN__R_OK;
}

static zn__reason validate_resident_id(zn__vctx *vc, const char *s, zn__value *out, char *msg, size_t n)
{
    zn_error e;
    char up[19];
    size_t len = strlen(s);
    if (len == 15 && digits(s, 15)) {
        if (zn_resident_id_upgrade15(s, up, &e) != ZN_OK) {
            snprintf(msg, n, "%s", e.msg);
            return ZN__R_bad_resident_id;
        }
        s = up;
    }
    zn_resident_id id;
    if (zn_resident_id_parse(s, ZN_ID_CHECK_ALL, vc->today_days, &id, &e) == ZN_OK) {
        memcpy(out->buf, id.number, 19);
        out->kind = ZN__V_TEXT;
        out->s = out->buf;
        return ZN__R_OK;
    }
    /* Find which check failed: the form itself, then check character, birth date, region. */
    static const struct { int check; zn__reason r; } order[] = {
        {0, ZN__R_bad_resident_id},
        {ZN_ID_CHECK_DIGIT, ZN__R_bad_check_digit},
        {ZN_ID_CHECK_BIRTH, ZN__R_bad_birth_date},
        {ZN_ID_CHECK_REGION, ZN__R_unknown_region},
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (zn_resident_id_parse(s, order[i].check, vc->today_days, NULL, &e) != ZN_OK) {
            snprintf(msg, n, "%s", e.msg);
            return order[i].r;
        }
    }
    snprintf(msg, n, "%s", e.msg);
    return ZN__R_bad_resident_id;
}

zn__reason zn__validate_value(zn__vctx *vc, const zn_feed_column *col, const char *s,
                              zn__value *out, char *msg, size_t n)
{
    out->kind = ZN__V_NULL;
    if (col->type == ZN_COL_LONLAT)
        out[1].kind = out[2].kind = ZN__V_NULL;
    if (!s || !*s) {
        if (col->required) {
            snprintf(msg, n, "required field '%s' is empty", col->name);
            return ZN__R_missing_field;
        }
        return ZN__R_OK;
    }
    zn_error e;
    switch (col->type) {
    case ZN_COL_TEXT:
    case ZN_COL_ENUM:
        if (col->max_length > 0 && utf8_chars(s, (size_t)col->max_length) > (size_t)col->max_length) {
            snprintf(msg, n, "longer than %d characters", col->max_length);
            return ZN__R_too_long;
        }
        if (col->type == ZN_COL_ENUM) {
            size_t i;
            for (i = 0; i < col->nvalues; i++)
                if (!strcmp(col->values[i], s))
                    break;
            if (i == col->nvalues) {
                snprintf(msg, n, "'%.60s' is not one of the %zu allowed values", s, col->nvalues);
                return ZN__R_bad_enum;
            }
        }
        out->kind = ZN__V_TEXT;
        out->s = s;
        return ZN__R_OK;
    case ZN_COL_INT:
        if (parse_int(s, &out->i)) {
            snprintf(msg, n, "'%.40s' is not an integer", s);
            return ZN__R_bad_int;
        }
        out->kind = ZN__V_INT;
        return check_bounds(col, (double)out->i, s, msg, n);
    case ZN_COL_REAL:
    case ZN_COL_LON:
    case ZN_COL_LAT:
        if (parse_real(s, &out->d)) {
            snprintf(msg, n, "'%.40s' is not a number", s);
            return ZN__R_bad_real;
        }
        out->kind = ZN__V_REAL;
        return check_bounds(col, out->d, s, msg, n);
    case ZN_COL_DATE: {
        int y, m, d;
        if (zn__parse_date(s, &y, &m, &d)) {
            snprintf(msg, n, "'%.40s' is not a date (YYYY-MM-DD or YYYYMMDD)", s);
            return ZN__R_bad_date;
        }
        if (col->not_future && zn_days_from_civil(y, m, d) > vc->today_days) {
            snprintf(msg, n, "date %.40s is after today", s);
            return ZN__R_future_time;
        }
        snprintf(out->buf, sizeof out->buf, "%04d-%02d-%02d", y, m, d);
        out->kind = ZN__V_TEXT;
        out->s = out->buf;
        return ZN__R_OK;
    }
    case ZN_COL_TIME:
        if (zn_time_parse(s, vc->tz_offset, &out->i, NULL, &e) != ZN_OK) {
            snprintf(msg, n, "'%.40s' is not a time: %s", s, e.msg);
            return ZN__R_bad_time;
        }
        if (col->not_future && out->i > vc->now + vc->tolerance) {
            snprintf(msg, n, "time %.40s is in the future", s);
            return ZN__R_future_time;
        }
        out->kind = ZN__V_INT;
        return ZN__R_OK;
    case ZN_COL_RESIDENT_ID:
        return validate_resident_id(vc, s, out, msg, n);
    case ZN_COL_MOBILE:
        if (zn_mobile_parse(s, out->buf, &e) != ZN_OK) {
            snprintf(msg, n, "%s", e.msg);
            return ZN__R_bad_mobile;
        }
        out->kind = ZN__V_TEXT;
        out->s = out->buf;
        return ZN__R_OK;
    case ZN_COL_DIVISION: {
        uint64_t code;
        if (zn__division_norm(s, &code)) {
            snprintf(msg, n, "'%.40s' is not a 6-, 9- or 12-digit division code", s);
            return ZN__R_bad_division_code;
        }
        if (!vc->divs)
            vc->unchecked++;
        else if (!bsearch(&code, vc->divs, vc->ndivs, sizeof code, cmp_u64)) {
            snprintf(msg, n, "division code %s is not in the division table", s);
            return ZN__R_unknown_division;
        }
        snprintf(out->buf, sizeof out->buf, "%012llu", (unsigned long long)code);
        out->kind = ZN__V_TEXT;
        out->s = out->buf;
        return ZN__R_OK;
    }
    case ZN_COL_LONLAT: {
        /* "lon,lat" (blanks allowed around the comma) */
        const char *comma = strchr(s, ',');
        char a[64], b[64];
        size_t la = comma ? (size_t)(comma - s) : 0;
        if (!comma || la >= sizeof a || strlen(comma + 1) >= sizeof b) {
            snprintf(msg, n, "'%.60s' is not \"lon,lat\"", s);
            return ZN__R_bad_lonlat;
        }
        memcpy(a, s, la);
        a[la] = '\0';
        strcpy(b, comma + 1);
        if (parse_real(zn__trim(a), &out[1].d) || parse_real(zn__trim(b), &out[2].d)) {
            snprintf(msg, n, "'%.60s' is not \"lon,lat\"", s);
            return ZN__R_bad_lonlat;
        }
        out[0].kind = ZN__V_TEXT;
        out[0].s = s;
        out[1].kind = out[2].kind = ZN__V_REAL;
        return ZN__R_OK;
    }
    }
    snprintf(msg, n, "unknown column type");
    return ZN__R_bad_record;
}

static double num_of(const zn__value *v)
{
    return v->kind == ZN__V_REAL ? v->d : (double)v->i;
}

/* Does "a op b" hold? */
static int check_holds(const zn__value *a, const zn__value *b, zn_check_op op)
{
    int c;
    if (a->kind == ZN__V_TEXT)
        c = strcmp(a->s, b->s);
    else if (a->kind == ZN__V_INT && b->kind == ZN__V_INT)
        c = (a->i > b->i) - (a->i < b->i);
    else
        c = (num_of(a) > num_of(b)) - (num_of(a) < num_of(b));
    switch (op) {
    case ZN_CHECK_GE: return c >= 0;
    case ZN_CHECK_GT: return c > 0;
    case ZN_CHECK_LE: return c <= 0;
    case ZN_CHECK_LT: return c < 0;
    }
    return 0;
}

zn__reason zn__validate_row(zn__vctx *vc, const zn_feed *feed, const zn__layout *lay,
                            const char *const *texts, zn__value *vals, zn__problem *pb)
{
    pb->reason = ZN__R_OK;
    pb->column = -1;
    pb->msg[0] = '\0';
    pb->nmore = 0;
    pb->more[0] = '\0';
    /* every field is checked, so that a steward sees all that is wrong with a row at once; the
     * first failing field is the row's reason, the others are listed in pb->more */
    for (size_t i = 0; i < feed->ncolumns; i++) {
        char other[256];
        int first = pb->reason == ZN__R_OK;
        zn__reason r = zn__validate_value(vc, &feed->columns[i], texts[i], &vals[lay->col_slot[i]],
                                          first ? pb->msg : other, first ? sizeof pb->msg : sizeof other);
        if (r == ZN__R_OK)
            continue;
        if (first) {
            pb->reason = r;
            pb->column = (int)i;
        } else {
            size_t used = strlen(pb->more);
            snprintf(pb->more + used, sizeof pb->more - used, "%s%s (%s)", pb->nmore ? "; " : "",
                     feed->columns[i].name, zn__reason_code(r));
            pb->nmore++;
        }
    }
    if (pb->reason != ZN__R_OK)
        return pb->reason;
    for (size_t p = 0; p < feed->npoints; p++) {
        const zn_feed_point *pt = &feed->points[p];
        zn__value *lon, *lat;
        if (pt->lon == pt->lat) {
            lon = &vals[lay->col_slot[pt->lon] + 1];
            lat = &vals[lay->col_slot[pt->lon] + 2];
        } else {
            lon = &vals[lay->col_slot[pt->lon]];
            lat = &vals[lay->col_slot[pt->lat]];
        }
        const int *orig = lay->orig_slot[p] >= 0 ? &lay->orig_slot[p] : NULL;
        if (orig)
            vals[*orig].kind = vals[*orig + 1].kind = ZN__V_NULL;
        if (lon->kind == ZN__V_NULL && lat->kind == ZN__V_NULL)
            continue;
        pb->column = pt->lon;
        if (lon->kind == ZN__V_NULL || lat->kind == ZN__V_NULL) {
            pb->reason = ZN__R_bad_lonlat;
            snprintf(pb->msg, sizeof pb->msg, "%s given without %s",
                     lon->kind == ZN__V_NULL ? feed->columns[pt->lat].name : feed->columns[pt->lon].name,
                     lon->kind == ZN__V_NULL ? feed->columns[pt->lon].name : feed->columns[pt->lat].name);
            return pb->reason;
        }
        double x = lon->d, y = lat->d;
        if (!zn_geo_in_china(x, y)) {
            int swapped = zn_geo_in_china(y, x);
            pb->reason = swapped ? ZN__R_swapped_lat_lon : ZN__R_outside_china;
            snprintf(pb->msg, sizeof pb->msg, "(%.6f, %.6f) %s", x, y,
                     swapped ? "looks like swapped latitude/longitude" : "is outside China");
            return pb->reason;
        }
        if (pt->crs != ZN_CRS_WGS84) {
            if (orig) {
                vals[*orig].kind = vals[*orig + 1].kind = ZN__V_REAL;
                vals[*orig].d = x;
                vals[*orig + 1].d = y;
            }
            zn_crs_convert(pt->crs, ZN_CRS_WGS84, x, y, &lon->d, &lat->d);
        }
    }
    pb->column = -1;
    for (size_t c = 0; c < feed->nchecks; c++) {
        const zn_feed_check *ck = &feed->checks[c];
        const zn__value *a = &vals[lay->col_slot[ck->left]], *b = &vals[lay->col_slot[ck->right]];
        if (a->kind == ZN__V_NULL || b->kind == ZN__V_NULL)
            continue;
        if (!check_holds(a, b, ck->op)) {
            pb->reason = ZN__R_end_before_start;
            pb->column = ck->left;
            snprintf(pb->msg, sizeof pb->msg, "check '%s' failed: '%.40s' vs '%.40s'", ck->text,
                     texts[ck->left] ? texts[ck->left] : "", texts[ck->right] ? texts[ck->right] : "");
            return pb->reason;
        }
    }
    return ZN__R_OK;
}

/* ---- masking of free text ---- */

zn_status zn_hub_mask_text(const char *s, zn_buf *out)
{
    zn_status st = zn_buf_append(out, "", 0);
    while (st == ZN_OK && s && *s) {
        if (!(*s >= '0' && *s <= '9')) {
            const char *q = s;
            while (*q && !(*q >= '0' && *q <= '9'))
                q++;
            st = zn_buf_append(out, s, (size_t)(q - s));
            s = q;
            continue;
        }
        size_t n = 0;
        while (s[n] >= '0' && s[n] <= '9')
            n++;
        size_t run = n;
        if (n == 17 && (s[17] == 'X' || s[17] == 'x'))
            run = 18;
        char tmp[32], masked[32];
        if (run == 18 || run == 15) {
            memcpy(tmp, s, run);
            tmp[run] = '\0';
            st = zn_buf_puts(out, zn_mask_resident_id(tmp, masked, sizeof masked));
        } else if (run == 11 && s[0] == '1' && s[1] >= '3') {
            memcpy(tmp, s, run);
            tmp[run] = '\0';
            st = zn_buf_puts(out, zn_mask_mobile(tmp, masked, sizeof masked));
        } else if (run == 13 && s[0] == '8' && s[1] == '6' && s[2] == '1' && s[3] >= '3') {
            memcpy(tmp, s + 2, 11); /* 86 + a mobile number */
            tmp[11] = '\0';
            st = zn_buf_append(out, "86", 2);
            if (st == ZN_OK)
                st = zn_buf_puts(out, zn_mask_mobile(tmp, masked, sizeof masked));
        } else {
            st = zn_buf_append(out, s, run);
        }
        s += run;
    }
    return st;
}
