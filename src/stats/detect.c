/*
 * Early-warning detectors that need no model fit: EARS C1/C2/C3 and CUSUM as R surveillance
 * 1.20.3 computes them (earsC, algo.cusum), and CIDARS's moving-percentile method.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "stats/stats_int.h"
#include "zhinao/time.h"

static void clear_out(size_t n, double *ub, int *alarm)
{
    for (size_t t = 0; t < n; t++) {
        ub[t] = NAN;
        alarm[t] = -1;
    }
}

/* R's pmax(0, v): NA stays NA. */
static double pmax0(double v)
{
    return isnan(v) ? NAN : (v > 0 ? v : 0.0);
}

/* R's `observed > upperbound` as 1/0, NA (-1) when either is NA. */
static int gt(double x, double ub)
{
    return (isnan(x) || isnan(ub)) ? -1 : (x > ub);
}

void zn_ears_params_default(zn_ears_params *p, zn_ears_method m)
{
    p->method = m;
    p->baseline = 7;
    p->alpha = 0.001;
    p->min_sigma = 0;
}

zn_status zn_ears(const double *x, size_t n, size_t first, const zn_ears_params *p, double *ub, int *alarm,
                  zn_error *err)
{
    zn__gsl_quiet();
    if (!x || !p || !ub || !alarm)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    size_t B = p->baseline;
    if (B < 3)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "baseline", "the minimum baseline is 3 (got %zu)", B);
    if (p->min_sigma < 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "min_sigma", "min_sigma must be >= 0");
    if (!(p->alpha > 0 && p->alpha < 1))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "alpha", "alpha must be in (0, 1)");
    size_t maxlag;
    switch (p->method) {
    case ZN_EARS_C1: maxlag = B; break;
    case ZN_EARS_C2: maxlag = B + 2; break;
    case ZN_EARS_C3: maxlag = B + 4; break;
    default: return zn_error_set(err, ZN_EINVAL, NULL, 0, "method", "unknown EARS method %d", (int)p->method);
    }
    if (first < maxlag)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "range",
                            "the series is too short: EARS C%d needs %zu periods before the first evaluated one",
                            (int)p->method, maxlag);
    clear_out(n, ub, alarm);
    double z = gsl_cdf_ugaussian_Pinv(1 - p->alpha);
    double m, sd;
    if (p->method != ZN_EARS_C3) {
        size_t lag0 = p->method == ZN_EARS_C1 ? 1 : 3; /* reference x[t-lag0-B+1 .. t-lag0] */
        for (size_t t = first; t < n; t++) {
            zn__mean_sd(x + t - lag0 - B + 1, B, &m, &sd);
            ub[t] = m + z * (sd > p->min_sigma || isnan(sd) ? sd : p->min_sigma);
            alarm[t] = gt(x[t], ub[t]);
        }
        return ZN_OK;
    }
    /* C3: C2 statistics from first-2 on */
    size_t n2 = n - (first - 2);
    double *c2 = malloc(n2 * sizeof *c2), *sds = malloc(n2 * sizeof *sds);
    if (!c2 || !sds) {
        free(c2);
        free(sds);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
    }
    for (size_t i = 0; i < n2; i++) {
        size_t s = first - 2 + i;
        zn__mean_sd(x + s - 2 - B, B, &m, &sd); /* x[s-B-2 .. s-3] */
        sds[i] = sd > p->min_sigma || isnan(sd) ? sd : p->min_sigma;
        c2[i] = (x[s] - m) / sds[i];
    }
    for (size_t i = 2; i < n2; i++) {
        size_t t = first - 2 + i;
        double lag2 = pmax0(c2[i - 2] - 1), lag1 = pmax0(c2[i - 1] - 1);
        ub[t] = pmax0(x[t] + sds[i] * (z - (lag2 + lag1)));
        alarm[t] = gt(x[t], ub[t]);
    }
    free(c2);
    free(sds);
    return ZN_OK;
}

void zn_cusum_params_default(zn_cusum_params *p)
{
    p->k = 1.04;
    p->h = 2.26;
    p->m = NAN;
    p->trans = ZN_CUSUM_STANDARD;
    p->alpha = 0.1;
}

