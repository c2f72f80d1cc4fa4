/* Incidence helpers: cumulative -> daily, moving averages, doubling time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>

#include "stats/stats_int.h"

zn_status zn_incidence_from_cumulative(const double *cum, size_t n, zn_diff_policy policy, double *out,
                                       size_t *n_negative, double *adjusted, zn_error *err)
{
    if (n_negative)
        *n_negative = 0;
    if (adjusted)
        *adjusted = 0;
    if (n > 0 && (!cum || !out))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL series");
    if (policy != ZN_DIFF_CARRY_FORWARD && policy != ZN_DIFF_CARRY_BACK && policy != ZN_DIFF_CLAMP)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "policy", "unknown policy %d", (int)policy);
    size_t nneg = 0;
    double adj = 0, last = 0, debt = 0;
    for (size_t t = 0; t < n; t++) {
        double c = isnan(cum[t]) ? last : cum[t];
        double d = c - last;
        last = c;
        if (d < 0) {
            nneg++;
            out[t] = 0;
            double excess = -d;
            if (policy == ZN_DIFF_CARRY_FORWARD) {
                debt += excess;
                adj += excess;
            } else if (policy == ZN_DIFF_CARRY_BACK) {
                /* take it back from the preceding days, latest first */
                for (size_t s = t; s-- > 0 && excess > 0;) {
                    double take = out[s] < excess ? out[s] : excess;
                    out[s] -= take;
                    excess -= take;
                }
                adj += -d; /* moved (and, for the unabsorbed part, dropped) */
            } else {
                adj += excess;
            }
            continue;
        }
        if (debt > 0) { /* carry forward: later positive days repay the correction first */
            double pay = d < debt ? d : debt;
            d -= pay;
            debt -= pay;
        }
        out[t] = d;
    }
    if (n_negative)
        *n_negative = nneg;
    if (adjusted)
        *adjusted = adj;
    return ZN_OK;
}

zn_status zn_moving_average(const double *x, size_t n, size_t w, zn_smooth_align align, double *out, zn_error *err)
{
    if (w == 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "window", "the window must be >= 1");
    if (n > 0 && (!x || !out))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL series");
    if (align != ZN_SMOOTH_TRAILING && align != ZN_SMOOTH_CENTERED)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "align", "unknown alignment %d", (int)align);
    if (w > 1 && x == out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "in-place moving average needs w == 1");
    size_t before = align == ZN_SMOOTH_TRAILING ? w - 1 : (w - 1) / 2;
    size_t after = w - 1 - before;
    for (size_t t = 0; t < n; t++) {
        if (t < before || t + after >= n) {
            out[t] = NAN;
            continue;
        }
        double s = 0;
        for (size_t j = t - before; j <= t + after; j++)
            s += x[j];
        out[t] = s / (double)w; /* NAN propagates */
    }
    return ZN_OK;
}

zn_status zn_doubling_time(const double *x, size_t n, size_t first, size_t len, zn_doubling *out, zn_error *err)
{
    zn__gsl_quiet();
    if (!x || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    memset(out, 0, sizeof *out);
    if (len == 0 || first >= n || len > n - first)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "window", "window %zu+%zu runs off the series of %zu", first, len, n);
    double *tt = malloc(len * sizeof *tt), *ly = malloc(len * sizeof *ly);
    if (!tt || !ly) {
        free(tt);
        free(ly);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
        double v = x[first + i];
        if (v > 0) {
            tt[m] = (double)i;
            ly[m] = log(v);
            m++;
        }
    }
    if (m < 3) {
        free(tt);
        free(ly);
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "window", "need at least 3 positive values to fit (got %zu)", m);
    }
    double c0, c1, cov00, cov01, cov11, sumsq;
    gsl_fit_linear(tt, 1, ly, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    free(tt);
    free(ly);
    /* gsl_fit_linear's covariance is scaled by the residual variance sumsq/(m-2) */
    out->n_used = m;
    out->rate = c1;
    out->rate_se = sqrt(cov11);
    double tq = gsl_cdf_tdist_Pinv(0.975, (double)(m - 2));
    double lo = c1 - tq * out->rate_se, hi = c1 + tq * out->rate_se;
    out->time = c1 == 0 ? INFINITY : log(2.0) / c1;
    /* the doubling time decreases in r: the upper limit of r gives the lower limit of the time */
    out->time_lo = hi == 0 ? INFINITY : log(2.0) / hi;
    out->time_hi = lo == 0 ? INFINITY : log(2.0) / lo;
    return ZN_OK;
}
