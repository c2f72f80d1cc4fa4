/*
 * Farrington et al. (1996), "A statistical algorithm for the early detection of outbreaks of
 * infectious disease", JRSS A 159:547-563, as R surveillance 1.20.3 implements it in
 * algo.farrington (with algo.farrington.fitGLM.fast and algo.farrington.threshold), and
 * farringtonFlexible with the improvements of Noufaily et al. (2013), "An improved algorithm for
 * outbreak detection in multiple surveillance systems", Stat Med 32:1206-1222
 * (algo.farrington.data.glm, blocks, algo.farrington.glm, algo.farrington.fitGLM.flexible,
 * algo.farrington.threshold.farrington / .noufaily). Periods are indexed, not dated
 * (surveillance's epochAsDate = FALSE). Internally k is surveillance's 1-based period index, so
 * the time covariate has the same values as in R.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "stats/stats_int.h"

void zn_farrington_params_default(zn_farrington_params *p)
{
    memset(p, 0, sizeof *p);
    p->flexible = 0;
    p->freq = 52;
    p->b = 5;
    p->w = 3;
    p->reweight = 1;
    p->trend = 1;
    p->alpha = 0.05;
    p->limit54_cases = 5;
    p->limit54_period = 4;
    p->powertrans = ZN_POWER_2_3;
    p->weights_threshold = 1;
    p->p_threshold_trend = 0.05;
    p->no_periods = 1;
    p->past_weeks_not_included = -1;
    p->threshold = ZN_FARRINGTON_DELTA;
}

void zn_farrington_params_flexible(zn_farrington_params *p)
{
    zn_farrington_params_default(p);
    p->flexible = 1;
    p->b = 4;
    p->alpha = 0.01;
    p->weights_threshold = 1;
    p->past_weeks_not_included = 3;
    p->p_threshold_trend = 0.05;
    p->threshold = ZN_FARRINGTON_DELTA;
}

void zn_farrington_params_noufaily(zn_farrington_params *p)
{
    zn_farrington_params_flexible(p);
    p->no_periods = 10;
    p->weights_threshold = 2.58;
    p->past_weeks_not_included = 26;
    p->p_threshold_trend = 1;
    p->threshold = ZN_FARRINGTON_NBPLUGIN;
}

/* Scratch for one detector run. */
typedef struct fctx {
    zn__glm_ws *ws;
    double *X, *y, *wt, *omega, *s;
    int *level; /* seasonal block level of each response (flexible) */
    size_t nmax;
} fctx;

/* Design row: intercept, [wtime], [dummies for levels lv[1..nlv-1]] */
static size_t design(double *X, const double *wtime, const int *level, size_t n, int trend, const int *lv,
                     size_t nlv)
{
    size_t p = 1 + (trend ? 1 : 0) + (nlv > 1 ? nlv - 1 : 0);
    for (size_t i = 0; i < n; i++) {
        double *r = X + i * p;
        size_t c = 0;
        r[c++] = 1;
        if (trend)
            r[c++] = wtime[i];
        for (size_t l = 1; l < nlv; l++)
            r[c++] = level[i] == lv[l];
    }
    return p;
}

/* algo.farrington.assign.weights */
static void assign_weights(const double *s, size_t n, double thr, double *omega)
{
    double den = 0;
    for (size_t i = 0; i < n; i++)
        den += s[i] > thr ? 1 / (s[i] * s[i]) : 1.0;
    double gamma = (double)n / den;
    for (size_t i = 0; i < n; i++)
        omega[i] = s[i] > thr ? gamma / (s[i] * s[i]) : gamma;
}

/* anscombe.residuals(m, phi) */
static void anscombe(const zn__glm *g, const double *y, double phi, double *s)
{
    for (size_t i = 0; i < g->n; i++) {
        double mu = g->mu[i], h = g->hat[i];
        if (h >= 1 - 10 * DBL_EPSILON) /* lm.influence */
            h = 1;
        double a = 1.5 * (pow(y[i], 2.0 / 3) * pow(mu, -1.0 / 6) - sqrt(mu));
        s[i] = a / sqrt(phi * (1 - h));
    }
}