zn_status zn_cusum(const double *x, size_t n, size_t first, const zn_cusum_params *p, double *ub, int *alarm,
                   double *cusum, zn_error *err)
{
    zn__gsl_quiet();
    if (!x || !p || !ub || !alarm)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    double m = p->m;
    if (isnan(m)) {
        if (first == 0)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "m", "no periods before the range to estimate the mean m");
        double s = 0;
        for (size_t t = 0; t < first; t++)
            s += x[t];
        m = s / (double)first;
    }
    if ((unsigned)p->trans > ZN_CUSUM_NONE)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "trans", "unknown transformation %d", (int)p->trans);
    clear_out(n, ub, alarm);
    if (cusum)
        for (size_t t = 0; t < n; t++)
            cusum[t] = NAN;
    double k = p->k, h = p->h, a = p->alpha, S = 0;
    for (size_t t = first; t < n; t++) {
        double xt = x[t], st;
        switch (p->trans) {
        case ZN_CUSUM_ROSSI: st = (xt - 3 * m + 2 * sqrt(xt * m)) / (2 * sqrt(m)); break;
        case ZN_CUSUM_ANSCOMBE: st = 1.5 * (pow(xt, 2.0 / 3) - pow(m, 2.0 / 3)) / pow(m, 1.0 / 6); break;
        case ZN_CUSUM_ANSCOMBE2ND:
            st = (pow(xt, 2.0 / 3) - (pow(m, 2.0 / 3) - pow(m, -1.0 / 3) / 9)) / (2.0 / 3 * pow(m, 1.0 / 6));
            break;
        case ZN_CUSUM_PEARSON_NB: st = (xt - m) / sqrt(m + a * m * m); break;
        case ZN_CUSUM_NONE: st = xt; break;
        default: st = (xt - m) / sqrt(m); break;
        }
        double C = S; /* Ctm1 */
        double Snew = S + (st - k);
        S = isnan(Snew) ? NAN : (Snew > 0 ? Snew : 0); /* R's max(0, NaN) is NaN */
        alarm[t] = isnan(S) ? -1 : (S >= h);
        double u;
        switch (p->trans) {
        case ZN_CUSUM_ROSSI:
            u = 2 * h * sqrt(m) + 2 * k * sqrt(m) - 2 * C * sqrt(m) + 5 * m -
                2 * sqrt(4 * m * m + 2 * pow(m, 1.5) * h + 2 * pow(m, 1.5) * k - 2 * pow(m, 1.5) * C);
            break;
        case ZN_CUSUM_ANSCOMBE: {
            double v = (2.0 / 3) * pow(m, 1.0 / 6) * (h + k - C) + pow(m, 2.0 / 3);
            u = v < 0 ? 0 : pow(v, 1.5);
            break;
        }
        case ZN_CUSUM_ANSCOMBE2ND: {
            double v = (2.0 / 3) * pow(m, 1.0 / 6) * (h + k - C) + (pow(m, 2.0 / 3) - pow(m, 1.0 / 3) / 9);
            u = v < 0 ? 0 : pow(v, 1.5);
            break;
        }
        case ZN_CUSUM_PEARSON_NB: u = sqrt(m + a * m * m) * (h + k - C) + m; break;
        case ZN_CUSUM_NONE: u = h - S; break;
        default: u = ceil(sqrt(m) * (h + k - C) + m); break;
        }
        if (isnan(u) || u < 0)
            u = 0;
        ub[t] = u;
        if (cusum)
            cusum[t] = S;
    }
    return ZN_OK;
}

void zn_cidars_params_default(zn_cidars_params *p)
{
    p->block = 7;
    p->years = 3;
    p->side_blocks = 2;
    p->percentile = 0.80;
}

/* Day number of the same calendar date `years` years before day d (29 Feb -> 28 Feb). */
static int64_t same_date_years_before(int64_t d, size_t years)
{
    int y, m, dd;
    zn_civil_from_days(d, &y, &m, &dd);
    y -= (int)years;
    if (m == 2 && dd == 29 && !zn_is_leap_year(y))
        dd = 28;
    return zn_days_from_civil(y, m, dd);
}

zn_status zn_cidars(const double *x, size_t n, int64_t day0, const zn_cidars_params *p, double *ub, int *alarm,
                    zn_error *err)
{
    zn__gsl_quiet();
    if (!x || !p || !ub || !alarm)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (p->block == 0 || p->years == 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "block", "block and years must be >= 1");
    if (!(p->percentile >= 0 && p->percentile <= 1))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "percentile", "the percentile must be in [0, 1] (got %g)",
                            p->percentile);
    clear_out(n, ub, alarm);
    size_t nb = (2 * p->side_blocks + 1) * p->years;
    double *base = malloc(nb * sizeof *base);
    double *cs = malloc((n + 1) * sizeof *cs); /* prefix sums: a block sum is cs[end+1] - cs[start] */
    if (!base || !cs) {
        free(base);
        free(cs);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
    }
    cs[0] = 0;
    for (size_t i = 0; i < n; i++)
        cs[i + 1] = cs[i] + x[i]; /* NAN propagates: blocks after a missing day are skipped below */
    size_t B = p->block;
    for (size_t d = B - 1; d < n; d++) {
        double cur = 0;
        for (size_t j = d + 1 - B; j <= d; j++) /* summed directly: exact, and NAN-local */
            cur += x[j];
        if (isnan(cur))
            continue;
        size_t m = 0;
        int ok = 1;
        for (size_t y = 1; y <= p->years && ok; y++) {
            int64_t e = same_date_years_before(day0 + (int64_t)d, y) - day0; /* index of that date */
            for (long j = -(long)p->side_blocks; j <= (long)p->side_blocks; j++) {
                int64_t end = e + j * (int64_t)B, start = end - (int64_t)B + 1;
                if (start < 0 || end > (int64_t)d - (int64_t)B) { /* inside, before the current period */
                    ok = 0;
                    break;
                }
                double s = 0;
                if (!isnan(cs[end + 1]))
                    s = cs[end + 1] - cs[start];
                else
                    for (int64_t i = start; i <= end; i++) /* after a NAN: sum directly */
                        s += x[i];
                if (isnan(s)) {
                    ok = 0;
                    break;
                }
                base[m++] = s;
            }
        }
        if (!ok)
            continue;
        gsl_sort(base, 1, m);
        ub[d] = gsl_stats_quantile_from_sorted_data(base, 1, m, p->percentile);
        alarm[d] = cur > ub[d];
    }
    free(base);
    free(cs);
    return ZN_OK;
}
