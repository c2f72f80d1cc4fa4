/*
 * A quasi-Poisson GLM with log link fitted the way R's stats::glm.fit fits it (R 4.2), so that the
 * Farrington detectors give surveillance's numbers: same starting values, same IRLS steps, same
 * stopping rule, and the weights/QR of the last iteration for the covariance, hat values and
 * dispersion (summary.glm, hatvalues, predict.glm). Least squares by Householder QR (GSL).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>

#include "stats/stats_int.h"

struct zn__glm_ws {
    size_t nmax;
    double *A;   /* nmax x PMAX */
    double *b, *res, *eta, *mu, *w, *z, *hat, *coefold;
    double tau[ZN__GLM_PMAX], x[ZN__GLM_PMAX];
};

zn__glm_ws *zn__glm_ws_new(size_t nmax)
{
    zn__glm_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->nmax = nmax;
    ws->A = malloc(nmax * ZN__GLM_PMAX * sizeof(double));
    double **v[] = {&ws->b, &ws->res, &ws->eta, &ws->mu, &ws->w, &ws->z, &ws->hat};
    int ok = ws->A != NULL;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        *v[i] = malloc((nmax ? nmax : 1) * sizeof(double));
        ok = ok && *v[i];
    }
    if (!ok) {
        zn__glm_ws_free(ws);
        return NULL;
    }
    return ws;
}

void zn__glm_ws_free(zn__glm_ws *ws)
{
    if (!ws)
        return;
    free(ws->A);
    free(ws->b);
    free(ws->res);
    free(ws->eta);
    free(ws->mu);
    free(ws->w);
    free(ws->z);
    free(ws->hat);
    free(ws);
}

/* log link: linkinv and mu.eta are both pmax(exp(eta), .Machine$double.eps) */
static double linkinv(double eta)
{
    double m = exp(eta);
    return m > DBL_EPSILON ? m : DBL_EPSILON;
}

static double deviance(const double *y, const double *mu, const double *wt, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] * log(y[i] == 0 ? 1.0 : y[i] / mu[i]) - (y[i] - mu[i]);
        d += 2 * (wt ? wt[i] : 1.0) * r;
    }
    return d;
}

/* Weighted least squares of z on X with sqrt-weights w: coefficients into ws->x, QR left in ws->A.
 * Returns -1 when rank deficient (R's Cdqrls tolerance, 1e-11 relative to the column norm). */
static int wls(zn__glm_ws *ws, const double *X, size_t n, size_t p)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < p; j++)
            ws->A[i * p + j] = X[i * p + j] * ws->w[i];
        ws->b[i] = ws->z[i] * ws->w[i];
    }
    double cn[ZN__GLM_PMAX];
    for (size_t j = 0; j < p; j++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += ws->A[i * p + j] * ws->A[i * p + j];
        cn[j] = sqrt(s);
    }
    gsl_matrix_view A = gsl_matrix_view_array(ws->A, n, p);
    gsl_vector_view tau = gsl_vector_view_array(ws->tau, p);
    gsl_vector_view b = gsl_vector_view_array(ws->b, n);
    gsl_vector_view x = gsl_vector_view_array(ws->x, p);
    gsl_vector_view res = gsl_vector_view_array(ws->res, n);
    if (gsl_linalg_QR_decomp(&A.matrix, &tau.vector))
        return -1;
    for (size_t j = 0; j < p; j++)
        if (!(fabs(ws->A[j * p + j]) > 1e-11 * (cn[j] > 0 ? cn[j] : 1)))
            return -1;
    if (gsl_linalg_QR_lssolve(&A.matrix, &tau.vector, &b.vector, &x.vector, &res.vector))
        return -1;
    return 0;
}

