/*
 * Rt by the method of Cori et al. (2013), "A new framework and software to estimate time-varying
 * reproduction numbers during epidemics", Am J Epidemiol 178(9):1505-1512, as implemented in R
 * EpiEstim 2.2.4 (estimate_R, discr_si, overall_infectivity); and a renewal-equation projection.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "stats/gamma_quantile.h"
#include "stats/stats_int.h"

const double zn_rt_quantile_p[ZN_RT_NQ] = {0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975};

void zn_rt_config_default(zn_rt_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mean_prior = 5;
    cfg->std_prior = 5;
    cfg->window = 7;
}

/* R's pgamma(x, shape, scale): 0 for x <= 0. */
static double pgamma0(double x, double shape, double scale)
{
    return x <= 0 ? 0.0 : gsl_cdf_gamma_P(x, shape, scale);
}

zn_status zn_si_discretise(double si_mean, double si_sd, size_t n, double *out, zn_error *err)
{
    zn__gsl_quiet();
    if (!(si_mean > 1))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "si_mean", "the mean serial interval must be > 1 (got %g)", si_mean);
    if (!(si_sd > 0))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "si_sd", "the sd of the serial interval must be > 0 (got %g)", si_sd);
    if (n > 0 && !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "out is NULL");
    double mu = si_mean - 1;
    double a = (mu / si_sd) * (mu / si_sd);
    double b = si_sd * si_sd / mu;
    for (size_t i = 0; i < n; i++) {
        double k = (double)i;
        if (i >= 2 && pgamma0(k - 2, a, b) == 1 && pgamma0(k - 2, a + 1, b) == 1) {
            /* Both CDFs are exactly 1 from k - 2 on (they are non-decreasing), so this and every
             * later term is k + (k-2) - 2(k-1) + a b (2 - 1 - 1) = 0 exactly, as in discr_si. */
            memset(out + i, 0, (n - i) * sizeof *out);
            break;
        }
        double r = k * pgamma0(k, a, b) + (k - 2) * pgamma0(k - 2, a, b) - 2 * (k - 1) * pgamma0(k - 1, a, b);
        r += a * b * (2 * pgamma0(k - 1, a + 1, b) - pgamma0(k - 2, a + 1, b) - pgamma0(k, a + 1, b));
        out[i] = r > 0 ? r : 0.0;
    }
    return ZN_OK;
}

void zn_rt_result_fini(zn_rt_result *r)
{
    if (!r)
        return;
    free(r->rows);
    free(r->si);
    free(r->lambda);
    memset(r, 0, sizeof *r);
}

static zn_status check_windows(const zn_rt_config *cfg, size_t T, zn_error *err)
{
    for (size_t i = 0; i < cfg->n_windows; i++) {
        size_t s = cfg->t_start[i], e = cfg->t_end[i];
        if (s > e)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "t_start", "window %zu: t_start %zu > t_end %zu", i + 1, s, e);
        if (s < 2 || s > T || e < 2 || e > T)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "t_start",
                                "window %zu: t_start and t_end must be within 2..%zu (got %zu..%zu)", i + 1, T, s, e);
    }
    return ZN_OK;
}

/* check_sum: EpiEstim checks that a given (non-parametric) SI sums to 1 (check_si_distr); its
 * parametric_si path uses discr_si(0:(T-1)) as it is, which for short series sums to less. */