/* One model (with or without trend) with optional reweighting: the fitGLM.fast / .flexible
 * functions. Returns 0 and sets *g, *phi, *has_trend and *sdisp, the dispersion that summary.glm
 * later reports for the model (fitGLM.flexible overwrites model$weights with the prior weights
 * omega, so summary.glm then computes sum(omega r^2)/(n - p) with the working residuals r);
 * -1 when no model (flexible: not converged even without trend). */
static int fit_model(fctx *f, const double *y, const double *wtime, const int *level, size_t n, int trend,
                     const int *lv, size_t nlv, int reweight, double wthr, int flexible, zn__glm *g, double *phi,
                     int *has_trend, double *sdisp)
{
    size_t p = design(f->X, wtime, level, n, trend, lv, nlv);
    if (zn__glm_fit(f->ws, f->X, y, NULL, n, p, g))
        return -1;
    if (!g->converged) {
        if (trend) {
            trend = 0;
            p = design(f->X, wtime, level, n, 0, lv, nlv);
            if (zn__glm_fit(f->ws, f->X, y, NULL, n, p, g))
                return -1;
        }
        if (flexible && !g->converged)
            return -1;
    }
    *has_trend = trend;
    *phi = g->dispersion > 1 ? g->dispersion : 1;
    if (reweight) {
        anscombe(g, y, *phi, f->s);
        assign_weights(f->s, n, wthr, f->omega);
        if (zn__glm_fit(f->ws, f->X, y, f->omega, n, p, g))
            return -1;
        *phi = g->dispersion > 1 ? g->dispersion : 1;
    }
    *sdisp = g->dispersion;
    if (flexible && reweight) {
        double ss = 0;
        for (size_t i = 0; i < n; i++) {
            double r = (y[i] - g->mu[i]) / g->mu[i];
            ss += f->omega[i] * r * r;
        }
        *sdisp = n > g->p ? ss / (double)(n - g->p) : NAN;
    }
    return 0;
}

static double power_upper(double mu0, double se_fit, double phi, zn_powertrans pt, double z)
{
    double tau = phi + se_fit * se_fit / mu0, se, e;
    switch (pt) {
    case ZN_POWER_NONE: se = sqrt(mu0 * tau); e = 1; break;
    case ZN_POWER_1_2: se = sqrt(0.25 * tau); e = 0.5; break;
    default: se = sqrt(4.0 / 9 * pow(mu0, 1.0 / 3) * tau); e = 2.0 / 3; break;
    }
    /* sort(c(lower, upper), na.last = FALSE)[2] is the upper one whenever it is a number */
    return pow(pow(mu0, e) + z * se, 1 / e);
}

static double link_inv(double eta)
{
    double m = exp(eta);
    return m > DBL_EPSILON ? m : DBL_EPSILON;
}

/* surveillance's blocks() for period k (1-based) into fac[1..n] (0 = NA). Returns -1 on
 * "Number of factors too big!". */
static int blocks(int *fac, size_t n, size_t k, size_t b, size_t w, size_t freq, size_t np)
{
    for (size_t i = 0; i <= n; i++)
        fac[i] = 0;
    for (size_t i = k - w; i <= k; i++)
        fac[i] = (int)np;
    for (size_t i = 1; i <= b; i++) {
        size_t refw = k - i * freq, prev = k - (i - 1) * freq;
        for (size_t j = refw - w; j <= refw + w && j <= n; j++)
            fac[j] = (int)np;
        if (np != 1) {
            long period = (long)prev - 2 * (long)w - 1 - (long)refw;
            if (period < (long)np - (2 * (long)w + 1))
                return -1;
            long len = period / (long)(np - 1), rest = period % (long)(np - 1);
            long cs = 0;
            for (size_t j = 1; j <= np - 1; j++) {
                long l = len + ((long)j <= rest ? 1 : 0);
                for (long q = 0; q < l; q++) {
                    size_t idx = refw + w + 1 + (size_t)(cs + q);
                    if (idx <= n)
                        fac[idx] = (int)j;
                }
                cs += l;
            }
        }
    }
    return 0;
}