int zn__glm_fit(zn__glm_ws *ws, const double *X, const double *y, const double *prior, size_t n, size_t p,
                zn__glm *g)
{
    memset(g, 0, sizeof *g);
    if (n > ws->nmax || p == 0 || p > ZN__GLM_PMAX || n < p)
        return -1;
    g->n = n;
    g->p = p;
    double *eta = ws->eta, *mu = ws->mu;
    double start[ZN__GLM_PMAX] = {0}, coefold[ZN__GLM_PMAX];
    int have_old = 0;
    for (size_t i = 0; i < n; i++) {
        eta[i] = log(y[i] + 0.1); /* poisson()$initialize: mustart <- y + 0.1 */
        mu[i] = linkinv(eta[i]);
    }
    double devold = deviance(y, mu, prior, n), dev = devold;
    int conv = 0;
    for (int iter = 1; iter <= 25; iter++) {
        for (size_t i = 0; i < n; i++) {
            double me = linkinv(eta[i]); /* mu.eta */
            ws->z[i] = eta[i] + (y[i] - mu[i]) / me;
            ws->w[i] = sqrt((prior ? prior[i] : 1.0) * me * me / mu[i]);
        }
        if (wls(ws, X, n, p))
            return -1;
        for (size_t j = 0; j < p; j++) {
            if (!isfinite(ws->x[j]))
                return -1;
            start[j] = ws->x[j];
        }
        for (size_t i = 0; i < n; i++) {
            double e = 0;
            for (size_t j = 0; j < p; j++)
                e += X[i * p + j] * start[j];
            eta[i] = e;
            mu[i] = linkinv(e);
        }
        dev = deviance(y, mu, prior, n);
        int halvings = 0;
        while (!isfinite(dev)) { /* glm.fit: step size truncated due to divergence */
            if (!have_old || ++halvings > 25)
                return -1;
            for (size_t j = 0; j < p; j++)
                start[j] = (start[j] + coefold[j]) / 2;
            for (size_t i = 0; i < n; i++) {
                double e = 0;
                for (size_t j = 0; j < p; j++)
                    e += X[i * p + j] * start[j];
                eta[i] = e;
                mu[i] = linkinv(e);
            }
            dev = deviance(y, mu, prior, n);
        }
        if (fabs(dev - devold) / (fabs(dev) + 0.1) < 1e-8) {
            conv = 1;
            break;
        }
        devold = dev;
        memcpy(coefold, start, sizeof start);
        have_old = 1;
    }
    g->converged = conv;
    memcpy(g->beta, start, p * sizeof(double));
    /* (R'R)^-1 from the QR of the last iteration: Rinv Rinv' */
    double Rinv[ZN__GLM_PMAX * ZN__GLM_PMAX];
    memset(Rinv, 0, sizeof Rinv);
    for (size_t i = 0; i < p; i++)
        for (size_t j = i; j < p; j++)
            Rinv[i * p + j] = ws->A[i * p + j];
    gsl_matrix_view Rv = gsl_matrix_view_array(Rinv, p, p);
    if (gsl_linalg_tri_invert(CblasUpper, CblasNonUnit, &Rv.matrix))
        return -1;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) {
            double s = 0;
            for (size_t k = (i > j ? i : j); k < p; k++)
                s += Rinv[i * p + k] * Rinv[j * p + k];
            g->cov_unscaled[i * p + j] = s;
        }
    /* residuals (y - mu)/mu.eta(eta) with the final eta; weights w^2 of the last iteration */
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double r = (y[i] - mu[i]) / linkinv(eta[i]);
        ss += ws->w[i] * ws->w[i] * r * r;
        /* hat value: w_i^2 x_i' C x_i */
        double q = 0;
        for (size_t a = 0; a < p; a++) {
            double t = 0;
            for (size_t b = 0; b < p; b++)
                t += g->cov_unscaled[a * p + b] * X[i * p + b];
            q += X[i * p + a] * t;
        }
        ws->hat[i] = ws->w[i] * ws->w[i] * q;
    }
    g->dispersion = n > p ? ss / (double)(n - p) : NAN;
    g->mu = mu;
    g->hat = ws->hat;
    return 0;
}

void zn__glm_predict(const zn__glm *g, const double *x0, double dispersion, double *eta, double *se_eta)
{
    size_t p = g->p;
    double e = 0, q = 0;
    for (size_t a = 0; a < p; a++) {
        e += x0[a] * g->beta[a];
        double t = 0;
        for (size_t b = 0; b < p; b++)
            t += g->cov_unscaled[a * p + b] * x0[b];
        q += x0[a] * t;
    }
    *eta = e;
    *se_eta = sqrt(q * dispersion);
}

double zn__glm_pvalue(const zn__glm *g, size_t j, double dispersion)
{
    if (g->n <= g->p)
        return NAN;
    double se = sqrt(dispersion * g->cov_unscaled[j * g->p + j]);
    double t = g->beta[j] / se;
    return 2 * gsl_cdf_tdist_P(-fabs(t), (double)(g->n - g->p));
}

/* R's discrete quantile search (qDiscrete_search): smallest x with P(X <= x) >= p(1 - 64 eps). */
static double qdiscrete(double p, double mean, double sd, double (*cdf)(double, const double *), const double *par)
{
    if (!(p > 0))
        return 0;
    if (p >= 1)
        return INFINITY;
    double pf = p * (1 - 64 * DBL_EPSILON);
    /* bracket: cdf(lo) < pf <= cdf(hi), lo = -1 meaning "below 0" */
    double x = floor(mean - 3 * sd), lo, hi, step = sd > 1 ? ceil(sd) : 1;
    if (!(x >= 0))
        x = 0;
    if (cdf(x, par) >= pf) {
        hi = x;
        lo = x - step;
        while (lo >= 0 && cdf(lo, par) >= pf) {
            hi = lo;
            step *= 2;
            lo -= step;
        }
        if (lo < 0)
            lo = -1;
    } else {
        lo = x;
        hi = x + step;
        while (cdf(hi, par) < pf) {
            lo = hi;
            step *= 2;
            hi += step;
        }
    }
    while (hi - lo > 1) {
        double mid = floor((lo + hi) / 2);
        if (mid >= 0 && cdf(mid, par) >= pf)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

static double cdf_nb(double x, const double *par)
{
    return gsl_cdf_negative_binomial_P((unsigned)x, par[1], par[0]);
}

static double cdf_pois(double x, const double *par)
{
    return gsl_cdf_poisson_P((unsigned)x, par[0]);
}

double zn__qnbinom(double p, double size, double prob)
{
    double par[2] = {size, prob};
    double mean = size * (1 - prob) / prob, sd = sqrt(size * (1 - prob)) / prob;
    return qdiscrete(p, mean, sd, cdf_nb, par);
}

double zn__qpois(double p, double lambda)
{
    double par[1] = {lambda};
    return qdiscrete(p, lambda, sqrt(lambda), cdf_pois, par);
}

void zn__mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(s / (double)(n - 1)) : NAN;
}
