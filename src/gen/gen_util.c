/* Small fast formatters and the row scratch of the generator. */
#include "gen_int.h"

#include "zhinao/time.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

static void two(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

void zn__fmt_date(int64_t days, char out[11])
{
    int y, m, d;
    zn_civil_from_days(days, &y, &m, &d);
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    two(out + 2, y % 100);
    out[4] = '-';
    two(out + 5, m);
    out[7] = '-';
    two(out + 8, d);
    out[10] = '\0';
}

void zn__fmt_time(int64_t t, char out[20])
{
    int64_t local = t + ZN__TZ;
    int64_t days = local >= 0 ? local / ZN__DAY : -((-local + ZN__DAY - 1) / ZN__DAY);
    int64_t sod = local - days * ZN__DAY;
    zn__fmt_date(days, out);
    out[10] = ' ';
    two(out + 11, (int)(sod / 3600));
    out[13] = ':';
    two(out + 14, (int)(sod / 60 % 60));
    out[16] = ':';
    two(out + 17, (int)(sod % 60));
    out[19] = '\0';
}

void zn__fmt_time_c(zn__tcache *c, int64_t t, char out[20])
{
    int64_t local = t + ZN__TZ;
    int64_t days = local >= 0 ? local / ZN__DAY : -((-local + ZN__DAY - 1) / ZN__DAY);
    int64_t sod = local - days * ZN__DAY;
    if (!c->valid || c->day != days) {
        zn__fmt_date(days, c->date);
        c->day = days;
        c->valid = 1;
    }
    memcpy(out, c->date, 10);
    out[10] = ' ';
    two(out + 11, (int)(sod / 3600));
    out[13] = ':';
    two(out + 14, (int)(sod / 60 % 60));
    out[16] = ':';
    two(out + 17, (int)(sod % 60));
    out[19] = '\0';
}

char *zn__fmt_fixed6(double v, char *out)
{
    char *o = out;
    if (v < 0) {
        *o++ = '-';
        v = -v;
    }
    int64_t x = (int64_t)llround(v * 1e6);
    int64_t ip = x / 1000000, fp = x % 1000000;
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (n)
        *o++ = tmp[--n];
    *o++ = '.';
    for (int i = 5; i >= 0; i--) {
        o[i] = (char)('0' + fp % 10);
        fp /= 10;
    }
    o[6] = '\0';
    return out;
}

void zn__fmt_mobile(uint64_t m, char out[12])
{
    for (int i = 10; i >= 0; i--) {
        out[i] = (char)('0' + m % 10);
        m /= 10;
    }
    out[11] = '\0';
}

void zn__row_reset(zn__row *r)
{
    memset(r->v, 0, sizeof r->v);
    r->has_pt = 0;
    r->used = 0;
}

const char *zn__row_str(zn__row *r, const char *s)
{
    size_t n = strlen(s) + 1;
    if (r->used + n > sizeof r->scratch)
        return NULL;
    char *d = r->scratch + r->used;
    memcpy(d, s, n);
    r->used += n;
    return d;
}

const char *zn__row_printf(zn__row *r, const char *fmt, ...)
{
    size_t room = sizeof r->scratch - r->used;
    char *d = r->scratch + r->used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return NULL;
    r->used += (size_t)n + 1;
    return d;
}