zn_status zn_farrington(const double *x, size_t n, size_t first, const zn_farrington_params *p, double *ub,
                        int *alarm, zn_error *err)
{
    zn__gsl_quiet();
    if (!x || !p || !ub || !alarm)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (p->freq == 0 || p->b == 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "b", "freq and b must be >= 1");
    if (!(p->alpha > 0 && p->alpha < 1))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "alpha", "alpha must be in (0, 1)");
    if (p->limit54_period == 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "limit54", "the limit54 period must be > 0");
    size_t np = p->flexible ? (p->no_periods ? p->no_periods : 1) : 1;
    size_t pwni = p->past_weeks_not_included < 0 ? p->w : (size_t)p->past_weeks_not_included;
    size_t K1 = first + 1; /* first k, 1-based */
    if (p->flexible) {
        if (K1 <= p->b * p->freq + p->w)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "range",
                                "some reference time points did not exist: start at period %zu or later",
                                p->b * p->freq + p->w + 1);
        if (np > 1 && np > 2 * p->w + 1 + (p->freq - 2 * p->w - 1))
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "no_periods", "number of factors too big");
        if (K1 <= pwni)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "range", "pastWeeksNotIncluded reaches before period 1");
    } else if (K1 <= p->limit54_period - 1) {
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "range", "the first period must be >= limit54 period");
    }
    for (size_t t = 0; t < n; t++)
        if (!(x[t] >= 0))
            return zn_error_set(err, ZN_EINVAL, NULL, (long)t + 1, "observed", "period %zu: counts must be >= 0", t + 1);

    for (size_t t = 0; t < n; t++) {
        ub[t] = NAN;
        alarm[t] = -1;
    }
    fctx f = {0};
    size_t nmax = p->flexible ? n + 1 : p->b * (2 * p->w + 1);
    f.nmax = nmax;
    f.ws = zn__glm_ws_new(nmax);
    f.X = malloc(nmax * ZN__GLM_PMAX * sizeof(double));
    f.y = malloc(nmax * sizeof(double));
    f.wt = malloc(nmax * sizeof(double));
    f.omega = malloc(nmax * sizeof(double));
    f.s = malloc(nmax * sizeof(double));
    f.level = malloc((n + 2) * sizeof(int));
    int *fac = malloc((n + 2) * sizeof(int));
    zn_status st = ZN_OK;
    if (!f.ws || !f.X || !f.y || !f.wt || !f.omega || !f.s || !f.level || !fac) {
        st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "no memory");
        goto done;
    }
    double zcl = gsl_cdf_ugaussian_Pinv(1 - p->alpha / 2); /* classic: two-sided */
    double zfl = gsl_cdf_ugaussian_Pinv(1 - p->alpha);     /* flexible: one-sided */
    for (size_t k = K1; k <= n; k++) {
        size_t m = 0;
        int lv[ZN__GLM_PMAX];
        size_t nlv = 0;
        if (!p->flexible) {
            for (size_t i = p->b; i >= 1; i--) {
                long c = (long)k - (long)(p->freq * i);
                for (long j = c - (long)p->w; j <= c + (long)p->w; j++)
                    if (j > 0 && (size_t)j <= n) {
                        f.wt[m] = (double)j;
                        f.y[m] = x[j - 1];
                        m++;
                    }
            }
        } else {
            if (blocks(fac, n, k, p->b, p->w, p->freq, np)) {
                st = zn_error_set(err, ZN_EINVAL, NULL, 0, "no_periods", "number of factors too big");
                goto done;
            }
            for (size_t j = k - pwni; j <= k; j++)
                fac[j] = 0;
            int seen[ZN__GLM_PMAX * 4] = {0};
            for (size_t j = 1; j <= n; j++)
                if (fac[j] && !isnan(x[j - 1])) {
                    f.wt[m] = (double)j;
                    f.y[m] = x[j - 1];
                    f.level[m] = fac[j];
                    if (np > 1 && fac[j] < (int)(sizeof seen / sizeof seen[0]))
                        seen[fac[j]] = 1;
                    m++;
                }
            if (np > 1)
                for (int l = 1; l < (int)(sizeof seen / sizeof seen[0]); l++)
                    if (seen[l] && nlv < ZN__GLM_PMAX - 2)
                        lv[nlv++] = l;
        }
        if (m == 0) {
            st = zn_error_set(err, ZN_EINVAL, NULL, 0, "range", "period %zu has no reference values", k);
            goto done;
        }
        zn__glm g;
        double phi, sdisp;
        int has_trend;
        int rc = fit_model(&f, f.y, f.wt, f.level, m, p->trend, lv, nlv, p->reweight,
                           p->flexible ? p->weights_threshold : 1.0, p->flexible, &g, &phi, &has_trend, &sdisp);
        if (rc && !p->flexible) {
            st = zn_error_set(err, ZN_ERANGE, NULL, 0, NULL, "period %zu: the GLM could not be fitted", k);
            goto done;
        }
        /* the prediction row at period k (flexible: the current block's level, noPeriods) */
        double x0[ZN__GLM_PMAX];
        double ymax = 0;
        for (size_t i = 0; i < m; i++)
            ymax = f.y[i] > ymax ? f.y[i] : ymax;
        if (!rc && has_trend) {
            double eta, se;
            int cur = (int)np;
            design(x0, &(double){(double)k}, &cur, 1, 1, lv, nlv);
            zn__glm_predict(&g, x0, phi, &eta, &se);
            double pv = zn__glm_pvalue(&g, 1, sdisp);
            int signif = p->flexible ? pv < p->p_threshold_trend : pv < 0.05;
            int keep = p->b >= 3 && signif && link_inv(eta) <= ymax;
            if (!keep)
                rc = fit_model(&f, f.y, f.wt, f.level, m, 0, lv, nlv, p->reweight,
                               p->flexible ? p->weights_threshold : 1.0, p->flexible, &g, &phi, &has_trend, &sdisp);
        }
        if (rc) {
            if (!p->flexible) {
                st = zn_error_set(err, ZN_ERANGE, NULL, 0, NULL, "period %zu: the GLM could not be fitted", k);
                goto done;
            }
            continue; /* NA bound and alarm, as farringtonFlexible */
        }
        int cur = (int)np;
        design(x0, &(double){(double)k}, &cur, 1, has_trend, lv, nlv);
        double eta0, se_eta;
        /* classic: predict.glm(..., dispersion = model$phi); flexible: the dispersion argument
         * ends up inside newdata, so predict.glm uses summary(model)$dispersion (sdisp) */
        zn__glm_predict(&g, x0, p->flexible ? sdisp : phi, &eta0, &se_eta);
        double yk = x[k - 1];
        double recent = 0;
        for (size_t j = k + 1 - p->limit54_period; j <= k; j++)
            recent += x[j - 1];
        int enough = recent >= (double)p->limit54_cases;
        if (!p->flexible) {
            double mu0 = link_inv(eta0), se_fit = se_eta * mu0;
            double upper = power_upper(mu0, se_fit, phi, p->powertrans, zcl);
            double X = enough ? (yk - mu0) / (upper - mu0) : 0;
            alarm[k - 1] = X > 1;
            ub[k - 1] = enough ? upper : 0;
            continue;
        }
        double upper, score;
        if (p->threshold == ZN_FARRINGTON_DELTA) {
            double mu0 = link_inv(eta0), se_fit = se_eta * mu0;
            upper = power_upper(mu0, se_fit, phi, p->powertrans, zfl);
            score = isnan(upper) ? NAN : (yk - mu0) / (upper - mu0);
        } else {
            double mq = p->threshold == ZN_FARRINGTON_NBPLUGIN ? exp(eta0) : exp(eta0 + zfl * se_eta);
            if (isinf(mq)) {
                upper = NAN;
            } else if (phi > 1) {
                upper = zn__qnbinom(1 - p->alpha, mq / (phi - 1), 1 / phi);
            } else {
                upper = zn__qpois(1 - p->alpha, mq);
            }
            score = isnan(upper) ? NAN : (yk - eta0) / (upper - eta0); /* sic: eta0 on the link scale */
        }
        double X = enough ? score : NAN;
        alarm[k - 1] = !isnan(X) && X > 1 && yk != 0;
        ub[k - 1] = enough ? upper : NAN;
    }
done:
    zn__glm_ws_free(f.ws);
    free(f.X);
    free(f.y);
    free(f.wt);
    free(f.omega);
    free(f.s);
    free(f.level);
    free(fac);
    return st;
}