static zn_status rt_estimate(const double *incid, size_t T, const double *si, size_t n_si,
                             const zn_rt_config *cfg_in, int check_sum, zn_rt_result *out, zn_error *err)
{
    zn__gsl_quiet();
    if (!out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "out is NULL");
    memset(out, 0, sizeof *out);
    zn_rt_config cfg;
    if (cfg_in)
        cfg = *cfg_in;
    else
        zn_rt_config_default(&cfg);
    if (!incid || T < 2)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "incidence", "need at least 2 days of incidence (got %zu)", T);
    if (!si || n_si < 1)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "si", "the serial interval distribution is empty");
    if (!(cfg.mean_prior > 0) || !(cfg.std_prior > 0))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "prior", "the prior mean and sd must be > 0");
    /* EpiEstim check_si_distr (method non_parametric_si: error when the sum is off by > 0.01) */
    if (si[0] != 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "si", "the serial interval must have w_0 = 0 (got %g)", si[0]);
    double sum = 0;
    for (size_t k = 0; k < n_si; k++) {
        if (!(si[k] >= 0))
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "si", "w_%zu = %g: the serial interval must be >= 0", k, si[k]);
        sum += si[k];
    }
    if (check_sum && fabs(sum - 1) > 0.01)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "si", "the serial interval must sum to 1 (sums to %g)", sum);
    for (size_t t = 0; t < T; t++)
        if (incid[t] < 0)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "incidence",
                                "day %zu of the series: incidence must be non-negative (got %g)", t + 1, incid[t]);
    size_t nwin;
    if (cfg.t_start || cfg.t_end) {
        if (!cfg.t_start || !cfg.t_end || cfg.n_windows == 0)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "t_start", "give both t_start and t_end, and n_windows > 0");
        zn_status s = check_windows(&cfg, T, err);
        if (s)
            return s;
        nwin = cfg.n_windows;
    } else {
        if (cfg.window < 1)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "window", "the window must be >= 1 day");
        if (T < cfg.window + 1)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "window",
                                "a %zu-day window needs at least %zu days of incidence (got %zu)", cfg.window,
                                cfg.window + 1, T);
        nwin = T - cfg.window; /* t_start = 2 .. T - window + 1 */
    }

    out->n = T;
    out->n_si = T + 1;
    out->si = calloc(T + 1, sizeof *out->si);
    out->lambda = malloc(T * sizeof *out->lambda);
    out->rows = calloc(nwin, sizeof *out->rows);
    double *I = malloc(T * sizeof *I);
    if (!out->si || !out->lambda || !out->rows || !I) {
        free(I);
        zn_rt_result_fini(out);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory for %zu days", T);
    }
    out->n_rows = nwin;
    /* EpiEstim pads si_distr with zeros to T+1 values (and uses at most the first T). */
    memcpy(out->si, si, (n_si < T + 1 ? n_si : T + 1) * sizeof *si);
    double m = 0, m2 = 0;
    for (size_t k = 0; k < n_si; k++) { /* moments over the distribution as given (padding adds 0) */
        m += (double)k * si[k];
        m2 += (double)k * (double)k * si[k];
    }
    out->si_mean = m;
    out->si_sd = sqrt(m2 - m * m);
    for (size_t t = 0; t < T; t++)
        I[t] = isnan(incid[t]) ? 0.0 : incid[t];
    /* overall_infectivity: lambda[t] = sum_{s=1}^{t} si[s] I[t-s+1] in R's 1-based terms */
    out->lambda[0] = NAN;
    size_t kmax = (n_si < T + 1 ? n_si : T + 1) - 1; /* the last non-zero w_k: later terms add 0 */
    while (kmax > 0 && out->si[kmax] == 0)
        kmax--;
    for (size_t t = 1; t < T; t++) {
        double l = 0; /* w_0 multiplies I_t and is 0 */
        for (size_t k = 1; k <= t && k <= kmax; k++)
            l += out->si[k] * I[t - k];
        out->lambda[t] = l;
    }
    double a_prior = (cfg.mean_prior / cfg.std_prior) * (cfg.mean_prior / cfg.std_prior);
    double b_prior = cfg.std_prior * cfg.std_prior / cfg.mean_prior;
    double z[ZN_RT_NQ]; /* normal quantiles: the Wilson-Hilferty starts of zn__gamma_quantiles */
    for (int q = 0; q < ZN_RT_NQ; q++)
        z[q] = gsl_cdf_ugaussian_Pinv(zn_rt_quantile_p[q]);
    for (size_t i = 0; i < nwin; i++) {
        zn_rt_row *r = &out->rows[i];
        size_t ts = cfg.t_start ? cfg.t_start[i] : i + 2;
        size_t te = cfg.t_start ? cfg.t_end[i] : i + 1 + cfg.window;
        r->t_start = ts;
        r->t_end = te;
        if (!((double)te > out->si_mean)) {
            r->shape = r->scale = r->mean = r->sd = NAN;
            for (int q = 0; q < ZN_RT_NQ; q++)
                r->q[q] = NAN;
            continue;
        }
        /* sums over days ts..te (1-based; ts >= 2, so only local cases: day 1 is all imported) */
        double sI = 0, sL = 0;
        for (size_t t = ts; t <= te; t++) { /* plain sums in R's order */
            sI += I[t - 1];
            sL += out->lambda[t - 1];
        }
        r->shape = a_prior + sI;
        r->scale = 1 / (1 / b_prior + sL);
        r->mean = r->shape * r->scale;
        r->sd = sqrt(r->shape) * r->scale;
        zn__gamma_quantiles(r->shape, r->scale, ZN_RT_NQ, zn_rt_quantile_p, z, r->q);
    }
    free(I);
    return ZN_OK;
}

