/*
 * Time parsing and formatting. Civil <-> day-number conversion follows Howard Hinnant's
 * "chrono-Compatible Low-Level Date Algorithms" (days_from_civil / civil_from_days).
 */
#include "zhinao/time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int zn_is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int zn_days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return d[m - 1] + (m == 2 && zn_is_leap_year(y));
}

int64_t zn_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void zn_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (mm <= 2));
    *m = mm;
    *d = dd;
}

int64_t zn_time_from_civil(const zn_civil *c, int32_t tz)
{
    return zn_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 + c->minute * 60 + c->second - tz;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

void zn_time_to_civil(int64_t t, int32_t tz, zn_civil *out)
{
    int64_t local = t + tz;
    int64_t days = floor_div(local, 86400);
    int64_t sod = local - days * 86400;
    zn_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(sod / 3600);
    out->minute = (int)(sod / 60 % 60);
    out->second = (int)(sod % 60);
}

int64_t zn_time_local_day(int64_t t, int32_t tz)
{
    return floor_div(t + tz, 86400);
}

char *zn_time_format_iso(int64_t t, int32_t tz, char *buf, size_t n)
{
    zn_civil c;
    zn_time_to_civil(t, tz, &c);
    int32_t a = tz < 0 ? -tz : tz;
    if (tz == 0)
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second);
    else
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year, c.month, c.day, c.hour, c.minute,
                 c.second, tz < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
    return buf;
}

char *zn_time_format_date(int64_t t, int32_t tz, char *buf, size_t n)
{
    zn_civil c;
    zn_time_to_civil(t, tz, &c);
    snprintf(buf, n, "%04d-%02d-%02d", c.year, c.month, c.day);
    return buf;
}

/* Read exactly n digits at *p into *v; advance. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return 0;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 1;
}

static zn_status bad(zn_error *err, const char *s, const char *why)
{
    return zn_error_set(err, ZN_EPARSE, NULL, 0, NULL, "'%.40s' is not a time: %s", s, why);
}

static zn_status check_civil(const zn_civil *c, const char *s, zn_error *err)
{
    if (c->year < 1 || c->year > 9999)
        return bad(err, s, "year out of range");
    if (c->month < 1 || c->month > 12)
        return zn_error_set(err, ZN_EPARSE, NULL, 0, NULL, "'%.40s' is not a time: month %d is not 1..12", s, c->month);
    if (c->day < 1 || c->day > zn_days_in_month(c->year, c->month))
        return zn_error_set(err, ZN_EPARSE, NULL, 0, NULL, "'%.40s' is not a time: %04d-%02d has no day %d", s,
                            c->year, c->month, c->day);
    if (c->hour > 23 || c->minute > 59 || c->second > 60)
        return bad(err, s, "time of day out of range");
    return ZN_OK;
}

zn_status zn_time_parse(const char *s, int32_t tz, int64_t *out, int *flags, zn_error *err)
{
    if (flags)
        *flags = 0;
    if (!s)
        return bad(err, "", "empty");
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0)
        return bad(err, s, "empty");
    char tmp[64];
    if (len >= sizeof tmp)
        return bad(err, s, "too long");
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    const char *p = tmp;

    /* unix seconds: @N, or a bare run of 9..13 digits (8 digits is YYYYMMDD, 14 is YYYYMMDDhhmmss) */
    int all_digits = 1;
    for (size_t i = (tmp[0] == '@' || tmp[0] == '-') ? 1 : 0; i < len; i++)
        if (!isdigit((unsigned char)tmp[i]))
            all_digits = 0;
    if (all_digits && (tmp[0] == '@' || (len >= 9 && len <= 13 && tmp[0] != '-'))) {
        const char *q = tmp[0] == '@' ? tmp + 1 : tmp;
        size_t nd = strlen(q);
        if (nd == 0 || nd > 13)
            return bad(err, s, "unix time out of range");
        int64_t v = 0;
        for (; *q; q++)
            v = v * 10 + (*q - '0');
        if (tmp[0] != '@' && nd >= 12)
            v /= 1000; /* milliseconds */
        *out = v;
        if (flags)
            *flags = ZN_TIME_HAS_TIME | ZN_TIME_HAS_ZONE;
        return ZN_OK;
    }

    zn_civil c = {0};
    int fl = 0;
    if (all_digits && (len == 8 || len == 14)) {
        digits(&p, 4, &c.year);
        digits(&p, 2, &c.month);
        digits(&p, 2, &c.day);
        if (len == 14) {
            digits(&p, 2, &c.hour);
            digits(&p, 2, &c.minute);
            digits(&p, 2, &c.second);
            fl |= ZN_TIME_HAS_TIME;
        }
    } else {
        if (!digits(&p, 4, &c.year))
            return bad(err, s, "expected YYYY-MM-DD, YYYYMMDD or unix seconds");
        char sep = *p;
        if (sep != '-' && sep != '/')
            return bad(err, s, "expected '-' or '/' after the year");
        p++;
        /* month and day may have 1 or 2 digits with '/' (2022/4/1) */
        int width = (sep == '/' && isdigit((unsigned char)p[0]) && !isdigit((unsigned char)p[1])) ? 1 : 2;
        if (!digits(&p, width, &c.month) || *p != sep)
            return bad(err, s, "bad month");
        p++;
        width = (sep == '/' && isdigit((unsigned char)p[0]) && !isdigit((unsigned char)p[1])) ? 1 : 2;
        if (!digits(&p, width, &c.day))
            return bad(err, s, "bad day");
        if (*p == 'T' || *p == 't' || *p == ' ') {
            p++;
            while (*p == ' ')
                p++;
            int hw = (isdigit((unsigned char)p[0]) && p[1] == ':') ? 1 : 2;
            if (!digits(&p, hw, &c.hour) || *p != ':')
                return bad(err, s, "bad hour");
            p++;
            if (!digits(&p, 2, &c.minute))
                return bad(err, s, "bad minute");
            if (*p == ':') {
                p++;
                if (!digits(&p, 2, &c.second))
                    return bad(err, s, "bad second");
                if (*p == '.' || *p == ',') {
                    p++;
                    if (!isdigit((unsigned char)*p))
                        return bad(err, s, "bad fraction");
                    while (isdigit((unsigned char)*p))
                        p++;
                }
            }
            fl |= ZN_TIME_HAS_TIME;
            /* zone */
            if (*p == 'Z' || *p == 'z') {
                p++;
                tz = 0;
                fl |= ZN_TIME_HAS_ZONE;
            } else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1, zh, zm = 0;
                p++;
                if (!digits(&p, 2, &zh))
                    return bad(err, s, "bad zone offset");
                if (*p == ':')
                    p++;
                if (isdigit((unsigned char)*p) && !digits(&p, 2, &zm))
                    return bad(err, s, "bad zone offset");
                if (zh > 14 || zm > 59)
                    return bad(err, s, "zone offset out of range");
                tz = sign * (zh * 3600 + zm * 60);
                fl |= ZN_TIME_HAS_ZONE;
            }
        }
        if (*p != '\0')
            return bad(err, s, "unexpected characters after the time");
    }
    zn_status st = check_civil(&c, s, err);
    if (st != ZN_OK)
        return st;
    if (c.second == 60)
        c.second = 59;
    *out = zn_time_from_civil(&c, tz);
    if (flags)
        *flags = fl;
    return ZN_OK;
}