zn_status zn_rt_estimate(const double *incid, size_t T, const double *si, size_t n_si, const zn_rt_config *cfg_in,
                         zn_rt_result *out, zn_error *err)
{
    return rt_estimate(incid, T, si, n_si, cfg_in, 1, out, err);
}

zn_status zn_rt_estimate_parametric(const double *incid, size_t T, double si_mean, double si_sd,
                                    const zn_rt_config *cfg, zn_rt_result *out, zn_error *err)
{
    zn__gsl_quiet();
    if (out)
        memset(out, 0, sizeof *out);
    if (T < 1)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "incidence", "need at least 2 days of incidence (got %zu)", T);
    double *si = malloc(T * sizeof *si);
    if (!si)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
    zn_status s = zn_si_discretise(si_mean, si_sd, T, si, err);
    if (!s)
        s = rt_estimate(incid, T, si, T, cfg, 0, out, err);
    free(si);
    return s;
}

/* ---- projection ---- */

void zn_projection_fini(zn_projection *p)
{
    if (!p)
        return;
    free(p->expected);
    free(p->mean);
    free(p->lo);
    free(p->median);
    free(p->hi);
    memset(p, 0, sizeof *p);
}

/* Lambda at day index d (0-based) of the extended series y[0..d-1]. */
static double infectiousness(const double *y, size_t d, const double *si, size_t n_si)
{
    double l = 0;
    for (size_t k = 1; k < n_si && k <= d; k++)
        l += si[k] * y[d - k];
    return l;
}

zn_status zn_rt_project(const double *incid, size_t T, const double *si, size_t n_si, double shape, double scale,
                        size_t horizon, size_t n_sims, double level, unsigned long seed, zn_projection *out,
                        zn_error *err)
{
    zn__gsl_quiet();
    if (!out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "out is NULL");
    memset(out, 0, sizeof *out);
    if (!incid || T < 1 || !si || n_si < 2)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "need incidence and a serial interval");
    if (!(shape > 0) || !(scale > 0))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "R", "the gamma posterior of R needs shape and scale > 0");
    if (horizon == 0 || n_sims == 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "horizon", "horizon and the number of simulations must be > 0");
    if (!(level > 0 && level < 1))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "level", "the interval level must be in (0, 1) (got %g)", level);
    size_t L = T + horizon;
    double *y = malloc(L * sizeof *y);
    double *sims = malloc(horizon * n_sims * sizeof *sims);
    out->expected = malloc(horizon * sizeof(double));
    out->mean = malloc(horizon * sizeof(double));
    out->lo = malloc(horizon * sizeof(double));
    out->median = malloc(horizon * sizeof(double));
    out->hi = malloc(horizon * sizeof(double));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!y || !sims || !out->expected || !out->mean || !out->lo || !out->median || !out->hi || !rng) {
        free(y);
        free(sims);
        if (rng)
            gsl_rng_free(rng);
        zn_projection_fini(out);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory for the projection");
    }
    out->horizon = horizon;
    for (size_t t = 0; t < T; t++)
        y[t] = isnan(incid[t]) ? 0.0 : incid[t];
    /* deterministic renewal with R = E[R] */
    double Rmean = shape * scale;
    for (size_t h = 0; h < horizon; h++) {
        y[T + h] = Rmean * infectiousness(y, T + h, si, n_si);
        out->expected[h] = y[T + h];
    }
    gsl_rng_set(rng, seed);
    for (size_t s = 0; s < n_sims; s++) {
        double R = gsl_ran_gamma(rng, shape, scale);
        for (size_t h = 0; h < horizon; h++) {
            double lam = R * infectiousness(y, T + h, si, n_si);
            y[T + h] = lam > 0 ? (double)gsl_ran_poisson(rng, lam) : 0.0;
            sims[h * n_sims + s] = y[T + h];
        }
    }
    for (size_t h = 0; h < horizon; h++) {
        double *v = sims + h * n_sims;
        gsl_sort(v, 1, n_sims);
        out->mean[h] = gsl_stats_mean(v, 1, n_sims);
        out->lo[h] = gsl_stats_quantile_from_sorted_data(v, 1, n_sims, (1 - level) / 2);
        out->median[h] = gsl_stats_quantile_from_sorted_data(v, 1, n_sims, 0.5);
        out->hi[h] = gsl_stats_quantile_from_sorted_data(v, 1, n_sims, (1 + level) / 2);
    }
    gsl_rng_free(rng);
    free(y);
    free(sims);
    return ZN_OK;
}
